/* relay.c - the epoll + splice TCP relay engine behind vsredirect (see
 * relay.h for the behaviour promised).
 *
 * Sockets are registered edge-triggered once and never modified; each
 * side keeps "readable"/"writable" flags that events set and EAGAIN
 * clears, and pump_dir() moves bytes while both ends allow it.  Objects
 * closed while a batch of epoll events is being handled are only marked
 * dead and freed after the batch, so a later event of the same batch
 * never touches freed memory.
 *
 * Where a bulk stream's time goes (measured 2026-12 on 2 vCPUs with perf
 * record, strace -c and the CPU-per-GiB line of ci/bench.d/70-redirect.sh):
 * a relayed stream costs ~1.6x the CPU of a direct one (about 1050 vs 670
 * ms per GiB, client + server + relay), which caps it near 0.65x direct
 * when everything shares one CPU.  Nearly all of the relay's own time is
 * the TCP/IP work of the second connection run inside its splice calls
 * (transmit, loopback or veth delivery, receive, ACKs: each splice from a
 * socket sends an ACK that makes the sender transmit in our context);
 * the loop itself is cheap: ~2 MB moved per epoll_wait, under 0.1% of
 * splices end in EAGAIN, ~56 KB per splice, no copies.  A 1 MiB pipe
 * (vsredirect -b) moved more per call but did not lower the cost, so
 * the kernel's default pipe size stays; socat costs ~1.7x our CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "log.h"
#include "priv/nssock.h"
#include "relay.h"
#include "xmem.h"
#include "banned.h"

#define ACCEPT_BATCH	32		/* per listener per round */
#define PUMP_BUDGET	(1 << 20)	/* bytes per connection per round */
#define PAUSE_MS	1000		/* accept pause after EMFILE */
#define STARVE_MS	500		/* longest wait for a pipe's descriptors */
#define MAX_EVENTS	256
#define POOL_MAX	16		/* upstream sockets made per excursion */

/* ---- intrusive lists ------------------------------------------------- */

struct list {
	struct list *prev, *next;
};

static void
list_init(struct list *l)
{
	l->prev = l->next = l;
}

static int
list_empty(const struct list *l)
{
	return l->next == l;
}

