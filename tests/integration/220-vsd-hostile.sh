#!/usr/bin/env bash
# 220-vsd-hostile: hostile clients get -ERR or a closed connection within
# bounded memory and time, and never stall the daemon for others:
# thousands of connections, huge lines, binary bytes, deep braces, a
# slowloris trickle, a client that never reads, pipelining, half-close.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat python3
new_state_root
fixture_skel "$ROOT/skel"
start_vsd "max_clients 300"
session $'vs_create web1 10.203.0.2 web1.example.com 100 0\nEOF\n' >/dev/null
rss() { awk '/^VmRSS/{print $2}' "/proc/$VSD_PID/status"; }
alive() { session $'vs_info web1\nEOF\n' | grep -q '^+OK server web1'; }
rss0=$(rss)

# python helper: hostile clients against the unix socket
H=$T/hostile.py
cat >"$H" <<'PY'
import socket, sys, time, os
path = sys.argv[1]; what = sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(10)
    s.recv(4096)            # greeting
    return s
def readall(s, t=10):
    s.settimeout(t); out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except (socket.timeout, ConnectionResetError): pass
    return out
if what == "many":          # more connections than max_clients
    socks, refused = [], 0
    for i in range(600):
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(5)
        g = s.recv(200)
        if g.startswith(b"-ERR 429"): refused += 1
        socks.append(s)
    print("refused", refused)
    time.sleep(0.5)
    for s in socks: s.close()
elif what == "huge":        # 50 MB without a newline, then a command
    s = conn(); chunk = b"A" * 65536
    for i in range(800): s.sendall(chunk)
    s.sendall(b"\nvs_list\nEOF\n"); print(readall(s).decode(errors="replace"))
elif what == "binary":
    s = conn(); s.sendall(bytes(range(256)) * 40 + b"\n\x00\xff\n{{{{\n" +
        b"{" * 5000 + b"\n" + b"}" * 3000 + b"\nvs_list\nEOF\n")
    print(readall(s).decode(errors="replace"))
elif what == "noread":      # sends 200k commands and never reads
    s = conn(); s.setblocking(False); sent = 0
    t = time.time()
    while time.time() - t < 3:
        try: sent += s.send(b"vs_list\n" * 1000)
        except BlockingIOError: time.sleep(0.01)
    print("sent", sent); time.sleep(1); s.close()
elif what == "pipeline":
    s = conn(); s.sendall(b"vs_info web1\n" * 1000 + b"EOF\n")
    out = readall(s).decode()
    print("answers", out.count("+OK server web1 {"), "signoff", out.count("signing off"))
elif what == "slow":        # slowloris: a byte every 0.4 s, never a line
    s = conn(); t = time.time(); closed = False
    for i in range(40):
        try:
            s.send(b"v")
            s.settimeout(0.4)
            d = s.recv(4096)
            if d == b"" or b"timeout" in d: closed = True; break
        except socket.timeout: pass
        except (BrokenPipeError, ConnectionResetError): closed = True; break
    print("closed" if closed else "open", round(time.time() - t))
elif what == "datablock":   # an unterminated data block, then hang up
    s = conn(); s.sendall(b"aliases_set web1 {\nx: y\n"); s.close(); print("ok")
PY

out=$(python3 "$H" "$ROOT/run/vsd.sock" many)
n=$(echo "$out" | awk '{print $2}')
[ "${n:-0}" -gt 250 ]; ok $? "600 connections, max_clients 300: the rest get 429 ($n)"
alive; ok $? "daemon serves after the connection flood"

out=$(python3 "$H" "$ROOT/run/vsd.sock" huge)
echo "$out" | grep -q '^-ERR 413 line longer than'; ok $? "50 MB line: 413"
echo "$out" | grep -q '^+OK 1 servers'; ok $? "connection usable after it"
[ "$(rss)" -lt $((rss0 + 20000)) ]; ok $? "RSS bounded after 50 MB of junk ($(rss) kB, started $rss0 kB)"

out=$(python3 "$H" "$ROOT/run/vsd.sock" binary)
echo "$out" | grep -q '^-ERR 400 '; ok $? "binary bytes: 400"
echo "$out" | grep -q '^+OK 1 servers'; ok $? "deep braces and binary: still usable"

out=$(python3 "$H" "$ROOT/run/vsd.sock" pipeline)
is "$out" "answers 1000 signoff 1" "1000 pipelined commands, answered in order"

python3 "$H" "$ROOT/run/vsd.sock" noread >/dev/null &
nr=$!
sleep 1
start=$(date +%s%N)
alive; ok $? "a client that never reads does not block others"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 2000 ]; ok $? "others answered in ${ms} ms"
wait $nr
[ "$(rss)" -lt $((rss0 + 20000)) ]; ok $? "RSS bounded with an unread client ($(rss) kB)"

# many clients at once through the executor: no deadlock, nothing lost
out=$(timeout 60 "$VSD_BUILD/tests/vsd-load" -U "$ROOT/run/vsd.sock" -c 250 -n 20 vs_info web1 2>&1)
case $out in *" 0 failed"*) pass "250 clients x 20 vs_info: all answered ($out)";;
*) not_ok "250 concurrent clients: $out";; esac
out=$(timeout 60 "$VSD_BUILD/tests/vsd-load" -U "$ROOT/run/vsd.sock" -c 50 -n 4 quota_get web1 2>&1)
case $out in *" 0 failed"*) pass "50 clients x 4 quota_get (workers): all answered";;
*) not_ok "50 concurrent workers: $out";; esac

python3 "$H" "$ROOT/run/vsd.sock" slow >"$T/slow.out" &
sl=$!
sleep 1
alive; ok $? "serving during a slowloris trickle"
wait $sl
out=$(cat "$T/slow.out")
case $out in "closed "[2-9]|"closed 1"[0-9]) pass "trickling client closed after client_timeout ($out s)";;
*) not_ok "trickling client closed ($out)";; esac

python3 "$H" "$ROOT/run/vsd.sock" datablock >/dev/null
alive; ok $? "an unterminated data block and a hang-up"
[ ! -e "$ROOT/vs/web1/etc/aliases" ] || ! grep -q '^x: y' "$ROOT/vs/web1/etc/aliases"
ok $? "a half data block changes nothing"

# TCP: unauthenticated clients get nothing but the greeting and auth
out=$(head -c 300000 /dev/urandom | timeout 20 socat -t 5 - "TCP:127.0.0.1:$PORT" 2>/dev/null | head -5)
echo "$out" | head -1 | grep -q '^+OK freeVSD'; ok $? "TCP junk: greeting"
[ "$(echo "$out" | grep -c '^-ERR')" -le 3 ]; ok $? "TCP junk: at most 3 errors, then closed"
alive; ok $? "daemon alive at the end"
kill -0 "$VSD_PID"; ok $? "never crashed"
nfd=$(ls /proc/$VSD_PID/fd | wc -l)
[ "$nfd" -lt 30 ]; ok $? "no descriptor leak after all that ($nfd open)"
done_testing
