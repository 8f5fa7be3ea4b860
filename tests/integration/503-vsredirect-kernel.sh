#!/usr/bin/env bash
# vsredirect's kernel mode (the default): an nftables DNAT inside the
# VS's netns.  curl through port 80 (the server sees the client's own
# address), 300 MiB checksummed each way, half-close, reset, the per-VS
# limit (ct count) while another VS is served, the idle timeout; the
# table appears with the VS, follows rule files and SIGHUP, is replaced
# atomically (a port switched between kernel and relay while the other
# rules' connections go on), outlives a kill -9 until the next start
# and goes with the VS; without a working nft the rules are relayed.
# Attacks: the VS's root can neither list, change nor flush the table,
# nor bind port 80, nor fill the host's conntrack table; no rule matches
# the host's or another VS's traffic.
. "$(dirname "$0")/../lib/common.sh"
new_state_root
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
need_cmd nft ss unshare

A=$NET.2 B=$NET.3
table() { in_vs "$1" nft list table ip vsredirect 2>/dev/null; }

vs_up web1 1 "$A" || bail "cannot build the VS network"
vs_up web2 2 "$B" || bail "cannot build web2"

# -n: kernel mode and a PROXY header do not go together
mkdir -p "$ROOT/state/redirect"
printf 'redirect 81 to 8081 proxy v1 mode kernel\n' >"$ROOT/state/redirect/web1"
out=$(vsredirect -n 2>&1)
case $out in *"redirect/web1:1: port 81: mode kernel cannot send a PROXY header"*)
	pass "-n: mode kernel with a PROXY header refused";;
	*) not_ok "-n: mode kernel with a PROXY header refused"; diag "$out";; esac
printf 'proxy v2\nredirect 81 to 8081 mode kernel\n' >"$ROOT/state/redirect/web1"
out=$(vsredirect -n 2>&1)
case $out in *"redirect/web1:2: port 81: mode kernel cannot send"*)
	pass "... also with the file's proxy";;
	*) not_ok "... also with the file's proxy"; diag "$out";; esac
printf 'redirect 81 to 8081 mode fast\n' >"$ROOT/state/redirect/web1"
out=$(vsredirect -n 2>&1)
case $out in *"unknown mode 'fast'"*) pass "-n: unknown mode refused";;
	*) not_ok "-n: unknown mode refused"; diag "$out";; esac
printf 'mode relay\nredirect 81 to 8081 mode kernel\nredirect 82 to 8082 proxy v1\n' \
	>"$ROOT/state/redirect/web1"
is "$(vsredirect -n 2>&1)" "configuration OK" "-n accepts modes"
rm -f "$ROOT/state/redirect/web1"

mkdir -p "$T/www"
head -c 300M /dev/urandom >"$T/www/big"
echo "hello from web1" >"$T/www/index.html"
( cd "$T/www" && nsenter --net="$ROOT/run/netns/web1" "$PYTHON" -m \
	http.server 8080 --bind "$A" >"$T/http.log" 2>&1 & echo $! >"$T/http.pid" )
defer "kill \$(cat $T/http.pid)"
wait_until 10 in_vs web1 curl -sf "http://$A:8080/index.html" ||
	bail "http server in the VS did not start"

start_vsredirect -s 1 -M 5 || bail "vsredirect did not start"
wait_until 5 grep -q "web1: $A:80 -> 8080 (kernel)" "$T/vsredirect.log"
ok $? "port 80 in kernel mode by default"
table web1 >/dev/null; ok $? "web1's netns holds the table"
in_vs web1 ss -Hltn | grep -q "$A:80 "
ok $? "vsredirect's listener on port 80 there (for the VS's own connections)"
ok "$(! nft list tables | grep -q vsredirect; echo $?)" "the host's ruleset has no such table"
is "$(awk '/^CapEff:/ {print $2}' /proc/$VSR_PID/status)" "0000000000000000" \
	"the event loop keeps no capability"
HELPER=$(cat /proc/$VSR_PID/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .)
is "$(awk '/^CapEff:/ {print $2}' /proc/$HELPER/status)" "0000000000201404" \
	"the helper: sys_admin, net_admin, net_bind_service, dac_read_search"

is "$(curl -sS -m 10 "http://$A/index.html")" "hello from web1" \
	"curl on port 80 reaches the VS's server on 8080"
