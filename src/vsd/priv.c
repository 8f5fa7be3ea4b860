/* priv.c - vsd's privileged executor (root), and the front's privilege
 * drop.
 *
 * The front (control.c) owns the sockets and the line protocol and runs
 * as an unprivileged user; it decides who the caller is and what the
 * command is.  This process takes one fixed-size request per command
 * over a SOCK_SEQPACKET pair (struct vsd_xreq in vsd.h) and re-checks
 * every field before acting: the command index against the table, the
 * role bit against the command's allowed roles, the VS name's charset,
 * a VS caller's scope, each operand's termination, the data block's
 * size.  Quick read-only commands run here inline; the others run in a
 * worker process forked per request, so a slow operation never holds up
 * the next request, a crash in one cannot take the executor down, and a
 * worker dies with the executor (PR_SET_PDEATHSIG): `kill -9 vsd` leaves
 * at most one journaled operation per VS half done, which vs_reconcile()
 * repairs at the next start.  The answer goes straight into a pipe the
 * front handed over; a struct vsd_xdone says it is complete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "auth.h"
#include "buf.h"
#include "hash.h"
#include "log.h"
#include "priv/cgroup.h"
#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define WORKER_FD	3
#define MAX_JOBS	4096

struct job {
	pid_t pid;
	uint32_t id;
};

static struct {
	struct vs_conf *conf;
	const char *conf_path;
	int explicit_conf;
	int chan;
	pid_t front;
	uid_t front_uid;
	gid_t front_gid;
	struct job jobs[MAX_JOBS];
	size_t njobs;
} X;

/* The done message(s): the answer in chunks when there is no pipe. */
static void
send_done(uint32_t id, int status, const struct vs_buf *answer)
{
	static char msg[sizeof(struct vsd_xdone) + VSD_X_CHUNK];
	struct vsd_xdone d = { VSD_X_MAGIC, id, status, 0, 0 };
	size_t off = 0, len = answer ? answer->len : 0;

	do {
		size_t n = len - off > VSD_X_CHUNK ? VSD_X_CHUNK : len - off;

		d.len = (uint32_t)n;
		d.more = off + n < len;
		memcpy(msg, &d, sizeof(d));
		if (n)
			memcpy(msg + sizeof(d), answer->buf + off, n);
		if (send(X.chan, msg, sizeof(d) + n, MSG_NOSIGNAL) !=
		    (ssize_t)(sizeof(d) + n)) {
			log_warn("executor: cannot answer request %u", id);
			return;
		}
		off += n;
	} while (off < len);
}

/* ---- the request, re-checked -------------------------------------- */

static int
role_ok(uint32_t role)
{
	return role == VSD_LOCAL || role == VSD_ADMIN || role == VSD_VSADMIN ||
	    role == VSD_VSUSER;
}

/* Every field of x, as if the front could lie. */
static int
recheck(struct vsd_xreq *x, const struct vsd_cmd **cp, char **why)
{
	const struct vsd_cmd *t, *c;
	size_t n, i;

	*why = "malformed request";
	if (x->magic != VSD_X_MAGIC || x->argc > VSD_X_ARGS)
		return -1;
	if (memchr(x->vs, '\0', sizeof(x->vs)) == NULL ||
	    memchr(x->caller_vs, '\0', sizeof(x->caller_vs)) == NULL)
		return -1;
	for (i = 0; i < x->argc; i++)
		if (memchr(x->argv[i], '\0', VSD_X_ARGLEN) == NULL)
			return -1;
	if (x->cmd == VSD_XOP_BEVS) {
		*cp = NULL;
		return x->has_conn && !x->has_pipe && !x->has_data ? 0 : -1;
	}
	if (x->has_conn)
		return -1;
	if (x->cmd < 0) {
		*cp = NULL;
		return x->cmd >= VSD_XOP_RELOAD ? 0 : -1;
	}
	t = vsd_cmd_table(&n);
	if ((size_t)x->cmd >= n)
		return -1;
	c = &t[x->cmd];
	*why = "request refused by the executor";
	if (!role_ok(x->role) || !(c->who & x->role))
		return -1;
	if (c->takes_vs ? !vs_valid_name(x->vs) : x->vs[0] != '\0')
		return -1;
	if ((x->role & VSD_ANY_VS) && (!vs_valid_name(x->caller_vs) ||
	    strcmp(x->vs, x->caller_vs) != 0))
		return -1;
	if ((int)x->argc < c->min || (int)x->argc > c->max)
		return -1;
	if (!!x->has_data != !!c->data)
		return -1;
	*why = "request without an answer pipe";
	if (c->mode != VSD_INLINE && !x->has_pipe)
		return -1;
	*cp = c;
	return 0;
}

