#!/usr/bin/env bash
# 40-vsd: the management daemon.  vs_info requests per second and p99
# latency over the unix socket and over authenticated TCP with 1, 16 and
# 256 concurrent clients (build/tests/vsd-load); one vsdadm info through
# vsd against the same through the library (vsdadm --local), the tool an
# admin would otherwise run, side by side with hyperfine; then creating
# 250 VSs through vsd.
set -u
. "$VSD_TOP/tests/lib/common.sh"
. "$VSD_TOP/tests/lib/vsroot.sh"
. "$VSD_TOP/tests/lib/vsd.sh"
unset VSDADM_LOCAL
[ "$(id -u)" = 0 ] || { echo "40-vsd: needs root"; exit 0; }
L=$VSD_BUILD/tests/vsd-load
[ -x "$L" ] || { echo "40-vsd: build/tests/vsd-load missing (make)"; exit 1; }
new_state_root
fixture_skel "$ROOT/skel"
start_vsd "max_clients 2000
max_servers 300"
session $'vs_create web1 10.205.0.2 web1.example.com 100 0\nEOF\n' >/dev/null
echo "vs_info over the unix socket (requests per client: 2000 / 400 / 40):"
for c in 1 16 256; do
	n=$((c == 1 ? 2000 : c == 16 ? 400 : 40))
	printf '  unix  '; "$L" -U "$ROOT/run/vsd.sock" -c $c -n $n vs_info web1
done
echo "vs_info over TCP 127.0.0.1, authenticated:"
for c in 1 16 256; do
	n=$((c == 1 ? 2000 : c == 16 ? 400 : 40))
	printf '  tcp   '; "$L" -T 127.0.0.1 -p "$PORT" -s "$T/secret" -c $c -n $n vs_info web1
done
echo "pinned to one CPU (client and daemon), 1 client:"
taskset -pc 0 "$VSD_PID" >/dev/null
printf '  unix  '; taskset -c 0 "$L" -U "$ROOT/run/vsd.sock" -c 1 -n 2000 vs_info web1
taskset -pc 0-1 "$VSD_PID" >/dev/null
if command -v hyperfine >/dev/null; then
	echo "one 'vsdadm info' (a process per request): through vsd vs the library:"
	hyperfine -N -w 5 -r 100 --style basic \
		"vsdadm -c $CONF info web1" "vsdadm -c $CONF --local info web1" 2>&1 |
		grep -E 'Time|±|faster|vsdadm' | sed 's/^/  /'
fi
echo "creating 250 VSs through vsd (one session, sequential):"
{ for i in $(seq 2 251); do
	echo "vs_create b$i 10.206.$((i / 200)).$((i % 200 + 2)) b$i.example.com 10 0"
done; echo EOF; } >"$T/create.txt"
start=$(date +%s%N)
ok=$(timeout 600 socat -t 600 - "UNIX-CONNECT:$ROOT/run/vsd.sock" <"$T/create.txt" | grep -c '^+OK created')
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "  $ok VSs created in $ms ms ($((ms / (ok > 0 ? ok : 1))) ms each), $(du -sm "$ROOT/vs" | cut -f1) MiB for all roots"
echo "  with 251 VSs: $("$L" -U "$ROOT/run/vsd.sock" -c 16 -n 200 vs_list)  (vs_list)"
