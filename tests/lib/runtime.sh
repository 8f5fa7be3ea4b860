# tests/lib/runtime.sh - helpers of the runtime tests (100-149); source
# after common.sh.
#
# rt_setup: a state root with a fixture skeleton (vsroot.sh) and the
#   attack probe (tests/helpers/vsprobe.c) at $T/vsprobe.
# rt_vs NAME IP: create VS NAME with vsdadm, put vsprobe into it as
#   /usr/bin/vsprobe, and make sure it is stopped when the script ends.
# rt_init_pid NAME: host pid of the VS's vsinit ("" if not running).
# rt_cgroups PID: the cgroup directories (v1 and v2) of PID, one a line.
# rt_leftovers NAME CGROUPS PIDNS: prints whatever the VS left on the host
#   (pid file, netns pin, veth, cgroup dirs, processes in its PID
#   namespace PIDNS, e.g. "pid:[4026532]" from rt_pidns).

. "$VSD_TOP/tests/lib/vsroot.sh"

rt_setup() {
	need_root
	need_cmd vsdadm vsboot bevs
	new_state_root
	host_ids_fixture
	S=$ROOT/skel
	mkdir -p "$S" "$ROOT/state/skel"
	fixture_skel "$S"
	[ -x "$VSD_BUILD/tests/vsprobe" ] || bail "build/tests/vsprobe missing (make)"
	cp "$VSD_BUILD/tests/vsprobe" "$T/vsprobe"
}

rt_vs() {
	local name=$1 ip=$2 base
	vsdadm vs_create localhost "$name" "$ip" "$name.example.com" 100 0 \
		>/dev/null || bail "vs_create $name"
	base=$(vs_uid "$name")
	install -m 0755 -o "$base" -g "$base" "$T/vsprobe" \
		"$ROOT/vs/$name/usr/bin/vsprobe"
	rt_tools "$name" grep wc tr env sleep head sed readlink
	defer vsboot --stop -t 2 "$name"
}

# rt_tools NAME PROG...: copy host programs (and their libraries) into
# the VS as its own files
rt_tools() {
	local name=$1 v=$ROOT/vs/$1 base b lib; shift
	base=$(vs_uid "$name")
	for b; do
		install -m 0755 -o "$base" -g "$base" "$(command -v "$b")" "$v/usr/bin/$b"
		for lib in $(ldd "$(command -v "$b")" | grep -o '/[^ ]*\.so[^ ]*'); do
			[ -e "$v$lib" ] && continue
			mkdir -p "$v$(dirname "$lib")"
			install -m 0755 -o "$base" -g "$base" "$lib" "$v$lib"
		done
	done
}

# rt_wait_log FILE PATTERN [SECONDS]: wait until FILE has a line matching
# PATTERN (grep -E), at most SECONDS (default 10); status as grep's
rt_wait_log() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -qE "$2" "$1" 2>/dev/null
}

rt_init_pid() {
	[ -f "$ROOT/run/$1.pid" ] && cut -d' ' -f1 "$ROOT/run/$1.pid"
}

rt_cgroups() {
	local line ctrl path v2
	# the unified hierarchy: /sys/fs/cgroup/unified on a hybrid host,
	# /sys/fs/cgroup itself on a v2 host (the qemu guest)
	v2=$(findmnt -rn -t cgroup2 -o TARGET | head -1)
	while IFS= read -r line; do
		ctrl=$(cut -d: -f2 <<<"$line"); path=$(cut -d: -f3- <<<"$line")
		case $ctrl in
		"") [ -n "$v2" ] && [ -d "$v2$path" ] && [ "$path" != / ] &&
			echo "$v2$path";;
		name=*) ;;
		*) ctrl=${ctrl%%,*}; [ -d "/sys/fs/cgroup/$ctrl$path" ] &&
			[ "$path" != / ] && echo "/sys/fs/cgroup/$ctrl$path";;
		esac
	done <"/proc/$1/cgroup" | grep freevsd- | sort -u
}

rt_pidns() { readlink "/proc/$1/ns/pid"; }

rt_leftovers() {
	local name=$1 cgs=$2 pidns=$3 d p inst
	inst=$(grep -o 'freevsd-[0-9a-f]*' <<<"$cgs" | head -1)
	[ -e "$ROOT/run/$name.pid" ] && echo "pid file"
	[ -e "$ROOT/run/netns/$name" ] && echo "netns pin"
	ip -o link show 2>/dev/null | grep -q "freevsd:${inst#freevsd-}:$name\$" &&
		echo "veth of $name"
	for d in $cgs; do [ -d "$d" ] && echo "cgroup $d"; done
	# one ls for all processes; zombies hold nothing but a pid (their
	# reaper may be a subreaper of the test runner that never waits)
	ls -l /proc/[0-9]*/ns/pid 2>/dev/null | grep -F "$pidns" |
		sed 's|.*/proc/\([0-9]*\)/ns/pid.*|\1|' | while read -r p; do
		grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null ||
			echo "process $p $(cat "/proc/$p/comm" 2>/dev/null)"
	done
	findmnt -rn -o TARGET | grep -F "$ROOT/" | sed 's/^/mount /'
}