/* The data block from the memfd, bounded. */
static int
read_data(int fd, struct vs_buf *data)
{
	struct stat st;
	size_t off = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > VSD_X_DATA_MAX)
		return -1;
	vs_buf_grow(data, (size_t)st.st_size);
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, data->buf + off, (size_t)st.st_size - off,
		    (off_t)off);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	vs_buf_setlen(data, off);
	return 0;
}

/* ---- internal operations ----------------------------------------- */

/* Records for the front: who may use each VS's socket, which addresses
 * are VSs'; and run/vs/NAME/ owned by the front so it can bind there.
 * Directories of VSs without a record go (socket, the runtime's empty
 * bin/). */
static void
op_sync(struct vs_buf *out)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec *recs = NULL;
	char *runvs = vs_conf_dir(X.conf, "run/vs");
	struct dirent *de;
	size_t n = 0, i;
	int dfd;
	DIR *d;

	if (vs_rec_list(X.conf, &recs, &n, &err) < 0) {
		log_warnx("cannot list servers: %s", err.msg);
		free(runvs);
		return;
	}
	dfd = open(runvs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (i = 0; i < n; i++) {
		vs_buf_addf(out, "%s %lld %lld %s\n", recs[i].name,
		    recs[i].uid_base, recs[i].uid_count, recs[i].ip);
		if (dfd >= 0 && (mkdirat(dfd, recs[i].name, 0755) == 0 ||
		    errno == EEXIST))
			fchownat(dfd, recs[i].name, X.front_uid, X.front_gid,
			    AT_SYMLINK_NOFOLLOW);
	}
	if (dfd >= 0 && (d = fdopendir(dup(dfd)))) {
		while ((de = readdir(d))) {
			int sub;

			if (!vs_valid_name(de->d_name))
				continue;
			for (i = 0; i < n; i++)
				if (strcmp(recs[i].name, de->d_name) == 0)
					break;
			if (i < n)
				continue;
			sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				unlinkat(sub, "vsd.sock", 0);
				unlinkat(sub, "bin", AT_REMOVEDIR);
				close(sub);
			}
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		}
		closedir(d);
	}
	if (dfd >= 0)
		close(dfd);
	free(runvs);
	free(recs);
}

static void
op_secret(struct vs_buf *out)
{
	struct vs_auth_secret s;
	struct vs_err err = VS_ERR_INIT;
	char hex[2 * VS_AUTH_SECRET_MAX + 1];

	if (X.conf->n_listen == 0) {
		vs_proto_err(out, VS_PROTO_E_UNAVAIL, "no TCP listener");
		return;
	}
	if (vs_auth_secret_load(X.conf->secret_file, 0, &s, &err) < 0) {
		vs_proto_err(out, VS_PROTO_E_UNAVAIL, "%s", err.msg);
		return;
	}
	vs_hex(s.key, s.len, hex);
	vs_proto_ok(out, "%s", hex);
	vs_auth_secret_clear(&s);
	explicit_bzero(hex, sizeof(hex));
}

static void
op_reload(struct vs_buf *out)
{
	struct vs_buf errs = VS_BUF_INIT;
	struct vs_conf nc;

	if (vs_conf_load(X.conf_path, X.explicit_conf, &nc, &errs) == 0) {
		/* the state root stays: moving it needs a restart */
		free(nc.state_root);
		nc.state_root = xstrdup(X.conf->state_root);
		free(nc.instance);
		nc.instance = xstrdup(X.conf->instance);
		vs_conf_release(X.conf);
		*X.conf = nc;
	}
	vs_buf_release(&errs);	/* the front reports the errors */
	op_secret(out);
}

/* ---- running a request -------------------------------------------- */

