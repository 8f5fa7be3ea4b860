/* virtuald - inetd for virtual servers.
 *
 * For every VS that is up (netwatch.h) and every service in its table
 * (services.c), virtuald holds a listening socket inside the VS's network
 * namespace on the VS's address, and:
 *  - nowait (TCP): per connection, starts the program INSIDE the VS (its
 *    namespaces, cgroup, capabilities, seccomp filter; runtime.h) as the
 *    configured VS user, with the connection as stdin, stdout, stderr and
 *    the addresses in ucspi-tcp's variables (TCPREMOTEIP...);
 *  - wait (on demand, TCP or UDP): on the first connection or datagram
 *    starts the daemon with the socket as fd 3 (LISTEN_FDS=1, LISTEN_PID
 *    = its own pid, as systemd's socket activation) or as stdin and
 *    stdout (inetd), stops watching the socket while it runs, and stops
 *    it after `idle` seconds without traffic; the next connection or
 *    datagram starts it again.  No shell is involved (a VS need not have
 *    one): runtime.h sets LISTEN_PID in the daemon's own process.
 * Limits: programs at once per service and per VS, new connections per
 * minute per service (token bucket); over a limit a connection is reset.
 * Listeners are level-triggered and accepted from in small batches, so a
 * flood at one VS does not starve another.
 *
 * virtuald stays host root: starting a program inside a VS (joining its
 * user namespace and cgroup) needs it.  It never runs anything of a VS
 * itself: runtime.h enters the VS in a child before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf.h"
#include "log.h"
#include "netwatch.h"
#include "priv/nssock.h"
#include "runtime.h"
#include "state.h"
#include "virtuald.h"
#include "xmem.h"
#include "banned.h"

#define USAGE "usage: virtuald [-dnv] [-c file] [-M max-per-vs] " \
	"[-S max-per-service] [-s rescan-s]\n"
#define ACCEPT_BATCH	8
#define KILL_GRACE_MS	5000
#define RESTART_MS	1000	/* a wait daemon starts at most once a second
				 * while it keeps failing at once */

struct vsent;

struct svc {
	int kind;			/* first: epoll data is a svc or ctl */
	struct vd_service s;
	struct vsent *v;
	int fd;				/* listener; -1 when bind failed */
	int armed;			/* in the epoll set */
	pid_t daemon;			/* wait mode: running daemon */
	uint64_t idle_since, term_sent;
	uint64_t started, rearm_at;	/* wait: backoff after a quick end */
	unsigned long long daemon_start;	/* vs_proc_start(daemon) */
	unsigned long long udp_in;	/* the netns's UDP InDatagrams */
	double tokens;
	uint64_t refill;
};

struct vsent {
	char name[VS_NAME_MAX + 1];
	char ip[16];
	dev_t dev;
	ino_t ino;
	int nsfd;
	int max_conns;
	struct svc *svcs[VD_MAX_SERVICES];
	int n;
	int seen;
};

struct child {
	pid_t pid;
	char vs[VS_NAME_MAX + 1];
	char svc[VD_NAME_MAX + 1];
};

enum { K_SVC = 1, K_SIG, K_INOTIFY };
static int k_sig = K_SIG, k_ino = K_INOTIFY;

static struct {
	struct vs_conf conf;
	const char *conf_path;
	int explicit;
	int ep, sfd, ifd;
	int max_per_vs, max_per_svc, rescan_ms;
	struct vsent **vs;
	size_t nvs, avs;
	struct child *kids;
	size_t nkids, akids;
	uint64_t next_scan;
	int quit, reload;
} D;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
usage(int rc)
{
	fputs(USAGE, rc ? stderr : stdout);
	if (!rc)
		fputs("\n"
		    "  -c file   vsd.conf (default $VSD_CONF or "
		    VS_CONF_DEFAULT ")\n"
		    "  -d        stay in the foreground, log to stderr\n"
		    "  -n        check the configuration and every VS's service "
		    "table, then exit\n"
		    "  -v        more verbose (debug)\n"
		    "  -M max    programs at once per VS (64)\n"
		    "  -S max    programs at once per service (16)\n"
		    "  -s secs   rescan period for VSs starting/stopping (2)\n",
		    stdout);
	exit(rc);
}

/* ---- children -------------------------------------------------------- */

