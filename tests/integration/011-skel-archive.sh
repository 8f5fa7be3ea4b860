#!/usr/bin/env bash
# vsdskel build --from-archive: a rootfs tar.zst gives the same skeleton as
# the tree; hostile archives (absolute and .. paths, writes through a
# planted symlink, hard links out, duplicates) are refused without
# touching anything outside the state root or the current skeleton;
# devices are left out.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel python3 tar zstd
new_state_root

FX=$T/fx
make_fixture_tree "$FX"
rm -f "$FX/usr/lib/fifo"
tar --zstd -C "$FX" -cf "$T/fx.tar.zst" .
run_ok "build --from-archive tar.zst" vsdskel -q build --from-archive "$T/fx.tar.zst"
cut -d' ' -f1-5,7- "$ROOT/state/skel/manifest" >"$T/m.archive"
run_ok "build --from the same tree" vsdskel -q build --from "$FX"
cut -d' ' -f1-5,7- "$ROOT/state/skel/manifest" >"$T/m.tree"
diff "$T/m.archive" "$T/m.tree" >/dev/null
ok $? "archive and tree give the same manifest (hashes, modes, owners)"
run_ok "skeleton from the archive passes check" vsdskel check
is "$(stat -c %a "$ROOT/skel/usr/bin/suid")" 4555 "set-uid from the archive kept"
id0=$(cat "$ROOT/state/skel/id")

# hostile archives, written with python's tarfile
mkdir -p "$T/canary"
echo canary >"$T/canary/file"
canary_sum=$(find "$T/canary" -printf '%p %s %n %m %T@\n' | md5sum)
mkarchive() {	# mkarchive NAME SPEC: SPEC is python building entries
	python3 - "$T/$1.tar" "$T/canary" <<PY
import io, sys, tarfile
out, canary = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def f(name, data=b"x", mode=0o644):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode
    t.addfile(i, io.BytesIO(data))
def d(name):
    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755
    t.addfile(i)
def l(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target
    t.addfile(i)
def h(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target
    t.addfile(i)
def dev(name):
    i = tarfile.TarInfo(name); i.type = tarfile.CHRTYPE; i.devmajor = 1
    i.devminor = 3; i.mode = 0o666
    t.addfile(i)
d("usr"); f("usr/ok")
$2
t.close()
PY
}
hostile() {	# hostile NAME DESC SPEC EXPECTED-MESSAGE-PART
	mkarchive "$1" "$3"
	out=$(vsdskel build --from-archive "$T/$1.tar" 2>&1); rc=$?
	is "$rc" 1 "$2: refused"
	case $out in *"$4"*) pass "$2: says why";;
	*) not_ok "$2: says why"; diag "$out";; esac
}
hostile abs "absolute path" 'f("/etc/evil-'$$'")' "hostile archive: bad path '/etc/evil"
hostile dotdot "dot-dot path" 'f("usr/../../evil")' "hostile archive: bad path"
hostile through "write through a planted symlink" \
	'l("x", canary); f("x/pwned")' "goes through a symlink"
hostile dirover "directory over a planted symlink" \
	'l("y", canary); d("y"); f("y/pwned")' "is not a directory"
hostile hlabs "hard link to a host file" 'h("usr/pw", "/etc/passwd")' \
	"bad link target '/etc/passwd'"
hostile hlup "hard link out with .." 'h("usr/pw", "../etc/passwd")' \
	"bad link target"
hostile hlfwd "hard link to an entry not extracted" 'h("usr/pw", "usr/later")' \
	"not a file extracted before"
hostile dup "a path listed twice" 'f("usr/twice"); f("usr/twice")' "listed twice"
hostile linkover "a file over a symlink" 'l("usr/s", canary + "/file"); f("usr/s")' \
	"listed twice"
is "$(find "$T/canary" -printf '%p %s %n %m %T@\n' | md5sum)" "$canary_sum" "canary directory untouched"
is "$(cat "$T/canary/file")" "canary" "canary file untouched"
ok "$([ ! -e /etc/evil-$$ ] && [ ! -e "$ROOT/evil" ] && [ ! -e "$T/evil" ]; echo $?)" \
	"nothing written outside"
is "$(cat "$ROOT/state/skel/id")" "$id0" "current skeleton unchanged"
ok "$([ ! -e "$ROOT/skel.new" ]; echo $?)" "no half-built tree left"
run_ok "current skeleton still passes check" vsdskel check

# a hard link whose first name skel.conf excludes (tar keeps the data
# with the first name): not hostile, but the data is not there
mkarchive doclink 'd("usr/share"); d("usr/share/doc"); f("usr/share/doc/README", b"doc"); d("usr/bin"); h("usr/bin/readme", "usr/share/doc/README")'
out=$(vsdskel build --from-archive "$T/doclink.tar" 2>&1); rc=$?
is "$rc" 1 "a link to an excluded file: exit 1"
case $out in *"'usr/bin/readme' is a hard link to 'usr/share/doc/README', which skel.conf leaves out"*)
	pass "says which link and why";; *) not_ok "says which link and why"; diag "$out";; esac
is "$(cat "$ROOT/state/skel/id")" "$id0" "current skeleton unchanged"

# devices are left out, the rest is taken
mkarchive devs 'dev("usr/null"); f("usr/after")'
out=$(vsdskel build --from-archive "$T/devs.tar" 2>&1); rc=$?
is "$rc" 0 "archive with a device node builds"
ok "$([ ! -e "$ROOT/skel/usr/null" ] && [ -f "$ROOT/skel/usr/after" ]; echo $?)" \
	"device left out, other entries in"
case $out in *"1 devices, sockets or FIFOs left out"*) pass "says so";;
*) not_ok "says so"; diag "$out";; esac

# garbage and missing files
head -c 5000 /dev/urandom >"$T/garbage.tar"
vsdskel build --from-archive "$T/garbage.tar" >/dev/null 2>&1
is $? 1 "garbage archive: exit 1"
out=$(vsdskel build --from-archive "$T/missing.tar" 2>&1)
case $out in *"cannot open '$T/missing.tar'"*) pass "missing archive: clear error";;
*) not_ok "missing archive: clear error"; diag "$out";; esac
done_testing