static void
list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static void
list_add_tail(struct list *head, struct list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* ---- objects --------------------------------------------------------- */

enum ev_kind { EV_LISTENER = 1, EV_CONN, EV_WATCH };

/* What epoll_event.data.ptr points at: the first member of a listener or
 * watch, or one of a connection's two ev[] entries. */
struct ev {
	unsigned char kind;
	unsigned char side;
};

struct watch {
	struct ev ev;
	int fd;
	int dead;
	vs_relay_watch_fn fn;
	void *ctx;
	struct list link;
};

struct vs_relay_group {
	struct vs_relay *r;
	char name[64];
	int refs, max, active, nsfd;
	/* unconnected upstream sockets made ahead in the group's netns:
	 * entering a namespace costs twice what the socket does */
	int pool[POOL_MAX], npool, pool_family, pool_want;
	struct list link;	/* r->groups */
};

struct vs_relay_listener {
	struct ev ev;
	struct vs_relay *r;
	struct vs_relay_group *g;
	int fd, dead, in_ready;
	struct sockaddr_storage target;
	socklen_t tlen;
	enum vs_proxy_version proxy;
	struct list ready;	/* in r->ready while accept may succeed */
	struct list link;	/* in r->listeners, then r->dead_listeners */
};

/* side 0 = client, 1 = upstream; direction d moves fd[d] -> fd[!d]
 * through pipe[d]. */
struct conn {
	struct ev ev[2];
	struct vs_relay *r;
	struct vs_relay_group *g;
	int fd[2];
	int pipe[2][2];
	size_t inpipe[2], cap[2];
	unsigned char readable[2], writable[2], eof[2], shut[2];
	unsigned char connecting, pending, starved, dead;
	int hdrlen;
	char hdr[VS_PROXY_HDR_MAX];
	uint64_t since;		/* connect start, then last activity (ms) */
	uint64_t starved_since;	/* first failed wait for a pipe, or 0 */
	struct list timer;	/* r->connecting or r->idle (ordered) */
	struct list pend;	/* r->pending or r->starved, then r->dead_conns */
};

struct vs_relay {
	int ep;
	struct vs_relay_opts o;
	struct vs_relay_stats st;
	struct list listeners, ready, connecting, idle, pending, starved;
	struct list watches;
	struct list groups;
	struct list dead_conns, dead_listeners;
	uint64_t now, paused_until;
	int reserve;		/* a spare descriptor for the worst moment */
	vs_relay_sockets_fn sockets_fn;	/* NULL: vs_nssock_many() */
	void *sockets_ctx;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
conn_timeout(const struct vs_relay *r)
{
	return r->o.connect_timeout_ms > 0 ? r->o.connect_timeout_ms : 10000;
}

/* ---- relay ----------------------------------------------------------- */

struct vs_relay *
vs_relay_new(const struct vs_relay_opts *opts, struct vs_err *err)
{
	struct vs_relay *r = xcalloc(1, sizeof(*r));

	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->ep < 0) {
		vs_err_sys(err, "epoll_create1");
		free(r);
		return NULL;
	}
	r->o = *opts;
	list_init(&r->listeners);
	list_init(&r->groups);
	list_init(&r->ready);
	list_init(&r->connecting);
	list_init(&r->idle);
	list_init(&r->pending);
	list_init(&r->starved);
	list_init(&r->watches);
	list_init(&r->dead_conns);
	list_init(&r->dead_listeners);
	r->reserve = eventfd(0, EFD_CLOEXEC);
	r->now = now_ms();
	return r;
}

void
vs_relay_set_opts(struct vs_relay *r, const struct vs_relay_opts *opts)
{
	r->o = *opts;
}

void
vs_relay_set_sockets_fn(struct vs_relay *r, vs_relay_sockets_fn fn, void *ctx)
{
	r->sockets_fn = fn;
	r->sockets_ctx = ctx;
}

void
vs_relay_get_stats(const struct vs_relay *r, struct vs_relay_stats *st)
{
	*st = r->st;
}

/* ---- groups ---------------------------------------------------------- */

struct vs_relay_group *
vs_relay_group_new(struct vs_relay *r, const char *name, int max_conns,
    int nsfd)
{
	struct vs_relay_group *g = xcalloc(1, sizeof(*g));

	g->r = r;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->refs = 1;
	g->max = max_conns;
	g->nsfd = nsfd;
	g->pool_want = 1;
	list_add_tail(&r->groups, &g->link);
	return g;
}

void
vs_relay_group_set_limit(struct vs_relay_group *g, int max_conns)
{
	g->max = max_conns;
}

int
vs_relay_group_active(const struct vs_relay_group *g)
{
	return g->active;
}

int
vs_relay_group_nsfd(const struct vs_relay_group *g)
{
	return g->nsfd;
}

void
vs_relay_group_put(struct vs_relay_group *g)
{
	if (!g || --g->refs > 0)
		return;
	while (g->npool > 0)
		close(g->pool[--g->npool]);
	list_del(&g->link);
	if (g->nsfd >= 0)
		close(g->nsfd);
	free(g);
}

/* ---- connections ----------------------------------------------------- */

static void
set_linger0(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Close everything of c now; free it after the current batch. */
static void
conn_close(struct conn *c)
{
	struct vs_relay *r = c->r;
	int i;

	if (c->dead)
		return;
	for (i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);	/* also leaves the epoll set */
		if (c->pipe[i][0] >= 0) {
			close(c->pipe[i][0]);
			close(c->pipe[i][1]);
		}
	}
	list_del(&c->timer);
	list_del(&c->pend);
	list_add_tail(&r->dead_conns, &c->pend);
	c->dead = 1;
	c->g->active--;
	r->st.active--;
}

/* Pass a reset on to side s (SO_LINGER 0 makes close send RST). */
static void
conn_reset(struct conn *c, int s)
{
	if (c->dead)
		return;
	if (c->fd[s] >= 0)
		set_linger0(c->fd[s]);
	c->r->st.resets++;
	conn_close(c);
}

static void accept_pause(struct vs_relay *);

static int
pipe_open(struct conn *c, int d)
{
	int size = c->r->o.pipe_size, got;

	if (pipe2(c->pipe[d], O_CLOEXEC | O_NONBLOCK) < 0) {
		c->pipe[d][0] = c->pipe[d][1] = -1;
		return -1;
	}
	if (size > 0)
		fcntl(c->pipe[d][0], F_SETPIPE_SZ, size);
	got = fcntl(c->pipe[d][0], F_GETPIPE_SZ);
	c->cap[d] = got > 0 ? (size_t)got : 65536;
	return 0;
}

/*
 * Move bytes in direction d until nothing moves or the budget is spent.
 * Returns 0 (blocked or done), 1 (budget spent: call again), -1 (the
 * connection was reset and closed).
 */
static int
pump_dir(struct conn *c, int d, long *budget)
{
	struct vs_relay *r = c->r;
	int src = c->fd[d], dst = c->fd[!d];
	ssize_t n;
	int progress;

	for (;;) {
		progress = 0;
		if (c->inpipe[d] > 0 && c->writable[!d]) {
			n = splice(c->pipe[d][0], NULL, dst, NULL, c->inpipe[d],
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->inpipe[d] -= (size_t)n;
				r->st.bytes[d] += (uint64_t)n;
				progress = 1;
			} else if (n < 0 && errno == EAGAIN) {
				c->writable[!d] = 0;
			} else if (!(n < 0 && errno == EINTR)) {
				/* the receiver is gone: tell the sender */
				conn_reset(c, d);
				return -1;
			}
		}
		if (!c->eof[d] && c->readable[d] && c->inpipe[d] < c->cap[d]) {
			n = splice(src, NULL, c->pipe[d][1], NULL,
			    c->cap[d] - c->inpipe[d],
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->inpipe[d] += (size_t)n;
				*budget -= n;
				progress = 1;
			} else if (n == 0) {
				c->eof[d] = 1;
			} else if (errno == EAGAIN) {
				/* With data in the pipe EAGAIN may mean "pipe
				 * full" (slots, not bytes): keep the flag, the
				 * next drain retries.  An empty pipe cannot be
				 * full, so then the socket is empty. */
				if (c->inpipe[d] == 0)
					c->readable[d] = 0;
			} else if (errno != EINTR) {
				conn_reset(c, !d);
				return -1;
			}
		}
		if (c->eof[d] && c->inpipe[d] == 0 && !c->shut[!d]) {
			shutdown(dst, SHUT_WR);
			c->shut[!d] = 1;
		}
		if (!progress)
			return 0;
		if (*budget <= 0)
			return 1;
	}
}

/* No descriptor is free for side d's pipe.  Find out without one
 * whether d has only its end of stream (or a reset) to pass on, which
 * needs no pipe: 1 nothing waits, 0 data waits for a pipe, -1 reset. */
static int
peek_starved(struct conn *c, int d)
{
	char b;
	ssize_t n = recv(c->fd[d], &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return 0;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->readable[d] = 0;
		return 1;
	}
	if (n < 0) {
		conn_reset(c, !d);
		return -1;
	}
	c->eof[d] = 1;
	return 1;
}

static void
conn_pump(struct conn *c)
{
	long budget = PUMP_BUDGET;
	int d, more = 0, starved = 0, rc;

	if (c->starved) {
		list_del(&c->pend);
		c->starved = 0;
	}
	for (d = 0; d < 2; d++) {
		if (c->pipe[d][0] < 0 && c->readable[d] && !c->eof[d] &&
		    pipe_open(c, d) < 0) {
			if (errno != EMFILE && errno != ENFILE) {
				log_warn("%s: pipe", c->g->name);
				conn_reset(c, 0);
				conn_reset(c, 1);
				return;
			}
			rc = peek_starved(c, d);
			if (rc < 0)
				return;
			starved |= rc == 0;
		}
		if (c->pipe[d][0] < 0) {
			/* an end of stream seen without a pipe */
			if (c->eof[d] && !c->shut[!d] && !c->connecting) {
				shutdown(c->fd[!d], SHUT_WR);
				c->shut[!d] = 1;
			}
			continue;
		}
		rc = pump_dir(c, d, &budget);
		if (rc < 0)
			return;
		more |= rc;
	}
	if (c->shut[0] && c->shut[1] && !c->inpipe[0] && !c->inpipe[1]) {
		conn_close(c);
		return;
	}
	if (starved && c->starved_since &&
	    c->r->now - c->starved_since >= STARVE_MS) {
		/* Every descriptor may be held by connections that each
		 * wait for a pipe (a flood whose clients sent data, even
		 * gone since): none would move before the idle timeout,
		 * nor would any other VS be served.  The longest waiting
		 * one gives its descriptors back. */
		log_debug("%s: %s: no descriptor for a pipe in %d ms",
		    __func__, c->g->name, STARVE_MS);
		conn_reset(c, 0);
		conn_reset(c, 1);
		return;
	}
	if (starved) {
		/* A connection must not be reset because a flood took the
		 * descriptors: stop accepting (which also gives the spare
		 * upstream sockets back) and try again after the next
		 * close, for STARVE_MS at most.  Its data waits in the
		 * socket buffers (back pressure). */
		if (!c->starved_since)
			c->starved_since = c->r->now ? c->r->now : 1;
		accept_pause(c->r);
		if (c->pending) {
			list_del(&c->pend);
			c->pending = 0;
		}
		c->starved = 1;
		list_add_tail(&c->r->starved, &c->pend);
		return;
	}
	c->starved_since = 0;
	if (more && !c->pending) {
		c->pending = 1;
		list_add_tail(&c->r->pending, &c->pend);
	}
}

/* The upstream connect finished (or failed). */
static void
conn_connected(struct conn *c)
{
	struct vs_relay *r = c->r;
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e) {
		log_debug("%s: %s: upstream connect: %s", __func__, c->g->name,
		    strerror(e));
		r->st.connect_failed++;
		conn_reset(c, 0);
		return;
	}
	c->connecting = 0;
	c->writable[1] = 1;
	list_del(&c->timer);
	c->since = r->now;
	list_add_tail(&r->idle, &c->timer);
	if (c->hdrlen > 0 && send(c->fd[1], c->hdr, (size_t)c->hdrlen,
	    MSG_NOSIGNAL | MSG_DONTWAIT) != c->hdrlen) {
		/* an empty new socket buffer always takes ~100 bytes */
		log_warn("%s: cannot send PROXY header", c->g->name);
		conn_reset(c, 0);
		conn_reset(c, 1);
		return;
	}
	conn_pump(c);
}

