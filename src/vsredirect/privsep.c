/* privsep.c - vsredirect's privileged helper, and the event loop's side
 * of the conversation (protocol in vsredirect.h).
 *
 * Why two processes: the event loop parses bytes from the network (and
 * PROXY headers, and whatever a VS's daemon answers); a bug there must
 * not hand anyone CAP_SYS_ADMIN, which is what entering a VS's network
 * namespace takes.  So the loop keeps no capability at all and reads no
 * file; the helper, which never sees a byte of network input, does the
 * few privileged things the loop needs, each on a fixed-size request it
 * re-checks in full:
 *
 *   SCAN     which VSs are up and their rules (the helper reads
 *            state/vs, run/netns pins, vsd.conf, state/apache and
 *            state/redirect; the loop could not: state is 0700 root)
 *   LISTEN   a listening socket in VS NAME's netns on the address of
 *            NAME's record, for a port one of NAME's rules redirects
 *   SOCKETS  unconnected TCP sockets in NAME's netns, for upstream
 *            connections (what the relay made itself before); only for
 *            a VS that has rules.  A stolen loop gets with these what
 *            any unprivileged process inside that VS has: no bind below
 *            the VS's unprivileged port start (binding is checked
 *            against the caller's capabilities, the loop has none)
 *   RELOAD   re-read vsd.conf (SIGHUP)
 *   KNAT     install NAME's kernel-mode rules in NAME's netns: the
 *            script is made here from the rules read here (knat.c),
 *            the loop only names the VS; KNAT_FLUSH removes them.
 *            Refused with -R (the helper then has no CAP_NET_ADMIN)
 *
 * Helper phases: forked by the loop's process as root; every fd but its
 * socket closed; become user with CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE,
 * CAP_DAC_READ_SEARCH and, unless -R, CAP_NET_ADMIN (priv.c; only the
 * nft child it runs uses that one, nft.h); not dumpable (the loop, same uid, can
 * neither ptrace it nor open its fds through /proc); serve until EOF.
 * The helper ends when the loop does (EOF, and PR_SET_PDEATHSIG); the
 * loop exits 1 when the helper is gone (the service manager restarts
 * both).  SIGTERM/SIGINT/SIGHUP are ignored by the helper: it goes when
 * the loop goes, so a stop is never reported as a helper failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>

#include "log.h"
#include "netwatch.h"
#include "priv/net.h"
#include "priv/nft.h"
#include "priv/nssock.h"
#include "state.h"
#include "vsredirect.h"
#include "xmem.h"
#include "banned.h"

/* ---- messages -------------------------------------------------------- */

