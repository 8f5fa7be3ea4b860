#!/usr/bin/env bash
# Man pages against the programs: every program has a page; the options
# of its SYNOPSIS are exactly those of its usage text (--help); each page
# has the sections STYLE asks for (NAME, SYNOPSIS, DESCRIPTION, EXIT
# STATUS, SEE ALSO, and FILES or ENVIRONMENT for the tools); every page
# passes mandoc -Tlint; every .Xr names a page we ship or one of the
# few pages of other packages listed below.
. "$(dirname "$0")/../lib/common.sh"
need_cmd mandoc
cd "$VSD_TOP" || bail "no tree"

# flags TEXT-ON-STDIN: option words (-x, --long), combined -abc split
flags() {
	grep -o -E '(^|[][ |])--?[A-Za-z][A-Za-z-]*' | sed 's/^[][ |]//' |
	    while read -r f; do
		case $f in
		--*) echo "$f" ;;
		-??*) echo "${f#-}" | grep -o . | sed 's/^/-/' ;;
		*) echo "$f" ;;
		esac
	done | sort -u | paste -sd' '
}

for p in "$VSD_BUILD"/*; do
	[ -f "$p" ] && [ -x "$p" ] || continue
	n=${p##*/}
	m=$(ls docs/"$n".[1-8] 2>/dev/null | head -1)
	[ -n "$m" ]; ok $? "$n has a man page"
	[ -n "$m" ] || continue
	syn=$(mandoc -Tascii -Owidth=250 "$m" | sed 's/.\x08//g' |
	    sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | flags)
	# the usage text: from "usage:" to the first blank or option-list line
	use=$("$p" --help 2>&1 | awk '
		/^usage:/ { u = 1 }
		u && ($0 == "" || $0 ~ /^ ? ? ? ?-/) { exit }
		u' | flags)
	is "$syn" "$use" "$n: SYNOPSIS options match its usage text"
	miss=
	for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
		grep -q "^\.Sh $s" "$m" || miss="$miss $s"
	done
	grep -q -E '^\.Sh (FILES|ENVIRONMENT)' "$m" || miss="$miss FILES"
	is "$miss" "" "$n: man page sections"
done

out=$(mandoc -Tlint -Wwarning docs/*.[1-8] 2>&1)
is "$out" "" "mandoc -Tlint: no warnings"

# pages of other packages the docs may refer to
ext=" dpkg.1 glob.7 inotify.7 nft.8 rename.2 rpm.8 splice.2 sudo.8 tar.1 zstd.1 "
bad=
for x in $(cat docs/*.[1-8] | sed -n 's/^\.Xr \([a-z0-9_.-]*\) \([1-8]\).*/\1.\2/p' | sort -u); do
	[ -f "docs/$x" ] && continue
	case $ext in *" $x "*) continue ;; esac
	bad="$bad $x"
done
is "$bad" "" "every cross-reference names a page"
done_testing
