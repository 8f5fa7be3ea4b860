#!/usr/bin/env bash
# 42-rights: what enforcing a right costs, against what an admin would do
# by hand, interleaved (A B C D A B C D ...) in one run; medians of the
# wall time; vsd's CPU time (executor and its reaped workers, from /proc,
# in clock ticks) summed over the runs and given per operation.
# Skeleton: conf/skel.conf from this host (perl 3.6 MiB, bash 1.2 MiB).
#   govern:   setrights web1 alice -perl through vsd (perl and its second
#             name become the VS's copy, /etc/group rewritten)  vs  by
#             hand: cp, chown, chmod, mv, ln, mv of the same files
#   ungovern: setrights web1 alice +perl (back to the skeleton's inode)
#             vs  by hand: ln of the skeleton file, mv, for both names
#   noop:     setrights web1 bob +ftp while perl stays governed (every
#             governed copy checked: owner, group, mode, content)  vs
#             listrights web1 bob (the same round trip, no enforcement)
set -u
. "$VSD_TOP/tests/lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/skel.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
[ "$(id -u)" = 0 ] || { echo "42-rights: needs root"; exit 0; }
runs=${BENCH_RUNS:-15}
new_state_root
host_ids_fixture
make_skel
start_vsd
S=$ROOT/skel V=$ROOT/vs/web1
session $'vs_create web1 10.214.0.2 web1.example.com 100 0\nuser_add web1 alice\nuser_add web1 bob\nsetrights web1 alice +perl +shell\nsetrights web1 bob +perl +shell\nEOF\n' >/dev/null
[ "$(stat -c %i "$V/usr/bin/perl")" = "$(stat -c %i "$S/usr/bin/perl")" ] ||
	{ echo "42-rights: perl is not shared at the start"; exit 1; }
base=$(sed -n 's/^uid_base //p' "$ROOT/state/vs/web1")
gid=$((base + 990))
ns() { date +%s%N; }
cpu() { awk '{print $14 + $15 + $16 + $17}' "/proc/$VSD_PID/stat"; }
hz=$(getconf CLK_TCK)
one() { session "$1"$'\nEOF\n' >/dev/null; }
hand_govern() {
	cp --preserve=timestamps "$S/usr/bin/perl" "$V/usr/bin/.h" &&
	chown "$base:$gid" "$V/usr/bin/.h" && chmod 0550 "$V/usr/bin/.h" &&
	ln "$V/usr/bin/.h" "$V/usr/bin/.h2" && mv "$V/usr/bin/.h" "$V/usr/bin/perl" &&
	mv "$V/usr/bin/.h2" "$V/usr/bin/perl5.36.0"
}
hand_ungovern() {
	ln "$S/usr/bin/perl" "$V/usr/bin/.h" && mv "$V/usr/bin/.h" "$V/usr/bin/perl" &&
	ln "$S/usr/bin/perl5.36.0" "$V/usr/bin/.h" && mv "$V/usr/bin/.h" "$V/usr/bin/perl5.36.0"
}
declare -A t c
names=(vsd-govern hand-govern vsd-ungovern hand-ungovern vsd-noop vsd-listrights)
timed() {	# timed NAME CMD...
	local n=$1 s c0; shift
	sync; c0=$(cpu); s=$(ns)
	"$@"
	t[$n]+="$(( ($(ns) - s) / 1000 )) "
	c[$n]+="$(( ($(cpu) - c0) * 1000000 / hz )) "
}
for ((i = 0; i < runs; i++)); do
	timed vsd-govern one "setrights web1 alice -perl"
	timed vsd-noop one "setrights web1 bob +ftp"
	timed vsd-listrights one "listrights web1 bob"
	timed vsd-ungovern one "setrights web1 alice +perl"
	timed hand-govern hand_govern
	timed hand-ungovern hand_ungovern
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "load: $(uptime | sed 's/.*load/load/'); $runs runs each, interleaved"
mean() { tr ' ' '\n' | grep . | awk '{s += $1} END {printf "%d", NR ? s / NR : 0}'; }
printf '%-16s %12s %20s\n' operation median_us vsd_cpu_us_mean
for n in "${names[@]}"; do
	printf '%-16s %12s %20s\n' "$n" "$(echo "${t[$n]}" | median)" \
		"$( [ "${n#vsd}" != "$n" ] && echo "${c[$n]}" | mean || echo -)"
done
r() { awk -v a="$(echo "${t[$1]}" | median)" -v b="$(echo "${t[$2]}" | median)" \
	'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }
echo "ratios: govern vsd/hand $(r vsd-govern hand-govern), ungovern vsd/hand $(r vsd-ungovern hand-ungovern), noop setrights/listrights $(r vsd-noop vsd-listrights)"
echo "(vsd's CPU counted in ticks of $((1000000 / hz)) us: a mean over $runs runs; the hand commands do not rewrite /etc/group)"
