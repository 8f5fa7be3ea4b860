#!/usr/bin/env bash
# Red team: vstry records the trial VS's tree after each step and hashes
# the files the package wrote, as host root.  The package's own daemon
# owns such a file and, the moment inotify says someone opened it,
# extends it to 8 TiB of holes (a sparse ftruncate: no disk used).
# Hashing read to the end of file: hours before the trial could end.
# The hash must stop at the size the walk saw, and the file counts as
# changed.  Everything happens inside the trial VS, in this test's own
# state root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
need_cmd perl
vstry_setup

# a package built like the samples (recipes/build-packages.sh), from a
# copy of the recipe tree with one more package in it
R=$T/recipes
mkdir -p "$R/pkg/grow/files/usr/share/doc/vsd-grow"
cp "$VSD_TOP/recipes/build-packages.sh" "$R/"
printf 'NAME=vsd-grow\nVERSION=1.0\nSUMMARY="freeVSD red team: a file that grows when read"\n' \
	>"$R/pkg/grow/meta"
echo "grows when read" >"$R/pkg/grow/files/usr/share/doc/vsd-grow/README"
cat >"$R/pkg/grow/post" <<'SH'
mkdir -p /var/lib/vsd-grow
# inotify_init1 (294) and inotify_add_watch (254) on x86_64; IN_OPEN 0x20
setsid perl -e '
	my $f = "/var/lib/vsd-grow/data";
	open(my $o, ">", $f) or exit 1; print $o "x" x (32 << 20); close $o;
	my $fd = syscall(294, 0); exit 1 if $fd < 0;
	exit 1 if syscall(254, $fd, $f, 0x20) < 0;
	open(my $in, "<&=", $fd) or exit 1;
	while (sysread($in, my $ev, 4096)) { truncate($f, 8 << 40); }
' </dev/null >/dev/null 2>&1 &
sleep 0.5
echo "vsd-grow: watching"
SH
HOME=$T/home bash "$R/build-packages.sh" "$T/gpk" grow >"$T/gbuild.log" 2>&1
ok $? "the growing package is built" || cat "$T/gbuild.log"

start=$(date +%s)
timeout 60 vstry --json "$T/gpk/vsd-grow-1.0-1.noarch.rpm" >"$T/report.json" 2>"$T/vstry.err"
rc=$?
took=$(( $(date +%s) - start ))
ok $([ $rc != 124 ] && [ $took -lt 60 ]; echo $?) \
	"the trial ends (exit $rc after ${took} s)"
out=$(jq_py "$T/report.json" 'sum("truncate" in p["name"] for p in r["processes_after_install"])' 2>&1)
is "$out" 1 "the package's watcher was running while the trial read its file"
out=$(jq_py "$T/report.json" '[c["status"] for c in r["checks"] if c["name"] == "install"]' 2>&1)
is "$out" "['pass']" "the package installed"
out=$(jq_py "$T/report.json" '[f["name"] for f in r["outside_files"]]' 2>&1)
is "$out" "['/var/lib/vsd-grow', '/var/lib/vsd-grow/data']" "its file is in the report, outside the package's"
is "$(trial_leftovers)" "" "nothing of the trial left"
done_testing
