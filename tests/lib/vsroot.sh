# tests/lib/vsroot.sh - helpers of the VS-root tests (020-039); source
# after common.sh.
#
# These tests drive the library through vsdadm without a daemon: vsdadm
# goes through vsd unless told otherwise.
export VSDADM_LOCAL=1

# fixture_skel DIR [BULK]: a small but real skeleton in DIR, the way
# vsdskel leaves one: host programs and their libraries, root-owned, no
# write bits; plus the cases a clone must get right: a set-id program, a
# file that is not world-readable, one owned by another account, empty
# and lock files, symlinks (relative, absolute, dangling, one in the
# sticky /tmp, one owned by another account), a device node, a fifo, a
# sticky /tmp.  BULK=1 adds ~8,000 headers (slow clones for the
# crash tests).  Prints nothing; fails the script if it cannot build.

fixture_skel() {
	local s=$1 bulk=${2:-0} b lib
	mkdir -p "$s"/{usr/bin,usr/sbin,usr/lib,etc/ssh,var/lib/dpkg,var/lock} \
		"$s"/{tmp,dev,root,home,var/tmp,var/mail,usr/share/doc/demo}
	ln -s usr/bin "$s/bin"
	ln -s usr/lib "$s/lib"
	for b in bash ls cat cp mv rm true touch id stat sh chmod; do
		cp -L "/usr/bin/$b" "$s/usr/bin/$b"
	done
	cp -L /usr/bin/passwd "$s/usr/bin/passwd"
	# libraries at the paths the loader expects
	for lib in $(ldd "$s"/usr/bin/* 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
		mkdir -p "$s$(dirname "$lib")"
		cp -L "$lib" "$s$lib"
	done
	[ -e "$s/lib64" ] || ln -s usr/lib64 "$s/lib64"
	cat >"$s/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
	cat >"$s/etc/group" <<'G'
root:x:0:
daemon:x:1:
shadow:x:42:
nogroup:x:65534:
G
	printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >"$s/etc/shadow"
	chgrp 42 "$s/etc/shadow"; chmod 640 "$s/etc/shadow"
	echo "secret" >"$s/etc/ssh/ssh_host_key"; chmod 600 "$s/etc/ssh/ssh_host_key"
	echo "Port 22" >"$s/etc/ssh/sshd_config"
	echo "hello" >"$s/etc/motd"
	: >"$s/etc/empty"
	: >"$s/var/lib/dpkg/lock"
	echo 123 >"$s/var/lib/dpkg/status.lock"
	echo "daemon data" >"$s/var/lib/daemon-owned"; chown 1:1 "$s/var/lib/daemon-owned"
	echo "doc" >"$s/usr/share/doc/demo/README"
	ln -s /usr/share/zoneinfo/UTC "$s/etc/localtime"	# dangling, absolute
	ln -s ../../etc/motd "$s/usr/share/doc/motd"
	ln -s ../etc/motd "$s/tmp/motd-link"		# in a sticky directory
	ln -s daemon-owned "$s/var/lib/daemon-link"	# owned by another account
	mknod "$s/dev/null" c 1 3
	mkfifo "$s/var/lib/fifo"
	chmod 1777 "$s/tmp" "$s/var/tmp"
	chgrp 8 "$s/var/mail"; chmod 2775 "$s/var/mail"
	if [ "$bulk" = 1 ]; then
		mkdir -p "$s/usr/include"
		cp -a /usr/include/. "$s/usr/include/"
	fi
	# the skeleton invariant: host root owns it, nothing is writable
	chown -R -h root:root "$s"/usr "$s"/bin "$s"/lib "$s"/lib64 "$s"/tmp "$s"/root "$s"/dev
	chown 1:1 "$s/var/lib/daemon-owned"
	chown -h 1:1 "$s/var/lib/daemon-link"
	chmod -R a-w "$s"
	chmod 4555 "$s/usr/bin/passwd"	# set-uid (after chown, which clears it)
	chmod 500 "$s"			# host root's alone, as vsdskel makes it
}

# as_vs CMD...: CMD as the VS's root (host uid/gid $base), standing in
# for a VS process that reaches its tree by host path.  state_root/vs is
# host root's alone (0700; 714), so it is opened for traversal first,
# every time: any vsdskel, vsdadm or vsd start closes it again.
as_vs() {
	chmod 711 "$ROOT/vs"
	setpriv --reuid="$base" --regid="$base" --clear-groups -- "$@"
}

# vs_uid NAME: the uid_base of a VS (from vsdadm --json info)
vs_uid() {
	vsdadm --json info "$1" | sed -n 's/.*"uid_base":\([0-9]*\).*/\1/p'
}

# host_ids_fixture: point the uid allocator at test copies of the host's
# account files (never the real ones edited)
host_ids_fixture() {
	cp /etc/passwd "$T/passwd"
	cp /etc/group "$T/group"
	export VSD_PASSWD_FILE=$T/passwd VSD_GROUP_FILE=$T/group
}
