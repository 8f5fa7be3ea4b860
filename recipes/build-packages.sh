#!/usr/bin/env bash
# build-packages.sh - build the sample packages of recipes/pkg/ as .rpm
# (rpmbuild) and .deb (dpkg-deb) into OUTDIR.
#
# Usage: recipes/build-packages.sh [-D canary=PATH] [-D pid=N]
#            [-D secret=PATH] OUTDIR [NAME...]
#
# Each recipes/pkg/NAME/ holds `meta` (NAME, VERSION, SUMMARY), `files/`
# (the payload, as installed) and optional scriptlets `pre`, `post`,
# `preun`, `postun` (plain sh; they become %pre.. and preinst, postinst,
# prerm, postrm).  @CANARY@, @PID@ and @SECRET@ in scriptlets are replaced
# by the -D values: the escape package's targets.  rpmbuild runs with a
# private HOME, topdir and dbpath, so nothing lands in the caller's ~.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
canary=/nonexistent/vsd-escape-canary pid=0 secret=/etc/shadow
while getopts D: o; do
	case $o in
	D) case $OPTARG in
	   canary=*) canary=${OPTARG#*=};; pid=*) pid=${OPTARG#*=};;
	   secret=*) secret=${OPTARG#*=};;
	   *) echo "build-packages.sh: unknown -D '$OPTARG'" >&2; exit 2;;
	   esac;;
	*) echo "usage: build-packages.sh [-D key=value] OUTDIR [NAME...]" >&2
	   exit 2;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: build-packages.sh [-D key=value] OUTDIR [NAME...]" >&2; exit 2; }
case $pid in *[!0-9]*) echo "build-packages.sh: pid '$pid' is not a number" >&2; exit 2;; esac
case $canary$secret in *"'"*|*'|'*|*'\'*) echo "build-packages.sh: quote, | or \\ in a path" >&2; exit 2;; esac
out=$1; shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(hello messy escape)
work=$(mktemp -d /tmp/vsd-pkgbuild.XXXXXX)
trap 'rm -rf "$work"' EXIT

subst() {
	sed -e "s|@CANARY@|$canary|g" -e "s|@PID@|$pid|g" \
	    -e "s|@SECRET@|$secret|g" "$1"
}

for n in "${names[@]}"; do
	src=$here/pkg/$n
	[ -f "$src/meta" ] || { echo "build-packages.sh: no package '$n'" >&2; exit 2; }
	NAME= VERSION= SUMMARY=
	. "$src/meta"

	# --- rpm: a spec generated from the tree ---
	top=$work/rpm-$n
	mkdir -p "$top"/{SPECS,BUILD,RPMS,SRPMS,SOURCES,BUILDROOT,home,db}
	spec=$top/SPECS/$NAME.spec
	{
		printf 'Name: %s\nVersion: %s\nRelease: 1\n' "$NAME" "$VERSION"
		printf 'Summary: %s\nLicense: GPL-2.0-or-later\n' "$SUMMARY"
		printf 'BuildArch: noarch\nAutoReqProv: no\n\n'
		printf '%%description\n%s\n\n' "$SUMMARY"
		printf '%%install\nmkdir -p %%{buildroot}\n'
		printf 'cp -a %s/files/. %%{buildroot}/\n\n' "$src"
		for s in pre post preun postun; do
			[ -f "$src/$s" ] || continue
			printf '%%%s\n' "$s"; subst "$src/$s"; printf '\n'
		done
		printf '%%files\n'
		(cd "$src/files" && find . -type f -o -type l | sort |
			sed 's|^\.||')
		# directories the package owns: those only it creates
		(cd "$src/files" && find . -mindepth 1 -type d | sort |
			sed 's|^\.||' | grep -E "/$NAME(/|\$)" |
			sed 's|^|%dir |') || true
	} >"$spec"
	HOME=$top/home rpmbuild --quiet -bb \
		--define "_topdir $top" --define "_dbpath $top/db" \
		--define "_build_id_links none" "$spec" >"$top/log" 2>&1 || {
		cat "$top/log" >&2; exit 1; }
	cp "$top"/RPMS/noarch/*.rpm "$out/"

	# --- deb: the same tree and scriptlets ---
	d=$work/deb-$n
	mkdir -p "$d/DEBIAN"
	cp -a "$src/files/." "$d/"
	size=$(du -sk "$src/files" | cut -f1)
	cat >"$d/DEBIAN/control" <<EOC
Package: $NAME
Version: $VERSION-1
Architecture: all
Maintainer: freeVSD <freevsd@localhost>
Installed-Size: $size
Description: $SUMMARY
EOC
	for pair in pre:preinst post:postinst preun:prerm postun:postrm; do
		s=${pair%%:*} t=${pair#*:}
		[ -f "$src/$s" ] || continue
		# dpkg calls postrm once more with "purge": run it once
		{ printf '#!/bin/sh\n'
		  [ "$t" = postrm ] && printf '[ "$1" = purge ] && exit 0\n'
		  subst "$src/$s"; } >"$d/DEBIAN/$t"
		chmod 755 "$d/DEBIAN/$t"
	done
	dpkg-deb --root-owner-group -Zgzip -b "$d" \
		"$out/${NAME}_$VERSION-1_all.deb" >/dev/null
done
ls "$out"
