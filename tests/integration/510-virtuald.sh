#!/usr/bin/env bash
# virtuald: per-connection programs run INSIDE the right VS as the right
# user (checked in /proc: uid, network and PID namespace, cgroup) and
# see the client's address (TCPREMOTEIP...); the login right comes from
# the host's rights file, not the VS's copy; an on-demand daemon gets the
# socket (LISTEN_FDS/LISTEN_PID) in a VS without any shell, is reused,
# stopped when idle and started again; UDP wait services (socket
# activation and inetd's stdin/stdout) answer a real client and idle out;
# a flood is bounded and does not starve another VS; a stopped VS loses
# its listeners.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
need_cmd pgrep
A=$NET.2 B=$NET.3
rt_vs web1 "$A"
rt_vs web2 "$B"
base=$(vs_uid web1)
cc -static -O2 -o "$T/sockd" "$VSD_TOP/tests/data/netsvc-sockd.c" || bail "cc sockd"
install -m 0755 -o "$base" -g "$base" "$T/sockd" "$ROOT/vs/web1/usr/bin/netsvc-sockd"
rt_tools web1 sleep cat env

# two users in web1 (a new file replaces the VS's, never writing through
# a possibly shared inode)
v=$ROOT/vs/web1
{ cat "$v/etc/passwd"; echo "alice:x:1000:1000::/tmp:/bin/bash"
  echo "bob:x:1001:1001::/tmp:/bin/bash"; } >"$T/passwd.new"
install -m 0644 -o "$base" -g "$base" "$T/passwd.new" "$v/etc/passwd.new"
mv "$v/etc/passwd.new" "$v/etc/passwd"
mkdir -p "$ROOT/state/priv" "$ROOT/state/services"
echo "login:alice" >"$ROOT/state/priv/web1"

cat >"$ROOT/state/services/web1" <<'EOS'
service who {
	port 7
	user alice
	login yes
	program /bin/bash -c "echo uid=$(id -u) user=$(id -un) host=$(cat /proc/sys/kernel/hostname); read l; echo echo:$l"
}
service bobsh {
	port 8
	user bob
	login yes
	program /bin/bash -c "echo bob-ran uid=$(id -u)"
}
service act {
	port 9
	mode wait
	user alice
	idle 2
	program /usr/bin/netsvc-sockd
}
service uact {
	port 9
	protocol udp
	mode wait
	pass fd3
	user alice
	idle 2
	program /usr/bin/netsvc-sockd
}
service uinetd {
	port 13
	protocol udp
	mode wait
	user alice
	idle 2
	program /usr/bin/netsvc-sockd stdio
}
service crashy {
	port 14
	protocol udp
	mode wait
	user alice
	program /bin/true
}
service bobd {
	port 16
	mode wait
	user bob
	login yes
	program /usr/bin/netsvc-sockd
}
service env {
	port 12
	user alice
	program /usr/bin/env
}
service flood {
	port 10
	user alice
	max_conns 3
	program /bin/sleep 4
}
service rated {
	port 11
	user alice
	rate 8		# a burst of 2, then one each 7.5 s
	program /bin/bash -c "echo served"
}
EOS
printf 'service who {\n port 7\n user root\n program /bin/bash -c "echo web2-ok"\n}\n' \
	>"$ROOT/state/services/web2"

# -n checks every table
cp "$ROOT/state/services/web2" "$T/web2.good"
printf 'service x {\n port 70000\n}\n' >"$ROOT/state/services/web2"
out=$(virtuald -n 2>&1); rc=$?
is "$rc" 1 "-n fails on a bad table"
case $out in *"services/web2:2: port: expected a number in 1..65535"*) pass "-n names file, line and cause";;
	*) not_ok "-n names file, line and cause"; diag "$out";; esac
# hostile tables: every one refused with its line
bad() {	# bad "TABLE" "EXPECTED MESSAGE PART" DESCRIPTION
	printf '%b' "$1" >"$ROOT/state/services/web2"
	out=$(virtuald -n 2>&1)
	case $out in *"$2"*) pass "$3";; *) not_ok "$3"; diag "$out";; esac
}
bad 'service a {\n port 7\n user root\n}\n' "service 'a' needs port, user and program" "incomplete service"
bad 'service a {\n port 7\n user root\n program /bin/true\n' "not closed" "unclosed block"
bad 'service a {\n port 7\n user root\n program bin/true\n}\n' "an absolute path" "relative program path"
bad 'service a {\n port 7\n user root\n program /bin/true\n}\nservice b {\n port 7\n user root\n program /bin/true\n}\n' "port 7 is already service 'a'" "two services on one port"
bad 'service ../x {\n' "invalid service name" "service name with a path"
bad 'service a {\n user root;rm\n' "invalid user name" "user name with junk"
bad 'service a {\n port 7\n protocol udp\n user root\n program /bin/true\n}\n' \
	"protocol udp needs mode wait" "udp nowait refused with the reason"
