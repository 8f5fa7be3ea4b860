/* session.c - bevs through vsd: the executor's side of run/bevs.sock.
 *
 * A host user who is not root but a member of admin_group runs bevs; bevs
 * connects to state_root/run/bevs.sock (bevsproto.h).  The front accepts
 * the connection and hands it to us unread (VSD_XOP_BEVS); everything
 * that decides is done here, in the root executor, from the kernel:
 *
 * - the fd must be a connected AF_UNIX SOCK_SEQPACKET socket, not a
 *   listening one, accepted on run/bevs.sock (its own address), so a
 *   compromised front cannot pass a socket of its own making: a socketpair
 *   or an accepted connection of its own has its uid; a client end
 *   connected to some root daemon, or the listening socket itself
 *   (SO_PEERCRED of a listener is whoever called listen(): root) fails
 *   these checks;
 * - SO_PEERCRED and SO_PEERGROUPS of that socket say who connected: host
 *   root, or admin_group as the gid or among the groups; never an id of
 *   vsd's front or of a VS (uid_base - 1 and up);
 * - at most bevs_sessions sessions at once, bevs_sessions_per_user per
 *   caller uid.
 *
 * Then a session process (our child; it dies with us through
 * PR_SET_PDEATHSIG) reads the request from the socket itself, checks
 * every field, and runs the command through vs_run_spawn(), the same code
 * path as root's bevs: the VS's namespaces, cgroup, capabilities, seccomp
 * filter, the VS user, a clean environment, a pty from the VS's devpts.
 * Only the pty master, or three pipe ends, go back to the caller.  When
 * the command ends its wait status follows; when the caller goes away (or
 * vsd stops) the command's process group gets SIGHUP and, after a grace,
 * every process still in its session SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bevsproto.h"
#include "log.h"
#include "peer.h"
#include "priv/cgroup.h"
#include "runtime.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define REQ_TIMEOUT_MS	10000	/* for the request after connecting */
#define HANGUP_GRACE_MS	2000	/* SIGHUP, then SIGKILL */

struct session {
	pid_t pid;
	uid_t uid;
};

static struct session *sessions;
static size_t nsessions, alloc_sessions;

int
vsd_session_reaped(pid_t pid)
{
	size_t i;

	for (i = 0; i < nsessions; i++)
		if (sessions[i].pid == pid) {
			sessions[i] = sessions[--nsessions];
			return 1;
		}
	return 0;
}

