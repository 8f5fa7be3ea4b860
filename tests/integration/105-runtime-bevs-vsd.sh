#!/usr/bin/env bash
# bevs for members of admin_group, through vsd (bevs is never set-uid):
# a member runs commands and an interactive shell, exit codes and signals
# pass through, -u works, TIOCSTI from inside stays inside; non-members
# (wrong groups, the group only as an unrelated gid, vsd's own front id)
# are refused and nothing runs; hostile VS names and raw hostile requests
# are refused and vsd keeps serving; killing the client leaves nothing in
# the VS; the caller gets no fd but the pty master or its three pipes;
# the window size and TERM reach the pty; the per-user session bound
# holds; every session is logged and caller text cannot forge log lines;
# vsd stopping ends its sessions; without vsd a member gets exit 3.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
rt_setup
need_cmd python3 setpriv socat
unset VSDADM_LOCAL

# ids nobody on this host uses (never touch /etc/passwd or /etc/group):
# ADM is admin_group (numeric), OTHER an unrelated group, MEMBER a user
base=$((61000 + ($$ % 400) * 4))
ADM=$base OTHER=$((base + 1)) MEMBER=$((base + 2)) STRANGER=$((base + 3))
for id in $ADM $OTHER $MEMBER $STRANGER; do
	getent passwd "$id" >/dev/null || getent group "$id" >/dev/null &&
		skip_all "id $id is in use on this host"
done
chmod 755 "$T" "$ROOT"

start_vsd "admin_group $ADM
bevs_sessions_per_user 2"
VSDADM_LOCAL=1 rt_vs web1 10.79.$(( $$ % 200 + 20 )).3
rt_tools web1 tty readlink stty
vsboot --start web1 >/dev/null || bail "start"
base_uid=$(vs_uid web1)
# the host's python (a root-only pyenv shim would not run as the member)
PY=/usr/bin/python3
[ -x $PY ] || skip_all "needs $PY"
P="$PY $VSD_TOP/tests/data/ptyrun.py"

# as_member / as_id UID GID GROUPS CMD...: a process without capabilities
as_id() {
	local u=$1 g=$2 gs=$3 grp=--clear-groups; shift 3
	[ -n "$gs" ] && grp=--groups=$gs
	setpriv --reuid="$u" --regid="$g" "$grp" --inh-caps=-all \
		--bounding-set=-all "$@"
}
as_member() { as_id $MEMBER $MEMBER $ADM "$@"; }

# --- a member: commands, exit codes, users ------------------------------
is "$(as_member bevs web1 cat /proc/sys/kernel/hostname)" web1.example.com \
	"a member runs a command in the VS (no tty)"
is "$(as_id $MEMBER $ADM "" bevs web1 id -u)" 0 \
	"admin_group as the primary gid is enough; the command is the VS's root"
as_member bevs web1 bash -c 'exit 7'; is $? 7 "exit 7 passes through"
as_member bevs web1 bash -c 'kill -9 $$'; is $? 137 "death by SIGKILL is 128+9"
is "$(echo piped | as_member bevs web1 cat)" piped "stdin from a pipe"
as_member bevs web1 bash -c 'echo out; echo err >&2' >"$T/o" 2>"$T/e"
is "$(cat "$T/o")/$(cat "$T/e")" "out/err" "stdout and stderr apart"
is "$(as_member bevs -u daemon web1 bash -c 'id -u; id -g')" "1
1" "-u runs as a VS user"
out=$(as_member bevs -u nosuch web1 true 2>&1); rc=$?
ok $([ $rc = 1 ] && grep -q "no user 'nosuch'" <<<"$out"; echo $?) \
	"an unknown VS user is refused: $out"
out=$(as_member bevs web1 /no/such/cmd 2>&1); is $? 127 "missing command exits 127"
grep -q "/no/such/cmd" <<<"$out"; ok $? "and names it"
is "$(as_member bevs web1 vsprobe fds)" "0 extra fds" \
	"the command gets no fd of vsd or of the caller"
is "$(as_member bevs -u daemon web1 grep ^CapEff /proc/self/status | cut -f2)" \
	0000000000000000 "a VS user has no capabilities"
is "$(as_member bevs web1 grep ^CapBnd /proc/self/status | cut -f2)" \
	"$(bevs web1 grep ^CapBnd /proc/self/status | cut -f2)" \
	"the VS root gets the same bounding set as through root's bevs"
is "$(as_member bevs web1 grep ^Seccomp: /proc/self/status | cut -f2)" 2 \
	"and the seccomp filter"

