#!/usr/bin/env bash
# vsredirect in kernel mode (nftables DNAT in the VS's netns) and in relay
# mode vs direct vs `socat TCP-LISTEN:...,fork`, in one run:
#  - throughput: one TCP stream, iperf3 -R for 3 s (server inside the VS);
#  - CPU cost of that stream: ms of CPU per GiB moved (client, server,
#    forwarder and ksoftirqd), steadier than throughput on a busy machine;
#  - connection rate: wrk, 32 connections, a new TCP connection for
#    every request ("Connection: close"), 3 s per round;
#  - keep-alive request rate: wrk, 32 connections;
#  - memory per idle redirected connection (kernel: conntrack entries;
#    relay: vsredirect's memory; socat).
# Rounds are interleaved (direct, kernel, relay, socat, in an order rotated
# each round), medians and ratios are printed; everything runs pinned to
# CPU 0 (taskset) and unpinned.  The server is tests/helpers/netsvc-httpd inside a real VS
# network namespace (priv/net.h), the client on the host.  The VS's
# name is unique per run, so two runs at once do not meet.
# Usage: ci/bench.d/70-redirect.sh [ROUNDS]   (default 5)
set -u
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${VSD_BUILD:-$top/build}
rounds=${1:-5}
for c in curl wrk socat nsenter taskset iperf3 nft; do
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
VS=bench$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$build/tests/vs-cgnet" net destroy "$VS" >/dev/null 2>&1
	findmnt -rn -o TARGET | grep -F "$T/" | xargs -r umount -l
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
printf 'name %s\nnumber 1\nuid_base 265536\nuid_count 65536\nip %s\nfqdn bench.test\nquota_mb 0\nnproc 0\ncreated 0\ndisposable no\nstate ready\n' \
	"$VS" "$IP" >"$ROOT/state/vs/$VS"
"$build/tests/vs-cgnet" net create "$VS" 1 "$IP" ||
	{ echo "70-redirect: cannot build the VS network"; exit 1; }
NS=$ROOT/run/netns/$VS
# 8x: kernel mode, to servers of their own on 818x; 9x: relay mode, to
# the servers on 808x that direct and socat use.  Kernel mode must not
# share servers with direct: the client's ports would meet the server's
# TIME_WAIT sockets of direct connections (same server-side 4-tuple,
# unrelated sequence numbers: SYNs dropped, 1 s retransmits), which no
# real client mixing two ports does at this rate.
mkdir -p "$ROOT/state/redirect"
for p in 1 2 3; do
	printf 'redirect 8%d to 818%d mode kernel\nredirect 9%d to 808%d mode relay\n' $p $p $p $p
done >"$ROOT/state/redirect/$VS"

waitfor() { local i; for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }

# start servers and forwarders, all on CPU set $1 ("0" or "0,1")
start_all() {
	local cpus=$1
	local b
	for b in 80 81; do
		taskset -c "$cpus" nsenter --net="$NS" iperf3 -s -B "$IP" -p ${b}83 >/dev/null 2>&1 &
		pids+=($!)	# nsenter --net execs: this is iperf3 itself
		[ $b = 80 ] && SRV=$! || SRVK=$!
		taskset -c "$cpus" nsenter --net="$NS" "$build/tests/netsvc-httpd" "$IP" ${b}81 128 >/dev/null &
		pids+=($!)
		taskset -c "$cpus" nsenter --net="$NS" "$build/tests/netsvc-httpd" "$IP" ${b}82 0 >/dev/null &
		pids+=($!)
	done
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
	waitfor curl -sf -o /dev/null "http://$IP:82/" 2>/dev/null &&
	waitfor curl -sf -o /dev/null "http://$IP:92/" 2>/dev/null ||
		{ echo "vsredirect did not come up"; cat "$T/vsr.log"; exit 1; }
	grep -q ":82 -> 8182 (kernel)" "$T/vsr.log" ||
		{ echo "kernel mode is not in use"; cat "$T/vsr.log"; exit 1; }
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
# One CPU cost sample: ms of CPU (client + server + forwarder + ksoftirqd;
# the server and forwarder pids are given) per GiB moved, for 1 GiB.  Unlike throughput it barely depends on what
# else the shared machine runs, and on one CPU throughput is its inverse.
cpucost() {
	local port=$1 cpus=$2 a b c
	shift 2
	a=$(cpu_ms $KSOFT "$@")
	c=$( (taskset -c "$cpus" iperf3 -c "$IP" -p "$port" -R -n 1G >/dev/null 2>&1; times) |
		awk 'NR == 2 {gsub(/[ms]/, " "); print int(($1 * 60 + $2 + $3 * 60 + $4) * 1000)}')
	sleep 0.2	# let socat reap its child
	b=$(cpu_ms $KSOFT "$@")
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

# ratio A B: A/B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b ? a/b : 0}'; }

run_set() {
	local cpus=$1 label=$2 i m k
	echo "--- $label (client, server, forwarder on CPUs $cpus), $rounds rounds, medians"
	start_all "$cpus"
	declare -A R M
	# kernel mode has no forwarder process: its cost is in the client's,
	# the server's and ksoftirqd's time
	declare -A port=([d]=808 [k]=8 [r]=9 [s]=908) \
		fwd=([d]=$SRV [k]=$SRVK [r]="$SRV $VSR" [s]="$SRV $SOCAT")
	for ((i = 0; i < rounds; i++)); do
		# a different order each round: with the machine's load
		# drifting, always measuring direct first biased the medians
		for k in $(rot "$i" d k r s); do
			R[t$k]+="$(tput "${port[$k]}3" "$cpus") "
			R[u$k]+="$(cpucost "${port[$k]}3" "$cpus" ${fwd[$k]}) "
		done
		for k in $(rot "$i" d k r s); do
			R[c$k]+="$(rps "${port[$k]}2" "$cpus" 1) "
		done
		for k in $(rot "$i" d k r s); do
			R[a$k]+="$(rps "${port[$k]}1" "$cpus" "") "
		done
	done
	printf '%-38s %9s %9s %9s %9s   %s\n' "" direct kernel relay socat \
		"kernel/direct relay/direct kernel/socat relay/socat"
	for m in t u c a; do
		for k in d k r s; do
			M[$k]=$(echo ${R[$m$k]} | tr ' ' '\n' | median)
		done
		case $m in
		t) name="throughput, 1 stream (Gbit/s)";;
		u) name="CPU ms per GiB (lower=better)";;
		c) name="new connection per request (req/s)";;
		a) name="keep-alive, 32 connections (req/s)";;
		esac
		if [ $m = u ]; then
			# lower is better: direct/x, so that 1.00x is par
			printf '%-38s %9s %9s %9s %9s   %sx %sx %sx %sx (efficiency)\n' "$name" \
				"${M[d]}" "${M[k]}" "${M[r]}" "${M[s]}" \
				"$(ratio "${M[d]}" "${M[k]}")" "$(ratio "${M[d]}" "${M[r]}")" \
				"$(ratio "${M[s]}" "${M[k]}")" "$(ratio "${M[s]}" "${M[r]}")"
			continue
		fi
		printf '%-38s %9s %9s %9s %9s   %sx %sx %sx %sx\n' "$name" \
			"${M[d]}" "${M[k]}" "${M[r]}" "${M[s]}" \
			"$(ratio "${M[k]}" "${M[d]}")" "$(ratio "${M[r]}" "${M[d]}")" \
			"$(ratio "${M[k]}" "${M[s]}")" "$(ratio "${M[r]}" "${M[s]}")"
	done
	stop_all
}

