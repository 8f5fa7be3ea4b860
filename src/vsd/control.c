/* control.c - vsd's front: the control sockets (unix, TCP, one per VS),
 * the clients with their bounded buffers, authentication, dispatch of
 * parsed commands to the privileged executor (priv.c).  It binds its
 * sockets as root, then runs unprivileged (VSD_FRONT_ID: uid_base - 1).
 *
 * One thread, epoll, level-triggered, non-blocking sockets.  A client is
 * served one command at a time; while its command runs in a worker, or
 * waits for another client's command on the same VS, or has unread
 * answers piling up, its socket is simply not read: no client can block
 * another, and memory per client stays bounded by max_line, the data
 * block limit and OUT_HIGH.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "auth.h"
#include "hash.h"
#include "log.h"
#include "peer.h"
#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define OUT_HIGH	(256 << 10)	/* stop reading a client above this */
#define READ_CHUNK	16384
#define MAX_DATA	(1 << 20)	/* one data block */
#define AUTH_TIMEOUT	30		/* s to authenticate on TCP at most */
#define MAX_AUTH_FAILS	3		/* per connection, then close */
#define MAX_BAD_UNAUTH	3		/* other lines before auth, then close */
#define FAIL_WINDOW	60		/* s: per-address failure memory */
#define FAIL_LOCK	10		/* failures in the window lock it */
#define SYNC_EVERY	2		/* s between VS socket / IP rescans */

enum ev_type { EV_LISTEN, EV_CLIENT, EV_WORKER, EV_SIGNAL, EV_EXEC };
enum lkind { L_UNIX, L_TCP, L_VS, L_BEVS };

struct listener {
	enum ev_type type;
	enum lkind kind;
	int fd;
	char vs[VS_NAME_MAX + 1];	/* L_VS */
	char *path;			/* unix sockets: to unlink */
	int seen;			/* VS sync mark */
	struct listener *next;
};

struct worker;

struct client {
	enum ev_type type;
	int fd;
	enum lkind kind;
	struct vsd_caller who;
	struct vs_proto p;
	struct vs_buf out;
	size_t out_off;
	unsigned events;		/* epoll mask registered */
	int pending;			/* p.cmd parsed, not yet run */
	int waiting;			/* pending on a busy VS */
	struct worker *job;
	int closing;			/* close once out is flushed */
	int eof_in;			/* peer sent everything */
	int bad;			/* lines refused before auth */
	int auth_fails;
	int have_chal;
	unsigned char chal[VS_AUTH_CHAL_LEN];
	struct sockaddr_storage addr;	/* TCP peer */
	time_t since;			/* connect time */
	time_t active;			/* last command or output progress */
	uint64_t hold_ms;		/* answer held until (auth failure) */
	int linger;			/* answered, reading input to EOF */
	time_t linger_until;
	int dead;			/* closed, freed after this batch */
	struct client *prev, *next;
};

/* A request at the executor: its answer arrives on fd (a pipe). */
struct worker {
	enum ev_type type;
	uint32_t id;
	int xop;			/* enum vsd_xop, 0 for a command */
	int inline_cmd;			/* read-only: no VS serialisation */
	int fd;
	int exited, status;
	char vs[VS_NAME_MAX + 1];	/* "" = no VS */
	char what[64];			/* for the log */
	struct client *cl;		/* NULL when the client left */
	struct vs_buf out;
	struct worker *next;
};

struct failrec {
	struct sockaddr_storage addr;
	time_t first;
	int n;
};

static struct {
	struct vs_conf *conf;
	const char *conf_path;
	int explicit_conf;
	int epfd, sigfd;
	struct listener *listeners;
	struct client *clients;
	size_t nclients;
	struct client *dead;
	struct worker *workers;
	struct worker *dead_workers;
	int have_secret;
	struct vs_auth_secret secret;
	char hostname[256];
	time_t last_sync;
	time_t accept_pause;		/* EMFILE: resume at */
	uint64_t last_tick;		/* timeouts() last ran (ms) */
	int any_held;			/* a client's answer is held back */
	int stopping;
	int chan;			/* to the executor */
	uint32_t next_id;
	int sync_pending, sync_again;
	struct vsent {
		char name[VS_NAME_MAX + 1];
		long long uid_base, uid_count;
		char ip[16];
	} *vs;				/* from the executor's SYNC */
	size_t n_vs;
	struct failrec fails[64];
} S;

static struct { enum ev_type type; } sig_ev = { EV_SIGNAL },
    exec_ev = { EV_EXEC };

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- answers helpers used by the modules ----------------------------- */

