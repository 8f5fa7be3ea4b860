/* runtime.h - running a VS: start, stop, status, and commands inside it.
 *
 * A running VS is one process tree on the host:
 *
 *   monitor (host root, host namespaces; one per running VS)
 *     `- vsinit (PID 1 of the VS: its own user, mount, PID, UTS, IPC and
 *        cgroup namespaces, the host-made network namespace, the VS's
 *        cgroup, reduced capabilities, a seccomp filter)
 *
 * The monitor is forked by vs_run_start() and outlives its caller: it
 * copies vsinit's output into state_root/run/NAME.log (a host file the VS
 * cannot name), waits for vsinit, records how it ended in
 * state_root/run/NAME.exit, and removes the VS's cgroup and network when
 * it dies (also after a kill -9 of vsinit).  state_root/run/NAME.pid holds
 * "INITPID INITSTART MONITORPID STARTED" (INITSTART: field 22 of
 * /proc/PID/stat, so a reused pid is never taken for vsinit).  A pid file
 * whose vsinit is gone (the monitor died too, or the host crashed) is stale:
 * start, stop and status clean it up (cgroup, netns, pid file) and say so.
 *
 * All functions: >= 0 on success, -1 with errno set and *err filled on
 * failure (err may be NULL).  They take the VS's lock (state.h) where they
 * change state; exec/spawn/signal do not.  They must be called as host
 * root.  vs_run_start() forks; call it from a single-threaded process or
 * one that is prepared for fork (vsd's privileged executor is).
 */
#ifndef VS_RUNTIME_H
#define VS_RUNTIME_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"

#define VS_START_NONET	0x1	/* netns with loopback only, no veth (vstry) */

/*
 * Start VS name and return once vsinit runs (exec'd inside the VS).
 * Returns 0 when started, 1 when it was already running (nothing done).
 * On failure everything made so far (cgroup, network, processes) is undone.
 */
int vs_run_start(const struct vs_conf *conf, const char *name, unsigned flags,
    struct vs_err *err);

/*
 * Stop VS name: SIGTERM to vsinit (which stops the VS's services in reverse
 * order), wait up to timeout_s seconds (< 0: conf->stop_timeout), then kill
 * whatever is left in its cgroup; remove cgroup, network, pid file.
 * Returns 0 when stopped, 1 when it was not running (stale state cleaned).
 */
int vs_run_stop(const struct vs_conf *conf, const char *name, int timeout_s,
    struct vs_err *err);

/* Stop (if running) then start. */
int vs_run_restart(const struct vs_conf *conf, const char *name,
    unsigned flags, int timeout_s, struct vs_err *err);

struct vs_run_status {
	int running;		/* 1 when vsinit is alive */
	pid_t init_pid;		/* host pid of vsinit, 0 when not running */
	pid_t monitor_pid;	/* host pid of the monitor, 0 when unknown */
	long long started;	/* unix time of the start, 0 when not running */
	int stale;		/* 1: leftovers of a dead VS were found (and
				 * cleaned when the lock was free) */
	int monitor_lost;	/* running, but its monitor died: output is
				 * no longer logged, vsinit's end would go
				 * unnoticed until the next status (restart
				 * the VS to repair) */
	char last_exit[160];	/* how vsinit ended last, e.g.
				 * "killed by signal 9 (Killed) at ..."; "" if
				 * unknown */
};

/* Fill *st (untouched on failure).  ENOENT when there is no such VS. */
int vs_run_status(const struct vs_conf *conf, const char *name,
    struct vs_run_status *st, struct vs_err *err);

/*
 * A command to run inside a running VS.  Every field may be 0/NULL:
 *   user	VS user name (from the VS's own /etc/passwd); NULL = uid 0
 *   argv	command; NULL = the user's login shell (argv[0] "-sh" style)
 *   env	environment; NULL = a clean one (PATH, HOME, USER, LOGNAME,
 *		SHELL, and with pty TERM: term, else the caller's $TERM)
 *   term	TERM for that clean environment (vsd's bevs sessions pass
 *		their client's); NULL = the caller's $TERM
 *   cwd	directory inside the VS; NULL = the user's home, else "/"
 *   fd_in, fd_out, fd_err	host fds the command gets as 0, 1, 2
 *		(-1: /dev/null of the VS); ignored when pty
 *   pty	1: a new pty from the VS's own devpts, the command in a new
 *		session with the slave as controlling tty; the caller gets
 *		the master (nothing inside can reach the caller's terminal)
 *   env_add	"NAME=value" strings added to env (or to the clean one),
 *		e.g. a connection's addresses (virtuald)
 *   listen_name	socket activation (systemd's convention): fd_in
 *		becomes fd 3 instead of 0 (stdin is /dev/null) and the
 *		command gets LISTEN_FDS=1, LISTEN_PID=its own pid as seen in
 *		the VS, LISTEN_FDNAMES=listen_name.  No shell is needed for
 *		that: the pid is known in the command's own process.
 *   rows, cols	the pty's window size before the command starts (0: none)
 * Use {0} then set fields: fd_* of 0 mean fd 0, so set -1 explicitly.
 */
struct vs_exec {
	const char *user;
	char *const *argv;
	char *const *env;
	const char *term;
	const char *cwd;
	int fd_in, fd_out, fd_err;
	int pty;
	char *const *env_add;
	const char *listen_name;
	unsigned short rows, cols;
};

/*
 * Start x inside VS name (its namespaces, cgroup, capabilities, seccomp
 * filter, as the VS user) and return its host pid without waiting; it is
 * a child of the caller (waitpid() it).  With x->pty, *master receives
 * the pty master (O_CLOEXEC, caller closes it).  Fails (nothing left
 * running) when the VS is not running, the user is unknown, or the
 * command cannot be executed (errno from execve: ENOENT, EACCES...).
 */
pid_t vs_run_spawn(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *master, struct vs_err *err);

/*
 * vs_run_spawn() and wait: *wstatus gets the waitpid() status.  With
 * x->pty, relays x->fd_in to the pty and the pty to x->fd_out until the
 * command exits.
 */
int vs_run_exec(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *wstatus, struct vs_err *err);

/*
 * Send sig to the VS's vsinit: SIGHUP = restart the VS's services,
 * SIGTERM = stop them and the VS.  ESRCH when the VS is not running.
 */
int vs_run_signal_init(const struct vs_conf *conf, const char *name, int sig,
    struct vs_err *err);

/*
 * Start time of pid (field 22 of /proc/PID/stat, clock ticks since boot);
 * 0 when there is no such process or it is a zombie.  A pid recorded with
 * its start time is never mistaken for a later process reusing the pid.
 */
unsigned long long vs_proc_start(pid_t pid);

#endif
