#!/usr/bin/env bash
# Trials in parallel do not interfere: four at once (the misbehaving
# sample beside three well-behaved ones, rpm and deb) each get their own
# VS and the verdict they get alone; the messy one's user, files and
# daemon appear in its report only; nothing is left afterwards.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
vstry_setup

vstry -q --json "$PK/vsd-messy-1.0-1.noarch.rpm" >"$T/m.json" 2>"$T/m.err" & pm=$!
vstry -q --json "$PK/vsd-hello-1.0-1.noarch.rpm" >"$T/h1.json" 2>"$T/h1.err" & p1=$!
vstry -q --json "$PK/vsd-hello-1.0-1.noarch.rpm" >"$T/h2.json" 2>"$T/h2.err" & p2=$!
vstry -q --json "$PK/vsd-hello_1.0-1_all.deb" >"$T/h3.json" 2>"$T/h3.err" & p3=$!
wait $pm; is $? 1 "messy trial fails"
for i in 1 2 3; do
	eval "wait \$p$i"; rc=$?
	is $rc 0 "hello trial $i passes"
	[ $rc = 0 ] || { sed 's/^/#   /' "$T/h$i.err"; jq_py "$T/h$i.json" '[(c["name"], c["message"]) for c in r["checks"]]'; }
	is "$(jq_py "$T/h$i.json" 'len(r["outside_files"]) + len(r["left_after_removal"]) + len(r["users_added"]) + len(r["processes_after_install"])')" 0 \
		"hello trial $i: no trace of the messy one"
done
is "$(jq_py "$T/m.json" 'any(i["name"] == "vsdmessy" for i in r["users_added"])')" True \
	"messy trial: its user reported"
names=$(for f in m h1 h2 h3; do jq_py "$T/$f.json" 'r["vs"]'; done | sort -u | wc -l)
is "$names" 4 "four distinct VSs"
is "$(trial_leftovers)" "" "nothing left"
done_testing
