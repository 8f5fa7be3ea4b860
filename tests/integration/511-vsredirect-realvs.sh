#!/usr/bin/env bash
# vsredirect with a real running VS (vsboot): a web server started inside
# the VS as one of its users on 8080 answers curl on the VS's port 80
# (kernel mode, the default);
# the VS's root itself cannot bind port 80 (or any port below 1024) of
# its address; stopping the VS closes vsredirect's listeners.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/runtime.sh"
rt_setup
. "$VSD_TOP/tests/lib/netsvc.sh"
need_netsvc
A=$NET.2
rt_vs web1 "$A"
base=$(vs_uid web1)
cc -static -O2 -o "$T/httpd" "$VSD_TOP/tests/helpers/netsvc-httpd.c" || bail "cc httpd"
install -m 0755 -o "$base" -g "$base" "$T/httpd" "$ROOT/vs/web1/usr/bin/httpd"
v=$ROOT/vs/web1
{ cat "$v/etc/passwd"; echo "www:x:33:33::/tmp:/bin/bash"; } >"$T/passwd.new"
install -m 0644 -o "$base" -g "$base" "$T/passwd.new" "$v/etc/passwd.new"
mv "$v/etc/passwd.new" "$v/etc/passwd"
vsboot --start web1 >/dev/null || bail "start web1"

start_vsredirect || bail "vsredirect did not start"
wait_until 5 grep -q "web1: $A:80 -> 8080 (kernel)" "$T/vsredirect.log"; ok $? "web1's port 80 redirected in the kernel"

# the VS's root: no privileged port, even with nothing listening there
out=$(bevs web1 /usr/bin/httpd "$A" 81 5 2>&1); rc=$?
case $out in *"Permission denied"*) pass "the VS's root cannot bind port 81 ($out)";;
	*) not_ok "the VS's root cannot bind port 81"; diag "rc=$rc $out";; esac
out=$(bevs web1 /usr/bin/httpd "$A" 80 5 2>&1)
case $out in *"Permission denied"*|*"in use"*) pass "nor port 80 ($out)";;
	*) not_ok "nor port 80"; diag "$out";; esac

bevs -u www web1 /usr/bin/httpd "$A" 8080 11 >"$T/httpd.out" 2>&1 &
HT=$!; defer "kill $HT"
wait_until 10 grep -q ready "$T/httpd.out" || bail "httpd in the VS did not start"
is "$(curl -sS -m 10 "http://$A/")" "xxxxxxxxxxx" "curl on port 80 reaches the VS user's server on 8080"
pid=$(pgrep -f "/usr/bin/httpd $A 8080" | while read -r p; do
	[ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$(rt_init_pid web1)/ns/pid)" ] && echo "$p"; done | head -1)
is "$(awk '/^Uid:/ {print $2}' /proc/$pid/status 2>/dev/null)" $((base + 33)) \
	"that server runs inside web1 as www"

vsboot --stop -t 2 web1 >/dev/null
wait_until 5 grep -q "web1: stopped, closing its listeners" "$T/vsredirect.log"
ok $? "stopping the VS drops its rules"
# (no connection attempt now: without the VS its address is not ours)
is "$(find /proc/$VSR_PID/fd -lname 'socket:*' | wc -l)" 1 \
	"vsredirect holds no socket any more but the one to its helper"
netsvc_done
