#!/usr/bin/env bash
# vsredirect (relay mode, -R) follows VSs and rules: a VS that comes up gets its
# listeners, one that stops loses them (checked inside its namespace),
# one that restarts gets new ones; vsd's mod_apache file and SIGHUP
# change rules without cutting an established connection; a broken
# config on SIGHUP keeps the running one.
. "$(dirname "$0")/../lib/common.sh"
new_state_root
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
need_cmd ss

A=$NET.2 B=$NET.3
printf 'name keep\nnumber 9\nuid_base 789824\nuid_count 65536\nip %s\nfqdn keep.test\nquota_mb 0\nnproc 0\ncreated 0\ndisposable no\nstate ready\n' \
	"$NET.9" >"$ROOT/state/vs/keep"	# a record without a network: ignored
start_vsredirect -R -s 1 || bail "vsredirect did not start"
grep -q "ready: 0 VS(s) up" "$T/vsredirect.log"; ok $? "no VS up at start"

vs_up web1 1 "$A" || bail "cannot build the VS network"
peer_bg web1 serve "$A" 8080 halfclose
wait_until 5 grep -q "web1: $A:80 -> 8080" "$T/vsredirect.log"
ok $? "a VS coming up gets its listeners"
out=$(peer halfclose "$A" 80 1); ok $? "and they relay ($out)"

# an established connection that must survive everything below
peer_bg web1 serve "$A" 8099 stream 200
nsenter --net="$ROOT/run/netns/web1" sleep 1000 &	# keeps the namespace
HOLDER=$!; defer "kill $HOLDER"
mkdir -p "$ROOT/state/apache"
printf 'server_name web1.test\nredirect 80 to 8080\nredirect 99 to 8099\n' \
	>"$ROOT/state/apache/web1"
wait_until 5 grep -q "web1: $A:99 -> 8099" "$T/vsredirect.log"
ok $? "vsd's mod_apache file adds port 99 (inotify)"
ok $(! grep -q "$A:443 -> 8443" <(sed -n '/:99 -> 8099/,$p' "$T/vsredirect.log"); echo $?) \
	"port 443 dropped: the mod_apache list replaces the defaults"
wait_until 5 grep -q "port 443 no longer redirected" "$T/vsredirect.log"
ok $? "443 listener closed"
peer stream "$A" 99 200 >"$T/stream.out" 2>&1 &
STREAM=$!
wait_until 10 bash -c "nsenter --net='$ROOT/run/netns/web1' ss -Htn state established '( sport = :8099 )' | grep -q ."
ok $? "the stream is established (relayed to 8099)"

# a broken vsd.conf on SIGHUP: the running config stays
cp "$CONF" "$T/conf.good"
echo "redirect 80 to" >>"$CONF"
kill -HUP $VSR_PID
wait_until 5 grep -q "configuration not reloaded" "$T/vsredirect.log"
ok $? "SIGHUP with a broken vsd.conf keeps the running one"
cp "$T/conf.good" "$CONF"
printf 'redirect 80 to 8080\nredirect 70 to 8080\n' >>"$CONF"
printf 'redirect 99 to 8098\n' >"$ROOT/state/redirect/web1"
kill -HUP $VSR_PID
wait_until 5 grep -q "port 99 now -> 8098" "$T/vsredirect.log"
ok $? "SIGHUP retargets port 99 (state/redirect overrides)"

# a second VS comes and goes while the stream runs
vs_up web2 2 "$B" || bail "cannot build web2"
peer_bg web2 serve "$B" 8080 halfclose
wait_until 5 grep -q "web2: $B:80 -> 8080" "$T/vsredirect.log"
ok $? "web2 up"
out=$(peer halfclose "$B" 80 1); ok $? "web2 relays"
vs_down web2
wait_until 5 grep -q "web2: stopped, closing its listeners" "$T/vsredirect.log"
ok $? "web2 stopped: listeners closed"

wait $STREAM; rc=$?
is "$rc" 0 "the stream started before reloads arrives whole ($(cat "$T/stream.out"))"

# web1 stops (its namespace kept alive by a process): no listener left
# in it; then it restarts with a new namespace and gets new listeners
ino=$(stat -L -c %i /proc/$HOLDER/ns/net)
vs_down web1
wait_until 5 grep -q "web1: stopped" "$T/vsredirect.log"
ok $? "web1 stopped"
[ "$ino" != "$(stat -L -c %i /proc/self/ns/net)" ]
ok $? "the holder is inside web1's namespace"
nsenter --net=/proc/$HOLDER/ns/net ss -Hltn | grep -q ":8080 "
ok $? "web1's own daemon still listens there"
wait_until 5 bash -c "! nsenter --net=/proc/$HOLDER/ns/net ss -Hltn | grep -qE ':(80|99|443) '"
ok $? "no vsredirect listener left in web1's old namespace"
nsenter --net=/proc/$HOLDER/ns/net ss -Hltn | sed 's/^/# /'
vs_up web1 1 "$A" || bail "cannot rebuild web1"
new=$(stat -L -c %i "$ROOT/run/netns/web1")
[ "$new" != "$ino" ]; ok $? "restarted web1 has a new namespace"
peer_bg web1 serve "$A" 8080 halfclose
wait_until 5 bash -c "nsenter --net='$ROOT/run/netns/web1' ss -Hltn | grep -q '$A:80 '"
ok $? "restarted web1 gets a listener on port 80 again"
out=$(peer halfclose "$A" 80 1); ok $? "and it relays"
kill -USR1 $VSR_PID
wait_until 3 grep -q "stats:" "$T/vsredirect.log"; ok $? "SIGUSR1 logs statistics"
grep "stats:" "$T/vsredirect.log" | sed 's/^/# /'

# daemonized (no -d): signals still reach it (its signalfd is made after
# the fork), and its helper goes with it
kill $VSR_PID; wait $VSR_PID
vsredirect -R -c "$CONF" -s 3 || bail "vsredirect did not daemonize"
wait_until 5 daemon_pid "vsredirect -R -c $CONF -s 3"
dpid=$(daemon_pid "vsredirect -R -c $CONF -s 3")
defer "kill $dpid"
wait_until 5 bash -c "cat /proc/$dpid/task/*/children | grep -q ."
hpid=$(cat /proc/$dpid/task/*/children | tr ' ' '\n' | grep -m1 .)
wait_until 10 bash -c "nsenter --net='$ROOT/run/netns/web1' ss -Hltn | grep -q '$A:80 '"
out=$(peer halfclose "$A" 80 1); ok $? "the daemonized vsredirect relays"
kill -TERM "$dpid"
wait_until 5 gone "$dpid"; ok $? "SIGTERM ends the daemonized vsredirect"
wait_until 5 gone "$hpid"; ok $? "and its helper"
netsvc_done
