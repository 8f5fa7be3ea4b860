#!/usr/bin/env bash
# Red team: a VS's disk use counts the inodes its uid range owns; skeleton
# inodes are host root's and cost the VS nothing.  But a VS's root may
# rename its shared files anywhere in its tree (one rename of /usr takes
# them all), and vsdskel update re-links only the names at their
# skeleton paths: the moved ones stay the old skeleton's inodes, which
# nothing but the VS holds once the old tree is removed.  Each update
# then leaves the VS a full skeleton's worth of host disk that its usage
# (vsdadm info, quota_get's used_bytes and over_quota) never showed.  A
# skeleton inode counts as free only where the skeleton has it.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdskel vsdadm setpriv
new_state_root
host_ids_fixture

FX=$T/fx
make_fixture_tree "$FX"
rm -f "$FX/usr/lib/fifo"
head -c $((8 << 20)) /dev/urandom >"$FX/usr/lib/big.so"
make_skel --from "$FX"
run_ok "create web1 with a 4 MB quota" vsdadm create -q 4 web1 10.77.9.2 web1.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)
private() { vsdadm --json info web1 | sed -n 's/.*"private_bytes":\([0-9]*\).*/\1/p'; }
before=$(private)
diag "private bytes of a fresh VS: $before"
ok "$([ "$(stat -c %i "$V/usr/lib/big.so")" = "$(stat -c %i "$ROOT/skel/usr/lib/big.so")" ]; echo $?)" \
	"big.so is the skeleton's inode"

# the VS's root keeps its /usr under another name and lets a fresh one
# be made; the skeleton is updated with a new big.so
run_ok "VS root renames /usr to /usr.keep" as_vs mv "$V/usr" "$V/usr.keep"
run_ok "and makes an empty /usr" as_vs mkdir "$V/usr"
head -c $((8 << 20)) /dev/urandom >"$FX/usr/lib/big.so"
run_ok "vsdskel update" timeout 60 vsdskel -q -c "$CONF" update --from "$FX"
ok "$([ ! -e "$ROOT/skel.old" ]; echo $?)" "the old skeleton tree is gone"
ok "$([ "$(stat -c '%u %h' "$V/usr.keep/lib/big.so")" = "0 1" ]; echo $?)" \
	"the VS alone holds the old big.so (host root's, 1 link: $(stat -c '%u %h' "$V/usr.keep/lib/big.so"))"
after=$(private)
diag "private bytes after the update: $after"
ok "$([ -n "$after" ] && [ "$after" -ge $((before + (8 << 20))) ]; echo $?)" \
	"its usage counts it ($before -> $after bytes)"
# shared: only the skeleton's inodes at their own paths (none of /usr.keep)
n=$(find "$V" -path "$V/usr.keep" -prune -o -type f -uid 0 -print | wc -l)
got=$(vsdadm --json info web1 | sed -n 's/.*"files_shared":\([0-9]*\).*/\1/p')
is "$got" "$n" "files counted as shared: those at their skeleton paths"
done_testing
