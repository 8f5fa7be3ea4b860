#!/usr/bin/env bash
# virtuald's per-connection services against what a user would otherwise
# run, in one run: a new connection per request, each running
# /usr/bin/true, from a client on the host to the VS's address.
#  - virtuald nowait: the program runs INSIDE the VS (its namespaces,
#    cgroup, caps, seccomp), as its root;
#  - socat TCP-LISTEN,fork EXEC:"bevs web1 /usr/bin/true": the same
#    isolation assembled by hand;
#  - systemd-socket-activate --inetd -a and socat fork EXEC:/usr/bin/true,
#    both listening in the VS's network namespace but running the program
#    as host root on the host's filesystem (no isolation: the floor).
# Rounds interleaved (order rotated), medians of connections per second
# (sequential client, and 4 clients at once) and server-side CPU per
# connection (utime+stime of the server and the children it reaped, from
# /proc/PID/stat).  Usage: ci/bench.d/75-virtuald.sh [ROUNDS] (default 5)
set -u
source "$VSD_TOP/tests/lib/common.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm vsboot bevs virtuald socat systemd-socket-activate python3 nsenter
rounds=${1:-5}
N=${VSD_BENCH_CONNS:-200}
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S" "$ROOT/state/skel"
fixture_skel "$S"
net=$(( $$ % 200 + 20 ))
IP=10.84.$net.2
vsdadm vs_create localhost web1 "$IP" web1.example.com 100 0 >/dev/null || bail "create"
defer "vsboot --stop -t 2 web1"
vsboot --start web1 >/dev/null || bail "start"
PIN=$ROOT/run/netns/web1
mkdir -p "$ROOT/state/services"
printf 'service t {\n port 9001\n user root\n program /usr/bin/true\n max_conns 64\n}\nmax_conns 64\n' \
	>"$ROOT/state/services/web1"
virtuald -d -M 64 -S 64 >"$T/virtuald.log" 2>&1 &
VD=$!; defer "kill $VD"
nsenter --net="$PIN" socat TCP-LISTEN:9002,bind=$IP,reuseaddr,fork,backlog=256 \
	EXEC:"$(command -v bevs) web1 /usr/bin/true" 2>/dev/null &
SB=$!; defer "kill $SB"
nsenter --net="$PIN" systemd-socket-activate -l $IP:9003 --inetd -a /usr/bin/true \
	2>/dev/null &
SA=$!; defer "kill $SA"
nsenter --net="$PIN" socat TCP-LISTEN:9004,bind=$IP,reuseaddr,fork,backlog=256 \
	EXEC:/usr/bin/true 2>/dev/null &
SX=$!; defer "kill $SX"

# client: N connections, each read until EOF; prints connections/s
cat >"$T/client.py" <<'EOF'
import socket, sys, threading, time
ip, port, n, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
err = []
def worker(k):
    for _ in range(k):
        try:
            c = socket.create_connection((ip, port), timeout=20)
            while c.recv(4096):
                pass
            c.close()
        except OSError as e:
            err.append(e)
t0 = time.time()
ths = [threading.Thread(target=worker, args=(n // par,)) for _ in range(par)]
for t in ths: t.start()
for t in ths: t.join()
dt = time.time() - t0
print("%.1f %d" % ((n // par * par - len(err)) / dt, len(err)))
EOF
for p in 9001 9002 9003 9004; do
	for i in $(seq 50); do
		python3 "$T/client.py" "$IP" $p 1 1 >/dev/null 2>&1 && break
		sleep 0.1
	done
done

cpu() {	# CPU ms of pid and the children it reaped
	awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15 + $16 + $17) * 1000 / t)}' /proc/$1/stat
}
names=(virtuald "socat+bevs" "systemd-socket-activate" "socat (no isolation)")
ports=(9001 9002 9003 9004)
pids=($VD $SB $SA $SX)
echo "virtuald benchmark: $N connections per sample, each running /usr/bin/true; load: $(uptime | sed 's/.*load/load/')"
for r in $(seq "$rounds"); do
	for k in 0 1 2 3; do
		i=$(( (k + r) % 4 ))
		for par in 1 4; do
			c0=$(cpu ${pids[$i]})
			read -r rate errs < <(python3 "$T/client.py" "$IP" ${ports[$i]} "$N" $par)
			c1=$(cpu ${pids[$i]})
			echo "$i $par $rate $errs $(( (c1 - c0) * 1000 / N ))" >>"$T/res"
		done
	done
done
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '%-26s %14s %14s %16s %7s\n' "" "conn/s 1 client" "conn/s 4 clients" "server CPU us/conn" "errors"
for i in 0 1 2 3; do
	r1=$(awk -v i=$i '$1==i && $2==1 {print $3}' "$T/res" | median)
	r4=$(awk -v i=$i '$1==i && $2==4 {print $3}' "$T/res" | median)
	cu=$(awk -v i=$i '$2==4 && $1==i {print $5}' "$T/res" | median)
	er=$(awk -v i=$i '$1==i {s += $4} END {print s + 0}' "$T/res")
	printf '%-26s %14s %14s %16s %7s\n' "${names[$i]}" "$r1" "$r4" "$cu" "$er"
	eval "R1_$i=$r1 R4_$i=$r4"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", (b > 0 ? a / b : 0)}'; }
echo "ratios, 4 clients: virtuald/socat+bevs $(ratio "$R4_0" "$R4_1")," \
	"virtuald/systemd-socket-activate $(ratio "$R4_0" "$R4_2")," \
	"virtuald/socat (no isolation) $(ratio "$R4_0" "$R4_3")"
echo "($rounds rounds, medians; server CPU: the server process and the children it reaped, 4 clients)"