static int
count_kids(const char *vs, const char *svc)
{
	size_t i;
	int n = 0;

	for (i = 0; i < D.nkids; i++)
		if (!strcmp(D.kids[i].vs, vs) && (!svc ||
		    !strcmp(D.kids[i].svc, svc)))
			n++;
	return n;
}

static void
add_kid(pid_t pid, const char *vs, const char *svc)
{
	xgrow(&D.kids, sizeof(*D.kids), D.nkids + 1, &D.akids);
	D.kids[D.nkids].pid = pid;
	snprintf(D.kids[D.nkids].vs, sizeof(D.kids[0].vs), "%s", vs);
	snprintf(D.kids[D.nkids].svc, sizeof(D.kids[0].svc), "%s", svc);
	D.nkids++;
}

/* Record the daemons running now (daemons.c), for a successor after a
 * crash. */
static void
save_daemons(void)
{
	struct vd_daemon *d = NULL;
	size_t n = 0, a = 0, i;
	int k;

	for (i = 0; i < D.nvs; i++)
		for (k = 0; k < D.vs[i]->n; k++) {
			struct svc *sv = D.vs[i]->svcs[k];

			if (sv->daemon <= 0)
				continue;
			xgrow(&d, sizeof(*d), n + 1, &a);
			memset(&d[n], 0, sizeof(d[n]));
			d[n].pid = sv->daemon;
			d[n].start = sv->daemon_start;
			snprintf(d[n].vs, sizeof(d[n].vs), "%s", D.vs[i]->name);
			snprintf(d[n].svc, sizeof(d[n].svc), "%s", sv->s.name);
			n++;
		}
	if (vd_daemons_save(&D.conf, d, n) < 0)
		log_warn("cannot record the running daemons");
	free(d);
}

static struct vsent *
vsent_find(const char *name)
{
	size_t i;

	for (i = 0; i < D.nvs; i++)
		if (!strcmp(D.vs[i]->name, name))
			return D.vs[i];
	return NULL;
}

static void
arm(struct svc *sv, int on)
{
	struct epoll_event ev;
	int fl;

	if (sv->fd < 0 || sv->armed == on)
		return;
	if (on) {
		/* the daemon may have made it blocking: we need it not */
		fl = fcntl(sv->fd, F_GETFL);
		fcntl(sv->fd, F_SETFL, fl | O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = sv;
		if (epoll_ctl(D.ep, EPOLL_CTL_ADD, sv->fd, &ev) < 0) {
			log_warn("%s/%s: epoll_ctl", sv->v->name, sv->s.name);
			return;
		}
	} else {
		epoll_ctl(D.ep, EPOLL_CTL_DEL, sv->fd, NULL);
	}
	sv->armed = on;
}

static void
reap(void)
{
	int status, ended = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t i;

		for (i = 0; i < D.nkids; i++)
			if (D.kids[i].pid == pid)
				break;
		if (i == D.nkids)
			continue;
		{
			struct vsent *v = vsent_find(D.kids[i].vs);
			int k;

			for (k = 0; v && k < v->n; k++) {
				struct svc *sv = v->svcs[k];

				if (sv->daemon != pid)
					continue;
				log_info("%s/%s: daemon %d ended (%s %d)",
				    v->name, sv->s.name, (int)pid,
				    WIFSIGNALED(status) ? "signal" : "exit",
				    WIFSIGNALED(status) ? WTERMSIG(status) :
				    WEXITSTATUS(status));
				sv->daemon = 0;
				ended = 1;
				/* a daemon that fails at once must not be
				 * restarted in a tight loop by a flood */
				if (now_ms() - sv->started < RESTART_MS)
					sv->rearm_at = sv->started + RESTART_MS;
				else
					arm(sv, 1);
			}
		}
		D.kids[i] = D.kids[--D.nkids];
	}
	if (ended)
		save_daemons();
}

/* ---- services -------------------------------------------------------- */

static void
svc_close(struct svc *sv)
{
	int k;

	arm(sv, 0);
	if (sv->fd >= 0)
		close(sv->fd);
	if (sv->daemon > 0)
		kill(sv->daemon, SIGTERM);	/* reaped later */
	for (k = 0; sv->s.argv[k]; k++)
		free(sv->s.argv[k]);
	free(sv);
}

