#!/usr/bin/env bash
# vsnap against hostile, corrupt and truncated archives: each is refused
# by restore (and import/verify where they can tell), nothing is written
# outside the temporary tree (canaries in this test's own state root),
# and the VS is exactly as it was.  The archives carry a valid header and
# seal (300-vsnap-mksnap.py forges them as an attacker could).
source "$(dirname "$0")/../lib/common.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd python3 zstd vsdadm vsnap
new_state_root
host_ids_fixture
tree() { python3 "$VSD_TOP/tests/integration/300-vsnap-tree.py" "$@"; }
# a quick fingerprint of the VS (inode, type, mode, owner, size, mtime,
# link target of everything): any write into it changes one of them
fp() { find "$R" -printf '%P %i %y %m %U %G %s %T@ %l\n' | sort | md5sum; }
mk() { python3 "$VSD_TOP/tests/integration/300-vsnap-mksnap.py" "$@"; }

mkdir -p "$ROOT/skel"
fixture_skel "$ROOT/skel"
run_ok "create web1" vsdadm create web1 10.77.2.2 web1.example.com
R=$ROOT/vs/web1
B=$(vs_uid web1)
O=$T/outside
mkdir -p "$O"
echo "canary" >"$O/canary"
chmod 644 "$O/canary"
before=$(fp)
full_before=$(tree "$R" "$B" "$ROOT/skel")
store=$ROOT/snapshots/web1
mkdir -p "$store"
HID=20240101T000000Z

untouched() {	# untouched DESC: canaries and the VS are as they were
	local bad=0
	[ "$(cat "$O/canary")" = canary ] || bad=1
	[ "$(ls -A "$O")" = canary ] || bad=1
	[ -z "$(find / -xdev -maxdepth 2 -name 'pwned*' 2>/dev/null)" ] || bad=1
	[ "$(fp)" = "$before" ] || bad=1
	ls -A "$ROOT/vs" | grep -q restore && bad=1
	ok $bad "$1: nothing written outside, VS untouched"
}

# hostile CASE 'members-json' [restore options]: verify/import and
# restore must refuse it
hostile() {
	local name=$1 members=$2; shift 2
	printf '{"members": [{"name": "root/", "type": "d", "mode": 493}, %s]}' \
		"$members" >"$T/$name.json"
	mk "$T/$name.json" "$T/$name.tar.zst" || { not_ok "$name: build"; return; }
	cp "$T/$name.tar.zst" "$store/$HID.tar.zst"
	local out
	out=$(vsnap restore "$@" web1 $HID 2>&1)
	ok $([ $? = 1 ]; echo $?) "$name: restore refused"
	diag "$out"
	untouched "$name"
	rm -f "$store/$HID.tar.zst"
}
refused_early() {	# also verify and import refuse it
	run_fails "$1: verify refuses" vsnap verify "$T/$1.tar.zst"
	run_fails "$1: import refuses" vsnap import "$T/$1.tar.zst" web1
	untouched "$1 (import)"
}