void
vsd_err_answer(struct vsd_req *r, int code, const char *fmt, ...)
{
	char msg[VS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vs_proto_err(r->out, code, "%s", msg);
}

void
vsd_ok_answer(struct vsd_req *r, const char *fmt, ...)
{
	char msg[VS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vs_proto_ok(r->out, "%s", msg);
}

/* ---- listeners -------------------------------------------------------- */

static void
ep_add(int fd, void *ptr, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(S.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_warn("epoll_ctl add fd %d", fd);
}

static int
unix_listen_type(const char *path, int type, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);		/* a stale socket of a previous run */
	/* bind under a tight umask, then open up: never a window in which
	 * the socket exists with looser rights than meant */
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int
unix_listen(const char *path, mode_t mode)
{
	return unix_listen_type(path, SOCK_STREAM, mode);
}

static struct listener *
add_listener(enum lkind kind, int fd, const char *vs, const char *path)
{
	struct listener *l = xcalloc(1, sizeof(*l));

	l->type = EV_LISTEN;
	l->kind = kind;
	l->fd = fd;
	if (vs)
		snprintf(l->vs, sizeof(l->vs), "%s", vs);
	l->path = path ? xstrdup(path) : NULL;
	l->next = S.listeners;
	S.listeners = l;
	ep_add(fd, l, EPOLLIN);
	return l;
}

static void
close_listener(struct listener *l)
{
	epoll_ctl(S.epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	if (l->path)
		unlink(l->path);
	free(l->path);
	free(l);
}

static int
tcp_listen(const struct vs_listen *ls)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ls->addr,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(ls->port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, ls->addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(ls->port);
		len = sizeof(struct sockaddr_in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
open_tcp_listeners(void)
{
	size_t i;
	int fd;

	for (i = 0; i < S.conf->n_listen; i++) {
		if ((fd = tcp_listen(&S.conf->listen[i])) < 0) {
			log_warn("cannot listen on %s port %d",
			    S.conf->listen[i].addr, S.conf->listen[i].port);
			return -1;
		}
		add_listener(L_TCP, fd, NULL, NULL);
		log_info("listening on %s port %d", S.conf->listen[i].addr,
		    S.conf->listen[i].port);
	}
	return 0;
}

static void
close_tcp_listeners(void)
{
	struct listener **lp = &S.listeners, *l;

	while ((l = *lp)) {
		if (l->kind == L_TCP) {
			*lp = l->next;
			close_listener(l);
		} else
			lp = &l->next;
	}
}

/* Secret for TCP auth: missing or bad means TCP clients cannot log in
 * (they are told why), the daemon still serves the unix sockets. */
static void
load_secret(void)
{
	struct vs_err err = VS_ERR_INIT;

	vs_auth_secret_clear(&S.secret);
	S.have_secret = 0;
	if (S.conf->n_listen == 0)
		return;
	if (vs_auth_secret_load(S.conf->secret_file, 0, &S.secret, &err) < 0)
		log_warnx("%s; TCP clients cannot authenticate", err.msg);
	else
		S.have_secret = 1;
}

static int submit(struct client *cl, int cmd, int xop, int use_pipe,
    const char *vs, const char *caller_vs, int argc, char **argv,
    const struct vs_buf *data, struct worker **wp);

/* Ask the executor for the VS records (it also makes run/vs/NAME/ ours);
 * apply_sync() follows when they come. */
static void
request_sync(void)
{
	S.last_sync = now_s();
	if (S.sync_pending) {
		S.sync_again = 1;
		return;
	}
	if (submit(NULL, -1, VSD_XOP_SYNC, 0, "", "", 0, NULL, NULL,
	    NULL) == 0)
		S.sync_pending = 1;
}

/*
 * Keep one socket per VS at state_root/run/vs/NAME/vsd.sock, for every VS
 * that has a record: the runtime bind-mounts the directory into the VS
 * (at /run/vsd, with /run/vsd.sock a link to it), so a socket re-created
 * by a restarted vsd is seen by running VSs too.  The table also says
 * which uids may use each socket and which addresses TCP refuses.
 */
static void
apply_sync(const struct vs_buf *text)
{
	struct listener **lp, *l;
	size_t i = 0, n = 0, alloc = 0;
	struct vsent *v = NULL;

	while (i < text->len) {
		const char *line = text->buf + i;
		const char *nl = memchr(line, '\n', text->len - i);
		struct vsent e;

		i = nl ? (size_t)(nl - text->buf) + 1 : text->len;
		memset(&e, 0, sizeof(e));
		if (sscanf(line, "%32s %lld %lld %15s", e.name, &e.uid_base,
		    &e.uid_count, e.ip) != 4 || !vs_valid_name(e.name))
			continue;
		xgrow(&v, sizeof(*v), n + 1, &alloc);
		v[n++] = e;
	}
	free(S.vs);
	S.vs = v;
	S.n_vs = n;
	for (l = S.listeners; l; l = l->next)
		l->seen = 0;
	for (i = 0; i < n; i++) {
		char *path;
		int fd;

		for (l = S.listeners; l; l = l->next)
			if (l->kind == L_VS && strcmp(l->vs, v[i].name) == 0)
				break;
		if (l) {
			l->seen = 1;
			continue;
		}
		if (S.stopping)
			continue;
		path = xasprintf("%s/run/vs/%s/vsd.sock", S.conf->state_root,
		    v[i].name);
		if ((fd = unix_listen(path, 0666)) < 0)
			log_warn("cannot listen on '%s'", path);
		else {
			l = add_listener(L_VS, fd, v[i].name, path);
			l->seen = 1;
			log_debug("%s: listening for VS %s on %s", __func__,
			    v[i].name, path);
		}
		free(path);
	}
	for (lp = &S.listeners; (l = *lp);) {
		if (l->kind == L_VS && !l->seen) {
			*lp = l->next;
			close_listener(l);	/* the executor removes the dir */
		} else
			lp = &l->next;
	}
}

static const struct vsent *
find_vs(const char *name)
{
	size_t i;

	for (i = 0; i < S.n_vs; i++)
		if (strcmp(S.vs[i].name, name) == 0)
			return &S.vs[i];
	return NULL;
}

/* ---- clients ---------------------------------------------------------- */

static int can_read(const struct client *cl);

static void
client_events(struct client *cl)
{
	unsigned ev = 0;
	struct epoll_event e;

	if (can_read(cl))
		ev |= EPOLLIN;
	if (cl->out.len > cl->out_off && now_ms() >= cl->hold_ms)
		ev |= EPOLLOUT;
	if (ev == cl->events)
		return;
	cl->events = ev;
	e.events = ev;
	e.data.ptr = cl;
	epoll_ctl(S.epfd, EPOLL_CTL_MOD, cl->fd, &e);
}

static void
client_free(struct client *cl)
{
	if (cl->dead)
		return;
	if (cl->job)
		cl->job->cl = NULL;	/* the worker finishes for nobody */
	epoll_ctl(S.epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		S.clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	S.nclients--;
	vs_proto_release(&cl->p);
	vs_buf_release(&cl->out);
	memset(cl->chal, 0, sizeof(cl->chal));
	/* freed after the current batch of events, which may still name it */
	cl->dead = 1;
	cl->next = S.dead;
	S.dead = cl;
}

static void
reap_dead(void)
{
	struct client *cl;
	struct worker *w;

	while ((cl = S.dead)) {
		S.dead = cl->next;
		free(cl);
	}
	while ((w = S.dead_workers)) {
		S.dead_workers = w->next;
		free(w);
	}
}

/* Write what we can; returns -1 if the client is gone (freed). */
static int
client_flush(struct client *cl)
{
	while (cl->out.len > cl->out_off && now_ms() >= cl->hold_ms) {
		ssize_t n = send(cl->fd, cl->out.buf + cl->out_off,
		    cl->out.len - cl->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			client_free(cl);
			return -1;
		}
		cl->out_off += (size_t)n;
		cl->active = now_s();
	}
	if (cl->out_off == cl->out.len) {
		vs_buf_reset(&cl->out);
		cl->out_off = 0;
		if (cl->eof_in && !cl->job && !cl->pending &&
		    vs_proto_pending(&cl->p) == 0) {
			client_free(cl);
			return -1;
		}
		if (cl->closing && !cl->linger) {
			/* a lingering close: closing with unread input makes
			 * the kernel reset the connection, and the peer could
			 * lose our last answer; so stop writing, then read
			 * and drop what comes until EOF (2 s at most) */
			shutdown(cl->fd, SHUT_WR);
			cl->linger = 1;
			cl->linger_until = now_s() + 2;
		}
	} else if (cl->out_off > (64 << 10)) {
		memmove(cl->out.buf, cl->out.buf + cl->out_off,
		    cl->out.len - cl->out_off);
		vs_buf_setlen(&cl->out, cl->out.len - cl->out_off);
		cl->out_off = 0;
	}
	return 0;
}

static int
can_read(const struct client *cl)
{
	if (cl->linger)
		return 1;
	return !cl->closing && !cl->eof_in && !cl->job && !cl->waiting &&
	    !cl->pending && now_ms() >= cl->hold_ms &&
	    cl->out.len - cl->out_off < OUT_HIGH;
}

static const char *
role_name(enum vsd_role r)
{
	switch (r) {
	case VSD_NONE: return "an unauthenticated client";
	case VSD_LOCAL: return "this user";
	case VSD_ADMIN: return "an administrator";
	case VSD_VSADMIN: return "the VS administrator";
	case VSD_VSUSER: return "a VS user";
	}
	return "?";
}

static int
vs_busy(const char *vs)
{
	struct worker *w;

	for (w = S.workers; w; w = w->next)
		if (!w->exited && vs[0] && strcmp(w->vs, vs) == 0)
			return 1;
	return 0;
}

/* ---- per-address auth failure memory (rate limit) ---------------------- */

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

static struct failrec *
fail_find(const struct sockaddr_storage *a, int create)
{
	struct failrec *f, *old = &S.fails[0];
	time_t t = now_s();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(S.fails); i++) {
		f = &S.fails[i];
		if (f->n && t - f->first > FAIL_WINDOW)
			f->n = 0;
		if (f->n && same_addr(&f->addr, a))
			return f;
		if (!f->n || f->first < old->first)
			old = f;
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof(*old));
	old->addr = *a;
	old->first = t;
	return old;
}

static void
do_auth(struct client *cl, struct vs_proto_cmd *c)
{
	struct failrec *f = fail_find(&cl->addr, 0);
	char hex[2 * VS_AUTH_CHAL_LEN + 1];

	if (cl->kind != L_TCP || cl->who.role != VSD_NONE) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "already "
		    "authenticated");
		return;
	}
	if (c->argc > 2) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "usage: auth "
		    "[RESPONSE]");
		return;
	}
	if (!S.have_secret) {
		vs_proto_err(&cl->out, VS_PROTO_E_UNAVAIL, "no usable secret "
		    "file on this host: TCP logins are disabled");
		return;
	}
	if (f && f->n >= FAIL_LOCK) {
		vs_proto_err(&cl->out, VS_PROTO_E_LIMIT, "too many failed "
		    "logins from this address, try again later");
		cl->closing = 1;
		return;
	}
	if (c->argc == 1) {
		if (vs_auth_challenge(cl->chal) < 0) {
			vs_proto_err(&cl->out, VS_PROTO_E_INTERNAL, "random "
			    "number generator failed");
			return;
		}
		cl->have_chal = 1;
		vs_hex(cl->chal, sizeof(cl->chal), hex);
		vs_proto_ok(&cl->out, "challenge %s", hex);
		return;
	}
	if (!cl->have_chal) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "ask for a challenge "
		    "first: auth");
		return;
	}
	cl->have_chal = 0;	/* a challenge answers once */
	if (vs_auth_verify(&S.secret, cl->chal, c->argv[1])) {
		memset(cl->chal, 0, sizeof(cl->chal));
		cl->who.role = VSD_ADMIN;
		cl->p.max_line = (size_t)S.conf->max_line;
		log_info("%s: authenticated", cl->who.peer);
		vs_proto_ok(&cl->out, "authenticated");
		return;
	}
	f = fail_find(&cl->addr, 1);
	f->n++;
	cl->auth_fails++;
	log_warnx("%s: authentication failed (%d from this address in %d s)",
	    cl->who.peer, f->n, FAIL_WINDOW);
	/* the answer is held back: guessing costs time */
	cl->hold_ms = now_ms() + (uint64_t)S.conf->auth_fail_delay;
	S.any_held = 1;
	vs_proto_err(&cl->out, VS_PROTO_E_AUTH, "authentication failed");
	if (cl->auth_fails >= MAX_AUTH_FAILS)
		cl->closing = 1;
}

