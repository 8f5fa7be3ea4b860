#!/usr/bin/env bash
# VSs from a skeleton that vsdskel built from this host (planned from its
# manifest): shared files are the skeleton's inodes, the copy set of
# conf/skel.conf is per VS, a running VS cannot be deleted, and after
# deleting everything `vsdskel check` finds the skeleton as built.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdadm vsdskel vsboot python3 join
new_state_root
host_ids_fixture
make_skel
S=$ROOT/skel

# web1 is started (a host route to its address): an address of this run's
# own, so two suites running at once do not refuse each other's
NET=10.$((RANDOM % 150 + 100)).$(($$ % 250))
out=$(vsdadm --json create web1 $NET.2 web1.example.com) || bail "create: $out"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"])')" manifest \
	"root planned from the skeleton manifest (no walk)"
V=$ROOT/vs/web1
base=$(vs_uid web1)

# every path: same inode as the skeleton, or the VS's own (never a
# host-root inode that is not the skeleton's)
(cd "$S" && find . ! -type d -printf '%P %i\n' | sort) >"$T/skel.ino"
(cd "$V" && find . -type f -uid 0 -printf '%P %i\n' | sort) >"$T/vs.shared"
is "$(join "$T/vs.shared" "$T/skel.ino" | awk '$2 != $3' | wc -l)" 0 "each host-root file is the skeleton's inode at the same path"
is "$(join -v1 "$T/vs.shared" "$T/skel.ino" | wc -l)" 0 "no host-root file that the skeleton lacks"
ok $([ "$(wc -l <"$T/vs.shared")" -gt 1000 ]; echo $?) "$(wc -l <"$T/vs.shared") files shared"
is "$(find "$V/etc" "$V/var" -type f -uid 0 | grep -Ev "^$V/var/lib/dpkg/(info|alternatives)/" | wc -l)" 0 \
	"copy set (/etc, most of /var): all per VS"
ok $([ "$(find "$V/var/lib/dpkg/info" -type f -uid 0 | wc -l)" -gt 10 ]; echo $?) \
	"dpkg's info files are shared (dpkg replaces them by rename)"
ok $([ "$(find "$V/var/lib/dpkg/alternatives" -type f -uid 0 | wc -l)" -gt 10 ]; echo $?) \
	"and so are update-alternatives' files"
(cd "$S" && find etc var -type f ! -path 'var/lib/dpkg/info/*' ! -path 'var/lib/dpkg/alternatives/*' | sort) >"$T/skel.copyset"
(cd "$V" && find etc var -type f ! -uid 0 | sort) >"$T/vs.copyset"
is "$(comm -23 "$T/skel.copyset" "$T/vs.copyset" | wc -l)" 0 "every skeleton file there copied"
is "$(comm -13 "$T/skel.copyset" "$T/vs.copyset" | tr '\n' ' ')" "etc/hostname etc/hosts etc/shadow " "plus the VS's own identity files"
is "$(find "$V" -type f -perm /6000 -uid 0 | wc -l)" 0 "no shared set-id inode"
is "$(find "$V" -uid 0 -perm /222 ! -type l | wc -l)" 0 "no shared inode with a write bit"
is "$(find "$V" -type d ! -uid "$base" ! -gid "$base" | wc -l)" 0 "directories are the VS's"
is "$(head -1 "$V/etc/passwd" | cut -d: -f1,3,6)" "admin:0:/root" "admin is uid 0"
is "$(stat -c %a "$V/etc/shadow")" 640 "shadow created, not world-readable"
priv=$(vsdadm --json info web1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["private_bytes"])')
diag "private disk of a VS: $((priv / 1024)) KiB"

# deleting a running VS is refused
if out=$(vsboot --start web1 2>&1); then
	defer vsboot --stop web1
	out=$(vsdadm delete web1 2>&1); rc=$?
	is "$rc" 1 "delete of a running VS refused"
	ok $(echo "$out" | grep -q "is running"; echo $?) "and says so: $out"
	ok $([ -d "$V/usr" ] && [ -e "$ROOT/state/vs/web1" ]; echo $?) "root and record intact"
	run_ok "stop it" vsboot --stop web1
else
	not_ok "vsboot --start web1 (runtime): $out"
fi
out=$(vsdadm --json create web2 $NET.3 web2.example.com) || bail "create: $out"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"])')" cache \
	"second VS planned from the cached plan"
# the cached plan builds the same tree: paths, types, modes, targets,
# owners relative to each VS's base, shared or not
tree() {	# tree ROOT BASE
	(cd "$1" && find . -printf '/%P|%y|%m|%l|%U|%G|%n\n' | sort |
		awk -F'|' -v OFS='|' -v b="$2" '{ if ($5 >= b) $5 -= b; if ($6 >= b) $6 -= b; print }' |
		grep -v '^/etc/host')
}
base2=$(vs_uid web2)
is "$(tree "$ROOT/vs/web2" "$base2" | sha256sum)" "$(tree "$V" "$base" | sha256sum)" \
	"same tree from the cache as from the manifest"
touch "$ROOT/state/skel/copy"
out=$(vsdadm --json create web3 $NET.4 web3.example.com) || bail "create: $out"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"])')" manifest \
	"a changed copy file invalidates the cache"
printf 'garbage' >"$ROOT/state/skel/clone.plan"
out=$(vsdadm --json create web4 $NET.5 web4.example.com) || bail "create: $out"
is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"])')" manifest \
	"a corrupt cache is ignored"
run_ok "delete web3, web4" sh -c 'vsdadm delete web3 && vsdadm delete web4'
# a cache whose header and size agree but whose numbers lie: each is
# refused (planned from the manifest again) and builds the same tree;
# header: magic[8] key[8*8] ndirs nents nsubs strsize, then the dirs
# (the first field of each is its name's offset in the string table)
i=5
for how in strsize:96:9223372036854775807 ndirs:72:4294967295 \
    name:104:4294967294 cut:-1:0; do
	python3 - "$ROOT/state/skel/clone.plan" "${how#*:}" <<'PY' || bail "patch cache"
import struct, sys
path, spec = sys.argv[1], sys.argv[2]
off, val = (int(x) for x in spec.split(':'))
data = bytearray(open(path, 'rb').read())
assert data[:7] == b'VSPLAN2'
if off < 0:
    data = data[:off]
else:
    struct.pack_into('<Q', data, off, val)
open(path, 'wb').write(data)
PY
	out=$(vsdadm --json create web$i $NET.$((i + 1)) web$i.example.com) ||
		bail "create web$i: $out"
	is "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"])')" manifest \
		"cache with a bad ${how%%:*} is refused"
	b=$(vs_uid web$i)
	is "$(tree "$ROOT/vs/web$i" "$b" | sha256sum)" "$(tree "$V" "$base" | sha256sum)" \
		"same tree after a cache with a bad ${how%%:*}"
	run_ok "delete web$i" vsdadm delete web$i
	i=$((i + 1))
done
run_ok "delete both" sh -c 'vsdadm delete web1 && vsdadm delete web2'
run_ok "vsdskel check: skeleton as built" vsdskel -q check
is "$(ls -A "$ROOT/vs" | wc -l)" 0 "nothing left under vs/"
done_testing
