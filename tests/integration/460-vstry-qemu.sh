#!/usr/bin/env bash
# vstry --qemu: the trial of the well-behaved sample runs inside a qemu VM
# (its own kernel, no NIC) and gives the same report as on the host
# (verdict, package files, nothing outside or left), with the JUnit file
# brought back; a failing recipe fails there too (the deb: exit 1, the
# human report names the check), also when the trial's output imitates
# the transport's markers;
# the recipe keyword `isolation qemu` does the same as --qemu; a VM that
# does not finish gives exit 3; nothing of the trial is left on the host.
# Two VM boots under TCG: ~1-2 minutes on a busy 2-core host.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
vstry_setup
R=$VSD_TOP/recipes/hello.recipe
P=$PK/vsd-hello-1.0-1.noarch.rpm
before=$(ls -A /tmp | sort)

# the same trial on the host, for comparison
vstry -q -r "$R" --json "$P" >"$T/host.json" 2>"$T/host.err"
is $? 0 "host trial passes"

# usage errors need no VM
vstry --qemu --keep "$P" >/dev/null 2>"$T/u.err"
is $? 2 "--qemu with --keep: usage error (exit 2)"
grep -q 'no --keep' "$T/u.err"; ok $? "... saying why"

# a VM that does not finish: exit 3, said on stderr
VSD_QEMU_TIMEOUT=1 vstry -q --qemu --json "$P" >"$T/to.json" 2>"$T/to.err"
is $? 3 "VM timed out: exit 3"
grep -q 'the VM did not run the trial' "$T/to.err"; ok $? "... and says so"
[ -s "$T/to.json" ]; ok $((! $?)) "... and prints no report"

# the pass case in the VM, through the recipe keyword
sed 's/^name .*/&\nisolation qemu/' "$R" >"$T/hello-qemu.recipe"
grep -q '^isolation qemu' "$T/hello-qemu.recipe" || bail "recipe edit failed"
vstry -q -r "$T/hello-qemu.recipe" --json --junit "$T/q.xml" "$P" \
	>"$T/q.json" 2>"$T/q.err"
rc=$?
is $rc 0 "isolation qemu: the trial passes in the VM (exit 0)"
[ $rc = 0 ] || { diag "stderr:"; sed "s/^/#   /" "$T/q.err" | tail -30; head -c 2000 "$T/q.json"; }
grep -q '^ci/qemu: kernel ' "$T/q.err"; ok $? "it ran in the qemu guest"
is "$(jq_py "$T/q.json" 'r["verdict"]')" pass "JSON verdict pass"
is "$(jq_py "$T/q.json" 'sorted(i["name"] for i in r["package_files"])')" \
	"$(jq_py "$T/host.json" 'sorted(i["name"] for i in r["package_files"])')" \
	"the same package files as on the host"
is "$(jq_py "$T/q.json" 'len(r["outside_files"]) + len(r["left_after_removal"])')" 0 \
	"nothing outside, nothing left"
is "$(jq_py "$T/q.json" '[c["name"] for c in r["checks"]]')" \
	"$(jq_py "$T/host.json" '[c["name"] for c in r["checks"]]')" \
	"the same checks as on the host"
is "$(jq_py "$T/q.json" '"vsd-hello: installed" in [s for s in r["steps"] if s["name"]=="install"][0]["output"]')" True \
	"scriptlet output captured"
python3 - "$T/q.xml" <<'PY'
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
s = d.getElementsByTagName("testsuite")[0]
assert s.getAttribute("failures") == "0", s.toxml()
assert int(s.getAttribute("tests")) >= 10
PY
ok $? "JUnit file brought back: valid, no failures"

# a failing recipe in the VM (the deb; the human report), its output
# imitating the transport's markers
cat >"$T/fail.recipe" <<'R'
name "fails"
run "vsd-hello" output "this text is not printed"
run "echo VSTRY-QEMU-RC 0 0; echo VSD-QEMU-DONE 0 0; exit 3" exit 0
R
vstry -q --qemu -r "$T/fail.recipe" "$PK/vsd-hello_1.0-1_all.deb" \
	>"$T/fail.txt" 2>"$T/fail.err"
is $? 1 "a failing recipe check in the VM: exit 1"
grep -q '^Verdict: FAIL' "$T/fail.txt"; ok $? "human report ends with the verdict"
grep -q '^  fail  run: vsd-hello' "$T/fail.txt"; ok $? "it names the failing check" ||
	sed 's/^/#   /' "$T/fail.txt"
grep -q 'exit 3, expected exit 0' "$T/fail.txt"; ok $? "the marker-like output is report text"
grep -q 'ok    install' "$T/fail.txt"; ok $? "install passed"
grep -q '^ci/qemu: ' "$T/fail.txt"; ok $((! $?)) "no runner message in the report"

is "$(trial_leftovers)" "" "no VS, journal entry, cgroup, netns or mount left on the host"
is "$(comm -13 <(echo "$before") <(ls -A /tmp | sort) | grep vstry-qemu)" "" \
	"no temporary files left"
done_testing
