#!/usr/bin/env bash
# 230-vsd-crash: kill -9 of vsd in the middle of a create and of a delete
# run through it; its worker dies with it (PDEATHSIG), and the next vsd
# reconciles at start: no half-VS, an empty journal, the other VS intact,
# sockets re-created, the same operations work again.  Also SIGHUP with
# a broken config keeps the running one, and -n checks a config.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat
new_state_root
host_ids_fixture
fixture_skel "$ROOT/skel" 1	# ~8,000 headers: a create takes a while
start_vsd
session $'vs_create keep 10.204.0.2 keep.example.com 100 0\nEOF\n' | grep -q '^+OK created keep'
ok $? "a VS that must survive"
keep_files=$(find "$ROOT/vs/keep" | wc -l)

# serialisation: a command on a VS being created waits for the create
# (and then succeeds); a command on another VS does not wait
cat >"$T/serial.py" <<'PY'
import socket, sys, time, threading
path, res = sys.argv[1], {}
def run(tag, line, delay):
    time.sleep(delay)
    t0 = time.time()
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(60)
    f = s.makefile("rb"); f.readline()
    s.sendall(line.encode() + b"\n")
    line = f.readline().decode().strip()
    res[tag] = (time.time(), line, time.time() - t0)
    s.sendall(b"EOF\n"); s.close()
ts = [threading.Thread(target=run, args=a) for a in (
    ("A", "vs_create web2 10.204.0.9 web2.example.com 100 0", 0),
    ("C", "vs_info keep", 0.02),
    ("B", "user_add web2 alice pw", 0.04))]
[t.start() for t in ts]; [t.join() for t in ts]
for k in "ABC": print(k, res[k][1])
print("order", "".join(sorted("AB", key=lambda k: res[k][0])))
print("create %.3f s, other VS answered in %.3f s" % (res["A"][2], res["C"][2]))
print("fast", int(res["C"][2] < 0.5))
PY
out=$(python3 "$T/serial.py" "$ROOT/run/vsd.sock")
echo "$out" | grep -q '^A +OK created web2'; ok $? "slow create of web2"
echo "$out" | grep -q '^B +OK added alice'; ok $? "user_add on web2 sent during its create waited and succeeded"
echo "$out" | grep -q '^C +OK server keep'; ok $? "another VS answered"
is "$(echo "$out" | sed -n 's/^order //p')" "AB" "the waiting command answered after the create"
is "$(echo "$out" | sed -n 's/^fast //p')" 1 "the other VS was not held up ($(echo "$out" | grep '^create'))"
session $'vs_delete web2\nEOF\n' >/dev/null

# kill -9 vsd once PATTERN exists under vs/ (or after 10 s)
kill_vsd_when() {
	local pat=$1 i
	for ((i = 0; i < 20000; i++)); do
		compgen -G "$ROOT/vs/$pat" >/dev/null && break
		sleep 0.0005
	done
	kill -9 "$VSD_PID"
	wait "$VSD_PID" 2>/dev/null
}

session $'vs_create web1 10.204.0.3 web1.example.com 100 0\nEOF\n' >/dev/null 2>&1 &
kill_vsd_when '.new-web1-*/usr/include/*'
wait
# the front and the worker are SIGKILLed with the executor (a process
# in the middle of disk I/O may take a moment to go)
for i in $(seq 100); do pgrep -f "vsd -c $CONF" >/dev/null || break; sleep 0.05; done
left=$(pgrep -f "vsd -c $CONF" | while read -r p; do echo "$p:$(awk '/^State/{print $2}' /proc/$p/status)"; done)
is "$left" "" "no front or worker outlived the daemon"
start_vsd
is "$(ls -A "$ROOT/vs" | grep -c '^\.new-')" 0 "reconcile at start removed any half-built root"
is "$(ls -A "$ROOT/state/journal" | wc -l)" 0 "journal empty"
out=$(session $'vs_info web1\nEOF\n' | sed -n 2p)
if [ "$out" = "+OK server web1 {" ]; then
	# it had completed: then it is whole
	[ -d "$ROOT/vs/web1/usr" ] && [ -e "$ROOT/state/vs/web1" ]; ok $? "a finished create is whole"
	session $'vs_delete web1\nEOF\n' >/dev/null
else
	[ ! -e "$ROOT/vs/web1" ] && [ ! -e "$ROOT/state/vs/web1" ]; ok $? "a cut create left nothing"
fi

out=$(session $'vs_create web1 10.204.0.3 web1.example.com 100 0\nEOF\n' | sed -n 2p)
case $out in "+OK created web1"*) pass "create works again";; *) not_ok "create again: $out";; esac
for i in $(seq 60); do [ -S "$ROOT/run/vs/web1/vsd.sock" ] && break; sleep 0.05; done
[ -S "$ROOT/run/vs/web1/vsd.sock" ]; ok $? "the new VS got its socket"

session $'vs_delete web1\nEOF\n' >/dev/null 2>&1 &
kill_vsd_when '.del-web1-*'
wait
sleep 0.3
start_vsd
ok $([ ! -e "$ROOT/vs/web1" ] && [ ! -e "$ROOT/state/vs/web1" ] &&
	! compgen -G "$ROOT/vs/.del-*" >/dev/null; echo $?) "a cut delete is finished at the next start"
is "$(ls -A "$ROOT/vs" | tr '\n' ' ')" "keep " "only the surviving VS"
is "$(find "$ROOT/vs/keep" | wc -l)" "$keep_files" "the other VS lost nothing"
[ -S "$ROOT/run/vs/keep/vsd.sock" ] && [ ! -e "$ROOT/run/vs/web1" ]; ok $? "VS sockets follow the records"

# pid file lock: a second vsd refuses (exit 3), status tools see the truth
vsd -c "$CONF" -f >/dev/null 2>&1; is $? 3 "a second vsd on the same state root exits 3"
is "$(cat "$ROOT/run/vsd.pid")" "$VSD_PID" "pid file names the running vsd"

# configuration: -n, and SIGHUP with a broken file keeps the old one
run_ok "vsd -n accepts the config" vsd -c "$CONF" -n
cp "$CONF" "$T/good.conf"
echo "listn 1.2.3.4" >>"$CONF"
run_fails "vsd -n rejects a broken config" vsd -c "$CONF" -n
vsd -c "$CONF" -n 2>&1 | grep -q "unknown keyword 'listn'"; ok $? "and says why"
kill -HUP "$VSD_PID"; sleep 0.5
grep -q 'reload failed, keeping the running configuration' "$T/vsd.log"; ok $? "SIGHUP with a broken file: kept, logged"
session $'vs_info keep\nEOF\n' | grep -q '^+OK server keep'; ok $? "still serving after the failed reload"
sed 's/^client_timeout 3$/client_timeout 7/' "$T/good.conf" >"$CONF"
kill -HUP "$VSD_PID"; sleep 0.5
grep -q 'configuration reloaded' "$T/vsd.log"; ok $? "SIGHUP with a good file reloads"
tcp_session $'vs_list\nEOF\n' | head -1 | grep -q '^+OK freeVSD'; ok $? "TCP listener back after reload"
kill "$VSD_PID"; wait "$VSD_PID"; is $? 0 "SIGTERM: clean exit"
grep -q 'stopped' "$T/vsd.log"; ok $? "stop logged"
done_testing
