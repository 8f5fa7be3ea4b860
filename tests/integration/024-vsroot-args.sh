#!/usr/bin/env bash
# Hostile and wrong arguments get clear errors and the right exit codes;
# names, IPs and numbers are unique; uid ranges never overlap host
# accounts or groups (read from copies, never the host's files).
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm
new_state_root
host_ids_fixture
mkdir -p "$ROOT/skel"
fixture_skel "$ROOT/skel"

# expect CODE PATTERN DESC CMD...: exit code and a message matching PATTERN
expect() {
	local code=$1 pat=$2 d=$3 out rc; shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$code" ] && printf '%s' "$out" | grep -qE -- "$pat"; then
		ok 0 "$d"
	else
		ok 1 "$d"; diag "exit $rc, output: $out"
	fi
}

expect 2 "no command" "no command" vsdadm
expect 2 "unknown command 'frobnicate'" "unknown command" vsdadm frobnicate
expect 0 "usage: vsdadm" "--help" vsdadm --help
expect 2 "vs_create needs" "vs_create with too few arguments" vsdadm vs_create localhost a 10.1.1.1
expect 2 "only 'localhost'" "remote host refused" vsdadm vs_create example.org a 10.77.5.2 a.example.com 10 0
expect 2 "invalid quota 'lots'" "quota not a number" vsdadm vs_create localhost a 10.77.5.2 a.example.com lots 0
expect 2 "invalid VS number '251'" "number beyond max_servers" vsdadm vs_create localhost a 10.77.5.2 a.example.com 10 251
expect 2 "invalid VS number '-1'" "negative number" vsdadm vs_create localhost a 10.77.5.2 a.example.com 10 -1
for bad in "" "A" "-x" "a/b" ".." "a b" "$(printf 'a%.0s' {1..33})" "x;rm" "é"; do
	expect 1 "invalid server name" "bad name '$bad'" vsdadm create -- "$bad" 10.77.5.2 a.example.com
done
for bad in 127.0.0.1 0.0.0.0 255.255.255.255 224.0.0.1 169.254.1.1 10.1.1 10.1.1.1.1 10.1.1.256 " 10.1.1.1" 0x0a.1.1.1 ::1; do
	expect 1 "invalid IP address" "bad IP '$bad'" vsdadm create a "$bad" a.example.com
done
for bad in "" "-a.example.com" "a-.example.com" "a..b" "a_b.example.com" "$(printf 'a%.0s' {1..64}).com" "a b"; do
	expect 1 "invalid host name" "bad FQDN '$bad'" vsdadm create a 10.77.5.2 "$bad"
done
is "$(ls -A "$ROOT/vs" | wc -l)" 0 "nothing created by bad input"

expect 0 "created server 'a'" "a valid create" vsdadm create a 10.77.5.2 a.example.com
expect 1 "server 'a' exists" "duplicate name" vsdadm create a 10.77.5.3 a2.example.com
expect 1 "IP address 10.77.5.2 is taken by 'a'" "duplicate IP" vsdadm create b 10.77.5.2 b.example.com
expect 1 "VS number 1 is taken by 'a'" "duplicate number" vsdadm vs_create localhost b 10.77.5.3 b.example.com 0 1
expect 1 "no server named 'zz'" "delete unknown" vsdadm delete zz
expect 1 "no server named 'zz'" "info unknown" vsdadm info zz
expect 1 "invalid server name" "delete bad name" vsdadm vs_delete localhost ../a

# host accounts inside a range: number 2 is [331072, 396607]
echo "intruder:x:340000:340000::/home/i:/bin/sh" >>"$T/passwd"
expect 1 "overlaps host account 'intruder' \\(340000\\)" "range over a host account refused" \
	vsdadm vs_create localhost b 10.77.5.3 b.example.com 0 2
echo "grp:x:400000:" >>"$T/group"
expect 1 "overlaps host group 'grp' \\(400000\\)" "range over a host group refused" \
	vsdadm create -N 3 b 10.77.5.3 b.example.com
expect 0 "number 4" "allocation skips overlapping ranges" vsdadm create b 10.77.5.3 b.example.com
VSD_PASSWD_FILE=$T/nonexistent expect 1 "cannot open '$T/nonexistent'" "unreadable account file is an error" \
	vsdadm create c 10.77.5.4 c.example.com

# a small plan (uid_base 1000, stride 1000) that meets host accounts
cat >"$T/small.conf" <<EOC
state_root "$ROOT"
listen none
uid_base 1000
uid_stride 1000
max_servers 5
EOC
echo "user:x:3500:3500::/home/u:/bin/sh" >>"$T/passwd"
expect 1 "overlaps host account 'user' \\(3500\\)" "small plan: range of a host user refused" \
	vsdadm -c "$T/small.conf" create -N 2 c 10.77.5.4 c.example.com
cat >"$T/moved.conf" <<EOC
state_root "$ROOT"
listen none
uid_base 150000
max_servers 10
EOC
expect 1 "overlaps that of 'a'" "a changed plan cannot make ranges overlap" \
	vsdadm -c "$T/moved.conf" create -N 2 c 10.77.5.4 c.example.com
cat >"$T/two.conf" <<EOC
state_root "$ROOT"
listen none
max_servers 4
EOC
expect 1 "no free VS number" "all numbers used" vsdadm -c "$T/two.conf" create c 10.77.5.4 c.example.com
expect 1 "cannot open|No such file" "missing -c file" vsdadm -c "$T/none.conf" list
VSD_CONF=$T/two.conf expect 0 "^NAME" "VSD_CONF honoured" vsdadm list
run_ok "clean up" sh -c "vsdadm delete a && vsdadm delete b"
done_testing
