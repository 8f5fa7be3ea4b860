# tests/lib/vstry.sh - helpers of the vstry tests (400-499); source after
# common.sh.
#
#   vstry_setup [-D key=value...]  root and tools checked, a state root, a
#                                  real skeleton (make_skel), the sample
#                                  packages built into $PK
#   jq_py FILE EXPR                print a Python expression over the JSON
#                                  report in FILE (bound to r)
#   trial_leftovers                print what trials left in the state root
#                                  (records, roots, journal entries,
#                                  cgroups, netns pins, mounts); empty = none
#   defer_trial_cleanup            on exit, stop and delete any trial VS

# vsdadm here acts on the state root without a daemon (vsdadm goes
# through vsd otherwise).
export VSDADM_LOCAL=1

vstry_setup() {
	need_root
	need_cmd rpmbuild dpkg-deb python3 vstry vsdskel vsdadm
	new_state_root
	. "$VSD_TOP/tests/lib/skel.sh"
	make_skel
	PK=$T/pk
	HOME=$T/home "$VSD_TOP/recipes/build-packages.sh" "$@" "$PK" \
		>"$T/build.log" 2>&1 || { cat "$T/build.log"; bail "build-packages.sh failed"; }
	defer_trial_cleanup
}

jq_py() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# names of VSs this state root has
_vs_names() { ls -A "$ROOT/state/vs" 2>/dev/null; }

trial_leftovers() {
	local n
	for n in $(_vs_names); do echo "record: $n"; done
	ls -A "$ROOT/vs" 2>/dev/null | sed 's/^/root: /'
	ls -A "$ROOT/state/journal" 2>/dev/null | sed 's/^/journal: /'
	ls -A "$ROOT/run/netns" 2>/dev/null | sed 's/^/netns: /'
	find /sys/fs/cgroup -maxdepth 3 -type d -name 'try-*' 2>/dev/null |
		while read -r d; do
			# only this state root's instance
			case $d in *"/freevsd-$(vsd_instance)/"*) echo "cgroup: $d";; esac
		done
	findmnt -rn -o TARGET | grep -F "$ROOT/" | sed 's/^/mount: /'
}

# the instance tag of this state root (conf.c instance_tag: FNV-1a of
# state_root folded to 24 bits), which names its cgroups
vsd_instance() {
	python3 - "$ROOT" <<'PY'
import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print("%06x" % ((h ^ (h >> 24)) & 0xffffff))
PY
}

defer_trial_cleanup() {
	defer '_trial_cleanup'
}
_trial_cleanup() {
	local n
	for n in $(_vs_names); do
		case $n in try-*) vsboot --stop "$n"; vsdadm --local delete "$n";; esac
	done
	vsdadm --local reconcile
}
