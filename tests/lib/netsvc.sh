# tests/lib/netsvc.sh - fixtures of the 5xx tests (vsredirect, virtuald);
# source after common.sh and new_state_root.
#
# vs_up NAME NUMBER IP   a VS record and its real network (priv/net.h via
#                        tests/helpers/vs-cgnet): pinned netns, veth, IP
# vs_down NAME           remove its network (the record stays)
# in_vs NAME CMD...      run CMD in the VS's network namespace (host root)
# peer ARGS...           tests/lib/netsvc_peer.py (servers and clients)
# peer_bg NAME ARGS...   a peer server inside VS NAME, waits for "ready"
# wait_until SECS CMD... retry CMD every 0.1 s until it succeeds
# Test addresses: $NET.N with NET=10.X.Y unique per script run.

NETSVC_PEER=$VSD_TOP/tests/lib/netsvc_peer.py
PYTHON=${PYTHON:-$(command -v python3)}
NET=10.$((RANDOM % 150 + 100)).$(($$ % 250))
mkdir -p "$ROOT/state/vs" 2>/dev/null

vs_up() {
	local name=$1 num=$2 ip=$3
	printf 'name %s\nnumber %s\nuid_base %s\nuid_count 65536\nip %s\nfqdn %s.test\nquota_mb 0\nnproc 0\ncreated 0\ndisposable no\nstate ready\n' \
		"$name" "$num" $((200000 + num * 65536)) "$ip" "$name" \
		>"$ROOT/state/vs/$name"
	"$VSD_BUILD/tests/vs-cgnet" net create "$name" "$num" "$ip" || return 1
	defer "'$VSD_BUILD/tests/vs-cgnet' net destroy '$name'"
}

vs_down() {
	"$VSD_BUILD/tests/vs-cgnet" net destroy "$1"
}

in_vs() {
	local name=$1; shift
	nsenter --net="$ROOT/run/netns/$name" "$@"
}

peer() {
	"$PYTHON" "$NETSVC_PEER" "$@"
}

# peer_bg VS ARGS...: start a server in VS; sets PEER_PID
peer_bg() {
	local name=$1 f=$T/peer.$RANDOM; shift
	# a simple command, not the in_vs function: then $! is the server
	# itself (nsenter execs it), and the deferred kill ends it
	nsenter --net="$ROOT/run/netns/$name" "$PYTHON" "$NETSVC_PEER" "$@" \
		>"$f" 2>&1 &
	PEER_PID=$!
	defer "kill $PEER_PID"
	wait_until 10 grep -q ready "$f"
}

wait_until() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# start_vsredirect ARGS...: in the foreground mode, log in $T/vsredirect.log;
# sets VSR_PID; waits for "ready"
start_vsredirect() {
	local n
	n=$(grep -c "ready:" "$T/vsredirect.log" 2>/dev/null)
	vsredirect -d -v "$@" >>"$T/vsredirect.log" 2>&1 &
	VSR_PID=$!
	defer "kill $VSR_PID; wait $VSR_PID"
	# a new "ready:" line (the log may hold an earlier run's)
	wait_until 10 _vsr_readies_over "${n:-0}"
}

_vsr_readies_over() {
	[ "$(grep -c "ready:" "$T/vsredirect.log" 2>/dev/null)" -gt "$1" ]
}

# gone PID: the process has exited (a zombie counts: a daemon's parent
# is init, which may reap it late)
gone() {
	! grep -qs '^State:.*[RSDT]' "/proc/$1/status"
}

# daemon_pid PATTERN: the pid of the one process whose command line is
# exactly PATTERN (a daemonized vsredirect or virtuald)
daemon_pid() {
	pgrep -x -f "$1" | head -1
}

need_netsvc() {
	need_root
	need_cmd nsenter curl ip
	[ -n "$PYTHON" ] || skip_all "needs python3"
	[ -x "$VSD_BUILD/tests/vs-cgnet" ] || skip_all "needs build/tests/vs-cgnet (make check-integration builds it)"
}

# netsvc_done: done_testing, showing the daemons' logs after a failure
netsvc_done() {
	local f
	if [ "$_tap_fail" -gt 0 ]; then
		for f in "$T"/vsredirect.log "$T"/virtuald.log; do
			[ -f "$f" ] && sed "s|^|# $(basename "$f" .log): |" "$f" | tail -60
		done
	fi
	done_testing
}
