#!/usr/bin/env bash
# make install / uninstall into a DESTDIR: every program, man page, config,
# unit and init script lands where documented; an existing config is never
# overwritten; uninstall removes exactly what install put there and keeps a
# config the admin edited.  The Debian package installs and purges cleanly.
. "$(dirname "$0")/../lib/common.sh"
need_root
new_state_root
D=$T/dest
cd "$VSD_TOP" || bail "no tree"

run_ok "make install into DESTDIR" make -s install DESTDIR="$D" PREFIX=/usr
progs=$(cd build && for p in *; do [ -f "$p" ] && [ -x "$p" ] && echo "$p"; done)
missing=
for p in $progs; do
	case $p in
	vsinit|rebootvs|setrights|listrights) f=$D/usr/libexec/freevsd/$p ;;
	*) f=$D/usr/sbin/$p ;;
	esac
	[ -x "$f" ] || missing="$missing $f"
done
is "$missing" "" "every built program is installed (sbin or libexec)"
missing=
for m in docs/*.[1-8]; do
	[ -f "$m" ] || continue
	[ -f "$D/usr/share/man/man${m##*.}/$(basename "$m")" ] || missing="$missing $m"
done
is "$missing" "" "every man page is installed in its section"
[ -f "$D/etc/vsd/vsd.conf" ]; ok $? "vsd.conf installed under /etc/vsd"
cmp -s conf/vsd.conf "$D/etc/vsd/vsd.conf"; ok $? "installed vsd.conf is the default"
# units and init scripts name the installed programs, not /usr/local
grep -q '^ExecStart=/usr/sbin/vsd -f$' "$D/lib/systemd/system/vsd.service"
ok $? "vsd.service: ExecStart is the installed /usr/sbin/vsd"
bad=
for u in "$D"/lib/systemd/system/*.service; do
	for x in $(sed -n 's/^Exec[A-Za-z]*=-\{0,1\}\([^ ]*\).*/\1/p' "$u"); do
		case $x in /bin/kill) continue ;; esac
		[ -x "$D$x" ] || bad="$bad ${u##*/}:$x"
	done
done
is "$bad" "" "every unit's Exec* program is installed"
grep -q 'VSD:-/usr/sbin/vsd}' "$D/etc/init.d/vsd"; ok $? "init script: /usr/sbin/vsd"
! grep -rq /usr/local "$D/lib/systemd/system" "$D/etc/init.d"
ok $? "no /usr/local left in units and init scripts"
missing=
for p in $progs; do
	[ -f "$D/usr/share/bash-completion/completions/$p" ] || missing="$missing $p"
done
is "$missing" "" "a bash completion for every program, under its name"
n_unexpected=$(find "$D" -type f | grep -v -E "^$D/(usr/(sbin|libexec/freevsd|share/(man|bash-completion|freevsd))|etc/(vsd|init\.d)|lib/systemd/system)/" | wc -l)
is "$n_unexpected" 0 "nothing installed outside the documented directories"

# an edited config survives a reinstall and an uninstall
echo "# edited by the admin" >>"$D/etc/vsd/vsd.conf"
run_ok "reinstall" make -s install DESTDIR="$D" PREFIX=/usr
grep -q "edited by the admin" "$D/etc/vsd/vsd.conf"; ok $? "reinstall keeps an edited config"
run_ok "make uninstall" make -s uninstall DESTDIR="$D" PREFIX=/usr
left=$(find "$D" -type f | sed "s|^$D||")
is "$left" "/etc/vsd/vsd.conf" "uninstall removes everything but the edited config"

# a fresh install + uninstall leaves not even directories behind
rm -rf "$D"
run_ok "install again" make -s install DESTDIR="$D" PREFIX=/usr
run_ok "uninstall again" make -s uninstall DESTDIR="$D" PREFIX=/usr
is "$(find "$D" -mindepth 1 2>/dev/null | wc -l)" 0 "install + uninstall leaves nothing in DESTDIR"

# the Debian package installs and removes cleanly in a private dpkg root
need_cmd dpkg-deb
deb=$(ci/mkdeb "$T/deb" 2>&1 | tail -1)
[ -f "$deb" ]; ok $? "make deb builds a package ($deb)"
R=$T/dpkgroot
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/log"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
dp() { dpkg --root="$R" --log="$T/dpkg.log" --force-depends \
	--force-not-root --force-script-chrootless "$@"; }
run_ok "dpkg -i installs the package" dp -i "$deb"
dp -L freevsd | grep -q '^/etc/vsd/vsd.conf'; ok $? "package lists its files"
[ -f "$R/etc/vsd/vsd.conf" ]; ok $? "package ships /etc/vsd/vsd.conf"
dpkg-deb -f "$deb" Depends | grep -q libc6; ok $? "Depends names libc6"
run_ok "dpkg --purge removes it" dp --purge freevsd
left=$(find "$R" -type f ! -path "$R/var/lib/dpkg/*" ! -path "$R/var/log/*" | wc -l)
is "$left" 0 "nothing of the package is left after purge"

# and the package tried with freeVSD's own vstry: installs, verifies,
# removes cleanly inside a disposable VS (the skeleton lacks the libraries
# it links, hence --nodeps; merged-/usr paths must not count as "outside")
. "$VSD_TOP/tests/lib/skel.sh"
make_skel
out=$(vstry --nodeps --json "$deb" 2>&1); rc=$?
is "$rc" 0 "vstry of the freevsd .deb passes"
[ $rc = 0 ] || printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
case $out in *'"verdict"'*) pass "vstry gave a JSON report";;
*) not_ok "vstry gave a JSON report";; esac
done_testing