static void
conn_event(struct conn *c, int s, uint32_t e)
{
	struct vs_relay *r = c->r;

	if (c->dead)
		return;
	if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable[s] = 1;
	if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->writable[s] = 1;
	if (c->connecting) {
		if (s == 1 && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			conn_connected(c);
		return;
	}
	if (e & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd[s], SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			log_debug("%s: %s: side %d: %s", __func__, c->g->name,
			    s, strerror(err));
			conn_reset(c, !s);
			return;
		}
	}
	c->since = r->now;
	list_del(&c->timer);
	list_add_tail(&r->idle, &c->timer);
	conn_pump(c);
}

/* An upstream socket in g's netns, from the pool when it has one.  Each
 * refill makes twice as many as the last, up to POOL_MAX, so a VS with
 * little traffic holds a spare or two and a busy one up to 15. */
static int
upstream_socket(struct vs_relay_group *g, int family, struct vs_err *err)
{
	int n;

	if (g->npool > 0 && g->pool_family != family)
		while (g->npool > 0)
			close(g->pool[--g->npool]);
	if (g->npool == 0) {
		if (g->r->sockets_fn)
			n = g->r->sockets_fn(g->r->sockets_ctx, g->name,
			    family, g->pool, g->pool_want, err);
		else
			n = vs_nssock_many(g->nsfd, family, SOCK_STREAM |
			    SOCK_NONBLOCK, 0, g->pool, g->pool_want, err);
		if (n < 0)
			return -1;
		g->npool = n;
		g->pool_family = family;
		if (g->pool_want < POOL_MAX)
			g->pool_want *= 2;
	}
	return g->pool[--g->npool];
}

