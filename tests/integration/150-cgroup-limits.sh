#!/usr/bin/env bash
# cgroup limits are really applied (whichever backend this host has: v1
# here, v2 in the qemu guest): a fork loop stops at pids_max, a memory hog
# is OOM-killed inside its cgroup, per-VS overrides win, re-creating
# re-applies, destroy leaves nothing.  Hostile names are refused.
. "$(dirname "$0")/../lib/common.sh"
need_root
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H (make build/tests/vs-cgnet)"
new_state_root
cat >>"$CONF" <<EOC
memory_max 48
pids_max 16
cpu_weight 50
cpu_quota 50
vs big {
	pids_max 40
	memory_max 96
}
EOC
backend=$($H cg backend)
[ "$backend" = none ] && skip_all "no usable cgroup hierarchy"
inst=$($H instance)
diag "backend $backend, instance $inst"
defer "$H cg destroy web"
defer "$H cg destroy big"

# every directory this instance owns, in any hierarchy
our_dirs() {
	find /sys/fs/cgroup -maxdepth 3 -type d -name "freevsd-$inst" \
	    2>/dev/null
}
field() { $H cg usage "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

run_ok "create web with the global limits" $H cg create web
run_ok "create big with its overrides" $H cg create big
is "$(field web memory_max)" $((48 << 20)) "web: memory limit 48 MiB"
is "$(field web pids_max)" 16 "web: pids limit 16"
is "$(field big memory_max)" $((96 << 20)) "big: override memory 96 MiB"
is "$(field big pids_max)" 40 "big: override pids 40"

if [ "$backend" = v1 ]; then
	d=$(dirname "$(our_dirs | grep /cpu/)")/freevsd-$inst/web
	is "$(cat "$d/cpu.shares")" 512 "v1: cpu_weight 50 -> cpu.shares 512"
	is "$(cat "$d/cpu.cfs_quota_us")" 50000 "v1: cpu_quota 50% -> 50 ms / 100 ms"
	m=$(our_dirs | grep /memory/)/web
	is "$(cat "$m/memory.memsw.limit_in_bytes" 2>/dev/null || echo $((48 << 20)))" \
	    $((48 << 20)) "v1: no swap beyond the memory limit"
else
	d=$(our_dirs | head -1)/web
	is "$(cat "$d/cpu.weight")" 50 "v2: cpu.weight 50"
	is "$(cat "$d/cpu.max")" "50000 100000" "v2: cpu.max 50%"
	is "$(cat "$d/memory.swap.max" 2>/dev/null || echo 0)" 0 \
	    "v2: no swap beyond the memory limit"
fi

# fork loop: at most 16 tasks (the helper itself is one)
out=$($H cg run web $H forkloop 200)
n=$(echo "$out" | awk '{ print $2 }')
diag "fork loop: $out"
[ -n "$n" ] && [ "$n" -lt 16 ] && [ "$n" -gt 5 ]
ok $? "fork loop stopped by pids_max (forked $n of 200)"
case $out in *EAGAIN*) pass "fork fails with EAGAIN";;
	*) not_ok "fork fails with EAGAIN ($out)";; esac
run_ok "the host still forks" /bin/true

# memory hog: killed by the OOM killer inside its cgroup, not the host's
$H cg run web $H hog 400 >/dev/null 2>&1
is "$?" 137 "a 400 MiB hog in a 48 MiB cgroup dies of SIGKILL"
k=$(field web oom_kills)
[ "$k" -ge 1 ] 2>/dev/null
ok $? "the kill is the cgroup's OOM kill (oom_kills $k)"
$H cg run big $H hog 40 >/dev/null 2>&1
is "$?" 0 "a 40 MiB program in the 96 MiB VS runs to its end"

# re-create re-applies changed limits (vsd reload)
sed -i 's/^pids_max 16/pids_max 30/' "$CONF"
run_ok "create again (idempotent)" $H cg create web
is "$(field web pids_max)" 30 "changed pids_max applied to the existing cgroup"

# usage while something runs
$H cg run web sleep 30 &
sp=$!
for _ in $(seq 50); do [ "$($H cg procs web | wc -l)" -ge 1 ] && break; sleep 0.1; done
is "$($H cg procs web | wc -l)" 1 "procs lists the running process"
[ "$(field web memory)" -gt 0 ] 2>/dev/null
ok $? "usage reports memory in use"
run_ok "kill" $H cg kill web
wait $sp
is "$?" 137 "the process was SIGKILLed"
is "$($H cg procs web | wc -l)" 0 "the cgroup is empty"

# hostile names never reach the cgroup tree
for bad in ../x a/b .. "" "web/../../x" "-x" "A"; do
	run_fails "name '$bad' refused" $H cg create "$bad"
done
[ -z "$(find /sys/fs/cgroup -maxdepth 2 -name x -newer "$CONF" 2>/dev/null)" ]
ok $? "nothing created outside freevsd-$inst"

run_ok "destroy web" $H cg destroy web
run_ok "destroy big" $H cg destroy big
run_ok "destroy again (idempotent)" $H cg destroy web
is "$(our_dirs)" "" "no cgroup of this instance left in any hierarchy"
done_testing
