#!/usr/bin/env bash
# Leftovers of crashes are repaired: a netns whose VS died by kill -9, a
# stale pin file without its mount, a stale veth with the VS's interface
# name, and vs_net_create itself killed -9 at random points: the next
# create succeeds and the next destroy leaves nothing.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd nsenter ip ping
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
inst=$($H instance)
a=$((RANDOM % 200 + 20)) b=$((RANDOM % 250 + 1))
IP=10.$a.$b.31
PIN=$ROOT/run/netns
for n in vs stale k; do defer "$H net destroy $n"; done
defer "ip link del vh${inst}5 2>/dev/null"
defer "kill -9 \$holder 2>/dev/null"

# nothing of this instance is left: links, routes, pins
clean() {
	local i
	for i in $(seq 40); do	# a dead netns is torn down asynchronously
		[ "$(ip -o link show | grep -c "vh$inst")" = 0 ] && break
		sleep 0.05
	done
	is "$(ip -o link show | grep -c "vh$inst")" 0 "$1: no vh$inst* left"
	is "$(ip route | grep -c "10\.$a\.$b\.")" 0 "$1: no host route left"
	is "$(findmnt -rn -o TARGET | grep -c "^$PIN/")" 0 "$1: no pin mounted"
	is "$(ls "$PIN" 2>/dev/null | wc -l)" 0 "$1: no pin file left"
}

# 1. the VS's processes died by kill -9, the network stayed
run_ok "create" $H net create vs 1 $IP
nsenter --net="$PIN/vs" sleep 300 &
holder=$!
sleep 0.2
kill -9 $holder; wait $holder 2>/dev/null
run_ok "create again over the leftovers" $H net create vs 1 $IP
is "$(ip -o link show | grep -c "vh$inst")" 1 "exactly one veth"
run_ok "the VS answers" ping -c1 -W2 $IP
run_ok "destroy" $H net destroy vs
clean "after kill -9 of the VS"

# 2. a pin file whose mount is gone (crash between creating and mounting)
mkdir -p "$PIN"; : >"$PIN/stale"
out=$($H net open stale 2>&1)
ok "$([ $? -ne 0 ]; echo $?)" "open of a stale pin fails"
case $out in *"stale pin"*) pass "... and says so";; *) not_ok "... and says so: $out";; esac
run_ok "create over the stale pin" $H net create stale 2 $IP
run_ok "the VS answers" ping -c1 -W2 $IP
run_ok "destroy" $H net destroy stale
clean "after a stale pin"

# 3. a stale link with the VS's interface name (no alias, no netns)
ip link add "vh${inst}5" type veth peer name "vp${inst}5"
run_ok "create number 5 despite a stale vh${inst}5" $H net create k 5 $IP
ip -d link show "vh${inst}5" | grep -q "alias freevsd:$inst:k"
ok $? "vh${inst}5 is now ours"
ip link show "vp${inst}5" >/dev/null 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "the stale pair is gone"
run_ok "destroy" $H net destroy k
clean "after a stale link"

# 4. vs_net_create killed -9 at random points
for i in $(seq 12); do
	$H net create k 6 $IP >/dev/null 2>&1 &
	p=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 $p 2>/dev/null; wait $p 2>/dev/null
	$H net destroy k || { not_ok "destroy after kill -9 #$i"; break; }
done
pass "12 creates killed -9, each followed by destroy"
run_ok "a create after that works" $H net create k 6 $IP
run_ok "the VS answers" ping -c1 -W2 $IP
run_ok "destroy" $H net destroy k
clean "after kill -9 during create"
done_testing