static int
conn_start(struct vs_relay_listener *l, int fd,
    const struct sockaddr_storage *peer)
{
	struct vs_relay *r = l->r;
	struct vs_err err = VS_ERR_INIT;
	struct epoll_event ev;
	struct conn *c;
	int up, one = 1, i;

	up = upstream_socket(l->g, l->target.ss_family, &err);
	if (up < 0 && (errno == EMFILE || errno == ENFILE) && r->reserve >= 0) {
		/* the client is accepted already: spend the reserve on its
		 * upstream rather than reset it; poll() takes it back */
		close(r->reserve);
		r->reserve = -1;
		l->g->pool_want = 1;
		vs_err_clear(&err);
		up = upstream_socket(l->g, l->target.ss_family, &err);
	}
	if (up < 0) {
		int e = errno;

		if (e != EMFILE && e != ENFILE)	/* those pause accepting */
			log_warnx("%s: upstream socket: %s", l->g->name,
			    err.msg);
		errno = e;
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->g = l->g;
	c->fd[0] = fd;
	c->fd[1] = up;
	for (i = 0; i < 2; i++) {
		c->ev[i].kind = EV_CONN;
		c->ev[i].side = (unsigned char)i;
		c->pipe[i][0] = c->pipe[i][1] = -1;
		setsockopt(c->fd[i], IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	list_init(&c->timer);
	list_init(&c->pend);
	if (l->proxy != VS_PROXY_NONE) {
		struct sockaddr_storage local;
		socklen_t len = sizeof(local);

		if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
			c->hdrlen = vs_proxy_build(l->proxy,
			    (const struct sockaddr *)peer,
			    (struct sockaddr *)&local, c->hdr, sizeof(c->hdr));
		if (c->hdrlen < 0)
			c->hdrlen = 0;
	}
	/* connect may even succeed at once on a local address; either way
	 * the first EPOLLOUT of the upstream side completes it */
	c->connecting = 1;
	if (connect(up, (struct sockaddr *)&l->target, l->tlen) < 0 &&
	    errno != EINPROGRESS) {
		log_debug("%s: %s: connect: %s", __func__, l->g->name,
		    strerror(errno));
		r->st.connect_failed++;
		close(up);
		free(c);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = &c->ev[i];
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd[i], &ev) < 0) {
			log_warn("%s: epoll_ctl", l->g->name);
			if (i == 1)
				epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
			close(up);
			free(c);
			return -1;
		}
	}
	c->g->refs++;
	c->g->active++;
	r->st.active++;
	r->st.accepted++;
	c->since = r->now;
	list_add_tail(&r->connecting, &c->timer);
	return 0;
}

static void
conn_free(struct conn *c)
{
	vs_relay_group_put(c->g);
	free(c);
}

/* ---- listeners ------------------------------------------------------- */

struct vs_relay_listener *
vs_relay_listen(struct vs_relay *r, struct vs_relay_group *g, int fd,
    const struct sockaddr *target, socklen_t tlen,
    enum vs_proxy_version proxy)
{
	struct vs_relay_listener *l;
	struct epoll_event ev;
	int fl;

	if (tlen > sizeof(l->target)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->ev.kind = EV_LISTENER;
	l->r = r;
	l->g = g;
	l->fd = fd;
	list_init(&l->ready);
	vs_relay_listener_retarget(l, target, tlen, proxy);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = &l->ev;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		free(l);
		errno = e;
		return NULL;
	}
	g->refs++;
	list_add_tail(&r->listeners, &l->link);
	r->st.listeners++;
	/* connections may already wait in the backlog */
	l->in_ready = 1;
	list_add_tail(&r->ready, &l->ready);
	return l;
}

void
vs_relay_listener_retarget(struct vs_relay_listener *l,
    const struct sockaddr *target, socklen_t tlen,
    enum vs_proxy_version proxy)
{
	memset(&l->target, 0, sizeof(l->target));
	memcpy(&l->target, target, tlen);
	l->tlen = tlen;
	l->proxy = proxy;
}

void
vs_relay_unlisten(struct vs_relay_listener *l)
{
	if (!l || l->dead)
		return;
	close(l->fd);
	l->fd = -1;
	l->dead = 1;
	list_del(&l->ready);
	l->in_ready = 0;
	list_del(&l->link);
	list_add_tail(&l->r->dead_listeners, &l->link);
	l->r->st.listeners--;
}

static int
over_limit(const struct vs_relay *r, const struct vs_relay_group *g)
{
	return (r->o.max_conns > 0 && r->st.active >= r->o.max_conns) ||
	    (g->max > 0 && g->active >= g->max);
}

/* Out of descriptors (or memory): accept nothing for a second rather
 * than spin on a full backlog; say so once per episode. */
static void
accept_pause(struct vs_relay *r)
{
	struct list *p;

	if (r->paused_until + PAUSE_MS < r->now)
		log_warn("accepting paused for %d ms", PAUSE_MS);
	r->paused_until = r->now + PAUSE_MS;
	r->st.accept_pauses++;
	/* spare upstream sockets are the first descriptors to give back */
	for (p = r->groups.next; p != &r->groups; p = p->next) {
		struct vs_relay_group *g = container_of(p,
		    struct vs_relay_group, link);

		while (g->npool > 0)
			close(g->pool[--g->npool]);
		g->pool_want = 1;
	}
}

/* Accept up to ACCEPT_BATCH connections; keep l in the ready list
 * (at its tail: round robin) unless its backlog is empty. */
static void
accept_some(struct vs_relay_listener *l)
{
	struct vs_relay *r = l->r;
	struct sockaddr_storage peer;
	socklen_t plen;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (r->now < r->paused_until)
			return;
		plen = sizeof(peer);
		fd = accept4(l->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
				list_del(&l->ready);
				l->in_ready = 0;
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				accept_pause(r);
				return;
			default:
				log_warn("%s: accept", l->g->name);
				list_del(&l->ready);
				l->in_ready = 0;
				return;
			}
		}
		if (over_limit(r, l->g)) {
			set_linger0(fd);
			close(fd);
			r->st.refused++;
			continue;
		}
		if (conn_start(l, fd, &peer) < 0) {
			int e = errno;

			set_linger0(fd);
			close(fd);
			if (e == EMFILE || e == ENFILE) {
				errno = e;
				accept_pause(r);
				return;
			}
		}
	}
	list_del(&l->ready);
	list_add_tail(&r->ready, &l->ready);
}

