#!/usr/bin/env bash
# 027-vsroot-rights: skel.conf's `rights NAME PATTERN...` enforced in a
# running VS through vsd.  A fresh VS shares perl's skeleton inode; once
# an ordinary user lacks the perl right, perl is the VS's own copy (group
# vsd-perl, no "other" bits) that the user cannot run, read, chmod or
# hard-link, while the admin and system accounts can; when nobody lacks
# it any more it is the skeleton's inode again.  Attacks: /usr/bin or
# /usr/bin/perl replaced by symlinks to canaries, a VS user editing
# /etc/group, a second VS, a killed vsd, vsdskel update with a new perl.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd vsdskel vsboot bevs socat perl
new_state_root
host_ids_fixture

# a source tree: the fixture system plus perl under two names (one
# inode), a symlink to it, and the libraries perl needs
SRC=$T/src
fixture_skel "$SRC"
chmod -R u+w "$SRC"
cp /usr/bin/perl "$SRC/usr/bin/perl"
ln "$SRC/usr/bin/perl" "$SRC/usr/bin/perl5.36.0"
ln -s perl "$SRC/usr/bin/perl-link"
cp /usr/bin/dash "$SRC/usr/bin/dash" 2>/dev/null || cp /usr/bin/sh "$SRC/usr/bin/dash"
for lib in $(ldd /usr/bin/perl | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
	mkdir -p "$SRC$(dirname "$lib")"
	cp -L "$lib" "$SRC$lib"
done
rm -f "$SRC/dev/null" "$SRC/var/lib/fifo"
echo 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin' >>"$SRC/etc/passwd"
echo 'www-data:x:33:' >>"$SRC/etc/group"
SC=$T/skel.conf
cat >"$SC" <<'C'
copy /etc/*
rights perl /usr/bin/perl-link /usr/bin/perl5*
rights shell /usr/bin/bash
C
sed -i "s|^skel_conf .*|skel_conf \"$SC\"|" "$CONF"

# skel.conf refuses what cannot work
printf 'rights flying /usr/bin/x\nrights shell /usr/bin/sh\nrights shell /usr/bin/*\nrights perl /bin/da?h\n' >"$T/bad.conf"
out=$(vsdskel -c "$CONF" build --skel-conf "$T/bad.conf" --from "$SRC" 2>&1); rc=$?
is "$rc" 1 "a skel.conf with bad rights lines is refused"
printf '%s\n' "$out" | grep -q "bad.conf:1: unknown right 'flying'"; ok $? "unknown right named with file:line"
is "$(printf '%s\n' "$out" | grep -c 'would govern /bin/sh or dash')" 3 "sh, a glob covering sh, and dash refused"

make_skel --from "$SRC"
S=$ROOT/skel
R=$ROOT/state/skel/rights
grep -Eq '^perl [0-9a-f]{64} usr/bin/perl$' "$R"; ok $? "rights list: the symlink's target"
grep -Eq '^perl [0-9a-f]{64} usr/bin/perl5.36.0$' "$R"; ok $? "rights list: perl5.36.0 too"
grep -Eq '^shell [0-9a-f]{64} usr/bin/bash$' "$R"; ok $? "rights list: bash"
grep -q 'dash\|usr/bin/sh' "$R"; ok $((! $?)) "rights list: neither sh nor dash"

start_vsd "skel_conf \"$SC\""
N1=10.212.$(( $$ % 200 + 20 )).2 N2=10.212.$(( $$ % 200 + 20 )).3
out=$(session "vs_create web1 $N1 web1.example.com 100 0"$'\n'"vs_create web2 $N2 web2.example.com 100 0"$'\nEOF\n')
printf '%s\n' "$out" | grep -c '^+OK created' | grep -q 2 || bail "vs_create: $out"
V=$ROOT/vs/web1 V2=$ROOT/vs/web2
base=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
sino=$(stat -c %i "$S/usr/bin/perl")
is "$(stat -c %i "$V/usr/bin/perl")" "$sino" "fresh VS: perl is the skeleton's inode"
used() { session "quota_get $1"$'\nEOF\n' | sed -n 's/^used_bytes //p'; }
du0=$(used web1)

# alice and bob, neither with perl
out=$(session $'user_add web1 alice\nuser_add web1 bob\nEOF\n')
printf '%s\n' "$out" | grep -c '^+OK added' | grep -q 2; ok $? "user_add alice, bob"
st() { stat -c '%u:%g:%a:%h' "$1"; }
gid=$(sed -n 's/^vsd-perl:x:\([0-9]*\):.*/\1/p' "$V/etc/group")
[ -n "$gid" ] && [ "$gid" -lt 1000 ]; ok $? "vsd-perl group made, system gid ($gid)"
grep -q "^vsd-perl:x:$gid:daemon,nobody,www-data$" "$V/etc/group"; ok $? "members: the system accounts only"
is "$(st "$V/usr/bin/perl")" "$base:$((base + gid)):550:2" "perl governed: VS root, vsd-perl, 0550, one copy"
is "$(stat -c %i "$V/usr/bin/perl5.36.0")" "$(stat -c %i "$V/usr/bin/perl")" "perl5.36.0 is the same copy"
[ "$(stat -c %i "$V/usr/bin/perl")" != "$sino" ]; ok $? "the copy is not the skeleton's inode"
is "$(stat -c %i "$V2/usr/bin/perl")" "$sino" "web2 is not affected"
cmp -s "$S/usr/bin/perl" "$V/usr/bin/perl"; ok $? "the copy's content is the skeleton's"

out=$(session $'vs_start web1\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK started web1'; ok $? "vs_start web1"
defer vsboot --stop -t 2 web1
inside() { timeout 20 bevs "$@" </dev/null; }
out=$(inside -u alice web1 /usr/bin/perl -e 'print "hi"' 2>&1); rc=$?
[ $rc -ne 0 ] && printf '%s' "$out" | grep -qi 'permission denied'; ok $? "alice cannot run perl ($rc: $out)"
inside -u bob web1 /usr/bin/perl5.36.0 -e 1 >/dev/null 2>&1; ok $((! $?)) "bob cannot run it by its other name"
inside -u bob web1 /usr/bin/perl-link -e 1 >/dev/null 2>&1; ok $((! $?)) "nor through the symlink"
inside -u bob web1 /lib64/ld-linux-x86-64.so.2 /usr/bin/perl -e 1 >/dev/null 2>&1; ok $((! $?)) "nor through the loader"
inside -u bob web1 /usr/bin/cat /usr/bin/perl >/dev/null 2>&1; ok $((! $?)) "bob cannot read the copy"
inside -u bob web1 /usr/bin/chmod o+rx /usr/bin/perl >/dev/null 2>&1; ok $((! $?)) "bob cannot chmod it"
inside -u bob web1 /usr/bin/bash -c 'ln /usr/bin/perl /tmp/p' >/dev/null 2>&1; ok $((! $?)) "bob cannot hard-link it"
inside -u bob web1 /usr/bin/bash -c 'exec 3>>/usr/bin/perl' >/dev/null 2>&1; ok $((! $?)) "bob cannot open it for writing"
is "$(st "$V/usr/bin/perl")" "$base:$((base + gid)):550:2" "the copy is unchanged"
run_ok "the VS admin runs perl" inside web1 /usr/bin/perl -e 1
run_ok "a system account (daemon) runs perl" inside -u daemon web1 /usr/bin/perl -e 1
run_ok "www-data runs perl" inside -u www-data web1 /usr/bin/perl -e 1

out=$(session $'setrights web1 alice +perl\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK alice perl$'; ok $? "setrights alice +perl"
grep -q "^vsd-perl:x:$gid:daemon,nobody,www-data,alice$" "$V/etc/group"; ok $? "alice in vsd-perl"
run_ok "alice runs perl" inside -u alice web1 /usr/bin/perl -e 1
inside -u bob web1 /usr/bin/perl -e 1 >/dev/null 2>&1; ok $((! $?)) "bob still cannot"
out=$(session $'setrights web1 alice -perl\nEOF\n')
inside -u alice web1 /usr/bin/perl -e 1 >/dev/null 2>&1; ok $((! $?)) "-perl: alice cannot again"

# a VS user cannot put himself into vsd-perl; the admin can (the VS is
# the admin's: rights are his policy, not a sandbox against him)
inside -u bob web1 /usr/bin/bash -c 'echo x >> /etc/group' >/dev/null 2>&1; ok $((! $?)) "bob cannot edit /etc/group"
inside web1 /usr/bin/bash -c 'while IFS= read -r l; do case $l in vsd-perl:*) echo "$l,bob";; *) echo "$l";; esac; done </etc/group >/etc/group.new && mv /etc/group.new /etc/group'
run_ok "the VS admin may add bob to vsd-perl himself" inside -u bob web1 /usr/bin/perl -e 1
session $'setrights web1 alice -perl\nEOF\n' >/dev/null
inside -u bob web1 /usr/bin/perl -e 1 >/dev/null 2>&1; ok $((! $?)) "the next rights change restores the truth"

# everybody gets perl: back to the skeleton's inode
out=$(session $'setrights web1 alice +perl\nsetrights web1 bob +perl\nEOF\n')
is "$(stat -c %i "$V/usr/bin/perl"):$(stat -c %i "$V/usr/bin/perl5.36.0")" "$sino:$(stat -c %i "$S/usr/bin/perl5.36.0")" "nobody lacks perl: the skeleton's inodes again"
run_ok "bob runs perl" inside -u bob web1 /usr/bin/perl -e 1
session $'setrights web1 bob -perl\nEOF\n' >/dev/null
[ "$(stat -c %i "$V/usr/bin/perl")" != "$sino" ]; ok $? "bob -perl: governed again"
out=$(session $'user_del web1 bob\nEOF\n')
is "$(stat -c %i "$V/usr/bin/perl")" "$sino" "user_del of the last user lacking it: shared again"
pc=$(stat -c %z "$V/usr/bin/perl")
session $'setrights web1 alice +perl\nEOF\n' >/dev/null
is "$(stat -c %z "$V/usr/bin/perl")" "$pc" "a change that governs nothing leaves a shared name alone (no relink)"

# kill -9 of vsd midway: simulate a half-done run (a temporary copy left,
# perl5.36.0 already the copy, perl still shared), then a restart repairs
session $'user_add web1 carol\nEOF\n' >/dev/null
[ "$(stat -c %i "$V/usr/bin/perl")" != "$sino" ]; ok $? "carol lacks perl: governed"
kill -9 "$VSD_PID"; wait "$VSD_PID" 2>/dev/null
ln -f "$S/usr/bin/perl" "$V/usr/bin/perl"			# back to shared
cp -p "$V/usr/bin/perl5.36.0" "$V/usr/bin/.#vsd-rights"	# a leftover temp
start_vsd "skel_conf \"$SC\""
is "$(stat -c %i "$V/usr/bin/perl")" "$(stat -c %i "$V/usr/bin/perl5.36.0")" "vsd's start: one copy under both names again"
[ "$(stat -c %i "$V/usr/bin/perl")" != "$sino" ]; ok $? "vsd's start: governed"
[ ! -e "$V/usr/bin/.#vsd-rights" ]; ok $? "vsd's start: the temporary removed"

# real kills: vsd and its workers killed -9 at random moments while
# carol's perl right flips; after each restart the VS matches the truth
# vsd's processes (executor, front, workers), not the VSs it started
tree() { local p c; for p; do [ "$(cat /proc/$p/comm 2>/dev/null)" = vsd ] || continue
	echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; done; }
consistent=0 halfway=0
for i in 1 2 3 4 5; do
	{ for j in $(seq 30); do printf 'setrights web1 carol +perl\nsetrights web1 carol -perl\n'; done; echo EOF; } |
		timeout 20 socat -t 20 - "UNIX-CONNECT:$ROOT/run/vsd.sock" >/dev/null 2>&1 &
	sp=$!
	if [ $((i % 2)) = 1 ]; then
		# the moment a copy is being written
		for ((k = 0; k < 200000; k++)); do
			[ -e "$V/usr/bin/.#vsd-rights" ] && break
		done
	else
		sleep 0.$((RANDOM % 20 + 5))
	fi
	# builtins only, so the kill lands while the copy is under way
	kids= ; read -r kids <"/proc/$VSD_PID/task/$VSD_PID/children"
	victims=$VSD_PID
	for c in $kids; do read -r comm <"/proc/$c/comm" && [ "$comm" = vsd ] && victims+=" $c"; done
	kill -9 $victims 2>/dev/null
	kill -9 $(tree "$VSD_PID") 2>/dev/null
	wait "$sp" "$VSD_PID" 2>/dev/null
	# how the kill left it: a temporary, or the two names apart
	p1=$(stat -c %i "$V/usr/bin/perl") p2=$(stat -c %i "$V/usr/bin/perl5.36.0")
	{ ls -a "$V/usr/bin" | grep -q vsd-rights ||
	  { [ "$p1" != "$p2" ] && ! { [ "$p1" = "$sino" ] &&
	    [ "$p2" = "$(stat -c %i "$S/usr/bin/perl5.36.0")" ]; }; }; } &&
		halfway=$((halfway + 1))
	start_vsd "skel_conf \"$SC\""
	if grep -q '^perl:.*carol' "$ROOT/state/priv/web1"; then
		[ "$(stat -c %i "$V/usr/bin/perl")" = "$sino" ]
	else
		[ "$(st "$V/usr/bin/perl")" = "$base:$((base + gid)):550:2" ] &&
		[ "$(stat -c %i "$V/usr/bin/perl5.36.0")" = "$(stat -c %i "$V/usr/bin/perl")" ]
	fi && ! ls -a "$V/usr/bin" | grep -q vsd-rights && consistent=$((consistent + 1))
done
is "$consistent" 5 "kill -9 of vsd during setrights, 5 times: each restart leaves the VS matching the truth"
diag "left half done by the kill (then repaired): $halfway of 5"
session $'setrights web1 carol -perl\nEOF\n' >/dev/null

# vsnap: a governed copy is a private file and round-trips as one
gov=$(st "$V/usr/bin/perl")
snap=$(vsnap -c "$CONF" --json save web1 | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$snap" ]; ok $? "vsnap save web1 ($snap)"
rm "$V/usr/bin/perl" "$V/usr/bin/perl5.36.0"
run_ok "vsnap restore web1" vsnap -c "$CONF" -q restore web1 "$snap" --restart
is "$(st "$V/usr/bin/perl")" "$gov" "restored: owner, group, mode, both names"
cmp -s "$S/usr/bin/perl" "$V/usr/bin/perl"; ok $? "restored: the content"
inside -u carol web1 /usr/bin/perl -e 1 >/dev/null 2>&1; ok $((! $?)) "restored: carol still cannot run it"
# a rollback through vsd brings the snapshot's copy back, then vsd makes
# the VS match today's rights (carol has perl now: nobody lacks it)
session $'setrights web1 carol +perl\nEOF\n' >/dev/null
is "$(stat -c %i "$V/usr/bin/perl")" "$sino" "carol +perl: shared"
VSD_WAIT=40 session "vs_rollback web1 $snap"$'\nEOF\n' | grep -q "^+OK web1 restored from $snap\$"; ok $? "vs_rollback through vsd"
is "$(stat -c %i "$V/usr/bin/perl")" "$sino" "after the rollback: today's rights (shared)"
session $'setrights web1 carol -perl\nEOF\n' >/dev/null

# attacks: the VS admin replaces /usr/bin/perl with a symlink to a host
# canary, or /usr/bin with a symlink to a canary directory
echo canary >"$T/canary-file"; mkdir -p "$T/canary-dir"; echo c >"$T/canary-dir/perl"
canary() { find "$T/canary-file" "$T/canary-dir" -printf '%p %s %n %u %g %m %i\n'; cat "$T/canary-file" "$T/canary-dir/perl"; }
c0=$(canary)
session $'user_add web2 dave\nEOF\n' >/dev/null
V2perl=$(stat -c %i "$V2/usr/bin/perl")
rm "$V2/usr/bin/perl"; ln -s "$T/canary-file" "$V2/usr/bin/perl"
out=$(session $'setrights web2 dave +shell\nEOF\n')
printf '%s\n' "$out" | grep -q "^-ERR 409 rights of dave saved, but '/usr/bin/perl' not governed: the VS replaced it with a symlink"; ok $? "a planted symlink: clear error ($out)"
is "$(canary)" "$c0" "nothing written through the symlink"
[ -L "$V2/usr/bin/perl" ]; ok $? "the VS's symlink is left alone"
mv "$V2/usr/bin" "$V2/usr/bin.real"; ln -s "$T/canary-dir" "$V2/usr/bin"
out=$(session $'setrights web2 dave -shell\nEOF\n')
printf '%s\n' "$out" | grep -q "^-ERR 409 rights of dave saved, but '/usr/bin/[a-z0-9.]*' not governed: its directory cannot be opened safely in 'web2'"; ok $? "/usr/bin a symlink: clear error"
is "$(canary)" "$c0" "nothing written into the canary directory"
ls -a "$T/canary-dir" | grep -q vsd-rights; ok $((! $?)) "no temporary in the canary directory"

# the admin squats the temporary names: a directory where the copy is
# made, a symlink to a canary where a name is linked
mv "$V2/usr/bin.real" "$V2/usr/bin.tmp"; rm "$V2/usr/bin"; mv "$V2/usr/bin.tmp" "$V2/usr/bin"
ln -f "$S/usr/bin/perl" "$V2/usr/bin/perl"; ln -f "$S/usr/bin/perl5.36.0" "$V2/usr/bin/perl5.36.0"
mkdir "$V2/usr/bin/.#vsd-rights"; ln -s "$T/canary-file" "$V2/usr/bin/.#vsd-rights.link"
out=$(session $'setrights web2 dave +shell\nEOF\n')
printf '%s\n' "$out" | grep -q "^-ERR 409 rights of dave saved, but not enforced: cannot copy '/usr/bin/perl' in 'web2': File exists"; ok $? "a squatted temporary name: clear error"
is "$(canary)" "$c0" "nothing written through the squatted link name"
is "$(stat -c %i "$V2/usr/bin/perl")" "$(stat -c %i "$S/usr/bin/perl")" "perl left as it was"
rmdir "$V2/usr/bin/.#vsd-rights"
out=$(session $'setrights web2 dave -shell\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK dave (none)$'; ok $? "the squat gone: the next change enforces ($out)"
is "$(stat -c %u:%a "$V2/usr/bin/perl")" "$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web2"):550" "web2's perl governed now"

# vsdskel update with a changed perl: the governed copy follows it
chmod u+w "$SRC/usr/bin/perl"; printf '\n' >>"$SRC/usr/bin/perl"
out=$(vsdskel -c "$CONF" update --from "$SRC" 2>&1); ok $? "vsdskel update ($out)"
printf '%s\n' "$out" | grep -q 'web1: .* 0 kept'; ok $? "web1: no drift reported"
nino=$(stat -c %i "$S/usr/bin/perl")
cmp -s "$S/usr/bin/perl" "$V/usr/bin/perl"; ok $? "web1's copy has the new content"
is "$(st "$V/usr/bin/perl")" "$base:$((base + gid)):550:2" "still governed, both names"
[ "$(stat -c %i "$V/usr/bin/perl")" != "$nino" ]; ok $? "not the new skeleton inode"
is "$(canary)" "$c0" "canaries unchanged after the update"

# disk: a fresh VS costs no more than before rights existed
out=$(session "vs_create web3 10.212.$(( $$ % 200 + 20 )).4 web3.example.com 100 0"$'\nEOF\n')
is "$(stat -c %i "$ROOT/vs/web3/usr/bin/perl")" "$nino" "a fresh VS shares perl"
# a governed copy the VS's admin changed is his: it stays when the right
# is no longer governed, and vsdskel update reports it as drift
V3=$ROOT/vs/web3 du3=$(used web3)
session $'user_add web3 erin\nEOF\n' >/dev/null
[ "$(stat -c %i "$V3/usr/bin/perl")" != "$nino" ]; ok $? "web3: erin lacks perl: governed"
printf '#admin\n' >>"$V3/usr/bin/perl"	# as the admin would, keeping owner and mode
out=$(session $'setrights web3 erin +perl\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK erin perl$'; ok $? "setrights erin +perl"
tail -c 7 "$V3/usr/bin/perl" | grep -q '#admin'; ok $? "the admin's changed copy is kept"
is "$(stat -c %i "$V3/usr/bin/perl5.36.0")" "$(stat -c %i "$V3/usr/bin/perl")" "its second name is the same changed file, kept too"
printf '\n' >>"$SRC/usr/bin/perl"
out=$(vsdskel -c "$CONF" update --from "$SRC" 2>&1); ok $? "vsdskel update again"
printf '%s\n' "$out" | grep -q 'kept /usr/bin/perl (changed by the VS)'; ok $? "the admin's copy is reported as drift"
tail -c 7 "$V3/usr/bin/perl" | grep -q '#admin'; ok $? "and kept"

diag "private bytes of a fresh VS: $du0; of web3 (fresh): $du3; of web1 (governed perl, users): $(used web1)"
done_testing
