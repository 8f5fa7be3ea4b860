#!/usr/bin/env bash
# vsdskel check: every kind of tampering with the skeleton is found and
# listed (write bits, content with the same size and mtime, owner, mode,
# symlink target, added and removed entries); exit 1; --json for scripts.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel python3
new_state_root

FX=$T/fx
make_fixture_tree "$FX"
make_skel --from "$FX"
S=$ROOT/skel
run_ok "fresh skeleton passes" vsdskel check
is "$(vsdskel --json check)" \
	"{\"ok\":true,\"entries\":$(($(wc -l <"$ROOT/state/skel/manifest") - 1)),\"problems\":[]}" \
	"--json on success"

# tamper: same size and mtime, different content
t=$(stat -c %y "$S/usr/bin/tool")
printf '#!/bin/sh\necho TOOL\n' >"$S/usr/bin/tool"
touch -d "$t" "$S/usr/bin/tool"
chmod u+w "$S/usr/lib/libx.so.1.0"
chown 1:1 "$S/etc/app.conf"
chmod 0444 "$S/usr/bin/suid"			# set-uid bit dropped
ln -sfn /etc/shadow "$S/usr/lib/libx.so.1"	# retargeted
echo new >"$S/usr/lib/planted"
chmod 444 "$S/usr/lib/planted"
rm -f "$S/etc/sub/deep.conf"
out=$(vsdskel check 2>&1); rc=$?
is "$rc" 1 "tampered skeleton: exit 1"
expect() {
	printf '%s\n' "$out" | grep -q -- "$1"; ok $? "reports: $1"
}
expect 'modified   /usr/bin/tool (content)'
expect 'writable   /usr/lib/libx.so.1.0 (mode 0644)'
expect 'writable   /usr/lib/libx-hard.so (mode 0644)'	# the same inode
expect 'modified   /etc/app.conf (owner: 1:1, manifest 0:0)'
expect 'modified   /usr/bin/suid (mode: 0444, manifest 4755)'
expect 'modified   /usr/lib/libx.so.1 (target'
expect 'unexpected /usr/lib/planted'
expect 'missing    /etc/sub/deep.conf'
expect "check: '$S': 8 problems"
json=$(vsdskel --json check 2>/dev/null)
is "$(printf '%s' "$json" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(d["ok"], len(d["problems"]), sorted({p["problem"] for p in d["problems"]}))')" \
	"False 8 ['missing', 'modified', 'unexpected', 'writable']" "--json lists the problems"

# a hostile name in the tree is printed escaped, on one line
echo x >"$S/usr/lib/evil
name"
out=$(vsdskel check 2>&1)
printf '%s\n' "$out" | grep -qF 'unexpected /usr/lib/evil\x0aname'; ok $? "odd names escaped"

# no skeleton at all
printf 'state_root "%s"\nlisten none\n' "$T/root2" >"$T/empty.conf"
out=$(vsdskel -c "$T/empty.conf" check 2>&1); rc=$?
is "$rc" 1 "no skeleton: exit 1"
case $out in *"no skeleton in '$T/root2' (run 'vsdskel build')"*) pass "says to build";;
*) not_ok "says to build"; diag "$out";; esac
done_testing