static void
do_help(struct client *cl)
{
	struct vs_buf b = VS_BUF_INIT;
	const struct vsd_cmd *t;
	size_t n, i;

	t = vsd_cmd_table(&n);
	for (i = 0; i < n; i++)
		if (t[i].who & cl->who.role)
			vs_buf_addf(&b, "%s %s%s%s%s\n", t[i].module,
			    t[i].name, t[i].takes_vs && cl->kind != L_VS ?
			    " NAME" : "", t[i].usage[0] ? " " : "",
			    t[i].usage);
	vs_proto_block(&cl->out, b.buf, b.len, "%zu commands", n);
	vs_buf_release(&b);
}

/*
 * Hand one request to the executor: the fixed-size struct, the write end
 * of a fresh pipe for the answer, and a memfd with the data block.  The
 * worker record waits for the executor's done message.
 */
static int
submit(struct client *cl, int cmd, int xop, int use_pipe, const char *vs,
    const char *caller_vs, int argc, char **argv, const struct vs_buf *data,
    struct worker **wp)
{
	static struct vsd_xreq x;	/* 32 KiB */
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &x, sizeof(x) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf };
	struct cmsghdr *cm;
	struct worker *w;
	int p[2] = { -1, -1 }, fds[2], nfd = 0, mfd = -1, i, e;

	if (argc > VSD_X_ARGS) {
		errno = E2BIG;
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.magic = VSD_X_MAGIC;
	x.id = ++S.next_id;
	x.cmd = xop ? xop : cmd;
	x.role = cl ? (uint32_t)cl->who.role : VSD_ADMIN;
	x.uid = cl ? cl->who.uid : 0;
	snprintf(x.vs, sizeof(x.vs), "%s", vs);
	snprintf(x.caller_vs, sizeof(x.caller_vs), "%s", caller_vs);
	x.argc = (uint32_t)argc;
	for (i = 0; i < argc; i++)
		snprintf(x.argv[i], VSD_X_ARGLEN, "%s", argv[i]);
	if (use_pipe) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		x.has_pipe = 1;
		fds[nfd++] = p[1];
	}
	if (data) {
		mfd = memfd_create("vsd-data", MFD_CLOEXEC);
		if (mfd < 0 || write(mfd, data->buf, data->len) !=
		    (ssize_t)data->len) {
			e = errno;
			goto fail;
		}
		x.has_data = 1;
		fds[nfd++] = mfd;
	}
	if (nfd) {
		m.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfd * sizeof(int));
	} else
		m.msg_control = NULL;
	/* never block on the executor: it may be blocked sending us done
	 * messages; a full channel means "retry after the next done" */
	while (sendmsg(S.chan, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		goto fail;
	}
	if (p[1] >= 0)
		close(p[1]);
	if (mfd >= 0)
		close(mfd);
	w = xcalloc(1, sizeof(*w));
	w->type = EV_WORKER;
	w->id = x.id;
	w->xop = xop;
	w->fd = p[0];
	w->cl = cl;
	if (cl)
		cl->job = w;
	snprintf(w->what, sizeof(w->what), "%s", xop ? "internal" : "?");
	w->next = S.workers;
	S.workers = w;
	if (w->fd >= 0)
		ep_add(w->fd, w, EPOLLIN);
	if (wp)
		*wp = w;
	return 0;
fail:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (mfd >= 0)
		close(mfd);
	errno = e;
	return -1;
}

