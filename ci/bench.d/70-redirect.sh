#!/usr/bin/env bash
# vsredirect vs direct vs `socat TCP-LISTEN:...,fork`, in one run:
#  - throughput: one TCP stream, iperf3 -R for 3 s (server inside the VS);
#  - CPU cost of that stream: ms of CPU per GiB moved (client, server,
#    forwarder and ksoftirqd), steadier than throughput on a busy machine;
#  - connection rate: wrk, 32 connections, a new TCP connection for
#    every request ("Connection: close"), 3 s per round;
#  - keep-alive request rate: wrk, 32 connections;
#  - memory per idle relayed connection (vsredirect and socat).
# Rounds are interleaved (direct, vsredirect, socat, in an order rotated
# each round), medians and ratios are printed; everything runs pinned to
# CPU 0 (taskset) and unpinned.  The server is tests/helpers/netsvc-httpd inside a real VS
# network namespace (priv/net.h), the client on the host.
# Usage: ci/bench.d/70-redirect.sh [ROUNDS]   (default 5)
set -u
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VSD_BUILD:-$top/build}
rounds=${1:-5}
for c in curl wrk socat nsenter taskset iperf3; do
	command -v $c >/dev/null || { echo "70-redirect: needs $c"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "70-redirect: needs root"; exit 1; }
for b in vsredirect tests/vs-cgnet tests/netsvc-httpd; do
	[ -x "$build/$b" ] || make -C "$top" -s "build/$b" >/dev/null ||
		{ echo "70-redirect: cannot build $b"; exit 1; }
done

T=$(mktemp -d /tmp/vsdbench.XXXXXX)
ROOT=$T/root
mkdir -p "$ROOT/state/vs"
cat >"$T/vsd.conf" <<EOC
state_root "$ROOT"
listen none
secret_file "$T/secret"
EOC
export VSD_CONF=$T/vsd.conf
IP=10.$((RANDOM % 100 + 100)).$(($$ % 250)).2
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$build/tests/vs-cgnet" net destroy bench >/dev/null 2>&1
	findmnt -rn -o TARGET | grep -F "$T/" | xargs -r umount -l
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
printf 'name bench\nnumber 1\nuid_base 265536\nuid_count 65536\nip %s\nfqdn bench.test\nquota_mb 0\nnproc 0\ncreated 0\ndisposable no\nstate ready\n' \
	"$IP" >"$ROOT/state/vs/bench"
"$build/tests/vs-cgnet" net create bench 1 "$IP" ||
	{ echo "70-redirect: cannot build the VS network"; exit 1; }
NS=$ROOT/run/netns/bench
printf 'redirect 81 to 8081\nredirect 82 to 8082\nredirect 83 to 8083\n' >>"$T/vsd.conf"

waitfor() { local i; for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }

# start servers and forwarders, all on CPU set $1 ("0" or "0,1")
start_all() {
	local cpus=$1
	taskset -c "$cpus" nsenter --net="$NS" iperf3 -s -B "$IP" -p 8083 >/dev/null 2>&1 &
	SRV=$!		# nsenter --net execs: this is iperf3 itself
	pids+=($!)
	taskset -c "$cpus" nsenter --net="$NS" "$build/tests/netsvc-httpd" "$IP" 8081 128 >/dev/null &
	pids+=($!)
	taskset -c "$cpus" nsenter --net="$NS" "$build/tests/netsvc-httpd" "$IP" 8082 0 >/dev/null &
	pids+=($!)
	# socat on 9080..9082 inside the VS, the way a user would forward
	for p in 1 2 3; do
		taskset -c "$cpus" nsenter --net="$NS" socat \
			TCP-LISTEN:908$p,bind=$IP,reuseaddr,fork,backlog=4096 \
			TCP:$IP:808$p >/dev/null 2>&1 &
		pids+=($!)
		[ $p = 3 ] && SOCAT=$!
	done
	taskset -c "$cpus" "$build/vsredirect" -d -i 60 -m 100000 -M 100000 ${VSR_ARGS:-} \
		>"$T/vsr.log" 2>&1 &
	VSR=$!
	pids+=($VSR)
	waitfor curl -sf -o /dev/null "http://$IP:82/" 2>/dev/null ||
		{ echo "vsredirect did not come up"; cat "$T/vsr.log"; exit 1; }
	waitfor curl -sf -o /dev/null "http://$IP:9082/" 2>/dev/null
}
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pids=()
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# one throughput sample in Gbit/s (the server sends, as in a download)
tput() {
	local port=$1 cpus=$2
	taskset -c "$cpus" iperf3 -c "$IP" -p "$port" -R -t 3 -f g 2>/dev/null |
		awk '/receiver$/ {print $(NF-2)}'
}
# one wrk sample in requests/s
rps() {
	local port=$1 cpus=$2 close=$3
	taskset -c "$cpus" wrk -t1 -c32 -d3s ${close:+-H "Connection: close"} \
		"http://$IP:$port/" 2>/dev/null | awk '/^Requests\/sec/ {print $2}'
}

