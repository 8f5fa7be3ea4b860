#!/usr/bin/env bash
# Red team: any local user may connect to state_root/run/bevs.sock (mode
# 0666).  A user who is not in admin_group floods it with connections: vsd
# must keep serving root's vsdadm and admin_group's bevs, and must not
# write a log line per refused connection.  Before the fix the front
# relayed every connection to the root executor (32 KiB of channel each):
# 550,000 connections from `nobody` in 8 s kept the channel full, root's
# vsdadm timed out, and vsd logged 550,000 lines.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
rt_setup
need_cmd setpriv
# the host's python (a root-only pyenv shim would not run as nobody)
PY=/usr/bin/python3
[ -x $PY ] || skip_all "needs $PY"
unset VSDADM_LOCAL

# ids nobody on this host uses (never touch /etc/passwd or /etc/group)
base=$((62000 + ($$ % 400) * 2))
ADM=$base MEMBER=$((base + 1))
for id in $ADM $MEMBER; do
	getent passwd "$id" >/dev/null || getent group "$id" >/dev/null &&
		skip_all "id $id is in use on this host"
done
chmod 755 "$T" "$ROOT"
start_vsd "admin_group $ADM"
VSDADM_LOCAL=1 rt_vs web1 10.79.$(( $$ % 200 + 20 )).7
vsboot --start web1 >/dev/null || bail "start"
as_member() {
	setpriv --reuid=$MEMBER --regid=$MEMBER --groups=$ADM --inh-caps=-all \
		--bounding-set=-all "$@"
}
is "$(as_member bevs web1 cat /proc/sys/kernel/hostname)" web1.example.com \
	"control: a member enters web1"

# the flood: nobody, no capabilities, connects as fast as it can, keeps
# up to 200 connections open (half-open sessions) and sends nothing
cat >"$T/flood.py" <<'EOP'
import os, socket, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
end = time.time() + secs; n = 0; held = []
while time.time() < end:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path); n += 1
        held.append(s)
        if len(held) > 200: held.pop(0).close()
    except OSError:
        s.close(); time.sleep(0.001)
print(n)
EOP
SECS=6
flood() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all $PY "$T/flood.py" "$ROOT/run/bevs.sock" $SECS
}
lines0=$(wc -l <"$T/vsd.log")
flood >"$T/n1" & F1=$!
flood >"$T/n2" & F2=$!
defer "kill $F1 $F2 2>/dev/null"
sleep 1
bad=0 lists=0
while kill -0 $F1 2>/dev/null; do
	vsdadm list >/dev/null 2>"$T/err" || { bad=$((bad + 1)); cat "$T/err"; }
	lists=$((lists + 1))
	[ $lists -ge 40 ] && break
done
is "$bad" 0 "root's vsdadm is served during the flood ($lists requests)"
is "$(as_member bevs web1 cat /proc/sys/kernel/hostname)" web1.example.com \
	"a member still enters web1 during the flood"
wait $F1 $F2
n=$(( $(cat "$T/n1") + $(cat "$T/n2") ))
ok $([ $n -gt 1000 ]; echo $?) "the flood made $n connections"
logged=$(tail -n +$((lines0 + 1)) "$T/vsd.log" | grep -c "refused uid 65534")
relayed=$(tail -n +$((lines0 + 1)) "$T/vsd.log" | grep -c "cannot reach the executor")
# at most one refusal line a second per process (front, executor)
ok $([ "$logged" -le $((2 * (SECS + 3))) ]; echo $?) \
	"refusals are not logged one by one ($logged lines for $n connections)"
is "$relayed" 0 "no connection of a non-member was relayed to the executor"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bevs web1 cat /proc/sys/kernel/hostname 2>&1)
ok $([ $? = 1 ] && grep -q "permission denied" <<<"$out"; echo $?) \
	"after the flood a non-member is still refused: $out"
is "$(as_member bevs web1 cat /proc/sys/kernel/hostname)" web1.example.com \
	"and a member is still served"
done_testing