static void
listener_free(struct vs_relay_listener *l)
{
	vs_relay_group_put(l->g);
	free(l);
}

/* ---- watched fds ----------------------------------------------------- */

int
vs_relay_watch(struct vs_relay *r, int fd, vs_relay_watch_fn fn, void *ctx)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev;

	w->ev.kind = EV_WATCH;
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	ev.events = EPOLLIN;
	ev.data.ptr = &w->ev;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -1;
	}
	list_add_tail(&r->watches, &w->link);
	return 0;
}

void
vs_relay_unwatch(struct vs_relay *r, int fd)
{
	struct list *p;

	for (p = r->watches.next; p != &r->watches; p = p->next) {
		struct watch *w = container_of(p, struct watch, link);

		if (w->fd == fd && !w->dead) {
			epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
			w->dead = 1;	/* freed after the batch */
			return;
		}
	}
}

/* ---- the loop -------------------------------------------------------- */

static int
next_timeout(struct vs_relay *r, int timeout)
{
	int64_t t = timeout < 0 ? INT_MAX : timeout;

	if (!list_empty(&r->pending))
		return 0;
	if (!list_empty(&r->ready)) {
		if (r->now >= r->paused_until)
			return 0;
		if ((int64_t)(r->paused_until - r->now) < t)
			t = (int64_t)(r->paused_until - r->now);
	}
	if (!list_empty(&r->starved)) {	/* the first waited longest */
		struct conn *c = container_of(r->starved.next, struct conn,
		    pend);
		int64_t left = (int64_t)(c->starved_since + STARVE_MS) -
		    (int64_t)r->now;

		if (left < t)
			t = left < 0 ? 0 : left;
	}
	if (!list_empty(&r->connecting)) {
		struct conn *c = container_of(r->connecting.next, struct conn,
		    timer);
		int64_t left = (int64_t)(c->since + (uint64_t)conn_timeout(r)) -
		    (int64_t)r->now;

		if (left < t)
			t = left < 0 ? 0 : left;
	}
	if (r->o.idle_timeout_ms > 0 && !list_empty(&r->idle)) {
		struct conn *c = container_of(r->idle.next, struct conn, timer);
		int64_t left = (int64_t)(c->since +
		    (uint64_t)r->o.idle_timeout_ms) - (int64_t)r->now;

		if (left < t)
			t = left < 0 ? 0 : left;
	}
	return t >= INT_MAX ? -1 : (int)t;
}