static struct svc *
svc_open(struct vsent *v, const struct vd_service *s)
{
	struct vs_err err = VS_ERR_INIT;
	struct svc *sv = xcalloc(1, sizeof(*sv));
	int k;

	sv->kind = K_SVC;
	sv->s = *s;
	for (k = 0; s->argv[k]; k++)
		sv->s.argv[k] = xstrdup(s->argv[k]);
	sv->v = v;
	sv->tokens = s->rate > 0 ? (s->rate / 4 > 0 ? s->rate / 4 : 1) : 0;
	sv->refill = now_ms();
	if (s->proto == VD_UDP)
		sv->fd = vs_nssock_listen(v->nsfd, SOCK_DGRAM | SOCK_NONBLOCK,
		    v->ip, s->port, -1, &err);
	else
		sv->fd = vs_nssock_listen(v->nsfd, SOCK_STREAM | SOCK_NONBLOCK,
		    v->ip, s->port, 128, &err);
	if (sv->fd < 0) {
		log_warnx("%s/%s: cannot listen on %s:%d%s: %s", v->name,
		    s->name, v->ip, s->port, s->proto == VD_UDP ? "/udp" : "",
		    err.msg);
		return sv;
	}
	arm(sv, 1);
	log_info("%s/%s: %s:%d%s %s %s as %s", v->name, s->name, v->ip,
	    s->port, s->proto == VD_UDP ? "/udp" : "",
	    s->mode == VD_WAIT ? "wait" : "nowait", s->argv[0], s->user);
	return sv;
}

static int
take_token(struct svc *sv, uint64_t now)
{
	double cap;

	if (sv->s.rate <= 0)
		return 1;
	/* bursts up to a quarter of the per-minute rate */
	cap = sv->s.rate / 4 > 0 ? sv->s.rate / 4 : 1;
	sv->tokens += (double)(now - sv->refill) * sv->s.rate / 60000.0;
	if (sv->tokens > cap)
		sv->tokens = cap;
	sv->refill = now;
	if (sv->tokens < 1)
		return 0;
	sv->tokens -= 1;
	return 1;
}

static void
refuse(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* "PREFIXIP=a.b.c.d" and "PREFIXPORT=n" of sa into env[0..1]. */
static void
addr_env(char **env, const char *prefix, const struct sockaddr_storage *sa)
{
	char ip[INET6_ADDRSTRLEN] = "";
	int port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
	}
	env[0] = xasprintf("%sIP=%s", prefix, ip);
	env[1] = xasprintf("%sPORT=%d", prefix, port);
}

/* One connection of a nowait service; peer is the client's address. */
static void
serve_one(struct svc *sv, int fd, const struct sockaddr_storage *peer)
{
	struct vsent *v = sv->v;
	struct vs_err err = VS_ERR_INIT;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	char *env[6];
	struct vs_exec x;
	int k;
	int max_svc = sv->s.max_conns > 0 ? sv->s.max_conns : D.max_per_svc;
	int max_vs = v->max_conns > 0 ? v->max_conns : D.max_per_vs;
	pid_t pid;

	if (count_kids(v->name, sv->s.name) >= max_svc ||
	    count_kids(v->name, NULL) >= max_vs || !take_token(sv, now_ms())) {
		log_debug("%s: %s/%s: over a limit, connection refused",
		    __func__, v->name, sv->s.name);
		refuse(fd);
		return;
	}
	if (sv->s.login) {
		int r = vd_has_right(&D.conf, v->name, "login", sv->s.user);

		if (r != 1) {
			char msg[160];
			int n = snprintf(msg, sizeof(msg), "virtuald: user '%s' "
			    "has no login right on %s\r\n", sv->s.user, v->name);

			if (r < 0)
				log_warn("%s: rights file", v->name);
			log_info("%s/%s: refused: user '%s' has no login right",
			    v->name, sv->s.name, sv->s.user);
			if (send(fd, msg, (size_t)n, MSG_NOSIGNAL |
			    MSG_DONTWAIT) < 0)
				log_debug("%s: send: %s", __func__,
				    strerror(errno));
			close(fd);
			return;
		}
	}
	/* the client's address as ucspi-tcp's tcpserver sets it (the
	 * VS's addresses are IPv4) */
	memset(&local, 0, sizeof(local));
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		local.ss_family = AF_UNSPEC;
	env[0] = xstrdup("PROTO=TCP");
	addr_env(env + 1, "TCPREMOTE", peer);
	addr_env(env + 3, "TCPLOCAL", &local);
	env[5] = NULL;
	memset(&x, 0, sizeof(x));
	x.user = sv->s.user;
	x.argv = sv->s.argv;
	x.env_add = env;
	x.fd_in = x.fd_out = x.fd_err = fd;
	pid = vs_run_spawn(&D.conf, v->name, &x, NULL, &err);
	close(fd);
	for (k = 0; env[k]; k++)
		free(env[k]);
	if (pid < 0) {
		log_warnx("%s/%s: %s", v->name, sv->s.name, err.msg);
		return;
	}
	add_kid(pid, v->name, sv->s.name);
	log_debug("%s: %s/%s: pid %d", __func__, v->name, sv->s.name,
	    (int)pid);
}

