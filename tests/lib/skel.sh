# tests/lib/skel.sh - a real skeleton for integration tests (source it
# after tests/lib/common.sh and new_state_root).
#
#   make_skel [build options...]   vsdskel build into $ROOT/skel: by default
#                                  from the host following conf/skel.conf
#                                  (a lean real system, ~2-5 s); pass
#                                  --from DIR or --from-archive FILE for
#                                  another tree.  Bails out on failure.
#   make_fixture_tree DIR          a small tree with the corner cases
#                                  (set-id, private modes, other owners,
#                                  odd names, symlinks, hard links, empty
#                                  and lock files) for --from builds.

make_skel() {
	local out
	out=$(vsdskel -q -c "$CONF" build "$@" 2>&1) ||
		bail "make_skel: vsdskel build $*: $out"
	SKEL=$ROOT/skel
	export SKEL
}

make_fixture_tree() {
	local d=$1
	mkdir -p "$d"/usr/bin "$d"/usr/lib "$d"/etc/sub "$d"/var/lib/x \
		"$d"/tmp "$d"/secret
	printf '#!/bin/sh\necho tool\n' >"$d"/usr/bin/tool
	chmod 755 "$d"/usr/bin/tool
	printf 'suid\n' >"$d"/usr/bin/suid && chmod 4755 "$d"/usr/bin/suid
	printf 'lib\n' >"$d"/usr/lib/libx.so.1.0
	ln -s libx.so.1.0 "$d"/usr/lib/libx.so.1
	ln "$d"/usr/lib/libx.so.1.0 "$d"/usr/lib/libx-hard.so
	printf 'odd\n' >"$d/usr/lib/name with space"
	printf 'nl\n' >"$d/usr/lib/new
line"
	printf 'conf\n' >"$d"/etc/app.conf
	printf 'deep\n' >"$d"/etc/sub/deep.conf
	printf 'private\n' >"$d"/etc/private && chmod 640 "$d"/etc/private
	printf 'owned\n' >"$d"/usr/lib/owned && chown 1234:1234 "$d"/usr/lib/owned
	: >"$d"/usr/lib/empty
	printf 'x\n' >"$d"/var/lib/x/db.lock
	printf 'tmp\n' >"$d"/tmp/junk
	ln -s /etc/passwd "$d"/usr/lib/abs-link
	ln -s ../../.. "$d"/usr/lib/up-link
	ln -s libx.so.1.0 "$d"/usr/lib/libx-owned.so	# another owner's symlink
	chown -h 1234:1234 "$d"/usr/lib/libx-owned.so
	mkfifo "$d"/usr/lib/fifo
	chmod 700 "$d"/secret
	printf 's\n' >"$d"/secret/s
}
