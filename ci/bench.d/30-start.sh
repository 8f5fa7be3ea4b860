#!/usr/bin/env bash
# VS start-up vs the tools a user would otherwise pick, in one run, on the
# same root: `bevs NAME /usr/bin/true` on a running VS against
# `bwrap --unshare-all` and `unshare ... chroot`; a full start of a VS (to
# vsinit running) and start+stop; then memory per idle VS with many
# running (VSD_BENCH_VSS, default 50).  Medians and ratios; never
# pass/fail.
set -u
source "$VSD_TOP/tests/lib/common.sh"
source "$VSD_TOP/tests/lib/vsroot.sh"
need_root
need_cmd hyperfine bwrap unshare vsdadm vsboot bevs python3
new_state_root
host_ids_fixture
S=$ROOT/skel
mkdir -p "$S" "$ROOT/state/skel"
fixture_skel "$S"
NVS=${VSD_BENCH_VSS:-50}
net=$(( $$ % 200 + 20 ))
vsdadm vs_create localhost web1 10.82.$net.2 web1.example.com 100 0 >/dev/null || bail "create"
vsdadm vs_create localhost web2 10.82.$net.3 web2.example.com 100 0 >/dev/null || bail "create"
defer "vsboot --stop --all -t 2"
vsboot --start web1 >/dev/null || bail "start"
V=$ROOT/vs/web1
J=$T/json
mkdir -p "$J"
hf() { hyperfine -N --style basic --warmup 3 --runs ${RUNS:-30} "$@" 2>&1 | grep -v '^ *$'; }

echo "--- /usr/bin/true in an isolated root ($(find "$V" | wc -l) entries)"
hf --export-json "$J/exec.json" \
	-n "bevs web1 true" "bevs web1 /usr/bin/true" \
	-n "bwrap --unshare-all" "bwrap --unshare-all --bind $V / --proc /proc --dev /dev /usr/bin/true" \
	-n "unshare -mpuin --fork chroot" "unshare -m -p -u -i -n --fork chroot $V /usr/bin/true"

echo "--- start a VS (returns when vsinit runs), and start + stop"
hf --export-json "$J/start.json" \
	-n "vsboot --start" --prepare "vsboot --stop -t 2 web2" "vsboot --start web2" \
	-n "vsboot --start; --stop" --prepare "vsboot --stop -t 2 web2" \
	"bash -c 'vsboot --start web2 >/dev/null && vsboot --stop -t 2 web2 >/dev/null'"
vsboot --stop -t 2 web2 >/dev/null

# NVS VSs in all (max_servers is 250): web1, web2 and m3..mNVS
echo "--- memory with $NVS idle VSs running"
avail() { sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
for i in $(seq 3 "$NVS"); do
	vsdadm vs_create localhost "m$i" 10.83.$((i / 250)).$((i % 250 + 2)) "m$i.example.com" 10 0 \
		>/dev/null || bail "create m$i"
done
sync; echo 3 >/proc/sys/vm/drop_caches; sleep 1
vsboot --stop -t 2 web1 >/dev/null
before=$(avail)
t0=$(date +%s%N)
vsboot --start web1 >/dev/null || bail "start web1"
vsboot --start web2 >/dev/null || bail "start web2"
for i in $(seq 3 "$NVS"); do vsboot --start "m$i" >/dev/null || bail "start m$i"; done
t1=$(date +%s%N)
sleep 2
after=$(avail)
pss=0 cgmem=0
for f in "$ROOT"/run/*.pid; do
	read -r init _ mon _ <"$f"
	for p in $init $mon; do
		k=$(sed -n 's/^Pss: *\([0-9]*\) kB/\1/p' /proc/$p/smaps_rollup 2>/dev/null)
		pss=$((pss + ${k:-0}))
	done
	# what the VS's cgroup charges (its processes, page tables, tmpfs)
	cg=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/$init/cgroup)
	if [ -n "$cg" ] && [ -r "/sys/fs/cgroup/memory$cg/memory.usage_in_bytes" ]; then
		cgmem=$((cgmem + $(cat "/sys/fs/cgroup/memory$cg/memory.usage_in_bytes") / 1024))
	elif [ -r "/sys/fs/cgroup$(sed -n 's/^0::\(.*\)/\1/p' /proc/$init/cgroup)/memory.current" ]; then
		cgmem=$((cgmem + $(cat "/sys/fs/cgroup$(sed -n 's/^0::\(.*\)/\1/p' /proc/$init/cgroup)/memory.current") / 1024))
	fi
done
python3 - "$J" "$NVS" "$before" "$after" "$pss" "$(( (t1 - t0) / 1000000 ))" "$cgmem" <<'PY'
import json, sys
j, n, before, after, pss, ms, cg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def get(f, name, key):
    for r in json.load(open(f"{j}/{f}.json"))["results"]:
        if r["command"] == name:
            return (r[key] if key != "min" else min(r["times"])) * 1000
# medians, and minimums (on a busy shared host the least disturbed run)
for key in ("median", "min"):
    b = get("exec", "bevs web1 true", key)
    w = get("exec", "bwrap --unshare-all", key)
    u = get("exec", "unshare -mpuin --fork chroot", key)
    s = get("start", "vsboot --start", key)
    ss = get("start", "vsboot --start; --stop", key)
    print(f"[{key}]")
    print(f"  bevs NAME true      {b:7.2f} ms")
    print(f"  bwrap --unshare-all {w:7.2f} ms   bevs/bwrap   = {b / w:.2f}x (target <= 1.2x)")
    print(f"  unshare + chroot    {u:7.2f} ms   bevs/unshare = {b / u:.2f}x")
    print(f"  vsboot --start      {s:7.2f} ms   (target < 50 ms to vsinit running)")
    print(f"  start + stop        {ss:7.2f} ms")
print(f"{n} VSs started in {ms} ms ({ms / n:.1f} ms each, sequential vsboot calls)")
print(f"memory per idle VS: {pss / n / 1024:.2f} MiB PSS of vsinit + monitor, "
      f"{cg / n / 1024:.2f} MiB charged to its cgroup, "
      f"{(before - after) / n / 1024:.2f} MiB by MemAvailable (noisy on a shared host)")
PY