/* Run the parsed command p.cmd; may leave it pending (busy VS). */
static void
dispatch(struct client *cl)
{
	struct vs_proto_cmd *c = &cl->p.cmd;
	const struct vsd_cmd *cmd;
	const char *vs = NULL;
	int first = 1;

	cl->waiting = 0;
	cl->pending = 0;
	cl->active = now_s();
	if (strcmp(c->argv[0], "auth") == 0) {
		do_auth(cl, c);
		return;
	}
	if (cl->who.role == VSD_NONE) {
		vs_proto_err(&cl->out, VS_PROTO_E_AUTH, "authenticate first "
		    "(auth)");
		if (++cl->bad >= MAX_BAD_UNAUTH)
			cl->closing = 1;
		return;
	}
	if (strcmp(c->argv[0], "help") == 0) {
		do_help(cl);
		return;
	}
	if (strcmp(c->argv[0], "version") == 0) {
		vs_proto_ok(&cl->out, "freeVSD vsd %s", VSD_VERSION);
		return;
	}
	if (!(cmd = vsd_cmd_find(c->argv[0]))) {
		vs_proto_err(&cl->out, VS_PROTO_E_UNKNOWN, "unknown command "
		    "'%.64s'", c->argv[0]);
		return;
	}
	if (!(cmd->who & cl->who.role)) {
		vs_proto_err(&cl->out, VS_PROTO_E_FORBIDDEN, "%s is not "
		    "allowed for %s", cmd->name, role_name(cl->who.role));
		return;
	}
	if (cl->kind == L_VS) {
		if (c->scope[0] && strcmp(c->scope, cl->who.vs) != 0) {
			vs_proto_err(&cl->out, VS_PROTO_E_FORBIDDEN, "this "
			    "socket serves VS %s only", cl->who.vs);
			return;
		}
		vs = cl->who.vs;
	} else if (c->scope[0])
		vs = c->scope;
	if (cmd->takes_vs && !vs) {
		if (c->argc < 2) {
			vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "usage: %s "
			    "NAME %s", cmd->name, cmd->usage);
			return;
		}
		vs = c->argv[1];
		first = 2;
	} else if (!cmd->takes_vs && vs && cl->kind != L_VS) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "%s does not act on "
		    "one server: use it outside a group", cmd->name);
		return;
	}
	if (!cmd->takes_vs)
		vs = NULL;
	if (vs && !vs_valid_name(vs)) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "invalid server name "
		    "'%.64s'", vs);
		return;
	}
	if (c->argc - first < cmd->min || c->argc - first > cmd->max) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "usage: %s%s %s",
		    cmd->name, cmd->takes_vs && !c->scope[0] &&
		    cl->kind != L_VS ? " NAME" : "", cmd->usage);
		return;
	}
	if (cmd->data && !c->has_data) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "%s needs a data "
		    "block: %s ... {", cmd->name, cmd->name);
		return;
	}
	if (!cmd->data && c->has_data) {
		vs_proto_err(&cl->out, VS_PROTO_E_SYNTAX, "%s takes no data "
		    "block", cmd->name);
		return;
	}
	{
		const struct vsd_cmd *t;
		size_t n;
		struct worker *w;
		int i;

		for (i = first; i < c->argc; i++)
			if (strlen(c->argv[i]) >= VSD_X_ARGLEN) {
				vs_proto_err(&cl->out, VS_PROTO_E_TOOBIG,
				    "operand %d longer than %d bytes",
				    i - first + 1, VSD_X_ARGLEN - 1);
				return;
			}
		if (cmd->mode != VSD_INLINE && vs && vs_busy(vs)) {
			cl->pending = cl->waiting = 1;	/* retried when free */
			return;
		}
		t = vsd_cmd_table(&n);
		if (submit(cl, (int)(cmd - t), 0, cmd->mode != VSD_INLINE,
		    vs ? vs : "", cl->who.vs,
		    c->argc - first, c->argv + first,
		    c->has_data ? &c->data : NULL, &w) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS) {
				/* the channel is full: retried after a done */
				cl->pending = cl->waiting = 1;
				return;
			}
			vs_proto_err(&cl->out, VS_PROTO_E_UNAVAIL, "cannot reach "
			    "the executor: %s", strerror(errno));
			return;
		}
		w->inline_cmd = cmd->mode == VSD_INLINE;
		snprintf(w->vs, sizeof(w->vs), "%s", vs && !w->inline_cmd ?
		    vs : "");
		snprintf(w->what, sizeof(w->what), "%s", cmd->name);
	}
}

