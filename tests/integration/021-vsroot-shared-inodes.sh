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
as_vs() { setpriv --reuid="$base" --regid="$base" --clear-groups -- "$@"; }
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
