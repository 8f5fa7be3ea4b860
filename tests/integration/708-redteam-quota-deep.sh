#!/usr/bin/env bash
# Red team: a VS's disk use (vsdadm info, vsd's quota_get and its
# over_quota) is the sum of the inodes its uid range owns, found by a walk
# of its root that holds one directory fd per level.  The walk stopped
# counting at VS_RMTREE_MAXDEPTH (256) levels: a VS's root that keeps its
# data below 300 nested directories used as much disk as it liked while
# its usage said a few KiB and over_quota "no".  The whole tree must be
# counted (the deep part walks with one fd, whatever the depth).
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm setpriv
PY=/usr/bin/python3	# the VS uid cannot run a shim in root's home
[ -x "$PY" ] || skip_all "needs $PY"
new_state_root
host_ids_fixture
S=$ROOT/skel
fixture_skel "$S"
run_ok "create web1 with a 5 MB quota" vsdadm create -q 5 web1 10.77.8.2 web1.example.com
V=$ROOT/vs/web1
base=$(vs_uid web1)

private() { vsdadm --json info web1 | sed -n 's/.*"private_bytes":\([0-9]*\).*/\1/p'; }
before=$(private)
diag "private bytes of a fresh VS: $before"

# the VS's root nests 300 directories in /root and writes 16 MiB (real
# blocks, not holes) at the bottom, and a second 16 MiB file halfway
# (depth 280) beside a side branch, so the walk comes back up through
# the deep part
cat >"$T/deep.py" <<'EOP'
import os, sys
os.chdir(sys.argv[1])
for i in range(300):
	os.mkdir("d")
	os.chdir("d")
	if i == 280:
		os.mkdir("side")
		with open("side/mid", "wb") as f:
			f.write(b"\1" * (16 << 20))
with open("data", "wb") as f:
	f.write(b"\1" * (16 << 20))
EOP
run_ok "VS root nests 300 directories with 32 MiB in them" \
	as_vs timeout 60 "$PY" "$T/deep.py" "$V/root"
after=$(private)
diag "private bytes after: $after"
ok "$([ -n "$after" ] && [ "$after" -ge $((before + (32 << 20))) ]; echo $?)" \
	"info counts the data below 256 levels ($before -> $after bytes)"
out=$(timeout 60 vsdadm --json info web1)
ok "$(echo "$out" | grep -Eq '"dirs":(3[0-9][0-9]|[4-9][0-9][0-9]),'; echo $?)" \
	"and the deep directories ($(echo "$out" | grep -o '"dirs":[0-9]*'))"
done_testing