static void
expire(struct vs_relay *r)
{
	while (!list_empty(&r->connecting)) {
		struct conn *c = container_of(r->connecting.next, struct conn,
		    timer);

		if (r->now - c->since < (uint64_t)conn_timeout(r))
			break;
		log_debug("%s: %s: upstream connect timed out", __func__,
		    c->g->name);
		r->st.connect_failed++;
		conn_reset(c, 0);
	}
	while (r->o.idle_timeout_ms > 0 && !list_empty(&r->idle)) {
		struct conn *c = container_of(r->idle.next, struct conn, timer);

		if (r->now - c->since < (uint64_t)r->o.idle_timeout_ms)
			break;
		r->st.idle_closed++;
		conn_close(c);
	}
}

static void
reap(struct vs_relay *r)
{
	struct list *p, *nx;

	while (!list_empty(&r->dead_conns)) {
		struct conn *c = container_of(r->dead_conns.next, struct conn,
		    pend);

		list_del(&c->pend);
		conn_free(c);
	}
	while (!list_empty(&r->dead_listeners)) {
		struct vs_relay_listener *l = container_of(
		    r->dead_listeners.next, struct vs_relay_listener, link);

		list_del(&l->link);
		listener_free(l);
	}
	for (p = r->watches.next; p != &r->watches; p = nx) {
		struct watch *w = container_of(p, struct watch, link);

		nx = p->next;
		if (w->dead) {
			list_del(&w->link);
			free(w);
		}
	}
}

