#!/usr/bin/env bash
# Red team: vsdskel update makes each new entry of a VS under a temporary
# name beside it (.#vsdskel-update, or .#vsdskel-update.N when the VS has
# a directory there) and renames it into place.  The names were
# predictable: a VS's root that made directories under all 100 of them in
# /usr/bin failed its re-link on every run, so the update stayed pending
# for good (skel.old kept, no later skeleton installed) for every VS on
# the host.  The fallback names must be ones a VS cannot guess.
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
make_skel --from "$FX"
run_ok "create web1" vsdadm create web1 10.77.13.2 web1.example.com
run_ok "create web2" vsdadm create web2 10.77.13.3 web2.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)
run_ok "web1's root squats the temporary names in /usr/bin" as_vs sh -c '
	mkdir "$1/.#vsdskel-update" || exit 1
	i=1; while [ $i -lt 1000 ]; do mkdir "$1/.#vsdskel-update.$i" || exit 1; i=$((i + 1)); done
	echo mine >"$1/.#vsdskel-update/keep"' sh "$V/usr/bin"

printf '#!/bin/sh\necho tool v2\n' >"$FX/usr/bin/tool"
out=$(timeout 60 vsdskel -c "$CONF" update --from "$FX" 2>&1); rc=$?
is "$rc" 0 "update: done ($(echo "$out" | grep -m1 -i 'error\|cannot\|not updated'))"
ok "$([ ! -e "$ROOT/skel.old" ] && [ ! -e "$ROOT/state/skel/pending" ]; echo $?)" \
	"nothing left pending"
is "$(tail -1 "$V/usr/bin/tool")" "echo tool v2" "web1 has the new tool"
is "$(tail -1 "$ROOT/vs/web2/usr/bin/tool")" "echo tool v2" "web2 too"
is "$(cat "$V/usr/bin/.#vsdskel-update/keep" 2>/dev/null)" mine "web1's directories are left alone"
is "$(find "$V/usr/bin" -maxdepth 1 -name '.#vsdskel-update*' | wc -l)" 1000 "and nothing else is left beside them"
done_testing
