#!/usr/bin/env bash
# vstry --qemu: wall time of a full trial of the small sample rpm inside
# the ci/qemu VM, against the same trial on the host (vstry) and against
# the floor of any VM trial here: booting the same guest to run `true`
# (ci/qemu -x true).  One hyperfine run, medians and ratios.  Under TCG
# (no usable KVM, as on these CI machines) expect tens of seconds.
# Env: RUNS (default 3).  Needs root, hyperfine, a built checkout.
set -u
[ "$(id -u)" = 0 ] || { echo "65-vstry-qemu: needs root, skipped"; exit 0; }
command -v hyperfine >/dev/null || { echo "65-vstry-qemu: needs hyperfine, skipped"; exit 0; }
top=${VSD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH=$top/build:$PATH
RUNS=${RUNS:-3}
W=$(mktemp -d /var/tmp/vsdbench.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT
chmod 755 "$W"
mkdir -p "$W/root" "$W/home"
cat >"$W/vsd.conf" <<EOC
state_root "$W/root"
skel_conf "$top/conf/skel.conf"
listen none
EOC
export VSD_CONF=$W/vsd.conf
vsdskel -q build || { echo "65-vstry-qemu: vsdskel build failed"; exit 1; }
HOME=$W/home "$top/recipes/build-packages.sh" "$W/pk" hello >/dev/null ||
	{ echo "65-vstry-qemu: build-packages.sh failed"; exit 1; }
P=$W/pk/vsd-hello-1.0-1.noarch.rpm
# warm the kernel cache, the initramfs and the KVM probe once
vstry -q --qemu "$P" >/dev/null 2>"$W/warm.err" ||
	{ echo "65-vstry-qemu: a trial in the VM fails:"; cat "$W/warm.err"; exit 1; }
echo "accel: $(grep -o 'accel [a-z]*' "$W/warm.err" | head -1)"

summary() {	# summary JSON: name, median, ratio to the first command
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print("  %-40s median %9.1f ms  (min %9.1f, max %9.1f)  %6.2fx" % (
        x["command"][:40], x["median"] * 1000, x["min"] * 1000,
        x["max"] * 1000, x["median"] / base))
PY
}

echo "one trial ($RUNS runs each):"
hyperfine -N --style none --runs "$RUNS" \
	--export-json "$W/q.json" \
	-n "vstry (host kernel)" "vstry -q $P" \
	-n "ci/qemu -x true (boot, no trial)" "$top/ci/qemu -x true" \
	-n "vstry --qemu (trial in the VM)" "vstry -q --qemu $P" \
	>/dev/null 2>&1 || echo "  (hyperfine failed)"
summary "$W/q.json"
