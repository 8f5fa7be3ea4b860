#!/usr/bin/env bash
# Resource limits from vsd.conf reach a running VS through its cgroup: a
# fork bomb inside stops at pids_max while the host keeps forking, and
# stopping the VS ends it; a memory hog is OOM-killed inside the VS's
# cgroup and the VS (and host) go on.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
cat >>"$CONF" <<EOC
pids_max 40
memory_max 64
stop_timeout 3
EOC
rt_vs web1 10.81.$(( $$ % 200 + 20 )).2
vsboot --start web1 >/dev/null || bail "start"
pid=$(rt_init_pid web1)
# the directory (v1 pids hierarchy or the v2 cgroup) that has pids.max
pcg=
for d in $(rt_cgroups "$pid"); do
	[ -e "$d/pids.max" ] && { pcg=$d; break; }
done
ok $([ -n "$pcg" ]; echo $?) "VS has a pids cgroup ($pcg)"
is "$(cat "$pcg/pids.max" 2>/dev/null)" 40 "pids_max applied"
# never run a real fork bomb that nothing bounds: it would take the host down
[ "$(cat "$pcg/pids.max" 2>/dev/null)" = 40 ] ||
	bail "no pids limit on the VS: not running the fork bomb"

out=$(bevs web1 vsprobe forkbomb 1000)
n=$(echo "$out" | sed -n 's/^forked \([0-9]*\) .*/\1/p')
ok $([ -n "$n" ] && [ "$n" -lt 40 ]; echo $?) "fork loop stops at the limit: $out"

# a real bomb, bounded in time; the host must still fork meanwhile
# (ulimit -u is a second bound should the cgroup fail: the VS's root is
# one host uid, so RLIMIT_NPROC caps the bomb at 400 whatever happens)
bevs web1 bash -c 'ulimit -u 400; b() { b | b & }; b' >/dev/null 2>&1 &
bomb=$!
sleep 2
hostok=0
for i in $(seq 20); do /bin/true && hostok=$((hostok + 1)); done
is "$hostok" 20 "the host still forks during the bomb"
cur=$(cat "$pcg/pids.current")
ok $([ "$cur" -le 40 ]; echo $?) "the VS holds at most pids_max tasks ($cur)"
run_ok "stop ends the bomb" vsboot --stop -t 1 web1
wait $bomb 2>/dev/null
ok $([ ! -e "$pcg" ] || [ "$(cat "$pcg/pids.current" 2>/dev/null || echo 0)" = 0 ]; echo $?) \
	"no task of the VS left"

vsboot --start web1 >/dev/null || bail "restart"
out=$(bevs web1 vsprobe memhog 512 2>&1); rc=$?
is "$rc" 137 "memory hog killed (SIGKILL by the OOM killer): $out"
run_ok "the VS goes on after the OOM kill" bevs web1 true
done_testing
