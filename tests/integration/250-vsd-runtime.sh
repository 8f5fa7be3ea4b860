#!/usr/bin/env bash
# 250-vsd-runtime: vsd with running VSs.  Start, stop, restart and reboot
# through vsd; inside the VS, /run/vsd.sock reaches vsd and the in-VS
# tools act for the VS's admin and users with their limits; after a
# restart of vsd the running VS reaches the new daemon; snapshots through
# vsd (save, list, diff, rollback).
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
rt_setup
unset VSDADM_LOCAL
VSD_WAIT=40	# stop + start of a VS take seconds
start_vsd "stop_timeout 3"
IP=10.207.$(( $$ % 200 + 20 )).2
session "vs_create web1 $IP web1.example.com 100 0"$'\nuser_add web1 alice pw\nsetrights web1 alice +login\nEOF\n' >/dev/null
defer vsboot --stop -t 2 web1
out=$(session $'vs_start web1\nvs_start web1\nvs_info web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK started web1$'; ok $? "vs_start"
printf '%s\n' "$out" | grep -q '^+OK web1 is already running$'; ok $? "vs_start again: already running"
printf '%s\n' "$out" | grep -q '^running yes$'; ok $? "vs_info: running yes"

# inside: the VS's socket and the tools the runtime puts in /run/vsd/bin
inside() { timeout 20 bevs "$@"; }
out=$(inside web1 /run/vsd/bin/setrights alice +ftp); rc=$?
is "$rc:$out" "0:alice ftp login" "setrights inside the VS (VS admin)"
inside web1 /run/vsd/bin/setrights alice -login >/dev/null 2>&1
is $? 1 "the VS admin cannot revoke login"
out=$(inside -u alice web1 /run/vsd/bin/listrights); rc=$?
is "$rc:$out" "0:alice ftp login" "listrights as a VS user: own rights"
inside -u alice web1 /run/vsd/bin/setrights alice +gcc >/dev/null 2>&1
is $? 1 "a VS user may not set rights"
inside -u alice web1 /run/vsd/bin/rebootvs >/dev/null 2>&1
is $? 1 "a VS user may not reboot the VS"
run_ok "rebootvs as the VS admin" inside web1 /run/vsd/bin/rebootvs
inside web1 /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$PORT" 2>/dev/null
ok $((! $?)) "the host's vsd port is not reachable from the VS"

# vsd restarts while the VS runs: the VS reaches the new daemon
stop_vsd
inside web1 /run/vsd/bin/listrights alice >/dev/null 2>&1
is $? 3 "vsd down: the tool says temporary failure (3)"
start_vsd
out=$(inside web1 /run/vsd/bin/listrights alice); is "$out" "alice ftp login" "after a vsd restart the VS reaches the new vsd"

# snapshots through vsd
out=$(session $'vs_snapshot web1 "before junk"\nEOF\n' | sed -n 2p)
id=$(echo "$out" | awk '{print $3}')
case $out in "+OK snapshot "*" of web1 saved") pass "vs_snapshot ($id)";; *) not_ok "vs_snapshot: $out";; esac
inside web1 /bin/bash -c 'echo junk > /root/junk'
session "vs_snapshots web1"$'\nEOF\n' | grep -q "^$id [0-9]* [0-9]* \"before junk\"$"
ok $? "vs_snapshots lists it with its message"
session "vs_snapshot_diff web1 $id"$'\nEOF\n' | grep -q '^+ root/junk$'
ok $? "vs_snapshot_diff shows the new file"
out=$(session "vs_rollback web1 $id"$'\nEOF\n' | sed -n 2p)
is "$out" "+OK web1 restored from $id" "vs_rollback of a running VS"
[ ! -e "$ROOT/vs/web1/root/junk" ]; ok $? "the file is gone after the rollback"
session $'vs_info web1\nEOF\n' | grep -q '^running yes$'; ok $? "running again after the rollback"
out=$(vs_session web1 "$(vs_uid web1)" "vs_rollback $id"$'\nEOF\n' | sed -n 2p)
is "${out%% is not*}" "-ERR 403 vs_rollback" "the VS admin may not roll back"
is "$(session "vs_snapshot_del web1 $id"$'\nEOF\n' | sed -n 2p)" "+OK snapshot $id of web1 deleted" "vs_snapshot_del"

out=$(session $'vs_restart web1\nvs_stop web1\nvs_stop web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK restarted web1$'; ok $? "vs_restart"
printf '%s\n' "$out" | grep -q '^+OK stopped web1$'; ok $? "vs_stop"
printf '%s\n' "$out" | grep -q '^+OK web1 was not running$'; ok $? "vs_stop again: was not running"
out=$(session $'vs_start web1\nvs_delete web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK deleted web1$' ||
	{ diag "$out"; false; }
ok $? "vs_delete of a running VS stops it first"
[ ! -e "$ROOT/run/web1.pid" ] && [ ! -e "$ROOT/vs/web1" ]; ok $? "nothing left"
done_testing
