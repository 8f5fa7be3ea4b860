#!/usr/bin/env bash
# Red team: a VS's root may ask vsd for snapshots of its own VS over its
# socket (vs_snapshot).  Each is a host-root file outside the VS's tree,
# counted in no quota of the VS, and a VS admin cannot delete them; without
# a bound the VS's root multiplies its data on the host's disk at will
# (filling it for the host and every other VS).  VS admins get a bounded
# number of snapshots per VS; host administrators are not limited.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd socat setpriv
new_state_root
fixture_skel "$ROOT/skel"
chmod 755 "$T" "$ROOT"
start_vsd
session $'vs_create web1 10.202.0.2 web1.example.com 100 0\nEOF\n' >/dev/null
U1=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
[ -n "$U1" ] || bail "web1 not created"
# the VS's private data, which every snapshot copies
head -c 1048576 /dev/urandom >"$ROOT/vs/web1/root/blob"
chown "$U1:$U1" "$ROOT/vs/web1/root/blob"

n=30
cmds=$(for i in $(seq 1 $n); do echo "vs_snapshot flood$i"; done; echo EOF)
out=$(VSD_WAIT=60 vs_session web1 "$U1" "$cmds"$'\n')
saved=$(printf '%s\n' "$out" | grep -c '^+OK snapshot .* saved')
refused=$(printf '%s\n' "$out" | grep -c '^-ERR 429 ')
count=$(session $'vs_snapshots web1\nEOF\n' | sed -n 's/^+OK \([0-9]*\) snapshots of web1.*/\1/p')
diag "VS admin: $saved saved, $refused refused, $count kept"
ok "$([ "$saved" -ge 1 ] && [ "$saved" -lt $n ]; echo $?)" "a VS admin may snapshot, but not without bound"
is "$refused" "$((n - saved))" "the rest are refused with 429"
is "$count" "$saved" "only those were stored"
out=$(session $'vs_snapshot web1 "host admin"\nEOF\n' | sed -n 2p)
case $out in "+OK snapshot "*) pass "the host admin still snapshots";; *) not_ok "host admin: $out";; esac
done_testing
