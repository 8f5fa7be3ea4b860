#!/usr/bin/env bash
# Full trials of the well-behaved sample, rpm and deb: the recipe's checks
# pass, the package's files are listed and nothing is left; --json,
# --junit and --tap agree with the verdict; a failing recipe check fails
# the trial with exit 1 and names the check; --keep keeps a running VS;
# every trial VS is gone afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
vstry_setup
R=$VSD_TOP/recipes/hello.recipe

for p in vsd-hello-1.0-1.noarch.rpm vsd-hello_1.0-1_all.deb; do
	vstry -q -r "$R" --json --junit "$T/$p.xml" "$PK/$p" >"$T/$p.json" 2>"$T/$p.err"
	is $? 0 "$p: trial passes (exit 0)"
	[ -s "$T/$p.err" ] && { diag "stderr:"; sed 's/^/#   /' "$T/$p.err"; }
	is "$(jq_py "$T/$p.json" 'r["verdict"]')" pass "$p: JSON verdict pass"
	is "$(jq_py "$T/$p.json" '",".join(c["name"] for c in r["checks"] if c["status"] not in ("pass","info"))')" "" \
		"$p: no check failed"
	is "$(jq_py "$T/$p.json" '"/usr/bin/vsd-hello" in [i["name"] for i in r["package_files"]]')" True \
		"$p: /usr/bin/vsd-hello is a package file"
	is "$(jq_py "$T/$p.json" 'len(r["outside_files"]) + len(r["left_after_removal"])')" 0 \
		"$p: nothing outside, nothing left"
	is "$(jq_py "$T/$p.json" '[c["status"] for c in r["checks"] if c["name"] == "network"][0]')" pass \
		"$p: no attempt to reach the network"
	is "$(jq_py "$T/$p.json" '[c["status"] for c in r["checks"] if c["name"].startswith("run: vsd-hello")][0]')" pass \
		"$p: recipe run check passed"
	is "$(jq_py "$T/$p.json" '[c["status"] for c in r["checks"] if c["name"] == "file /usr/bin/vsd-hello mode"][0]')" pass \
		"$p: recipe mode check passed"
	is "$(jq_py "$T/$p.json" '"vsd-hello: installed" in [s for s in r["steps"] if s["name"]=="install"][0]["output"]')" True \
		"$p: scriptlet output captured"
	is "$(jq_py "$T/$p.json" 'all(s["ms"] >= 0 for s in r["steps"]) and len(r["steps"]) >= 9')" True \
		"$p: every step timed"
	python3 - "$T/$p.xml" <<'PY'
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
s = d.getElementsByTagName("testsuite")[0]
assert s.getAttribute("failures") == "0", s.toxml()
assert int(s.getAttribute("tests")) >= 10
PY
	ok $? "$p: JUnit file valid, no failures"
	is "$(trial_leftovers)" "" "$p: no VS, journal entry, cgroup, netns or mount left"
done

# TAP and a failing check
cat >"$T/fail.recipe" <<'R'
name "fails"
run "vsd-hello" output "this text is not printed"
run "exit 3" exit 0
file "/usr/bin/vsd-hello" mode 4755
file "/nonexistent" exists
R
vstry -q -r "$T/fail.recipe" --tap "$PK/vsd-hello-1.0-1.noarch.rpm" >"$T/fail.tap" 2>&1
is $? 1 "a failing recipe check: exit 1"
grep -q '^not ok [0-9]* - run: vsd-hello' "$T/fail.tap"; ok $? "TAP names the failing output check"
grep -q "^# output lacks 'this text is not printed'" "$T/fail.tap"; ok $? "TAP says why"
grep -q '^not ok [0-9]* - run: exit 3' "$T/fail.tap"; ok $? "TAP names the wrong exit code"
grep -q '^# exit 3, expected exit 0' "$T/fail.tap"; ok $? "... with the code"
grep -q '^# mode is 0755, not 4755' "$T/fail.tap"; ok $? "mode check reports the mode"
grep -q '^not ok [0-9]* - file /nonexistent exists' "$T/fail.tap"; ok $? "exists check fails"
grep -q '^ok [0-9]* - install' "$T/fail.tap"; ok $? "install still passes"
n=$(grep -c '^\(not \)\?ok ' "$T/fail.tap"); grep -q "^1\.\.$n\$" "$T/fail.tap"; ok $? "TAP plan matches ($n)"

# human output: steps and verdict
vstry -q "$PK/vsd-hello-1.0-1.noarch.rpm" >"$T/human.txt" 2>&1
is $? 0 "default checks on the rpm: pass"
grep -q '^Verdict: PASS' "$T/human.txt"; ok $? "human report ends with the verdict"
grep -q 'ok    install' "$T/human.txt"; ok $? "human report lists the steps"

# --keep: the VS stays, running, and is a normal VS afterwards
vstry -q --keep "$PK/vsd-hello-1.0-1.noarch.rpm" >/dev/null 2>"$T/keep.err"
is $? 0 "--keep trial passes"
kept=$(grep -o 'try-[0-9a-f]*' "$T/keep.err" | head -1)
ok $([ -n "$kept" ] && [ -d "$ROOT/vs/$kept" ]; echo $?) "--keep: VS $kept is kept"
vsboot --status "$kept" >/dev/null 2>&1; ok $? "--keep: it runs"
is "$(ls -A "$ROOT/state/journal")" "" "--keep: no journal entry left"
run_ok "--keep: stop it" vsboot --stop "$kept"
run_ok "--keep: delete it" vsdadm --local delete "$kept"
is "$(trial_leftovers)" "" "nothing left at the end"
done_testing
