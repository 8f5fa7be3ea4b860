/* vsredirect - forward the privileged ports of every running VS (80, 443
 * and what vsd.conf and each VS's rules say) to the unprivileged ports
 * its own daemons listen on.  One epoll loop (relay.h) without any
 * capability, and a privileged helper that reads the state and makes the
 * sockets that must be born in a VS's netns (privsep.c).
 *
 * Every rule has a listening socket in the VS's network namespace,
 * bound to the VS's address, and the relay behind it: a VS cannot take
 * the port itself (its root is not privileged over the host-made
 * netns).  A rule is served in one of two modes (vsredirect.h).  relay
 * (PROXY headers, or asked for): every connection goes through the
 * listener.  kernel (the default): an nftables DNAT in the VS's netns
 * (knat.c, installed by the helper with one `nft -f` transaction per
 * change) takes the clients that arrive over the VS's link before they
 * reach the listener, which then only serves the VS's own connections
 * to its address (those are not tracked by conntrack, knat.c says why).
 * So a port switching modes never lacks a way in.  VSs are found by
 * their netns pins (netwatch.h); rules follow VSs starting and stopping,
 * rule files and SIGHUP, and never cut an established connection.  If
 * nft fails, that VS's kernel rules are relayed instead (logged) until
 * its rules change.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/signalfd.h>

#include "conf.h"
#include "log.h"
#include "netwatch.h"
#include "relay.h"
#include "state.h"
#include "vsredirect.h"
#include "xmem.h"
#include "banned.h"

#define USAGE "usage: vsredirect [-dnRv] [-c file] [-m max] [-M max-per-vs] " \
	"[-i idle-s] [-t connect-s]\n" \
	"                  [-P none|v1|v2] [-s rescan-s] [-b pipe-bytes] " \
	"[-u user]\n"

struct lsn {
	struct vsr_rule rule;		/* rule.mode: as served now */
	struct vs_relay_listener *l;	/* relay: NULL = bind failed, retried */
};

struct vsent {
	char name[VS_NAME_MAX + 1];
	char ip[16];
	uint64_t dev, ino;
	struct vs_relay_group *g;
	struct lsn ls[VSR_MAX_RULES];
	int n;
	int seen;
	char *kscript;		/* kernel rules in force there (as a script:
				 * a change detector), NULL = unknown */
	char *kfailed;		/* the rules nft refused: relayed meanwhile */
};

static struct {
	struct vs_conf conf;
	const char *conf_path;
	int explicit;
	struct vs_relay *r;
	struct vs_relay_opts o;
	int max_per_vs;
	enum vs_proxy_version proxy;
	enum vsr_mode mode;
	int rescan_ms;
	const char *user;
	int priv;			/* socket to the privileged helper */
	pid_t priv_pid;
	struct vsent **vs;
	size_t nvs, avs;
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
		    "  -c file     vsd.conf (default $VSD_CONF or "
		    VS_CONF_DEFAULT ")\n"
		    "  -d          stay in the foreground, log to stderr\n"
		    "  -n          check the configuration and every VS's rules,"
		    " then exit\n"
		    "  -R          relay every rule, no kernel mode (no "
		    "CAP_NET_ADMIN)\n"
		    "  -v          more verbose (debug)\n"
		    "  -m max      connections relayed at once (10000)\n"
		    "  -M max      connections per VS (1000)\n"
		    "  -i secs     close connections idle this long (600; 0 ="
		    " never)\n"
		    "  -t secs     upstream connect timeout (10)\n"
		    "  -P version  PROXY protocol header by default (none)\n"
		    "  -s secs     rescan period for VSs starting/stopping (2)\n"
		    "  -b bytes    pipe size per direction (kernel default)\n"
		    "  -u user     user to run as after start-up (nobody)\n",
		    stdout);
	exit(rc);
}

static long
num_opt(const char *s, long min, long max, int c)
{
	long long v;

	if (vs_conf_number(s, min, max, 1, &v) < 0) {
		fprintf(stderr, "vsredirect: -%c: '%s' is not a number in "
		    "%ld..%ld\n", c, s, min, max);
		exit(2);
	}
	return (long)v;
}

/* ---- the VS table ---------------------------------------------------- */

static void
lsn_close(struct lsn *s)
{
	vs_relay_unlisten(s->l);
	s->l = NULL;
}

