#!/usr/bin/env bash
# 210-vsd-authz: who may run what.  Every command is tried by host root,
# a member of the admin group, another host user (nobody), the VS admin
# and a VS user on the VS's own socket, another VS's uid, and an
# unauthenticated TCP client; every refusal is checked by its code.  Then
# the TCP challenge-response: wrong answers, replay, the delay, the
# per-address lock; and the in-VS tools.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat setpriv openssl
getent group staff >/dev/null || skip_all "needs the 'staff' group"
new_state_root
fixture_skel "$ROOT/skel"
chmod 755 "$T" "$ROOT"
start_vsd "admin_group staff"
session $'vs_create web1 10.202.0.2 web1.example.com 100 0\nvs_create web2 10.202.0.3 web2.example.com 100 0\nuser_add web1 alice pw\nuser_add web1 bob pw\nEOF\n' >/dev/null
U1=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
U2=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web2")
STAFF=$(getent group staff | cut -d: -f3)

# privilege separation: the front (child of the pid file's process) runs
# as uid_base - 1 with no_new_privs; the executor stays root
front=$(pgrep -P "$VSD_PID" -x vsd | head -1)
[ -n "$front" ]; ok $? "a front process beside the executor"
fid=$((200000 - 1))
is "$(awk '/^Uid:/{print $2,$3,$4,$5}' /proc/$front/status)" "$fid $fid $fid $fid" "front runs as uid_base - 1 (real, effective, saved, fs)"
is "$(awk '/^Groups:/{print $2}' /proc/$front/status)" "" "front has no supplementary groups"
is "$(awk '/^NoNewPrivs:/{print $2}' /proc/$front/status)" 1 "front has no_new_privs"
is "$(awk '/^CapEff:/{print $2}' /proc/$front/status)" 0000000000000000 "front has no capabilities"
is "$(awk '/^Uid:/{print $3}' /proc/$VSD_PID/status)" 0 "executor is root"
is "$(stat -c %u "$ROOT/run/vs/web1")" "$fid" "VS socket dirs belong to the front's id"
ls "$ROOT/state/vs" >/dev/null 2>&1 && [ -r "$ROOT/state" ] &&
	setpriv --reuid=$fid --regid=$fid --clear-groups ls "$ROOT/state/vs" >/dev/null 2>&1
ok $((! $?)) "the front's id cannot read the state"

# code ANSWER-LINE: "OK" or the -ERR number
code() { case $1 in "+OK"*) echo OK;; "-ERR "*) echo "$1" | cut -d' ' -f2;; *) echo "none: $1";; esac; }
# answer of one command (second line of the session) for a role
as_root()   { session "$1"$'\nEOF\n' | sed -n 2p; }
as_staff()  { printf '%s\nEOF\n' "$1" | setpriv --reuid=nobody --regid="$STAFF" --clear-groups \
	timeout 10 socat -t 5 - "UNIX-CONNECT:$ROOT/run/vsd.sock" | sed -n 2p; }
as_nobody() { printf '%s\nEOF\n' "$1" | as_user nobody timeout 10 socat -t 5 - \
	"UNIX-CONNECT:$ROOT/run/vsd.sock" | sed -n 2p; }
as_vsadmin() { vs_session web1 "$U1" "$1"$'\nEOF\n' | sed -n 2p; }
as_vsuser()  { vs_session web1 "$((U1 + 1000))" "$1"$'\nEOF\n' | sed -n 2p; }
as_tcp()    { tcp_session "$1"$'\nEOF\n' | sed -n 2p; }

check() {	# check ROLE COMMAND WANT
	local got
	got=$(code "$("as_$1" "$2")")
	if [ "$3" = allowed ]; then
		case $got in 401|403) not_ok "$1: $2 (got $got)";; *) pass "$1: $2 allowed";; esac
	else
		is "$got" "$3" "$1: $2 refused with $3"
	fi
}

# host-side commands (with the VS name) for nobody, staff, TCP
global=(
	"vs_create x1 10.202.0.9 x.example.com 1"
	"vs_delete web2" "vs_start web1" "vs_stop web1" "vs_restart web1"
	"vs_reboot web1" "vs_reconcile"
	"user_add web1 eve" "user_del web1 alice" "user_list web1"
	"user_passwd web1 alice x" "setrights web1 alice +ftp"
	"listrights web1" "quota_set web1 5" "quota_get web1"
	"apache_get web1" "apache_name web1 add a.example.com"
	"apache_redirect web1 80 8080" "aliases_get web1"
)
for c in "${global[@]}"; do check nobody "$c" 403; done
check nobody "vs_list" allowed
check nobody "vs_info web1" allowed
for c in "${global[@]}" "vs_list" "vs_info web1"; do check tcp "$c" 401; done
# the admin group is an administrator (non-destructive sample + login)
for c in "vs_list" "vs_info web1" "user_list web1" "quota_get web1" \
    "listrights web1" "setrights web1 alice +login"; do
	check staff "$c" allowed
done