# --- with a pty ------------------------------------------------------------
out=$(as_member $P --input 'echo hello-$((6*7)); tty\nexit 5\n' bevs web1)
grep -q "hello-42" <<<"$out"; ok $? "interactive login shell through vsd"
grep -q "^/dev/pts/[0-9]" <<<"$out"; ok $? "on a pty of the VS's devpts"
grep -q "EXIT:5" <<<"$out"; ok $? "its exit status passes through a pty"
out=$(as_member $P bevs web1 vsprobe tiocsti $'echo INJECTED\n')
grep -q "GOT:\[\]" <<<"$out"; ok $? "TIOCSTI inside does not reach the caller's terminal"
grep -q "blocked" <<<"$out"; ok $? "the attempt itself was refused"
out=$(TERM=vt220 as_member $P bash -c 'stty rows 41 cols 103
	bevs web1 bash -c "echo TERM=\$TERM; stty size"')
grep -q "^TERM=vt220" <<<"$out"; ok $? "the caller's TERM is passed"
grep -q "^41 103$" <<<"$out"; ok $? "the window size reaches the pty"

# a window resized during the session: bevs (holding the master) passes it on
out=$(as_member $PY - bevs web1 bash -c 'sleep 1.5; stty size' <<'PY'
import fcntl, os, pty, struct, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 60, 0, 0))
time.sleep(0.7)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
)
grep -q "^33 77$" <<<"$out"; ok $? "a window size change reaches the VS's pty ($out)"

# --- the fds bevs receives -------------------------------------------------
# fds bevs holds beyond what it inherited from this shell: what vsd gave
newfds() {	# newfds PID
	local mine
	mine=$(ls -l /proc/$$/fd | awk '{print $11}')
	ls -l "/proc/$1/fd" 2>/dev/null | awk '$9 ~ /^[0-9]+$/ && $9 >= 3 {print $11}' |
		grep -vxF "$mine" | sed 's/:\[[0-9]*\]//' | sort | tr '\n' ' '
}
newest_bevs() {
	local i b
	for i in $(seq 50); do
		b=$(pgrep -u $MEMBER -x bevs -n) && { echo "$b"; return; }
		sleep 0.1
	done
}
sleep 20 | as_member bevs web1 sleep 30 >/dev/null 2>&1 &
sleep 1; bpid=$(newest_bevs)
is "$(newfds "$bpid")" "pipe pipe pipe socket " \
	"without a pty bevs holds its socket and three pipes only"
kill -9 "$bpid"
as_member script -qec "bevs web1 sleep 30" /dev/null </dev/null >/dev/null 2>&1 &
sleep 1; bpid=$(newest_bevs)
is "$(newfds "$bpid")" "/dev/pts/ptmx socket " \
	"with a pty bevs holds its socket and the pty master only"
kill -9 "$bpid"
sleep 2.5	# their sessions hang up