bad 'service a {\n protocol sctp\n' "usage: protocol tcp|udp" "unknown protocol"
bad 'service a {\n port 7\n pass stdio\n user root\n program /bin/true\n}\n' \
	"pass is for mode wait" "pass without wait"
bad 'service a {\n port 7\n protocol udp\n mode wait\n user root\n program /bin/true\n}\nservice b {\n port 7\n protocol udp\n mode wait\n user root\n program /bin/true\n}\n' \
	"port 7 is already service 'a'" "two UDP services on one port"
bad "$(printf 'service s%d {\\n port %d\\n user root\\n program /bin/true\\n}\\n' $(for i in $(seq 1 70); do echo $i $((1000 + i)); done))" \
	"too many services" "more than 64 services"
cp "$T/web2.good" "$ROOT/state/services/web2"
is "$(virtuald -n 2>&1)" "configuration OK" "-n accepts the tables"
virtuald -Q >/dev/null 2>&1; is $? 2 "usage error exits 2"

vsboot --start web1 >/dev/null || bail "start web1"
vsboot --start web2 >/dev/null || bail "start web2"
virtuald -d -v >>"$T/virtuald.log" 2>&1 &
VD=$!; defer "kill $VD; wait $VD"
wait_until 10 grep -q "ready:" "$T/virtuald.log" || bail "virtuald did not start"
wait_until 5 grep -q "web1/who: $A:7" "$T/virtuald.log"; ok $? "web1's services listen"

# a per-connection program: inside web1, as alice
exec 5<>"/dev/tcp/$A/7" || bail "connect"
read -t 10 -r info <&5
is "$info" "uid=1000 user=alice host=web1.example.com" "the program sees alice inside web1"
kid=$(pgrep -P $VD | head -1)
is "$(awk '/^Uid:/ {print $2}' /proc/$kid/status)" $((base + 1000)) \
	"host view: it runs as web1's uid 1000 ($((base + 1000)))"
is "$(readlink /proc/$kid/ns/net)" "net:[$(stat -L -c %i "$ROOT/run/netns/web1")]" \
	"in web1's network namespace"
is "$(readlink /proc/$kid/ns/pid)" "$(readlink /proc/$(rt_init_pid web1)/ns/pid)" \
	"in web1's PID namespace"
grep -q "freevsd-.*/web1" /proc/$kid/cgroup; ok $? "in web1's cgroup"
echo "hello" >&5
read -t 10 -r reply <&5
is "$reply" "echo:hello" "stdin and stdout are the connection"
exec 5>&-

# login right: the host's file decides, the VS's own copy does not
mkdir -p "$v/etc/vsd"
echo "login:alice,bob" >"$T/fakepriv"
install -m 0644 -o "$base" -g "$base" "$T/fakepriv" "$v/etc/vsd/priv.new"
mv "$v/etc/vsd/priv.new" "$v/etc/vsd/priv"
out=$(timeout 10 bash -c "cat </dev/tcp/$A/8")
is "$out" "virtuald: user 'bob' has no login right on web1"$'\r' \
	"bob without the login right is refused (a planted /etc/vsd/priv in the VS changes nothing)"
sleep 0.3
is "$(pgrep -P $VD | wc -l)" 0 "and nothing was started for him"
out=$(timeout 10 bash -c "cat </dev/tcp/$A/16" 2>/dev/null)
is "$out" "" "nor does an on-demand daemon of his start"
grep -q "bobd: not started: user 'bob' has no login right" "$T/virtuald.log"
ok $? "virtuald logs why"
echo "login:alice,bob" >"$ROOT/state/priv/web1"
out=$(timeout 10 bash -c "cat </dev/tcp/$A/8")
is "$out" "bob-ran uid=1001" "granted on the host, bob's service runs"
# the refused daemon's restart backoff (1 s, longer on a loaded machine)
for i in $(seq 20); do
	out=$(timeout 10 bash -c "cat </dev/tcp/$A/16" 2>/dev/null)
	case $out in "sockd pid="*) break;; esac
	sleep 0.5
done
case $out in "sockd pid="*" uid=1001") pass "and his on-demand daemon ($out)";;
	*) not_ok "and his on-demand daemon"; diag "$out";; esac

