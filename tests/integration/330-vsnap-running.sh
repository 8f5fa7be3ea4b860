#!/usr/bin/env bash
# vsnap and a running VS: save works while it runs; restore refuses
# (exit 1, VS untouched and still running) unless --restart, which stops
# it, restores and starts it again on the restored root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
need_cmd vsnap python3
rt_setup
rt_vs web1 10.77.$(( $$ % 200 + 20 )).3
B=$(vs_uid web1)
R=$ROOT/vs/web1
tree() { python3 "$VSD_TOP/tests/integration/300-vsnap-tree.py" "$@"; }

echo one >"$R/root/state"; chown $B:$B "$R/root/state"
run_ok "start" vsboot --start web1
pid=$(rt_init_pid web1)
id=$(vsnap save web1 -m running); ok $? "save a running VS"
echo two >"$R/root/state"
out=$(vsnap restore web1 "$id" 2>&1); rc=$?
is "$rc" 1 "restore of a running VS refused"
ok $(echo "$out" | grep -q "running"; echo $?) "the message says it is running: $out"
is "$(cat "$R/root/state")" two "VS untouched"
is "$(rt_init_pid web1)" "$pid" "still running, same vsinit"
run_ok "restore --restart" vsnap restore --restart web1 "$id"
is "$(cat "$R/root/state")" one "restored"
npid=$(rt_init_pid web1)
ok $([ -n "$npid" ] && [ "$npid" != "$pid" ] && [ -d "/proc/$npid" ]; echo $?) \
	"running again with a new vsinit ($pid -> $npid)"
is "$(bevs web1 cat /root/state)" one "the running VS sees its restored root"
run_ok "stop" vsboot --stop web1
run_ok "restore --restart of a stopped VS" vsnap restore --restart web1 "$id"
ok $([ -z "$(rt_init_pid web1)" ]; echo $?) "a stopped VS stays stopped"
done_testing