static void
run_request(struct vsd_xreq *x, int pipefd, int datafd, int connfd)
{
	struct vs_buf out = VS_BUF_INIT, data = VS_BUF_INIT;
	struct vsd_caller who;
	const struct vsd_cmd *c = NULL;
	struct vsd_req r;
	char *argv[VSD_X_ARGS + 1], *why;
	size_t i;
	pid_t pid;

	if (recheck(x, &c, &why) < 0 ||
	    (datafd >= 0 && read_data(datafd, &data) < 0)) {
		log_warnx("executor: refused request %u (command %d): %s",
		    x->id, (int)x->cmd, why);
		if (connfd >= 0) {
			close(connfd);	/* nobody waits for an answer */
			vs_buf_release(&data);
			return;
		}
		vs_proto_err(&out, VS_PROTO_E_INTERNAL, "%s", why);
		goto answer;
	}
	if (x->cmd == VSD_XOP_BEVS) {
		vsd_session_accept(X.conf, connfd);
		vs_buf_release(&data);
		return;
	}
	if (!c) {
		if (x->cmd == VSD_XOP_SYNC)
			op_sync(&out);
		else if (x->cmd == VSD_XOP_SECRET)
			op_secret(&out);
		else
			op_reload(&out);
		goto answer;
	}
	memset(&who, 0, sizeof(who));
	who.role = (enum vsd_role)x->role;
	who.uid = x->uid;
	snprintf(who.vs, sizeof(who.vs), "%s", x->caller_vs);
	for (i = 0; i < x->argc; i++)
		argv[i] = x->argv[i];
	argv[x->argc] = NULL;
	r.conf = X.conf;
	r.who = &who;
	r.vs = c->takes_vs ? x->vs : NULL;
	r.argc = (int)x->argc;
	r.argv = argv;
	r.data = x->has_data ? &data : NULL;
	r.out = &out;
	if (c->mode == VSD_INLINE) {
		c->fn(&r);
		goto answer;
	}
	if (pipefd < 0) {
		vs_proto_err(&out, VS_PROTO_E_INTERNAL, "no answer pipe");
		goto answer;
	}
	if (X.njobs >= MAX_JOBS || (pid = fork()) < 0) {
		vs_proto_err(&out, VS_PROTO_E_UNAVAIL, "cannot start a worker");
		goto answer;
	}
	if (pid == 0) {
		struct vs_err err = VS_ERR_INIT;
		sigset_t none;

		/* worker: dies with the executor; gets the signals back */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* only stdio and the answer pipe: no channel, no other
		 * request's pipe outlives us in anything we start */
		if (dup2(pipefd, WORKER_FD) < 0)
			_exit(1);
		fcntl(WORKER_FD, F_SETFD, FD_CLOEXEC);
		syscall(SYS_close_range, WORKER_FD + 1, ~0U, 0);
		/* work a VS asked for (quota usage, snapshots, diffs walk its
		 * whole tree) is charged to that VS's cgroup: its memory and
		 * pids limits, not the host, bound what a hostile tree costs */
		if (who.vs[0] &&
		    vs_cgroup_attach(r.conf, who.vs, getpid(), &err) < 0 &&
		    errno != ENOENT)	/* ENOENT: the VS has no cgroup */
			vs_proto_err(&out, VS_PROTO_E_UNAVAIL, "%s", err.msg);
		else if (c->mode == VSD_LOCKED &&
		    vs_state_lock(r.conf, r.vs, 0, &err) < 0)
			vs_proto_err(&out, VS_PROTO_E_UNAVAIL, "%s", err.msg);
		else
			c->fn(&r);	/* the lock goes with the process */
		(void)vs_write_all(WORKER_FD, out.buf, out.len);
		_exit(0);
	}
	X.jobs[X.njobs].pid = pid;
	X.jobs[X.njobs].id = x->id;
	X.njobs++;
	close(pipefd);
	vs_buf_release(&out);
	vs_buf_release(&data);
	return;		/* done is sent when it is reaped */
answer:
	if (pipefd >= 0) {
		(void)vs_write_all(pipefd, out.buf, out.len);
		close(pipefd);
		send_done(x->id, 0, NULL);
	} else
		send_done(x->id, 0, &out);
	explicit_bzero(out.buf, out.len);	/* may hold the secret */
	vs_buf_release(&out);
	vs_buf_release(&data);
}