/* Parse and run what the client sent, as far as it can go now. */
static void
client_process(struct client *cl)
{
	while (!cl->closing && !cl->job) {
		enum vs_proto_ev ev;

		if (cl->pending) {
			dispatch(cl);
			if (cl->waiting)
				break;
			continue;
		}
		if (now_ms() < cl->hold_ms ||
		    cl->out.len - cl->out_off >= OUT_HIGH)
			break;
		ev = vs_proto_next(&cl->p);
		if (ev == VS_PROTO_NEED_MORE)
			break;
		if (ev == VS_PROTO_CMD) {
			cl->pending = 1;
			continue;
		}
		if (ev == VS_PROTO_EOF) {
			vs_proto_ok(&cl->out, "Virtual server admin signing off");
			cl->closing = 1;
			break;
		}
		/* VS_PROTO_ERROR */
		vs_proto_err(&cl->out, cl->p.err_code, "%s", cl->p.err_msg);
		if (cl->who.role == VSD_NONE && ++cl->bad >= MAX_BAD_UNAUTH)
			cl->closing = 1;
	}
	if (client_flush(cl) < 0)
		return;
	client_events(cl);
}

static void
client_read(struct client *cl)
{
	char buf[READ_CHUNK];
	ssize_t n;

	if (!can_read(cl))
		return;
	n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (cl->linger) {
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_free(cl);
		return;		/* input after the end is dropped */
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0 || (cl->out.len == cl->out_off && !cl->job &&
		    !cl->pending && vs_proto_pending(&cl->p) == 0)) {
			client_free(cl);
			return;
		}
		cl->eof_in = 1;	/* half-closed: answer what came, then go */
	} else
		vs_proto_feed(&cl->p, buf, (size_t)n);
	client_process(cl);
}

static void
fmt_peer(struct client *cl)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (cl->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&cl->addr)->sin_addr,
		    a, sizeof(a));
		port = ntohs(((struct sockaddr_in *)&cl->addr)->sin_port);
	} else if (cl->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)&cl->addr)->sin6_addr, a,
		    sizeof(a));
		port = ntohs(((struct sockaddr_in6 *)&cl->addr)->sin6_port);
	}
	snprintf(cl->who.peer, sizeof(cl->who.peer), "%s port %d", a, port);
}

/* Decide who the peer is; -1 (answer written) if it may not talk here. */
static int
identify(struct client *cl, struct listener *l)
{
	struct vs_peer pc = VS_PEER_INIT;
	struct ucred uc;
	size_t i;

	if (l->kind == L_TCP) {
		char a[INET6_ADDRSTRLEN] = "";

		fmt_peer(cl);
		if (cl->addr.ss_family == AF_INET)
			inet_ntop(AF_INET,
			    &((struct sockaddr_in *)&cl->addr)->sin_addr, a,
			    sizeof(a));
		/* a VS never reaches the host's port 1725 */
		for (i = 0; i < S.n_vs; i++)
			if (a[0] && strcmp(S.vs[i].ip, a) == 0) {
				log_warnx("%s: refused: a virtual server's "
				    "address", cl->who.peer);
				vs_proto_err(&cl->out, VS_PROTO_E_FORBIDDEN,
				    "virtual servers may not use this port");
				return -1;
			}
		cl->who.role = VSD_NONE;
		return 0;
	}
	/* the kernel's word: uid, gid and groups at connect time */
	if (vs_peer_get(cl->fd, &pc, NULL) < 0) {
		vs_proto_err(&cl->out, VS_PROTO_E_INTERNAL, "cannot identify "
		    "the caller");
		return -1;
	}
	uc.uid = pc.uid;
	uc.pid = pc.pid;
	cl->who.host_uid = uc.uid;
	if (l->kind == L_UNIX) {
		cl->who.uid = uc.uid;
		snprintf(cl->who.peer, sizeof(cl->who.peer), "uid %u pid %d",
		    (unsigned)uc.uid, (int)uc.pid);
		cl->who.role = vs_peer_is_admin(S.conf, &pc) ? VSD_ADMIN :
		    VSD_LOCAL;
		vs_peer_release(&pc);
		return 0;
	}
	vs_peer_release(&pc);
	/* a VS's own socket: map the host uid through the VS's range */
	{
		const struct vsent *rec = find_vs(l->vs);

		snprintf(cl->who.vs, sizeof(cl->who.vs), "%s", l->vs);
		snprintf(cl->who.peer, sizeof(cl->who.peer), "VS %s host uid "
		    "%u", l->vs, (unsigned)uc.uid);
		if (!rec) {
			vs_proto_err(&cl->out, VS_PROTO_E_NOTFOUND, "no such "
			    "server");
			return -1;
		}
		if ((long long)uc.uid < rec->uid_base ||
		    (long long)uc.uid >= rec->uid_base + rec->uid_count) {
			log_warnx("%s: refused: uid outside the VS's range",
			    cl->who.peer);
			vs_proto_err(&cl->out, VS_PROTO_E_FORBIDDEN, "caller "
			    "is not a user of VS %s", l->vs);
			return -1;
		}
		cl->who.uid = (uid_t)(uc.uid - rec->uid_base);
		cl->who.role = cl->who.uid == 0 ? VSD_VSADMIN : VSD_VSUSER;
		snprintf(cl->who.peer, sizeof(cl->who.peer), "VS %s uid %u",
		    l->vs, (unsigned)cl->who.uid);
		return 0;
	}
}

