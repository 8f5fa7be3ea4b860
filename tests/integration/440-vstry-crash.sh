#!/usr/bin/env bash
# kill -9 of a trial at the start of each step (VSTRY_TEST_STOP_AT stops
# it there), and at random moments of a trial whose package leaves a
# daemon running: the next reconcile removes everything (VS record and
# root, journal entries, cgroups, netns pins, processes, mounts).
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
vstry_setup
P=$PK/vsd-messy-1.0-1.noarch.rpm

stopped() {	# wait until pid is stopped (T) or gone; 1 if gone
	local i st
	for ((i = 0; i < 600; i++)); do
		st=$(awk '/^State:/ {print $2}' /proc/$1/status 2>/dev/null) || return 1
		[ "$st" = T ] && return 0
		[ -z "$st" ] && return 1
		sleep 0.05
	done
	return 1
}

lock_holders() {	# who holds a file of state/lock (diagnostics)
	local f
	find /proc/[0-9]*/fd -lname "$ROOT/state/lock/*" 2>/dev/null |
	while read -r f; do
		diag "$f: $(tr '\0' ' ' <"${f%/fd/*}/cmdline")"
	done
}

# the next reconcile comes after the killed trial's processes are gone:
# wait (up to 5 s) until no process has a trial lock open (a child
# between fork and exec still holds the caller's fds)
unlocked() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -z "$(find /proc/[0-9]*/fd -lname "$ROOT/state/lock/vs.trial-*" \
			-print -quit 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	lock_holders
	return 1
}

for step in "create disposable VS" "start VS" "copy packages in" "record tree" \
	"install" "inspect" "verify" "remove" "record leftovers" "discard VS"; do
	VSTRY_TEST_STOP_AT=$step vstry -q "$P" >/dev/null 2>&1 &
	pid=$!
	if ! stopped $pid; then
		not_ok "'$step': the trial stopped there"
		wait $pid
		continue
	fi
	# what unlocked() waits for is there while the trial lives (its
	# first step takes the lock)
	if [ "$step" != "create disposable VS" ]; then
		[ -n "$(find /proc/$pid/fd -lname "$ROOT/state/lock/vs.trial-*" \
			-print -quit 2>/dev/null)" ]
		ok $? "'$step': the stopped trial holds its lock"
	fi
	kill -9 $pid
	wait $pid 2>/dev/null
	unlocked
	left=$(trial_leftovers)
	case $step in
	"create disposable VS") ;;
	*) ok $([ -n "$left" ]; echo $?) "'$step': killed with work in progress";;
	esac
	run_ok "'$step': reconcile" vsdadm --local reconcile
	is "$(trial_leftovers)" "" "'$step': nothing left after reconcile"
done

# random moments while the package manager and scriptlets run
for delay in 0.3 0.6 0.9 1.2; do
	vstry -q "$P" >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	unlocked
	run_ok "killed after ${delay}s: reconcile" vsdadm --local reconcile
	left=$(trial_leftovers)
	is "$left" "" "killed after ${delay}s: nothing left"
	[ -z "$left" ] || lock_holders
done

# no process of this state root's trials survived (other tests may run
# trials at the same time: look only at this instance's cgroups)
inst=$(vsd_instance)
n=$(grep -l "freevsd-$inst/" /proc/[0-9]*/cgroup 2>/dev/null | wc -l)
is "$n" 0 "no process of a killed trial is running"
done_testing
