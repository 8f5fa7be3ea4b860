#!/usr/bin/env bash
# A VS root from a real skeleton: shared files are the skeleton's inodes,
# the cases that must be copies are copies, ownership is in the VS's range,
# shared inodes carry no write bits, accounts and names are per VS; delete
# leaves the skeleton exactly as it was.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd vsdadm python3
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S" "$ROOT/state/skel"
fixture_skel "$S"
printf '/etc/ssh\n/etc/motd\n' >"$ROOT/state/skel/copy"
find "$S" -printf '%i %n %m %u %p\n' | sort >"$T/skel.before"

run_ok "vs_create (freeVSD form)" vsdadm vs_create localhost web1 10.77.1.2 web1.example.com 100 0
V=$ROOT/vs/web1
base=$(vs_uid web1)
ok $([ -n "$base" ] && [ "$base" -ge 265536 ]; echo $?) "uid base $base from the default plan"
top=$((base + 65536))

ino() { stat -c %i "$1"; }
for f in usr/bin/ls usr/bin/bash usr/share/doc/demo/README; do
	is "$(ino "$V/$f")" "$(ino "$S/$f")" "$f is the skeleton's inode"
done
for f in usr/bin/passwd etc/ssh/ssh_host_key var/lib/daemon-owned etc/empty \
    var/lib/dpkg/status.lock var/lib/dpkg/lock etc/ssh/sshd_config etc/motd \
    etc/passwd etc/shadow; do
	ok $([ "$(ino "$V/$f")" != "$(ino "$S/$f")" ]; echo $?) "$f is a per-VS copy"
done
is "$(stat -c '%a %u' "$V/usr/bin/passwd")" "4755 $base" "set-uid copy keeps its bit, owned by the VS's root"
is "$(stat -c '%a %u' "$V/etc/ssh/ssh_host_key")" "600 $base" "unreadable file copied, owner the VS's root"
is "$(stat -c '%u:%g' "$V/var/lib/daemon-owned")" "$((base+1)):$((base+1))" "daemon's file owned by the VS's daemon"
is "$(cat "$V/etc/motd")" "hello" "copy-pattern file has the content"
is "$(stat -c '%s' "$V/etc/empty")" 0 "empty file created empty"

# directories: the VS's own, modes kept (plus owner write)
is "$(find "$V" -type d ! -uid "$base" | grep -v '/var/mail$' | wc -l)" 0 "every directory owned by the VS's root"
is "$(stat -c '%a' "$V/tmp")" 1777 "/tmp is sticky and world-writable again"
is "$(stat -c "%a %g" "$V/var/mail")" "2755 $((base+8))" "set-gid directory keeps its group, shifted"
is "$(stat -c '%a' "$V/usr/bin")" 755 "directories regain their owner write bit"
# symlinks: root's are shared like files (immutable: docs/vsroot.md),
# copy patterns or not; one in a sticky directory or owned by another
# account is the VS's own
for f in bin lib etc/localtime usr/share/doc/motd; do
	is "$(ino "$V/$f")" "$(ino "$S/$f")" "symlink $f is the skeleton's inode"
done
is "$(stat -c '%F %u' "$V/bin")" "symbolic link 0" "shared symlink stays host root's"
is "$(readlink "$V/etc/localtime")" /usr/share/zoneinfo/UTC "absolute symlink target kept"
ok $([ "$(ino "$V/tmp/motd-link")" != "$(ino "$S/tmp/motd-link")" ]; echo $?) "symlink in sticky /tmp is a new inode"
is "$(stat -c '%F %u' "$V/tmp/motd-link")" "symbolic link $base" "and owned by the VS's root (protected_symlinks)"
is "$(stat -c '%u:%g' "$V/var/lib/daemon-link")" "$((base+1)):$((base+1))" "daemon's symlink is the VS daemon's own"
# special files are the runtime's business
ok $([ ! -e "$V/dev/null" ] && [ ! -e "$V/var/lib/fifo" ]; echo $?) "device node and fifo skipped"

# shared inodes: host root, no write bits; everything else in the range
is "$(find "$V" -uid 0 -perm /222 ! -type l | wc -l)" 0 "no shared inode has a write bit"
is "$(find "$V" ! -uid 0 \( -uid -"$base" -o -uid +"$((top-1))" \) | wc -l)" 0 "all other owners inside the VS's range"
is "$(find "$V" -type f -uid 0 | wc -l)" "$(find "$V" -type f -links +1 -uid 0 | wc -l)" "root-owned files are all links"

# accounts and names
is "$(head -1 "$V/etc/passwd")" "admin:x:0:0:VS administrator:/root:/bin/bash" "uid 0 is admin, home /root"
is "$(sed -n 2p "$V/etc/passwd" | cut -d: -f1,3)" "root:0" "root kept as a second name"
is "$(cut -d: -f1 "$V/etc/shadow" | head -2 | tr '\n' ' ')" "admin root " "shadow has both names"
is "$(stat -c '%a' "$V/etc/shadow")" 640 "shadow not world-readable"
is "$(cat "$V/etc/hostname")" web1.example.com "hostname is the FQDN"
ok $(grep -q '^10.77.1.2	web1.example.com web1$' "$V/etc/hosts"; echo $?) "hosts names the VS"
is "$(head -1 "$S/etc/passwd" | cut -d: -f1)" root "skeleton passwd untouched"

# listing and inspection
is "$(vsdadm vs_list localhost | awk 'NR==2 {print $1, $4}')" "web1 10.77.1.2" "vs_list shows it"
run_ok "list --json is JSON" sh -c 'vsdadm --json list | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[0][\"name\"]==\"web1\""'
is "$(vsdadm --json info web1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["files_shared"] > 20, d["private_bytes"] < 4<<20)')" "True True" "info: files shared, private disk small"
run_ok "second VS" vsdadm create -q 10 web2 10.77.1.3 web2.example.com
is "$(vs_uid web2)" "$((base + 65536))" "second VS gets the next range"
is "$(ino "$ROOT/vs/web2/usr/bin/ls")" "$(ino "$S/usr/bin/ls")" "both share the skeleton inode"

run_ok "vs_delete" vsdadm vs_delete localhost web1
run_ok "delete" vsdadm delete web2
ok $([ ! -e "$V" ] && [ ! -e "$ROOT/state/vs/web1" ]; echo $?) "root and record gone"
is "$(ls -A "$ROOT/vs" | wc -l)" 0 "nothing left under vs/"
is "$(ls -A "$ROOT/state/journal" | wc -l)" 0 "journal empty"
find "$S" -printf '%i %n %m %u %p\n' | sort >"$T/skel.after"
run_ok "skeleton identical (inodes, link counts, modes)" diff "$T/skel.before" "$T/skel.after"
done_testing
