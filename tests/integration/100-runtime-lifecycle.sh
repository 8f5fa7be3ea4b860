#!/usr/bin/env bash
# vsboot: start/stop/restart are idempotent and leave nothing behind (no
# mounts, netns pin, veth, cgroups, processes); kill -9 of vsinit is
# noticed, reported and cleaned; a crash of vsinit and its monitor leaves
# stale state that the next vsboot detects and cleans; a VS root that
# booby-traps its mount points only breaks its own start.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
rt_vs web1 10.77.$(( $$ % 200 + 20 )).2

# the caller holds an fd the monitor must not inherit
exec 9>"$T/caller-fd"
run_ok "start" vsboot --start web1
exec 9>&-
pid=$(rt_init_pid web1)
ok $([ -n "$pid" ] && [ -d "/proc/$pid" ]; echo $?) "vsinit runs (host pid $pid)"
cgs=$(rt_cgroups "$pid")
pidns=$(rt_pidns "$pid")
ok $([ -n "$cgs" ]; echo $?) "vsinit is in the VS's cgroup: $(echo $cgs | head -c 80)"
is "$(vsboot --start web1)" "web1: already running" "second start is a no-op"
is "$(rt_init_pid web1)" "$pid" "same vsinit after the second start"
vsboot --status web1 | grep -q "^web1: running (vsinit pid $pid"
ok $? "status says running with the pid"
vsboot --status --json web1 | grep -q "\"running\": true, \"pid\": $pid"
ok $? "status --json"
for i in $(seq 50); do grep -q "vsinit: ready" "$ROOT/run/web1.log" && break; sleep 0.1; done
grep -q "vsinit: ready" "$ROOT/run/web1.log"
ok $? "vsinit's output reaches the host's log"
ok $([ -e "$ROOT/run/netns/web1" ]; echo $?) "netns pinned while running"

mon=$(cut -d' ' -f3 "$ROOT/run/web1.pid")
held=$(ls -l /proc/$mon/fd | grep -c "caller-fd")
is "$held" 0 "the monitor keeps no fd of its caller (vsd's sockets)"
run_ok "stop" vsboot --stop web1
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "stop leaves nothing behind"
is "$(vsboot --stop web1)" "web1: was not running" "second stop is a no-op"
vsboot --status web1 >/dev/null
is "$?" 1 "status of a stopped VS exits 1"
grep -q "exited with status 0" "$ROOT/run/web1.exit"
ok $? "clean exit recorded"

for i in 1 2 3; do
	vsboot --restart web1 >/dev/null || not_ok "restart $i"
done
pid=$(rt_init_pid web1)
ok $([ -n "$pid" ] && [ -d "/proc/$pid" ]; echo $?) "running after 3 restarts"
run_ok "stop after restarts" vsboot --stop web1
ok $(! grep -q "killed" "$ROOT/run/web1.log"; echo $?) \
	"a stop right after a start is not lost (vsinit exits, is never killed)"
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "restart cycles leave nothing behind"

# kill -9 of vsinit: the monitor notices, reports, cleans up
vsboot --start web1 >/dev/null
pid=$(rt_init_pid web1)
pidns=$(rt_pidns "$pid")
kill -9 "$pid"
for i in $(seq 50); do [ -e "$ROOT/run/web1.pid" ] || break; sleep 0.1; done
vsboot --status web1 | grep -q "killed by signal 9"
ok $? "status reports vsinit killed by signal 9"
grep -q "vsinit (pid $pid) killed by signal 9" "$ROOT/run/web1.log"
ok $? "the log says so too"
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "nothing left after kill -9 of vsinit"

# the monitor alone killed: reported; stop still cleans everything
vsboot --start web1 >/dev/null
pid=$(rt_init_pid web1)
pidns=$(rt_pidns "$pid")
kill -9 "$(cut -d' ' -f3 "$ROOT/run/web1.pid")"
for i in $(seq 50); do
	vsboot --status web1 | grep -q "running.*its monitor is gone" && break
	sleep 0.1
done
vsboot --status web1 | grep -q "running.*its monitor is gone"
ok $? "a lost monitor is reported"
run_ok "stop without a monitor" vsboot --stop web1
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "nothing left after stopping a VS whose monitor died"

# crash of monitor and vsinit together (as after a host crash): stale
vsboot --start web1 >/dev/null
pid=$(rt_init_pid web1)
mon=$(cut -d' ' -f3 "$ROOT/run/web1.pid")
pidns=$(rt_pidns "$pid")
kill -9 "$mon" "$pid"
sleep 0.3
ok $([ -e "$ROOT/run/web1.pid" ]; echo $?) "pid file left by the crash"
out=$(vsboot --status web1)
echo "$out" | grep -q "stale state of a dead VS found and cleaned"
ok $? "status detects the stale state"
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "stale cgroup, netns and pid file cleaned"
run_ok "start after the crash" vsboot --start web1
run_ok "stop" vsboot --stop web1

# a pid file naming a live host process that is not our vsinit
sleep 60 & decoy=$!
defer kill $decoy
echo "$decoy 1 $decoy $(date +%s)" >"$ROOT/run/web1.pid"
vsboot --stop web1 >/dev/null
ok $([ -d "/proc/$decoy" ]; echo $?) "a reused pid is never signalled"

# booby-trapped mount points: /proc -> host /etc, /dev -> a file
V=$ROOT/vs/web1
mv "$V/proc" "$V/proc.real"
ln -s ../../../../../../etc "$V/proc"
run_fails "start refuses a symlinked /proc" vsboot --start web1
vsboot --start web1 2>&1 | grep -q "proc"
ok $? "the error names /proc"
is "$(rt_leftovers web1 "$cgs" "$pidns")" "" "a failed start leaves nothing behind"
rm "$V/proc"; mv "$V/proc.real" "$V/proc"

# --nonet: a network namespace with loopback only (vstry)
run_ok "start --nonet" vsboot --start --nonet web1
is "$(bevs web1 cat /proc/net/dev | grep -c eth0)" 0 "--nonet: no eth0"
is "$(bevs web1 cat /proc/net/dev | grep -c ' lo:')" 1 "--nonet: loopback only"
run_ok "stop" vsboot --stop web1

# errors
run_fails "unknown VS" vsboot --start nosuch
vsboot --start nosuch 2>&1 | grep -q "nosuch"
ok $? "the error names the VS"
vsboot --start >/dev/null 2>&1
is "$?" 2 "usage error exits 2"
vsboot --frobnicate web1 >/dev/null 2>&1
is "$?" 2 "unknown option exits 2"
done_testing
