#!/usr/bin/env bash
# `gateway yes` + `nat yes`: a VS reaches an "outside" network (a netns
# this test creates, never the real one) with its traffic masqueraded,
# cannot be forwarded into another VS, and destroy removes the nftables
# table.  The host's global ip_forward is never touched.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd nsenter ip ping nft socat
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
inst=$($H instance)
a=$((RANDOM % 200 + 20)) b=$((RANDOM % 250 + 1)) c=$(((b + 1) % 250 + 1))
IP=10.$a.$b.41 IP2=10.$a.$b.42 OUT_H=10.$a.$c.1 OUT=10.$a.$c.2
PIN=$ROOT/run/netns
VO=vo$inst
fwd_before=$(cat /proc/sys/net/ipv4/ip_forward)
for n in vs other out; do defer "$H net destroy $n"; done
defer "ip link del $VO"
defer "kill \$holder \$lp 2>/dev/null"

# the outside: a loopback-only netns plus a veth to the host, 10.a.c.0/24,
# with no route back to the VS: only masquerading lets replies return
run_ok "create the outside netns" $H net create out 9 none
ip link add $VO type veth peer name o$inst
nsenter --net="$PIN/out" sleep 300 &
holder=$!
sleep 0.2
ip link set o$inst netns $holder
ip addr add $OUT_H/24 dev $VO
ip link set $VO up
echo 1 >/proc/sys/net/ipv4/conf/$VO/forwarding
nsenter --net="$PIN/out" ip addr add $OUT/24 dev o$inst
nsenter --net="$PIN/out" ip link set o$inst up
run_ok "the host reaches the outside" ping -c1 -W2 $OUT

cat >>"$CONF" <<EOC
gateway yes
nat yes
EOC
run_ok "create a VS with gateway yes, nat yes" $H net create vs 7 $IP
nft list table ip "freevsd-$inst-vs" >/dev/null 2>&1
ok $? "the VS's nat table exists"
run_ok "the VS pings the outside" nsenter --net="$PIN/vs" ping -c1 -W2 $OUT
nsenter --net="$PIN/out" socat TCP-LISTEN:9000,bind=$OUT,reuseaddr \
    SYSTEM:'echo $SOCAT_PEERADDR' &
lp=$!
got=
for _ in $(seq 30); do
	got=$(nsenter --net="$PIN/vs" socat -T2 - TCP:$OUT:9000 </dev/null 2>/dev/null) &&
	    [ -n "$got" ] && break
	sleep 0.1
done
is "$got" "$OUT_H" "the outside sees the host's address (masqueraded), not $IP"
kill $lp 2>/dev/null; wait $lp 2>/dev/null

# another VS: the NATed one must not be forwarded into it
sed -i 's/^nat yes/nat no/' "$CONF"
run_ok "create a second VS without nat" $H net create other 8 $IP2
run_ok "the host reaches it" ping -c1 -W2 $IP2
run_fails "the NATed VS cannot reach the other VS through the host" \
    nsenter --net="$PIN/vs" ping -c1 -W1 $IP2
run_fails "the VS without nat cannot reach the outside" \
    nsenter --net="$PIN/other" ping -c1 -W1 $OUT

# destroy works from the marker even though vsd.conf now says nat no
run_ok "destroy the NATed VS" $H net destroy vs
nft list table ip "freevsd-$inst-vs" >/dev/null 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "its nat table is gone"
is "$(ls "$PIN" | grep -c nat)" 0 "no nat marker left"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$fwd_before" "global ip_forward untouched"
done_testing
