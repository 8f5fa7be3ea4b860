/* enter.c - join a running VS and exec a command there (see enter.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "priv/cgroup.h"
#include "priv/confine.h"
#include "priv/enter.h"
#include "xmem.h"

enum { MSG_PID = 1, MSG_MASTER = 2, MSG_FAIL = 3 };

struct sync_msg {
	int kind;
	int errnum;
	pid_t pid;
	char msg[VS_ERR_MAX];
};

#define MAX_GROUPS 64

struct vs_user {
	uid_t uid;
	gid_t gid;
	char home[256];
	char shell[256];
	char name[64];
	gid_t groups[MAX_GROUPS];
	int ngroups;
};

/* Look name up in the VS's /etc/passwd and /etc/group (we are its root,
 * inside its mount namespace: these are the VS's files). */
static int
lookup_user(const char *name, struct vs_user *u, struct vs_err *err)
{
	_cleanup_fclose_ FILE *pf = NULL, *gf = NULL;
	struct passwd *pw;
	struct group *gr;
	int found = 0;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/root");
	snprintf(u->shell, sizeof(u->shell), "/bin/sh");
	snprintf(u->name, sizeof(u->name), "root");
	pf = fopen("/etc/passwd", "re");
	if (!pf) {
		if (!name)
			return 0;
		return vs_err_sys(err, "open the VS's /etc/passwd");
	}
	while ((pw = fgetpwent(pf)) != NULL) {
		if (name ? strcmp(pw->pw_name, name) != 0 : pw->pw_uid != 0)
			continue;
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
		if (pw->pw_dir && *pw->pw_dir)
			snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
		if (pw->pw_shell && *pw->pw_shell)
			snprintf(u->shell, sizeof(u->shell), "%s",
			    pw->pw_shell);
		found = 1;
		break;
	}
	if (!found) {
		if (!name)
			return 0;
		return vs_err_set(err, EINVAL, "no user '%s' in the VS", name);
	}
	u->groups[u->ngroups++] = u->gid;
	gf = fopen("/etc/group", "re");
	while (gf && (gr = fgetgrent(gf)) != NULL && u->ngroups < MAX_GROUPS) {
		char **m;

		if (gr->gr_gid == u->gid)
			continue;
		for (m = gr->gr_mem; m && *m; m++)
			if (strcmp(*m, u->name) == 0) {
				u->groups[u->ngroups++] = gr->gr_gid;
				break;
			}
	}
	return 0;
}

static int
send_fd(int sock, int fd)
{
	struct sync_msg m = { .kind = MSG_MASTER };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) < 0 ? -1 : 0;
}

/* A new pty of the VS's devpts; the slave becomes our controlling tty
 * and stdio, the master goes to the caller. */
static int
setup_pty(const struct vs_exec *x, int sync, struct vs_err *err)
{
	_cleanup_close_ int mfd = -1, sfd = -1;
	char name[64];

	mfd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (mfd < 0)
		return vs_err_sys(err, "open the VS's /dev/ptmx");
	if (unlockpt(mfd) < 0 || ptsname_r(mfd, name, sizeof(name)) != 0)
		return vs_err_sys(err, "unlock pty");
	sfd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sfd < 0)
		return vs_err_sys(err, "open %s", name);
	/* the size before the command can ask for it (stty, a full-screen
	 * program): set on the master afterwards it would race */
	if (x->rows && x->cols) {
		struct winsize ws = { .ws_row = x->rows, .ws_col = x->cols };

		ioctl(sfd, TIOCSWINSZ, &ws);
	}
	if (send_fd(sync, mfd) < 0)
		return vs_err_sys(err, "hand over the pty");
	if (setsid() < 0 || ioctl(sfd, TIOCSCTTY, 0) < 0)
		return vs_err_sys(err, "make %s the controlling tty", name);
	if (dup2(sfd, 0) < 0 || dup2(sfd, 1) < 0 || dup2(sfd, 2) < 0)
		return vs_err_sys(err, "pty stdio");
	return 0;
}

/* x's fds as 0, 1, 2 (-1: the VS's /dev/null); moved above 2 first so
 * that e.g. fd_in == 1 is not overwritten before it is used. */
