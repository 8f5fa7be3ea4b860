#!/usr/bin/env bash
# Attacks from inside a running VS, as its root (uid 0 of the VS): it
# must not see host or neighbour processes, change shared skeleton
# inodes, reach files outside its root, mount, load modules, change its
# network, bind port 80, use keyctl, bpf, perf, userfaultfd, handles or
# new user namespaces; its hostname is its own; no host fd, env var or
# cwd leaks in.  Canaries live in this test's state root only.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
net=$(( $$ % 200 + 20 ))
rt_vs web1 10.78.$net.2
rt_vs web2 10.78.$net.3
V=$ROOT/vs/web1
echo "host secret" >"$T/canary-outside"
chmod 644 "$T/canary-outside"
# a service in web2 whose name web1 must never see
mkdir -p "$ROOT/vs/web2/etc/vsd"
echo 'marker root always /usr/bin/bash -c "exec -a neighbour-marker-77 sleep 300"' \
	>"$ROOT/vs/web2/etc/vsd/services"
vsboot --start web1 web2 >/dev/null || bail "start"
rt_wait_log "$ROOT/run/web2.log" "started service marker" || bail "web2's service"
sleep 60 & hostproc=$!
defer kill $hostproc
in1() { bevs web1 "$@"; }

# processes
is "$(in1 cat /proc/1/comm)" vsinit "PID 1 is vsinit"
n=$(in1 bash -c 'ls -d /proc/[0-9]* | wc -l')
ok $([ -n "$n" ] && [ "$n" -lt 10 ]; echo $?) "only the VS's own processes are visible ($n)"
in1 bash -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "' >"$T/cmds"
ok $(grep -q vsinit "$T/cmds" && ! grep -q neighbour-marker-77 "$T/cmds"; echo $?) \
	"web2's processes are invisible"