static void
vsent_free(struct vsent *v)
{
	int i;

	for (i = 0; i < v->n; i++)
		lsn_close(&v->ls[i]);
	vs_relay_group_put(v->g);
	free(v->kscript);
	free(v->kfailed);
	free(v);
}

static int
make_target(const char *ip, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Open the listener of rule s (if not open), or retarget it. */
static void
lsn_apply(struct vsent *v, struct lsn *s)
{
	struct vs_err err = VS_ERR_INIT;
	struct sockaddr_in sa;
	int fd;

	make_target(v->ip, s->rule.target, &sa);
	if (s->l) {
		vs_relay_listener_retarget(s->l, (void *)&sa, sizeof(sa),
		    s->rule.proxy);
		return;
	}
	fd = vsr_priv_listen(D.priv, v->name, s->rule.port, v->dev, v->ino,
	    &err);
	if (fd < 0) {
		log_warnx("%s: cannot listen on %s:%d: %s", v->name, v->ip,
		    s->rule.port, err.msg);
		return;
	}
	s->l = vs_relay_listen(D.r, v->g, fd, (void *)&sa, sizeof(sa),
	    s->rule.proxy);
	if (!s->l) {
		log_warn("%s: relay listener for port %d", v->name,
		    s->rule.port);
		return;
	}
	if (s->rule.mode == VSR_RELAY)	/* kernel: lsn_open() said it */
		log_info("%s: %s:%d -> %d%s", v->name, v->ip, s->rule.port,
		    s->rule.target, s->rule.proxy == VS_PROXY_V1 ?
		    " (PROXY v1)" : s->rule.proxy == VS_PROXY_V2 ?
		    " (PROXY v2)" : "");
}

/* Have the helper install v's kernel rules (or remove them: flush);
 * script is what the loop expects them to be, v->kscript follows. */
static int
knat_install(struct vsent *v, const char *script, int flush,
    struct vs_err *err)
{
	free(v->kscript);
	v->kscript = NULL;	/* unknown if it fails */
	if (vsr_priv_knat(D.priv, v->name, v->dev, v->ino, flush, err) < 0)
		return -1;
	v->kscript = xstrdup(script);
	return 0;
}

/* Take v's kernel rules out of its netns (on exit): best effort. */
static void
knat_remove(struct vsent *v)
{
	struct vs_err err = VS_ERR_INIT;

	if (D.mode == VSR_RELAY ||
	    (v->kscript && !strcmp(v->kscript, vsr_knat_flush())))
		return;		/* nothing there */
	if (knat_install(v, vsr_knat_flush(), 1, &err) < 0)
		log_debug("%s: %s: %s", __func__, v->name, err.msg);
}

/* Make v's table hold rs's kernel rules (asking the helper only when
 * they changed).  If that fails, rs's kernel rules turn into relay
 * rules (v->kfailed: vsent_sync() relays them while they stay so). */
static void
knat_sync(struct vsent *v, struct vsr_rules *rs, int max)
{
	struct vs_buf script = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;

	if (D.mode == VSR_RELAY)
		return;		/* -R: the helper would refuse */
	vsr_knat_script(v->ip, rs, max, &script);
	if (v->kscript && !strcmp(v->kscript, script.buf))
		goto out;
	if (knat_install(v, script.buf, 0, &err) == 0) {
		free(v->kfailed);
		v->kfailed = NULL;
		goto out;
	}
	log_warnx("%s: kernel mode not available, relaying instead: %s",
	    v->name, err.msg);
	free(v->kfailed);
	v->kfailed = vs_buf_detach(&script, NULL);
	vsr_rules_relay_all(rs);
	knat_remove(v);		/* no stale DNAT in front of the listeners */
out:
	vs_buf_release(&script);
}

/* Open or retarget rs's listeners and note every rule in v->ls. */
static void
lsn_open(struct vsent *v, const struct vsr_rules *rs)
{
	int i, j;

	for (j = 0; j < rs->n; j++) {
		const struct vsr_rule *r = &rs->r[j];

		for (i = 0; i < v->n; i++)
			if (v->ls[i].rule.port == r->port)
				break;
		if (i == v->n) {
			memset(&v->ls[i], 0, sizeof(v->ls[i]));
			v->n++;
			if (r->mode == VSR_KERNEL)
				log_info("%s: %s:%d -> %d (kernel)", v->name,
				    v->ip, r->port, r->target);
		} else if (v->ls[i].rule.target != r->target ||
		    v->ls[i].rule.proxy != r->proxy ||
		    v->ls[i].rule.mode != r->mode) {
			log_info("%s: port %d now -> %d%s", v->name, r->port,
			    r->target, r->mode == VSR_KERNEL ? " (kernel)" :
			    " (relay)");
		}
		v->ls[i].rule = *r;
		lsn_apply(v, &v->ls[i]);
	}
}

/* Close the listeners of the rules rs lacks, and forget them. */
static void
lsn_close_stale(struct vsent *v, const struct vsr_rules *rs)
{
	int i, j;

	for (i = 0; i < v->n;) {
		for (j = 0; j < rs->n; j++)
			if (rs->r[j].port == v->ls[i].rule.port)
				break;
		if (j < rs->n) {
			i++;
			continue;
		}
		log_info("%s: port %d no longer redirected", v->name,
		    v->ls[i].rule.port);
		lsn_close(&v->ls[i]);
		v->ls[i] = v->ls[--v->n];
	}
}

/*
 * Bring v in line with rules.  Order: new listeners first, then the
 * table, then old listeners closed: a new port has its listener before
 * its DNAT (nothing to catch the VS's own connections otherwise).
 */
static void
vsent_sync(struct vsent *v, const struct vsr_rules *rules)
{
	struct vsr_rules rs = *rules;
	int max = rules->max_conns > 0 ? rules->max_conns : D.max_per_vs;

	vs_relay_group_set_limit(v->g, max);
	if (v->kfailed) {
		/* still the rules nft refused?  then they are relayed, and
		 * listened for before anything else (no log churn) */
		struct vs_buf script = VS_BUF_INIT;

		vsr_knat_script(v->ip, &rs, max, &script);
		if (!strcmp(script.buf, v->kfailed))
			vsr_rules_relay_all(&rs);
		vs_buf_release(&script);
	}
	lsn_open(v, &rs);
	knat_sync(v, &rs, max);
	lsn_open(v, &rs);	/* logs the rules knat_sync turned to relay */
	lsn_close_stale(v, &rs);
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
vsent_drop(size_t i, const char *why)
{
	log_info("%s: %s, closing its listeners (%d connections go on)",
	    D.vs[i]->name, why, vs_relay_group_active(D.vs[i]->g));
	vsent_free(D.vs[i]);
	D.vs[i] = D.vs[--D.nvs];
}

/* The relay's upstream sockets, from the helper (relay.h). */
static int
upstream_sockets(void *ctx, const char *group, int family, int *fds, int n,
    struct vs_err *err)
{
	struct vsent *v = vsent_find(group);

	(void)ctx;
	if (!v)
		return vs_err_set(err, ENOENT, "'%s' is gone", group);
	return vsr_priv_sockets(D.priv, v->name, family, v->dev, v->ino, fds,
	    n, err);
}

static void
rescan(void)
{
	struct vs_err err = VS_ERR_INIT;
	struct vsr_vsinfo *ups = NULL;
	size_t n = 0, i, k;

	if (vsr_priv_scan(D.priv, &ups, &n, &err) < 0) {
		log_warnx("scan: %s", err.msg);
		return;
	}
	for (i = 0; i < D.nvs; i++)
		D.vs[i]->seen = 0;
	for (k = 0; k < n; k++) {
		struct vsr_vsinfo *u = &ups[k];
		struct vsent *v = vsent_find(u->name);

		if (v && (v->dev != u->ns_dev || v->ino != u->ns_ino ||
		    strcmp(v->ip, u->ip))) {
			/* restarted, or a new address: a new namespace */
			for (i = 0; D.vs[i] != v; i++)
				;
			vsent_drop(i, "restarted");
			v = NULL;
		}
		if (!u->rules_ok) {
			log_warnx("%s: rules not changed: %s", u->name, u->msg);
			if (v)
				v->seen = 1;
			continue;
		}
		if (!v) {
			if (!vs_valid_vs_ip(u->ip)) {
				log_warnx("%s: invalid address '%s'", u->name,
				    u->ip);
				continue;
			}
			v = xcalloc(1, sizeof(*v));
			snprintf(v->name, sizeof(v->name), "%s", u->name);
			snprintf(v->ip, sizeof(v->ip), "%s", u->ip);
			v->dev = u->ns_dev;
			v->ino = u->ns_ino;
			/* no netns fd: upstream sockets come from the helper */
			v->g = vs_relay_group_new(D.r, v->name, D.max_per_vs,
			    -1);
			xgrow(&D.vs, sizeof(*D.vs), D.nvs + 1, &D.avs);
			D.vs[D.nvs++] = v;
			log_debug("%s: %s is up", __func__, v->name);
		}
		v->seen = 1;
		vsent_sync(v, &u->rules);
	}
	for (i = 0; i < D.nvs;) {
		if (D.vs[i]->seen)
			i++;
		else
			vsent_drop(i, "stopped");
	}
	free(ups);
}

/* ---- configuration --------------------------------------------------- */

static int
load_conf(struct vs_conf *out)
{
	struct vs_buf errors = VS_BUF_INIT;
	int rc;

	rc = vs_conf_load(D.conf_path, D.explicit, out, &errors);
	if (rc < 0) {
		vs_buf_rtrim(&errors);
		log_warnx("%s", errors.buf);
	}
	vs_buf_release(&errors);
	return rc;
}

/* SIGHUP: the helper re-reads vsd.conf (the loop reads no file). */
static void
reload(void)
{
	struct vs_err err = VS_ERR_INIT;

	if (vsr_priv_reload(D.priv, &err) == 0)
		rescan();
}

/* -n: the config and every rule file present. */
static int
check_all(void)
{
	_cleanup_free_ struct vs_rec *recs = NULL;
	struct vs_err err = VS_ERR_INIT;
	size_t n = 0, i;
	int bad = 0;

	if (vs_rec_list(&D.conf, &recs, &n, &err) < 0 && err.errnum != ENOENT) {
		fprintf(stderr, "vsredirect: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct vs_buf errors = VS_BUF_INIT;
		struct vsr_rules rules;

		if (vsr_rules_load(&D.conf, recs[i].name, D.proxy, D.mode,
		    &rules, &errors) < 0) {
			fputs(errors.buf, stderr);
			bad = 1;
		}
		vs_buf_release(&errors);
	}
	if (bad)
		return 1;
	printf("configuration OK\n");
	return 0;
}

/* ---- events ---------------------------------------------------------- */

static void
on_signal(void *ctx, uint32_t events)
{
	struct signalfd_siginfo si;
	int fd = *(int *)ctx;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			D.reload = 1;
			break;
		case SIGUSR1: {
			struct vs_relay_stats st;

			vs_relay_get_stats(D.r, &st);
			log_info("stats: vs %zu listeners %d active %d accepted "
			    "%llu refused %llu connect_failed %llu resets %llu "
			    "idle_closed %llu bytes %llu/%llu accept_pauses "
			    "%llu", D.nvs, st.listeners, st.active,
			    (unsigned long long)st.accepted,
			    (unsigned long long)st.refused,
			    (unsigned long long)st.connect_failed,
			    (unsigned long long)st.resets,
			    (unsigned long long)st.idle_closed,
			    (unsigned long long)st.bytes[0],
			    (unsigned long long)st.bytes[1],
			    (unsigned long long)st.accept_pauses);
			break;
		}
		default:
			D.quit = 1;
		}
	}
}

static void
on_helper(void *ctx, uint32_t events)
{
	(void)ctx;
	(void)events;
	/* it only ever speaks when asked: readable now means it died */
	log_warnx("the privileged helper (pid %d) is gone: exiting",
	    (int)D.priv_pid);
	exit(1);
}

static void
on_inotify(void *ctx, uint32_t events)
{
	uint64_t soon = now_ms() + 100;

	(void)events;
	/* a pin appears before its namespace is mounted on it: look again
	 * in a moment rather than at once */
	if (vs_netwatch_drain(*(int *)ctx) && soon < D.next_scan)
		D.next_scan = soon;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const extra[] = { "state/redirect", "state/apache",
	    NULL };
	struct vs_err err = VS_ERR_INIT;
	struct vsr_helper helper;
	int c, fg = 0, check = 0, verbose = 0, sfd, ifd;
	sigset_t mask;

	D.o.max_conns = 10000;
	D.o.idle_timeout_ms = 600 * 1000;
	D.o.connect_timeout_ms = 10 * 1000;
	D.max_per_vs = 1000;
	D.rescan_ms = 2000;
	D.user = "nobody";
	while ((c = getopt_long(argc, argv, "b:c:dhi:m:M:nP:Rs:t:u:v",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			D.o.pipe_size = (int)num_opt(optarg, 4096, 1 << 26, c);
			break;
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
		case 'i':
			D.o.idle_timeout_ms = (int)num_opt(optarg, 0, 86400 * 7,
			    c) * 1000;
			break;
		case 'm':
			D.o.max_conns = (int)num_opt(optarg, 1, 10000000, c);
			break;
		case 'M':
			D.max_per_vs = (int)num_opt(optarg, 1, 10000000, c);
			break;
		case 'n':
			check = 1;
			break;
		case 'P':
			if ((c = vs_proxy_version_parse(optarg)) < 0) {
				fprintf(stderr, "vsredirect: -P: unknown PROXY "
				    "protocol version '%s'\n", optarg);
				exit(2);
			}
			D.proxy = (enum vs_proxy_version)c;
			break;
		case 'R':
			D.mode = VSR_RELAY;
			break;
		case 's':
			D.rescan_ms = (int)num_opt(optarg, 1, 3600, c) * 1000;
			break;
		case 't':
			D.o.connect_timeout_ms = (int)num_opt(optarg, 1, 3600,
			    c) * 1000;
			break;
		case 'u':
			D.user = optarg;
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
	if (vs_state_init(&D.conf, &err) < 0)
		fatalx("%s", err.msg);
	vsr_raise_nofile();
	/* before the signalfd: a signalfd made before fork() never wakes
	 * the child's epoll (its wait queue is the parent's) */
	if (!fg && daemon(0, 0) < 0)
		fatal("daemon");
	D.r = vs_relay_new(&D.o, &err);
	if (!D.r)
		fatalx("%s", err.msg);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		fatal("signalfd");
	ifd = vs_netwatch_open(&D.conf, extra, &err);
	if (ifd < 0)
		fatalx("%s", err.msg);
	if (vs_relay_watch(D.r, sfd, on_signal, &sfd) < 0 ||
	    vs_relay_watch(D.r, ifd, on_inotify, &ifd) < 0)
		fatal("epoll_ctl");
	/* the helper gets its own copy of the configuration (its memory
	 * after fork); the loop's is not used again */
	memset(&helper, 0, sizeof(helper));
	helper.conf = D.conf;
	helper.conf_path = D.conf_path;
	helper.explicit = D.explicit;
	helper.proxy = D.proxy;
	helper.mode = D.mode;
	helper.max_per_vs = D.max_per_vs;
	helper.foreground = fg;
	helper.idle_s = D.o.idle_timeout_ms / 1000;
	D.priv = vsr_helper_start(&helper, D.user, &D.priv_pid, &err);
	if (D.priv < 0)
		fatalx("privileged helper: %s", err.msg);
	if (vs_relay_watch(D.r, D.priv, on_helper, NULL) < 0)
		fatal("epoll_ctl");
	vs_relay_set_sockets_fn(D.r, upstream_sockets, NULL);
	/* the loop: no capability at all (the helper has what it needs) */
	if (vsr_drop_privileges(D.user, NULL, 0, &err) < 0)
		fatalx("%s", err.msg);
	rescan();
	D.next_scan = now_ms() + (uint64_t)D.rescan_ms;
	{
		struct vs_relay_stats st;

		vs_relay_get_stats(D.r, &st);
		log_info("ready: %zu VS(s) up, %d listener(s)", D.nvs,
		    st.listeners);
	}
	while (!D.quit) {
		uint64_t now = now_ms();
		int t = D.next_scan > now ? (int)(D.next_scan - now) : 0;

		if (vs_relay_poll(D.r, t) < 0)
			fatal("epoll_wait");
		if (D.reload) {
			D.reload = 0;
			reload();
		}
		if (now_ms() >= D.next_scan) {
			rescan();
			D.next_scan = now_ms() + (uint64_t)D.rescan_ms;
		}
	}
	log_info("exiting");
	while (D.nvs) {
		knat_remove(D.vs[--D.nvs]);	/* the helper still runs */
		vsent_free(D.vs[D.nvs]);
	}
	free(D.vs);
	vs_relay_free(D.r);
	vs_conf_release(&D.conf);
	return 0;
}
