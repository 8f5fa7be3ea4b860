#!/usr/bin/env bash
# kill -9 during vsnap save and restore: the VS is exactly as before or
# exactly as the snapshot (never a mix), no half archive is listed, and
# the next save / restore / vsdadm reconcile removes what was left.
source "$(dirname "$0")/../lib/common.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd python3 vsdadm vsnap
new_state_root
host_ids_fixture
tree() { python3 "$VSD_TOP/tests/integration/300-vsnap-tree.py" "$@"; }

mkdir -p "$ROOT/skel"
fixture_skel "$ROOT/skel"
run_ok "create web1" vsdadm create web1 10.77.3.2 web1.example.com
R=$ROOT/vs/web1
B=$(vs_uid web1)
mkdir -p "$R/srv"
for i in $(seq 1 60); do
	head -c 1000000 /dev/urandom >"$R/srv/f$i"
done
chown -R $B:$B "$R/srv"
A=$(tree "$R" "$B" "$ROOT/skel")
id=$(vsnap save web1 -m A) || bail "save"
store=$ROOT/snapshots/web1

# kill -9 during save
for d in 0.02 0.05 0.1 0.2 0.3; do
	vsnap save web1 -m killed >/dev/null 2>&1 &
	pid=$!
	sleep $d
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	bad=0
	for f in "$store"/*.tar.zst; do
		vsnap verify "$f" >/dev/null 2>&1 || bad=1
	done
	ok $bad "save killed after ${d}s: every listed archive is whole"
	is "$(tree "$R" "$B" "$ROOT/skel")" "$A" "save killed after ${d}s: VS untouched"
done
run_ok "a save after the kills" vsnap save web1
is "$(ls -A "$store" | grep -c '^\.tmp-')" 0 "the next save removed half-written archives"

# state B: a changed VS
rm -rf "$R/srv/f1" "$R/etc/passwd"
echo B >"$R/srv/new"
Bt=$(tree "$R" "$B" "$ROOT/skel")

# kill -9 during restore (the child extracting in the new tree dies too)
for d in 0.02 0.1 0.3 0.5 0.8 1.2 3; do
	vsnap restore web1 "$id" >/dev/null 2>&1 &
	pid=$!
	sleep $d
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	sleep 0.1
	now=$(tree "$R" "$B" "$ROOT/skel")
	if [ "$now" = "$A" ]; then state=A; elif [ "$now" = "$Bt" ]; then state=B; else state=mixed; fi
	ok $([ $state != mixed ]; echo $?) "restore killed after ${d}s: VS is whole (state $state)"
	out=$(vsdadm reconcile 2>&1); rc=$?
	ok $rc "reconcile after the kill"
	[ -n "$out" ] && diag "$out"
	is "$(ls -A "$ROOT/vs" | grep -c restore)" 0 "no temporary tree left after reconcile"
	is "$(ls "$ROOT/state/journal" | wc -l)" 0 "journal is empty"
	if [ $state = A ]; then
		# back to a changed state for the next round
		rm -rf "$R/srv/f1" "$R/etc/passwd"; echo B >"$R/srv/new"
		Bt=$(tree "$R" "$B" "$ROOT/skel")
	fi
done
run_ok "a restore after the kills" vsnap restore web1 "$id"
is "$(tree "$R" "$B" "$ROOT/skel")" "$A" "VS is the snapshot"
done_testing