# the VS admin on the VS's socket: its own VS only
for c in "vs_list" "vs_create x2 10.202.0.8 x.example.com 1" "vs_delete" \
    "vs_start" "vs_stop" "vs_restart" "vs_reconcile" "quota_set 5" \
    "apache_name add b.example.com" "apache_redirect 80 8081" \
    "setrights alice +login" "setrights alice -login" "web2 { vs_info }"; do
	check vsadmin "$c" 403
done
for c in "vs_info" "user_list" "user_add carol" "user_passwd carol pw2" \
    "setrights alice +ftp" "listrights" "listrights alice" "quota_get" \
    "apache_get" "aliases_get" "vs_reboot" "web1 { vs_info }"; do
	check vsadmin "$c" allowed
done
# a VS user: their own rights and the VS's info, nothing else
for c in "vs_list" "user_list" "user_add dave" "user_del alice" \
    "user_passwd alice x" "setrights alice +ftp" "listrights bob" \
    "quota_get" "quota_set 1" "apache_get" "aliases_get" "vs_reboot" \
    "vs_delete"; do
	check vsuser "$c" 403
done
check vsuser "vs_info" allowed
is "$(as_vsuser listrights)" "+OK alice ftp login" "VS user lists their own rights"

# uids outside the VS's range are refused at the door
out=$(vs_session web1 "$U2" $'vs_info\nEOF\n' | head -1)
is "$(code "$out")" 403 "web2's root on web1's socket: refused"
out=$(vs_session web1 65534 $'vs_info\nEOF\n' | head -1)
is "$(code "$out")" 403 "host nobody on a VS socket: refused"
grep -q 'refused: uid outside the VS' "$T/vsd.log"; ok $? "refusal logged"

# --- the in-VS tools over the VS socket
S1=$ROOT/run/vs/web1/vsd.sock
out=$(as_uid "$U1" env VSD_SOCKET="$S1" setrights bob +www +cron); rc=$?
is "$rc:$out" "0:bob cron www" "setrights as the VS admin"
as_uid "$U1" env VSD_SOCKET="$S1" setrights bob +login 2>/dev/null; is $? 1 "setrights +login refused (exit 1)"
as_uid "$U1" env VSD_SOCKET="$S1" setrights bob 2>/dev/null; is $? 2 "setrights usage (exit 2)"
out=$(as_uid "$((U1 + 1001))" env VSD_SOCKET="$S1" listrights); is "$out" "bob cron www" "listrights as VS user bob"
as_uid "$((U1 + 1001))" env VSD_SOCKET="$S1" listrights alice 2>/dev/null; is $? 1 "listrights of another user refused"
as_uid "$((U1 + 1001))" env VSD_SOCKET="$S1" rebootvs 2>/dev/null; is $? 1 "rebootvs by a VS user refused"
env VSD_SOCKET="$T/nonexistent.sock" listrights 2>/dev/null; is $? 3 "no daemon: exit 3"

# --- TCP authentication
chal_resp() {	# the right answer to challenge hex $1
	{ printf 'freeVSD-auth-v1:'; printf '%s' "$1" | xxd -r -p; } |
		openssl dgst -sha256 -mac HMAC -macopt "key:$(tr -d ' \n' <"$T/secret")" |
		awk '{print $NF}'
}
exec 5<>/dev/tcp/127.0.0.1/"$PORT"
read -r greet <&5
printf 'auth\n' >&5; read -r ch <&5
hex=${ch#+OK challenge }
printf 'auth %s\n' "$(chal_resp "$hex")" >&5; read -r res <&5
is "$res" "+OK authenticated" "HMAC answer computed by openssl is accepted"
printf 'vs_info web1\n' >&5; read -r res <&5
is "$res" "+OK server web1 {" "commands work after auth"
exec 5>&-
exec 5<>/dev/tcp/127.0.0.1/"$PORT"
read -r greet <&5
printf 'auth\n' >&5; read -r ch <&5
printf 'auth %s\n' "$(chal_resp "$hex")" >&5; read -r res <&5
is "$(code "$res")" 401 "replayed answer to an old challenge: 401"
printf 'auth %s\n' "$(chal_resp "${ch#+OK challenge }")" >&5; read -r res <&5
is "$(code "$res")" 400 "a challenge answers once"
start=$(date +%s%N)
printf 'auth\nauth %064d\n' 0 >&5; read -r ch <&5; read -r res <&5
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$(code "$res")" 401 "wrong answer: 401"
[ "$ms" -ge 250 ]; ok $? "failure answered after auth_fail_delay (${ms} ms)"
exec 5>&-
grep -q 'authentication failed' "$T/vsd.log"; ok $? "failure logged"
out=$(tcp_session $'vs_list\nvs_list\nvs_list\nvs_list\n')
is "$(printf '%s\n' "$out" | grep -c '^-ERR 401')" 3 "unauthenticated: 3 refusals, then closed"
# hammer: the address gets locked out after 10 failures in a minute
for i in $(seq 10); do tcp_session $'auth\nauth 00\n' >/dev/null; done
out=$(tcp_session $'auth\n' | sed -n 2p)
is "$(code "$out")" 429 "too many failures from one address: 429"
done_testing
