#!/usr/bin/env bash
# bevs: a program inside cannot push input into the caller's terminal
# (TIOCSTI, with and without a pty); exit status passes through; it works
# without a tty, with pipes and files; users of the VS; a non-root host
# user is refused; clear errors and exit codes.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
need_cmd python3 setpriv
rt_vs web1 10.79.$(( $$ % 200 + 20 )).2
rt_tools web1 tty readlink
vsboot --start web1 >/dev/null || bail "start"
P="python3 $VSD_TOP/tests/data/ptyrun.py"

# control: the same probe on the host does inject (so the check can fail)
out=$($P "$T/vsprobe" tiocsti $'echo INJECTED-HOST\n')
echo "$out" | grep -q "GOT:\[echo INJECTED-HOST\]"
ok $? "control: TIOCSTI from the host reaches the terminal"
out=$($P bevs web1 vsprobe tiocsti $'echo INJECTED\n')
echo "$out" | grep -q "GOT:\[\]"; ok $? "bevs with a pty: nothing injected"
echo "$out" | grep -q "blocked"; ok $? "the attempt itself was refused"
out=$($P bevs -T web1 vsprobe tiocsti $'echo INJECTED\n')
echo "$out" | grep -q "GOT:\[\]"; ok $? "bevs without a pty (terminal relayed): nothing injected"
out=$($P bevs web1 bash -c 'tty; readlink /proc/self/fd/0')
echo "$out" | grep -q "^/dev/pts/[0-9]"; ok $? "the command gets a pty of the VS's devpts"
echo "$out" | grep -q "GOT:\[\]" ; ok $? "and the caller's terminal stays untouched"

out=$($P bevs -T web1 bash -c 'echo x >/dev/tty && echo TTY-OPENED')
echo "$out" | grep -q "TTY-OPENED"
ok $([ $? -ne 0 ]; echo $?) "without a pty the caller's terminal is not the command's /dev/tty"

# interactive shell
out=$($P --input 'echo hello-$((6*7))\nexit 5\n' bevs web1)
echo "$out" | grep -q "hello-42"; ok $? "interactive login shell runs input"
echo "$out" | grep -q "EXIT:5"; ok $? "its exit status passes through a pty"

# exit status, no tty
bevs web1 bash -c 'exit 7'; is $? 7 "exit 7 passes through"
bevs web1 bash -c 'kill -9 $$'; is $? 137 "death by SIGKILL is 128+9"
is "$(bevs web1 cat /proc/sys/kernel/hostname)" web1.example.com "works without a tty"
is "$(echo piped | bevs web1 cat)" piped "stdin from a pipe"
out=$(echo piped | timeout 20 bevs -t web1 cat); rc=$?
ok $([ $rc -eq 0 ] && echo "$out" | grep -q piped; echo $?) "-t: a pty fed from a pipe ends at its EOF"
bevs web1 bash -c 'echo to-file; echo to-err >&2' >"$T/o" 2>"$T/e"
is "$(cat "$T/o")/$(cat "$T/e")" "to-file/to-err" "stdout and stderr to files"
is "$(bevs web1 bash -c 'id -un; echo $HOME')" "admin
/root" "default user is the VS's admin (uid 0)"
is "$(bevs -u daemon web1 bash -c 'id -u; id -g')" "1
1" "-u runs as a VS user"
out=$(bevs -u daemon web1 vsprobe fds); ok $? "a VS user gets no host fds ($out)"
is "$(bevs -u daemon web1 grep ^CapEff /proc/self/status | cut -f2)" \
	0000000000000000 "a VS user has no capabilities"

is "$(trap '' PIPE USR1; bevs web1 grep ^SigIgn /proc/self/status | cut -f2)" \
	0000000000000000 "no ignored signal of the caller is inherited"

# set-id programs of the VS work (no_new_privs off by default) and give
# only the VS's root; with no_new_privs yes they give nothing
base=$(vs_uid web1)
install -m 4755 -o "$base" -g "$base" /usr/bin/id "$ROOT/vs/web1/usr/bin/suid-id"
bevs -u daemon web1 /usr/bin/suid-id | grep -q "uid=1(daemon).*euid=0(admin)"
ok $? "a set-uid program of the VS makes a VS user its root"
echo "no_new_privs yes" >>"$CONF"
out=$(bevs -u daemon web1 /usr/bin/suid-id)
ok $(! echo "$out" | grep -q "euid=0"; echo $?) "with no_new_privs yes it does not: $out"
sed -i '/^no_new_privs/d' "$CONF"

# errors
out=$(bevs -u nosuch web1 true 2>&1); rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "no user 'nosuch'"; echo $?) \
	"unknown user refused: $out"
out=$(bevs web1 /no/such/cmd 2>&1); is $? 127 "missing command exits 127"
echo "$out" | grep -q "/no/such/cmd"; ok $? "and names it"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bevs web1 true 2>&1)
rc=$?
ok $([ $rc -eq 1 ] && echo "$out" | grep -q "permission denied"; echo $?) \
	"a non-root host user is refused: $out"
bevs nosuch true 2>/dev/null; is $? 1 "unknown VS exits 1"
bevs 2>/dev/null; is $? 2 "usage error exits 2"
vsboot --stop web1 >/dev/null
out=$(bevs web1 true 2>&1); is $? 3 "stopped VS exits 3 (temporary)"
echo "$out" | grep -q "not running"; ok $? "and says it is not running"
echo "$out" | grep -q "(last: vsinit (pid [0-9]*) exited with status 0 at "
ok $? "and how its vsinit ended last"
done_testing
