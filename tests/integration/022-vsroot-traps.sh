#!/usr/bin/env bash
# Symlink traps and mounts planted in a VS tree (or the skeleton) never
# make create or delete touch anything outside it: canaries in this test's
# own state root must come out unchanged.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm setpriv mount umount
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S" "$T/canary/dir"
fixture_skel "$S"
echo canary >"$T/canary/file"
echo canary >"$T/canary/dir/inner"
echo hosts-canary >"$T/canary/hosts"
chmod 644 "$T/canary/file"
canary() { find "$T/canary" -printf '%i %m %u %g %s %p\n' | sort; cat "$T/canary/file" "$T/canary/dir/inner" "$T/canary/hosts"; }
before=$(canary)

# skeleton trap: an absolute symlink where accounts.c writes a file
chmod u+w "$S/etc"
ln -s "$T/canary/hosts" "$S/etc/hosts"
ln -s "$T/canary/file" "$S/etc/hostname"
chmod u-w "$S/etc"
run_ok "create with symlinked etc/hosts in the skeleton" vsdadm create web1 10.77.3.2 web1.example.com
V=$ROOT/vs/web1
is "$(stat -c %F "$V/etc/hosts")" "regular file" "etc/hosts replaced, not followed"
is "$(canary)" "$before" "canaries untouched by create"

# a skeleton whose etc is a symlink out: refused, nothing outside written
mkdir -p "$T/skel2" "$T/root2/state/skel"
cp -a "$S/usr" "$T/skel2/"
ln -s "$T/canary/dir" "$T/skel2/etc"
cat >"$T/vsd2.conf" <<EOC
state_root "$T/root2"
listen none
EOC
mkdir -p "$T/root2"; mv "$T/skel2" "$T/root2/skel"
run_fails "etc symlinked out of the skeleton: create refused" vsdadm -c "$T/vsd2.conf" create bad 10.77.3.9 bad.example.com
is "$(ls -A "$T/root2/vs" | wc -l)" 0 "failed create left nothing"
is "$(canary)" "$before" "canaries untouched"

# the VS's root plants traps in its tree (it owns the directories)
base=$(vs_uid web1)
run_ok "plant symlinks to the canaries" as_vs sh -c "
	ln -s '$T/canary/file' '$V/root/f' &&
	ln -s '$T/canary/dir' '$V/root/d' &&
	ln -s '$T/canary' '$V/tmp/up' &&
	ln -s / '$V/var/rootlink' &&
	mkdir -p '$V/root/deep/a/b/c' && ln -s ../../../../../../../.. '$V/root/deep/a/b/c/dots'"
run_ok "plant 700 nested directories (deeper than the removal's fd budget)" as_vs sh -c "
	cd '$V/root' && mkdir nest && cd nest && for i in \$(seq 699); do mkdir n && cd n || exit 1; done; echo bottom > f; ln -s '$T/canary/file' l"
is "$(find "$V/root/nest" -type d | wc -l)" 700 "700 levels deep"
run_ok "info copes with the depth" vsdadm info web1
run_ok "plant a read-only directory tree" as_vs sh -c "mkdir -p '$V/root/ro/x' && echo y > '$V/root/ro/x/f' && chmod 500 '$V/root/ro/x' '$V/root/ro'"
# mounts inside the VS tree: delete must not cross them (one at the top,
# one three levels down, where the parallel removal's workers meet it)
mkdir -p "$V/mnt" "$V/var/lib/mnt"
mount --bind "$T/canary/dir" "$V/mnt"
defer umount -l "$V/mnt"
mount --bind "$T/canary/dir" "$V/var/lib/mnt"
defer umount -l "$V/var/lib/mnt"
out=$(vsdadm delete web1 2>&1); rc=$?
is "$rc" 1 "delete refuses to cross a mount point"
ok $(echo "$out" | grep -q "mount point"; echo $?) "and says so: $out"
is "$(cat "$T/canary/dir/inner")" canary "mounted canary intact"
ok $([ ! -e "$ROOT/state/vs/web1" ]; echo $?) "record removed, root kept aside for reconcile"
# the root now sits under its .del- name, the mount with it
findmnt -rn -o TARGET | grep -F "$ROOT/vs/.del-web1-" | sort -r | while read -r m; do umount "$m"; done
run_ok "reconcile finishes the delete once unmounted" vsdadm reconcile
is "$(ls -A "$ROOT/vs" | wc -l)" 0 "VS tree gone"
is "$(canary)" "$before" "canaries untouched by delete"
ok $([ -e /usr/bin/ls ] && [ -d "$T/canary/dir" ]; echo $?) "targets of the traps still exist"

# a name under vs/ that is a symlink: create refuses, delete of a record-less name too
ln -s "$T/canary/dir" "$ROOT/vs/web3"
run_fails "create over a planted vs/NAME symlink refused" vsdadm create web3 10.77.3.4 web3.example.com
run_fails "delete of a name without record refused" vsdadm delete web3
is "$(canary)" "$before" "canaries untouched"
done_testing