/* One request from the channel; 0 at EOF (the front is gone). */
static int
take_request(struct vsd_xreq *x)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { x, sizeof(*x) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fds[4], nfd = 0, i;
	ssize_t n;

	n = recvmsg(X.chan, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type ==
		    SCM_RIGHTS) {
			int k = (int)((cm->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int));

			for (i = 0; i < k && nfd < 4; i++)
				memcpy(&fds[nfd++], CMSG_DATA(cm) + i *
				    sizeof(int), sizeof(int));
		}
	if ((size_t)n != sizeof(*x) || (m.msg_flags & (MSG_TRUNC |
	    MSG_CTRUNC)) || nfd != !!x->has_pipe + !!x->has_data +
	    !!x->has_conn) {
		log_warnx("executor: malformed message (%zd bytes, %d fds)",
		    n, nfd);
		for (i = 0; i < nfd; i++)
			close(fds[i]);
		return 1;
	}
	if (x->has_conn) {	/* a connection comes alone */
		if (nfd == 1)
			run_request(x, -1, -1, fds[0]);
		else
			for (i = 0; i < nfd; i++)
				close(fds[i]);
		return 1;
	}
	run_request(x, x->has_pipe ? fds[0] : -1,
	    x->has_data ? fds[nfd - 1] : -1, -1);
	if (x->has_data)
		close(fds[nfd - 1]);
	return 1;
}

static void
reap(int *front_status)
{
	int st;
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == X.front) {
			*front_status = st;
			X.front = 0;
			continue;
		}
		if (vsd_session_reaped(pid))
			continue;
		for (i = 0; i < X.njobs; i++)
			if (X.jobs[i].pid == pid)
				break;
		if (i == X.njobs)
			continue;
		send_done(X.jobs[i].id, st, NULL);
		X.jobs[i] = X.jobs[--X.njobs];
	}
}

int
vsd_exec_main(struct vs_conf *conf, const char *conf_path, int explicit_conf,
    int chan, pid_t front)
{
	static struct vsd_xreq x;	/* 32 KiB: not on the stack */
	int front_status = 0, sigfd, chan_open = 1;
	sigset_t ss;

	X.conf = conf;
	X.conf_path = conf_path;
	X.explicit_conf = explicit_conf;
	X.chan = chan;
	X.front = front;
	X.front_uid = VSD_FRONT_ID(conf);
	X.front_gid = (gid_t)VSD_FRONT_ID(conf);
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if ((sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	/* serve until the front is gone and every worker reported */
	while (X.front || X.njobs) {
		struct pollfd p[2] = { { sigfd, POLLIN, 0 },
		    { chan_open ? chan : -1, POLLIN, 0 } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			fatal("poll");
		while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				reap(&front_status);
			else if (X.front)	/* the front acts on them */
				kill(X.front, (int)si.ssi_signo);
		}
		if (chan_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			chan_open = take_request(&x);
		if (!chan_open && X.front)
			kill(X.front, SIGTERM);	/* channel broken */
		if (!X.front)
			chan_open = 0;	/* nobody to answer: finish workers */
	}
	close(chan);
	if (WIFSIGNALED(front_status)) {
		log_warnx("front process died of signal %d",
		    WTERMSIG(front_status));
		return 1;
	}
	return WIFEXITED(front_status) ? WEXITSTATUS(front_status) : 1;
}

/* The front's phases after it bound its sockets as root: no supplementary
 * groups, gid and uid (real, effective, saved), no new privileges, the
 * parent-death signal again, checked by trying to get root back. */
int
vsd_drop_privileges(uid_t uid, struct vs_err *err)
{
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return vs_err_sys(err, "cannot become uid %u", (unsigned)uid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vs_err_sys(err, "PR_SET_NO_NEW_PRIVS");
	/* a change of credentials clears the parent-death signal: set it
	 * again, the front must not outlive the executor */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
		return vs_err_set(err, ESRCH, "the executor is gone");
	if (setuid(0) == 0 || geteuid() == 0)
		return vs_err_set(err, EPERM, "still root after dropping");
	return 0;
}