static int
send_msg(int sock, const void *m, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VSR_SOCKETS_MAX)];
	struct iovec iov = { (void *)m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (nfds > 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static int
reply(int sock, int errnum, const char *msg, const int *fds, int nfds)
{
	struct vsr_reply r;

	memset(&r, 0, sizeof(r));
	r.kind = VSR_MSG_REPLY;
	r.errnum = errnum;
	r.nfds = (uint32_t)nfds;
	snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
	return send_msg(sock, &r, sizeof(r), fds, nfds);
}

static int
reply_err(int sock, const struct vs_err *e)
{
	return reply(sock, e->errnum ? e->errnum : EIO, e->msg, NULL, 0);
}

/* ---- the helper ------------------------------------------------------ */

/* NAME's record and rules, read afresh. */
static int
load_vs(struct vsr_helper *h, const struct vsr_req *q, struct vs_rec *rec,
    struct vsr_rules *rules, struct vs_err *err)
{
	struct vs_buf errors = VS_BUF_INIT;

	if (vs_rec_load(&h->conf, q->name, rec, err) < 0)
		return -1;
	if (!vs_valid_vs_ip(rec->ip))
		return vs_err_set(err, EINVAL, "'%s': invalid address '%s'",
		    q->name, rec->ip);
	if (vsr_rules_load(&h->conf, q->name, h->proxy, h->mode, rules,
	    &errors) < 0) {
		vs_buf_rtrim(&errors);
		vs_err_set(err, EINVAL, "'%s': rules: %s", q->name,
		    errors.buf);
		vs_buf_release(&errors);
		return -1;
	}
	vs_buf_release(&errors);
	return 0;
}

/* NAME's pinned netns, the one the loop means: the caller's fd. */
static int
open_ns(struct vsr_helper *h, const struct vsr_req *q, struct vs_err *err)
{
	struct stat st;
	int fd;

	/* O_NOFOLLOW and an nsfs check: vs_net_open() */
	fd = vs_net_open(&h->conf, q->name, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !vs_nssock_is_netns(fd)) {
		close(fd);
		return vs_err_set(err, EINVAL, "'%s': the pin is not a network "
		    "namespace", q->name);
	}
	/* a VS restarted since the loop's scan: it must rescan first */
	if ((uint64_t)st.st_dev != q->ns_dev ||
	    (uint64_t)st.st_ino != q->ns_ino) {
		close(fd);
		return vs_err_set(err, ESTALE, "'%s': its network namespace "
		    "changed", q->name);
	}
	return fd;
}

static int
do_listen(struct vsr_helper *h, const struct vsr_req *q, int sock)
{
	struct vs_err err = VS_ERR_INIT;
	struct vsr_rules rules;
	struct vs_rec rec;
	int nsfd, fd, i, rc;

	if (q->port < 1 || q->port > 1023)
		return reply(sock, EINVAL, "port out of range 1-1023", NULL, 0);
	if (load_vs(h, q, &rec, &rules, &err) < 0)
		return reply_err(sock, &err);
	for (i = 0; i < rules.n; i++)
		if (rules.r[i].port == (int)q->port)
			break;
	if (i == rules.n) {
		vs_err_set(&err, EPERM, "'%s': port %u is not redirected",
		    q->name, q->port);
		log_warnx("refused: %s", err.msg);
		return reply_err(sock, &err);
	}
	if ((nsfd = open_ns(h, q, &err)) < 0)
		return reply_err(sock, &err);
	fd = vs_nssock_listen(nsfd, SOCK_STREAM | SOCK_NONBLOCK, rec.ip,
	    (int)q->port, 1024, &err);
	close(nsfd);
	if (fd < 0)
		return reply_err(sock, &err);
	rc = reply(sock, 0, NULL, &fd, 1);
	close(fd);
	return rc;
}

static int
do_sockets(struct vsr_helper *h, const struct vsr_req *q, int sock)
{
	struct vs_err err = VS_ERR_INIT;
	struct vsr_rules rules;
	struct vs_rec rec;
	int fds[VSR_SOCKETS_MAX], nsfd, n, i, rc;

	if (q->family != AF_INET && q->family != AF_INET6)
		return reply(sock, EAFNOSUPPORT, "family not inet", NULL, 0);
	if (q->count < 1 || q->count > VSR_SOCKETS_MAX)
		return reply(sock, EINVAL, "count out of range", NULL, 0);
	if (load_vs(h, q, &rec, &rules, &err) < 0)
		return reply_err(sock, &err);
	if (rules.n == 0) {
		vs_err_set(&err, EPERM, "'%s' has no redirected port", q->name);
		log_warnx("refused: %s", err.msg);
		return reply_err(sock, &err);
	}
	if ((nsfd = open_ns(h, q, &err)) < 0)
		return reply_err(sock, &err);
	n = vs_nssock_many(nsfd, q->family, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    fds, (int)q->count, &err);
	close(nsfd);
	if (n < 0)
		return reply_err(sock, &err);
	rc = reply(sock, 0, NULL, fds, n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return rc;
}

/* KNAT / KNAT_FLUSH: NAME's kernel-mode table, made from what this
 * process reads (record, rules), into the netns the loop means. */
static int
do_knat(struct vsr_helper *h, const struct vsr_req *q, int sock)
{
	struct vs_buf script = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vsr_rules rules;
	struct vs_rec rec;
	int nsfd, rc;

	if (h->mode == VSR_RELAY)
		return reply(sock, EPERM, "kernel mode is off (-R)", NULL, 0);
	if (load_vs(h, q, &rec, &rules, &err) < 0)
		return reply_err(sock, &err);
	if ((nsfd = open_ns(h, q, &err)) < 0)
		return reply_err(sock, &err);
	if (q->op == VSR_OP_KNAT_FLUSH)
		vs_buf_addf(&script, "%s", vsr_knat_flush());
	else
		vsr_knat_script(rec.ip, &rules, rules.max_conns > 0 ?
		    rules.max_conns : h->max_per_vs, &script);
	rc = vs_nft_run(nsfd, script.buf, &err);
	if (rc == 0 && q->op == VSR_OP_KNAT) {
		/* no loose pickup, the timeouts (knat.c) */
		const char *kv[21];
		char idle[16];

		vsr_knat_sysctls(h->idle_s, idle, kv);
		rc = vs_nft_sysctls(nsfd, kv, &err);
	}
	close(nsfd);
	vs_buf_release(&script);
	if (rc < 0)
		return reply_err(sock, &err);
	return reply(sock, 0, NULL, NULL, 0);
}

static int
do_scan(struct vsr_helper *h, int sock)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_netup *ups = NULL;
	size_t n = 0, k;
	int rc = 0;

	if (vs_netup_scan(&h->conf, &ups, &n, &err) < 0)
		return reply_err(sock, &err);
	for (k = 0; k < n && rc == 0; k++) {
		struct vs_buf errors = VS_BUF_INIT;
		struct vsr_vsinfo v;

		memset(&v, 0, sizeof(v));
		v.kind = VSR_MSG_VSINFO;
		v.ns_dev = (uint64_t)ups[k].ns_dev;
		v.ns_ino = (uint64_t)ups[k].ns_ino;
		snprintf(v.name, sizeof(v.name), "%s", ups[k].rec.name);
		snprintf(v.ip, sizeof(v.ip), "%s", ups[k].rec.ip);
		v.rules_ok = vsr_rules_load(&h->conf, v.name, h->proxy,
		    h->mode, &v.rules, &errors) == 0;
		if (!v.rules_ok) {
			vs_buf_rtrim(&errors);
			snprintf(v.msg, sizeof(v.msg), "%s", errors.buf);
		}
		vs_buf_release(&errors);
		rc = send_msg(sock, &v, sizeof(v), NULL, 0);
	}
	vs_netup_free(ups, n);
	return rc < 0 ? -1 : reply(sock, 0, NULL, NULL, 0);
}

int
vsr_helper_handle(struct vsr_helper *h, const void *buf, size_t len, int sock)
{
	struct vsr_req q;

	if (len != sizeof(q)) {
		log_warnx("refused: a request of %zu bytes", len);
		return reply(sock, EPROTO, "malformed request", NULL, 0);
	}
	memcpy(&q, buf, sizeof(q));
	if (q.op < VSR_OP_SCAN || q.op >= VSR_OP_MAX) {
		log_warnx("refused: unknown request %u", q.op);
		return reply(sock, EPROTO, "unknown request", NULL, 0);
	}
	if (q.op == VSR_OP_SCAN)
		return do_scan(h, sock);
	if (q.op == VSR_OP_RELOAD) {
		/* logs what is wrong itself */
		if (vs_conf_reload(&h->conf, h->conf_path, h->explicit) < 0)
			return reply(sock, EINVAL, "configuration not "
			    "reloaded", NULL, 0);
		return reply(sock, 0, NULL, NULL, 0);
	}
	/* the name: NUL-terminated inside its field, and a VS name (no
	 * '/', no "..": it becomes part of paths under state_root) */
	if (!memchr(q.name, '\0', sizeof(q.name)) || !vs_valid_name(q.name)) {
		log_warnx("refused: a request with an invalid VS name");
		return reply(sock, EINVAL, "invalid VS name", NULL, 0);
	}
	if (q.op == VSR_OP_KNAT || q.op == VSR_OP_KNAT_FLUSH)
		return do_knat(h, &q, sock);
	return q.op == VSR_OP_LISTEN ? do_listen(h, &q, sock) :
	    do_sockets(h, &q, sock);
}

static void
helper_main(struct vsr_helper *h, const char *user, int sock)
{
	/* CAP_NET_ADMIN last: left out with -R */
	static const int keep[] = {
		CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE, CAP_DAC_READ_SEARCH,
		CAP_NET_ADMIN
	};
	struct vs_err err = VS_ERR_INIT;
	char buf[sizeof(struct vsr_req) + 64];
	ssize_t n;

	/* only the socket (as fd 3) and stdio stay open */
	if (sock != 3) {
		if (dup3(sock, 3, O_CLOEXEC) < 0)
			_exit(1);
		sock = 3;
	}
	/* syslog's socket (LOG_NDELAY) goes too: forget it first, or a
	 * failed send would make libc close whatever fd took its number */
	closelog();
	close_range(4, ~0U, 0);
	log_init(log_progname(), h->foreground, log_getverbose());
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		_exit(0);	/* the loop is already gone */
	if (vs_nssock_init(&err) < 0 ||
	    vsr_drop_privileges(user, keep, h->mode == VSR_RELAY ? 3 : 4,
	    &err) < 0) {
		log_warnx("privileged helper: %s", err.msg);
		_exit(1);
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (;;) {
		/* MSG_TRUNC: the real size of a too-long request */
		n = recv(sock, buf, sizeof(buf), MSG_TRUNC);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("privileged helper: recv");
			_exit(1);
		}
		if (vsr_helper_handle(h, buf, (size_t)n > sizeof(buf) ?
		    sizeof(buf) + 1 : (size_t)n, sock) < 0)
			_exit(1);	/* the loop is gone */
	}
}

int
vsr_helper_start(struct vsr_helper *h, const char *user, pid_t *pid,
    struct vs_err *err)
{
	int sv[2];
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vs_err_sys(err, "socketpair");
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return vs_err_sys(err, "fork");
	}
	if (p == 0) {
		close(sv[0]);
		helper_main(h, user, sv[1]);
		_exit(1);
	}
	close(sv[1]);
	*pid = p;
	return sv[0];
}

/* ---- the loop's side ------------------------------------------------- */

static void
helper_gone(void)
{
	log_warnx("the privileged helper is gone: exiting");
	exit(1);
}

/* Receive one message into m (len bytes); fds passed with it go to
 * fds[0..*nfds) (at most maxfds; extras are closed).  Returns 0, or -1
 * with errno EMFILE when we had no room for the fds the helper sent (the
 * kernel drops them: MSG_CTRUNC). */
static int
recv_msg(int sock, void *m, size_t len, int *fds, int maxfds, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VSR_SOCKETS_MAX)];
	struct iovec iov = { m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	int k = 0;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		helper_gone();
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fds && k < maxfds)
				fds[k++] = fd;
			else
				close(fd);
		}
	}
	if (nfds)
		*nfds = k;
	if ((size_t)n != len || (mh.msg_flags & MSG_TRUNC)) {
		log_warnx("the privileged helper sent a malformed message");
		exit(1);
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		errno = EMFILE;
		return -1;
	}
	return 0;
}