me=$(ip -4 route get "$A" | sed -n 's/.* src \([0-9.]*\).*/\1/p')
grep -q "^$me - .*GET /index.html" "$T/http.log"
ok $? "the server saw the client's own address ($me)"
want=$(sha256sum <"$T/www/big" | cut -d' ' -f1)
got=$(curl -sS -m 60 "http://$A/big" | sha256sum | cut -d' ' -f1)
is "$got" "$want" "300 MiB download through port 80 arrives intact"
# the VS's own connection to its address: relayed by the listener
is "$(in_vs web1 curl -sS -m 10 "http://$A/index.html")" "hello from web1" \
	"the VS reaches its own port 80"
grep -q "^$A - .*GET /index.html" "$T/http.log"
ok $? "(through the relay: the server saw the VS's own address)"

peer_bg web1 serve "$A" 8090 halfclose
peer_bg web1 serve "$A" 8091 reset
printf 'redirect 90 to 8090\nredirect 91 to 8091\n' >"$ROOT/state/redirect/web1"
wait_until 5 grep -q "web1: $A:91 -> 8091 (kernel)" "$T/vsredirect.log"
ok $? "a rule file adds ports 90 and 91 (inotify)"
# vsd.conf's redirect lines and SIGHUP
cp "$CONF" "$T/conf.good"
printf 'redirect 70 to 8090\n' >>"$CONF"
kill -HUP $VSR_PID
wait_until 5 grep -q "web1: $A:70 -> 8090 (kernel)" "$T/vsredirect.log"
ok $? "SIGHUP: a redirect line of vsd.conf adds port 70"
out=$(peer halfclose "$A" 70 1); ok $? "port 70 redirected ($out)"
cp "$T/conf.good" "$CONF"
kill -HUP $VSR_PID
wait_until 5 bash -c "! nsenter --net=$ROOT/run/netns/web1 nft list table ip vsredirect | grep -q 'dport 70 '"
ok $? "and the next SIGHUP takes it out of the table"
out=$(peer halfclose "$A" 90 300); ok $? "300 MiB upload, half-close, answer after EOF"
diag "$out"
is "$(peer reset "$A" 91)" "reset" "a server's reset reaches the client"
is "$(peer reset "$A" 443)" "refused: nobody listens" \
	"no daemon behind 443: the client's connect is refused (native TCP)"

# the VS's root: no view of the table, no change, no port 80
vsroot() { in_vs web1 unshare -U -r "$@"; }
out=$(vsroot nft list ruleset 2>&1); rc=$?
[ $rc != 0 ] || ! echo "$out" | grep -q vsredirect
ok $? "the VS's root cannot list the table ($(echo "$out" | head -1))"
vsroot nft flush ruleset >/dev/null 2>&1
vsroot nft delete table ip vsredirect >/dev/null 2>&1
vsroot nft add rule ip vsredirect prerouting tcp dport 80 dnat to 10.0.0.1:22 >/dev/null 2>&1
is "$(table web1 | grep -c 'dnat to')" 4 "nor flush, delete or change it (4 rules)"
out=$(vsroot "$PYTHON" "$NETSVC_PEER" bind "$A" 80 2>&1)
case $out in denied*) pass "nor bind port 80";; *) not_ok "nor bind port 80"; diag "$out";; esac

# conntrack's table is the whole host's: web1's own traffic must not
# fill it (UDP, outgoing connections, direct clients of 8080, stray ACKs)
is "$(in_vs web1 cat /proc/sys/net/netfilter/nf_conntrack_tcp_loose)" 0 \
	"web1's netns: a stray TCP packet makes no conntrack entry"
ctn() { in_vs web1 cat /proc/sys/net/netfilter/nf_conntrack_count; }
hostaddr=$(in_vs web1 ip -4 route show dev eth0 | awk '/scope link/ {print $1; exit}')
c0=$(ctn)
out=$(vsroot "$PYTHON" - "$hostaddr" "$A" 2>&1 <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(20000, 20300):
    u.sendto(b"x", (sys.argv[1], p))
for p in range(20000, 20050):		# outgoing TCP, also from port 8080's
    for src in (0, 8093):		# neighbour of a target (8090..8092)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(0.5)
        if src:
            s.bind((sys.argv[2], src))
        try:
            s.connect((sys.argv[1], p))
        except OSError:
            pass
        s.close()
print("sent")
PY
)
is "$out" "sent" "web1's root sent UDP and opened connections to the host ($hostaddr)"
for i in 1 2 3 4 5; do curl -s -m 2 -o /dev/null "http://$A:8080/index.html"; done
for i in 1 2 3 4 5; do in_vs web1 curl -s -m 2 -o /dev/null "http://$A/index.html"; done
c1=$(ctn)
ok "$([ "$c1" -le "$c0" ]; echo $?)" \
	"300 UDP flows, 100 outgoing connections, 5 direct clients, 5 connections to its own port 80: no conntrack entry ($c0 -> $c1)"
