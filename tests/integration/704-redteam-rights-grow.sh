#!/usr/bin/env bash
# Red team: vsd decides whether a governed copy (rights.h) may go back to
# the skeleton's inode by hashing it, after checking that its size is the
# skeleton file's.  The copy belongs to the VS's root, who can keep a
# descriptor open for writing and, the moment inotify says vsd opened the
# file, extend it to terabytes (a sparse ftruncate: no disk used).  vsd
# then read the holes to the end: hours at vsd's start, before it serves
# any VS (vs_rights_apply_all), and the same in vsdskel update.  The
# hash must stop at the size it judged.  The attacker runs with the VS
# root's host uid and no capabilities; everything is in the test's own
# state root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
need_root
need_cmd vsdskel socat python3
new_state_root
host_ids_fixture

SRC=$T/src
fixture_skel "$SRC"
chmod -R u+w "$SRC"
# a governed program big enough that hashing it takes a while
head -c $((32 << 20)) /dev/urandom >"$SRC/usr/bin/bigtool"
chmod 755 "$SRC/usr/bin/bigtool"
rm -f "$SRC/dev/null" "$SRC/var/lib/fifo"
SC=$T/skel.conf
printf 'copy /etc/*\nrights perl /usr/bin/bigtool\n' >"$SC"
sed -i "s|^skel_conf .*|skel_conf \"$SC\"|" "$CONF"
make_skel --from "$SRC"
S=$ROOT/skel
sino=$(stat -c %i "$S/usr/bin/bigtool") ssum=$(sha256sum <"$S/usr/bin/bigtool")

start_vsd "skel_conf \"$SC\""
out=$(session $'vs_create web1 10.213.0.2 web1.example.com 100 0\nvs_create web2 10.213.0.3 web2.example.com 100 0\nuser_add web1 alice\nEOF\n')
is "$(printf '%s\n' "$out" | grep -Ec '^\+OK (created|added)')" 3 "two VSs, alice in web1 ($out)"
V=$ROOT/vs/web1
base=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
gid=$(sed -n 's/^vsd-perl:x:\([0-9]*\):.*/\1/p' "$V/etc/group")
is "$(stat -c '%u:%g:%a' "$V/usr/bin/bigtool")" "$base:$((base + gid)):550" "alice lacks perl: bigtool governed"
stop_vsd

# the VS's root: nobody lacks perl any more (so the next run hashes the
# copy to see whether it may be shared again), and a writable descriptor
# on the copy that grows it to 8 TiB when vsd opens it
grep -v '^alice:' "$V/etc/passwd" >"$T/pw" && cat "$T/pw" >"$V/etc/passwd"
cat >"$T/grow.py" <<'EOP'
import ctypes, os, sys
d, name, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(d)
os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
mode = os.stat(name).st_mode & 0o7777
os.chmod(name, mode | 0o200)		# the owner's right
fd = os.open(name, os.O_WRONLY)
os.chmod(name, mode)			# looks untouched again
ino = libc.inotify_init1(0)
if ino < 0 or libc.inotify_add_watch(ino, name.encode(), 0x20) < 0:  # IN_OPEN
    sys.exit("inotify: %d" % ctypes.get_errno())
print("ready", flush=True)
os.read(ino, 4096)
os.ftruncate(fd, 8 << 40)
print("grown", flush=True)
EOP
python3 "$T/grow.py" "$V/usr/bin" bigtool "$base" >"$T/grow.out" 2>&1 &
gp=$!
defer "kill $gp 2>/dev/null"
for i in $(seq 100); do grep -q ready "$T/grow.out" && break; sleep 0.05; done
grep -q ready "$T/grow.out" || bail "attacker not ready: $(cat "$T/grow.out")"

# vsd's start runs vs_rights_apply_all before it serves: it must serve
# within a bound that hashing 8 TiB of holes (about an hour) cannot meet
vsd -c "$CONF" -f -d >>"$T/vsd.log" 2>&1 &
VSD_PID=$!
defer "kill $VSD_PID 2>/dev/null; sleep 0.2; kill -9 $VSD_PID 2>/dev/null"
served=1
for i in $(seq 600); do
	[ -S "$ROOT/run/vsd.sock" ] && session "" 2>/dev/null | grep -q 'server ready' && { served=0; break; }
	sleep 0.1
done
ok $served "vsd serves within 60 s although web1's copy grew to 8 TiB"
wait "$gp"
grep -q '^grown$' "$T/grow.out"; ok $? "the attack ran: the copy grew when vsd opened it ($(cat "$T/grow.out"))"
out=$(session $'vs_info web2\nEOF\n')
printf '%s\n' "$out" | grep -q '^+OK'; ok $? "web2 is served"
size=$(stat -c %s "$V/usr/bin/bigtool") ino=$(stat -c %i "$V/usr/bin/bigtool")
# whichever way the race went, the VS's grown file never becomes the
# skeleton's: either kept as the VS's, or linked back because vsd read it
# whole before it grew (then the grown inode is an unlinked one)
{ [ "$size" = $((8 << 40)) ] && [ "$ino" != "$sino" ]; } || [ "$ino" = "$sino" ]
ok $? "bigtool: the VS's grown copy kept, or the skeleton's inode ($size, $ino)"
is "$(stat -c %s "$S/usr/bin/bigtool"):$(sha256sum <"$S/usr/bin/bigtool")" "$((32 << 20)):$ssum" "the skeleton file is untouched"
ls -a "$V/usr/bin" | grep -q 'vsd-rights'; ok $((! $?)) "no temporary left"

# vsdskel update hashes governed copies too (is it still the old file?):
# the same attack on its walk, with the copy back at the skeleton's size
[ "$ino" != "$sino" ] || bail "the race went the other way: no copy left to attack"
truncate -s $((32 << 20)) "$V/usr/bin/bigtool"
session $'user_add web1 bob\nEOF\n' >/dev/null	# governed again
printf 'x' >>"$SRC/usr/bin/bigtool"
python3 "$T/grow.py" "$V/usr/bin" bigtool "$base" >"$T/grow.out" 2>&1 &
gp=$!
defer "kill $gp 2>/dev/null"
for i in $(seq 100); do grep -q ready "$T/grow.out" && break; sleep 0.05; done
grep -q ready "$T/grow.out" || bail "attacker not ready: $(cat "$T/grow.out")"
out=$(timeout 60 vsdskel -c "$CONF" update --from "$SRC" 2>&1); rc=$?
is "$rc" 0 "vsdskel update ends (not reading 8 TiB of holes): $out"
kill "$gp" 2>/dev/null; wait "$gp" 2>/dev/null
grep -q '^grown$' "$T/grow.out"; ok $? "the attack ran during the update"
is "$(stat -c %s "$S/usr/bin/bigtool")" $(((32 << 20) + 1)) "the new skeleton file is in place"
done_testing
