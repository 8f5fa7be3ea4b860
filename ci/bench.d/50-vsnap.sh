#!/usr/bin/env bash
# vsnap save/restore vs the tools a user would otherwise pick, in one run:
# `tar -cf - | zstd -T0` and `zstd -dc | tar -x` on the same trees, at the
# same zstd level.  Two VSs on a real skeleton (vsdskel build from this
# host): a fresh one, and one with ~100 MB of its own data.  Prints
# medians (hyperfine), ratios and archive sizes; never pass/fail.
set -u
source "$VSD_TOP/tests/lib/common.sh"
source "$VSD_TOP/tests/lib/skel.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd hyperfine zstd tar vsdskel vsdadm vsnap python3
new_state_root
host_ids_fixture
LEVEL=3
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
echo "skeleton: $(du -sm "$ROOT/skel" | cut -f1) MiB, $(find "$ROOT/skel" | wc -l) entries;" \
	"data VS: $(du -sm "$D/srv" | cut -f1) MiB own data in $n files"
J=$T/json
mkdir -p "$J" "$T/out"
hf() { hyperfine -N --style basic --warmup 1 --runs ${RUNS:-7} --prepare sync "$@" 2>&1 | grep -v '^ *$'; }

for vs in fresh data; do
	R=$ROOT/vs/$vs
	echo "--- save: $vs"
	hf --export-json "$J/save-$vs.json" \
		-n "vsnap save (skeleton-relative)" "vsnap save $vs -o $T/out/$vs-skel.tar.zst" \
		-n "vsnap save --full" "vsnap save --full $vs -o $T/out/$vs-full.tar.zst" \
		-n "tar | zstd -T0 -$LEVEL" "bash -c 'tar -C $R -cf - . | zstd -q -T0 -$LEVEL -f -o $T/out/$vs-tar.tar.zst'" \
		-n "tar | zstd -T0 -$LEVEL; sync FILE" "bash -c 'tar -C $R -cf - . | zstd -q -T0 -$LEVEL -f -o $T/out/$vs-tar.tar.zst; sync $T/out/$vs-tar.tar.zst'"
	id=$(vsnap save $vs) || bail "save $vs"
	mkdir -p "$T/x"
	echo "--- restore: $vs"
	hf --export-json "$J/restore-$vs.json" \
		-n "vsnap restore" "vsnap restore $vs $id" \
		-n "zstd -dc | tar -x" --prepare "rm -rf $T/x; mkdir $T/x; sync" \
		"bash -c 'zstd -dc $T/out/$vs-tar.tar.zst | tar -C $T/x -x'" \
		-n "zstd -dc | tar -x; sync" --prepare "rm -rf $T/x; mkdir $T/x; sync" \
		"bash -c 'zstd -dc $T/out/$vs-tar.tar.zst | tar -C $T/x -x; sync'"
done

python3 - "$J" "$T/out" <<'PY'
import json, os, sys
j, out = sys.argv[1], sys.argv[2]
def med(f, i):
    return json.load(open(os.path.join(j, f)))["results"][i]["median"]
def mn(f, i):
    return json.load(open(os.path.join(j, f)))["results"][i]["min"]
def size(f):
    return os.path.getsize(os.path.join(out, f))
print("\n%-8s %-34s %10s %12s %8s" % ("VS", "what", "median", "size", "ratio"))
for vs in ("fresh", "data"):
    tar_t, tar_s = med("save-%s.json" % vs, 2), size("%s-tar.tar.zst" % vs)
    for i, (what, f) in enumerate((("vsnap save", "skel"), ("vsnap save --full", "full"))):
        t, s = med("save-%s.json" % vs, i), size("%s-%s.tar.zst" % (vs, f))
        print("%-8s %-34s %9.3fs %12d   time %.3fx  size %.4fx" %
              (vs, what, t, s, t / tar_t, s / tar_s))
    print("%-8s %-34s %9.3fs %12d" % (vs, "tar | zstd -T0", tar_t, tar_s))
    ts = med("save-%s.json" % vs, 3)
    print("%-8s %-34s %9.3fs %12s   (vsnap fsyncs its archive: --full"
          " vs this: %.3fx)" % (vs, "tar | zstd -T0; sync FILE", ts, "",
                                med("save-%s.json" % vs, 1) / ts))
    rt, xt = med("restore-%s.json" % vs, 0), med("restore-%s.json" % vs, 1)
    print("%-8s %-34s %9.3fs %12s   time %.3fx" % (vs, "vsnap restore", rt, "", rt / xt))
    print("%-8s %-34s %9.3fs" % (vs, "zstd -dc | tar -x", xt))
    xs = med("restore-%s.json" % vs, 2)
    print("%-8s %-34s %9.3fs %12s   (vsnap syncs before the swap: restore"
          " vs this: %.3fx)" % (vs, "zstd -dc | tar -x; sync", xs, "",
                                rt / xs))
print("\nminimums (the least disturbed runs on a busy host):")
for vs in ("fresh", "data"):
    print("%-8s save %.3fs  save --full %.3fs  tar|zstd %.3fs  (+sync %.3fs)"
          "   restore %.3fs  tar -x %.3fs  (+sync %.3fs)" % (
              vs, mn("save-%s.json" % vs, 0), mn("save-%s.json" % vs, 1),
              mn("save-%s.json" % vs, 2), mn("save-%s.json" % vs, 3),
              mn("restore-%s.json" % vs, 0), mn("restore-%s.json" % vs, 1),
              mn("restore-%s.json" % vs, 2)))
print("\ntargets: fresh skeleton-relative < 1% of the tar.zst size and < 10%"
      " of its time; --full at least as fast as tar | zstd -T0 (ratio <= 1)."
      "\nvsnap fsyncs a saved archive and syncs the restored tree before the"
      " swap; plain tar does neither, hence the '; sync' rows.")
PY
