#!/usr/bin/env bash
# Every command docs/guide.md and README.md show runs, in order, and does
# what the text says (exit status 0, or the "# exit N" it is marked with),
# against this test's own state root ($VSD_CONF): the convention is in
# the HTML comment at the top of docs/guide.md.  `console` blocks run as
# written, from the top of the checkout, in one shell (variables carry
# over); `console host` blocks (install, packages, systemctl) are checked
# the way a test can: make into a DESTDIR, apt-get simulated, a unit's
# Exec lines run from the build tree.  The output shown under a command
# must be what it printed (tests/lib/doc_excerpts.py: numbers, ids and
# the state root's path normalized).  Commands must not name a config
# (-c, /etc/vsd, /var/lib/vsd): the test could not redirect them.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd rpmbuild dpkg-deb socat apt-get python3
new_state_root
PORT=$((21000 + ($$ % 20000)))
cat >"$CONF" <<EOC
state_root "$ROOT"
skel_conf "$VSD_TOP/conf/skel.conf"
secret_file "$T/secret"
listen 127.0.0.1 port $PORT
EOC
D=$T/dest
cd "$VSD_TOP" || bail "no tree"
# what a run leaves (all of it when a command failed): VSs stopped and
# deleted, the daemons it started killed
teardown() {
	local f v
	for v in $(ls "$ROOT/state/vs" 2>/dev/null); do
		vsboot -t 2 --stop "$v"
		VSDADM_LOCAL=1 vsdadm delete "$v"
	done >/dev/null 2>&1
	for f in "$T"/*.pid; do
		[ -f "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null && sleep 0.3
		rm -f "$f"
	done
}
defer teardown

# commands DOC: "KIND<TAB>LINE<TAB>COMMAND" for each command of DOC's
# console blocks; a block of any other kind but `text` is an error
commands() {
	awk -v doc="$1" '
	/^```/ {
		if (!inb) {
			inb = 1; kind = substr($0, 4)
			sub(/^[ \t]+/, "", kind); sub(/[ \t]+$/, "", kind)
			if (kind != "console" && kind != "console host" &&
			    kind != "text")
				printf "BAD\t%d\tblock kind \"%s\"\n", NR, kind
			next
		}
		inb = 0; next
	}
	inb && kind ~ /^console/ && /^# / {
		cmd = substr($0, 3); line = NR
		while (cmd ~ /\\$/ && (getline nxt) > 0)
			cmd = substr(cmd, 1, length(cmd) - 1) " " nxt
		printf "%s\t%d\t%s\n", kind, line, cmd
	}
	END { if (inb) printf "BAD\t%d\tunclosed block\n", NR }' "$1"
}

# gen DOC: the script that runs DOC's commands; each result goes to
# $T/results as "RC<TAB>WANT<TAB>DOC:LINE: COMMAND"
gen() {
	local doc=$1 kind line cmd want run
	cat <<PRE
cd "$VSD_TOP"
_t0=\$(date +%s%N)
_res() {
	local t=\$(date +%s%N)
	printf '%s\t%s\t%s\n' "\$1" "\$2" "\$3" >>"$T/results"
	printf '%5d ms %s\n' \$(( (t - _t0) / 1000000 )) "\$3" >>"$T/times"
	_t0=\$t
}
# the name ci/mkdeb gives the package (600-install-files.sh builds and
# installs it: too slow to do twice)
_deb_name() {
	local v=\$(sed -n 's/^VERSION *:= *//p' Makefile)
	[ "\$1" = "./build/freevsd_\${v}_\$(dpkg --print-architecture).deb" ] ||
		{ echo "make deb writes build/freevsd_\${v}_ARCH.deb"; return 1; }
}
# a unit as systemd would run it: ExecStartPre, then ExecStart (in the
# background for Type=simple), the installed path mapped to the build tree
_unit_start() {
	local u=\$1 f x
	f=\$(find "$D" -name "\$u.service" -path '*/systemd/system/*' | head -1)
	[ -f "\$f" ] || { echo "unit \$u.service not installed"; return 1; }
	while read -r x; do
		set -- \$x; "\${1##*/}" "\${@:2}" || return 1
	done < <(sed -n 's/^ExecStartPre=//p' "\$f")
	x=\$(sed -n 's/^ExecStart=//p' "\$f"); set -- \$x
	if grep -q '^Type=oneshot' "\$f"; then "\${1##*/}" "\${@:2}"; return; fi
	"\${1##*/}" "\${@:2}" >>"$T/\$u.log" 2>&1 &
	echo \$! >"$T/\$u.pid"
	local i; for i in \$(seq 100); do
		[ -S "$ROOT/run/\$u.sock" ] && return 0
		kill -0 \$! 2>/dev/null || { cat "$T/\$u.log"; return 1; }
		sleep 0.05
	done
	[ "\$u" != vsd ]
}
PRE
	while IFS=$'\t' read -r kind line cmd; do
		want=0
		if [[ $cmd =~ [[:space:]]#[[:space:]]exit[[:space:]]([0-9]+) ]]; then
			want=${BASH_REMATCH[1]}
		fi
		run=$cmd
		if [ "$kind" = "console host" ]; then
			case $cmd in
			*[\;\&\|\`\$\<\>]*) run="echo 'one plain command per line'; false" ;;
			"make deps"*) run="make -n deps >/dev/null" ;;
			"make check"*) run="make -n check >/dev/null" ;;
			"make demo"*) run="ci/demo" ;;
			"make deb") run="make -n deb >/dev/null" ;;
			"make install"* | "make uninstall"*) run="DESTDIR='$D' $cmd" ;;
			"make"*) run=$cmd ;;
			"apt-get install ./"*) run="_deb_name ${cmd#apt-get install }" ;;
			"apt-get install "*) run="apt-get install -s ${cmd#apt-get install }" ;;
			"systemctl enable --now "*) run="_unit_start ${cmd##* }" ;;
			*) run="echo 'no rule for this host command'; false" ;;
			esac
		fi
		out=$T/out/${doc##*/}.$line
		printf '{ %s\n} >"%s" 2>&1 </dev/null\n' "$run" "$out"
		printf '_rc=$?; { printf "\\n\\$ %%s\\n" %q; cat "%s"; } >>"%s"\n' \
		    "$cmd" "$out" "$T/transcript"
		printf '_res $_rc %s %q\n' "$want" "$doc:$line: $cmd"
	done < <(commands "$doc")
}

for doc in docs/guide.md README.md; do
	bad=$(commands "$doc" | awk -F'\t' '$1 == "BAD" { print $2 ": " $3 }')
	is "$bad" "" "$doc: every block is console, console host or text"
	hard=$(commands "$doc" | cut -f3- | grep -E '(^| )-c |/etc/vsd|/var/lib/vsd')
	is "$hard" "" "$doc: no command names a config or state path"
done
# docs/index.md names every document (and the README points at it)
missing=
for f in docs/*.md docs/*.[1-8] snapshots/FORMAT.md; do
	case $f in docs/index.md) continue ;; esac
	grep -q "](${f#docs/})\|](../$f)" docs/index.md || missing="$missing $f"
done
is "$missing" "" "docs/index.md links every document"
grep -q '](docs/index.md)' README.md; ok $? "README.md links docs/index.md"
n=$(commands docs/guide.md | grep -c '^console')
[ "$n" -ge 30 ]; ok $? "the guide shows commands ($n)"

# the guide, then the README's tour in a state root of its own
: >"$T/results"
mkdir -p "$T/out"
gen docs/guide.md >"$T/guide.sh"
timeout 600 bash "$T/guide.sh"
ok $? "the guide's commands ran to the end"
out=$(python3 "$VSD_TOP/tests/lib/doc_excerpts.py" docs/guide.md "$T/out" "$ROOT" "$T" "$PORT")
is "$out" "" "the guide's output excerpts are what the commands print"
is "$(ls "$ROOT/state/vs")" "" "the guide deletes what it creates"
teardown
rm -rf "$D"
ROOT=$T/root2 PORT=$((PORT + 1)) CONF=$T/readme.conf VSD_CONF=$T/readme.conf
mkdir -p "$ROOT"
sed -e "s|$T/root|$ROOT|" -e "s/port .*/port $PORT/" "$T/vsd.conf" >"$CONF"
gen README.md >"$T/readme.sh"
timeout 600 bash "$T/readme.sh"
ok $? "the README's commands ran to the end"
out=$(python3 "$VSD_TOP/tests/lib/doc_excerpts.py" README.md "$T/out" "$ROOT" "$T" "$PORT")
is "$out" "" "the README's output excerpts are what the commands print"

while IFS=$'\t' read -r rc want what; do
	if [ "$rc" = "$want" ]; then pass "$what"; else
		not_ok "$what"
		diag "exit $rc, want $want; transcript:"
		cmd=${what#*:*: }
		grep -n -F -x -- "\$ $cmd" "$T/transcript" | tail -1 | cut -d: -f1 |
		    while read -r l; do sed -n "$l,$((l + 25))p" "$T/transcript"; done |
		    sed 's/^/#   /'
	fi
done <"$T/results"
is "$(wc -l <"$T/results")" "$(( $(commands docs/guide.md | grep -c '^console') + $(commands README.md | grep -c '^console') ))" \
    "every command ran"
diag "slowest commands:"
sort -rn "$T/times" | head -5 | sed 's/^/#   /'
[ -n "${VSD_GUIDE_TRANSCRIPT:-}" ] && cp "$T/transcript" "$VSD_GUIDE_TRANSCRIPT"
done_testing
