#!/usr/bin/env bash
# Floods are bounded (relay mode, -R): a per-VS limit holds while another VS is served,
# the global limit holds, idle connections are closed, and running out
# of file descriptors pauses accepting instead of killing the daemon.
. "$(dirname "$0")/../lib/common.sh"
new_state_root
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
need_cmd prlimit

A=$NET.2 B=$NET.3
vs_up flood 1 "$A" || bail "cannot build the VS network"
vs_up calm 2 "$B" || bail "cannot build the VS network"
peer_bg flood serve "$A" 8080 hold "$T/held"
peer_bg calm serve "$B" 8080 halfclose

start_vsredirect -R -M 5 -m 8 -i 2 || bail "vsredirect did not start"
wait_until 5 grep -q "calm: $B:80" "$T/vsredirect.log"

# 40 connections at VS "flood": 5 reach its daemon, the rest are reset
peer hold "$A" 80 40 1 >"$T/alive" &
HOLD=$!
wait_until 5 bash -c "[ \"\$(cat $T/held 2>/dev/null)\" = 5 ]"
ok $? "per-VS limit: 5 of 40 connections reached the flooded VS"
out=$(peer halfclose "$B" 80 1); ok $? "meanwhile the other VS is served ($out)"
wait $HOLD
is "$(cat "$T/alive")" 5 "the 35 others were reset at once"
sleep 0.3
is "$(cat "$T/held")" 5 "and never reached the daemon"

# global limit 8: 5 idle at "flood" count; "calm" gets only 3.  The
# first 5 are half-closed (the client left, the daemon holds): the idle
# timeout ends them
sleep 2.5
peer_bg calm serve "$B" 8081 hold "$T/held2"
printf 'redirect 81 to 8081\n' >"$ROOT/state/redirect/calm"
kill -HUP $VSR_PID
wait_until 5 grep -q "calm: $B:81 -> 8081" "$T/vsredirect.log"
peer hold "$A" 80 5 30 >/dev/null &
H1=$!
wait_until 5 bash -c "[ \"\$(cat $T/held)\" = 10 ]"
ok $? "5 more held at flood (the earlier ones were closed)"
is "$(peer hold "$B" 81 6 0.5)" 3 "global limit: only 3 more anywhere"

# idle timeout 2 s: held connections are closed by vsredirect
is "$(peer hold "$A" 80 2 3.5)" 0 "idle connections closed after 2 s"
kill $H1 2>/dev/null; wait $H1 2>/dev/null

# EMFILE: with 40 descriptors a flood exhausts them; vsredirect pauses,
# survives, and serves again afterwards
kill $VSR_PID; wait $VSR_PID
prlimit --nofile=40:40 vsredirect -R -d -v -M 1000 -m 1000 -i 1 \
	>>"$T/vsredirect.log" 2>&1 &
VSR_PID=$!; defer "kill $VSR_PID"
wait_until 10 bash -c "grep -c 'ready:' $T/vsredirect.log | grep -q 2"
peer hold "$A" 80 30 1 >/dev/null
wait_until 5 grep -q "accepting paused" "$T/vsredirect.log"
ok $? "out of descriptors: accepting paused ($(grep -m1 "accepting paused" "$T/vsredirect.log" | cut -c13-80))"
kill -0 $VSR_PID; ok $? "vsredirect still runs"
# the idle timeout (1 s) frees the held connections; then it serves
wait_until 8 peer halfclose "$B" 80 1
ok $? "and serves again after the flood"
# the backlog the flood left is drained while these run: none is reset
fails=0
for i in 1 2 3 4 5 6 7 8; do
	out=$(peer halfclose "$B" 80 1 2>&1) || { fails=$((fails + 1)); echo "# $out"; }
done
is "$fails" 0 "every time (8 in a row)"
netsvc_done
