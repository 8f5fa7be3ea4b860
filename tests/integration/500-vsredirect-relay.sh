#!/usr/bin/env bash
# vsredirect in relay mode (-R) relays a VS's port 80 to its daemon on 8080: a real
# HTTP server and curl, 300 MiB each way with checksums, half-close,
# resets, PROXY v1/v2 headers carrying the client address, the privilege
# drop, and a VS's root that cannot bind port 80 itself.
. "$(dirname "$0")/../lib/common.sh"
new_state_root
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc

IP=$NET.2
vs_up web1 1 "$IP" || bail "cannot build the VS network"

# -n checks vsd.conf and every VS's rule file
mkdir -p "$ROOT/state/redirect"
printf 'redirect 80 to 80\n' >"$ROOT/state/redirect/web1"
out=$(vsredirect -n 2>&1); rc=$?
is "$rc" 1 "-n fails on a rule targeting a privileged port"
case $out in *"redirect/web1:1: '80' is not an unprivileged"*) pass "-n names file, line and cause";;
	*) not_ok "-n names file, line and cause"; diag "$out";; esac
bad() {	# bad "RULES" "EXPECTED MESSAGE PART" DESCRIPTION
	printf '%b' "$1" >"$ROOT/state/redirect/web1"
	out=$(vsredirect -n 2>&1)
	case $out in *"$2"*) pass "$3";; *) not_ok "$3"; diag "$out";; esac
}
bad 'redirect 0 to 8080\n' "'0' is not a privileged" "port 0 refused"
bad 'redirect 80 to 99999\n' "'99999' is not an unprivileged" "target beyond 65535 refused"
bad 'redirect 80 to 8080 proxy v9\n' "unknown proxy version 'v9'" "unknown PROXY version refused"
bad 'max_conns -1\n' "usage: max_conns N" "negative limit refused"
echo "canary:x:0:0" >"$T/canary"
bad "include \"$T/canary\"\n" "unknown keyword" "an included non-rule file is refused"
bad "$(for i in $(seq 1 70); do printf 'redirect %d to %d\\n' $i $((2000 + i)); done)" \
	"too many rules" "more than 64 rules refused"
printf 'server_name web1.test\nredirect 80 to 8080\nproxy v1\n' >"$ROOT/state/apache/web1" 2>/dev/null ||
	{ mkdir -p "$ROOT/state/apache"; printf 'server_name web1.test\nredirect 80 to 8080\nproxy v1\n' >"$ROOT/state/apache/web1"; }
rm -f "$ROOT/state/redirect/web1"
out=$(vsredirect -n 2>&1)
case $out in *"apache/web1:3: unknown keyword 'proxy'"*) pass "vsd's mod_apache file takes only vsd's keywords";;
	*) not_ok "vsd's mod_apache file takes only vsd's keywords"; diag "$out";; esac
rm -f "$ROOT/state/apache/web1"
cat >"$ROOT/state/redirect/web1" <<EOR
# web1's rules (vsd's mod_apache writes this file)
redirect 81 to 8081 proxy v1
redirect 82 to 8082 proxy v2
EOR
is "$(vsredirect -n 2>&1)" "configuration OK" "-n accepts good rules"
run_fails "unknown option is a usage error" vsredirect -Z
vsredirect -Z >/dev/null 2>&1; is "$?" 2 "usage error exits 2"
vsredirect --help | grep -q "usage: vsredirect"; ok $? "--help prints the usage"

mkdir -p "$T/www"
head -c 300M /dev/urandom >"$T/www/big"
echo "hello from web1" >"$T/www/index.html"
# exec: the pid kept is the server's itself, so the deferred kill ends it
( cd "$T/www" && exec nsenter --net="$ROOT/run/netns/web1" "$PYTHON" -m \
	http.server 8080 --bind "$IP" >"$T/http.log" 2>&1 ) &
echo $! >"$T/http.pid"
defer "kill \$(cat $T/http.pid)"
wait_until 10 in_vs web1 curl -sf "http://$IP:8080/index.html" ||
	bail "http server in the VS did not start"

start_vsredirect -R || bail "vsredirect did not start"
is "$(curl -sS -m 10 "http://$IP/index.html")" "hello from web1" \
	"curl on port 80 reaches the VS's server on 8080"

# privilege separation: the event loop runs as nobody without any
# capability; its child, the helper, keeps the three it needs
st=/proc/$VSR_PID/status
is "$(awk '/^Uid:/ {print $2 $3 $4 $5}' $st)" "65534655346553465534" \
	"vsredirect's event loop dropped to uid nobody"
is "$(awk '/^Cap(Eff|Prm|Inh|Bnd|Amb):/ {printf "%s ", $2}' $st)" \
	"0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000 " \
	"the event loop has no capability (effective, permitted, bounding, ambient)"
