#!/usr/bin/env bash
# A VS's network: netns pinned under the state root, lo up, eth0 with the
# VS's /32, host route via vh<instance><n>; the address answers ping and
# TCP from the host; gateway no/yes; two VSs side by side cannot reach
# each other; VS_NET_NONE is loopback only; destroy leaves nothing.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ping socat nsenter ip
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
inst=$($H instance)
a=$((RANDOM % 200 + 20)) b=$((RANDOM % 250 + 1))
IP1=10.$a.$b.11 IP2=10.$a.$b.12
PIN=$ROOT/run/netns
defer "$H net destroy one"
defer "$H net destroy two"
defer "$H net destroy none"
defer "kill \$lpid 2>/dev/null"
in1() { nsenter --net="$PIN/one" "$@"; }

run_ok "create one ($IP1, number 1)" $H net create one 1 $IP1
run_ok "the pin opens as a netns" $H net open one
is "$(ip -o link show "vh${inst}1" 2>/dev/null | grep -Ec '[<,]UP[,>]')" 1 \
    "host side vh${inst}1 is up"
ip -d link show "vh${inst}1" | grep -q "alias freevsd:$inst:one"
ok $? "host side carries the alias freevsd:$inst:one"
is "$(ip -4 -o addr show dev "vh${inst}1" | awk '{print $4}')" 169.254.77.1/32 \
    "host side has host_addr/32"
is "$(ip route show "$IP1" | awk '{print $1, $2, $3}')" "$IP1 dev vh${inst}1" \
    "host route to the VS address"
is "$(in1 ip -4 -o addr show dev eth0 | awk '{print $4}')" "$IP1/32" \
    "inside: eth0 has the VS address /32"
is "$(in1 ip -o link show lo | grep -c 'UP')" 1 "inside: lo is up"
is "$(in1 ip -6 addr show dev eth0 | grep -c inet6)" 0 "inside: no IPv6 on eth0"
is "$(in1 ip route show default)" "" "gateway no: no default route inside"
is "$(in1 ip route show 169.254.77.1 | awk '{print $1, $2, $3}')" \
    "169.254.77.1 dev eth0" "inside: route to the host address"

run_ok "host pings the VS" ping -c1 -W2 $IP1
run_ok "VS pings the host address" in1 ping -c1 -W2 169.254.77.1
run_ok "VS pings its own loopback" in1 ping -c1 -W2 127.0.0.1
in1 socat TCP-LISTEN:8080,bind=$IP1,reuseaddr SYSTEM:'echo hello-from-vs' &
lpid=$!
got=
for _ in $(seq 50); do
	got=$(socat -T2 - TCP:$IP1:8080 </dev/null 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.1
done
is "$got" hello-from-vs "TCP from the host reaches a service in the VS"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null

# a second VS with a gateway: default route via host_addr
echo "gateway yes" >>"$CONF"
run_ok "create two ($IP2, number 2, gateway yes)" $H net create two 2 $IP2
is "$(nsenter --net="$PIN/two" ip route show default | awk '{print $1, $2, $3}')" \
    "default via 169.254.77.1" "gateway yes: default route via host_addr"
run_ok "host pings both (same host_addr on two veths)" ping -c1 -W2 $IP2
run_ok "... and the first still" ping -c1 -W2 $IP1
run_fails "VS one cannot reach VS two (no route)" in1 ping -c1 -W1 $IP2

# an address already in use on the host is refused, the first VS untouched
out=$($H net create thief 4 $IP1 2>&1)
ok "$([ $? -ne 0 ]; echo $?)" "a second VS with the same address is refused"
case $out in *"already routed"*) pass "... saying the address is in use";;
	*) not_ok "... saying the address is in use: $out";; esac
run_ok "the first VS still answers" ping -c1 -W2 $IP1
is "$(ip -o link show | grep -c "vh${inst}4")" 0 "the refused VS left no veth"
is "$(ls "$PIN" | grep -c thief)" 0 "... and no pin"

# loopback only (vstry)
run_ok "create none (VS_NET_NONE)" $H net create none 3 none
is "$(nsenter --net="$PIN/none" ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')" \
    "lo " "VS_NET_NONE: only lo"
run_ok "VS_NET_NONE: lo works" nsenter --net="$PIN/none" ping -c1 -W2 127.0.0.1

# create again over an existing one: clean re-create, same state
run_ok "create one again (repairs, idempotent)" $H net create one 1 $IP1
run_ok "host still pings one" ping -c1 -W2 $IP1

for n in one two none; do run_ok "destroy $n" $H net destroy $n; done
run_ok "destroy again (idempotent)" $H net destroy one
is "$(ip -o link show | grep -c "vh$inst")" 0 "no vh$inst* interface left"
is "$(ip route | grep -c "10\.$a\.$b\.")" 0 "no host route left"
is "$(findmnt -rn -o TARGET | grep -c "^$PIN/")" 0 "no netns pin mounted"
is "$(ls "$PIN" | wc -l)" 0 "no pin file left"
run_fails "open after destroy fails" $H net open one
done_testing
