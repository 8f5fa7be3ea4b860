#!/usr/bin/env bash
# Red team: vsdskel build --from-archive took entries at any depth, where
# --from stops at 256 levels (fswalk.h) like every later walk of the
# skeleton.  A tarball with a file below 256 directories built a skeleton
# that `check` and `update` could never walk, and the update's leftover
# skel.new (removed by the same depth-limited walk) then stopped every
# later vsdskel run, a good build included, until someone removed it by
# hand.  The archive must be refused as hostile; a tree that deep left by
# an older vsdskel must still be removable.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel python3
new_state_root

# mk.py OUT N KIND: N nested directories and, with KIND file, a file in
# the deepest
cat >"$T/mk.py" <<'EOP'
import io, sys, tarfile
out, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
	e = tarfile.TarInfo("etc"); e.type = tarfile.DIRTYPE; e.mode = 0o755
	t.addfile(e)
	e = tarfile.TarInfo("etc/motd"); e.size = 3; t.addfile(e, io.BytesIO(b"hi\n"))
	p = "/".join(["d"] * n)
	if kind == "file":
		e = tarfile.TarInfo(p + "/f"); e.size = 1; e.mode = 0o644
		t.addfile(e, io.BytesIO(b"x"))
	else:
		e = tarfile.TarInfo(p); e.type = tarfile.DIRTYPE; e.mode = 0o755
		t.addfile(e)
EOP
build() { timeout 60 vsdskel -q -c "$CONF" build --from-archive "$@" 2>&1; }

python3 "$T/mk.py" "$T/deep.tar" 256 file
out=$(build "$T/deep.tar"); rc=$?
ok "$([ $rc = 1 ] && echo "$out" | grep -q "hostile archive: .* deeper than 256 levels"; echo $?)" \
	"a file below 256 directories: refused (exit $rc): $(echo "$out" | cut -c1-120)"
ok "$([ ! -e "$ROOT/skel.new" ]; echo $?)" "no skel.new left"
python3 "$T/mk.py" "$T/deepdir.tar" 256 dir
out=$(build "$T/deepdir.tar"); rc=$?
ok "$([ $rc = 1 ] && echo "$out" | grep -q "deeper than"; echo $?)" \
	"a directory 256 levels down: refused (exit $rc)"

# the deepest a --from tree may be: built, checked, updated
python3 "$T/mk.py" "$T/ok.tar" 255 file
run_ok "255 directories and a file: built" build "$T/ok.tar"
run_ok "and checked" timeout 60 vsdskel -q -c "$CONF" check
run_ok "and updated" timeout 60 vsdskel -q -c "$CONF" update --from-archive "$T/ok.tar"

# what an older vsdskel left: a skel.new deeper than any walk; the next
# build removes it
python3 - "$ROOT/skel.new" <<'EOP'
import os, sys
os.mkdir(sys.argv[1]); os.chdir(sys.argv[1])
for i in range(400):
	os.mkdir("d"); os.chdir("d")
open("f", "w").close()
EOP
run_ok "a leftover skel.new 400 levels deep does not stop the next build" build "$T/ok.tar"
ok "$([ ! -e "$ROOT/skel.new" ]; echo $?)" "and is gone"
done_testing