is "$(awk '/^NoNewPrivs:/ {print $2}' $st)" 1 "and no_new_privs"
HELPER=$(cat /proc/$VSR_PID/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .)
hs=/proc/$HELPER/status
is "$(awk '/^Uid:/ {print $2 $3 $4 $5}' $hs 2>/dev/null)" "65534655346553465534" \
	"the privileged helper (pid $HELPER) runs as nobody"
is "$(awk '/^Cap(Eff|Prm|Bnd):/ {printf "%s ", $2}' $hs 2>/dev/null)" \
	"0000000000200404 0000000000200404 0000000000200404 " \
	"the helper keeps only CAP_SYS_ADMIN, NET_BIND_SERVICE, DAC_READ_SEARCH"
is "$(for f in 3 4 5; do readlink /proc/$HELPER/fd/$f | sed 's/socket:.*/socket/'; done)" \
	"socket
$(readlink /proc/self/ns/net)" \
	"besides stdio, the helper holds its socket to the loop and the way back to the host netns, nothing else"
is "$(awk '/^Uid:/ {print $2}' /proc/$HELPER/status; stat -c %u /proc/$HELPER/fd)" "65534
0" "the helper is not dumpable (its /proc entries stay root's)"

want=$(sha256sum <"$T/www/big" | cut -d' ' -f1)
got=$(curl -sS -m 60 "http://$IP/big" | sha256sum | cut -d' ' -f1)
is "$got" "$want" "300 MiB download through port 80 arrives intact"

# uploads: 300 MiB client->server, half-close, the answer comes back
peer_bg web1 serve "$IP" 8090 halfclose
printf 'redirect 81 to 8081 proxy v1\nredirect 82 to 8082 proxy v2\nredirect 90 to 8090\nredirect 91 to 8091\n' \
	>"$ROOT/state/redirect/web1"
kill -HUP $VSR_PID
wait_until 5 grep -q "10.*:90 -> 8090" "$T/vsredirect.log"
ok $? "SIGHUP picks up a new rule"
out=$(peer halfclose "$IP" 90 300); ok $? "300 MiB upload, half-close, answer after EOF"
diag "$out"

# resets travel both ways
peer_bg web1 serve "$IP" 8091 reset
is "$(peer reset "$IP" 91)" "reset" "a server's reset reaches the client"
is "$(peer reset "$IP" 443)" "reset" \
	"no daemon behind 443: the client gets a reset"

# PROXY headers name the real client
peer_bg web1 serve "$IP" 8081 proxy
out=$(peer proxy "$IP" 81)
me=$(echo "$out" | sed -n 's/^me //p')
hdr=$(echo "$out" | head -1)
is "$hdr" "PROXY TCP4 ${me% *} $IP ${me#* } 81" "PROXY v1 header carries the client address"
peer_bg web1 serve "$IP" 8082 proxy
out=$(peer proxy "$IP" 82)
me=$(echo "$out" | sed -n 's/^me //p')
hex=$(printf '%02x%02x%02x%02x' $(echo "${me% *}" | tr . ' '))
case $(echo "$out" | head -1) in
0d0a0d0a000d0a515549540a2111000c${hex}*) pass "PROXY v2 header carries the client address";;
*) not_ok "PROXY v2 header carries the client address"; diag "$out";;
esac

# the VS's root (root of its own user namespace) cannot bind port 80 of
# its address, even where nothing listens; a high port it can
out=$(in_vs web1 unshare -U -r "$PYTHON" "$NETSVC_PEER" bind "$IP" 84 2>&1)
case $out in denied*) pass "a VS's root cannot bind port 84";;
	*) not_ok "a VS's root cannot bind port 84"; diag "$out";; esac
out=$(in_vs web1 unshare -U -r "$PYTHON" "$NETSVC_PEER" bind "$IP" 8084 2>&1)
is "$out" "bound" "... but can bind 8084"

kill -TERM $VSR_PID; wait $VSR_PID; is "$?" 0 "SIGTERM: clean exit"
wait_until 5 bash -c "! kill -0 $HELPER"; ok $? "its helper ended with it"

# the two halves die together: a dead helper ends the loop with status 1
# (the service manager restarts both); a dead loop ends the helper
start_vsredirect || bail "vsredirect did not start again"
HELPER=$(cat /proc/$VSR_PID/task/*/children | tr ' ' '\n' | grep -m1 .)
[ -n "$HELPER" ] || bail "no helper process"
kill -KILL "$HELPER"
wait $VSR_PID
is "$?" 1 "helper killed: the event loop exits 1"
grep -q "privileged helper.*gone" "$T/vsredirect.log"; ok $? "and says why"
start_vsredirect || bail "vsredirect did not start again"
HELPER=$(cat /proc/$VSR_PID/task/*/children | tr ' ' '\n' | grep -m1 .)
[ -n "$HELPER" ] || bail "no helper process"
kill -KILL $VSR_PID; wait $VSR_PID 2>/dev/null
wait_until 5 bash -c "! kill -0 $HELPER"; ok $? "event loop killed: the helper exits"
netsvc_done
