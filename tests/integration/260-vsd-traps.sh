#!/usr/bin/env bash
# 260-vsd-traps: a VS's root plants symlinks, odd files and junk where
# vsd writes as host root (/etc/passwd, shadow, group, aliases, /etc,
# /etc/vsd, /home/USER) and names paths in operands: vsd must never
# write outside the VS (canaries in this test's own directory), never
# follow a link, and keep serving.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat
new_state_root
fixture_skel "$ROOT/skel"
start_vsd
session $'vs_create web1 10.208.0.2 web1.example.com 100 0\nuser_add web1 alice pw\nEOF\n' >/dev/null
V=$ROOT/vs/web1
U=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
mkdir -p "$T/canarydir"
echo "canary" >"$T/canary"
sum() { find "$T/canary" "$T/canarydir" -printf '%p %u %m %s\n' | sort; cat "$T/canary"; }
before=$(sum)
answer() { session "$1"$'\nEOF\n' | sed -n 2p; }

# shadow is a symlink to a host file
mv "$V/etc/shadow" "$V/etc/shadow.real"
ln -s "$T/canary" "$V/etc/shadow"
out=$(answer "user_passwd web1 alice newpw")
case $out in -ERR*) pass "shadow -> host file: refused ($out)";; *) not_ok "shadow symlink: $out";; esac
is "$(sum)" "$before" "canary untouched (shadow)"
rm "$V/etc/shadow"; mv "$V/etc/shadow.real" "$V/etc/shadow"

# passwd is a relative symlink climbing out
mv "$V/etc/passwd" "$V/etc/passwd.real"
ln -s ../../../../canary "$V/etc/passwd"
out=$(answer "user_add web1 bob pw")
case $out in -ERR*) pass "passwd -> ../..: refused";; *) not_ok "passwd symlink: $out";; esac
is "$(sum)" "$before" "canary untouched (passwd)"
rm "$V/etc/passwd"; mv "$V/etc/passwd.real" "$V/etc/passwd"

# /etc itself is a symlink to a host directory
mv "$V/etc" "$V/etc.real"
ln -s "$T/canarydir" "$V/etc"
for c in "user_add web1 carol" "user_list web1" "aliases_set web1 {"$'\n'"a: b"$'\n'"}" \
    "setrights web1 alice +ftp"; do
	out=$(answer "$c")
	case $c in setrights*) ;;	# the host copy is the truth: may succeed
	*) case $out in -ERR*) pass "/etc -> host dir: ${c%% *} refused";;
	   *) not_ok "/etc symlink: $c: $out";; esac;;
	esac
done
is "$(ls -A "$T/canarydir")" "" "nothing written into the host directory"
is "$(sum)" "$before" "canaries untouched (/etc)"
rm "$V/etc"; mv "$V/etc.real" "$V/etc"

# /etc/vsd is a symlink: the published copy is skipped, the truth kept
rm -rf "$V/etc/vsd"
ln -s "$T/canarydir" "$V/etc/vsd"
is "$(answer "setrights web1 alice +www")" "+OK alice www" "rights kept on the host"
is "$(ls -A "$T/canarydir")" "" "no priv file through /etc/vsd -> host dir"
grep -q '^www:alice$' "$ROOT/state/priv/web1"; ok $? "host copy updated"

# aliases is a symlink: replaced by a regular file, target untouched
ln -s "$T/canary" "$V/etc/aliases"
out=$(answer "aliases_get web1")
case $out in -ERR*) pass "aliases_get does not follow a symlink";; *) not_ok "aliases_get: $out";; esac
is "$(answer "aliases_set web1 {"$'\n'"root: alice"$'\n'"}")" "+OK aliases of web1 replaced" "aliases_set replaces the link"
[ -f "$V/etc/aliases" ] && [ ! -L "$V/etc/aliases" ]; ok $? "aliases is now a regular file"
is "$(sum)" "$before" "canary untouched (aliases)"

# /home/dave exists as a symlink to a host directory before user_add
ln -s "$T/canarydir" "$V/home/dave"
out=$(answer "user_add web1 dave pw")
is "${out%% uid*}" "+OK added dave" "user_add with a planted home"
is "$(stat -c %u "$T/canarydir")" 0 "the planted home's target was not chowned"
[ -L "$V/home/dave" ]; ok $? "the planted link was left as it was"

# a fifo as /etc/group: no hang (O_NONBLOCK, regular files only)
mv "$V/etc/group" "$V/etc/group.real"; mkfifo "$V/etc/group"
start=$(date +%s)
out=$(answer "user_add web1 erin")
case $out in -ERR*) pass "fifo as /etc/group: refused";; *) not_ok "fifo: $out";; esac
[ $(( $(date +%s) - start )) -lt 5 ]; ok $? "without hanging"
rm "$V/etc/group"; mv "$V/etc/group.real" "$V/etc/group"

# a 5 MB passwd: an error, not a crash or a 5 MB answer
cp "$V/etc/passwd" "$T/passwd.save"
head -c 5000000 /dev/zero | tr '\0' 'x' >>"$V/etc/passwd"
out=$(answer "user_list web1")
case $out in -ERR*) pass "oversized passwd: refused";; *) not_ok "big passwd: $out";; esac
cp "$T/passwd.save" "$V/etc/passwd"

# hostile operands
for c in "user_add web1 ../../x" "user_add web1 root/x" "setrights web1 ../x +ftp" \
    "vs_info ../web1" "aliases_get ." "apache_name web1 add ../../etc" \
    "listrights web1 '\$(id)'"; do
	out=$(answer "$c")
	case $out in "-ERR 400"*|"-ERR 404"*) pass "refused: $c";;
	*) not_ok "refused: $c"; diag "got: $out";; esac
done
session $'vs_info web1\nEOF\n' | grep -q '^+OK server web1'; ok $? "still serving"
is "$(sum)" "$before" "canaries untouched at the end"
done_testing