hostile traversal '{"name": "root/../../outside/pwned", "data": "x"}'
refused_early traversal
hostile traversal2 '{"name": "root/etc/../../../outside/pwned", "data": "x"}'
hostile absolute "{\"name\": \"$O/pwned\", \"data\": \"x\"}"
refused_early absolute
hostile outside-tree '{"name": "etc/pwned", "data": "x"}'
hostile symlink-then-file "{\"name\": \"root/a\", \"type\": \"l\", \"link\": \"$O\"},
	{\"name\": \"root/a/pwned\", \"data\": \"x\"}"
hostile symlink-then-overwrite "{\"name\": \"root/c\", \"type\": \"l\", \"link\": \"$O/canary\"},
	{\"name\": \"root/c\", \"data\": \"pwned\"}"
hostile relative-symlink-dir '{"name": "root/up", "type": "l", "link": "../../../outside"},
	{"name": "root/up/pwned", "data": "x"}'
hostile hardlink-outside "{\"name\": \"root/h\", \"type\": \"h\", \"link\": \"$O/canary\"}"
refused_early hardlink-outside
hostile hardlink-dotdot '{"name": "root/h", "type": "h", "link": "root/../../outside/canary"}'
hostile hardlink-via-symlink "{\"name\": \"root/s\", \"type\": \"l\", \"link\": \"$O\"},
	{\"name\": \"root/h\", \"type\": \"h\", \"link\": \"root/s/canary\"}"
hostile hardlink-to-skeleton '{"name": "root/h", "type": "h", "link": "root/usr/bin/ls"}'
hostile device-node '{"name": "root/mem", "type": "c", "mode": 438}'
refused_early device-node
hostile block-device '{"name": "root/sda", "type": "b", "mode": 438}'
hostile fifo '{"name": "root/fifo", "type": "p"}'
hostile setuid-foreign '{"name": "root/su", "mode": 2541, "uid": 70000, "data": "#!/bin/sh\n"}'
refused_early setuid-foreign
hostile setuid-host-root '{"name": "root/su", "mode": 2541, "uid": 4294967294, "data": "x"}'
hostile foreign-group '{"name": "root/g", "gid": 100000, "data": "x"}'
hostile duplicate '{"name": "root/x", "data": "one"}, {"name": "root/x", "data": "two"}'
hostile no-parent '{"name": "root/nodir/x", "data": "x"}'
hostile oversized '{"name": "root/big", "zeros": 8388608}' --max-bytes 1M
hostile too-many '{"name": "root/1", "data": "1"}, {"name": "root/2", "data": "2"},
	{"name": "root/3", "data": "3"}' --max-entries 2
# zstd bomb: 128 MiB of zeros in a few KB, and a pax header bomb
hostile zstd-bomb '{"name": "root/bomb", "zeros": 134217728}' --max-bytes 16M
diag "bomb: $(stat -c %s "$T/zstd-bomb.tar.zst") bytes compressed, 128 MiB inside"
hostile pax-bomb '{"name": "root/p", "data": "x", "pax_pad": 33554432}'
refused_early pax-bomb

# the skeleton list: copies owned outside, paths outside, a tree entry
# under a listed name
H=0000000000000000000000000000000000000000000000000000000000000000
skelcase() {	# skelcase NAME SKEL-LIST [MEMBERS]
	printf '{"skel": "%s", "members": [{"name": "root/", "type": "d", "mode": 493}%s]}' \
		"$2" "${3:+, $3}" >"$T/$1.json"
	mk "$T/$1.json" "$T/$1.tar.zst" || { not_ok "$1: build"; return; }
	cp "$T/$1.tar.zst" "$store/$HID.tar.zst"
	out=$(vsnap restore --accept-skel web1 $HID 2>&1)
	ok $([ $? = 1 ]; echo $?) "$1: restore refused"
	diag "$out"
	untouched "$1"
	rm -f "$store/$HID.tar.zst"
}
skelcase skel-copy-foreign-owner "$(sha256sum "$ROOT/skel/etc/motd" | cut -c1-64) 6 0 c 4755 70000 0 0 0 etc/motd\\n"
skelcase skel-dotdot "$H 6 0 l 0 0 0 0 0 ../../outside/canary\\n"
skelcase skel-absolute "$H 6 0 l 0 0 0 0 0 /etc/passwd\\n"
skelcase skel-and-tree "$(sha256sum "$ROOT/skel/etc/motd" | cut -c1-64) 6 0 c 644 0 0 0 0 etc/motd\\n" \
	'{"name": "root/etc", "type": "d", "mode": 493}, {"name": "root/etc/motd", "data": "pwned"}'
skelcase skel-copy-through-symlink "$(sha256sum "$ROOT/skel/etc/motd" | cut -c1-64) 6 0 c 644 0 0 0 0 etc/motd\\n" \
	"{\"name\": \"root/etc\", \"type\": \"l\", \"link\": \"$O\"}"
skelcase skel-link-through-symlink "$(sha256sum "$ROOT/skel/etc/motd" | cut -c1-64) 6 0 l 0 0 0 0 0 etc/motd\\n" \
	"{\"name\": \"root/etc\", \"type\": \"l\", \"link\": \"$O\"}"

# tampering: a stale seal, a corrupt and a truncated archive
printf '{"members": [{"name": "root/", "type": "d", "mode": 493}, {"name": "root/f", "data": "x"}], "raw_seal": "0000 root/f\\nend\\n"}' >"$T/seal.json"
mk "$T/seal.json" "$T/seal.tar.zst"
cp "$T/seal.tar.zst" "$store/$HID.tar.zst"
run_fails "stale seal: restore refused" vsnap restore web1 $HID
untouched "stale seal"
rm -f "$store/$HID.tar.zst"
run_fails "stale seal: verify refuses" vsnap verify "$T/seal.tar.zst"

is "$(tree "$R" "$B" "$ROOT/skel")" "$full_before" \
	"after every hostile archive the VS is byte for byte as it was"
echo "some data" >"$R/root/data"; chown $B:$B "$R/root/data"
head -c 300000 /dev/urandom >"$R/root/random"; chown $B:$B "$R/root/random"
id=$(vsnap save web1) || bail "save"
good=$store/$id.tar.zst
before=$(fp)
cp "$good" "$T/good"
sz=$(stat -c %s "$good")
# flip one byte in the middle
python3 - "$good" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(b)
PY
out=$(vsnap verify "$good" 2>&1); ok $([ $? = 1 ]; echo $?) "corrupt: verify fails"; diag "$out"
run_fails "corrupt: restore refused" vsnap restore web1 "$id"
untouched corrupt
head -c $((sz / 2)) "$T/good" >"$good"
out=$(vsnap verify "$good" 2>&1); ok $([ $? = 1 ]; echo $?) "truncated: verify fails"; diag "$out"
run_fails "truncated: restore refused" vsnap restore web1 "$id"
untouched truncated
head -c $((sz - 3)) "$T/good" >"$good"
run_fails "last bytes cut: restore refused" vsnap restore web1 "$id"
untouched "last bytes cut"
: >"$good"
run_fails "empty file: restore refused" vsnap restore web1 "$id"
echo "not an archive" | zstd -q >"$good"
run_fails "not an archive: restore refused" vsnap restore web1 "$id"
untouched "garbage"
# data appended after the archive's end (nothing may follow the seal):
# in a frame of its own, or inside the last frame after the end blocks
{ cat "$T/good"; echo "smuggled payload" | zstd -q; } >"$good"
out=$(vsnap verify "$good" 2>&1); ok $([ $? = 1 ]; echo $?) "junk frame after the end: verify fails"; diag "$out"
run_fails "junk frame after the end: import refuses" vsnap import "$good" web1
run_fails "junk frame after the end: restore refused" vsnap restore web1 "$id"
untouched "junk frame after the end"
{ zstd -dc "$T/good"; echo "smuggled payload"; } | zstd -q >"$good"
out=$(vsnap verify "$good" 2>&1); ok $([ $? = 1 ]; echo $?) "junk after the end blocks: verify fails"; diag "$out"
{ zstd -dc "$T/good"; head -c 20000 /dev/zero; } | zstd -q >"$good"
run_ok "zeros after the end blocks (block padding): verify accepts" vsnap verify "$good"
cp "$T/good" "$good"
run_ok "the intact archive still restores" vsnap restore web1 "$id"
done_testing