# the client's address, as ucspi-tcp's tcpserver sets it
out=$(timeout 10 "$PYTHON" -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 12), timeout=10)
ip, port = c.getsockname()
data = b""
while True:
    b = c.recv(4096)
    if not b:
        break
    data += b
env = dict(l.split("=", 1) for l in data.decode().splitlines() if "=" in l)
print(env.get("PROTO"), env.get("TCPREMOTEIP") == ip,
      env.get("TCPREMOTEPORT") == str(port), env.get("TCPLOCALIP"),
      env.get("TCPLOCALPORT"))' "$A")
is "$out" "TCP True True $A 12" \
	"a nowait program gets PROTO, TCPREMOTEIP/PORT (the client's) and TCPLOCALIP/PORT"

# a VS without a shell is a valid VS: on-demand daemons need none
# (find: no symlink followed, a VS's tree is hostile)
is "$(find "$v/bin" "$v/usr/bin" -maxdepth 1 -name sh 2>/dev/null | wc -l)" 1 \
	"web1 had a /bin/sh (the fixture skeleton's)"
find "$v/bin" "$v/usr/bin" -maxdepth 1 -name sh -delete 2>/dev/null
ok $(! [ -e "$v/bin/sh" ] && ! [ -e "$v/usr/bin/sh" ]; echo $?) "web1 has no /bin/sh now"

# on demand: the daemon gets the listening socket, serves, idles out
out1=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
case $out1 in "sockd pid="*" uid=1000") pass "on-demand daemon started with LISTEN_FDS/LISTEN_PID ($out1)";;
	*) not_ok "on-demand daemon started with LISTEN_FDS/LISTEN_PID"; diag "$out1";; esac
out2=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
is "$out2" "$out1" "the second connection is served by the same daemon"
is "$(grep -c 'act: started daemon' "$T/virtuald.log")" 1 "started once"
wait_until 8 grep -q "act: daemon .* ended" "$T/virtuald.log"
ok $? "stopped after 2 s idle ($(grep -o 'act: daemon [0-9]* idle.*' "$T/virtuald.log" | head -1))"
out3=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
case $out3 in "sockd pid="*) [ "$out3" != "$out1" ]; ok $? "the next connection starts a new daemon ($out3)";;
	*) not_ok "the next connection starts a new daemon"; diag "$out3";; esac

# UDP, on demand: a real client on the host, the daemon inside web1
udp() {	# udp PORT PAYLOAD: one answer, or nothing
	timeout 20 "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for i in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(600).decode())
        break
    except socket.timeout:
        pass' "$A" "$@"
}
u1=$(udp 9 ping1)
case $u1 in "sockd pid="*" uid=1000 got=ping1") pass "UDP wait, socket activation: the daemon answers on fd 3 ($u1)";;
	*) not_ok "UDP wait, socket activation answers"; diag "$u1"; diag "$(grep -i sockd "$ROOT/run/web1.log" | tail -3)";; esac
u2=$(udp 9 ping2)
is "${u2% got=*}" "${u1% got=*}" "the second datagram goes to the same daemon"
is "$(grep -c 'uact: started daemon' "$T/virtuald.log")" 1 "started once (virtuald stops watching while it runs)"
upid=$(grep -o 'uact: started daemon [0-9]*' "$T/virtuald.log" | grep -o '[0-9]*$')
is "$(awk '/^Uid:/ {print $2}' /proc/$upid/status 2>/dev/null)" $((base + 1000)) \
	"it runs as alice of web1 (host uid $((base + 1000)))"
is "$(readlink /proc/$upid/ns/net)" "net:[$(stat -L -c %i "$ROOT/run/netns/web1")]" \
	"in web1's network namespace"
wait_until 10 grep -q "uact: daemon .* ended" "$T/virtuald.log"
ok $? "stopped after 2 s without datagrams"
u3=$(udp 9 ping3)
case $u3 in "sockd pid="*"got=ping3") [ "${u3% got=*}" != "${u1% got=*}" ]; ok $? "the next datagram starts a new daemon ($u3)";;
	*) not_ok "the next datagram starts a new daemon"; diag "$u3";; esac
i1=$(udp 13 hello)
case $i1 in "stdio pid="*" uid=1000 got=hello") pass "UDP wait, inetd style: the socket is stdin and stdout ($i1)";;
	*) not_ok "UDP wait, inetd style"; diag "$i1"; diag "$(grep -i sockd "$ROOT/run/web1.log" | tail -3)";; esac
is "$(timeout 10 bash -c "cat </dev/tcp/$A/9" | cut -c1-5)" "sockd" \
	"TCP 9 and UDP 9 are two services"
