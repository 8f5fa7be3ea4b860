#!/usr/bin/env bash
# 10-skel: building and checking a skeleton, against what a user would do
# by hand on the same file set, in one run, interleaved (A B C A B C ...),
# page cache dropped and the source re-read before every run; medians and
# ratios.  The file set is the lean host skeleton of conf/skel.conf.
#   build: vsdskel build --from SRC (copy + hash + manifest + fsync + swap)
#          vs cp -a SRC DST; sync   and   cp -a + sha256sum of every file
#   check: vsdskel check   vs   sha256sum -c over the same files
set -u
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$top/build:$PATH
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 0; }
runs=${BENCH_RUNS:-5}
W=$(mktemp -d /tmp/vsdbench.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT
mkconf() { printf 'state_root "%s"\nskel_conf "%s/conf/skel.conf"\nlisten none\n' \
	"$W/$1" "$top" >"$W/$1.conf"; }
mkconf src
vsdskel -q -c "$W/src.conf" build || { echo "cannot build the source skeleton"; exit 1; }
SRC=$W/src/skel
nfiles=$(find "$SRC" -type f | wc -l)
mib=$(du -sm "$SRC" | cut -f1)
(cd "$SRC" && find . -type f -print0 | xargs -0 sha256sum) >"$W/sums"

clean() { rm -rf --one-file-system "$W/dst" "$W/b"; }
prep() {
	sync; echo 3 >/proc/sys/vm/drop_caches
	tar -C "$SRC" -cf - . | cat >/dev/null
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
declare -A t
names=(vsdskel-build cp-a cp-a+sha256 vsdskel-check sha256sum-c)
for ((i = 0; i < runs; i++)); do
	clean; prep; mkconf b; s=$(date +%s%N)
	vsdskel -q -c "$W/b.conf" build --from "$SRC" || exit 1
	t[vsdskel-build]+="$(ms "$s") "
	clean; prep; s=$(date +%s%N)
	cp -a "$SRC" "$W/dst"; sync
	t[cp-a]+="$(ms "$s") "
	clean; prep; s=$(date +%s%N)
	cp -a "$SRC" "$W/dst"; (cd "$W/dst" && find . -type f -print0 |
		xargs -0 sha256sum >/dev/null); sync
	t[cp-a+sha256]+="$(ms "$s") "
	clean; mkconf b; vsdskel -q -c "$W/b.conf" build --from "$SRC" || exit 1
	prep; s=$(date +%s%N)
	vsdskel -q -c "$W/b.conf" check || exit 1
	t[vsdskel-check]+="$(ms "$s") "
	prep; s=$(date +%s%N)
	(cd "$W/b/skel" && sha256sum --quiet -c "$W/sums") || exit 1
	t[sha256sum-c]+="$(ms "$s") "
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "file set: $nfiles files, $mib MiB (conf/skel.conf from this host), $runs runs each, cold cache"
printf '%-16s %10s %s\n' command median_ms runs_ms
for n in "${names[@]}"; do
	printf '%-16s %10s %s\n' "$n" "$(echo "${t[$n]}" | median)" "${t[$n]}"
done
b=$(echo "${t[vsdskel-build]}" | median); c=$(echo "${t[cp-a]}" | median)
h=$(echo "${t[cp-a+sha256]}" | median)
k=$(echo "${t[vsdskel-check]}" | median); s=$(echo "${t[sha256sum-c]}" | median)
awk -v b="$b" -v c="$c" -v h="$h" -v k="$k" -v s="$s" 'BEGIN {
	printf "build / (cp -a; sync)          = %.2fx\n", b / c
	printf "build / (cp -a + sha256; sync) = %.2fx\n", b / h
	printf "check / sha256sum -c           = %.2fx\n", k / s }'