/* First connection (or datagram) of a wait service: start its daemon
 * with the socket. */
static void
start_daemon(struct svc *sv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_exec x;
	pid_t pid;
	int k, fl;

	memset(&x, 0, sizeof(x));
	x.user = sv->s.user;
	x.argv = sv->s.argv;
	x.fd_in = sv->fd;
	x.fd_out = x.fd_err = -1;
	if (sv->s.pass == VD_PASS_STDIO)
		x.fd_out = sv->fd;	/* inetd: stdin and stdout */
	else
		x.listen_name = sv->s.name;	/* fd 3, LISTEN_PID set inside */
	arm(sv, 0);
	fl = fcntl(sv->fd, F_GETFL);
	/* the login right holds for a daemon as for a program per
	 * connection: without it nothing starts */
	if (sv->s.login && vd_has_right(&D.conf, sv->v->name, "login",
	    sv->s.user) != 1) {
		vs_err_set(&err, EPERM, "not started: user '%s' has no login "
		    "right", sv->s.user);
		pid = -1;
	} else {
		/* daemons expect a blocking socket, as systemd hands them */
		fcntl(sv->fd, F_SETFL, fl & ~O_NONBLOCK);
		pid = vs_run_spawn(&D.conf, sv->v->name, &x, NULL, &err);
	}
	if (pid < 0) {
		log_warnx("%s/%s: %s", sv->v->name, sv->s.name, err.msg);
		/* drop what waits, or we would spin on it */
		fcntl(sv->fd, F_SETFL, fl | O_NONBLOCK);
		for (k = 0; k < 64; k++) {
			char b;
			int c;

			if (sv->s.proto == VD_UDP) {
				if (recv(sv->fd, &b, 1, MSG_DONTWAIT |
				    MSG_TRUNC) < 0)
					break;
				continue;
			}
			c = accept4(sv->fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				break;
			refuse(c);
		}
		sv->rearm_at = now_ms() + RESTART_MS;	/* tick() re-arms */
		return;
	}
	sv->daemon = pid;
	sv->daemon_start = vs_proc_start(pid);
	sv->started = sv->idle_since = now_ms();
	sv->term_sent = 0;
	sv->udp_in = 0;
	add_kid(pid, sv->v->name, sv->s.name);
	save_daemons();
	log_info("%s/%s: started daemon %d on demand", sv->v->name, sv->s.name,
	    (int)pid);
}

static void
on_listener(struct svc *sv)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	int i, fd;

	if (sv->s.mode == VD_WAIT) {
		start_daemon(sv);
		return;
	}
	for (i = 0; i < ACCEPT_BATCH; i++) {
		plen = sizeof(peer);
		memset(&peer, 0, sizeof(peer));
		fd = accept4(sv->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* pause this listener; the tick re-arms it */
				log_warn("%s/%s: accept (pausing)", sv->v->name,
				    sv->s.name);
				arm(sv, 0);
			}
			return;
		}
		serve_one(sv, fd, &peer);
	}
}

/* UDP datagrams received in pid's network namespace so far (IPv4 and
 * IPv6), or 0 if unknown. */
static unsigned long long
udp_in_datagrams(pid_t pid)
{
	char path[64], line[1024];
	unsigned long long total = 0, v;
	int hdr = 1;
	FILE *f;

	/* /proc/PID/net/snmp: a "Udp:" header line, then its values */
	snprintf(path, sizeof(path), "/proc/%d/net/snmp", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp: ", 5))
			continue;
		if (hdr) {
			hdr = 0;
			continue;
		}
		if (sscanf(line, "Udp: %llu", &v) == 1)
			total += v;	/* InDatagrams comes first */
		break;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/net/snmp6", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Udp6InDatagrams %llu", &v) == 1)
			total += v;
	if (f)
		fclose(f);
	return total;
}

