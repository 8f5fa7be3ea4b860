#!/usr/bin/env bash
# vstry's command line without a trial: help, recipe checking (-n) with
# every error reported by line, usage errors (exit 2), packages that are
# missing or not packages (exit 3); build-packages.sh keeps rpm out of ~;
# the man page passes mandoc -Tlint.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd vstry rpmbuild dpkg-deb mandoc
new_state_root

out=$(vstry --help); ok $? "--help exits 0"
case $out in *"usage: vstry"*"--junit"*"Exit status"*) pass "--help shows usage, options, exit status";;
	*) not_ok "--help text"; diag "$out";; esac
vstry --bogus >/dev/null 2>&1; is $? 2 "unknown option: exit 2"
vstry --json --tap x.rpm >/dev/null 2>&1; is $? 2 "--json with --tap: exit 2"
vstry --keep --shell-on-fail x.rpm >/dev/null 2>&1; is $? 2 "--keep with --shell-on-fail: exit 2"
vstry >/dev/null 2>&1; is $? 2 "no package: exit 2"
vstry -n >/dev/null 2>&1; is $? 2 "-n without a recipe: exit 2"

for r in "$VSD_TOP"/recipes/*.recipe; do
	run_ok "shipped recipe $(basename "$r") checks" vstry -n -r "$r"
done
cat >"$T/bad.recipe" <<'R'
package a.rpm
network maybe
file relative exists
run "true" exit 999
nosuch thing
R
err=$(vstry -n -r "$T/bad.recipe" 2>&1); is $? 2 "bad recipe: exit 2"
for l in 2 3 4 5; do
	case $err in *"bad.recipe:$l: "*) pass "error reported for line $l";;
		*) not_ok "error for line $l"; diag "$err";; esac
done
err=$(vstry -n -r "$T/nonexistent.recipe" 2>&1); is $? 2 "missing recipe: exit 2"
case $err in *"cannot open"*"No such file"*) pass "missing recipe named with its cause";;
	*) not_ok "missing recipe message"; diag "$err";; esac

err=$(vstry "$T/none.rpm" 2>&1); is $? 3 "missing package: exit 3"
case $err in *"cannot open '$T/none.rpm': No such file or directory"*) pass "missing package named with its cause";;
	*) not_ok "missing package message"; diag "$err";; esac
echo "not a package" >"$T/fake.rpm"
err=$(vstry "$T/fake.rpm" 2>&1); is $? 3 "not a package: exit 3"
case $err in *"neither an rpm nor a deb"*) pass "not-a-package message";;
	*) not_ok "not-a-package message"; diag "$err";; esac
mkfifo "$T/fifo.rpm"
timeout 10 vstry "$T/fifo.rpm" >/dev/null 2>&1; is $? 3 "a FIFO is refused, not read"
ls -A "$ROOT/state/vs" 2>/dev/null | grep -q . && not_ok "no VS created" || pass "no VS created by failed runs"

# build-packages.sh: rpm and deb of each sample, nothing in ~
mkdir -p "$T/home"
HOME=$T/home run_ok "build the sample packages" "$VSD_TOP/recipes/build-packages.sh" "$T/pk"
for p in vsd-hello-1.0-1.noarch.rpm vsd-messy-1.0-1.noarch.rpm \
	vsd-escape-1.0-1.noarch.rpm vsd-hello_1.0-1_all.deb \
	vsd-messy_1.0-1_all.deb vsd-escape_1.0-1_all.deb; do
	ok $([ -s "$T/pk/$p" ]; echo $?) "built $p"
done
is "$(ls -A "$T/home")" "" "rpmbuild left nothing in HOME"
HOME=$T/home "$VSD_TOP/recipes/build-packages.sh" -D "pid=1;rm" "$T/pk2" >/dev/null 2>&1
is $? 2 "build-packages.sh refuses a non-numeric pid"
# both packages mixed in one trial
err=$(vstry "$T/pk/vsd-hello-1.0-1.noarch.rpm" "$T/pk/vsd-hello_1.0-1_all.deb" 2>&1)
is $? 3 "rpm and deb mixed: exit 3"

run_ok "vstry.8 passes mandoc -Tlint" mandoc -Tlint -Wwarning "$VSD_TOP/docs/vstry.8"
done_testing