static void
pause_accept(void)
{
	struct listener *l;

	S.accept_pause = now_s() + 1;
	for (l = S.listeners; l; l = l->next)
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, l->fd, NULL);
	log_warnx("out of file descriptors: not accepting for a second");
}

static void
resume_accept(void)
{
	struct listener *l;

	S.accept_pause = 0;
	for (l = S.listeners; l; l = l->next)
		ep_add(l->fd, l, EPOLLIN);
}

/* A VS may hold a few connections to vsd, and all VSs together at most
 * three quarters of max_clients: nobody inside a VS can lock the host's
 * administrators or another VS out. */
#define VS_CLIENTS_MAX	16

static int
vs_clients_full(const char *vs)
{
	const struct client *cl;
	long long mine = 0, all = 0;

	for (cl = S.clients; cl; cl = cl->next) {
		if (cl->kind != L_VS)
			continue;
		all++;
		if (strcmp(cl->who.vs, vs) == 0)
			mine++;
	}
	return mine >= VS_CLIENTS_MAX ||
	    all >= S.conf->max_clients - S.conf->max_clients / 4;
}

/*
 * A connection of run/bevs.sock goes to the executor as it is, unread:
 * the executor reads the caller's credentials from the kernel on the
 * socket itself, and the request from it (session.c).  Nothing we could
 * say about the caller would be believed.  No answer comes back.
 * A caller who is no admin is refused here already, with the executor's
 * own rule: any local user may connect, and a flood of such connections
 * relayed kept the executor's channel full (root's vsdadm timed out) and
 * wrote a log line for each (red team, test 703).
 */
static void
bevs_relay(int fd)
{
	static struct vsd_xreq x;	/* 32 KiB */
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &x, sizeof(x) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;

	memset(&x, 0, sizeof(x));
	memset(&u, 0, sizeof(u));
	x.magic = VSD_X_MAGIC;
	x.id = ++S.next_id;
	x.cmd = VSD_XOP_BEVS;
	x.has_conn = 1;
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(S.chan, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno == EINTR)
			continue;
		/* bevs sees the connection closed: "try again" */
		log_warn("bevs connection: cannot reach the executor");
		break;
	}
	close(fd);
}

static void
do_accept(struct listener *l)
{
	int k;

	for (k = 0; k < 64; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct client *cl;
		int fd;

		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				pause_accept();
			return;
		}
		if (l->kind == L_BEVS) {
			if (vsd_session_caller_ok(S.conf, fd))
				bevs_relay(fd);
			else
				vsd_session_refuse_caller(S.conf, fd);
			continue;
		}
		if (S.stopping || (long long)S.nclients >= S.conf->max_clients ||
		    (l->kind == L_VS && vs_clients_full(l->vs))) {
			static const char busy[] =
			    "-ERR 429 too many clients, try again later\n";

			send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
			close(fd);
			continue;
		}
		if (l->kind == L_TCP) {
			int one = 1;	/* one answer, one segment: no Nagle */

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->type = EV_CLIENT;
		cl->fd = fd;
		cl->kind = l->kind;
		cl->addr = ss;
		cl->since = cl->active = now_s();
		/* before authentication a line is short: "auth" and 64 hex */
		vs_proto_init(&cl->p, l->kind == L_TCP ? 256 :
		    (size_t)S.conf->max_line, MAX_DATA, vsd_cmd_is);
		vs_buf_init(&cl->out, 0);
		cl->next = S.clients;
		if (S.clients)
			S.clients->prev = cl;
		S.clients = cl;
		S.nclients++;
		ep_add(fd, cl, 0);
		if (identify(cl, l) < 0) {
			cl->closing = 1;
			if (client_flush(cl) == 0)
				client_events(cl);
			continue;
		}
		vs_proto_ok(&cl->out, "freeVSD Virtual Server administrator %s "
		    "v%s server ready", S.hostname, VSD_VERSION);
		log_debug("%s: connected (%s)", cl->who.peer,
		    role_name(cl->who.role));
		if (client_flush(cl) == 0)
			client_events(cl);
	}
}

/* ---- workers ---------------------------------------------------------- */

static void
worker_read(struct worker *w)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		vs_buf_add(&w->out, buf, (size_t)n);
}

static void wake_waiters(void);
static void reload_answer(const struct vs_buf *out);

