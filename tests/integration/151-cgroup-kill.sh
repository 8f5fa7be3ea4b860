#!/usr/bin/env bash
# vs_cgroup_kill empties a cgroup whatever runs in it: a bounded fork
# storm, processes that ignore SIGTERM, stopped ones, deep process trees
# whose parents already died; processes outside are never touched.
. "$(dirname "$0")/../lib/common.sh"
need_root
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
echo "pids_max 300" >>"$CONF"
[ "$($H cg backend)" = none ] && skip_all "no usable cgroup hierarchy"
defer "$H cg destroy storm"
defer "kill -9 \$outside 2>/dev/null"

sleep 300 &
outside=$!
run_ok "create" $H cg create storm

# a fork storm (bounded by pids_max 300): every process forks forever
$H cg run storm bash -c 'f() { while :; do (f &) 2>/dev/null; sleep 0.01; done; }; f' \
    >/dev/null 2>&1 &
bg=$!
# processes that ignore TERM, a stopped one, an orphaned tree
$H cg run storm bash -c 'trap "" TERM; exec sleep 300' &
bg="$bg $!"
$H cg run storm bash -c 'sleep 300 & kill -STOP $!; wait' &
bg="$bg $!"
$H cg run storm bash -c '(setsid bash -c "sleep 300 & sleep 300" &) ; exit 0' &
bg="$bg $!"
for _ in $(seq 50); do
	[ "$($H cg procs storm | wc -l)" -ge 50 ] && break; sleep 0.1
done
n=$($H cg procs storm | wc -l)
[ "$n" -ge 20 ]
ok $? "the storm is running ($n processes)"

run_ok "kill" $H cg kill storm
is "$($H cg procs storm | wc -l)" 0 "the cgroup is empty right after kill returns"
sleep 0.3
is "$($H cg procs storm | wc -l)" 0 "and stays empty (nothing forked during the kill)"
kill -0 $outside
ok $? "a process outside the cgroup survives"
wait $bg 2>/dev/null

run_ok "kill an empty cgroup" $H cg kill storm
run_ok "destroy" $H cg destroy storm
run_ok "kill a missing cgroup is success" $H cg kill storm
run_fails "procs of a missing cgroup fails" $H cg procs storm
done_testing