static int
setup_stdio(const struct vs_exec *x, struct vs_err *err)
{
	int want[3] = { x->fd_in, x->fd_out, x->fd_err }, tmp[3], i;
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (nullfd < 0)
		return vs_err_sys(err, "open the VS's /dev/null");
	for (i = 0; i < 3; i++) {
		tmp[i] = fcntl(want[i] >= 0 ? want[i] : nullfd,
		    F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			return vs_err_sys(err, "fd %d", want[i]);
	}
	for (i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			return vs_err_sys(err, "dup2");
	return 0;
}

static char **
default_env(const struct vs_user *u, const struct vs_exec *x)
{
	const char *term = !x->pty ? NULL : x->term ? x->term : getenv("TERM");
	char **env = xcalloc(8, sizeof(char *));
	int n = 0;

	env[n++] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin:/run/vsd/bin");
	env[n++] = xasprintf("HOME=%s", u->home);
	env[n++] = xasprintf("USER=%s", u->name);
	env[n++] = xasprintf("LOGNAME=%s", u->name);
	env[n++] = xasprintf("SHELL=%s", u->shell);
	if (term && *term && strlen(term) < 64 && !strchr(term, '/'))
		env[n++] = xasprintf("TERM=%s", term);
	env[n] = NULL;
	return env;
}

/* base (not freed) plus add plus, with x->listen_name, the socket
 * activation variables; a new array. */
static char **
extend_env(char *const *base, const struct vs_exec *x)
{
	size_t n = 0, k = 0, i;
	char **env;

	for (i = 0; base[i]; i++)
		n++;
	for (i = 0; x->env_add && x->env_add[i]; i++)
		n++;
	env = xcalloc(n + 4, sizeof(char *));
	for (i = 0; base[i]; i++)
		env[k++] = base[i];
	for (i = 0; x->env_add && x->env_add[i]; i++)
		env[k++] = x->env_add[i];
	if (x->listen_name) {
		/* getpid(): we are in the VS's PID namespace already */
		env[k++] = xasprintf("LISTEN_PID=%d", (int)getpid());
		env[k++] = xstrdup("LISTEN_FDS=1");
		env[k++] = xasprintf("LISTEN_FDNAMES=%s", x->listen_name);
	}
	env[k] = NULL;
	return env;
}

extern char **environ;

/* In the command's process: everything from "VS root" to exec.  *sync
 * may move (off fd 3, for a socket-activation fd). */
static int
command_main(const struct vs_exec *x, int nnp, int *sync, struct vs_err *err)
{
	struct vs_user u;
	struct vs_exec xs;
	char **env, *shellargv[2], *argv0;
	char *const *argv = x->argv;
	int lfd = -1;

	if (lookup_user(x->user, &u, err) < 0)
		return -1;
	if (vs_confine_bound(err) < 0 || vs_confine_seccomp(err) < 0)
		return -1;
	if (u.uid == 0) {
		if (vs_confine_caps(err) < 0)
			return -1;
	} else if (setgroups(u.ngroups, u.groups) < 0 ||
	    setresgid(u.gid, u.gid, u.gid) < 0 ||
	    setresuid(u.uid, u.uid, u.uid) < 0) {
		return vs_err_sys(err, "become user '%s' (uid %u)", u.name,
		    (unsigned)u.uid);
	}
	if (nnp && vs_confine_nnp(err) < 0)
		return -1;
	if (chdir(x->cwd ? x->cwd : u.home) < 0) {
		if (x->cwd)
			return vs_err_sys(err, "chdir '%s'", x->cwd);
		if (chdir("/") < 0)
			return vs_err_sys(err, "chdir /");
	}
	if (x->listen_name) {
		/* the socket goes to 3, stdin is /dev/null; keep it (and the
		 * sync socket) clear of 0-3 meanwhile */
		lfd = fcntl(x->fd_in, F_DUPFD_CLOEXEC, 4);
		if (lfd < 0)
			return vs_err_sys(err, "listening socket");
		if (*sync == 3) {
			int s = fcntl(*sync, F_DUPFD_CLOEXEC, 4);

			if (s < 0)
				return vs_err_sys(err, "sync socket");
			close(*sync);
			*sync = s;
		}
		xs = *x;
		xs.fd_in = -1;
		x = &xs;
	}
	if (x->pty ? setup_pty(x, *sync, err) : setup_stdio(x, err))
		return -1;
	/* without a pty, a session of its own all the same: the caller's
	 * terminal must not be the command's controlling tty (/dev/tty) */
	if (!x->pty && setsid() < 0)
		return vs_err_sys(err, "setsid");
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return vs_err_sys(err, "close_range");
	vs_confine_signals();
	if (lfd >= 0 && (dup3(lfd, 3, 0) < 0 || close(lfd) < 0))
		return vs_err_sys(err, "listening socket as fd 3");
	env = x->env ? (char **)x->env : default_env(&u, x);
	if (x->env_add || x->listen_name)
		env = extend_env(env, x);
	if (!argv) {
		const char *base = strrchr(u.shell, '/');

		argv0 = xasprintf("-%s", base ? base + 1 : u.shell);
		shellargv[0] = argv0;
		shellargv[1] = NULL;
		argv = shellargv;
		environ = env;
		execv(u.shell, shellargv);
		return vs_err_sys(err, "exec shell '%s'", u.shell);
	}
	environ = env;
	execvp(argv[0], argv);
	return vs_err_sys(err, "exec '%s'", argv[0]);
}

static void
fail(int sync, const struct vs_err *e, int code)
{
	struct sync_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = MSG_FAIL;
	m.errnum = e->errnum ? e->errnum : EIO;
	memcpy(m.msg, e->msg, sizeof(m.msg));
	(void)!send(sync, &m, sizeof(m), 0);
	_exit(code);
}

/* The forked helper: joins the VS and clones the command as a sibling. */
static void
helper_main(const struct vs_conf *conf, const char *name, int initfd,
    const struct vs_exec *x, int sync)
{
	struct vs_err e = VS_ERR_INIT;
	struct sync_msg m = { .kind = MSG_PID };
	pid_t pid;

	if (vs_cgroup_attach(conf, name, 0, &e) < 0)
		fail(sync, &e, 1);
	if (setns(initfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
	    CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP) < 0) {
		vs_err_sys(&e, "join the VS's namespaces");
		fail(sync, &e, 1);
	}
	if (setns(initfd, CLONE_NEWUSER) < 0) {
		vs_err_sys(&e, "join the VS's user namespace");
		fail(sync, &e, 1);
	}
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresuid(0, 0, 0) < 0) {
		vs_err_sys(&e, "become root of the VS");
		fail(sync, &e, 1);
	}
	/* the command: our caller's child, in the VS's PID namespace */
	pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		vs_err_sys(&e, "clone");
		fail(sync, &e, 1);
	}
	if (pid == 0) {
		command_main(x, conf->no_new_privs, &sync, &e);
		fail(sync, &e, e.errnum == ENOENT ? 127 : 126);
	}
	m.pid = pid;
	(void)!send(sync, &m, sizeof(m), 0);
	_exit(0);
}

