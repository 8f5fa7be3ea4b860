# tests/lib/common.sh - shared by the integration scripts (source it).
#
# Gives each script: TAP output (ok / not_ok / is / diag / skip_all /
# done_testing), its own state root in a temporary directory with a
# vsd.conf pointing at it ($T, $ROOT, $CONF, exported VSD_CONF), and a
# cleanup stack run on every exit, also on failure: `defer CMD...` pushes
# a command; mounts under $T are lazily detached before $T is removed.
# Scripts never touch /etc/vsd or /var/lib/vsd of the host.

set -u
VSD_TOP=${VSD_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VSD_BUILD=${VSD_BUILD:-$VSD_TOP/build}
PATH=$VSD_BUILD:$PATH
export PATH VSD_TOP VSD_BUILD

_tap_n=0
_tap_fail=0
_defer=()

diag() { printf '# %s\n' "$*"; }
ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION  (use: cmd; ok $? "desc")
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		_tap_fail=$((_tap_fail + 1))
	fi
}
not_ok() { ok 1 "$*"; }
pass() { ok 0 "$*"; }
is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  '$1'"; diag "want: '$2'"; fi
}
# run_ok DESC CMD...: the command must succeed (output shown on failure)
run_ok() {
	local d=$1 out; shift
	if out=$("$@" 2>&1); then ok 0 "$d"; else
		ok 1 "$d"; printf '%s\n' "$out" | sed 's/^/#   /' | tail -20; fi
}
# run_fails DESC CMD...: the command must fail
run_fails() {
	local d=$1 out; shift
	if out=$("$@" 2>&1); then ok 1 "$d"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -20; else ok 0 "$d"; fi
}
skip_all() { echo "1..0 # SKIP $*"; _skipped=1; exit 77; }
done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ] || { diag "$_tap_fail of $_tap_n failed"; exit 1; }
	exit 0
}
bail() { echo "Bail out! $*"; exit 1; }

defer() { _defer+=("$*"); }

_cleanup() {
	local rc=$? i
	for ((i = ${#_defer[@]} - 1; i >= 0; i--)); do
		eval "${_defer[$i]}" >/dev/null 2>&1 || true
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		# never leave a mount behind, never rm -rf across one
		findmnt -rn -o TARGET | grep -F "$T/" | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
		if findmnt -rn -o TARGET | grep -qF "$T/"; then
			echo "# cleanup: mounts left under $T, not removing it" >&2
		else
			rm -rf --one-file-system "$T"
		fi
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_cmd() { local c; for c; do command -v "$c" >/dev/null 2>&1 ||
	skip_all "needs $c"; done; }

# new_state_root: $T (temp dir), $ROOT (state root), $CONF (vsd.conf)
new_state_root() {
	T=$(mktemp -d /tmp/vsdtest.XXXXXX) || bail "mktemp"
	chmod 755 "$T"
	ROOT=$T/root
	CONF=$T/vsd.conf
	mkdir -p "$ROOT"
	cat >"$CONF" <<EOC
state_root "$ROOT"
skel_conf "$VSD_TOP/conf/skel.conf"
secret_file "$T/secret"
listen none
EOC
	export VSD_CONF=$CONF
}
