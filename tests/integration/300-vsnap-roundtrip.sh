#!/usr/bin/env bash
# vsnap round trips: save a VS with every kind of object a root holds,
# change it, restore, and compare the trees exactly (content, modes,
# owners, times, symlinks, hard links, xattrs, ACLs, sparse files,
# skeleton links); a fresh VS's snapshot is kilobytes and plain tar lists
# it; export/import into a VS with another uid range; list, diff, delete.
source "$(dirname "$0")/../lib/common.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
source "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd python3 tar zstd vsdadm vsnap
new_state_root
host_ids_fixture
tree() { python3 "$VSD_TOP/tests/integration/300-vsnap-tree.py" "$@"; }

# a skeleton built by vsdskel (with its manifest), so the VSs hold both
# skeleton links and private copies of skeleton files (/etc, /var)
fixture_skel "$T/fix"
make_skel --from "$T/fix"
run_ok "create web1" vsdadm create web1 10.77.1.2 web1.example.com
run_ok "create web2" vsdadm create web2 10.77.1.3 web2.example.com
R=$ROOT/vs/web1
B=$(vs_uid web1)
B2=$(vs_uid web2)
ok $([ -n "$B" ] && [ -n "$B2" ] && [ "$B" != "$B2" ]; echo $?) "two uid ranges ($B, $B2)"

# a fresh VS: kilobytes, and plain tar lists it
id0=$(vsnap save web1 -m fresh) ; ok $? "save a fresh VS"
f0=$ROOT/snapshots/web1/$id0.tar.zst
sz=$(stat -c %s "$f0")
ok $([ "$sz" -lt 65536 ]; echo $?) "fresh VS's snapshot is small ($sz bytes)"
full=$(cd "$R" && tar -cf - . | zstd -q -3 | wc -c)
diag "fresh: $sz bytes, tar|zstd of the same root: $full bytes"
ok $([ $((sz * 20)) -lt "$full" ]; echo $?) "under 5% of tar|zstd of this tiny fixture ($full)"
run_ok "tar --zstd -tf lists it" tar --zstd -tf "$f0"
is "$(tar --zstd -tf "$f0" | head -1)" "vsnap/header" "header is the first member"
is "$(tar --zstd -tf "$f0" | tail -1)" "vsnap/seal" "seal is the last member"
run_ok "verify" vsnap verify "$f0"
zstd -dc "$f0" | tar -xO vsnap/skel >"$T/skel-list" 2>/dev/null
ok $(grep -q ' 0 l ' "$T/skel-list"; echo $?) "skeleton links are listed"
ok $(grep -q ' 0 c .* etc/group$' "$T/skel-list"; echo $?) "private copies of skeleton files are listed, not stored"

# every kind of object, owned by VS users
mkdir -p "$R/home/alice/d"
echo "alice's file" >"$R/home/alice/f"
printf 'x%.0s' $(seq 1 5000) >"$R/home/alice/d/big"
ln "$R/home/alice/f" "$R/home/alice/hardlink"
ln -s ../alice/f "$R/home/alice/rel-link"
ln -s /etc/passwd "$R/home/alice/abs-link"
head -c 100000 /dev/urandom >"$R/home/alice/random"
# above the size save reads ahead whole (1 MiB): streamed, and a hard link
head -c 3000000 /dev/urandom >"$R/home/alice/big-random"
ln "$R/home/alice/big-random" "$R/home/alice/big-random-link"
truncate -s 50M "$R/home/alice/sparse"
echo data | dd of="$R/home/alice/sparse" bs=1 seek=20000000 conv=notrunc status=none
chown -R $((B + 1000)):$((B + 1000)) "$R/home/alice"
chown -h $((B + 1000)):$((B + 100)) "$R/home/alice/abs-link"
cp /usr/bin/true "$R/home/alice/suid"
chown $((B + 1000)):$((B + 1000)) "$R/home/alice/suid"
chmod 4755 "$R/home/alice/suid"
chmod 1750 "$R/home/alice/d"
mkfifo "$R/home/alice/fifo"; chown $((B + 1000)):$((B + 1000)) "$R/home/alice/fifo"
python3 - "$R/home/alice/f" $((B + 1001)) <<'PY'
import os, struct, sys
p, uid = sys.argv[1], int(sys.argv[2])
os.setxattr(p, "user.note", b"hello \x00 binary")
ents = [(1, 6, 0xffffffff), (2, 4, uid), (4, 4, 0xffffffff),
        (0x10, 4, 0xffffffff), (0x20, 4, 0xffffffff)]
