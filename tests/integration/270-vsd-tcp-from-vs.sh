#!/usr/bin/env bash
# 270-vsd-tcp-from-vs: TCP port 1725 refuses connections whose source is a
# VS's address, even when the route would let them through (defence in
# depth behind the VS's own network namespace).  vsd runs in a network
# namespace this test makes, with the host side and a VS address on its
# loopback; nothing leaves it.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd unshare nsenter ip python3 socat
new_state_root
fixture_skel "$ROOT/skel"
HOSTIP=10.209.$(( $$ % 200 )).1
VSIP=10.209.$(( $$ % 200 )).2
cat >"$CONF" <<EOC
state_root "$ROOT"
secret_file "$T/secret"
listen $HOSTIP port $PORT
EOC
vsd -c "$CONF" --gen-secret >/dev/null
unshare -n bash -c "ip link set lo up && ip addr add $HOSTIP/32 dev lo &&
	ip addr add $VSIP/32 dev lo && exec vsd -c '$CONF' -f -d" >>"$T/vsd.log" 2>&1 &
VSD_PID=$!
defer "kill $VSD_PID; sleep 0.2; kill -9 $VSD_PID"
for i in $(seq 100); do [ -S "$ROOT/run/vsd.sock" ] && session "" | grep -q ready && break; sleep 0.05; done
session "vs_create web1 $VSIP web1.example.com 10 0"$'\nEOF\n' | grep -q '^+OK created'
ok $? "a VS with address $VSIP"
probe() {	# probe SOURCE: the first line the daemon sends
	nsenter --net="/proc/$VSD_PID/ns/net" python3 -c "
import socket
s = socket.socket(); s.settimeout(5)
s.bind(('$1', 0)); s.connect(('$HOSTIP', $PORT))
print(s.makefile().readline().strip())"
}
case $(probe "$HOSTIP") in "+OK freeVSD"*) pass "from the host's address: greeting";;
*) not_ok "host source";; esac
# the front learns the VS's address with its next sync (about 2 s)
for i in $(seq 20); do
	out=$(probe "$VSIP")
	[ "$out" = "-ERR 403 virtual servers may not use this port" ] && break
	sleep 0.5
done
is "$out" "-ERR 403 virtual servers may not use this port" "from the VS's address: refused"
grep -q "refused: a virtual server's address" "$T/vsd.log"; ok $? "refusal logged"
done_testing
