#!/usr/bin/env bash
# 240-vsd-init: conf/vsd.init start/stop/restart/status tell the truth,
# also after a kill -9 (stale pid file); the daemonised vsd serves.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
need_root
need_cmd socat flock
new_state_root
cat >"$CONF" <<EOC
state_root "$ROOT"
secret_file "$T/secret"
listen none
EOC
export VSD=$VSD_BUILD/vsd VSD_CONF=$CONF
I=$VSD_TOP/conf/vsd.init
defer "$I stop"
"$I" status >/dev/null; is $? 3 "status before start: not running (3)"
run_ok "start" "$I" start
out=$("$I" status); is $? 0 "status: running (0)"
pid=$(cat "$ROOT/run/vsd.pid")
case $out in *"pid $pid"*) pass "status names the pid";; *) not_ok "status: $out";; esac
session $'vs_list\nEOF\n' | grep -q '^+OK 0 servers'; ok $? "the daemonised vsd serves"
"$I" start | grep -q 'already running'; ok $? "second start: already running"
kill -9 "$pid"; sleep 0.3
out=$("$I" status); rc=$?
is "$rc:$out" "1:vsd is not running (stale pid file)" "after kill -9: stale pid file reported"
run_ok "start after a crash" "$I" start
run_ok "restart" "$I" restart
[ "$(cat "$ROOT/run/vsd.pid")" != "$pid" ]; ok $? "restart: a new process"
run_ok "reload" "$I" reload
run_ok "stop" "$I" stop
"$I" status >/dev/null; is $? 1 "status after stop: pid file left, not running"
"$I" bogus 2>/dev/null; is $? 2 "unknown action: 2"
done_testing
