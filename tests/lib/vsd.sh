# tests/lib/vsd.sh - helpers of the vsd tests (200-299); source after
# common.sh (and vsroot.sh for fixture_skel).
#
# start_vsd [EXTRA-CONF-LINES]: a vsd on $ROOT with its own TCP port on
# loopback ($PORT), a fresh secret, client_timeout 3, auth_fail_delay 300;
# waits until it serves; stopped (and its workers) on exit.  $VSD_PID.
# session TEXT: send TEXT to the unix socket, print every answer line.
# tcp_session TEXT: the same, unauthenticated, over TCP.

PORT=$((20000 + ($$ % 20000)))

start_vsd() {
	local extra=${1:-}
	cat >"$CONF" <<EOC
state_root "$ROOT"
skel_conf "$VSD_TOP/conf/skel.conf"
secret_file "$T/secret"
listen 127.0.0.1 port $PORT
client_timeout 3
auth_fail_delay 300
$extra
EOC
	[ -e "$T/secret" ] || vsd -c "$CONF" --gen-secret >/dev/null ||
		bail "cannot make a secret"
	vsd -c "$CONF" -f -d >>"$T/vsd.log" 2>&1 &
	VSD_PID=$!
	defer "kill $VSD_PID 2>/dev/null; sleep 0.2; kill -9 $VSD_PID 2>/dev/null"
	local i
	for i in $(seq 100); do
		[ -S "$ROOT/run/vsd.sock" ] && session "" | grep -q 'server ready' &&
			return 0
		sleep 0.05
	done
	cat "$T/vsd.log"
	bail "vsd did not start"
}

stop_vsd() {
	kill "$VSD_PID" 2>/dev/null
	wait "$VSD_PID" 2>/dev/null
}

# VSD_WAIT: seconds a session waits for answers after sending (default 10)
session() {
	local w=${VSD_WAIT:-10}
	printf '%s' "$1" | timeout $((w + 10)) socat -t "$w" - \
		"UNIX-CONNECT:$ROOT/run/vsd.sock"
}

tcp_session() {
	printf '%s' "$1" | timeout 20 socat -t 10 - "TCP:127.0.0.1:$PORT"
}

# as_user USER CMD...: run as another host user (nobody) without a shell
as_user() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
}

# as_uid UID CMD...: run with a numeric uid/gid (a VS's mapped range)
as_uid() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# vs_session NAME UID TEXT: TEXT over VS NAME's own socket as host uid UID
vs_session() {
	printf '%s' "$3" | as_uid "$2" timeout 20 socat -t 10 - \
		"UNIX-CONNECT:$ROOT/run/vs/$1/vsd.sock"
}
