#!/usr/bin/env bash
# bash completion (conf/completion/): every program has a completion under
# its own name (bash-completion loads completions/<command> on first use,
# from the installed tree); subcommands and options complete; VS and
# snapshot names come from the state root of the config the command line
# names (-c FILE or $VSD_CONF), built here for real (skeleton, VS,
# snapshot); a hostile VS name in the state root is offered as one literal
# word and never evaluated.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd bash
new_state_root
F=$VSD_TOP/conf/completion/vsdadm
bc=/usr/share/bash-completion/bash_completion

# comp LINE: the sorted COMPREPLY (one line, space separated) for LINE
# as typed, cursor at its end; extra env (VSD_CONF) is inherited
comp() {
	bash --norc --noprofile -c '
		. "$1" || exit 9
		line=$2
		read -ra COMP_WORDS <<<"$line"
		case $line in *" ") COMP_WORDS+=("") ;; esac
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line COMP_POINT=${#line}
		spec=$(complete -p "${COMP_WORDS[0]}") || exit 8
		fn=${spec#*-F }; fn=${fn%% *}
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd" "
	' _ "$F" "$1"
}

bash -n "$F"; ok $? "completion file parses"
missing=
for p in "$VSD_BUILD"/*; do
	[ -f "$p" ] && [ -x "$p" ] || continue
	n=${p##*/}
	[ -e "$VSD_TOP/conf/completion/$n" ] || missing="$missing $n"
	out=$(bash --norc -c '. "$1"; complete -p "$2"' _ "$F" "$n" 2>&1)
	case $out in *"-F _freevsd_"*) ;; *) missing="$missing $n(unregistered)" ;; esac
done
is "$missing" "" "a completion for every program, under its own name"

# a real state root: skeleton from a small tree, two VSs, two snapshots
mkdir -p "$T/src/bin" "$T/src/etc"
cp /bin/dash "$T/src/bin/sh"
run_ok "skeleton" vsdskel -q build --from "$T/src"
run_ok "web1" vsdadm --local create web1 10.251.$((RANDOM % 200)).2 web1.example.com
run_ok "db1" vsdadm --local create db1 10.251.$((RANDOM % 200)).3 db1.example.com
id1=$(vsnap -q save web1 -m one) && sleep 1 && id2=$(vsnap -q save web1 -m two)
ok $? "two snapshots of web1 ($id1 $id2)"

out=$(comp 'vsdadm cr')
is "$out" "create" "vsdadm: subcommand prefix"
out=$(comp 'vsdadm vs_')
case " $out " in *" vs_create "*" vs_list "*) r=0 ;; *) r=1 ;; esac
ok $r "vsdadm: freeVSD command names (vs_create, vs_list ...)"
is "$(comp 'vsdadm info ')" "db1 web1" "vsdadm info: VS names from the state root"
is "$(comp 'vsdadm --json info w')" "web1" "vsdadm: options before the subcommand are skipped"
is "$(comp 'vsdadm vs_delete ')" "localhost" "vsdadm vs_delete: host first"
is "$(comp 'vsdadm vs_delete localhost d')" "db1" "vsdadm vs_delete localhost: VS name"
is "$(comp 'vsdadm user ')" "add del list passwd" "vsdadm user: its verbs"
is "$(comp 'vsdadm user add ')" "db1 web1" "vsdadm user add: VS name"
is "$(comp 'vsdadm create --q')" "--quota" "vsdadm create: its options"
is "$(comp 'vsdadm --lo')" "--local" "vsdadm: global options"
is "$(comp 'vsnap ')" "delete diff export import list restore save verify" "vsnap: subcommands"
is "$(comp 'vsnap save ')" "db1 web1" "vsnap save: VS names"
is "$(comp 'vsnap restore web1 ')" "$id1 $id2" "vsnap restore web1: snapshot ids"
is "$(comp 'vsnap diff db1 ')" "" "vsnap diff db1: no snapshots, nothing offered"
is "$(comp 'vsnap restore web1 x --re')" "--restart" "vsnap restore: its options"
is "$(comp 'vsnap -q --json delete web1 ')" "$id1 $id2" "vsnap: global options skipped"
is "$(comp 'vsboot --st')" "--start --status --stop" "vsboot: actions"
is "$(comp 'vsboot --start w')" "web1" "vsboot: VS names"
is "$(comp 'bevs ')" "db1 web1" "bevs: VS name"
is "$(comp 'bevs -u admin w')" "web1" "bevs: -u takes an argument"
is "$(comp 'bevs web1 ')" "" "bevs: after the name comes the VS's command"
is "$(comp 'vsdskel ')" "build check update" "vsdskel: subcommands"
is "$(comp 'vsdskel build --from-')" "--from-archive" "vsdskel build: its options"
is "$(comp 'vsd --gen')" "--gen-secret" "vsd: options"
is "$(comp 'vsredirect -P ')" "none v1 v2" "vsredirect -P: PROXY versions"
is "$(comp 'vstry --sh')" "--shell-on-fail" "vstry: options"
is "$(comp 'setrights admin +f')" "+ftp" "setrights: rights with their sign"
mkdir -p "$T/pk" && : >"$T/pk/a.rpm" && : >"$T/pk/b.deb" && : >"$T/pk/c.txt"
is "$(cd "$T" && comp 'vstry pk/')" "pk/a.rpm pk/b.deb" "vstry: package files only"

# the config on the command line wins over $VSD_CONF
mkdir -p "$T/other/state/vs"
printf 'state_root "%s/other"\n' "$T" >"$T/other.conf"
is "$(comp "vsdadm -c $T/other.conf info ")" "" "-c FILE: that config's state root"
is "$(VSD_CONF=$T/other.conf comp 'vsdadm info ')" "" "\$VSD_CONF: that config's state root"
is "$(VSD_CONF=$T/other.conf comp "vsdadm --config=$CONF info ")" "db1 web1" "--config=FILE wins over \$VSD_CONF"

# attack: a record file named like a command substitution is a literal word
# (compgen -W would run it), and a glob stays a glob
: >"$T/other/state/vs/\$(touch canary)"
: >"$T/other/state/vs/\`touch canary\`"
: >"$T/other/state/vs/*"
out=$(cd "$T" && VSD_CONF=$T/other.conf comp 'bevs ')
[ ! -e "$T/canary" ]; ok $? "hostile names in the state root are never evaluated"
is "$out" '$(touch canary) * `touch canary`' "and are offered literally"

# installed: bash-completion finds each program's file by its name
if [ -f "$bc" ]; then
	D=$T/dest
	run_ok "install into DESTDIR" make -s -C "$VSD_TOP" install-bin DESTDIR="$D" PREFIX=/usr
	out=$(BASH_COMPLETION_USER_DIR=$D/usr/share/bash-completion \
	    bash --norc -c '. "$1"; for c in vsnap bevs vsdskel; do
		__load_completion "$c" && complete -p "$c"; done' _ "$bc" 2>&1)
	n=$(printf '%s\n' "$out" | grep -c -e '-F _freevsd_vsnap vsnap$' \
	    -e '-F _freevsd_bevs bevs$' -e '-F _freevsd_vsdskel vsdskel$')
	is "$n" 3 "bash-completion loads the installed files on first use"
else
	not_ok "bash-completion not installed (make deps)"
fi
done_testing