static void
refuse(int fd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tell the client why (never blocks: the socket is fresh), close it. */
static void
refuse(int fd, int code, const char *fmt, ...)
{
	struct vs_bevs_msg m;
	va_list ap;
	int i;

	memset(&m, 0, sizeof(m));
	m.magic = VS_BEVS_MAGIC;
	m.kind = VS_BEVS_FAILED;
	m.code = code;
	va_start(ap, fmt);
	vsnprintf(m.msg, sizeof(m.msg), fmt, ap);
	va_end(ap);
	(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
	/* closing with the request unread would reset the connection and
	 * the client might never see why: drop what is there first (a few
	 * messages: a caller writing on and on must not keep us here) */
	for (i = 0; i < 4; i++)
		if (recv(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC) <= 0)
			break;
	close(fd);
}

int
vsd_session_caller_ok(const struct vs_conf *conf, int fd)
{
	struct vs_peer pc = VS_PEER_INIT;
	int ok;

	if (vs_peer_get(fd, &pc, NULL) < 0)
		return 1;	/* the executor says why */
	ok = vs_peer_is_admin(conf, &pc);
	vs_peer_release(&pc);
	return ok;
}

void
vsd_session_refuse_caller(const struct vs_conf *conf, int fd)
{
	static time_t last;
	static unsigned long more;
	struct vs_peer pc = VS_PEER_INIT;
	struct vs_err err = VS_ERR_INIT;
	time_t now = time(NULL);
	gid_t g;
	int have = conf->admin_group && vs_admin_gid(conf, &g, &err) == 1;

	/* a refusal costs a log line at most once a second: a connection
	 * flood of any local user must not flood the log */
	if (now != last && vs_peer_get(fd, &pc, NULL) == 0) {
		log_warnx("bevs: refused uid %u gid %u (pid %d): not root or "
		    "a member of admin_group%s", (unsigned)pc.uid,
		    (unsigned)pc.gid, (int)pc.pid, more ? " (and more "
		    "refusals since the last one logged)" : "");
		vs_peer_release(&pc);
		last = now;
		more = 0;
	} else {
		more++;
	}
	if (conf->admin_group && !have)
		refuse(fd, 1, "permission denied: %s", err.msg);
	else
		refuse(fd, 1, "permission denied: only root%s%s%s may enter "
		    "a VS", have ? " and members of '" : "",
		    have ? conf->admin_group : "", have ? "'" : "");
}

/* ---- the session process --------------------------------------------- */

static void __attribute__((noreturn))
fail(int sock, int code, const struct vs_err *e)
{
	struct vs_bevs_msg m;

	memset(&m, 0, sizeof(m));
	m.magic = VS_BEVS_MAGIC;
	m.kind = VS_BEVS_FAILED;
	m.value = e->errnum;
	m.code = code;
	snprintf(m.msg, sizeof(m.msg), "%s", e->msg);
	(void)!vs_bevs_send(sock, &m, NULL, 0);
	_exit(1);
}

/* Every process of the VS still in session sid: SIGKILL, until none
 * (one may be forking meanwhile); the leader, reaped or not, too. */
static void
kill_session(const struct vs_conf *conf, const char *name, pid_t sid)
{
	int round, found = 1;

	kill(-sid, SIGKILL);
	for (round = 0; found && round < 20; round++) {
		pid_t *pids = NULL;
		size_t n = 0, i;

		found = 0;
		if (vs_cgroup_procs(conf, name, &pids, &n, NULL) < 0)
			break;
		for (i = 0; i < n; i++)
			if (getsid(pids[i]) == sid) {
				kill(pids[i], SIGKILL);
				found = 1;
			}
		free(pids);
		if (found)
			usleep(20000);
	}
}

static int
wait_ms(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

/* s for a log line: no control characters (a caller's argv[0] must not
 * forge lines of vsd's log), at most n - 1 bytes */
static const char *
printable(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i < n - 1; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

/* an error message that may quote what the caller sent, for the log */
#define LOGSAFE(m)	printable((m), (char[VS_ERR_MAX]){ 0 }, VS_ERR_MAX)

static void
describe(int status, char *out, size_t n)
{
	if (WIFEXITED(status))
		snprintf(out, n, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, n, "signal %d", WTERMSIG(status));
	else
		snprintf(out, n, "status 0x%x", status);
}

/*
 * Relay signals from the client, wait for the command; returns its wait
 * status, or hangs it up when the client is gone or vsd stops.
 */
static int
supervise(const struct vs_conf *conf, const char *name, int sock, int sigfd,
    pid_t pid, const char *who)
{
	int pidfd = pidfd_open(pid, 0), status = 0, hangup = 0;
	struct vs_bevs_msg m;
	int fds[3], nfd;

	while (!hangup) {
		struct pollfd p[3] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sock, .events = POLLIN | POLLRDHUP },
			{ .fd = sigfd, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			hangup = 1;
			break;
		}
		if (p[0].revents)
			break;
		if (p[2].revents) {
			log_info("%s: vsd stops, hanging up", who);
			hangup = 1;
			break;
		}
		if (!p[1].revents)
			continue;
		if (vs_bevs_recv(sock, &m, fds, 3, &nfd) != 1) {
			log_info("%s: client gone, hanging up", who);
			hangup = 1;
			break;
		}
		while (nfd > 0)		/* we take no fds from a client */
			close(fds[--nfd]);
		if (m.kind == VS_BEVS_SIGNAL && (m.value == SIGHUP ||
		    m.value == SIGINT || m.value == SIGTERM ||
		    m.value == SIGQUIT))
			kill(pid, m.value);
	}
	if (hangup) {
		/* as a terminal hangup does; then nothing of it stays */
		kill(-pid, SIGHUP);
		kill(-pid, SIGCONT);
		if (pidfd >= 0)
			wait_ms(pidfd, HANGUP_GRACE_MS);
		kill_session(conf, name, pid);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	return hangup ? -1 : status;
}

static void __attribute__((noreturn))
session_main(const struct vs_conf *conf, int sock, const struct vs_peer *pc)
{
	static struct vs_bevs_req req;
	static char *argv[VS_BEVS_ARGC_MAX + 1];
	struct vs_err err = VS_ERR_INIT;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	int master = -1, status, sigfd, fds[3], nfd;
	struct vs_bevs_msg m;
	struct vs_exec x;
	struct vs_rec rec;
	char who[160], how[32], cmd[72];
	sigset_t ss;
	ssize_t n;
	pid_t pid;

	snprintf(who, sizeof(who), "bevs: uid %u pid %d", (unsigned)pc->uid,
	    (int)pc->pid);
	/* SIGTERM when the executor dies; read through a signalfd */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_SETMASK, &ss, NULL);
	sigfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
		_exit(1);
	signal(SIGCHLD, SIG_DFL);

	if (poll(&p, 1, REQ_TIMEOUT_MS) != 1) {
		vs_err_set(&err, ETIMEDOUT, "no request within %d s",
		    REQ_TIMEOUT_MS / 1000);
		fail(sock, 1, &err);
	}
	/* MSG_TRUNC: the real length, so an oversized message is refused */
	n = recv(sock, &req, sizeof(req), MSG_TRUNC);
	if (n < 0 || (size_t)n > sizeof(req) ||
	    vs_bevs_req_check(&req, (size_t)n, argv, &err) < 0) {
		if (!err.errnum)
			vs_err_set(&err, EPROTO, "malformed request");
		log_warnx("%s: refused: %s", who, LOGSAFE(err.msg));
		fail(sock, 1, &err);
	}
	snprintf(who, sizeof(who), "bevs: uid %u pid %d VS %s",
	    (unsigned)pc->uid, (int)pc->pid, req.name);
	if (vs_rec_load(conf, req.name, &rec, &err) < 0) {
		log_warnx("%s: refused: %s", who, LOGSAFE(err.msg));
		fail(sock, 1, &err);
	}
	log_info("%s user %s: %s", who, req.user[0] ? req.user : "(root)",
	    req.flags & VS_BEVS_ARGV ? printable(argv[0], cmd, sizeof(cmd)) :
	    "(login shell)");

	memset(&x, 0, sizeof(x));
	x.user = req.user[0] ? req.user : NULL;
	x.argv = req.flags & VS_BEVS_ARGV ? argv : NULL;
	x.term = req.term[0] ? req.term : NULL;
	x.pty = !!(req.flags & VS_BEVS_PTY);
	x.rows = req.rows;
	x.cols = req.cols;
	x.fd_in = x.fd_out = x.fd_err = -1;
	if (!x.pty) {
		if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
		    pipe2(er, O_CLOEXEC) < 0) {
			vs_err_sys(&err, "pipe");
			fail(sock, 1, &err);
		}
		x.fd_in = in[0];
		x.fd_out = out[1];
		x.fd_err = er[1];
	}
	pid = vs_run_spawn(conf, req.name, &x, &master, &err);
	if (pid < 0) {
		log_info("%s: %s", who, LOGSAFE(err.msg));
		fail(sock, vs_bevs_exit_code(err.errnum, x.argv != NULL), &err);
	}
	memset(&m, 0, sizeof(m));
	m.magic = VS_BEVS_MAGIC;
	m.kind = VS_BEVS_STARTED;
	if (x.pty) {
		fds[0] = master;
		nfd = 1;
	} else {
		/* the VS's ends live in the command now */
		close(in[0]);
		close(out[1]);
		close(er[1]);
		fds[0] = in[1];
		fds[1] = out[0];
		fds[2] = er[0];
		nfd = 3;
	}
	m.value = nfd;
	if (vs_bevs_send(sock, &m, fds, nfd) < 0)
		log_info("%s: cannot hand over the session: %s", who,
		    strerror(errno));
	/* only the client holds them now: its exit is the terminal's or
	 * the pipes' end, as for root's bevs */
	while (nfd > 0)
		close(fds[--nfd]);

	status = supervise(conf, req.name, sock, sigfd, pid, who);
	if (status == -1)
		_exit(0);
	describe(status, how, sizeof(how));
	log_info("%s: ended (%s)", who, how);
	memset(&m, 0, sizeof(m));
	m.magic = VS_BEVS_MAGIC;
	m.kind = VS_BEVS_EXITED;
	m.value = status;
	(void)!vs_bevs_send(sock, &m, NULL, 0);
	_exit(0);
}

void
vsd_session_accept(const struct vs_conf *conf, int fd)
{
	struct vs_peer pc = VS_PEER_INIT;
	struct vs_err err = VS_ERR_INIT;
	size_t i, mine = 0;
	pid_t pid;
	_cleanup_free_ char *path = vs_conf_dir(conf, VSD_BEVS_SOCK);

	if (!vs_peer_accepted_on(fd, SOCK_SEQPACKET, path)) {
		log_warnx("bevs: the front handed over a socket that is no "
		    "connection of %s; refused", VSD_BEVS_SOCK);
		close(fd);
		return;
	}
	if (vs_peer_get(fd, &pc, &err) < 0) {
		log_warnx("bevs: cannot identify the caller: %s", err.msg);
		refuse(fd, 1, "cannot identify the caller: %s", err.msg);
		return;
	}
	if (!vs_peer_is_admin(conf, &pc)) {
		vs_peer_release(&pc);
		vsd_session_refuse_caller(conf, fd);
		return;
	}
	for (i = 0; i < nsessions; i++)
		if (sessions[i].uid == pc.uid)
			mine++;
	if ((long long)nsessions >= conf->bevs_sessions ||
	    (long long)mine >= conf->bevs_sessions_per_user) {
		log_warnx("bevs: refused uid %u (pid %d): %zu sessions of "
		    "this uid, %zu in all", (unsigned)pc.uid, (int)pc.pid,
		    mine, nsessions);
		refuse(fd, 3, "too many bevs sessions (%zu of uid %u, %zu in "
		    "all), try again later", mine, (unsigned)pc.uid,
		    nsessions);
		vs_peer_release(&pc);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("bevs: fork");
		refuse(fd, 3, "vsd cannot start a session: %s",
		    strerror(errno));
		vs_peer_release(&pc);
		return;
	}
	if (pid == 0) {
		/* nothing of the executor's lives on in a session: not the
		 * channel to the front, not vsd's pid file lock, not the
		 * syslog socket (reopened on use) */
		closelog();
		if (dup2(fd, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		session_main(conf, 3, &pc);
	}
	xgrow(&sessions, sizeof(*sessions), nsessions + 1, &alloc_sessions);
	sessions[nsessions].pid = pid;
	sessions[nsessions].uid = pc.uid;
	nsessions++;
	close(fd);
	vs_peer_release(&pc);
}