static int
recv_msg(int sock, struct sync_msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 1;
}

pid_t
vs_enter_spawn(const struct vs_conf *conf, const char *name, int initfd,
    const struct vs_exec *x, int *master, struct vs_err *err)
{
	int sv[2], status, mfd = -1, got;
	pid_t helper, cmd = -1;
	struct sync_msg m;
	struct vs_err e = VS_ERR_INIT;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vs_err_sys(err, "socketpair");
	helper = fork();
	if (helper < 0) {
		close(sv[0]);
		close(sv[1]);
		return vs_err_sys(err, "fork");
	}
	if (helper == 0) {
		close(sv[0]);
		helper_main(conf, name, initfd, x, sv[1]);
	}
	close(sv[1]);
	/* messages until EOF: the command exec'd (or everyone died) */
	while ((got = recv_msg(sv[0], &m, &mfd)) > 0) {
		if (m.kind == MSG_PID)
			cmd = m.pid;
		else if (m.kind == MSG_FAIL && !e.errnum) {
			m.msg[sizeof(m.msg) - 1] = '\0';
			vs_err_set(&e, m.errnum, "%s", m.msg);
		}
	}
	close(sv[0]);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (!e.errnum && cmd <= 0)
		vs_err_set(&e, EIO, "helper died (status 0x%x)", status);
	if (e.errnum) {
		if (cmd > 0)
			while (waitpid(cmd, &status, 0) < 0 && errno == EINTR)
				;
		if (mfd >= 0)
			close(mfd);
		if (err)
			*err = e;
		errno = e.errnum;
		return -1;
	}
	if (x->pty && master)
		*master = mfd;
	else if (mfd >= 0)
		close(mfd);
	return cmd;
}
