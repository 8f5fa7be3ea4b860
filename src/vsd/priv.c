/* priv.c - the privileged executor: every operation that changes a VS
 * (create, delete, start, stop, users, rights, quotas, files inside its
 * root) runs here, in a worker process forked per request, never in the
 * event loop.
 *
 * Why a process per request: an operation may take seconds (a start, a
 * delete of a large tree) and the loop must keep serving; a crash or a
 * leak in an operation cannot take the daemon down; and a worker dies with
 * the daemon (PR_SET_PDEATHSIG), so `kill -9 vsd` leaves at most one
 * half-done journaled operation per VS, which vs_reconcile() repairs at
 * the next start.  The worker re-checks the request it was handed (the
 * name's charset, the operand count against the table) before acting.
 *
 * The daemon is one process (not the unprivileged-front/privileged-
 * executor pair of STYLE.md): the front needs root anyway to read the
 * root-only state directory for the inline read-only commands.  The
 * privilege boundary that matters here is the caller's, decided in
 * control.c from SO_PEERCRED or TCP authentication before this runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define WORKER_FD 3

static void
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* The request as the worker sees it must still be one the table allows:
 * a corrupted request fails here, not inside the operation. */
static int
recheck(const struct vsd_req *r, const struct vsd_cmd *c)
{
	if (c->takes_vs && (!r->vs || !vs_valid_name(r->vs)))
		return -1;
	if (r->argc < c->min || r->argc > c->max)
		return -1;
	if (!(c->who & r->who->role))
		return -1;
	if ((r->who->role & VSD_ANY_VS) &&
	    (!r->vs || strcmp(r->vs, r->who->vs) != 0))
		return -1;
	return 0;
}

int
vsd_worker_start(struct vsd_req *r, const struct vsd_cmd *c, pid_t *pidp,
    int *fdp)
{
	struct vs_err err = VS_ERR_INIT;
	sigset_t all;
	pid_t parent = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		*pidp = pid;
		*fdp = p[0];
		return 0;
	}
	/* worker: die with the daemon; the signals the loop takes through
	 * signalfd are blocked in the daemon: give them back */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* keep only stdio and the answer pipe: no listening socket or client
	 * connection may outlive the daemon in a worker or its children */
	if (dup2(p[1], WORKER_FD) < 0)
		_exit(1);
	fcntl(WORKER_FD, F_SETFL, 0);
	fcntl(WORKER_FD, F_SETFD, FD_CLOEXEC);	/* nothing exec'd gets it */
	syscall(SYS_close_range, WORKER_FD + 1, ~0U, 0);
	if (recheck(r, c) < 0)
		vs_proto_err(r->out, VS_PROTO_E_INTERNAL, "request failed "
		    "the executor's check");
	else if (c->mode == VSD_LOCKED &&
	    vs_state_lock(r->conf, r->vs, 0, &err) < 0)
		vs_proto_err(r->out, VS_PROTO_E_UNAVAIL, "%s", err.msg);
	else
		c->fn(r);	/* the lock, if any, goes with the process */
	write_all(WORKER_FD, r->out->buf, r->out->len);
	_exit(0);
}
