#!/usr/bin/env bash
# vsdskel build: a real skeleton from the host (conf/skel.conf) and from a
# fixture tree: contents, owners, modes without write bits, set-id bits,
# symlinks not followed, xattrs, manifest/copy/id, a runnable system,
# atomic replacement, refusal when VSs use the skeleton, kill -9.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel chroot sha256sum python3
new_state_root
export VSDADM_LOCAL=1	# vsdadm acts on the state root, no vsd needed

# --- from the host -------------------------------------------------------
run_ok "build from the host" vsdskel -q build
S=$ROOT/skel
M=$ROOT/state/skel/manifest
ok "$([ -x "$S/usr/bin/bash" ] && [ -x "$S/usr/bin/rpm" ] &&
	[ -x "$S/usr/bin/dpkg" ] && [ -x "$S/usr/bin/perl" ]; echo $?)" \
	"shell, rpm, dpkg, perl are in"
n_status=$(grep -c '^Package:' "$S/var/lib/dpkg/status")
n_host=$(grep -c '^Package:' /var/lib/dpkg/status)
ok "$([ "$n_status" -gt 20 ] && [ "$n_status" -lt "$n_host" ]; echo $?)" \
	"dpkg status lists the skeleton's $n_status packages, not the host's $n_host"
ok "$([ ! -e "$S/etc/shadow" ] && [ ! -e "$S/usr/share/doc/bash" ] &&
	[ -z "$(ls -A "$S/tmp")" ]; echo $?)" \
	"excluded: /etc/shadow, docs; /tmp empty"
# the host's people stay on the host: system accounts only (ids < 1000,
# nobody), and group member lists only name kept accounts
people=$(awk -F: '$3 >= 1000 && $3 != 65534' "$S/etc/passwd" "$S/etc/group")
is "$people" "" "no host user or group with id >= 1000 in the skeleton"
is "$(awk -F: '$3 < 1000' "$S/etc/passwd")" "$(awk -F: '$3 < 1000' /etc/passwd)" \
	"the host's system accounts are kept as they are"
stray=$(awk -F: 'NR == FNR { u[$1] = 1; next }
	{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (!(m[i] in u)) print m[i] }' \
	"$S/etc/passwd" "$S/etc/group")
is "$stray" "" "group members are kept accounts"
size=$(du -sm "$S" | cut -f1)
ok "$([ "$size" -lt 600 ]; echo $?)" "lean: ${size} MiB, not the host's /usr"
w=$(find "$S" ! -type l -perm /222 | head -3)
is "$w" "" "no write bit anywhere in the skeleton"
is "$(stat -c %u:%g "$S")" "0:0" "skeleton root owned by host root"
# set-id and group ownership preserved (passwd's chage: root:shadow 2755)
if [ -e /usr/bin/chage ]; then
	is "$(stat -c '%a %G' "$S/usr/bin/chage")" \
		"$(stat -c '%a %G' /usr/bin/chage | sed 's/^2755/2555/;s/^4755/4555/')" \
		"set-id bit and group of /usr/bin/chage kept, write bit gone"
fi
is "$(readlink "$S/bin")" "$(readlink /bin)" "/bin symlink copied as a symlink"
# the host's hard links stay one file (Debian's perl has two names)
if [ "$(stat -c %i /usr/bin/perl)" = "$(stat -c %i /usr/bin/perl5.* | head -1)" ]; then
	is "$(stat -c %i "$S/usr/bin/perl5".* | head -1)" "$(stat -c %i "$S/usr/bin/perl")" \
		"perl's hard link kept: one inode in the skeleton"
fi
is "$(head -1 "$M")" "freevsd-manifest 1" "manifest written"
is "$(($(wc -l <"$M") - 1))" "$(find "$S" -mindepth 1 | wc -l)" \
	"manifest lists every entry"
is "$(cat "$ROOT/state/skel/id")" "$(sha256sum <"$M" | cut -d' ' -f1)" \
	"id is the sha256 of the manifest"
grep -qx '/etc/\*' "$ROOT/state/skel/copy"; ok $? "copy patterns written"
ls_hash=$(grep ' usr/bin/ls$' "$M" | cut -d' ' -f7)
is "$ls_hash" "$(sha256sum /usr/bin/ls | cut -d' ' -f1)" "content hash of ls"
ls_mode=$(grep ' usr/bin/ls$' "$M" | cut -d' ' -f2)
is "$ls_mode" "0755" "manifest keeps the source mode (write bit included)"
run_ok "check passes on a fresh skeleton" vsdskel check
# (after the check: running anything in it may leave files behind)
out=$(chroot "$S" /bin/bash -c 'test -d /usr && rpm --version &&
	dpkg-query -W -f="\${Package}\n" bash && echo "print 6*7" | perl' 2>&1)
is "$(printf '%s' "$out" | tr '\n' ' ')" "RPM version 4.18.0 bash 42" \
	"the skeleton runs bash, rpm, dpkg-query and perl"

# --- from a fixture tree ---------------------------------------------------
FX=$T/fx
make_fixture_tree "$FX"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.tag", b"v1")' \
	"$FX/usr/bin/tool"
old_id=$(cat "$ROOT/state/skel/id")
run_ok "rebuild --from a tree (no VS yet: replaced)" vsdskel -q build --from "$FX"
ok "$([ "$(cat "$ROOT/state/skel/id")" != "$old_id" ]; echo $?)" "new id"
is "$(cat "$S/usr/bin/tool")" "$(cat "$FX/usr/bin/tool")" "content copied"
is "$(stat -c %a "$S/usr/bin/suid")" "4555" "set-uid kept, write bits gone"
is "$(stat -c %u:%g:%a "$S/usr/lib/owned")" "1234:1234:444" "foreign owner kept"
is "$(stat -c %i:%h "$S/usr/lib/libx-hard.so")" "$(stat -c %i "$S/usr/lib/libx.so.1.0"):2" \
	"hard link kept: one inode, two names"
is "$(grep -c "$(sha256sum "$FX/usr/lib/libx.so.1.0" | cut -d' ' -f1) usr/lib/libx" "$ROOT/state/skel/manifest")" 2 \
	"manifest lists both names with the content hash"
is "$(stat -c %a "$S/secret")" "500" "private directory mode kept (no write)"
is "$(readlink "$S/usr/lib/abs-link")" "/etc/passwd" \
	"absolute symlink copied, not followed"
is "$(stat -c %F "$S/usr/lib/up-link")" "symbolic link" "../ symlink copied as is"
ok "$([ -f "$S/usr/lib/name with space" ] && [ -f "$S/usr/lib/new
line" ]; echo $?)" "odd names copied"
ok "$([ ! -e "$S/usr/lib/fifo" ]; echo $?)" "FIFO left out"
is "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.tag").decode())' \
	"$S/usr/bin/tool")" "v1" "xattr copied"
