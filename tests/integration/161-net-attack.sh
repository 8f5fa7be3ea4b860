#!/usr/bin/env bash
# Attacks from inside a VS's network namespace by a process that is root
# only in its own user namespace (as a VS's root is): it must not change
# its address, links, routes, firewall or sysctls, open raw sockets to
# spoof, bind a privileged port, or get back into the host's netns.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd nsenter unshare ip socat ping
H=$VSD_BUILD/tests/vs-cgnet
[ -x "$H" ] || bail "no $H"
new_state_root
unshare --user --map-root-user true 2>/dev/null || skip_all "no user namespaces"
a=$((RANDOM % 200 + 20)) b=$((RANDOM % 250 + 1))
IP=10.$a.$b.21
PIN=$ROOT/run/netns/vs
defer "$H net destroy vs"
run_ok "create the VS network ($IP)" $H net create vs 4 $IP
# "vsroot CMD": CMD in the VS netns, as uid 0 of a fresh user namespace
vsroot() { nsenter --net="$PIN" unshare --user --map-root-user "$@"; }
# denied DESC CMD...: must fail with EPERM/EACCES (not "not found")
denied() {
	local d=$1 out; shift
	if out=$(vsroot "$@" 2>&1); then ok 1 "$d"; diag "succeeded: $out"
	else case $out in
		*"not permitted"*|*"Permission denied"*) ok 0 "$d";;
		*) ok 1 "$d"; diag "failed for another reason: $out";;
	esac; fi
}
is "$(vsroot id -u)" 0 "the attacker is uid 0 in its user namespace"

denied "cannot add an address" ip addr add 10.$a.$b.99/32 dev eth0
denied "cannot delete its address" ip addr del $IP/32 dev eth0
denied "cannot take eth0 down" ip link set eth0 down
denied "cannot rename eth0" ip link set eth0 name x0
denied "cannot add a route" ip route add 10.$a.0.0/16 dev eth0
denied "cannot add a default route" ip route add default via 169.254.77.1
denied "cannot create links" ip link add d0 type dummy
denied "cannot add firewall rules" nft add table ip evil
run_fails "cannot write net sysctls" vsroot sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
is "$(nsenter --net="$PIN" cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward still 0 inside"
denied "cannot open a raw socket (no spoofing)" socat -u /dev/null IP4-SENDTO:169.254.77.1:253
denied "cannot bind port 80" socat -T1 TCP-LISTEN:80,bind=$IP /dev/null
vsroot socat -T1 TCP-LISTEN:8080,bind=$IP /dev/null &
lp=$!
sleep 0.3
socat -T1 /dev/null TCP:$IP:8080 2>/dev/null
ok $? "can bind an unprivileged port (8080), reachable from the host"
kill $lp 2>/dev/null; wait $lp 2>/dev/null
denied "cannot enter the host's netns" nsenter --net=/proc/1/ns/net true

is "$(nsenter --net="$PIN" ip -4 -o addr show dev eth0 | awk '{print $4}')" "$IP/32" \
    "the address is unchanged"
is "$(nsenter --net="$PIN" ip route | wc -l)" 1 "the routes are unchanged"
run_ok "the host still reaches the VS" ping -c1 -W2 $IP
run_ok "destroy" $H net destroy vs
done_testing