# attack: a datagram flood at a daemon that exits at once must not make
# virtuald start it in a tight loop (at most once a second)
timeout 10 "$PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 3
while time.time() < end:
    s.sendto(b"x" * 100, (sys.argv[1], 14))
    time.sleep(0.002)' "$A"
n=$(grep -c 'crashy: started daemon' "$T/virtuald.log")
[ "$n" -ge 1 ] && [ "$n" -le 6 ]; ok $? "a 3 s flood at a failing UDP daemon: $n starts (backoff)"
u4=$(udp 9 after)
case $u4 in "sockd pid="*"got=after") pass "other services are served meanwhile";;
	*) not_ok "other services are served meanwhile"; diag "$u4";; esac

# a flood: at most 3 programs at once; web2 is served meanwhile
peer hold "$A" 10 20 2 >"$T/held" &
HOLD=$!
# (children still entering the VS have not exec'd sleep yet)
wait_until 5 bash -c "[ \$(ps --ppid $VD -o comm= | grep -c '^sleep$') -ge 3 ]"
sleep 0.5
n=$(ps --ppid $VD -o comm= | grep -vc '^netsvc-sockd$')
[ "$n" -le 3 ] && [ "$n" -ge 1 ]; ok $? "flood: $n programs running (limit 3)"
[ "$n" -ge 1 ] || ps --ppid $VD -o pid,comm,args | sed 's/^/# /'
is "$(timeout 10 bash -c "cat </dev/tcp/$B/7")" "web2-ok" "web2 is served during the flood"
wait $HOLD
is "$(cat "$T/held")" 3 "the 17 connections over the limit were reset"

# rate: 8 a minute allows a burst of 2
got=0
for i in 1 2 3 4 5; do
	out=$(timeout 5 bash -c "cat </dev/tcp/$A/11" 2>/dev/null)
	[ "$out" = served ] && got=$((got + 1))
done
is "$got" 2 "rate 8/min: 2 of 5 quick connections served, 3 reset"

# kill -9: the on-demand daemon it started holds the socket and would
# never be stopped; the next virtuald finds it in its record and stops it
old=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
dpid=$(grep -o 'act: started daemon [0-9]*' "$T/virtuald.log" | tail -1 | grep -o '[0-9]*$')
kill -KILL $VD; wait $VD 2>/dev/null
kill -0 "$dpid"; ok $? "virtuald killed with -9: its daemon $dpid ($old) runs on"
virtuald -d -v >>"$T/virtuald.log" 2>&1 &
VD=$!; defer "kill $VD; wait $VD"
wait_until 10 grep -q "act: stopping daemon $dpid left by a previous virtuald" "$T/virtuald.log"
ok $? "the next virtuald stops it"
wait_until 5 bash -c "! grep -qs '^State:.*[RSD]' /proc/$dpid/status"
ok $? "it is gone"
wait_until 10 bash -c "[ \$(grep -c 'ready:' '$T/virtuald.log') -ge 2 ]"
out=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
case $out in "sockd pid="*) [ "$out" != "$old" ]; ok $? "port 9 is served by a new daemon ($out)";;
	*) not_ok "port 9 is served by a new daemon"; diag "$out";; esac

# a stopped VS loses its listeners
vsboot --stop -t 2 web2 >/dev/null
wait_until 5 grep -q "web2: stopped, closing its listeners" "$T/virtuald.log"
ok $? "web2 stopped: its listeners are closed"

# daemonized (no -d): SIGCHLD and SIGTERM still arrive (its signalfd is
# made after the fork): an idle daemon is reaped and started again
kill $VD; wait $VD
virtuald -c "$CONF" -s 3 || bail "virtuald did not daemonize"
wait_until 5 daemon_pid "virtuald -c $CONF -s 3"
dpid=$(daemon_pid "virtuald -c $CONF -s 3")
defer "kill $dpid"
o1=
for i in $(seq 30); do
	o1=$(timeout 3 bash -c "cat </dev/tcp/$A/9" 2>/dev/null) && [ -n "$o1" ] && break
	sleep 0.3
done
case $o1 in "sockd pid="*) pass "the daemonized virtuald serves ($o1)";;
	*) not_ok "the daemonized virtuald serves"; diag "$o1";; esac
sleep 5	# idle 2 s, then stopped and reaped
o2=$(timeout 10 bash -c "cat </dev/tcp/$A/9")
case $o2 in "sockd pid="*) [ "$o2" != "$o1" ]; ok $? "its idle daemon was reaped and a new one started ($o2)";;
	*) not_ok "its idle daemon was reaped and a new one started"; diag "$o2";; esac
kill -TERM "$dpid"
wait_until 5 gone "$dpid"; ok $? "SIGTERM ends the daemonized virtuald"
netsvc_done