# CPU ms used by pids: their run time from schedstat (without
# CONFIG_IRQ_TIME_ACCOUNTING, as here, it includes the loopback softirq
# work done in their context) plus the children they reaped (socat forks
# one per connection; clock ticks).
cpu_ms() {
	local p s=0 tck
	tck=$(getconf CLK_TCK)
	for p in "$@"; do
		[ -r /proc/$p/schedstat ] || continue
		s=$((s + $(cut -d' ' -f1 /proc/$p/schedstat) / 1000000))
		s=$((s + $(awk -v t="$tck" '{print int(($16 + $17) * 1000 / t)}' /proc/$p/stat)))
	done
	echo $s
}
# One CPU cost sample: ms of CPU (client + server + forwarder + ksoftirqd)
# per GiB moved, for 1 GiB.  Unlike throughput it barely depends on what
# else the shared machine runs, and on one CPU throughput is its inverse.
cpucost() {
	local port=$1 cpus=$2 a b c
	shift 2
	a=$(cpu_ms $SRV $KSOFT "$@")
	c=$( (taskset -c "$cpus" iperf3 -c "$IP" -p "$port" -R -n 1G >/dev/null 2>&1; times) |
		awk 'NR == 2 {gsub(/[ms]/, " "); print int(($1 * 60 + $2 + $3 * 60 + $4) * 1000)}')
	sleep 0.2	# let socat reap its child
	b=$(cpu_ms $SRV $KSOFT "$@")
	echo $((b - a + c))
}
KSOFT=$(pgrep -x 'ksoftirqd/[0-9]+' | tr '\n' ' ')

# print the order of "$@" rotated by $1 places
rot() {
	local n=$1 j
	shift
	for ((j = 0; j < $#; j++)); do
		echo "${@:$(((j + n) % $# + 1)):1}"
	done
}

run_set() {
	local cpus=$1 label=$2 i m d v s
	echo "--- $label (client, server, forwarder on CPUs $cpus), $rounds rounds, medians"
	start_all "$cpus"
	declare -A R
	declare -A port=([d]=808 [v]=8 [s]=908) fwd=([d]= [v]=$VSR [s]=$SOCAT)
	for ((i = 0; i < rounds; i++)); do
		# a different order each round: with the machine's load
		# drifting, always measuring direct first biased the medians
		for k in $(rot "$i" d v s); do
			R[t$k]+="$(tput "${port[$k]}3" "$cpus") "
			R[u$k]+="$(cpucost "${port[$k]}3" "$cpus" ${fwd[$k]}) "
		done
		for k in $(rot "$i" d v s); do
			R[c$k]+="$(rps "${port[$k]}2" "$cpus" 1) "
		done
		for k in $(rot "$i" d v s); do
			R[k$k]+="$(rps "${port[$k]}1" "$cpus" "") "
		done
	done
	for m in t u c k; do
		d=$(echo ${R[${m}d]} | tr ' ' '\n' | median)
		v=$(echo ${R[${m}v]} | tr ' ' '\n' | median)
		s=$(echo ${R[${m}s]} | tr ' ' '\n' | median)
		case $m in
		t) name="throughput, 1 stream, iperf3 (Gbit/s)";;
		u) # lower is better: print direct/x so that 1.00x is par
			printf '%-40s direct %9s  vsredirect %9s  socat %9s   efficiency vs direct %.2fx  vsredirect vs socat %.2fx\n' \
			    "CPU ms per GiB, 1 stream (lower=better)" "$d" "$v" "$s" \
			    "$(awk -v a="$v" -v b="$d" 'BEGIN{print a ? b/a : 0}')" \
			    "$(awk -v a="$v" -v b="$s" 'BEGIN{print a ? b/a : 0}')"
			continue;;
		c) name="new connection per request (req/s)";;
		k) name="keep-alive, 32 connections (req/s)";;
		esac
		printf '%-40s direct %9s  vsredirect %9s  socat %9s   vsredirect/direct %.2fx  vsredirect/socat %.2fx\n' \
			"$name" "$d" "$v" "$s" "$(awk -v a="$v" -v b="$d" 'BEGIN{print b ? a/b : 0}')" \
			"$(awk -v a="$v" -v b="$s" 'BEGIN{print b ? a/b : 0}')"
	done
	stop_all
}

# memory per idle relayed connection: N connections held open
mem_idle() {
	local n=2000 ns=50 r0 r1 h
	start_all 0,1
	r0=$(awk '/^VmRSS/ {print $2}' /proc/$VSR/status)
	python3 - "$IP" 82 $n <<'PY' &
import socket, sys, time
cs = [socket.create_connection((sys.argv[1], int(sys.argv[2]))) for _ in range(int(sys.argv[3]))]
print("held", flush=True); time.sleep(4)
PY
	local h=$!
	sleep 2.5
	r1=$(awk '/^VmRSS/ {print $2}' /proc/$VSR/status)
	printf '%-40s vsredirect: %.2f KiB of process memory per connection (%d held; 2 fds, no pipe until data flows, then at most 2 pipes of the pipe size)\n' \
		"memory per idle relayed connection" "$(awk -v a=$r0 -v b=$r1 -v n=$n 'BEGIN{print (b-a)/n}')" $n
	wait $h
	# socat: one process per connection
	python3 - "$IP" 9082 $ns <<'PY' &
import socket, sys, time
cs = [socket.create_connection((sys.argv[1], int(sys.argv[2]))) for _ in range(int(sys.argv[3]))]
time.sleep(4)
PY
	h=$!
	sleep 2.5
	local kids
	kids=$(pgrep -f "TCP-LISTEN:9082" | xargs -I{} sh -c 'grep -h "^Pss:" /proc/{}/smaps_rollup 2>/dev/null' | awk '{s+=$2} END {print s}')
	printf '%-40s socat: %.0f KiB (PSS of its processes) per connection (%d held)\n' "" \
		"$(awk -v k="$kids" -v n=$ns 'BEGIN{print k/n}')" $ns
	wait $h
	stop_all
}

echo "vsredirect benchmark: VS $IP in its own netns; targets: throughput >= 0.9x direct and >= 2x socat, connection rate >= 3x socat"
run_set 0 "pinned"
run_set 0,1 "unpinned"
mem_idle
