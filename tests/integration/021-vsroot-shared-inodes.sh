#!/usr/bin/env bash
# A process with the VS's uid and gid (what the VS's root is on the host)
# cannot modify, chmod, chown or truncate a shared skeleton inode, but can
# unlink and replace it in its own directory; the skeleton never changes.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm setpriv sha256sum
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S"
fixture_skel "$S"
run_ok "create" vsdadm create web1 10.77.2.2 web1.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)
skel_sum=$(find "$S" -type f -exec sha256sum {} + | sort | sha256sum)
skel_meta=$(find "$S" -printf '%i %m %u %g %s %p\n' | sort | sha256sum)
F=$V/usr/share/doc/demo/README

run_fails "VS root cannot write a shared inode" as_vs sh -c "echo evil >> '$F'"
run_fails "VS root cannot truncate a shared inode" as_vs truncate -s 0 "$F"
run_fails "VS root cannot chmod a shared inode" as_vs chmod 666 "$F"
run_fails "VS root cannot chown a shared inode" as_vs chown "$base" "$F"
run_fails "VS root cannot open a shared binary for writing" as_vs sh -c ": > '$V/usr/bin/ls'"
run_fails "VS root cannot touch a shared inode's times" as_vs touch "$F"
run_fails "VS root cannot hard-link a shared inode elsewhere" as_vs ln "$F" "$V/tmp/x"
run_ok "VS root can read and run shared files" as_vs "$V/usr/bin/cat" "$F"

# shared symlinks: nothing of them can change (the target never can;
# owner and times only by their owner), also for a root with every
# capability inside a user namespace that maps the VS's range, as the
# VS's root runs (host root is not mapped there)
cat >"$T/userns.py" <<'EOP'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
base, argv = int(sys.argv[1]), sys.argv[2:]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    if libc.unshare(0x10000000) != 0:	# CLONE_NEWUSER
        os._exit(126)
    os.read(r, 1)
    os.setresgid(0, 0, 0); os.setresuid(0, 0, 0)
    os.execvp(argv[0], argv)
os.close(r)
import time
time.sleep(0.05)
for f, m in (("uid_map", "0 %d 65536" % base), ("gid_map", "0 %d 65536" % base)):
    with open("/proc/%d/%s" % (pid, f), "w") as fh:
        fh.write(m)
os.write(w, b"x")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOP
as_vsns() { python3 "$T/userns.py" "$base" "$@"; }
L=$V/usr/share/doc/motd
is "$(stat -c %i "$L")" "$(stat -c %i "$S/usr/share/doc/motd")" "symlink is the skeleton's inode"
run_ok "a root in the VS's user namespace has its caps" as_vsns sh -c "grep -q 'CapEff:.*1ff' /proc/self/status && touch '$V/tmp/ns-ok'"
run_fails "VS root cannot lchown a shared symlink" as_vs chown -h "$base" "$L"
run_fails "nor with CAP_CHOWN in its user namespace" as_vsns chown -h 0:0 "$L"
# the kernel lets anyone who may write an inode set its times to "now",
# and a symlink's mode is 0777: so a VS can touch a shared symlink (as
# reading a shared file moves its atime); no other time, and nothing
# that reads the skeleton looks at symlink times (docs/vsroot.md)
run_fails "VS root cannot set a shared symlink's times to another time" as_vs touch -h -d 2001-01-01 "$L"
run_fails "nor with CAP_FOWNER in its user namespace" as_vsns touch -h -d 2001-01-01 "$L"
run_fails "VS root cannot hard-link a shared symlink elsewhere" as_vs ln -P "$L" "$V/tmp/l2"
run_fails "nor in its user namespace" as_vsns ln -P "$L" "$V/tmp/l3"
run_ok "VS root follows shared symlinks" as_vs "$V/bin/true"
is "$(as_vs "$V/usr/bin/cat" "$V/tmp/motd-link" 2>&1)" hello "and its own in the sticky /tmp (protected_symlinks)"
run_ok "VS root replaces a shared symlink in its directory" as_vsns sh -c "ln -sfn /etc/hostname '$L'"
is "$(readlink "$L")" /etc/hostname "the VS sees its symlink"
is "$(readlink "$S/usr/share/doc/motd")" ../../etc/motd "the skeleton's is unchanged"

# its own directory: unlink and replace, as rpm and dpkg do
run_ok "VS root unlinks a shared file in its directory" as_vs rm -f "$V/usr/bin/ls"
run_ok "and puts its own file there" as_vs sh -c "echo mine > '$V/usr/bin/ls'"
is "$(cat "$V/usr/bin/ls")" mine "the VS sees its file"
run_ok "VS root renames over a shared file" as_vs sh -c "echo new > '$V/tmp/n' && mv -f '$V/tmp/n' '$F'"
run_ok "VS root writes its own copies" as_vs sh -c "echo x >> '$V/etc/motd' 2>/dev/null || echo x >> '$V/etc/hostname'"

# the skeleton is untouched
is "$(find "$S" -type f -exec sha256sum {} + | sort | sha256sum)" "$skel_sum" "skeleton contents unchanged"
is "$(find "$S" -printf '%i %m %u %g %s %p\n' | sort | sha256sum)" "$skel_meta" "skeleton inodes, modes, owners unchanged"
ok $(cmp -s "$S/usr/bin/ls" /usr/bin/ls; echo $?) "skeleton ls is still ls"
# a second VS still has the skeleton's file
run_ok "second VS" vsdadm create web2 10.77.2.3 web2.example.com
is "$(stat -c %i "$ROOT/vs/web2/usr/bin/ls")" "$(stat -c %i "$S/usr/bin/ls")" "other VSs keep the skeleton inode"
run_ok "delete both" sh -c "vsdadm delete web1 && vsdadm delete web2"
done_testing