curl -s -m 2 -o /dev/null "http://$A/index.html"
ok "$([ "$(ctn)" -gt "$c1" ]; echo $?)" "a redirected connection has one"

# only web1's traffic: web2 has no table, its port 80 relays only when
# it asks; the host's own connection to web2 is not redirected by web1
printf 'mode relay\n' >"$ROOT/state/redirect/web2"
peer_bg web2 serve "$B" 8080 halfclose
wait_until 5 grep -q "web2: port 80 now -> 8080 (relay)" "$T/vsredirect.log"
ok $? "web2's rules are relayed (mode relay in its file)"
ok "$(! table web2 >/dev/null; echo $?)" "web2's netns has no table"
out=$(peer halfclose "$B" 80 1); ok $? "web2 relays ($out)"
is "$(in_vs web1 curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$B:8080/")" 000 \
	"web1 cannot reach web2 (its table does not route it)"

# the per-VS limit (-M 5) with ct count: 5 of 40 reach web1's daemon
# while web2 is served
peer_bg web1 serve "$A" 8092 hold "$T/held"
printf 'redirect 90 to 8090\nredirect 91 to 8091\nredirect 92 to 8092\n' >"$ROOT/state/redirect/web1"
wait_until 5 grep -q "web1: $A:92 -> 8092 (kernel)" "$T/vsredirect.log"
peer hold "$A" 92 40 1 >"$T/alive" &
HOLD=$!
wait_until 5 bash -c "[ \"\$(cat $T/held 2>/dev/null)\" = 5 ]"
ok $? "per-VS limit: 5 of 40 connections reached web1"
out=$(peer halfclose "$B" 80 1); ok $? "meanwhile web2 is served ($out)"
wait $HOLD
is "$(cat "$T/alive")" 5 "the 35 others were reset"
sleep 0.3
is "$(cat "$T/held")" 5 "and never reached the daemon"
is "$(peer reset "$A" 90 2>&1)" "refused: nobody listens" \
	"the daemon holds its 5: a 6th is refused"
kill $PEER_PID
out=$(peer halfclose "$A" 90 1); ok $? "once the daemon closes them web1 is served again ($out)"

# switch port 90 to relay and back while a connection on 91->8099
# (kernel) and one on 95 (relay) go on
peer_bg web1 serve "$A" 8099 halfclose
peer_bg web1 serve "$A" 8095 halfclose
printf 'redirect 90 to 8090\nredirect 91 to 8099\nredirect 95 to 8095 mode relay\n' \
	>"$ROOT/state/redirect/web1"
wait_until 5 grep -q "web1: $A:95 -> 8095$" "$T/vsredirect.log"
peer trickle "$A" 91 6 >"$T/s1" 2>&1 & S1=$!
peer trickle "$A" 95 6 >"$T/s2" 2>&1 & S2=$!
wait_until 3 bash -c "nsenter --net=$ROOT/run/netns/web1 ss -Htn state established '( sport = :8099 or sport = :8095 )' | wc -l | grep -qx 2"
ok $? "two connections established (kernel 91, relay 95)"
printf 'redirect 90 to 8090 mode relay\nredirect 91 to 8099\nredirect 95 to 8095 mode relay\n' \
	>"$ROOT/state/redirect/web1"
wait_until 5 grep -q "port 90 now -> 8090 (relay)" "$T/vsredirect.log"
ok $? "port 90 switched to relay"
in_vs web1 ss -Hltn | grep -q "$A:90 "; ok $? "its listener on 90 takes the clients"
is "$(table web1 | grep -c 'dport 90 ')" 0 "and no DNAT for it"
out=$(peer halfclose "$A" 90 1); ok $? "port 90 relays ($out)"
printf 'redirect 90 to 8090\nredirect 91 to 8099\nredirect 95 to 8095 mode relay\n' \
	>"$ROOT/state/redirect/web1"
