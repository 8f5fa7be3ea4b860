#!/usr/bin/env bash
# Red team: vsredirect out of descriptors.  Since the relay keeps an
# accepted connection that finds no descriptor for its pipe waiting
# (the `starved` list) instead of resetting it, a flood of connections
# that each sent some data filled every descriptor with connections that
# each held two and waited for two more: none could move, and no other
# VS was served until the idle timeout closed them (600 s by default),
# batch after batch from the listen backlog, even after the flooding
# client had gone.  A starved connection now waits a bounded time.  Only
# loopback and the test's own network namespaces.
. "$(dirname "$0")/../lib/common.sh"
new_state_root
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
need_cmd prlimit

A=$NET.2 B=$NET.3
vs_up flood 1 "$A" || bail "cannot build the VS network"
vs_up calm 2 "$B" || bail "cannot build the VS network"
peer_bg flood serve "$A" 8080 halfclose
peer_bg calm serve "$B" 8080 halfclose
# 40 descriptors, an idle timeout of 90 s (longer than the bound below)
prlimit --nofile=40:40 vsredirect -R -d -v -M 1000 -m 1000 -i 90 \
	>>"$T/vsredirect.log" 2>&1 &
VSR_PID=$!; defer "kill $VSR_PID"
wait_until 10 bash -c "grep -c 'ready:' $T/vsredirect.log | grep -q 2"
out=$(peer halfclose "$B" 80 1); ok $? "calm is served before the flood ($out)"

# 100 connections to the flooded VS, 1 KiB on each every 10 ms for 4 s
cat >"$T/flood.py" <<'P'
import socket, sys, time
ip, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
cs = []
for i in range(n):
    try:
        c = socket.create_connection((ip, 80), timeout=2)
        c.setblocking(False); cs.append(c)
    except OSError:
        pass
end, blk = time.time() + secs, b"x" * 1024
while time.time() < end:
    for c in cs:
        try: c.send(blk)
        except OSError: pass
    time.sleep(0.01)
print(len(cs))
P
cpu0=$(awk '{print $14 + $15}' "/proc/$VSR_PID/stat")
n=$(python3 "$T/flood.py" "$A" 100 4)
diag "flood: $n connections, then the client is gone"
wait_until 5 grep -q "accepting paused" "$T/vsredirect.log"
ok $? "the flood took every descriptor (accepting paused)"
# the other VS is served again well before the idle timeout
t0=$SECONDS served=1
while [ $((SECONDS - t0)) -lt 30 ]; do
	timeout 3 python3 "$NETSVC_PEER" halfclose "$B" 80 1 >/dev/null 2>&1 && { served=0; break; }
	sleep 0.2
done
ok $served "calm is served again within 30 s of the flood's end (idle timeout 90 s)"
diag "calm served again after $((SECONDS - t0)) s; vsredirect CPU during all this: $(( $(awk '{print $14 + $15}' "/proc/$VSR_PID/stat") - cpu0 )) ticks"
kill -0 $VSR_PID; ok $? "vsredirect still runs"
fails=0
for i in 1 2 3 4 5; do
	out=$(peer halfclose "$B" 80 1 2>&1) || { fails=$((fails + 1)); echo "# $out"; }
done
is "$fails" 0 "and every time (5 in a row)"
netsvc_done