static void
send_req(int sock, const struct vsr_req *q)
{
	if (send_msg(sock, q, sizeof(*q), NULL, 0) < 0)
		helper_gone();
}

/* The final REPLY: 0, or -1 with errno and err from the helper. */
static int
get_reply(int sock, int *fds, int maxfds, int *nfds, struct vs_err *err)
{
	struct vsr_reply r;
	int i, k = 0, trunc;

	trunc = recv_msg(sock, &r, sizeof(r), fds, maxfds, &k) < 0;
	if (r.kind != VSR_MSG_REPLY || (r.errnum != 0 && k > 0)) {
		log_warnx("the privileged helper sent a malformed reply");
		exit(1);
	}
	if (r.errnum) {
		r.msg[sizeof(r.msg) - 1] = '\0';
		errno = r.errnum;
		return vs_err_set(err, r.errnum, "%s", r.msg);
	}
	if (trunc) {
		for (i = 0; i < k; i++)
			close(fds[i]);
		return vs_err_set(err, EMFILE, "no descriptor free for the "
		    "helper's sockets");
	}
	if (nfds)
		*nfds = k;
	else
		for (i = 0; i < k; i++)
			close(fds[i]);
	return 0;
}

int
vsr_priv_scan(int sock, struct vsr_vsinfo **out, size_t *n,
    struct vs_err *err)
{
	struct vsr_vsinfo *v = NULL;
	size_t nv = 0, av = 0;
	union {
		struct vsr_vsinfo info;
		struct vsr_reply rep;
	} m;
	struct vsr_req q;
	ssize_t got;

