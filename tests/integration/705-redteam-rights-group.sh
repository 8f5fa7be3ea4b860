#!/usr/bin/env bash
# Red team: vsd gives each governed right a system group in the VS's
# /etc/group (vsd-RIGHT, a free gid from 999 down).  The VS's root owns
# that file: 4 MiB of groups with every system gid but the lowest few
# taken made vsd scan the whole file once per candidate gid, about 4 s
# per right on every rights change, user_add and at vsd's start (7
# rights: 30 s, then the next VS).  The gids must still be right: free,
# distinct, system ones.  Everything is in the test's own state root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd vsdskel socat python3
new_state_root
host_ids_fixture

RIGHTS="cron ftp gcc mail perl shell www"
SRC=$T/src
fixture_skel "$SRC"
chmod -R u+w "$SRC"
rm -f "$SRC/dev/null" "$SRC/var/lib/fifo"
SC=$T/skel.conf
echo 'copy /etc/*' >"$SC"
for r in $RIGHTS; do
	printf '#!/bin/sh\necho %s\n' "$r" >"$SRC/usr/bin/tool-$r"
	chmod 755 "$SRC/usr/bin/tool-$r"
	echo "rights $r /usr/bin/tool-$r" >>"$SC"
done
sed -i "s|^skel_conf .*|skel_conf \"$SC\"|" "$CONF"
make_skel --from "$SRC"
start_vsd "skel_conf \"$SC\""
out=$(session $'vs_create web1 10.214.0.2 web1.example.com 100 0\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK created web1'; ok $? "vs_create web1"
V=$ROOT/vs/web1

# the VS's root: 4 MiB of groups, the system gids 107..999 last
python3 - "$V/etc/group" <<'P'
import sys
f = open(sys.argv[1], "a")
n = 0
while f.tell() < (4 << 20) - 100000:
    f.write("filler%07d:x:%d:\n" % (n, 2000 + n)); n += 1
for g in range(107, 1000):
    f.write("g%d:x:%d:\n" % (g, g))
P
# the answer must come within the session's wait (10 s)
out=$(session $'user_add web1 alice\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK added alice'; ok $? "user_add answers in time ($out)"
gids=$(for r in $RIGHTS; do sed -n "s/^vsd-$r:x:\([0-9]*\):.*/\1/p" "$V/etc/group"; done | sort -n | tr '\n' ' ')
is "$gids" "100 101 102 103 104 105 106 " "seven vsd-* groups on the seven free system gids"
is "$(cut -d: -f3 "$V/etc/group" | awk '$1 >= 100 && $1 <= 999' | sort | uniq -d | head -3)" "" "no system gid used twice"
base=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
g=$(sed -n 's/^vsd-perl:x:\([0-9]*\):.*/\1/p' "$V/etc/group")
is "$(stat -c '%u:%g:%a' "$V/usr/bin/tool-perl")" "$base:$((base + g)):550" "tool-perl governed with that group"

out=$(session $'vs_create web2 10.214.0.3 web2.example.com 100 0\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK created web2'; ok $? "vsd serves the next VS"
done_testing
