#!/usr/bin/env bash
# Red team, the other way round: an ordinary user of the host (not a VS)
# walks into the state root.  state_root/vs, skel and snapshots were
# 0755 (the skeleton's root 0555): such a user could run a VS's set-id
# copies (owned by the VS's root: that user became the VS's root on the
# host's side), plant files in a VS's world-writable /tmp for its
# daemons, read any VS's snapshot (its /etc/shadow), and run the
# skeleton's set-uid-root programs, whatever tree or archive they came
# from (host root).  They are host root's alone now; VS processes never
# use these paths (they see their tree as "/"), and a VS's "/" stays
# 0755 for its own users.  An older state root is tightened at the next
# start of any freeVSD program.  Everything aims at this test's own
# state root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdskel vsdadm vsnap setpriv
new_state_root
host_ids_fixture

# a set-uid-root program in the source tree (an archive may carry any)
FX=$T/fx
make_fixture_tree "$FX"
rm -f "$FX/usr/lib/fifo"
cp /usr/bin/id "$FX/usr/bin/sid" && chmod 4755 "$FX/usr/bin/sid"
chmod 1777 "$FX/tmp"		# a VS's /tmp, world-writable
make_skel --from "$FX"
S=$ROOT/skel
run_ok "create web1" vsdadm create web1 10.77.14.2 web1.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)
is "$(stat -c '%u %a' "$V/usr/bin/sid")" "$base 4755" "the VS's set-uid copy (owner the VS's root)"
snap=$(vsnap -q save web1 -m before) || bail "vsnap save"
sfile=$(find "$ROOT/snapshots" -type f | head -1)
[ -n "$sfile" ] || bail "no snapshot file"

# a host user with no part in any VS
HU=65000
# (setpriv itself execs with the caps it kept: the exec must be a shell's)
as_host() { setpriv --reuid=$HU --regid=$HU --clear-groups -- "$@"; }
out=$(as_host sh -c "'$S/usr/bin/sid' -u" 2>&1)
ok "$([ "$out" != 0 ]; echo $?)" "a host user cannot run the skeleton's set-uid-root program (got: $out)"
out=$(as_host sh -c "'$V/usr/bin/sid' -u" 2>&1)
ok "$([ "$out" != "$base" ]; echo $?)" "nor the VS's set-uid copy as the VS's root (got: $out)"
run_fails "nor plant a file in the VS's /tmp" as_host sh -c "echo x >'$V/tmp/planted'"
ok "$([ ! -e "$V/tmp/planted" ]; echo $?)" "(nothing planted)"
run_fails "nor read a VS file" as_host cat "$V/etc/hostname"
run_fails "nor list the VSs" as_host ls "$ROOT/vs"
run_fails "nor read a snapshot" as_host cat "$sfile"
is "$(stat -c %a "$ROOT/vs"):$(stat -c %a "$S"):$(stat -c %a "$ROOT/snapshots")" \
	"700:500:700" "vs, skel and snapshots are host root's alone"
is "$(stat -c %a "$V")" 755 "a VS's own \"/\" is still every VS user's"
run_ok "the host user still reaches run/ (bevs.sock's directory)" as_host ls "$ROOT/run"

# a state root left by an older version: tightened by the next run
chmod 755 "$ROOT/vs" "$ROOT/snapshots"
chmod 555 "$S"
run_ok "create web2" vsdadm create web2 10.77.14.3 web2.example.com
is "$(stat -c %a "$ROOT/vs"):$(stat -c %a "$S"):$(stat -c %a "$ROOT/snapshots")" \
	"700:500:700" "an older state root is tightened at the next start"
run_ok "delete web1 and web2" sh -c "vsdadm delete web1 && vsdadm delete web2"
done_testing