/* Is the wait service of sv busy?  TCP: connections on its port (or a
 * backlog) in the daemon's namespace.  UDP: datagrams waiting on its
 * port, or any received in the namespace since the last look (the kernel
 * counts datagrams per namespace, not per socket: other UDP traffic of
 * the VS keeps the daemon up longer, never shorter). */
static int
port_busy(struct svc *sv)
{
	static const char *const tcp[] = { "tcp", "tcp6" };
	static const char *const udp[] = { "udp", "udp6" };
	const char *const *files = sv->s.proto == VD_UDP ? udp : tcp;
	pid_t pid = sv->daemon;
	int port = sv->s.port;
	char path[64], line[512];
	int i, busy = 0;

	for (i = 0; i < 2 && !busy; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid,
		    files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned lport, st;
			unsigned long txq, rxq;

			if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x "
			    "%x %lx:%lx", &lport, &st, &txq, &rxq) != 4 ||
			    (int)lport != port)
				continue;
			if (sv->s.proto == VD_UDP) {
				if (rxq > 0) {
					busy = 1;
					break;
				}
				continue;
			}
			/* busy: ESTABLISHED (01), SYN_RECV (03), CLOSE_WAIT
			 * (08: the client left, the daemon has yet to answer
			 * or close), or a LISTEN (0A) socket with a backlog
			 * (its rx_queue).  States after the daemon closed
			 * (FIN_WAIT, TIME_WAIT...) are not activity. */
			if (st == 0x01 || st == 0x03 || st == 0x08 ||
			    (st == 0x0A && rxq > 0)) {
				busy = 1;
				break;
			}
		}
		fclose(f);
	}
	if (sv->s.proto == VD_UDP) {
		unsigned long long in = udp_in_datagrams(pid);

		if (in != sv->udp_in)
			busy = 1;
		sv->udp_in = in;
	}
	return busy;
}

static void
tick(void)
{
	uint64_t now = now_ms();
	size_t i;
	int k;

	for (i = 0; i < D.nvs; i++) {
		for (k = 0; k < D.vs[i]->n; k++) {
			struct svc *sv = D.vs[i]->svcs[k];

			if (sv->s.mode == VD_NOWAIT && !sv->armed)
				arm(sv, 1);	/* after an EMFILE pause */
			if (sv->s.mode == VD_WAIT && sv->daemon <= 0 &&
			    !sv->armed && now >= sv->rearm_at)
				arm(sv, 1);	/* after a restart backoff */
			if (sv->daemon <= 0)
				continue;
			if (sv->term_sent) {
				if (now - sv->term_sent > KILL_GRACE_MS)
					kill(sv->daemon, SIGKILL);
				continue;
			}
			if (port_busy(sv))
				sv->idle_since = now;
			else if (now - sv->idle_since >= (uint64_t)sv->s.idle *
			    1000) {
				log_info("%s/%s: daemon %d idle for %d s, "
				    "stopping it", D.vs[i]->name, sv->s.name,
				    (int)sv->daemon, sv->s.idle);
				kill(sv->daemon, SIGTERM);
				sv->term_sent = now;
			}
		}
	}
}

/* ---- the VS table ---------------------------------------------------- */

static void
vsent_free(struct vsent *v)
{
	int k;

	for (k = 0; k < v->n; k++)
		svc_close(v->svcs[k]);
	if (v->nsfd >= 0)
		close(v->nsfd);
	free(v);
}

static void
vsent_sync(struct vsent *v, struct vd_table *t)
{
	int i, j;

	v->max_conns = t->max_conns;
	for (i = 0; i < v->n;) {
		for (j = 0; j < t->n; j++)
			if (vd_service_same(&v->svcs[i]->s, &t->s[j]))
				break;
		if (j < t->n) {
			i++;
			continue;
		}
		log_info("%s/%s: service removed or changed", v->name,
		    v->svcs[i]->s.name);
		svc_close(v->svcs[i]);
		v->svcs[i] = v->svcs[--v->n];
	}
	for (j = 0; j < t->n; j++) {
		for (i = 0; i < v->n; i++)
			if (vd_service_same(&v->svcs[i]->s, &t->s[j]))
				break;
		if (i == v->n)
			v->svcs[v->n++] = svc_open(v, &t->s[j]);
	}
	/* retry listeners whose bind failed (e.g. port briefly taken) */
	for (i = 0; i < v->n; i++) {
		int port = v->svcs[i]->s.port;

		if (v->svcs[i]->fd >= 0)
			continue;
		for (j = 0; j < t->n; j++)
			if (t->s[j].port == port)
				break;
		if (j == t->n)
			continue;
		svc_close(v->svcs[i]);
		v->svcs[i] = svc_open(v, &t->s[j]);
	}
}