/* The executor answered one of our own requests. */
static void
internal_done(struct worker *w)
{
	if (w->xop == VSD_XOP_SYNC) {
		S.sync_pending = 0;
		apply_sync(&w->out);
		if (S.sync_again) {
			S.sync_again = 0;
			request_sync();
		}
	} else
		reload_answer(&w->out);
	explicit_bzero(w->out.buf, w->out.len);
}

static void
worker_done(struct worker *w)
{
	struct worker **wp;
	struct client *cl = w->cl;
	int ok;

	if (w->fd >= 0) {
		worker_read(w);
		epoll_ctl(S.epfd, EPOLL_CTL_DEL, w->fd, NULL);
		close(w->fd);
	}
	for (wp = &S.workers; *wp != w; wp = &(*wp)->next)
		;
	*wp = w->next;
	if (w->xop) {
		internal_done(w);
		goto out;
	}
	ok = w->out.len > 0 && w->out.buf[w->out.len - 1] == '\n';
	if (!ok) {
		vs_buf_reset(&w->out);
		if (WIFSIGNALED(w->status))
			vs_proto_err(&w->out, VS_PROTO_E_INTERNAL, "%s: the "
			    "worker died of signal %d", w->what,
			    WTERMSIG(w->status));
		else
			vs_proto_err(&w->out, VS_PROTO_E_INTERNAL, "%s: the "
			    "worker exited without an answer", w->what);
	}
	if (!w->inline_cmd || log_getverbose())
		log_info("%s: %s%s%s: %.*s", cl ? cl->who.peer : "(gone)",
		    w->what, w->vs[0] ? " " : "", w->vs,
		    (int)(strchr(w->out.buf, '\n') - w->out.buf), w->out.buf);
	if (cl) {
		vs_buf_add(&cl->out, w->out.buf, w->out.len);
		cl->active = now_s();
	}
out:
	if (cl)
		cl->job = NULL;
	vs_buf_release(&w->out);
	w->next = S.dead_workers;	/* may still be named in this batch */
	S.dead_workers = w;
	w->fd = -1;
	/* a create or delete changes the set of VS sockets */
	if (!w->xop && !w->inline_cmd)
		request_sync();
	if (cl)
		client_process(cl);
	wake_waiters();
}

static void
wake_waiters(void)
{
	struct client *cl, *next;

	for (cl = S.clients; cl; cl = next) {
		next = cl->next;
		if (cl->waiting)
			client_process(cl);	/* dispatch re-checks */
	}
}

/* Done messages from the executor. */
static void
exec_read(void)
{
	static char msg[sizeof(struct vsd_xdone) + VSD_X_CHUNK];
	struct vsd_xdone d;
	struct worker *w;
	ssize_t n;

	while ((n = recv(S.chan, msg, sizeof(msg), MSG_DONTWAIT)) >=
	    (ssize_t)sizeof(d)) {
		memcpy(&d, msg, sizeof(d));
		if (d.magic != VSD_X_MAGIC || d.len > VSD_X_CHUNK ||
		    (size_t)n != sizeof(d) + d.len)
			continue;
		for (w = S.workers; w; w = w->next)
			if (w->id == d.id)
				break;
		if (!w)
			continue;
		vs_buf_add(&w->out, msg + sizeof(d), d.len);
		if (d.more)
			continue;
		w->exited = 1;
		w->status = d.status;
		worker_done(w);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* the executor is gone: nothing can be done any more */
		fatalx("the executor went away");
	}
}

/* ---- signals, timers, reload ------------------------------------------ */

static void
reload(void)
{
	struct vs_buf errs = VS_BUF_INIT;
	struct vs_conf *nc = xcalloc(1, sizeof(*nc));

	if (vs_conf_load(S.conf_path, S.explicit_conf, nc, &errs) < 0) {
		vs_buf_rtrim(&errs);
		log_warnx("reload failed, keeping the running configuration:\n"
		    "%s", errs.buf);
		free(nc);
		vs_buf_release(&errs);
		return;
	}
	vs_buf_release(&errs);
	if (strcmp(nc->state_root, S.conf->state_root) != 0) {
		log_warnx("reload: state_root changed; that needs a restart, "
		    "keeping '%s' for now", S.conf->state_root);
		free(nc->state_root);
		nc->state_root = xstrdup(S.conf->state_root);
		free(nc->instance);
		nc->instance = xstrdup(S.conf->instance);
	}
	/* clients keep pointing at S.conf: swap the contents */
	close_tcp_listeners();
	vs_conf_release(S.conf);
	*S.conf = *nc;
	free(nc);
	if (open_tcp_listeners() < 0)
		log_warnx("reload: some TCP listeners could not be opened");
	/* the executor re-reads it too and hands us the (root-only) secret */
	if (submit(NULL, -1, VSD_XOP_RELOAD, 0, "", "", 0, NULL, NULL,
	    NULL) < 0)
		log_warn("reload: cannot reach the executor");
	request_sync();
	log_info("configuration reloaded from '%s'", S.conf->path ?
	    S.conf->path : "(built-in defaults)");
}

/* "+OK HEX" (the secret) or "-ERR code why". */
static void
reload_answer(const struct vs_buf *out)
{
	const char *nl;
	size_t len;

	vs_auth_secret_clear(&S.secret);
	S.have_secret = 0;
	if (strncmp(out->buf, "+OK ", 4) != 0 ||
	    !(nl = strchr(out->buf, '\n'))) {
		if (S.conf->n_listen)
			log_warnx("%.*s; TCP clients cannot authenticate",
			    (int)(strcspn(out->buf, "\n")), out->buf);
		return;
	}
	len = (size_t)(nl - (out->buf + 4)) / 2;
	if (len < VS_AUTH_SECRET_MIN || len > VS_AUTH_SECRET_MAX)
		return;
	{
		char *hex = xstrndup(out->buf + 4, 2 * len);

		if (vs_unhex(hex, S.secret.key, len) == 0) {
			S.secret.len = len;
			S.have_secret = 1;
		}
		explicit_bzero(hex, 2 * len);
		free(hex);
	}
}

