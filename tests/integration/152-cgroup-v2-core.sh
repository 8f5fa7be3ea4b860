#!/usr/bin/env bash
# The cgroup v2 backend's core (create, attach, procs, cgroup.kill or the
# freeze loop, destroy) on whatever unified hierarchy the host has.  On a
# v1 host like the build machine the unified hierarchy carries no
# controllers: limits must then fail with a clear error, never silently.
# (Limits on v2 are tested by 150 inside the qemu guest.)
. "$(dirname "$0")/../lib/common.sh"
need_root
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
export VSD_CGROUP=v2
[ "$($H cg backend)" = v2 ] || skip_all "no cgroup2 hierarchy mounted"
root=$(findmnt -rn -t cgroup2 -o TARGET | head -1)
inst=$($H instance)
diag "cgroup2 at $root, controllers: $(cat "$root/cgroup.controllers")"
defer "$H cg destroy core"

run_ok "create (no limits)" $H cg create core 0 0 0 0 0
ok "$([ -d "$root/freevsd-$inst/core" ]; echo $?)" "cgroup at $root/freevsd-$inst/core"
if grep -qw memory "$root/cgroup.controllers"; then
	run_ok "memory limit set" $H cg create core 32 0 0 0 0
else
	out=$($H cg create core 32 0 0 0 0 2>&1)
	ok "$([ $? -ne 0 ]; echo $?)" "memory limit without a memory controller fails"
	case $out in *"memory.max"*"not available"*) pass "error names the missing control";;
		*) not_ok "error names the missing control: $out";; esac
fi

$H cg run core bash -c 'sleep 300 & sleep 300 & exec sleep 300' &
bg=$!
for _ in $(seq 50); do [ "$($H cg procs core | wc -l)" -ge 3 ] && break; sleep 0.1; done
is "$($H cg procs core | wc -l)" 3 "procs lists the three processes"
grep -q "^0::/freevsd-$inst/core\$" /proc/"$($H cg procs core | head -1)"/cgroup
ok $? "/proc/PID/cgroup shows the v2 cgroup"
if [ -e "$root/freevsd-$inst/core/cgroup.kill" ]; then diag "killing with cgroup.kill"
else diag "killing with the freeze loop"; fi
run_ok "kill" $H cg kill core
wait $bg
is "$?" 137 "the process was SIGKILLed"
is "$($H cg procs core | wc -l)" 0 "empty after kill"

# the fallback of kernels without cgroup.kill: freeze, kill, thaw, repeat,
# against a forking tree.  Bounded by its depth (3+9+27+81 processes):
# this hierarchy may have no pids controller to stop it.
$H cg run core bash -c 'f() { [ $1 -gt 0 ] || exec sleep 300
	for i in 1 2 3; do (f $(($1 - 1)) &); sleep 0.05; done; exec sleep 300; }; f 4' \
    >/dev/null 2>&1 &
bg=$!
sleep 1
diag "storm: $($H cg procs core | wc -l) processes"
run_ok "kill without cgroup.kill (freeze loop)" env VSD_CGROUP_NOKILL=1 $H cg kill core
is "$($H cg procs core | wc -l)" 0 "empty after the freeze loop"
is "$(cat "$root/freevsd-$inst/core/cgroup.freeze" 2>/dev/null || echo 0)" 0 \
    "the cgroup is left thawed"
wait $bg 2>/dev/null
run_ok "destroy" $H cg destroy core
ok "$([ ! -e "$root/freevsd-$inst" ]; echo $?)" "no freevsd-$inst left under $root"

# a private cgroup2 mount: the kernel allows it, but it is the same
# unified hierarchy (same controllers), so it gives v2 nothing new here
m=$T/cg2
mkdir "$m"
if mount -t cgroup2 none "$m" 2>/dev/null; then
	defer "umount $m"
	is "$(cat "$m/cgroup.controllers")" "$(cat "$root/cgroup.controllers")" \
	    "a private cgroup2 mount shows the same controllers"
	umount "$m"
else
	diag "the kernel refuses a private cgroup2 mount"
fi
done_testing
