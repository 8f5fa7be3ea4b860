#!/usr/bin/env bash
# bevs for a member of admin_group, through vsd, against what that user
# would otherwise do: `sudo bevs` (sudo with a NOPASSWD rule; measured as
# root running `sudo -n bevs`, which pays the same sudo start-up: PAM,
# sudoers, a fork; a member would also pay the password prompt once),
# and root's own bevs (no daemon).  `bevs NAME /usr/bin/true` on a running
# VS, then a pty session (`script`), interleaved (hyperfine runs one
# command's runs back to back); medians, minimums, CPU time (user+sys of
# the caller's side and of vsd), the load.  Never pass/fail.
set -u
source "$VSD_TOP/tests/lib/common.sh"
source "$VSD_TOP/tests/lib/runtime.sh"
source "$VSD_TOP/tests/lib/vsd.sh"
need_root
need_cmd setpriv script sudo python3
rt_setup
unset VSDADM_LOCAL
ADM=$((61000 + ($$ % 400) * 4)) MEMBER=$((61000 + ($$ % 400) * 4 + 2))
for id in $ADM $MEMBER; do	# ids nobody uses (/etc/group stays as it is)
	getent passwd "$id" >/dev/null || getent group "$id" >/dev/null &&
		bail "id $id is in use on this host"
done
chmod 755 "$T" "$ROOT"
start_vsd "admin_group $ADM"
VSDADM_LOCAL=1 rt_vs web1 10.84.$(( $$ % 200 + 20 )).2
vsboot --start web1 >/dev/null || bail "start"
B=$(command -v bevs)
M="setpriv --reuid=$MEMBER --regid=$MEMBER --groups=$ADM --inh-caps=-all --bounding-set=-all"
FRONT=$(pgrep -P "$VSD_PID" -x vsd)
echo "--- load before: $(uptime)"
# candidates interleaved (A B C D, B C D A, ...), each run timed alone;
# CPU: the caller's (rusage of it and everything it reaped) plus vsd's
# (executor with its reaped session processes, and the front)
python3 - "$VSD_PID" "$FRONT" "${RUNS:-60}" \
	"member via vsd" "$M $B web1 /usr/bin/true" \
	"sudo -n bevs" "sudo -n $B -c $CONF web1 /usr/bin/true" \
	"root bevs" "$B web1 /usr/bin/true" \
	"setpriv only" "$M /usr/bin/true" \
	"pty: member via vsd" "$M script -qec '$B web1 /usr/bin/true' /dev/null" \
	"pty: sudo -n bevs" "script -qec 'sudo -n $B -c $CONF web1 /usr/bin/true' /dev/null" \
	"pty: root bevs" "script -qec '$B web1 /usr/bin/true' /dev/null" <<'PY'
import os, shlex, statistics, sys, time
execp, front, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cands = [(sys.argv[i], shlex.split(sys.argv[i + 1])) for i in range(4, len(sys.argv), 2)]
hz = os.sysconf("SC_CLK_TCK")
def ticks(pid, fields):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return sum(int(f[i - 3]) for i in fields)
def vsd():
    return ticks(execp, (14, 15, 16, 17)) + ticks(front, (14, 15))
groups = [[c for c in cands if not c[0].startswith("pty")],
          [c for c in cands if c[0].startswith("pty")]]
res = {c[0]: ([], [], []) for c in cands}
null = os.open("/dev/null", os.O_RDWR)
for group in groups:
    for r in range(runs + 3):
        order = group[r % len(group):] + group[:r % len(group)]
        for name, argv in order:
            v0 = vsd()
            t0 = time.perf_counter()
            pid = os.posix_spawnp(argv[0], argv, os.environ,
                file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                              (os.POSIX_SPAWN_DUP2, null, 1),
                              (os.POSIX_SPAWN_DUP2, null, 2)])
            _, st, ru = os.wait4(pid, 0)
            dt = (time.perf_counter() - t0) * 1000
            if st:
                sys.exit(f"{name}: failed (status {st})")
            if r < 3:
                continue        # warm-up
            time.sleep(0.02)    # let vsd reap its session
            res[name][0].append(dt)
            res[name][1].append((ru.ru_utime + ru.ru_stime) * 1000)
            res[name][2].append((vsd() - v0) * 1000 / hz)
print(f"{runs} runs each, interleaved; wall ms median (min), CPU ms mean "
      "caller + vsd")
for name, _ in cands:
    w, c, v = res[name]
    print(f"  {name:22s} {statistics.median(w):7.2f} ({min(w):6.2f})   "
          f"cpu {statistics.mean(c):5.2f} + {statistics.mean(v):5.2f}")
def ratio(a, b):
    ma, mb = statistics.median(res[a][0]), statistics.median(res[b][0])
    return f"{ma / mb:.2f}x"
print(f"no tty: vsd/sudo = {ratio('member via vsd', 'sudo -n bevs')}, "
      f"vsd/root = {ratio('member via vsd', 'root bevs')} "
      f"(setpriv, part of the member's figure only: "
      f"{statistics.median(res['setpriv only'][0]):.2f} ms)")
print(f"pty:    vsd/sudo = {ratio('pty: member via vsd', 'pty: sudo -n bevs')}, "
      f"vsd/root = {ratio('pty: member via vsd', 'pty: root bevs')}")
PY
echo "--- load after: $(uptime)"