static void
handle_signal(void)
{
	struct signalfd_siginfo si;

	while (read(S.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload();
			break;
		case SIGTERM:
		case SIGINT:
			if (!S.stopping)
				log_info("signal %d: stopping after running "
				    "operations", (int)si.ssi_signo);
			S.stopping = 1;
			break;
		}
	}
}

static void
timeouts(void)
{
	struct client *cl, *next;
	time_t t = now_s();
	uint64_t ms = now_ms();

	S.any_held = 0;
	for (cl = S.clients; cl; cl = next) {
		long long limit = S.conf->client_timeout;

		next = cl->next;
		if (cl->linger) {
			if (t >= cl->linger_until)
				client_free(cl);
			continue;
		}
		if (cl->hold_ms && ms >= cl->hold_ms) {
			cl->hold_ms = 0;
			client_process(cl);
			continue;
		}
		if (cl->hold_ms)
			S.any_held = 1;
		if (cl->job)
			continue;
		if (cl->who.role == VSD_NONE && cl->kind == L_TCP) {
			if (limit > AUTH_TIMEOUT)
				limit = AUTH_TIMEOUT;
			if (t - cl->since < limit)
				continue;
		} else if (t - cl->active < limit)
			continue;
		log_info("%s: idle for %lld s, closing", cl->who.peer, limit);
		vs_proto_err(&cl->out, 408, "timeout, closing");
		cl->closing = 1;
		if (client_flush(cl) == 0)
			client_events(cl);
	}
}

static void
stop_listening(void)
{
	struct listener *l;

	while ((l = S.listeners)) {
		S.listeners = l->next;
		close_listener(l);
	}
}

int
vsd_control_run(struct vs_conf *conf, const char *conf_path,
    int explicit_conf, int chan, int readyfd)
{
	struct vs_err err = VS_ERR_INIT;
	char *sock;
	sigset_t ss;
	int fd;

	S.conf = conf;
	S.chan = chan;
	S.conf_path = conf_path;
	S.explicit_conf = explicit_conf;
	if (gethostname(S.hostname, sizeof(S.hostname) - 1) < 0)
		snprintf(S.hostname, sizeof(S.hostname), "localhost");
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	S.sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	S.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (S.sigfd < 0 || S.epfd < 0)
		fatal("signalfd/epoll");
	ep_add(S.sigfd, &sig_ev, EPOLLIN);
	ep_add(S.chan, &exec_ev, EPOLLIN);

	/* any local user may connect (read-only commands); rights are
	 * decided per command from SO_PEERCRED */
	sock = vs_conf_dir(conf, "run/vsd.sock");
	if ((fd = unix_listen(sock, 0666)) < 0)
		fatal("cannot listen on '%s'", sock);
	add_listener(L_UNIX, fd, NULL, sock);
	log_info("listening on %s", sock);
	free(sock);
	/* bevs for admin_group members: anyone may connect, the executor
	 * decides from the kernel's credentials (session.c) */
	sock = vs_conf_dir(conf, VSD_BEVS_SOCK);
	if ((fd = unix_listen_type(sock, SOCK_SEQPACKET, 0666)) < 0)
		log_warn("cannot listen on '%s'; bevs works for root only",
		    sock);
	else
		add_listener(L_BEVS, fd, NULL, sock);
	free(sock);
	load_secret();
	if (open_tcp_listeners() < 0)
		fatalx("cannot open the TCP listeners");
	/* everything that needed root is done: the sockets are bound, the
	 * secret read; the rest is the executor's */
	if (vsd_drop_privileges(VSD_FRONT_ID(conf), &err) < 0)
		fatalx("%s", err.msg);
	request_sync();
	if (readyfd >= 0) {
		if (write(readyfd, "1", 1) != 1)
			log_warn("cannot tell the parent we are up");
		close(readyfd);
	}
	log_info("serving (freeVSD vsd %s)", VSD_VERSION);

	while (!S.stopping || S.workers) {
		struct epoll_event evs[64];
		int n, i;

		if (S.stopping && S.listeners)
			stop_listening();
		/* held answers (failed logins) are released within 50 ms */
		n = epoll_wait(S.epfd, evs, ARRAY_SIZE(evs),
		    S.any_held ? 50 : 1000);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			enum ev_type *t = evs[i].data.ptr;

			switch (*t) {
			case EV_SIGNAL:
				handle_signal();
				break;
			case EV_LISTEN:
				do_accept((struct listener *)t);
				break;
			case EV_WORKER:
				if (((struct worker *)t)->fd >= 0)
					worker_read((struct worker *)t);
				break;
			case EV_EXEC:
				exec_read();
				break;
			case EV_CLIENT: {
				struct client *cl = (struct client *)t;

				if (cl->dead)
					break;
				/* both directions closed: nobody to answer */
				if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
					client_free(cl);
					break;
				}
				if (evs[i].events & EPOLLOUT) {
					if (client_flush(cl) < 0)
						break;
					client_process(cl);
					break;
				}
				if (evs[i].events & EPOLLIN)
					client_read(cl);
				break;
			}
			}
		}
		reap_dead();
		if (S.accept_pause && now_s() >= S.accept_pause)
			resume_accept();
		/* a scan of all clients, not on every wakeup of a busy loop */
		if (now_ms() - S.last_tick >= 50) {
			S.last_tick = now_ms();
			timeouts();
		}
		if (now_s() - S.last_sync >= SYNC_EVERY && !S.stopping)
			request_sync();
	}
	stop_listening();
	while (S.clients)
		client_free(S.clients);
	reap_dead();
	vs_auth_secret_clear(&S.secret);
	log_info("stopped");
	return 0;
}
