#!/usr/bin/env bash
# vsdskel update: files still the old skeleton's are re-linked to the new
# one, per-VS copies refreshed when the VS left them alone, deleted
# skeleton files removed, new ones added, symlinks retargeted; what a VS
# changed is kept and reported.  Symlink traps planted in a VS (file and
# directory replaced by links out of the tree) make update touch nothing
# outside it.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel vsdadm python3
new_state_root
export VSDADM_LOCAL=1	# vsdadm acts on the state root, no vsd needed

FX=$T/fx
make_fixture_tree "$FX"
rm -f "$FX/usr/lib/fifo"
make_skel --from "$FX"
S=$ROOT/skel
run_ok "create web1" vsdadm create web1 10.202.0.2 web1.example.com
run_ok "create web2" vsdadm create web2 10.202.0.3 web2.example.com
W1=$ROOT/vs/web1 W2=$ROOT/vs/web2
base1=$(stat -c %u "$W1")

# web1 changes things the way a package manager does
printf '#!/bin/sh\necho mine\n' >"$W1/usr/bin/tool.new"
mv "$W1/usr/bin/tool.new" "$W1/usr/bin/tool"
echo "edited by web1" >>"$W1/etc/app.conf"
echo "own" >"$W1/usr/lib/vs-own"

# web2 plants traps pointing out of its tree
mkdir -p "$T/canary"
echo canary >"$T/canary/libx.so.1.0"
echo canary >"$T/canary-file"
canary_state() {
	find "$T/canary" "$T/canary-file" -printf '%p %s %n %u %m %T@\n' | sort
	cat "$T/canary-file" "$T/canary/libx.so.1.0"
}
c0=$(canary_state)
rm "$W2/usr/bin/tool"
ln -s "$T/canary-file" "$W2/usr/bin/tool"		# a file -> host file
rm -rf "$W2/var/lib/x"
ln -s "$T/canary" "$W2/var/lib/x"			# a directory -> host dir
mv "$W2/usr/lib" "$W2/usr/lib.moved"
ln -s "$T/canary" "$W2/usr/lib"				# another directory
mkdir "$W2/usr/bin/.#vsdskel-update"			# squats update's temp name
(cd "$W2/tmp" && for i in $(seq 1 300); do mkdir d && cd d || exit 1; done)	# too deep

# a mount inside web1 (as a bind mount left by an admin): never entered
mkdir -p "$T/mcanary"
printf 'x\n' >"$T/mcanary/db.lock"		# same content as the skeleton's
mount --bind "$T/mcanary" "$W1/var/lib/x" || bail "bind mount"
defer umount -l "$W1/var/lib/x"
m0=$(find "$T/mcanary" -printf '%p %s %i %T@\n'; cat "$T/mcanary/db.lock")

# the new skeleton: changed, removed, added, retargeted entries
FX2=$T/fx2
cp -a "$FX" "$FX2"
printf '#!/bin/sh\necho tool v2\n' >"$FX2/usr/bin/tool"
printf 'suid v2\n' >"$FX2/usr/bin/suid"
printf 'conf v2\n' >"$FX2/etc/app.conf"
rm "$FX2/usr/lib/libx.so.1.0" "$FX2/usr/lib/libx-hard.so"
printf 'lib v2\n' >"$FX2/usr/lib/libx.so.2.0"
ln -sfn libx.so.2.0 "$FX2/usr/lib/libx.so.1"
ln -sfn libx.so.2.0 "$FX2/usr/lib/libx-owned.so"
chown -h 1234:1234 "$FX2/usr/lib/libx-owned.so"
mkdir -p "$FX2/usr/share/new"
printf 'new\n' >"$FX2/usr/share/new/file"
printf 'newlib\n' >"$FX2/usr/lib/added.so"
ln "$FX2/usr/lib/added.so" "$FX2/usr/lib/added-hard.so"
printf 'x2\n' >"$FX2/var/lib/x/added"
printf 'x2\n' >"$FX2/var/lib/x/db.lock"

json=$(vsdskel --json update --from "$FX2" 2>"$T/err"); rc=$?
is "$rc" 0 "update succeeds"
[ $rc = 0 ] || diag "$(cat "$T/err")"
ino() { stat -c %i "$1"; }

# web1
is "$(ino "$W1/usr/lib/added.so")" "$(ino "$S/usr/lib/added.so")" "web1: new file linked"
is "$(ino "$W1/usr/lib/added-hard.so")" "$(ino "$S/usr/lib/added.so")" "web1: a new file's second name is the same skeleton inode"
is "$(cat "$W1/usr/bin/tool")" "$(printf '#!/bin/sh\necho mine')" "web1: its own tool kept"
ok "$([ "$(ino "$W1/usr/lib/name with space")" = "$(ino "$S/usr/lib/name with space")" ]; echo $?)" \
	"web1: unchanged shared file re-linked to the new inode"