# --- killing the client ends everything it started -------------------------
pidns=$(rt_pidns "$(rt_init_pid web1)")
as_member bevs web1 bash -c 'sleep 300 & sleep 301' </dev/null >/dev/null 2>&1 &
sleep 1; bpid=$(newest_bevs)
n=$(for p in $(pgrep -x sleep); do
	[ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$pidns" ] && echo $p; done | wc -l)
is "$n" 2 "a session with a background job runs in the VS"
kill -9 "$bpid"
left=
for i in $(seq 50); do
	left=$(for p in $(pgrep -x 'sleep'); do
		[ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$pidns" ] && echo $p; done)
	[ -z "$left" ] && break
	sleep 0.1
done
is "$left" "" "killing bevs -9 leaves no process of its session in the VS"
grep -q "client gone, hanging up" "$T/vsd.log"; ok $? "vsd logged the hangup"

# --- signals through vsd ----------------------------------------------------
as_member bevs web1 sleep 30 </dev/null >/dev/null 2>&1 &
sleep 1; bpid=$(newest_bevs)
kill -TERM "$bpid"; wait $!; is $? 143 "SIGTERM to bevs reaches the command (128+15)"

# --- the per-user bound ------------------------------------------------------
as_member bevs web1 sleep 20 </dev/null >/dev/null 2>&1 & b1=$!
as_member bevs web1 sleep 20 </dev/null >/dev/null 2>&1 & b2=$!
sleep 1
out=$(as_member bevs web1 true 2>&1); rc=$?
ok $([ $rc = 3 ] && grep -q "too many bevs sessions" <<<"$out"; echo $?) \
	"a third session of the same uid is refused, temporarily: $out"
kill -9 $(pgrep -u $MEMBER -x bevs)	# our test uid's, by pid
wait $b1 $b2
# their sessions end (SIGHUP, SIGKILL after 2 s), then the slots are free
for i in $(seq 20); do
	out=$(as_member bevs web1 bash -c 'echo again' 2>&1) && break
	sleep 0.5
done
is "$out" again "the slots are free once those ended"

# --- refused callers: nothing runs ------------------------------------------
marker=/home/bevs-pwned-$$
as_member bevs web1 touch /home/control-$$
[ -e "$ROOT/vs/web1/home/control-$$" ]; ok $? "control: a member's command writes the VS's /home"
refused() {	# refused DESC CMD...: exit 1, "permission denied", no marker
	local d=$1 out rc; shift
	out=$("$@" bevs web1 touch "$marker" 2>&1); rc=$?
	ok $([ $rc = 1 ] && grep -q "permission denied" <<<"$out" &&
		[ ! -e "$ROOT/vs/web1$marker" ]; echo $?) "$d: $out"
}
refused "a uid without the group" as_id $STRANGER $STRANGER ""
refused "the member's uid without the group" as_id $MEMBER $MEMBER ""
refused "an unrelated supplementary group" as_id $STRANGER $STRANGER $OTHER
refused "nobody" as_id 65534 65534 ""
refused "vsd's front id even with the group" as_id $((200000 - 1)) $ADM $ADM
refused "a VS's uid with the group" as_id "$base_uid" $ADM $ADM
grep -q "refused uid $STRANGER" "$T/vsd.log"; ok $? "refusals are logged with the uid"

# --- hostile names and requests ------------------------------------------------
out=$(as_member bevs ../web1 true 2>&1); rc=$?
ok $([ $rc = 1 ] && grep -q "invalid VS name" <<<"$out"; echo $?) "'../web1' refused: $out"
out=$(as_member bevs "$(printf 'a%.0s' $(seq 300))" true 2>&1); rc=$?
ok $([ $rc = 1 ] && grep -q "invalid VS name" <<<"$out"; echo $?) "a 300-byte name refused"
out=$(as_member bevs nosuch true 2>&1); rc=$?
ok $([ $rc = 1 ] && grep -qi "nosuch" <<<"$out"; echo $?) "an unknown VS refused: $out"
out=$(as_member $PY "$VSD_TOP/tests/data/bevs-raw.py" "$ROOT/run/bevs.sock" web1 2>&1)
ok $? "raw hostile requests are refused one by one"
printf '%s\n' "$out" | sed 's/^/# /'
is "$(as_member bevs web1 bash -c 'echo still-serving')" still-serving "vsd still serves after them"
[ ! -e "$ROOT/vs/web1$marker" ]; ok $? "nothing of the hostile requests ran"

grep -qE "bevs: uid $MEMBER pid [0-9]+ VS web1 user daemon: bash" "$T/vsd.log"
ok $? "sessions are logged (caller uid, VS, user, command)"

as_member bevs web1 $'nosuch\nvsd: FORGED line' 2>/dev/null; is $? 127 "a command name with a newline is not found"
grep -q "^vsd: FORGED" "$T/vsd.log"; ok $((! $?)) "and forges no line of vsd's log"

vsboot --stop web1 >/dev/null
out=$(as_member bevs web1 true 2>&1); rc=$?
ok $([ $rc = 3 ] && grep -q "VS 'web1' is not running" <<<"$out"; echo $?) \
	"a stopped VS: exit 3 through vsd as well: $out"
vsboot --start web1 >/dev/null || bail "restart"
pidns=$(rt_pidns "$(rt_init_pid web1)")

# --- vsd stops during a session: it ends, nothing stays --------------------
as_member bevs web1 sleep 300 </dev/null >/dev/null 2>"$T/stop.err" &
b=$!
sleep 1
stop_vsd
wait $b; is $? 1 "bevs fails when vsd stops during its session"
grep -q "vsd ended the session" "$T/stop.err"; ok $? "and says so: $(cat "$T/stop.err")"
left=$(for p in $(pgrep -x sleep); do
	[ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$pidns" ] && echo $p; done)
is "$left" "" "the session's command is gone with vsd"

# --- no vsd -----------------------------------------------------------------
out=$(as_member bevs web1 true 2>&1); rc=$?
ok $([ $rc = 3 ] && grep -q "vsd is not running (cannot connect to" <<<"$out"; echo $?) \
	"without vsd: exit 3 and says so: $out"
is "$(bevs web1 bash -c 'echo root-direct')" root-direct "root still enters directly without vsd"
done_testing