int
vs_relay_poll(struct vs_relay *r, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	struct list round;
	int n, i;

	r->now = now_ms();
	n = epoll_wait(r->ep, evs, MAX_EVENTS, next_timeout(r, timeout_ms));
	if (n < 0 && errno != EINTR)
		return -1;
	r->now = now_ms();
	for (i = 0; i < n; i++) {
		struct ev *e = evs[i].data.ptr;

		switch (e->kind) {
		case EV_LISTENER: {
			struct vs_relay_listener *l = (void *)e;

			if (!l->dead && !l->in_ready) {
				l->in_ready = 1;
				list_add_tail(&r->ready, &l->ready);
			}
			break;
		}
		case EV_CONN:
			conn_event(container_of(e - e->side, struct conn,
			    ev[0]), e->side, evs[i].events);
			break;
		case EV_WATCH: {
			struct watch *w = (void *)e;

			if (!w->dead)
				w->fn(w->ctx, evs[i].events);
			break;
		}
		}
	}
	/* connections that used up their budget: one more round each */
	list_init(&round);
	if (!list_empty(&r->pending)) {
		round.next = r->pending.next;
		round.prev = r->pending.prev;
		round.next->prev = &round;
		round.prev->next = &round;
		list_init(&r->pending);
	}
	while (!list_empty(&round)) {
		struct conn *c = container_of(round.next, struct conn, pend);

		list_del(&c->pend);
		c->pending = 0;
		conn_pump(c);
	}
	/* connections that waited for descriptors go before new ones */
	list_init(&round);
	if (!list_empty(&r->starved)) {
		round.next = r->starved.next;
		round.prev = r->starved.prev;
		round.next->prev = &round;
		round.prev->next = &round;
		list_init(&r->starved);
	}
	while (!list_empty(&round)) {
		struct conn *c = container_of(round.next, struct conn, pend);

		list_del(&c->pend);
		list_add_tail(&r->starved, &c->pend);	/* conn_pump's view */
		conn_pump(c);
		if (c->starved)
			break;	/* still none free: wait for the next close */
	}
	if (!list_empty(&round)) {	/* put the untried back, in order */
		round.next->prev = r->starved.prev;
		r->starved.prev->next = round.next;
		round.prev->next = &r->starved;
		r->starved.prev = round.prev;
	}
	if (r->reserve < 0)
		r->reserve = eventfd(0, EFD_CLOEXEC);
	/* one batch per ready listener, in turn */
	for (i = 0, n = r->st.listeners; i < n && !list_empty(&r->ready); i++)
		accept_some(container_of(r->ready.next,
		    struct vs_relay_listener, ready));
	expire(r);
	reap(r);
	return 0;
}

void
vs_relay_free(struct vs_relay *r)
{
	struct list *p;

	if (!r)
		return;
	while (!list_empty(&r->connecting))
		conn_close(container_of(r->connecting.next, struct conn, timer));
	while (!list_empty(&r->idle))
		conn_close(container_of(r->idle.next, struct conn, timer));
	while (!list_empty(&r->listeners))
		vs_relay_unlisten(container_of(r->listeners.next,
		    struct vs_relay_listener, link));
	for (p = r->watches.next; p != &r->watches; p = p->next)
		container_of(p, struct watch, link)->dead = 1;
	reap(r);
	if (r->reserve >= 0)
		close(r->reserve);
	close(r->ep);
	free(r);
}