ok "$([ ! -e "$W1/usr/lib/libx.so.1.0" ] && [ ! -e "$W1/usr/lib/libx-hard.so" ]; echo $?)" \
	"web1: deleted skeleton files removed"
is "$(readlink "$W1/usr/lib/libx.so.1")" "libx.so.2.0" "web1: symlink retargeted"
is "$(ino "$W1/usr/lib/libx.so.1")" "$(ino "$S/usr/lib/libx.so.1")" "web1: retargeted symlink is the new skeleton's (shared)"
is "$(ino "$W1/usr/lib/up-link")" "$(ino "$S/usr/lib/up-link")" "web1: unchanged shared symlink re-linked to the new inode"
is "$(readlink "$W1/usr/lib/libx-owned.so")" "libx.so.2.0" "web1: another owner's symlink retargeted"
is "$(stat -c %u "$W1/usr/lib/libx-owned.so")" "$((base1 + 1234))" "web1: and it is the VS's own, owner shifted"
is "$(cat "$W1/usr/bin/suid")" "suid v2" "web1: set-uid copy refreshed"
is "$(stat -c '%a %u' "$W1/usr/bin/suid")" "4755 $base1" "web1: copy owned by the VS, set-uid"
ok "$([ "$(ino "$W1/usr/bin/suid")" != "$(ino "$S/usr/bin/suid")" ]; echo $?)" \
	"web1: set-uid file is not linked"
grep -q "edited by web1" "$W1/etc/app.conf"; ok $? "web1: edited config kept"
is "$(cat "$W1/usr/lib/vs-own")" "own" "web1: its own file untouched"
is "$(stat -c '%u %a' "$W1/usr/share/new")" "$base1 755" "web1: new directory, VS-owned"
is "$(ino "$W1/usr/share/new/file")" "$(ino "$S/usr/share/new/file")" "web1: file in new directory linked"

is "$(find "$T/mcanary" -printf '%p %s %i %T@\n'; cat "$T/mcanary/db.lock")" "$m0" \
	"web1: nothing under a mount point touched"
umount "$W1/var/lib/x"
is "$(cat "$W1/var/lib/x/db.lock")" "x" "web1: the mount point is left as it was"

# web2
is "$(cat "$W2/etc/app.conf")" "conf v2" "web2: untouched config refreshed"
is "$(readlink "$W2/usr/bin/tool")" "$T/canary-file" "web2: its symlink kept"
is "$(readlink "$W2/usr/lib")" "$T/canary" "web2: its directory symlink kept"
is "$(canary_state)" "$c0" "web2: nothing outside the VS touched"
ok "$([ ! -e "$T/canary/added" ] && [ ! -e "$T/canary/added.so" ]; echo $?)" \
	"web2: nothing added through its symlinks"
ok "$([ -e "$W2/usr/lib.moved/libx.so.1.0" ]; echo $?)" \
	"web2: moved files are the VS's own, left alone"
is "$(cat "$W2/usr/bin/suid")" "suid v2" "web2: updated beside a squatted temporary name"
ok "$([ -d "$W2/usr/bin/.#vsdskel-update" ]; echo $?)" "web2: its directory left alone"

# the drift report
drift=$(printf '%s' "$json" | python3 -c 'import json,sys
d = json.load(sys.stdin)
for s in d["servers"]:
    print(s["name"], s["ok"], ",".join(sorted(s["kept"])))')
is "$(printf '%s' "$drift" | tr '\n' ';')" \
	"web1 True etc/app.conf,usr/bin/tool;web2 True usr/bin/tool,usr/lib,var/lib/x" \
	"drift report per VS (--json)"
ok "$([ ! -e "$ROOT/skel.old" ] && [ ! -e "$ROOT/state/skel/pending" ] &&
	[ -z "$(find "$W1" "$W2" -name '.#vsdskel-update*' ! -type d)" ]; echo $?)" \
	"no temporaries left"
run_ok "new skeleton passes check" vsdskel check

# shared files keep no write bits and stay the skeleton's
w=$(find "$W1" -type f -links +1 -perm /222 | head -3)
is "$w" "" "no linked file in a VS is writable"

# text report, and a no-op update
out=$(vsdskel update --from "$FX2" 2>&1)
case $out in *"skeleton unchanged: nothing to do"*) pass "unchanged skeleton: no-op";;
*) not_ok "unchanged skeleton: no-op"; diag "$out";; esac
echo v3 >>"$FX2/usr/bin/tool"
out=$(vsdskel update --from "$FX2" 2>&1)
case $out in *"web1: "*"relinked"*"kept /usr/bin/tool (changed by the VS)"*)
	pass "text drift report";;
*) not_ok "text drift report"; diag "$out";; esac
done_testing