	memset(&q, 0, sizeof(q));
	q.op = VSR_OP_SCAN;
	send_req(sock, &q);
	for (;;) {
		/* two message sizes: peek at the size before taking it */
		do
			got = recv(sock, &m, sizeof(m), MSG_PEEK | MSG_TRUNC);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			helper_gone();
		if ((size_t)got != sizeof(struct vsr_vsinfo))
			break;
		(void)recv_msg(sock, &m.info, sizeof(m.info), NULL, 0, NULL);
		if (m.info.kind != VSR_MSG_VSINFO) {
			log_warnx("the privileged helper sent a malformed "
			    "message");
			exit(1);
		}
		m.info.name[sizeof(m.info.name) - 1] = '\0';
		m.info.ip[sizeof(m.info.ip) - 1] = '\0';
		m.info.msg[sizeof(m.info.msg) - 1] = '\0';
		xgrow(&v, sizeof(*v), nv + 1, &av);
		v[nv++] = m.info;
	}
	if (get_reply(sock, NULL, 0, NULL, err) < 0) {
		free(v);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

int
vsr_priv_listen(int sock, const char *name, int port, uint64_t dev,
    uint64_t ino, struct vs_err *err)
{
	struct vsr_req q;
	int fd = -1, n = 0;

	memset(&q, 0, sizeof(q));
	q.op = VSR_OP_LISTEN;
	q.port = (uint32_t)port;
	q.ns_dev = dev;
	q.ns_ino = ino;
	snprintf(q.name, sizeof(q.name), "%s", name);
	send_req(sock, &q);
	if (get_reply(sock, &fd, 1, &n, err) < 0)
		return -1;
	if (n != 1)
		return vs_err_set(err, EIO, "no socket from the helper");
	return fd;
}

int
vsr_priv_sockets(int sock, const char *name, int family, uint64_t dev,
    uint64_t ino, int *fds, int n, struct vs_err *err)
{
	struct vsr_req q;
	int k = 0;

	memset(&q, 0, sizeof(q));
	q.op = VSR_OP_SOCKETS;
	q.family = family;
	q.count = (uint32_t)(n < VSR_SOCKETS_MAX ? n : VSR_SOCKETS_MAX);
	q.ns_dev = dev;
	q.ns_ino = ino;
	snprintf(q.name, sizeof(q.name), "%s", name);
	send_req(sock, &q);
	if (get_reply(sock, fds, n, &k, err) < 0)
		return -1;
	if (k < 1)
		return vs_err_set(err, EIO, "no socket from the helper");
	return k;
}

int
vsr_priv_knat(int sock, const char *name, uint64_t dev, uint64_t ino,
    int flush, struct vs_err *err)
{
	struct vsr_req q;

	memset(&q, 0, sizeof(q));
	q.op = flush ? VSR_OP_KNAT_FLUSH : VSR_OP_KNAT;
	q.ns_dev = dev;
	q.ns_ino = ino;
	snprintf(q.name, sizeof(q.name), "%s", name);
	send_req(sock, &q);
	return get_reply(sock, NULL, 0, NULL, err);
}

int
vsr_priv_reload(int sock, struct vs_err *err)
{
	struct vsr_req q;

	memset(&q, 0, sizeof(q));
	q.op = VSR_OP_RELOAD;
	send_req(sock, &q);
	return get_reply(sock, NULL, 0, NULL, err);
}
