#!/usr/bin/env bash
# Programs with file capabilities (ping...).  A shared skeleton inode keeps
# its v2 value: it is host root's, whom the kernel honours in every user
# namespace below the host's, so it works in a VS.  A per-VS copy lost its
# capabilities; it now gets a v3 value naming the VS's root: granted in
# the VS (checked in a user namespace mapping the VS's range), never on
# the host, where a v2 value on a file the VS owns would be.  vsdskel
# update refreshes copies the same way.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel vsdadm setcap setpriv python3
new_state_root
export VSDADM_LOCAL=1

FX=$T/fx
make_fixture_tree "$FX"
cp /usr/bin/cat "$FX/usr/bin/capcat"		# shared
setcap cap_net_raw+ep "$FX/usr/bin/capcat" || bail "setcap"
cp /usr/bin/cat "$FX/etc/capcat"		# /etc/*: a per-VS copy
setcap cap_net_raw+ep "$FX/etc/capcat" || bail "setcap"
make_skel --from "$FX"
S=$ROOT/skel

# caps VALUE-OF FILE: "v2" / "v3 ROOTID" / "none", and the permitted mask
caps() {
	python3 - "$1" <<'EOP'
import os, struct, sys
try:
    v = os.getxattr(sys.argv[1], "security.capability", follow_symlinks=False)
except OSError:
    print("none"); sys.exit()
magic, perm = struct.unpack("<II", v[:8])
rev = magic >> 24
print("v%d" % rev, *(["%d" % struct.unpack("<I", v[20:24])[0]] if rev == 3 else []), "%#x" % perm)
EOP
}
is "$(caps "$S/etc/capcat")" "v2 0x2000" "skeleton file keeps its (v2) capability"

run_ok "create web1" vsdadm create web1 10.202.6.2 web1.example.com
V=$ROOT/vs/web1
base=$(stat -c %u "$V")
# this test's stand-ins for VS processes use host paths into the tree,
# which host users cannot traverse (state_root/vs is 0700; 714): let them
chmod 711 "$ROOT/vs"
ino() { stat -c %i "$1"; }
is "$(ino "$V/usr/bin/capcat")" "$(ino "$S/usr/bin/capcat")" "a shared program with capabilities stays linked"
ok "$([ "$(ino "$V/etc/capcat")" != "$(ino "$S/etc/capcat")" ]; echo $?)" "one in the copy set is the VS's own copy"
is "$(stat -c %u "$V/etc/capcat")" "$base" "owned by the VS's root"
is "$(caps "$V/etc/capcat")" "v3 $base 0x2000" "with a v3 capability for the VS's root"
is "$(caps "$V/etc/app.conf")" "none" "files without capabilities get none"

# run as VS user 1000 inside a user namespace that maps the VS's range,
# as the VS's processes run
cat >"$T/userns.py" <<'EOP'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
base, uid, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    if libc.unshare(0x10000000) != 0:
        os._exit(126)
    os.read(r, 1)
    os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
    os.execv(argv[0], argv)
os.close(r)
time.sleep(0.05)
for f in ("uid_map", "gid_map"):
    with open("/proc/%d/%s" % (pid, f), "w") as fh:
        fh.write("0 %d 65536" % base)
os.write(w, b"x")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOP
capeff() { python3 "$T/userns.py" "$base" 1000 "$1" /proc/self/status | awk '/^CapEff/ {print $2}'; }
is "$(capeff "$V/etc/capcat")" 0000000000002000 "the VS's copy grants cap_net_raw to a VS user"
is "$(capeff "$V/usr/bin/capcat")" 0000000000002000 "so does the shared inode's v2 value (host root's)"
# why v3: the VS owns its copy, and a v2 value would be host root's, good
# for anyone on the host too; v3 names the VS's root, so on the host it
# grants nothing
hosteff() { setpriv --reuid=65000 --regid=65000 --clear-groups "$1" /proc/self/status | awk '/^CapEff/ {print $2}'; }
is "$(hosteff "$V/etc/capcat")" 0000000000000000 "the VS's copy grants nothing to a host user"
cp "$V/etc/capcat" "$T/v2copy" && chown "$base:$base" "$T/v2copy" && chmod 755 "$T/v2copy"
setcap cap_net_raw+ep "$T/v2copy"
is "$(caps "$T/v2copy")" "v2 0x2000" "(a VS-owned copy with a v2 value, as setcap writes it)"
is "$(hosteff "$T/v2copy")" 0000000000002000 "(would grant cap_net_raw on the host)"

# an update that changes the program: the untouched copy is refreshed,
# with its capability made v3 again
FX2=$T/fx2
cp -a "$FX" "$FX2"
cp /usr/bin/cat "$FX2/etc/capcat.new" && printf 'x' >>"$FX2/etc/capcat.new"
mv "$FX2/etc/capcat.new" "$FX2/etc/capcat"
setcap cap_net_admin+ep "$FX2/etc/capcat" || bail "setcap"
run_ok "vsdskel update" vsdskel -q update --from "$FX2"
chmod 711 "$ROOT/vs"	# (vsdskel's start made it 0700 again)
is "$(caps "$V/etc/capcat")" "v3 $base 0x1000" "refreshed copy has the new capability, v3"
is "$(capeff "$V/etc/capcat")" 0000000000001000 "and the kernel grants it in the VS"
run_ok "delete" vsdadm delete web1
done_testing
