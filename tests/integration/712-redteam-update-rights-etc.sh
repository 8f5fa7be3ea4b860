#!/usr/bin/env bash
# Red team: vsdskel update re-links every VS, then has vs_rights_apply
# bring its governed programs (skel.conf `rights`) to the new skeleton.
# That step reads the VS's /etc/passwd and /etc/group, which its admin
# owns: with /etc/group removed (or /etc a symlink) it failed, the VS
# counted as not updated, and the update stayed pending for good: skel.old
# was never removed, and every later `vsdskel update` only resumed the
# old one, so no newer skeleton reached any VS.  One VS's /etc must not
# hold the host's updates; its rights problem is reported like drift.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdskel vsdadm setpriv
new_state_root
host_ids_fixture

SRC=$T/src
fixture_skel "$SRC"
chmod -R u+w "$SRC"
rm -f "$SRC/dev/null" "$SRC/var/lib/fifo"
SC=$T/skel.conf
printf 'copy /etc/*\nrights shell /usr/bin/bash\n' >"$SC"
sed -i "s|^skel_conf .*|skel_conf \"$SC\"|" "$CONF"
make_skel --from "$SRC"
ok "$(grep -q '^shell .* usr/bin/bash$' "$ROOT/state/skel/rights"; echo $?)" "bash is governed"
run_ok "create web1" vsdadm create web1 10.77.12.2 web1.example.com
run_ok "create web2" vsdadm create web2 10.77.12.3 web2.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)
run_ok "web1's root removes its /etc/group" as_vs rm "$V/etc/group"

echo v2 >>"$SRC/etc/motd"
out=$(timeout 60 vsdskel -c "$CONF" update --from "$SRC" 2>&1); rc=$?
is "$rc" 0 "update to v2: done"
ok "$(echo "$out" | grep -q "rights not enforced: cannot read /etc/passwd and /etc/group of 'web1'"; echo $?)" \
	"web1's rights problem is reported"
ok "$([ ! -e "$ROOT/skel.old" ] && [ ! -e "$ROOT/state/skel/pending" ]; echo $?)" \
	"nothing left pending, the old tree removed"
echo v3 >>"$SRC/etc/motd"
run_ok "update to v3" timeout 60 vsdskel -q -c "$CONF" update --from "$SRC"
is "$(tail -1 "$ROOT/skel/etc/motd")" v3 "the skeleton is v3"
is "$(tail -1 "$ROOT/vs/web2/etc/motd")" v3 "web2 follows it"
is "$(tail -1 "$V/etc/motd")" v3 "and web1's files too"
out=$(timeout 60 vsdskel -c "$CONF" --json update --from "$SRC" 2>&1)
ok "$(echo "$out" | grep -q '"ok":true'; echo $?)" "a no-op update answers ok"
done_testing
