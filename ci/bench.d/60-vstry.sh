#!/usr/bin/env bash
# vstry: wall time of a full trial of the small sample rpm (create,
# install, checks, remove, report, discard), and of 20 trials run 2 at a
# time, against the same work done by hand: a fresh `cp -a` copy of the
# skeleton, `rpm --root` install and erase (as host root: no isolation),
# `rm -rf`.  Both in one hyperfine run, interleaved by hyperfine's rounds;
# medians and ratios.  The skeleton is the debootstrap-sized one vsdskel
# builds from the host with conf/skel.conf.
# Env: RUNS (default 10), PAR_RUNS (default 3).  Needs root, hyperfine.
set -u
[ "$(id -u)" = 0 ] || { echo "60-vstry: needs root, skipped"; exit 0; }
command -v hyperfine >/dev/null || { echo "60-vstry: needs hyperfine, skipped"; exit 0; }
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$top/build:$PATH
RUNS=${RUNS:-10}
PAR_RUNS=${PAR_RUNS:-3}
W=$(mktemp -d /var/tmp/vsdbench.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/root" "$W/home"
cat >"$W/vsd.conf" <<EOC
state_root "$W/root"
skel_conf "$top/conf/skel.conf"
listen none
EOC
export VSD_CONF=$W/vsd.conf
vsdskel -q build || { echo "60-vstry: vsdskel build failed"; exit 1; }
HOME=$W/home "$top/recipes/build-packages.sh" "$W/pk" hello >/dev/null ||
	{ echo "60-vstry: build-packages.sh failed"; exit 1; }
P=$W/pk/vsd-hello-1.0-1.noarch.rpm
S=$W/root/skel
echo "skeleton: $(find "$S" | wc -l) entries, $(du -sh "$S" | cut -f1); package: $(basename "$P")"

# by hand: what a careful admin would do without vstry (scriptlets run as
# host root, chrooted; no record of what changed)
cat >"$W/byhand.sh" <<EOS
#!/bin/sh
set -e
d=$W/hand.\$1
cp -a "$S" "\$d"
rpm --root "\$d" --dbpath /var/lib/rpm --initdb
rpm --root "\$d" --dbpath /var/lib/rpm -i --nodeps --noplugins "$P" >/dev/null 2>&1
rpm --root "\$d" --dbpath /var/lib/rpm -e --nodeps --noplugins vsd-hello >/dev/null 2>&1
rm -rf --one-file-system "\$d"
EOS
chmod +x "$W/byhand.sh"
"$W/byhand.sh" check || { echo "60-vstry: the by-hand install does not work here"; exit 1; }
vstry -q "$P" >/dev/null || { echo "60-vstry: a vstry trial of the sample fails"; exit 1; }

summary() {	# summary JSON: name, median, ratio to the first command
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print("  %-46s median %8.1f ms  (min %7.1f, max %7.1f)  %5.2fx" % (
        x["command"][:46], x["median"] * 1000, x["min"] * 1000,
        x["max"] * 1000, x["median"] / base))
PY
}

echo "one trial ($RUNS runs each):"
hyperfine -N --style none --runs "$RUNS" --warmup 1 --prepare sync \
	--export-json "$W/one.json" \
	-n "vstry (full trial, isolated, report)" "vstry -q $P" \
	-n "cp -a + rpm --root + rm -rf (by hand)" "$W/byhand.sh one" >/dev/null 2>&1 ||
	echo "  (hyperfine failed)"
summary "$W/one.json"

echo "20 trials, 2 at a time ($PAR_RUNS runs each):"
hyperfine --style none --runs "$PAR_RUNS" --prepare sync \
	--export-json "$W/par.json" \
	-n "vstry x20, -P2" "seq 20 | xargs -P2 -I{} vstry -q $P" \
	-n "by hand x20, -P2" "seq 20 | xargs -P2 -I{} $W/byhand.sh {}" \
	>/dev/null 2>&1 || echo "  (hyperfine failed)"
summary "$W/par.json"
left=$(find "$W/root/vs" "$W/root/state/journal" -mindepth 1 -maxdepth 1 2>/dev/null)
[ -z "$left" ] || echo "60-vstry: trials left something: $left"
