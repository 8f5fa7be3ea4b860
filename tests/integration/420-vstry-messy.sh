#!/usr/bin/env bash
# The misbehaving sample (vsd-messy), rpm and deb: each of its misdeeds
# appears in the report: a file written outside its list, a user and a
# group added, an attempt to reach the network (the VS has loopback only),
# a daemon left running after install and after removal,
# state left after removal, a set-uid shell, a world-writable file; the
# verdict is fail (exit 1) with the failing policies named; nothing of
# the trial is left.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
vstry_setup
R=$VSD_TOP/recipes/messy.recipe

has() {	# has FILE LIST NAME: NAME is an item of the report's LIST
	jq_py "$1" "any(i['name'] == '$3' for i in r['$2'])"
}
has_like() {	# has_like FILE LIST TEXT: an item contains TEXT
	jq_py "$1" "any('$3' in i['name'] for i in r['$2'])"
}
status() {	# status FILE CHECK
	jq_py "$1" "[c['status'] for c in r['checks'] if c['name'] == '$2'][0]"
}

for p in vsd-messy-1.0-1.noarch.rpm vsd-messy_1.0-1_all.deb; do
	j=$T/$p.json
	vstry -q -r "$R" --json "$PK/$p" >"$j" 2>"$T/$p.err"
	is $? 1 "$p: trial fails (exit 1)"
	is "$(jq_py "$j" 'r["verdict"]')" fail "$p: verdict fail"
	is "$(has "$j" outside_files /etc/vsd-messy.conf)" True "$p: write outside its list reported"
	is "$(has "$j" users_added vsdmessy)" True "$p: user added reported"
	is "$(has "$j" groups_added vsdmessy)" True "$p: group added reported"
	is "$(has_like "$j" processes_after_install 'sleep 1000')" True "$p: daemon running after install"
	is "$(has_like "$j" processes_after_removal 'sleep 1000')" True "$p: daemon still running after removal"
	is "$(has "$j" left_after_removal /var/lib/vsd-messy/state)" True "$p: state left after removal"
	is "$(has "$j" left_after_removal /etc/vsd-messy.conf)" True "$p: config left after removal"
	is "$(has "$j" setid_files /usr/local/bin/vsd-messy-sh)" True "$p: set-uid file reported"
	is "$(has "$j" world_writable /var/lib/vsd-messy/shared)" True "$p: world-writable file reported"
	is "$(has "$j" package_files /usr/bin/vsd-messy)" True "$p: its own file is a package file"
	is "$(has "$j" outside_files /usr/bin/vsd-messy)" False "$p: ... and not an outside one"
	for c in outside leftovers processes users setid; do
		is "$(status "$j" $c)" fail "$p: check '$c' fails"
	done
	is "$(status "$j" network)" info "$p: its attempt to reach the network is reported"
	is "$(jq_py "$j" '[c["message"] for c in r["checks"] if c["name"] == "network"][0]')" \
		"1 attempt(s) to reach a network the VS does not have (loopback only)" \
		"$p: ... as one attempt without a route"
	is "$(status "$j" install)" pass "$p: install itself passes"
	is "$(status "$j" "run: vsd-messy")" pass "$p: recipe run check passes"
	is "$(trial_leftovers)" "" "$p: VS, daemon, cgroup and journal entry gone"
done

# the same package with the default set: leftovers, outside, processes
# fail; users and setid are reported only
j=$T/default.json
vstry -q --json "$PK/vsd-messy-1.0-1.noarch.rpm" >"$j" 2>/dev/null
is $? 1 "default checks: fail"
is "$(status "$j" users)" info "default checks: users reported, not failed"
is "$(status "$j" setid)" info "default checks: setid reported, not failed"
is "$(status "$j" processes)" fail "default checks: processes fail"

# a recipe that allows its mess passes the outside and leftovers checks
cat >"$T/allow.recipe" <<'R'
allow "/etc/vsd-messy.conf"
allow "/var/lib/vsd-messy"
allow "/usr/local/bin"
allow "/etc/passwd*"
allow "/etc/group*"
allow "/etc/shadow*"
allow "/etc/gshadow*"
allow "/etc/.pwd.lock"
allow "/etc/subuid*"
allow "/etc/subgid*"
processes ignore
R
j=$T/allow.json
vstry -q -r "$T/allow.recipe" --json "$PK/vsd-messy-1.0-1.noarch.rpm" >"$j" 2>/dev/null
is $? 0 "allow globs: the trial passes"
[ "$(jq_py "$j" r[\"verdict\"])" = pass ] || diag "$(jq_py "$j" '[(c["name"], c["message"]) for c in r["checks"]] + [i["name"] for i in r["outside_files"]]')"
is "$(jq_py "$j" 'len(r["processes_after_removal"])')" 0 "processes ignore: not even listed"
# --shell-on-fail: bevs opens a shell in the failed trial's VS (here fed
# from a pipe), and the VS is discarded when it exits
out=$(echo 'echo "INSIDE $(hostname) uid=$(id -u)"; exit' |
	vstry -q --shell-on-fail "$PK/vsd-messy-1.0-1.noarch.rpm" 2>&1)
is $? 1 "--shell-on-fail: the verdict is still fail"
case $out in *"INSIDE try-"*".vstry.invalid uid=0"*) pass "--shell-on-fail: the shell ran in the VS as its root";;
	*) not_ok "--shell-on-fail: shell in the VS"; diag "$out";; esac
is "$(trial_leftovers)" "" "nothing left at the end"
done_testing
