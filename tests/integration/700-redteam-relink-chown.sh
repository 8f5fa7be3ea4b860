#!/usr/bin/env bash
# Red team: vsdskel update retargets a symlink in a running VS by making it
# under a temporary name and then chowning that name to the VS.  The VS's
# root owns the directory, so between the two steps it can swap a shared
# skeleton file (hard-linked into every VS) in under that name
# (renameat2 RENAME_EXCHANGE): the chown must not hand the shared inode
# to the VS, which could then make it writable and change it for every
# other VS.  The attacker here runs with the VS root's host uid and no
# capabilities, as a VS root does; the skeleton inodes are watched through
# host-side hard links in the test's own state root.
. "$(dirname "$0")/../lib/common.sh"
. "$VSD_TOP/tests/lib/skel.sh"
need_root
need_cmd vsdskel vsdadm python3
new_state_root
export VSDADM_LOCAL=1

NL=400		# symlinks retargeted per update: one race window each
NV=40		# shared files the attacker swaps in
FX=$T/fx
mkdir -p "$FX/usr/bin" "$FX/lnk"
printf '#!/bin/sh\necho tool\n' >"$FX/usr/bin/tool"; chmod 755 "$FX/usr/bin/tool"
for i in $(seq 1 $NV); do printf 'shared %s\n' "$i" >"$FX/lnk/v$i"; done
# symlinks owned by another account are the VS's own (clone.h): update
# makes and chowns those (root's would be linked, nothing chowned)
for i in $(seq 1 $NL); do ln -s v1 "$FX/lnk/l$i"; chown -h 1:1 "$FX/lnk/l$i"; done
make_skel --from "$FX"
run_ok "create web1" vsdadm create web1 10.202.0.2 web1.example.com
run_ok "create web2" vsdadm create web2 10.202.0.3 web2.example.com
W1=$ROOT/vs/web1
base=$(stat -c %u "$W1")

cat >"$T/attack.py" <<'EOP'
import ctypes, os, stat, sys
d, uid, nv, stop, won = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(d)
os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
AT, EXCH = -100, 2
tmp = b".#vsdskel-update"
vs = [b"v%d" % i for i in range(1, nv + 1)]
i = 0
while True:
    i += 1
    if i % 4096 == 0 and os.path.exists(stop):
        break
    v = vs[i % nv]
    if libc.renameat2(AT, v, AT, tmp, EXCH) == 0:
        libc.renameat2(AT, v, AT, tmp, EXCH)
        try:
            st = os.lstat(v)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_uid == uid and st.st_nlink > 1:
            # the shared inode is ours now: prove it can be changed
            os.chmod(v, 0o644)
            with open(v, "a") as f:
                f.write("owned by the VS\n")
            open(won, "w").write(v.decode() + "\n")
EOP

# host-side names of the skeleton inodes the VS may try to steal
keep() {
	rm -rf "$T/keep"; mkdir "$T/keep"
	for i in $(seq 1 $NV); do ln "$ROOT/skel/lnk/v$i" "$T/keep/v$i"; done
}
stolen() { find "$T/keep" -type f ! -user 0 | head -1; }

FX2=$T/fx2
cp -a "$FX" "$FX2"
for round in 1 2 3; do
	keep
	rm -f "$T/stop" "$T/won"
	python3 "$T/attack.py" "$W1/lnk" "$base" $NV "$T/stop" "$T/won" &
	apid=$!
	defer "kill $apid 2>/dev/null"
	sleep 0.3
	# retarget every symlink: one temporary symlink + chown each
	t=v$(( round % NV + 1 ))
	for i in $(seq 1 $NL); do ln -sfn "$t" "$FX2/lnk/l$i"; chown -h 1:1 "$FX2/lnk/l$i"; done
	echo "round $round" >>"$FX2/usr/bin/tool"
	vsdskel -q update --from "$FX2" >"$T/out" 2>&1
	touch "$T/stop"
	wait $apid
	s=$(stolen)
	[ -n "$s" ] || [ -e "$T/won" ] && break
done
is "$(stolen)" "" "no skeleton inode ends up owned by the VS"
ok "$([ ! -e "$T/won" ]; echo $?)" "the VS never owned a shared file ($(cat "$T/won" 2>/dev/null))"
is "$(grep -l 'owned by the VS' "$T/keep"/* "$ROOT/vs/web2/lnk"/v* 2>/dev/null | head -1)" "" \
	"web2's shared files unchanged"
done_testing