static void
rescan(void)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_netup *ups = NULL;
	size_t n = 0, i, k;

	if (vs_netup_scan(&D.conf, &ups, &n, &err) < 0) {
		log_warnx("scan: %s", err.msg);
		return;
	}
	for (i = 0; i < D.nvs; i++)
		D.vs[i]->seen = 0;
	for (k = 0; k < n; k++) {
		struct vs_netup *u = &ups[k];
		struct vs_buf errors = VS_BUF_INIT;
		struct vsent *v = vsent_find(u->rec.name);
		struct vd_table t;

		if (v && (v->dev != u->ns_dev || v->ino != u->ns_ino ||
		    strcmp(v->ip, u->rec.ip))) {
			for (i = 0; D.vs[i] != v; i++)
				;
			log_info("%s: restarted", v->name);
			vsent_free(v);
			D.vs[i] = D.vs[--D.nvs];
			v = NULL;
		}
		if (vd_table_load(&D.conf, u->rec.name, &t, &errors) < 0) {
			vs_buf_rtrim(&errors);
			log_warnx("%s: service table not changed: %s",
			    u->rec.name, errors.buf);
			vs_buf_release(&errors);
			if (v)
				v->seen = 1;
			continue;
		}
		vs_buf_release(&errors);
		if (!v) {
			if (t.n == 0) {
				vd_table_release(&t);
				continue;	/* nothing to serve */
			}
			v = xcalloc(1, sizeof(*v));
			snprintf(v->name, sizeof(v->name), "%s", u->rec.name);
			snprintf(v->ip, sizeof(v->ip), "%s", u->rec.ip);
			v->dev = u->ns_dev;
			v->ino = u->ns_ino;
			v->nsfd = u->nsfd;
			u->nsfd = -1;
			xgrow(&D.vs, sizeof(*D.vs), D.nvs + 1, &D.avs);
			D.vs[D.nvs++] = v;
		}
		v->seen = 1;
		vsent_sync(v, &t);
		vd_table_release(&t);
	}
	for (i = 0; i < D.nvs;) {
		if (D.vs[i]->seen) {
			i++;
			continue;
		}
		log_info("%s: stopped, closing its listeners", D.vs[i]->name);
		vsent_free(D.vs[i]);
		D.vs[i] = D.vs[--D.nvs];
	}
	vs_netup_free(ups, n);
}

/* ---- configuration --------------------------------------------------- */

static int
load_conf(struct vs_conf *out)
{
	struct vs_buf errors = VS_BUF_INIT;
	int rc = vs_conf_load(D.conf_path, D.explicit, out, &errors);

	if (rc < 0) {
		vs_buf_rtrim(&errors);
		log_warnx("%s", errors.buf);
	}
	vs_buf_release(&errors);
	return rc;
}

static void
reload(void)
{
	if (vs_conf_reload(&D.conf, D.conf_path, D.explicit) == 0)
		rescan();
}

static int
check_all(void)
{
	_cleanup_free_ struct vs_rec *recs = NULL;
	struct vs_err err = VS_ERR_INIT;
	size_t n = 0, i;
	int bad = 0;

	if (vs_rec_list(&D.conf, &recs, &n, &err) < 0 && err.errnum != ENOENT) {
		fprintf(stderr, "virtuald: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct vs_buf errors = VS_BUF_INIT;
		struct vd_table t;

		if (vd_table_load(&D.conf, recs[i].name, &t, &errors) < 0) {
			fputs(errors.buf, stderr);
			bad = 1;
		} else {
			vd_table_release(&t);
		}
		vs_buf_release(&errors);
	}
	if (bad)
		return 1;
	printf("configuration OK\n");
	return 0;
}

static void
on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(D.sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break;		/* reaped below */
		case SIGHUP:
			D.reload = 1;
			break;
		default:
			D.quit = 1;
		}
	}
	reap();
}

