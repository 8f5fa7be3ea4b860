#!/usr/bin/env bash
# Red team: vsdskel build --from-archive treats the tarball as hostile,
# and keeps its hard links (a link entry names a file extracted before).
# To find that file it sorted everything extracted so far, once per link
# entry, and found directories by a scan of every entry: an archive of
# 30,000 one-byte files and 30,000 links to them (a few MB) held vsdskel
# for minutes, growing with the square of the entries (16,000 + 16,000:
# 30 s; 32,000 + 32,000: 2 min).  Lookups must not grow with the archive.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel python3
new_state_root

cat >"$T/mk.py" <<'EOP'
import io, sys, tarfile
n = int(sys.argv[2])
with tarfile.open(sys.argv[1], "w") as t:
	def d(name):
		e = tarfile.TarInfo(name); e.type = tarfile.DIRTYPE; e.mode = 0o755
		t.addfile(e)
	d("usr"); d("usr/lib")
	for i in range(n):
		e = tarfile.TarInfo("usr/lib/f%07d" % i); e.size = 1; e.mode = 0o644
		t.addfile(e, io.BytesIO(b"x"))
		if i % 4 == 0:
			d("usr/lib/d%07d" % i)
	for i in range(n):
		e = tarfile.TarInfo("usr/lib/h%07d" % i); e.type = tarfile.LNKTYPE
		e.linkname = "usr/lib/f%07d" % i; e.mode = 0o644
		t.addfile(e)
	# a directory listed again at the end (its mode changes)
	e = tarfile.TarInfo("usr/lib/d0000000"); e.type = tarfile.DIRTYPE
	e.mode = 0o700; t.addfile(e)
EOP
run_ok "a hostile archive: 30,000 files, 7,500 directories, 30,000 links" \
	python3 "$T/mk.py" "$T/links.tar" 30000
start=$(date +%s)
out=$(timeout 60 vsdskel -q -c "$CONF" build --from-archive "$T/links.tar" 2>&1)
rc=$?
secs=$(($(date +%s) - start))
ok "$([ $rc = 0 ]; echo $?)" "built within 60 s (exit $rc after ${secs} s${out:+: $out})"
S=$ROOT/skel
i1=$(stat -c %i "$S/usr/lib/h0029999" 2>/dev/null)
ok "$([ -n "$i1" ] && [ "$i1" = "$(stat -c %i "$S/usr/lib/f0029999")" ]; echo $?)" \
	"a link entry is the same inode as its file"
ok "$([ "$(stat -c %h "$S/usr/lib/f0000000" 2>/dev/null)" = 2 ]; echo $?)" "two names, one inode"
ok "$(grep -q '^d 0700 0 0 0 0 - usr/lib/d0000000$' "$ROOT/state/skel/manifest"; echo $?)" \
	"a directory listed twice takes its last mode"
ok "$(grep -c ' usr/lib/h' "$ROOT/state/skel/manifest" | grep -qx 30000; echo $?)" \
	"the manifest lists every link"
# still hostile: a link to nothing extracted before is refused
python3 - "$T/bad.tar" <<'EOP'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
	e = tarfile.TarInfo("a"); e.size = 1; t.addfile(e, io.BytesIO(b"x"))
	e = tarfile.TarInfo("b"); e.type = tarfile.LNKTYPE; e.linkname = "c"
	t.addfile(e)
	e = tarfile.TarInfo("c"); e.size = 1; t.addfile(e, io.BytesIO(b"y"))
EOP
rm -rf "$ROOT/skel" "$ROOT/state/skel"
out=$(timeout 60 vsdskel -q -c "$CONF" build --from-archive "$T/bad.tar" 2>&1)
ok "$([ $? = 1 ] && echo "$out" | grep -q "not a file extracted before"; echo $?)" \
	"a link to a later file is refused: $out"
done_testing
