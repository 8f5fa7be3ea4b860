#!/usr/bin/env bash
# 200-vsd-protocol: conformance of vsd's line protocol over the unix
# socket: the freeVSD session shape (greeting, commands, sign-off), every
# module's commands with their answers, groups, data blocks, multi-line
# framing, every error code; vsdadm through vsd (legacy and readable
# forms, raw mode, --json) and authenticated TCP.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat setpriv
new_state_root
fixture_skel "$ROOT/skel"
start_vsd

# --- the original session shape
out=$(session $'vs_list\nEOF\n')
first=$(printf '%s\n' "$out" | head -1)
case $first in
"+OK freeVSD Virtual Server administrator $(hostname) v"*" server ready") pass "greeting";;
*) not_ok "greeting"; diag "$first";;
esac
is "$(printf '%s\n' "$out" | tail -1)" "+OK Virtual server admin signing off" "sign-off after EOF"
is "$(printf '%s\n' "$out" | sed -n 2,3p | tr '\n' '|')" "+OK 0 servers {|}|" "empty list is a framed block"

# --- mod_vs
out=$(session $'vs_create web1 10.201.0.2 web1.example.com 200 0\nvs_create web1 10.201.0.3 x.example.com 200 0\nvs_create db 10.201.0.4 db.example.com 100 7\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK created web1 number 1 ' ; ok $? "vs_create answers +OK created"
printf '%s\n' "$out" | grep -q '^-ERR 409 ' ; ok $? "vs_create of an existing name: 409"
printf '%s\n' "$out" | grep -q '^+OK created db number 7 ' ; ok $? "vs_create with a number"
[ -d "$ROOT/vs/web1/etc" ]; ok $? "the root exists"
out=$(session $'vs_create bad 10.201.0.9 x.example.com\nvs_create BAD! 10.201.0.9 x.example.com 1\nvs_create x9 300.1.1.1 x.example.com 1\nvs_create x9 10.201.0.9 x.example.com lots\nEOF\n')
is "$(printf '%s\n' "$out" | grep -c '^-ERR 400 ')" 4 "bad vs_create operands: 400 each"
out=$(session $'vs_list\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK 2 servers {$'; ok $? "vs_list counts"
printf '%s\n' "$out" | grep -q '^web1 1 10.201.0.2 web1.example.com$'; ok $? "vs_list line"
out=$(session $'vs_info web1\nweb1 { vs_info }\nweb1 {\nvs_info\n}\nvs_info nosuch\nEOF\n')
is "$(printf '%s\n' "$out" | grep -c '^+OK server web1 {$')" 3 "vs_info, one-line group, group"
printf '%s\n' "$out" | grep -q '^ip 10.201.0.2$'; ok $? "vs_info body"
printf '%s\n' "$out" | grep -q "^-ERR 404 no such server 'nosuch'"; ok $? "vs_info unknown: 404"

# --- mod_user
out=$(session $'user_add web1 alice "pa ss#1"\nuser_add web1 alice\nuser_add web1 "bad name"\nweb1 {\nuser_add bob\nuser_list\nuser_passwd bob n3w\nuser_del bob\nuser_del root\nuser_del ghost\n}\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK added alice uid 1000 to web1$'; ok $? "user_add"
printf '%s\n' "$out" | grep -q '^-ERR 409 '; ok $? "user_add twice: 409"
printf '%s\n' "$out" | grep -q "^-ERR 400 invalid user name"; ok $? "user_add bad name: 400"
printf '%s\n' "$out" | grep -q '^bob 1001 1001 /home/bob /bin/sh$'; ok $? "user_list line"
printf '%s\n' "$out" | grep -q '^+OK password of bob in web1 changed$'; ok $? "user_passwd"
printf '%s\n' "$out" | grep -q '^+OK deleted user bob'; ok $? "user_del"
printf '%s\n' "$out" | grep -q "^-ERR 403 'root' (uid 0) is a system account"; ok $? "user_del root: 403"
printf '%s\n' "$out" | grep -q "^-ERR 404 no user 'ghost'"; ok $? "user_del unknown: 404"
grep -q '^alice:x:1000:1000::/home/alice:/bin/sh$' "$ROOT/vs/web1/etc/passwd"; ok $? "passwd line written"
grep -q '^alice:\$y\$' "$ROOT/vs/web1/etc/shadow"; ok $? "shadow has a yescrypt hash"
grep -q '^bob:' "$ROOT/vs/web1/etc/passwd" "$ROOT/vs/web1/etc/shadow" "$ROOT/vs/web1/etc/group"
ok $((! $?)) "user_del removed bob everywhere"
uid=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
is "$(stat -c %u:%a "$ROOT/vs/web1/home/alice")" "$((uid + 1000)):750" "home directory handed to the user"
is "$(stat -c %a "$ROOT/vs/web1/etc/shadow")" 640 "shadow keeps its mode"

# --- mod_priv
out=$(session $'setrights web1 alice +ftp shell -gcc\nsetrights web1 alice +flying\nsetrights web1 ghost +ftp\nlistrights web1 alice\nlistrights web1\nsetrights web1 alice +login\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK alice ftp shell$'; ok $? "setrights"
printf '%s\n' "$out" | grep -q "^-ERR 400 unknown right 'flying'"; ok $? "unknown right: 400"
printf '%s\n' "$out" | grep -q "^-ERR 404 no user 'ghost'"; ok $? "setrights unknown user: 404"
printf '%s\n' "$out" | grep -q '^ftp:alice$'; ok $? "listrights block"
printf '%s\n' "$out" | grep -q '^+OK alice ftp login shell$'; ok $? "host admin grants login"
is "$(stat -c %u:%a "$ROOT/vs/web1/etc/vsd/priv")" "0:644" "/etc/vsd/priv in the VS: host root, read-only"
grep -q '^login:alice$' "$ROOT/state/priv/web1"; ok $? "host copy is the truth"

# --- mod_quota
out=$(session $'quota_get web1\nquota_set web1 300 64\nquota_get web1\nquota_set web1 -5\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK web1 quota_mb 300 processes 64$'; ok $? "quota_set"
printf '%s\n' "$out" | grep -q '^processes_max 64$'; ok $? "quota_get shows the limit"
used=$(printf '%s\n' "$out" | sed -n 's/^used_bytes //p' | head -1)
[ "${used:-0}" -gt 0 ]; ok $? "quota_get counts private bytes ($used)"
printf '%s\n' "$out" | grep -q '^-ERR 400 QUOTA_MB'; ok $? "bad quota: 400"
# a file the VS writes is charged; a skeleton file is not
u0=$(session $'quota_get web1\nEOF\n' | sed -n 's/^used_bytes //p')
dd if=/dev/zero of="$ROOT/vs/web1/root/big" bs=1M count=2 status=none
chown "$uid:$uid" "$ROOT/vs/web1/root/big"
u1=$(session $'quota_get web1\nEOF\n' | sed -n 's/^used_bytes //p')
[ $((u1 - u0)) -ge $((2 * 1024 * 1024)) ]; ok $? "2 MiB written by the VS are charged ($u0 -> $u1)"
# ... once, however many names the VS gives it
for i in 1 2 3; do ln "$ROOT/vs/web1/root/big" "$ROOT/vs/web1/root/big$i"; done
u2=$(session $'quota_get web1\nEOF\n' | sed -n 's/^used_bytes //p')
[ $((u2 - u1)) -lt $((64 * 1024)) ]; ok $? "hard links of it are not charged again ($u1 -> $u2)"

# --- mod_apache
out=$(session $'apache_get web1\napache_name web1 add www.web1.example.com\napache_name web1 add www.web1.example.com\napache_redirect web1 80 8081\napache_redirect web1 443 del\napache_redirect web1 8080 80\napache_get web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^server_name www.web1.example.com$'; ok $? "apache_name add"
printf '%s\n' "$out" | grep -q '^-ERR 409 '; ok $? "apache_name twice: 409"
printf '%s\n' "$out" | grep -q '^redirect 80 to 8081$'; ok $? "apache_redirect set"
printf '%s\n' "$out" | grep -q '^-ERR 400 usage: apache_redirect'; ok $? "bad redirect: 400"
grep -q '^redirect 443' "$ROOT/state/apache/web1"; ok $((! $?)) "redirect removed in state/apache/web1"

# --- mod_sendmail: data blocks, stuffing
out=$(session $'aliases_set web1 {\npostmaster: alice\n# comment\nwebmaster: alice, root\n}\naliases_get web1\naliases_set web1 {\n\\}bad\n}\naliases_set web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK aliases of web1 replaced$'; ok $? "aliases_set"
printf '%s\n' "$out" | grep -q '^webmaster: alice, root$'; ok $? "aliases_get"
printf '%s\n' "$out" | grep -q "^-ERR 400 alias line 1"; ok $? "bad alias line: 400"
printf '%s\n' "$out" | grep -q "^-ERR 400 aliases_set needs a data block"; ok $? "missing data block: 400"
is "$(stat -c %u "$ROOT/vs/web1/etc/aliases")" "$uid" "aliases owned by the VS's root"

# --- framing and errors
out=$(session $'frobnicate\n}\nweb1 {\nweb2 {\n}\nvs_list extra\nvs_info "unterminated\nweb1 { vs_list }\nhelp\nversion\nEOF\n')
printf '%s\n' "$out" | grep -q "^-ERR 501 unknown command 'frobnicate'"; ok $? "unknown command: 501"
printf '%s\n' "$out" | grep -q "^-ERR 400 '}' without '{'"; ok $? "stray brace: 400"
printf '%s\n' "$out" | grep -q "^-ERR 400 groups do not nest"; ok $? "nested group: 400"
printf '%s\n' "$out" | grep -q "^-ERR 400 usage: vs_list"; ok $? "extra operand: 400"
printf '%s\n' "$out" | grep -q "^-ERR 400 unterminated quoted string"; ok $? "bad quoting: 400"
printf '%s\n' "$out" | grep -q "^-ERR 400 vs_list does not act on one server"; ok $? "global command in a group: 400"
printf '%s\n' "$out" | grep -q '^mod_user user_add NAME USER \[PASSWORD\]$'; ok $? "help lists commands"
printf '%s\n' "$out" | grep -q '^+OK freeVSD vsd '; ok $? "version"
long=$(head -c 20000 /dev/zero | tr '\0' A)
out=$(session "$long"$'\nvs_list\nEOF\n')
printf '%s\n' "$out" | grep -q '^-ERR 413 line longer than 8192 bytes'; ok $? "long line: 413"
printf '%s\n' "$out" | grep -q '^+OK 2 servers'; ok $? "connection usable after 413"

# --- vsdadm through vsd
is "$(vsdadm list | awk 'NR>1{print $1}' | tr '\n' ' ')" "db web1 " "vsdadm list via vsd"
run_ok "vsdadm info via vsd" vsdadm info web1
vsdadm --json info web1 | grep -q '"running":'; ok $? "vsdadm --json info"
run_ok "freeVSD form vs_create localhost" vsdadm vs_create localhost web3 10.201.0.5 web3.example.com 200 0
vsdadm user add web3 carol | grep -q 'added carol'; ok $? "readable 'user add'"
vsdadm setrights web3 carol +www | grep -q 'carol www'; ok $? "protocol command passthrough"
vsdadm --json user list web3 | grep -q '"lines":\["admin'; ok $? "passthrough --json"
vsdadm user del web3 nosuch 2>/dev/null; is $? 1 "vsdadm: refusal exits 1"
vsdadm setrights web3 2>/dev/null; is $? 2 "vsdadm: usage error (400) exits 2"
out=$(printf 'vs_info web3\nuser_list web3\n' | vsdadm raw)
printf '%s\n' "$out" | grep -q '^+OK server web3 {$'; ok $? "raw mode"
is "$(printf '%s\n' "$out" | tail -1)" "+OK Virtual server admin signing off" "raw mode ends with the sign-off"
run_ok "freeVSD form vs_delete localhost" vsdadm vs_delete localhost web3
[ ! -e "$ROOT/vs/web3" ] && [ ! -e "$ROOT/run/vs/web3" ]; ok $? "root and VS socket gone"
# authenticated TCP through vsdadm -H
is "$(vsdadm -H 127.0.0.1 list | awk 'NR>1{print $1}' | tr '\n' ' ')" "db web1 " "vsdadm -H 127.0.0.1: TCP with the secret"
out=$(printf 'vs_list\n' | vsdadm raw 127.0.0.1)
printf '%s\n' "$out" | grep -q '^+OK 2 servers'; ok $? "raw mode over TCP"
stop_vsd
vsdadm list 2>/dev/null; is $? 3 "vsd down: vsdadm exits 3"
done_testing
