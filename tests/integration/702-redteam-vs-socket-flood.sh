#!/usr/bin/env bash
# Red team: any user of a VS can connect to vsd through the VS's own socket
# (/run/vsd.sock inside).  Connections used to count only against the
# global max_clients, so one unprivileged VS user holding that many open
# locked the host's administrators and every other VS out of vsd.  A VS
# now gets a few connections of its own, and all VSs together never the
# whole of max_clients.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat setpriv python3
new_state_root
fixture_skel "$ROOT/skel"
chmod 755 "$T" "$ROOT"
start_vsd "max_clients 64"
session $'vs_create web1 10.202.0.2 web1.example.com 100 0\nvs_create web2 10.202.0.3 web2.example.com 100 0\nEOF\n' >/dev/null
U1=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
U2=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web2")
[ -n "$U1" ] && [ -n "$U2" ] || bail "VSs not created"

cat >"$T/hold.py" <<'EOP'
import socket, sys, os, time
path, n, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
held = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        s.settimeout(2)
        if b"server ready" in s.recv(4096):
            held.append(s)
    except OSError:
        pass
print(len(held), flush=True)
while not os.path.exists(stop):
    time.sleep(0.1)
EOP
# an ordinary user of web1 (VS uid 1000), not even its root
as_uid $((U1 + 1000)) /usr/bin/python3 "$T/hold.py" "$ROOT/run/vs/web1/vsd.sock" 100 \
	"$T/stop" >"$T/ready" &
hpid=$!
defer "touch $T/stop; kill $hpid 2>/dev/null"
for i in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
held=$(cat "$T/ready" 2>/dev/null)
diag "web1's user holds $held connections"
ok "$([ -n "$held" ] && [ "$held" -lt 64 ]; echo $?)" "a VS cannot take all of max_clients"
is "$(session $'version\nEOF\n' | sed -n 2p | cut -c1-3)" "+OK" "the host admin still reaches vsd"
is "$(vs_session web2 "$U2" $'version\nEOF\n' | sed -n 2p | cut -c1-3)" "+OK" "another VS still reaches vsd"
touch "$T/stop"
wait $hpid
done_testing
