#!/usr/bin/env bash
# vsnap save/restore vs the tools a user would otherwise pick, in one run:
# `tar -cf - | zstd -T0` and `zstd -dc | tar -x` on the same trees, at the
# same zstd level.  Two VSs on a real skeleton (vsdskel build from this
# host): a fresh one, and one with ~100 MB of its own data.  The commands
# of a set run interleaved (A B C A B C ...: a busy host drifts between
# runs; other benchmarks drop the page cache), each after re-reading its
# input (all start warm: the VS's tree, and for a save the skeleton's
# metadata, which vsnap reads to tell skeleton inodes) and a `sync`;
# medians, minimums, CPU time (user+sys), ratios and archive sizes are
# printed, with the load before and after; never pass/fail.
set -u
source "$VSD_TOP/tests/lib/common.sh"
source "$VSD_TOP/tests/lib/skel.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd zstd tar vsdskel vsdadm vsnap python3
new_state_root
host_ids_fixture
LEVEL=3
RUNS=${RUNS:-7}
echo "snapshot_level $LEVEL" >>"$CONF"
echo "snapshot_threads 0" >>"$CONF"
make_skel
vsdadm create fresh 10.78.0.2 fresh.example.com >/dev/null || bail "create"
vsdadm create data 10.78.0.3 data.example.com >/dev/null || bail "create"
D=$ROOT/vs/data
B=$(vs_uid data)
# ~100 MB of the VS's own data: copies of host libraries and text (what
# a VS's own installs look like), not random bytes
mkdir -p "$D/srv"
n=0
for f in /usr/lib/x86_64-linux-gnu/*.so* /usr/share/doc/*/copyright; do
	[ -f "$f" ] || continue
	cp "$f" "$D/srv/$(printf %05d $n)" 2>/dev/null || continue
	n=$((n + 1))
	[ $(du -sm "$D/srv" | cut -f1) -ge 100 ] && break
done 2>/dev/null
chown -R $B:$B "$D/srv"
echo "load before: $(uptime)"
echo "skeleton: $(du -sm "$ROOT/skel" | cut -f1) MiB, $(find "$ROOT/skel" | wc -l) entries;" \
	"data VS: $(du -sm "$D/srv" | cut -f1) MiB own data in $n files; $RUNS runs each, interleaved"
O=$T/out
TIMES=$T/times
mkdir -p "$O" "$T/x"

# timed SET NAME PREPARE COMMAND: one run, appended to $TIMES (wall
# microseconds, CPU seconds user+sys of the command and its children)
timed() {
	local set=$1 name=$2 prep=$3 cmd=$4 t0 t1 cpu
	eval "$prep" >/dev/null 2>&1
	sync
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$T/cpu" bash -c "$cmd" >/dev/null 2>&1 ||
		echo "($name failed)" >&2
	t1=$(date +%s%N)
	cpu=$(awk '{print $1 + $2}' "$T/cpu")
	printf '%s\t%s\t%s\t%s\n' "$set" "$name" $(( (t1 - t0) / 1000 )) \
		"$cpu" >>"$TIMES"
}

for vs in fresh data; do
	R=$ROOT/vs/$vs
	id=$(vsnap save "$vs") || bail "save $vs"
	zstd -q -T0 -$LEVEL -f -o "$O/$vs-tar.tar.zst" < <(tar -C "$R" -cf - .)
	for r in $(seq 0 "$RUNS"); do	# run 0 warms the caches, not kept
		s=save-$vs; [ "$r" = 0 ] && s=warm
		# vsnap's input is the VS's tree and the skeleton's metadata
		# (it checks which files are still skeleton inodes)
		warm="tar -C $R -cf - . | cat; find $ROOT/skel >/dev/null"
		timed $s "vsnap save" "$warm" "vsnap save $vs -o $O/$vs-skel.tar.zst"
		timed $s "vsnap save --full" "$warm" "vsnap save --full $vs -o $O/$vs-full.tar.zst"
		timed $s "tar | zstd -T0" "$warm" "tar -C $R -cf - . | zstd -q -T0 -$LEVEL -f -o $O/$vs-tar.tar.zst"
		timed $s "tar | zstd -T0; sync FILE" "$warm" "tar -C $R -cf - . | zstd -q -T0 -$LEVEL -f -o $O/$vs-tar.tar.zst; sync $O/$vs-tar.tar.zst"
		s=restore-$vs; [ "$r" = 0 ] && s=warm
		warm="cat $ROOT/snapshots/$vs/$id.tar.zst $O/$vs-tar.tar.zst; tar -C $ROOT/skel -cf - . | cat"
		timed $s "vsnap restore" "$warm" "vsnap restore $vs $id"
		timed $s "zstd -dc | tar -x" "rm -rf $T/x; mkdir $T/x; $warm" "zstd -dc $O/$vs-tar.tar.zst | tar -C $T/x -x"
		timed $s "zstd -dc | tar -x; sync" "rm -rf $T/x; mkdir $T/x; $warm" "zstd -dc $O/$vs-tar.tar.zst | tar -C $T/x -x; sync"
	done
