#!/usr/bin/env bash
# kill -9 in the middle of create and of delete, then a new run: no
# half-VS is visible, the leftover is removed, other VSs and the skeleton
# are intact, and the name can be used again.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S"
fixture_skel "$S" 1	# with ~8,000 headers: a clone takes a while
skel_meta=$(find "$S" -printf '%i %n %m %u %s %p\n' | sort | sha256sum)
run_ok "a VS that must survive" vsdadm create keep 10.77.4.2 keep.example.com
keep_files=$(find "$ROOT/vs/keep" | wc -l)

# wait until PATTERN exists under vs/ (or the process ended), then kill -9
kill_when() {
	local pid=$1 pat=$2 i
	for ((i = 0; i < 20000; i++)); do
		compgen -G "$ROOT/vs/$pat" >/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

caught=0
for round in 1 2 3; do
	vsdadm create -j 1 web1 10.77.4.3 web1.example.com >/dev/null 2>&1 &
	kill_when $! '.new-web1-*/usr/include/*'
	if compgen -G "$ROOT/vs/.new-web1-*" >/dev/null; then
		caught=$((caught + 1))
		ok $([ ! -e "$ROOT/vs/web1" ] && [ ! -e "$ROOT/state/vs/web1" ]; echo $?) \
			"round $round: killed mid-clone, no half-VS visible"
		is "$(vsdadm list | awk '$1 == "web1"' | wc -l)" 0 "round $round: not listed"
		run_ok "round $round: reconcile" vsdadm reconcile
		is "$(ls -A "$ROOT/vs" | grep -c web1)" 0 "round $round: leftover removed"
		is "$(ls -A "$ROOT/state/journal" | wc -l)" 0 "round $round: journal empty"
	else
		# finished before the kill: then it must be whole
		run_ok "round $round: create finished before the kill" vsdadm info web1
		run_ok "round $round: delete" vsdadm delete web1
	fi
done
ok $([ $caught -gt 0 ]; echo $?) "killed mid-create at least once ($caught of 3)"

# the next create of the same name repairs by itself (no reconcile)
vsdadm create -j 1 web1 10.77.4.3 web1.example.com >/dev/null 2>&1 &
kill_when $! '.new-web1-*/usr/include/*'
run_ok "create again after a kill" vsdadm create web1 10.77.4.3 web1.example.com
is "$(ls -A "$ROOT/vs" | tr '\n' ' ')" "keep web1 " "only whole VSs under vs/"

# kill -9 during delete: the next run finishes it
vsdadm delete web1 >/dev/null 2>&1 &
kill_when $! '.del-web1-*'
if [ -e "$ROOT/state/vs/web1" ] && [ -d "$ROOT/vs/web1" ]; then
	diag "delete killed before it began"
	run_ok "delete" vsdadm delete web1
else
	run_ok "reconcile after a killed delete" vsdadm reconcile
fi
ok $([ ! -e "$ROOT/vs/web1" ] && [ ! -e "$ROOT/state/vs/web1" ]; echo $?) "deleted VS fully gone"
is "$(ls -A "$ROOT/vs" | tr '\n' ' ')" "keep " "nothing else under vs/"
is "$(ls -A "$ROOT/state/journal" | wc -l)" 0 "journal empty"
is "$(find "$ROOT/vs/keep" | wc -l)" "$keep_files" "the other VS lost nothing"
run_ok "the other VS still inspectable" vsdadm info keep
run_ok "delete it" vsdadm delete keep
is "$(find "$S" -printf '%i %n %m %u %s %p\n' | sort | sha256sum)" "$skel_meta" "skeleton unchanged (link counts back)"
done_testing
