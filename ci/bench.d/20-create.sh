#!/usr/bin/env bash
# VS creation and deletion against the tools a user would otherwise use,
# on the same skeleton in one run, interleaved, medians and ratios:
#   create:  vsdadm create   vs  cp -al  vs  cp -a
#   delete:  vsdadm delete   vs  rm -rf (of the cp -al copy)
#   disk:    private bytes per VS (vsdadm info) and df per VS
#   density: 250 VSs created in a row (total time, disk), then deleted
#   floor:   clonefloor.c, only the mkdirat+linkat calls of the same tree
#            on as many threads (no copies, owners, records): what the
#            tree build cannot go below with these syscalls
# Skeletons: "small" = vsdskel build from the host with conf/skel.conf
# (debootstrap-sized), "large" = vsdskel build --from a ~80,000-file tree
# of host files.  Before every timed run: sync, drop the page cache and
# re-read the skeleton's metadata (ci/../docs: benchmarks.md).
# Env: ROUNDS (default 5), LARGE=0 skips the large skeleton, DENSITY=N
# (default 250, 0 skips).  Needs root.
set -u
[ "$(id -u)" = 0 ] || { echo "20-create: needs root, skipped"; exit 0; }
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$top/build:$PATH
export VSDADM_LOCAL=1	# the library directly: no daemon in the numbers
ROUNDS=${ROUNDS:-5}
LARGE=${LARGE:-1}
DENSITY=${DENSITY:-250}
W=$(mktemp -d /var/tmp/vsdbench.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT
chmod 755 "$W"

now() { local t=${EPOCHREALTIME//[.,]/}; echo $((t * 1000)); }	# ns
# timed WALLFILE CPUFILE CMD...: run CMD, append its wall time and its
# user+sys CPU time in ns.  Taken by the shell itself ($EPOCHREALTIME,
# `times` to the ms): no helper process inside the measured interval
# (a `$(date +%s%N)` added ~1.8 ms to every figure, /usr/bin/time's
# start too, and its CPU figures were 10 ms ticks)
timed() {
	local wf=$1 cf=$2 t0 t1 rc
	shift 2
	times >"$W/times0"
	t0=$EPOCHREALTIME
	"$@"
	rc=$?
	t1=$EPOCHREALTIME
	times >"$W/times1"
	t0=${t0//[.,]/} t1=${t1//[.,]/}
	echo $(((t1 - t0) * 1000)) >>"$wf"
	[ -z "$cf" ] || awk 'function s(x, a) { split(x, a, "m"); sub("s", "", a[2]); return a[1] * 60 + a[2] }
		FNR == 2 { c = s($1) + s($2); if (NR == FNR) b = c; else printf "%d\n", (c - b) * 1e9 }' \
		"$W/times0" "$W/times1" >>"$cf"
	return $rc
}
floor=
if ${CC:-cc} -O2 -pthread -o "$W/clonefloor" "$top/ci/bench.d/clonefloor.c" 2>"$W/cc.err"; then
	floor=$W/clonefloor
else
	echo "20-create: no floor figures (cannot build clonefloor.c: $(head -1 "$W/cc.err"))"
fi
quiesce() {	# quiesce DIR: settle the disk, cold cache, warm metadata of DIR
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# re-read the tree's metadata: names and inodes (-printf %s stats
	# each entry), as on a host whose skeleton is in use; data stays cold
	find "$1" -printf '%s\n' >/dev/null 2>&1
	# the tools themselves are in the cache, as on any working host
	vsdadm --help >/dev/null; cp --help >/dev/null; rm --help >/dev/null
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ms() { awk -v n="$1" 'BEGIN {printf "%.1f", n/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a/b; else print "-"}'; }

setup() {	# setup NAME [vsdskel build args]: state root W/NAME with a skeleton
	local n=$1; shift
	mkdir -p "$W/$n/root"
	cat >"$W/$n/vsd.conf" <<EOC
state_root "$W/$n/root"
skel_conf "$top/conf/skel.conf"
listen none
EOC
	vsdskel -q -c "$W/$n/vsd.conf" build "$@" || { echo "vsdskel build failed"; return 1; }
}

time_vsd() {	# uses n, i, conf, skel of bench_one
	quiesce "$skel"
	timed "$W/$n.vsd" "$W/$n.vsd.cpu" vsdadm -c "$conf" --json create b$i \
		10.250.$((i / 250)).$((i % 250 + 1)) b$i.bench.example >"$W/out" || return 1
	# in-process: from the plan to the record (vsroot.c's "seconds")
	sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$W/out" | awk '{printf "%d\n", $1 * 1e9}' >>"$W/$n.vsdin"
}
time_floor() {	# the floor's own build time (no process start, no listing)
	[ -n "$floor" ] || return 0
	quiesce "$skel"
	"$floor" "$skel" "$W/$n" floor$i "$(nproc)" | awk '{printf "%d\n", $1 * 1e6}' >>"$W/$n.floor"
}
time_cpal() {
	quiesce "$skel"
	timed "$W/$n.cpal" "$W/$n.cpal.cpu" cp -al "$skel" "$W/$n/cpal$i"
}

del_vsd() {
	quiesce "$W/$n/root/vs/b$i"
	timed "$W/$n.del" "" vsdadm -c "$conf" delete b$i >/dev/null || return 1
}
del_rm() {
	quiesce "$W/$n/cpal$i"
	timed "$W/$n.rm" "" rm -rf "$W/$n/cpal$i"
}

bench_one() {	# bench_one NAME ROUNDS CPA_ROUNDS
	n=$1; local rounds=$2 cpa_rounds=$3
	conf=$W/$n/vsd.conf skel=$W/$n/root/skel	# shared with the time_/del_ helpers
	local files dirs
	files=$(find "$skel" ! -type d | wc -l); dirs=$(find "$skel" -type d | wc -l)
	: >"$W/$n.vsd"; : >"$W/$n.vsdin"; : >"$W/$n.floor"; : >"$W/$n.cpal"; : >"$W/$n.vsd.cpu"; : >"$W/$n.cpal.cpu"; : >"$W/$n.cpa"; : >"$W/$n.del"; : >"$W/$n.rm"
	# no deletion between the timed creates: on ext4 without a journal,
	# inodes freed in the last seconds make the allocator scan (the
	# "slow after rm -rf" effect); the order rotates every round
	for ((i = 1; i <= rounds; i++)); do
		case $((i % 3)) in
		1) time_vsd; time_cpal; time_floor;;
		2) time_cpal; time_floor; time_vsd;;
		0) time_floor; time_vsd; time_cpal;;
		esac
		if [ "$i" -le "$cpa_rounds" ]; then
			quiesce "$skel"
			timed "$W/$n.cpa" "" cp -a "$skel" "$W/$n/cpa$i"
		fi
	done
	rm -rf "$W/$n"/cpa[0-9]* "$W/$n"/floor[0-9]*
	priv=$(vsdadm -c "$conf" --json info b1 | sed -n 's/.*"private_bytes":\([0-9]*\).*/\1/p')
	# du counts a hard-linked inode once: what the copy adds to the skeleton
	cpal_kib=$(du -sk "$skel" "$W/$n/cpal1" | tail -1 | cut -f1)
	for ((i = 1; i <= rounds; i++)); do
		if [ $((i % 2)) = 1 ]; then del_vsd; del_rm; else del_rm; del_vsd; fi
	done
	local v a c d r
	v=$(median <"$W/$n.vsd"); a=$(median <"$W/$n.cpal"); c=$(median <"$W/$n.cpa")
	d=$(median <"$W/$n.del"); r=$(median <"$W/$n.rm")
	printf '\n%s skeleton: %d files and symlinks, %d directories (%s rounds, cp -a %s)\n' \
		"$n" "$files" "$dirs" "$rounds" "$cpa_rounds"
	local vc ac
	vc=$(median <"$W/$n.vsd.cpu"); ac=$(median <"$W/$n.cpal.cpu")
	printf '  %-26s %10s ms   (cpu %s ms)\n' "vsdadm create" "$(ms "$v")" "$(ms "$vc")"
	printf '  %-26s %10s ms   (cpu %s ms)   vsdadm/cp-al = %s (cpu %s)\n' "cp -al" "$(ms "$a")" "$(ms "$ac")" "$(ratio "$v" "$a")" "$(ratio "$vc" "$ac")"
	printf '  %-26s %10s ms   vsdadm/cp-a  = %s\n' "cp -a" "$(ms "$c")" "$(ratio "$v" "$c")"
	if [ -n "$floor" ]; then
		local f vi
		f=$(median <"$W/$n.floor"); vi=$(median <"$W/$n.vsdin")
		printf '  %-26s %10s ms   (in-process, %d threads)\n' "floor: mkdirat+linkat only" "$(ms "$f")" "$(nproc)"
		printf '  %-26s %10s ms   create/floor = %s\n' "create, plan to record" "$(ms "$vi")" "$(ratio "$vi" "$f")"
	fi
	printf '  %-26s %10s ms\n' "vsdadm delete" "$(ms "$d")"
	printf '  %-26s %10s ms   vsdadm/rm-rf = %s\n' "rm -rf (cp -al copy)" "$(ms "$r")" "$(ratio "$d" "$r")"
	printf '  %-26s %10s KiB (cp -al copy: %s KiB, du)\n' "private disk per VS" "$((priv / 1024))" "$cpal_kib"
}

density() {	# density NAME N
	local n=$1 count=$2
	local conf=$W/$n/vsd.conf i t0 t1 kib d0
	quiesce "$W/$n/root/skel"
	t0=$(now)
	for ((i = 1; i <= count; i++)); do
		vsdadm -c "$conf" create d$i 10.251.$((i / 250)).$((i % 250 + 1)) d$i.bench.example >/dev/null ||
			{ echo "  create d$i failed"; break; }
	done
	t1=$(now)
	# du counts each inode once: what all VSs add to the skeleton
	kib=$(du -sk "$W/$n/root/skel" "$W/$n/root/vs" | tail -1 | cut -f1)
	d0=$(now)
	for ((i = 1; i <= count; i++)); do
		vsdadm -c "$conf" delete d$i >/dev/null 2>&1
	done
	printf '\n%d VSs in a row on the %s skeleton:\n' "$count" "$n"
	printf '  created in %s s (%s ms each), disk %s MiB (%s KiB per VS, du)\n' \
		"$(awk -v n=$((t1 - t0)) 'BEGIN {printf "%.1f", n/1e9}')" \
		"$(awk -v n=$((t1 - t0)) -v c="$count" 'BEGIN {printf "%.1f", n/1e6/c}')" \
		"$((kib / 1024))" "$((kib / count))"
	printf '  deleted in %s s\n' "$(awk -v n=$(($(now) - d0)) 'BEGIN {printf "%.1f", n/1e9}')"
}

echo "20-create: VS roots vs cp -al / cp -a / rm -rf (medians; lower ratio = faster)"
# cp -al makes ~3.9 syscalls per entry, a create ~1.2: the ratio depends
# on what entering the kernel costs here as much as on the filesystem
[ -n "$floor" ] && echo "syscall entry on this machine: $("$floor" -s) ns (getppid)"
setup small || exit 1
bench_one small "$ROUNDS" "$ROUNDS" || exit 1
if [ "$LARGE" = 1 ]; then
	# ~80,000 host files, staged with hard links (no data copied);
	# vsdskel copies them into its own skeleton, taking everything
	mkdir -p "$W/stage/usr/lib"
	# (cp -a where /usr is another filesystem)
	for d in share include bin; do cp -al "/usr/$d" "$W/stage/usr/$d" 2>/dev/null || cp -a "/usr/$d" "$W/stage/usr/$d"; done
	for d in python3 x86_64-linux-gnu; do
		[ -d "/usr/lib/$d" ] && { cp -al "/usr/lib/$d" "$W/stage/usr/lib/$d" 2>/dev/null || cp -a "/usr/lib/$d" "$W/stage/usr/lib/$d"; }
	done
	echo "copy /etc/*" >"$W/all.conf"
	setup large --from "$W/stage" --skel-conf "$W/all.conf" || exit 1
	# the stage goes after the timed runs: its 6,000 freed directory
	# inodes would slow the next inode allocations (see above)
	bench_one large 3 1 || exit 1
	rm -rf "$W/stage"
fi
[ "$DENSITY" -gt 0 ] && density small "$DENSITY"
exit 0
