#!/usr/bin/env bash
# A VS's network (netns pinned under the state root, veth, addresses,
# routes both sides, then destroy) made by priv/net.c over rtnetlink,
# against the same steps scripted with iproute2 + nsenter, as an admin
# would.  Same run, interleaved by hyperfine; medians and the ratio.
set -u
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
H=$top/build/tests/vs-cgnet
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 0; }
[ -x "$H" ] || { echo "needs $H (make build/tests/vs-cgnet)"; exit 0; }
command -v hyperfine >/dev/null || { echo "needs hyperfine"; exit 0; }
T=$(mktemp -d /tmp/vsdbench.XXXXXX)
trap '$H net destroy b >/dev/null 2>&1; umount -l $T/pin 2>/dev/null;
	ip link del vbip$$ 2>/dev/null; rm -rf "$T"' EXIT
printf 'state_root "%s/root"\nlisten none\n' "$T" >"$T/vsd.conf"
export VSD_CONF=$T/vsd.conf
IP=10.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).7
# the iproute2 equivalent, step by step (pin with unshare --net=FILE)
cat >"$T/ip.sh" <<EOS
set -e
touch $T/pin
unshare --net=$T/pin true
n="nsenter --net=$T/pin"
\$n ip link set lo up
ip link add vbip$$ type veth peer name eth0 netns $T/pin 2>/dev/null ||
	{ \$n ip link add eth0 type veth peer name vbip$$ netns 1; }
\$n ip addr add $IP/32 dev eth0
\$n ip link set eth0 up
ip link set vbip$$ up
ip addr add 169.254.77.1/32 dev vbip$$ scope link
ip route add $IP/32 dev vbip$$ src 169.254.77.1
\$n ip route add 169.254.77.1/32 dev eth0 src $IP
ip link del vbip$$
umount $T/pin
rm -f $T/pin
EOS
bash "$T/ip.sh" || { echo "the iproute2 script fails here"; exit 0; }
hyperfine -N --warmup 3 --runs 40 --export-json "$T/r.json" \
	-n "vs_net_create+destroy (rtnetlink)" "sh -c '$H net create b 1 $IP && $H net destroy b'" \
	-n "iproute2+nsenter script" "bash $T/ip.sh" >/dev/null 2>&1 ||
	{ echo "hyperfine failed"; exit 0; }
med=($(grep -o '"median": *[0-9.e-]*' "$T/r.json" | awk '{print $2}'))
awk -v a="${med[0]}" -v b="${med[1]}" 'BEGIN {
	printf "%-40s %10s\n", "VS network create + destroy", "median"
	printf "%-40s %8.2f ms\n", "vs_net_create+destroy (rtnetlink)", a * 1000
	printf "%-40s %8.2f ms\n", "iproute2 + nsenter script", b * 1000
	printf "ratio ours / iproute2: %.2f\n", a / b }'