ok $(! grep -q "sleep 60" "$T/cmds"; echo $?) "the host's processes are invisible"
ok $(grep -q neighbour-marker-77 /proc/*/cmdline 2>/dev/null; echo $?) \
	"web2's service runs (seen from the host: sanity)"

# identity inside: root of the VS, nobody on the host
is "$(in1 bash -c 'echo $(id -u) $(stat -c %u /usr/bin/cat)')" "0 65534" \
	"uid 0 inside; skeleton files owned by nobody"
is "$(in1 cat /proc/self/uid_map | tr -s ' ')" " 0 $(vs_uid web1) 65536" \
	"uid map is exactly the VS's range"
is "$(in1 bash -c 'cat /proc/self/status | grep ^NoNewPrivs')" "NoNewPrivs:	0" \
	"no_new_privs off by default (set-id programs of the VS work)"
bnd=$(in1 grep ^CapBnd /proc/self/status | cut -f2)
ok $([ -n "$bnd" ] && [ $(( 0x$bnd & (1 << 21) )) -eq 0 ]; echo $?) "CAP_SYS_ADMIN not in the bounding set ($bnd)"
is "$(in1 grep ^CapAmb /proc/self/status | cut -f2)" 0000000000000000 "ambient set empty"
is "$(in1 grep ^Seccomp: /proc/self/status | cut -f2)" 2 "seccomp filter on"

# shared skeleton inodes
f=/usr/share/doc/demo/README
before=$(sha256sum "$S$f" | cut -d' ' -f1; stat -c '%a %u %s' "$S$f")
for a in chmod chown truncate append; do
	out=$(in1 vsprobe $a $f); ok $? "$a of a shared skeleton inode: $out"
done
in1 bash -c "echo x >> $f" 2>/dev/null; ok $([ $? -ne 0 ]; echo $?) "shell append refused"
in1 bash -c "ln $f /root/hard && echo y >> /root/hard" 2>/dev/null
after=$(sha256sum "$S$f" | cut -d' ' -f1; stat -c '%a %u %s' "$S$f")
is "$after" "$before" "skeleton inode unchanged"
run_ok "the VS may replace its own link (only it sees the change)" \
	in1 bash -c "rm $f && echo mine > $f"
is "$(cat "$S$f")" "doc" "the skeleton's copy is untouched"

# files outside the root
for p in /../../../../canary-outside /proc/1/root/../../../canary-outside \
    /proc/1/cwd/../../canary-outside /proc/self/root/../../canary-outside; do
	in1 cat "$p" 2>/dev/null | grep -q "host secret"
	ok $([ $? -ne 0 ]; echo $?) "no way out via $p"
done
in1 bash -c 'cat /proc/1/exe/.. /proc/self/exe/../../canary-outside' 2>/dev/null | grep -q secret
ok $([ $? -ne 0 ]; echo $?) "no way out via /proc/*/exe"
ok $(in1 bash -c '! grep -q " / / " <(cat /proc/1/mountinfo | grep -v "^[0-9]* [0-9]* [0-9:]* /tmp")' ; echo $?) \
	"the host's / is not mounted inside"
exec 7<"$T/canary-outside"
out=$(in1 vsprobe fds 7<"$T/canary-outside"); ok $? "no host fd leaks in ($out)"
exec 7<&-
fds=$(in1 bash -c 'for f in /proc/1/fd/*; do readlink $f; done' | sort | tr '\n' ' ')
ok $(echo "$fds" | grep -qE '^/dev/null (anon_inode:\[signalfd\] )?(pipe:\[[0-9]*\] ){2}$' ||
	echo "$fds" | grep -qE '^/dev/null anon_inode:\[signalfd\] pipe:\[[0-9]*\] pipe:\[[0-9]*\] $'; echo $?) \
	"vsinit holds no host fd: $fds"
for t in rebootvs setrights listrights; do
	[ -x "$VSD_BUILD/$t" ] || continue
	in1 bash -c "[ -x /run/vsd/bin/$t ] && ! : > /run/vsd/bin/$t" 2>/dev/null
	ok $? "$t is in the VS at /run/vsd/bin, read-only"
done
out=$(in1 bash -c ': > /run/vsd/planted' 2>&1)
case $out in *"Read-only file system"*) pass "/run/vsd is a read-only mount inside";;
*) not_ok "/run/vsd is a read-only mount inside"; diag "$out";; esac
is "$(HOST_SECRET=1 in1 bash -c 'env | grep -c HOST_SECRET')" 0 "no host env var leaks in"
is "$(cd "$T" && in1 bash -c pwd)" /root "cwd is the VS's home, not the caller's"

# mounts, modules, kernel interfaces
for a in mount-tmpfs mount-ext4 fsopen remount-sys umount-proc module keyctl \
    add_key bpf perf userns netns userfaultfd handle hostname rawsock; do
	out=$(in1 vsprobe $a); ok $? "$a: $out"
done
in1 bash -c 'echo 1 > /proc/sys/kernel/domainname' 2>/dev/null
ok $([ $? -ne 0 ]; echo $?) "/proc/sys is not writable"
in1 bash -c 'echo x > /sys/kernel/uevent_helper' 2>/dev/null
ok $([ $? -ne 0 ]; echo $?) "/sys is read-only"

# network: its own address, no changes, no privileged ports
out=$(in1 vsprobe setip eth0); ok $? "change its IP: $out"
out=$(in1 vsprobe linkdown eth0); ok $? "take eth0 down: $out"
out=$(in1 vsprobe bind80); ok $? "bind port 80: $out"
run_ok "an unprivileged port works" in1 vsprobe bind8080
in1 cat /proc/net/fib_trie | grep -q "10.78.$net.2"
ok $? "eth0 carries the VS's address"

# names
is "$(in1 cat /proc/sys/kernel/hostname)" web1.example.com "hostname is the VS's FQDN"
is "$(bevs web2 cat /proc/sys/kernel/hostname)" web2.example.com "the neighbour has its own"
is "$(hostname)" "$(cat /proc/sys/kernel/hostname)" "host hostname untouched"
done_testing