os.setxattr(p, "system.posix_acl_access",
            struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in ents))
PY
ok $? "xattr and ACL set"
touch -h -d '2001-02-03 04:05:06.123456789' "$R/home/alice/rel-link" "$R/home/alice/f"
touch -d '1999-01-01' "$R/home/alice/d"
rm "$R/usr/bin/cat"                       # a skeleton file the VS removed
cp "$R/usr/bin/ls" "$R/usr/bin/ls.new" && mv "$R/usr/bin/ls.new" "$R/usr/bin/ls"   # replaced by a private copy
chown $B:$B "$R/usr/bin/ls"

before=$(tree "$R" "$B" "$ROOT/skel")
id1=$(vsnap save web1 -m "with data"); ok $? "save with data"
f1=$ROOT/snapshots/web1/$id1.tar.zst
run_ok "verify" vsnap verify "$f1"
is "$(tree "$R" "$B" "$ROOT/skel")" "$before" "saving changes nothing in the VS"
run_ok "diff right after save: no change" vsnap diff web1 "$id1"
python3 - "$R/home/alice/random" <<'PY'
import os, sys
p = sys.argv[1]; st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(500); b = f.read(1); f.seek(500); f.write(bytes([b[0] ^ 1]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
is "$(vsnap diff web1 "$id1")" "M home/alice/random" \
	"diff: content changed behind an unchanged size and time"

# change things, then roll back
echo tampered >"$R/home/alice/f"
rm -rf "$R/home/alice/d" "$R/etc/passwd"
echo new >"$R/home/alice/new"
ln -sf /nowhere "$R/home/alice/rel-link"
out=$(vsnap diff web1 "$id1"); rc=$?
is "$rc" 1 "diff reports changes (exit 1)"
ok $(echo "$out" | grep -qx '+ home/alice/new'; echo $?) "diff: added file"
ok $(echo "$out" | grep -qx -- '- etc/passwd'; echo $?) "diff: removed file"
ok $(echo "$out" | grep -qx 'M home/alice/rel-link'; echo $?) "diff: changed link"
run_fails "restore refuses the fifo without --allow-fifo" vsnap restore web1 "$id1"
run_ok "restore --allow-fifo" vsnap restore --allow-fifo web1 "$id1"
after=$(tree "$R" "$B" "$ROOT/skel")
is "$after" "$before" "restored tree is identical (content, modes, owners, times, links, xattrs, ACLs)"
[ "$after" = "$before" ] || diff <(echo "$before") <(echo "$after") | head -20 | sed 's/^/# /'
blocks=$(stat -c %b "$R/home/alice/sparse")
ok $([ "$blocks" -lt 1000 ]; echo $?) "sparse file stays sparse ($blocks blocks)"
ok $([ "$(stat -c %i "$R/usr/bin/bash")" = "$(stat -c %i "$ROOT/skel/usr/bin/bash")" ]; echo $?) \
	"skeleton files are re-linked, not copied"
ok $([ ! -e "$R/usr/bin/cat" ]; echo $?) "a skeleton file the VS had removed stays removed"
is "$(ls -a "$ROOT/vs" | grep -c restore)" 0 "no temporary tree left"
run_ok "diff after restore: no change" vsnap diff web1 "$id1"

# the fresh snapshot takes it all back
run_ok "restore the fresh snapshot" vsnap restore web1 "$id0"
ok $([ ! -e "$R/home/alice" ]; echo $?) "VS is fresh again"

# --full, -o, export/import into a VS with another uid range
run_ok "save --full -o" vsnap save web1 --full -o "$T/full.tar.zst"
fsz=$(stat -c %s "$T/full.tar.zst")
ok $([ "$fsz" -gt $((sz * 4)) ]; echo $?) "--full stores skeleton files ($fsz bytes)"
run_ok "verify --full" vsnap verify "$T/full.tar.zst"
run_ok "export" vsnap export web1 "$id1" "$T/export.tar.zst"
run_ok "verify export" vsnap verify "$T/export.tar.zst"
ok $(tar --zstd -tf "$T/export.tar.zst" | grep -qx 'root/usr/bin/bash'; echo $?) \
	"export stores the skeleton files"
id2=$(vsnap import "$T/export.tar.zst" web2); ok $? "import into web2"
run_ok "restore into web2 (uid range $B2)" vsnap restore --allow-fifo web2 "$id2"
is "$(tree "$ROOT/vs/web2" "$B2" "$ROOT/skel")" "$before" \
	"web2 is web1's tree, owners shifted into web2's range"
run_fails "import the same snapshot twice" vsnap import "$T/export.tar.zst" web2

# list and delete
run_ok "list" vsnap list web1
n=$(vsnap --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "$n" 3 "list --json: three snapshots"
run_ok "delete" vsnap delete web1 "$id0"
run_fails "delete again" vsnap delete web1 "$id0"
is "$(vsnap --json list web1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "one left for web1"
# --json: list and verify describe a snapshot with the same members
keys() { python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(" ".join(sorted(d)))'; }
is "$(vsnap --json list web1 | keys)" "created full id message size skel_id vs" \
	"list --json members"
is "$(vsnap --json verify "$f1" | keys)" \
	"bytes created entries full id message ok size skel_files skel_id vs" \
	"verify --json: the same members, and the seal's"
odd="$T/odd\"na\\me.tar.zst"
is "$(vsnap --json save web1 -o "$odd" | python3 -c 'import json,sys; print(json.load(sys.stdin)["file"])')" \
	"$odd" "save --json -o: the file name is escaped"
rm -f "$odd"
run_fails "restore a deleted snapshot" vsnap restore web1 "$id0"
run_fails "bad snapshot id" vsnap restore web1 ../../etc
run_fails "unknown VS" vsnap save nosuch
vsnap save 2>/dev/null; is $? 2 "usage error exits 2"
flock "$ROOT/state/lock/vs.web1" sleep 3 &
sleep 0.5
vsnap save web1 >/dev/null 2>&1; is $? 3 "VS locked by another operation: exit 3 (temporary)"
wait

# the skeleton changes under the snapshots (as after vsdskel update)
cp "$ROOT/skel/usr/bin/bash" "$T/bash.orig"
rm -f "$ROOT/skel/usr/bin/bash"
cp /usr/bin/true "$ROOT/skel/usr/bin/bash"
chmod 555 "$ROOT/skel/usr/bin/bash"
before=$(tree "$R" "$B" "$ROOT/skel")
out=$(vsnap restore --allow-fifo web1 "$id1" 2>&1); rc=$?
is "$rc" 1 "restore refused: the skeleton changed"
ok $(echo "$out" | grep -q "skeleton changed.*usr/bin/bash"; echo $?) "the message names the file: $out"
is "$(tree "$R" "$B" "$ROOT/skel")" "$before" "VS untouched"
run_ok "restore --accept-skel" vsnap restore --allow-fifo --accept-skel web1 "$id1"
is "$(stat -c %i "$R/usr/bin/bash")" "$(stat -c %i "$ROOT/skel/usr/bin/bash")" \
	"--accept-skel links the new skeleton file"
run_fails "full snapshot, changed skeleton: refused" vsnap restore --allow-fifo web2 "$id2"
run_ok "full snapshot --use-stored" vsnap restore --allow-fifo --use-stored web2 "$id2"
ok $(cmp -s "$ROOT/vs/web2/usr/bin/bash" "$T/bash.orig"; echo $?) \
	"--use-stored restores the snapshot's copy"
ok $([ "$(stat -c %i "$ROOT/vs/web2/usr/bin/bash")" != "$(stat -c %i "$ROOT/skel/usr/bin/bash")" ]; echo $?) \
	"as a private file"
ok $([ "$(stat -c %i "$ROOT/vs/web2/usr/bin/cp")" = "$(stat -c %i "$ROOT/skel/usr/bin/cp")" ]; echo $?) \
	"unchanged skeleton files are still linked"
echo "snapshot_fifos yes" >>"$CONF"
run_ok "snapshot_fifos yes: no --allow-fifo needed" vsnap restore --accept-skel web1 "$id1"
ok $([ -p "$R/home/alice/fifo" ]; echo $?) "the fifo is back"

# file capabilities: a v2 value (valid in every namespace) comes back as
# v3 for the VS's own root only
cp /usr/bin/true "$R/home/alice/capped"
chown $B:$B "$R/home/alice/capped"
python3 -c 'import os,struct,sys; os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))' "$R/home/alice/capped"
ok $? "v2 file capability set"
id3=$(vsnap save web1) ; ok $? "save with a capability"
run_ok "restore it" vsnap restore web1 "$id3"
cap=$(python3 -c 'import os,struct,sys; v=os.getxattr(sys.argv[1], "security.capability"); print(len(v), hex(struct.unpack("<I", v[:4])[0] >> 24), struct.unpack("<I", v[20:24])[0] if len(v) >= 24 else "-")' "$R/home/alice/capped")
is "$cap" "24 0x3 $B" "restored as a v3 capability for the VS's root ($B)"

# xattrs a VS's root cannot set (trusted.*, security.* but capabilities)
# are neither saved nor restored (FORMAT.md)
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "trusted.vsd-test", b"host only")' "$R/home/alice/capped"
ok $? "trusted.* xattr set on a VS file"
id4=$(vsnap save web1) ; ok $? "save with a trusted.* xattr"
ok $(! zstd -dc "$ROOT/snapshots/web1/$id4.tar.zst" | grep -aq 'trusted.vsd-test'; echo $?) \
	"the trusted.* xattr is not in the archive"
run_ok "restore it" vsnap restore web1 "$id4"
is "$(python3 -c 'import os,sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$R/home/alice/capped")" \
	"security.capability" "restored with the capability only"

# /etc/vsd/priv, vsd's published copy of the host's state/priv/NAME
# (mod_priv): the archive stores it as nobody's; a restore publishes the
# host file again, host root's, read-only to the VS
mkdir -p "$ROOT/state/priv" "$R/etc/vsd"
printf 'ftp:alice\n' >"$ROOT/state/priv/web1"
cp "$ROOT/state/priv/web1" "$R/etc/vsd/priv"; chmod 644 "$R/etc/vsd/priv"
id5=$(vsnap save web1) ; ok $? "save with published rights"
printf 'ftp:alice,bob\nlogin:bob\n' >"$ROOT/state/priv/web1"   # changed since
run_ok "restore" vsnap restore web1 "$id5"
is "$(stat -c '%u:%g %a' "$R/etc/vsd/priv")" "0:0 644" "etc/vsd/priv is host root's again"
is "$(stat -c '%u:%g' "$R/etc/vsd")" "0:0" "so is etc/vsd (not the VS's nobody's)"
is "$(cat "$R/etc/vsd/priv")" "$(cat "$ROOT/state/priv/web1")" "with the host's current rights"
rm "$ROOT/state/priv/web1"
run_ok "restore, no rights on the host" vsnap restore web1 "$id5"
ok $([ ! -e "$R/etc/vsd/priv" ]; echo $?) "no host file: no published copy"
# attack: the archive's etc/vsd is a symlink out of the tree
printf 'ftp:alice\n' >"$ROOT/state/priv/web1"
mkdir -p "$T/canary"
rm -rf "$R/etc/vsd"; ln -s "$T/canary" "$R/etc/vsd"
id6=$(vsnap save web1) ; ok $? "save with etc/vsd a symlink out"
out=$(vsnap restore web1 "$id6" 2>&1); rc=$?
is "$rc" 0 "restore succeeds"
ok $(echo "$out" | grep -q "rights not published"; echo $?) "with a warning: $out"
is "$(ls -A "$T/canary")" "" "nothing written through the symlink"
ok $([ -L "$R/etc/vsd" ]; echo $?) "the VS's symlink is left as it was"
done_testing