static long
num_opt(const char *s, long min, long max, int c)
{
	long long v;

	if (vs_conf_number(s, min, max, 0, &v) < 0) {
		fprintf(stderr, "virtuald: -%c: '%s' is not a number in "
		    "%ld..%ld\n", c, s, min, max);
		exit(2);
	}
	return (long)v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const extra[] = { "state/services", "state/priv",
		NULL };
	struct vs_err err = VS_ERR_INIT;
	struct epoll_event ev, evs[64];
	int c, fg = 0, check = 0, verbose = 0, n, i;
	uint64_t next_tick = 0;
	sigset_t mask;

	D.max_per_vs = 64;
	D.max_per_svc = 16;
	D.rescan_ms = 2000;
	while ((c = getopt_long(argc, argv, "c:dhM:nS:s:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			D.conf_path = optarg;
			D.explicit = 1;
			break;
		case 'd':
			fg = 1;
			break;
		case 'h':
			usage(0);
			break;
		case 'M':
			D.max_per_vs = (int)num_opt(optarg, 1, 100000, c);
			break;
		case 'n':
			check = 1;
			break;
		case 'S':
			D.max_per_svc = (int)num_opt(optarg, 1, 100000, c);
			break;
		case 's':
			D.rescan_ms = (int)num_opt(optarg, 1, 3600, c) * 1000;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(argv[0], fg || check, verbose);
	if (!D.conf_path)
		D.conf_path = vs_conf_default_path();
	if (load_conf(&D.conf) < 0)
		exit(1);
	if (check)
		exit(check_all());
	if (geteuid() != 0)
		fatalx("must run as root (it starts programs inside VSs)");
	if (vs_state_init(&D.conf, &err) < 0 || vs_nssock_init(&err) < 0)
		fatalx("%s", err.msg);
	/* before the signalfd: a signalfd made before fork() never wakes
	 * the child's epoll (its wait queue is the parent's), so SIGCHLD and
	 * SIGTERM went unseen by a daemonized virtuald */
	if (!fg && daemon(0, 0) < 0)
		fatal("daemon");
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	D.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	D.ifd = vs_netwatch_open(&D.conf, extra, &err);
	D.ep = epoll_create1(EPOLL_CLOEXEC);
	if (D.sfd < 0 || D.ifd < 0 || D.ep < 0)
		fatalx("start-up: %s", D.ifd < 0 ? err.msg : strerror(errno));
	ev.events = EPOLLIN;
	ev.data.ptr = &k_sig;
	epoll_ctl(D.ep, EPOLL_CTL_ADD, D.sfd, &ev);
	ev.data.ptr = &k_ino;
	epoll_ctl(D.ep, EPOLL_CTL_ADD, D.ifd, &ev);
	/* a predecessor killed with -9 left its daemons holding sockets */
	vd_daemons_stop_stale(&D.conf);
	rescan();
	D.next_scan = now_ms() + (uint64_t)D.rescan_ms;
	log_info("ready: %zu VS(s) with services", D.nvs);
	while (!D.quit) {
		uint64_t now = now_ms();
		uint64_t next = D.next_scan < next_tick ? D.next_scan :
		    next_tick;

		n = epoll_wait(D.ep, evs, 64, next > now ? (int)(next - now) :
		    0);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			int *kind = evs[i].data.ptr;

			if (*kind == K_SIG)
				on_signal();
			else if (*kind == K_INOTIFY) {
				if (vs_netwatch_drain(D.ifd) &&
				    now_ms() + 100 < D.next_scan)
					D.next_scan = now_ms() + 100;
			} else {
				on_listener((struct svc *)(void *)kind);
			}
		}
		if (D.reload) {
			D.reload = 0;
			reload();
		}
		now = now_ms();
		if (now >= D.next_scan) {
			rescan();
			D.next_scan = now_ms() + (uint64_t)D.rescan_ms;
		}
		if (now >= next_tick) {
			tick();
			next_tick = now + 1000;
		}
	}
	log_info("exiting");
	while (D.nvs)
		vsent_free(D.vs[--D.nvs]);
	free(D.vs);
	free(D.kids);
	vs_conf_release(&D.conf);
	return 0;
}
