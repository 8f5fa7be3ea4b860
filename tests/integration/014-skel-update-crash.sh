#!/usr/bin/env bash
# kill -9 during vsdskel update, at several points (building, swapping,
# re-linking), then run it again: every VS ends fully on the new
# skeleton, no temporaries, no old tree, the skeleton passes check.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel vsdadm python3
new_state_root
export VSDADM_LOCAL=1

FX=$T/fx
make_fixture_tree "$FX"
rm -f "$FX/usr/lib/fifo"
for d in $(seq 1 20); do
	mkdir -p "$FX/usr/share/bulk/$d"
	for f in $(seq 1 100); do echo "v0 $d $f" >"$FX/usr/share/bulk/$d/$f"; done
done
make_skel --from "$FX"
for n in 1 2 3; do
	run_ok "create vs$n" vsdadm create "vs$n" "10.203.0.$((n + 1))" "vs$n.example.com"
done

# every shared file of every VS is the skeleton's inode, contents match
consistent() {
	python3 - "$ROOT" <<'PY'
import os, sys
root = sys.argv[1]
skel = os.path.join(root, "skel")
bad = []
for vs in sorted(os.listdir(os.path.join(root, "vs"))):
    top = os.path.join(root, "vs", vs)
    for d, dirs, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if f == ".#vsdskel-update":
                bad.append("temporary " + p)
                continue
            rel = os.path.relpath(p, top)
            s = os.path.join(skel, rel)
            st = os.lstat(p)
            if not os.path.lexists(s):
                if not rel.startswith("etc/"):  # vsroot writes passwd...
                    bad.append("not in skeleton " + p)
            elif st.st_nlink > 1 and os.lstat(s).st_ino != st.st_ino:
                bad.append("stale link " + p)
            elif os.path.isfile(s) and not os.path.islink(s) and \
                    open(p, "rb").read() != open(s, "rb").read():
                bad.append("content " + p)
for b in bad[:5]:
    print(b)
print(len(bad))
PY
}

round=0
for point in build swap relink relink; do
	round=$((round + 1))
	for d in $(seq 1 20); do for f in $(seq 1 100); do
		echo "v$round $d $f" >"$FX/usr/share/bulk/$d/$f"
	done; done
	echo "round $round" >"$FX/usr/lib/round$round"
	rm -f "$FX/usr/lib/round$((round - 1))"
	vsdskel -q update --from "$FX" >/dev/null 2>&1 & pid=$!
	case $point in
	build) for i in $(seq 1 500); do [ -d "$ROOT/skel.new" ] && break; sleep 0.002; done;;
	swap) for i in $(seq 1 1000); do [ -e "$ROOT/state/skel/pending" ] && break; sleep 0.001; done;;
	relink) for i in $(seq 1 1000); do [ -d "$ROOT/skel.old" ] && break; sleep 0.002; done
		sleep 0.0$((RANDOM % 9))$((RANDOM % 10));;
	esac
	kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
	diag "round $round: killed at '$point' (pending: $([ -e "$ROOT/state/skel/pending" ] && echo yes || echo no))"
	run_ok "round $round: update after kill -9 succeeds" vsdskel -q update --from "$FX"
	c=$(consistent); printf "%s\n" "$c" | head -5 | sed "s/^/# /"; is "$(printf "%s" "$c" | tail -1)" 0 "round $round: every VS fully on the new skeleton"
	ok "$([ ! -e "$ROOT/skel.old" ] && [ ! -e "$ROOT/skel.new" ] &&
		[ ! -e "$ROOT/state/skel/pending" ]; echo $?)" "round $round: nothing left over"
	is "$(cat "$ROOT/vs/vs2/usr/lib/round$round" 2>/dev/null)" "round $round" \
		"round $round: new file reached the VSs"
	ok "$([ ! -e "$ROOT/vs/vs3/usr/lib/round$((round - 1))" ]; echo $?)" \
		"round $round: removed file gone from the VSs"
	run_ok "round $round: skeleton passes check" vsdskel check
done
done_testing