done

echo "load after: $(uptime)"
python3 - "$TIMES" "$O" <<'PY'
import os, statistics, sys
times, out = sys.argv[1], sys.argv[2]
t, c = {}, {}
for line in open(times):
    s, n, us, cpu = line.rstrip("\n").split("\t")
    t.setdefault((s, n), []).append(int(us) / 1e6)
    c.setdefault((s, n), []).append(float(cpu))
med = lambda s, n: statistics.median(t[(s, n)])
mn = lambda s, n: min(t[(s, n)])
cpu = lambda s, n: statistics.median(c[(s, n)])
size = lambda f: os.path.getsize(os.path.join(out, f))
print("\n%-6s %-27s %8s %8s %8s %11s  %s" % ("VS", "command", "median",
      "min", "cpu", "bytes", "ratios (median; cpu; size)"))
for vs in ("fresh", "data"):
    S, X = "save-" + vs, "restore-" + vs
    T = "tar | zstd -T0"
    tar, tars = med(S, T), med(S, "tar | zstd -T0; sync FILE")
    tsz = size(vs + "-tar.tar.zst")
    for n, f in (("vsnap save", "skel"), ("vsnap save --full", "full")):
        print("%-6s %-27s %7.3fs %7.3fs %7.3fs %11d  %.3fx tar|zstd, %.3fx"
              " +sync; cpu %.3fx; size %.4fx" % (vs, n, med(S, n), mn(S, n),
              cpu(S, n), size("%s-%s.tar.zst" % (vs, f)), med(S, n) / tar,
              med(S, n) / tars, cpu(S, n) / cpu(S, T),
              size("%s-%s.tar.zst" % (vs, f)) / tsz))
    for n in (T, "tar | zstd -T0; sync FILE"):
        print("%-6s %-27s %7.3fs %7.3fs %7.3fs %11s" % (vs, n, med(S, n),
              mn(S, n), cpu(S, n), tsz if "sync" not in n else ""))
    U = "zstd -dc | tar -x"
    x, xs = med(X, U), med(X, "zstd -dc | tar -x; sync")
    n = "vsnap restore"
    print("%-6s %-27s %7.3fs %7.3fs %7.3fs %11s  %.3fx tar -x, %.3fx +sync;"
          " cpu %.3fx" % (vs, n, med(X, n), mn(X, n), cpu(X, n), "",
                          med(X, n) / x, med(X, n) / xs, cpu(X, n) / cpu(X, U)))
    for n in (U, "zstd -dc | tar -x; sync"):
        print("%-6s %-27s %7.3fs %7.3fs %7.3fs" % (vs, n, med(X, n), mn(X, n),
                                                 cpu(X, n)))
print("\ntargets: fresh `vsnap save` < 1% of the tar.zst size and < 10% of"
      " its time;\n`vsnap save --full` at least as fast as tar | zstd -T0"
      " (ratio <= 1).\nvsnap fsyncs a saved archive and syncs the restored"
      " tree before the swap;\nplain tar does neither, hence the '; sync'"
      " rows.\ncpu = user+sys seconds of the command and its children (median).")
PY