grep -q 'usr/lib/name\\x20with\\x20space$' "$ROOT/state/skel/manifest"
ok $? "manifest escapes odd names"
ok "$([ ! -e "$ROOT/skel.new" ] && [ ! -e "$ROOT/skel.old" ] &&
	[ ! -e "$ROOT/state/skel/pending" ]; echo $?)" "no temporaries left"
if command -v script >/dev/null; then
	out=$(script -qec "vsdskel build --from '$FX'" /dev/null 2>&1)
	case $out in *"copying: "*" files, "*"/s, ETA "*) pass "progress line on a terminal";;
	*) not_ok "progress line on a terminal"; diag "$out";; esac
	out=$(vsdskel build --from "$FX" 2>&1)
	case $out in *"ETA"*) not_ok "no progress line without a terminal";;
	*) pass "no progress line without a terminal";; esac
fi

# --- errors -----------------------------------------------------------------
out=$(vsdskel build --from "$T/nope" 2>&1); rc=$?
is "$rc" 1 "missing --from directory: exit 1"
case $out in *"cannot open '$T/nope': No such file or directory"*) pass "clear error";;
*) not_ok "clear error"; diag "$out";; esac
printf 'take etc\nbogus 1\n' >"$T/bad.conf"
out=$(vsdskel build --skel-conf "$T/bad.conf" 2>&1)
case $out in *"bad.conf:1: bad pattern 'etc'"*"bad.conf:2: unknown keyword 'bogus'"*)
	pass "skel.conf errors as file:line, all of them";;
*) not_ok "skel.conf errors as file:line"; diag "$out";; esac
vsdskel build extra >/dev/null 2>&1; is $? 2 "usage error: exit 2"
vsdskel check --from x >/dev/null 2>&1; is $? 2 "--from with check: exit 2"
is "$(cat "$S/usr/bin/tool")" "$(cat "$FX/usr/bin/tool")" "failed builds left the skeleton alone"

# --- kill -9 mid-build: the old skeleton stays, the next run cleans up ------
id_before=$(cat "$ROOT/state/skel/id")
for i in $(seq 1 300); do cp "$FX/usr/bin/tool" "$FX/usr/lib/bulk$i"; done
# a big file keeps the build busy copying and hashing for a while, so the
# kill lands mid-build even on a fast or a very loaded machine
head -c 256M /dev/zero >"$FX/usr/lib/big"
vsdskel -q build --from "$FX" & pid=$!
for i in $(seq 1 500); do [ -d "$ROOT/skel.new" ] && break; sleep 0.01; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rc=$?
is "$rc" 137 "the build was killed mid-way (SIGKILL landed)"
is "$(cat "$ROOT/state/skel/id")" "$id_before" "killed build: id unchanged"
run_ok "killed build: check still passes" vsdskel check
rm -f "$FX/usr/lib/big"
run_ok "next build succeeds" vsdskel -q build --from "$FX"
ok "$([ -f "$S/usr/lib/bulk300" ] && [ ! -e "$ROOT/skel.new" ]; echo $?)" \
	"next build complete, leftovers gone"

# --- a skeleton in use is not rebuilt, it is updated ------------------------
if command -v vsdadm >/dev/null; then
	run_ok "create a VS" vsdadm create web1 10.201.0.2 web1.example.com
	out=$(vsdskel build --from "$FX" 2>&1); rc=$?
	is "$rc" 1 "build refused while a VS uses the skeleton"
	case $out in *"use 'vsdskel update'"*) pass "says to use update";;
	*) not_ok "says to use update"; diag "$out";; esac
	run_ok "delete the VS" vsdadm delete web1
fi
done_testing