wait_until 5 grep -q "port 90 now -> 8090 (kernel)" "$T/vsredirect.log"
ok $? "and back to kernel"
wait_until 5 bash -c "nsenter --net=$ROOT/run/netns/web1 nft list table ip vsredirect | grep -q 'dport 90 dnat'"
ok $? "its DNAT is back"
out=$(peer halfclose "$A" 90 1); ok $? "port 90 served by the kernel ($out)"
kill -0 $S1 && kill -0 $S2; ok $? "both connections still open after the two reloads"
wait $S1; ok $? "the kernel-mode connection lived through both reloads ($(cat "$T/s1"))"
wait $S2; ok $? "so did the relayed one ($(cat "$T/s2"))"

# kill -9: the table stays in force (served without vsredirect); the
# next start replaces it with the rules of the moment
kill -9 $VSR_PID; wait $VSR_PID 2>/dev/null
wait_until 5 bash -c "! kill -0 $HELPER 2>/dev/null"; ok $? "kill -9: the helper went with the loop"
out=$(peer halfclose "$A" 90 1); ok $? "port 90 still served by the table left behind ($out)"
printf 'redirect 91 to 8099\nredirect 95 to 8095 mode relay\n' >"$ROOT/state/redirect/web1"
mv "$T/vsredirect.log" "$T/vsredirect.log.1"
start_vsredirect -s 1 -M 5 -i 2 || bail "vsredirect did not start again"
wait_until 5 bash -c "nsenter --net=$ROOT/run/netns/web1 nft list table ip vsredirect | grep -q 'dport 91 dnat' && ! nsenter --net=$ROOT/run/netns/web1 nft list table ip vsredirect | grep -q 'dport 90 '"
ok $? "the next start replaced it (port 91 in, port 90 gone)"
is "$(peer reset "$A" 90 2>&1)" "refused: nobody listens" "port 90 is no longer redirected"
# idle timeout (-i 2) in kernel mode: conntrack forgets the connection,
# the client's next packet gets a reset
idle() {
	"$PYTHON" - "$A" 91 "$1" <<'PY'
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
time.sleep(float(sys.argv[3]))
try:
    c.sendall(b"x" * 1000)
    time.sleep(0.3)		# the answer to it: a reset, or nothing yet
    c.shutdown(socket.SHUT_WR)
    print(c.recv(100).decode().split()[0])
except (ConnectionResetError, BrokenPipeError):
    print("reset")
except OSError as e:		# ENOTCONN: reset before the shutdown
    print("reset" if e.errno == 107 else e)
PY
}
is "$(in_vs web1 cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established)" 2 \
	"web1's netns: an established redirected connection lives -i seconds idle"
is "$(cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established)" 432000 \
	"the host's conntrack timeouts are untouched"
is "$(idle 1)" "got" "idle 1 s of 2: the connection lives"
is "$(idle 3.5)" "reset" "idle 3.5 s of 2: reset, as the relay's idle timeout"

# the table goes with the VS's namespace; a restart gets a new one
vs_down web1
wait_until 5 grep -q "web1: stopped" "$T/vsredirect.log"
ok $? "web1 stopped"
vs_up web1 1 "$A" || bail "cannot rebuild web1"
wait_until 5 bash -c "nsenter --net=$ROOT/run/netns/web1 nft list table ip vsredirect >/dev/null 2>&1"
ok $? "restarted web1 gets its table again"

kill -TERM $VSR_PID; wait $VSR_PID; is "$?" 0 "SIGTERM: clean exit"
ok "$(! table web1 >/dev/null; echo $?)" "exiting removes the table"

# no working nft (a kernel without nftables, a missing binary): the
# kernel rules are relayed instead, and said so
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho "Error: Could not process rule: No such file or directory" >&2\nexit 1\n' \
	>"$T/fakebin/nft"
chmod 755 "$T/fakebin/nft"
mv "$T/vsredirect.log" "$T/vsredirect.log.2"
PATH=$T/fakebin:$PATH start_vsredirect -s 1 || bail "vsredirect did not start (fake nft)"
wait_until 5 grep -q "web1: kernel mode not available, relaying instead: nft failed: Error: Could not process rule" "$T/vsredirect.log"
ok $? "nft failing: vsredirect says so"
peer_bg web1 serve "$A" 8099 halfclose
wait_until 5 bash -c "nsenter --net=$ROOT/run/netns/web1 ss -Hltn | grep -q '$A:91 '"
ok $? "and listens on port 91 itself"
out=$(peer halfclose "$A" 91 1); ok $? "port 91 relayed ($out)"
netsvc_done
