#!/usr/bin/env bash
# The escaping sample (vsd-escape), rpm and deb, aimed at canaries of
# this test: a host file to overwrite (directly, through /proc/1/root and
# by climbing ../), a host process to kill, a host secret to read, a disk
# device to make beside the canary.  After the trial every canary hashes
# as before, the process lives, the secret appears in no report, no
# device node exists, the host's account files are unchanged; the report
# shows each attempt denied and the install check failed (exit 1).
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/vstry.sh"
need_root
C=$(mktemp -d /tmp/vsdcanary.XXXXXX)	# host paths outside the state root
defer "rm -rf '$C'"
echo "original content" >"$C/file"
secret="TOPSECRET-$$-$RANDOM"
echo "$secret" >"$C/secret"
chmod 600 "$C/secret"
sleep 600 &
victim=$!
defer "kill $victim"
vstry_setup -D "canary=$C/file" -D "pid=$victim" -D "secret=$C/secret"

snapshot() {
	(cd "$C" && find . -printf '%p %y %m %U %s\n' | sort
	 find . -type f -exec sha256sum {} + | sort)
	sha256sum /etc/passwd /etc/group /etc/shadow
}
before=$(snapshot)

for p in vsd-escape-1.0-1.noarch.rpm vsd-escape_1.0-1_all.deb; do
	j=$T/$p.json
	vstry -q -r "$VSD_TOP/recipes/escape.recipe" --json "$PK/$p" >"$j" 2>"$T/$p.err"
	is $? 1 "$p: trial fails (exit 1)"
	is "$(snapshot)" "$before" "$p: canaries and host account files unchanged"
	kill -0 $victim 2>/dev/null; ok $? "$p: the host process lives"
	ok $([ ! -e "$C/vsd-escape-disk" ]; echo $?) "$p: no device node beside the canary"
	grep -q "$secret" "$j" "$T/$p.err"; ok $((! $?)) "$p: the secret is in no report"
	out=$(jq_py "$j" '[s for s in r["steps"] if s["name"] == "install"][0]["output"]')
	for a in "write $C/file" "write /proc/1/root$C/file" "write ../..$C/file" \
		"kill $victim" "read $C/secret" "mknod a disk"; do
		case $out in *"ESCAPE-DENIED $a"*) pass "$p: attempt denied and reported: $a";;
			*) not_ok "$p: attempt '$a' denied"; diag "$out";; esac
	done
	case $out in *"ESCAPE-OK write"*|*"ESCAPE-OK kill"*|*"ESCAPE-OK read"*|*"ESCAPE-OK mknod"*)
		not_ok "$p: an attempt succeeded"; diag "$out";;
		*) pass "$p: no attempt on the host succeeded";; esac
	is "$(jq_py "$j" '[c["status"] for c in r["checks"] if c["name"] == "install"][0]')" fail \
		"$p: the install check fails"
	is "$(trial_leftovers)" "" "$p: nothing of the trial left"
done
done_testing