# hold PORT N: open N connections to PORT, keep them 30 s (HOLD = pid);
# returns once all are open
hold() {
	rm -f "$T/held"
	python3 - "$IP" "$1" "$2" "$T/held" <<'PY' &
import socket, sys, time
cs = [socket.create_connection((sys.argv[1], int(sys.argv[2]))) for _ in range(int(sys.argv[3]))]
open(sys.argv[4], "w").write("held\n")
time.sleep(30)
PY
	HOLD=$!
	pids+=($HOLD)
	waitfor test -s "$T/held" || waitfor test -s "$T/held"
	sleep 0.5
}
rss() { awk '/^VmRSS/ {print $2}' /proc/$VSR/status; }
ctcount() { nsenter --net="$NS" cat /proc/sys/net/netfilter/nf_conntrack_count; }

# memory per idle redirected connection: N connections held open.  Run
# first, while the VS's conntrack table holds no TIME_WAIT entries of the
# other runs.
mem_idle() {
	local n=2000 ns=50 r0 r1 c0 c1 obj kids
	start_all 0,1
	# kernel mode: one conntrack entry per connection, nothing in
	# vsredirect
	r0=$(rss); c0=$(ctcount)
	hold 82 $n
	r1=$(rss); c1=$(ctcount)
	obj=$(awk '$1 == "nf_conntrack" {print $4}' /proc/slabinfo 2>/dev/null)
	printf '%-40s kernel: %d conntrack entries for %d connections (%s bytes each in the slab), vsredirect grew %.2f KiB per connection\n' \
		"memory per idle redirected connection" $((c1 - c0)) $n "${obj:-?}" \
		"$(awk -v a=$r0 -v b=$r1 -v n=$n 'BEGIN{print (b-a)/n}')"
	kill $HOLD; wait $HOLD 2>/dev/null
	r0=$(rss)
	hold 92 $n
	r1=$(rss)
	printf '%-40s relay: %.2f KiB of process memory per connection (%d held; 2 fds, no pipe until data flows, then at most 2 pipes of the pipe size)\n' \
		"" "$(awk -v a=$r0 -v b=$r1 -v n=$n 'BEGIN{print (b-a)/n}')" $n
	kill $HOLD; wait $HOLD 2>/dev/null
	# socat: one process per connection
	hold 9082 $ns
	kids=$(pgrep -f "TCP-LISTEN:9082" | xargs -I{} sh -c 'grep -h "^Pss:" /proc/{}/smaps_rollup 2>/dev/null' | awk '{s+=$2} END {print s}')
	printf '%-40s socat: %.0f KiB (PSS of its processes) per connection (%d held)\n' "" \
		"$(awk -v k="$kids" -v n=$ns 'BEGIN{print k/n}')" $ns
	kill $HOLD; wait $HOLD 2>/dev/null
	stop_all
}

echo "vsredirect benchmark: VS $VS ($IP) in its own netns; targets: throughput >= 0.9x direct and >= 2x socat, connection rate >= 3x socat"
echo "load: $(uptime)"
mem_idle
run_set 0 "pinned"
run_set 0,1 "unpinned"
