#!/usr/bin/env bash
# vsinit: starts the VS's services as their users, restarts by policy,
# reaps orphans, SIGHUP (vsboot --reload) restarts services and keeps the
# old list when the new one is broken, SIGTERM stops services in reverse
# order and kills one that ignores it after the grace period; vsinit -n
# checks a service file.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
echo "stop_timeout 4" >>"$CONF"
rt_vs web1 10.80.$(( $$ % 200 + 20 )).2
V=$ROOT/vs/web1
L=$ROOT/run/web1.log
base=$(vs_uid web1)
mkdir -p "$V/etc/vsd"
cat >"$V/etc/vsd/services" <<'EOF2'
# name   user    restart     command
first    root    always      /usr/bin/sleep 300
second   daemon  always      /usr/bin/bash -c "echo second-as-$(id -u); exec sleep 301"
oneshot  root    never       /usr/bin/bash -c "echo oneshot-done"
flaky    root    on-failure  /usr/bin/bash -c "echo flaky-run; exit 3"
stubborn root    always      /usr/bin/bash -c "trap '' TERM; while :; do sleep 0.2; done"
EOF2
chown -R "$base:$base" "$V/etc/vsd"

run_ok "vsinit -n accepts the file" vsinit -n -f "$V/etc/vsd/services"
printf 'bad root sometimes /bin/true\nx\n' >"$T/bad"
out=$(vsinit -n -f "$T/bad" 2>&1); rc=$?
ok $([ $rc -eq 1 ] && echo "$out" | grep -q "bad:1:.*sometimes" &&
	echo "$out" | grep -q "bad:2:"; echo $?) "vsinit -n reports every broken line: $(echo $out)"
vsinit 2>/dev/null; is $? 1 "vsinit refuses to run as anything but PID 1"

vsboot --start web1 >/dev/null || bail "start"
rt_wait_log "$L" "service flaky .*exited with status 3; restart in" || diag "flaky slow"
for i in $(seq 50); do [ "$(grep -c flaky-run "$L")" -ge 2 ] && break; sleep 0.1; done
rt_wait_log "$L" "oneshot-done"
rt_wait_log "$L" "second-as-1"
for s in first second oneshot flaky stubborn; do
	grep -q "started service $s (pid" "$L"; ok $? "service $s started"
done
grep -q "second-as-1" "$L"; ok $? "service runs as its user (daemon = uid 1)"
grep -q "oneshot-done" "$L"; ok $? "service output reaches the log"
grep -q "service oneshot (pid [0-9]*) exited with status 0$" "$L"
ok $? "restart never: oneshot not restarted"
n=$(grep -c "flaky-run" "$L")
ok $([ "$n" -ge 2 ]; echo $?) "restart on-failure: flaky ran $n times"
grep -q "service flaky (pid [0-9]*) exited with status 3; restart in" "$L"
ok $? "failure and back-off logged"

p=$(grep -o "started service first (pid [0-9]*)" "$L" | tail -1 | grep -o "[0-9]*)" | tr -d ')')
bevs web1 bash -c "kill $p"
rt_wait_log "$L" "service first \(pid $p\) killed by signal 15"
for i in $(seq 30); do [ "$(grep -c "started service first" "$L")" -ge 2 ] && break; sleep 0.1; done
grep -q "service first (pid $p) killed by signal 15; restart in" "$L"; ok $? "killed service noticed"
is "$(grep -c "started service first" "$L")" 2 "always: restarted"

bevs web1 bash -c '(sleep 0.2 &); sleep 0.6'
sleep 0.3
z=$(bevs web1 bash -c 'cat /proc/[0-9]*/stat 2>/dev/null' | awk '$3 == "Z"' | wc -l)
is "$z" 0 "orphans are reaped by vsinit"

: >"$T/mark"; before=$(wc -l <"$L")
run_ok "reload" vsboot --reload web1
sleep 3
tail -n +"$before" "$L" >"$T/reload"
grep -q "SIGHUP: restarting services" "$T/reload"; ok $? "SIGHUP restarts services"
a=$(grep -n "stopping service second" "$T/reload" | cut -d: -f1 | head -1)
b=$(grep -n "stopping service first" "$T/reload" | cut -d: -f1 | head -1)
ok $([ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; echo $?) "stopped in reverse order"
grep -q "started service first" "$T/reload"; ok $? "and started again"

echo "broken line" >>"$V/etc/vsd/services"
before=$(wc -l <"$L")
vsboot --reload web1 >/dev/null
sleep 3
tail -n +"$before" "$L" >"$T/reload2"
grep -q "is broken: services restarted from the list read before" "$T/reload2"
ok $? "a broken file keeps the old list"
grep -q "started service second" "$T/reload2"; ok $? "services still run"

before=$(wc -l <"$L")
run_ok "stop" vsboot --stop web1
tail -n +"$before" "$L" >"$T/stop"
grep -q "service stubborn (pid [0-9]*) did not stop in time: killed" "$T/stop"
ok $? "a service ignoring SIGTERM is killed after the grace period"
a=$(grep -n "stopping service stubborn" "$T/stop" | cut -d: -f1)
b=$(grep -n "stopping service first" "$T/stop" | cut -d: -f1)
ok $([ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; echo $?) "stop goes in reverse order"
grep -q "vsinit (pid [0-9]*) exited with status 0" "$T/stop"; ok $? "vsinit exits 0"
done_testing
