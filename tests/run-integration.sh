#!/usr/bin/env bash
# Run the integration suite: every tests/integration/NNN-*.sh in order.
# Each script speaks TAP and exits 0 (pass), 77 (skip, with a reason on
# stdout) or anything else (fail).  Output of each script is kept in
# build/test-logs/.  With CI=true a skip counts as a failure unless
# VSD_ALLOW_SKIP=1 (the qemu guest sets it for host-only checks).
# Usage: tests/run-integration.sh [PREFIX...]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
if [ "$(id -u)" != 0 ]; then
	echo "integration suite: needs root (it creates namespaces, cgroups, mounts)" >&2
	exit 2
fi
logs=$top/build/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0 failed=()
for t in tests/integration/[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		m=0; for p in "$@"; do case $name in "$p"*) m=1;; esac; done
		[ $m = 1 ] || continue
	fi
	start=$(date +%s%N)
	VSD_TOP=$top VSD_BUILD=$top/build timeout "${VSD_TEST_TIMEOUT:-900}" \
		bash "$t" >"$logs/$name.log" 2>&1 </dev/null
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	secs=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
	case $rc in
	0)  pass=$((pass+1)); printf 'PASS %-40s %8ss\n' "$name" "$secs";;
	77) skip=$((skip+1)); printf 'SKIP %-40s %s\n' "$name" \
		"$(grep -m1 -i 'skip' "$logs/$name.log" | cut -c1-100)";;
	*)  fail=$((fail+1)); failed+=("$name")
	    printf 'FAIL %-40s (exit %d)\n' "$name" "$rc"
	    sed 's/^/    | /' "$logs/$name.log" | tail -40;;
	esac
done
if [ "${CI:-}" = true ] && [ "${VSD_ALLOW_SKIP:-0}" != 1 ] && [ $skip -gt 0 ]; then
	echo "CI: $skip skipped script(s) count as failures here"
	fail=$((fail+skip))
fi
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
