/* conf.c - the config language (word splitter, statements, include) and
 * vsd.conf: defaults, a sorted keyword table of handlers, validation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "conf.h"
#include "log.h"
#include "valid.h"
#include "xmem.h"
#include "banned.h"

#define CONF_MAX_SIZE	(4 << 20)	/* a config file larger is an error */
#define CONF_MAX_WORDS	64
#define CONF_MAX_DEPTH	8

/* ---- words ---------------------------------------------------------- */

void
vs_words_release(struct vs_words *w)
{
	free(w->argv);
	vs_buf_release(&w->store);
	w->argv = NULL;
	w->argc = 0;
	w->alloc = 0;
}

static void
words_reset(struct vs_words *w)
{
	w->argc = 0;
	vs_buf_reset(&w->store);
}

int
vs_words_split(struct vs_words *w, const char *line, size_t len,
    int maxwords, struct vs_err *err)
{
	size_t i = 0, *offs = NULL, noffs = 0, aoffs = 0;
	int k;

	words_reset(w);
	while (i < len) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if ((int)noffs >= maxwords) {
			free(offs);
			words_reset(w);
			return vs_err_set(err, E2BIG, "too many words (max %d)",
			    maxwords);
		}
		xgrow(&offs, sizeof(*offs), noffs + 1, &aoffs);
		offs[noffs++] = w->store.len;
		if (c == '"') {
			i++;
			for (;;) {
				if (i >= len) {
					free(offs);
					words_reset(w);
					return vs_err_set(err, EINVAL,
					    "unterminated quoted string");
				}
				c = (unsigned char)line[i++];
				if (c == '"')
					break;
				if (c == '\\' && i < len) {
					c = (unsigned char)line[i++];
					if (c == 'n')
						c = '\n';
					else if (c == 't')
						c = '\t';
				} else if (c < 0x20 && c != '\t') {
					free(offs);
					words_reset(w);
					return vs_err_set(err, EINVAL,
					    "control character 0x%02x in string", c);
				}
				vs_buf_addch(&w->store, c);
			}
		} else {
			while (i < len) {
				c = (unsigned char)line[i];
				if (c == ' ' || c == '\t' || c == '\r' ||
				    c == '\n' || c == '#')
					break;
				if (c < 0x20 || c == 0x7f) {
					free(offs);
					words_reset(w);
					return vs_err_set(err, EINVAL,
					    "control character 0x%02x", c);
				}
				vs_buf_addch(&w->store, c);
				i++;
			}
		}
		vs_buf_addch(&w->store, '\0');
	}
	xgrow(&w->argv, sizeof(*w->argv), noffs + 1, &w->alloc);
	for (k = 0; k < (int)noffs; k++)
		w->argv[k] = w->store.buf + offs[k];
	w->argv[noffs] = NULL;
	w->argc = (int)noffs;
	free(offs);
	return 0;
}

/* ---- statements and files ------------------------------------------- */

int
vs_conf_error(struct vs_conf_pos *pos, const char *fmt, ...)
{
	va_list ap;

	pos->nerr++;
	if (pos->errors) {
		vs_buf_addf(pos->errors, "%s:%d: ", pos->file, pos->line);
		va_start(ap, fmt);
		vs_buf_vaddf(pos->errors, fmt, ap);
		va_end(ap);
		vs_buf_addch(pos->errors, '\n');
	}
	return -1;
}

static int parse_text(const char *name, const char *text, size_t len,
    vs_conf_stmt_fn fn, void *ctx, struct vs_conf_pos *parent, int depth);

static int
read_file(const char *path, struct vs_buf *out, struct vs_err *err)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	if (vs_buf_read_fd(out, fd, CONF_MAX_SIZE) < 0)
		return vs_err_sys(err, "cannot read '%s'", path);
	return 0;
}

static int
parse_path(const char *path, vs_conf_stmt_fn fn, void *ctx,
    struct vs_conf_pos *parent, int depth)
{
	struct vs_buf text = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	int r;

	if (read_file(path, &text, &err) < 0) {
		if (parent)
			vs_conf_error(parent, "%s", err.msg);
		vs_buf_release(&text);
		return -1;
	}
	r = parse_text(path, text.buf, text.len, fn, ctx, parent, depth);
	vs_buf_release(&text);
	return r;
}

static int
parse_text(const char *name, const char *text, size_t len,
    vs_conf_stmt_fn fn, void *ctx, struct vs_conf_pos *parent, int depth)
{
	struct vs_words w = VS_WORDS_INIT;
	struct vs_conf_pos pos = { name, 0, 0, parent ? parent->errors : NULL };
	struct vs_err err = VS_ERR_INIT;
	size_t i = 0;

	if (parent)
		pos.nerr = parent->nerr;
	if (memchr(text, '\0', len)) {
		pos.line = 1;
		vs_conf_error(&pos, "file contains a NUL byte");
		goto out;
	}
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;

		pos.line++;
		if (vs_words_split(&w, text + i, l, CONF_MAX_WORDS, &err) < 0)
			vs_conf_error(&pos, "%s", err.msg);
		else if (w.argc > 0 && strcmp(w.argv[0], "include") == 0) {
			if (w.argc != 2)
				vs_conf_error(&pos, "usage: include \"file\"");
			else if (depth >= CONF_MAX_DEPTH)
				vs_conf_error(&pos, "include nested too deep");
			else {
				char *inc, *slash = strrchr(name, '/');

				if (w.argv[1][0] == '/' || !slash)
					inc = xstrdup(w.argv[1]);
				else
					inc = xasprintf("%.*s/%s",
					    (int)(slash - name), name,
					    w.argv[1]);
				parse_path(inc, fn, ctx, &pos, depth + 1);
				free(inc);
			}
		} else if (w.argc > 0)
			fn(ctx, &pos, w.argc, w.argv);
		i += l + 1;
	}
out:
	vs_words_release(&w);
	if (parent)
		parent->nerr = pos.nerr;
	return pos.nerr ? -1 : 0;
}

int
vs_conf_parse_file(const char *path, vs_conf_stmt_fn fn, void *ctx,
    struct vs_buf *errors)
{
	struct vs_conf_pos top = { path, 0, 0, errors };

	parse_path(path, fn, ctx, &top, 0);
	return top.nerr ? -1 : 0;
}

int
vs_conf_parse_mem(const char *name, const char *text, size_t len,
    vs_conf_stmt_fn fn, void *ctx, struct vs_buf *errors)
{
	struct vs_conf_pos top = { name, 0, 0, errors };

	parse_text(name, text, len, fn, ctx, &top, 0);
	return top.nerr ? -1 : 0;
}

int
vs_conf_number(const char *tok, long long min, long long max,
    int allow_suffix, long long *v)
{
	long long n, mul = 1;
	char *end;

	if (!tok[0] || !((tok[0] >= '0' && tok[0] <= '9') || tok[0] == '-'))
		return -1;
	errno = 0;
	n = strtoll(tok, &end, 10);
	if (errno)
		return -1;
	if (*end && allow_suffix && !end[1]) {
		switch (*end) {
		case 'k': case 'K': mul = 1LL << 10; break;
		case 'm': case 'M': mul = 1LL << 20; break;
		case 'g': case 'G': mul = 1LL << 30; break;
		default: return -1;
		}
		end++;
	}
	if (*end)
		return -1;
	if (mul > 1 && (n > LLONG_MAX / mul || n < LLONG_MIN / mul))
		return -1;
	n *= mul;
	if (n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

int
vs_conf_bool(const char *tok)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(tok, yes[i]) == 0)
			return 1;
		if (strcmp(tok, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* ---- vsd.conf ---------------------------------------------------------- */

const char *
vs_conf_default_path(void)
{
	const char *p = getenv("VSD_CONF");

	return p && *p ? p : VS_CONF_DEFAULT;
}

void
vs_conf_defaults(struct vs_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->state_root = xstrdup("/var/lib/vsd");
	c->secret_file = xstrdup(VS_CONF_DIR "/secret");
	c->host_addr = xstrdup("169.254.77.1");
	c->uid_base = 200000;
	c->uid_stride = 65536;
	c->max_servers = 250;
	c->limits.memory_mb = 0;
	c->limits.pids = 512;
	c->limits.cpu_weight = 100;
	c->limits.cpu_percent = 0;
	c->limits.io_weight = 100;
	c->run_size_mb = 64;
	c->tmp_size_mb = 256;
	c->stop_timeout = 10;
	c->max_clients = 1024;
	c->max_line = 8192;
	c->client_timeout = 300;
	c->auth_fail_delay = 1000;
	c->bevs_sessions = 64;
	c->bevs_sessions_per_user = 8;
	c->snap_level = 3;
	c->snap_threads = 0;
}

void
vs_conf_release(struct vs_conf *c)
{
	size_t i;

	free(c->path);
	free(c->state_root);
	free(c->skel_conf);
	free(c->secret_file);
	free(c->admin_group);
	free(c->instance);
	free(c->host_addr);
	for (i = 0; i < c->n_overrides; i++)
		free(c->overrides[i].name);
	free(c->overrides);
	for (i = 0; i < c->n_listen; i++)
		free(c->listen[i].addr);
	free(c->listen);
	free(c->redirects);
	memset(c, 0, sizeof(*c));
}

struct conf_ctx {
	struct vs_conf *c;
	struct vs_override *block;	/* inside `vs NAME {` */
	int block_line;
	size_t alloc_ov, alloc_listen, alloc_redir;
	int listen_set;		/* any `listen` line seen */
};

typedef int (*kw_fn)(struct conf_ctx *, struct vs_conf_pos *, int, char **);

static int
want_args(struct vs_conf_pos *pos, int argc, char **argv, int min, int max)
{
	if (argc - 1 < min || argc - 1 > max) {
		if (min == max)
			return vs_conf_error(pos, "'%s' takes %d argument%s",
			    argv[0], min, min == 1 ? "" : "s");
		return vs_conf_error(pos, "'%s' takes %d to %d arguments",
		    argv[0], min, max);
	}
	return 0;
}

static int
set_path(struct vs_conf_pos *pos, int argc, char **argv, char **dst)
{
	if (want_args(pos, argc, argv, 1, 1) < 0)
		return -1;
	if (argv[1][0] != '/')
		return vs_conf_error(pos, "'%s' needs an absolute path, "
		    "not '%s'", argv[0], argv[1]);
	free(*dst);
	*dst = xstrdup(argv[1]);
	return 0;
}

static int
set_num(struct vs_conf_pos *pos, int argc, char **argv, long long min,
    long long max, long long *dst)
{
	if (want_args(pos, argc, argv, 1, 1) < 0)
		return -1;
	if (vs_conf_number(argv[1], min, max, 0, dst) < 0)
		return vs_conf_error(pos, "'%s': '%s' is not a number in "
		    "%lld..%lld", argv[0], argv[1], min, max);
	return 0;
}

static int
set_bool(struct vs_conf_pos *pos, int argc, char **argv, int *dst)
{
	int b;

	if (want_args(pos, argc, argv, 1, 1) < 0)
		return -1;
	if ((b = vs_conf_bool(argv[1])) < 0)
		return vs_conf_error(pos, "'%s': '%s' is not yes or no",
		    argv[0], argv[1]);
	*dst = b;
	return 0;
}

#define KW_PATH(fn, field) \
static int fn(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av) \
{ return set_path(p, ac, av, &x->c->field); }
#define KW_NUM(fn, field, min, max) \
static int fn(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av) \
{ return set_num(p, ac, av, min, max, &x->c->field); }
#define KW_BOOL(fn, field) \
static int fn(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av) \
{ return set_bool(p, ac, av, &x->c->field); }

KW_PATH(kw_state_root, state_root)
KW_PATH(kw_skel_conf, skel_conf)
KW_PATH(kw_secret_file, secret_file)
KW_NUM(kw_uid_base, uid_base, 1, 4000000000LL)
KW_NUM(kw_uid_stride, uid_stride, 1, 1LL << 24)
KW_NUM(kw_max_servers, max_servers, 1, 100000)
KW_NUM(kw_bevs_sessions, bevs_sessions, 1, 100000)
KW_NUM(kw_bevs_sessions_per_user, bevs_sessions_per_user, 1, 100000)
KW_NUM(kw_run_size, run_size_mb, 1, 1 << 20)
KW_NUM(kw_tmp_size, tmp_size_mb, 1, 1 << 20)
KW_NUM(kw_stop_timeout, stop_timeout, 0, 3600)
KW_NUM(kw_max_clients, max_clients, 1, 1 << 20)
KW_NUM(kw_max_line, max_line, 64, 1 << 20)
KW_NUM(kw_client_timeout, client_timeout, 1, 86400)
KW_NUM(kw_auth_fail_delay, auth_fail_delay, 0, 60000)
KW_NUM(kw_snap_level, snap_level, 1, 19)
KW_NUM(kw_snap_threads, snap_threads, 0, 256)
KW_BOOL(kw_gateway, gateway)
KW_BOOL(kw_nat, nat)
KW_BOOL(kw_snap_fifos, snap_fifos)
KW_BOOL(kw_no_new_privs, no_new_privs)

/* Limits are valid globally and inside `vs NAME { }`. */
static int
set_limit(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av,
    size_t idx, long long min, long long max)
{
	struct vs_limits *l = x->block ? &x->block->lim : &x->c->limits;
	long long *f = (long long *)l + idx;

	if (set_num(p, ac, av, min, max, f) < 0)
		return -1;
	if (x->block)
		x->block->mask |= 1u << idx;
	return 0;
}

#define KW_LIM(fn, field, min, max) \
static int fn(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av) \
{ return set_limit(x, p, ac, av, \
    offsetof(struct vs_limits, field) / sizeof(long long), min, max); }

KW_LIM(kw_memory_max, memory_mb, 0, 1LL << 30)
KW_LIM(kw_pids_max, pids, 0, 4194304)
KW_LIM(kw_cpu_weight, cpu_weight, 0, 10000)
KW_LIM(kw_cpu_quota, cpu_percent, 0, 100000)
KW_LIM(kw_io_weight, io_weight, 0, 10000)

static int
kw_admin_group(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	if (want_args(p, ac, av, 1, 1) < 0)
		return -1;
	/* a decimal gid (e.g. a group that exists only for vsd) or a name */
	if (strspn(av[1], "0123456789") == strlen(av[1])) {
		long long gid;

		if (vs_conf_number(av[1], 0, 4294967294LL, 0, &gid) < 0)
			return vs_conf_error(p, "admin_group: invalid gid "
			    "'%s'", av[1]);
	} else if (!vs_valid_username(av[1]))
		return vs_conf_error(p, "admin_group: invalid group name '%s'",
		    av[1]);
	free(x->c->admin_group);
	x->c->admin_group = xstrdup(av[1]);
	return 0;
}

static int
kw_host_addr(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	struct in_addr a;

	if (want_args(p, ac, av, 1, 1) < 0)
		return -1;
	if (inet_pton(AF_INET, av[1], &a) != 1)
		return vs_conf_error(p, "host_addr: '%s' is not an IPv4 "
		    "address", av[1]);
	free(x->c->host_addr);
	x->c->host_addr = xstrdup(av[1]);
	return 0;
}

static int
kw_listen(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	struct vs_conf *c = x->c;
	unsigned char a[16];
	long long port = 1725;

	/* listen ADDR [port N] | listen none */
	if (ac != 2 && !(ac == 4 && strcmp(av[2], "port") == 0))
		return vs_conf_error(p, "usage: listen ADDRESS [port N] | "
		    "listen none");
	x->listen_set = 1;
	if (ac == 2 && strcmp(av[1], "none") == 0)
		return 0;	/* no TCP listener (with no other listen) */
	if (inet_pton(AF_INET, av[1], a) != 1 &&
	    inet_pton(AF_INET6, av[1], a) != 1)
		return vs_conf_error(p, "listen: '%s' is not a numeric IP "
		    "address", av[1]);
	if (ac == 4 && vs_conf_number(av[3], 1, 65535, 0, &port) < 0)
		return vs_conf_error(p, "listen: bad port '%s'", av[3]);
	xgrow(&c->listen, sizeof(*c->listen), c->n_listen + 1,
	    &x->alloc_listen);
	c->listen[c->n_listen].addr = xstrdup(av[1]);
	c->listen[c->n_listen].port = (int)port;
	c->n_listen++;
	return 0;
}

static int
kw_redirect(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	struct vs_conf *c = x->c;
	long long from, to;

	/* redirect PORT to PORT */
	if (ac != 4 || strcmp(av[2], "to") != 0)
		return vs_conf_error(p, "usage: redirect PORT to PORT");
	if (vs_conf_number(av[1], 1, 1023, 0, &from) < 0)
		return vs_conf_error(p, "redirect: '%s' is not a privileged "
		    "port (1..1023)", av[1]);
	if (vs_conf_number(av[3], 1024, 65535, 0, &to) < 0)
		return vs_conf_error(p, "redirect: '%s' is not an "
		    "unprivileged port (1024..65535)", av[3]);
	xgrow(&c->redirects, sizeof(*c->redirects), c->n_redirects + 1,
	    &x->alloc_redir);
	c->redirects[c->n_redirects].port = (int)from;
	c->redirects[c->n_redirects].target = (int)to;
	c->n_redirects++;
	return 0;
}

static int
kw_log(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	if (want_args(p, ac, av, 1, 1) < 0)
		return -1;
	if (strcmp(av[1], "syslog") == 0)
		x->c->log_syslog = 1;
	else if (strcmp(av[1], "stderr") == 0)
		x->c->log_syslog = 0;
	else
		return vs_conf_error(p, "log: '%s' is not syslog or stderr",
		    av[1]);
	return 0;
}

static int
kw_vs(struct conf_ctx *x, struct vs_conf_pos *p, int ac, char **av)
{
	struct vs_conf *c = x->c;
	struct vs_override *o;
	size_t i;

	if (ac != 3 || strcmp(av[2], "{") != 0)
		return vs_conf_error(p, "usage: vs NAME {");
	if (x->block)
		return vs_conf_error(p, "'vs' blocks do not nest");
	if (!vs_valid_name(av[1]))
		return vs_conf_error(p, "vs: invalid server name '%s'", av[1]);
	for (i = 0; i < c->n_overrides; i++)
		if (strcmp(c->overrides[i].name, av[1]) == 0)
			return vs_conf_error(p, "vs '%s' defined twice", av[1]);
	xgrow(&c->overrides, sizeof(*c->overrides), c->n_overrides + 1,
	    &x->alloc_ov);
	o = &c->overrides[c->n_overrides++];
	memset(o, 0, sizeof(*o));
	o->name = xstrdup(av[1]);
	x->block = o;
	x->block_line = p->line;
	return 0;
}

static const struct keyword {
	const char *name;
	kw_fn fn;
	int in_block;		/* allowed inside `vs NAME { }` */
} keywords[] = {	/* sorted: bsearch */
	{ "admin_group", kw_admin_group, 0 },
	{ "auth_fail_delay", kw_auth_fail_delay, 0 },
	{ "bevs_sessions", kw_bevs_sessions, 0 },
	{ "bevs_sessions_per_user", kw_bevs_sessions_per_user, 0 },
	{ "client_timeout", kw_client_timeout, 0 },
	{ "cpu_quota", kw_cpu_quota, 1 },
	{ "cpu_weight", kw_cpu_weight, 1 },
	{ "gateway", kw_gateway, 0 },
	{ "host_addr", kw_host_addr, 0 },
	{ "io_weight", kw_io_weight, 1 },
	{ "listen", kw_listen, 0 },
	{ "log", kw_log, 0 },
	{ "max_clients", kw_max_clients, 0 },
	{ "max_line", kw_max_line, 0 },
	{ "max_servers", kw_max_servers, 0 },
	{ "memory_max", kw_memory_max, 1 },
	{ "nat", kw_nat, 0 },
	{ "no_new_privs", kw_no_new_privs, 0 },
	{ "pids_max", kw_pids_max, 1 },
	{ "redirect", kw_redirect, 0 },
	{ "run_size", kw_run_size, 0 },
	{ "secret_file", kw_secret_file, 0 },
	{ "skel_conf", kw_skel_conf, 0 },
	{ "snapshot_fifos", kw_snap_fifos, 0 },
	{ "snapshot_level", kw_snap_level, 0 },
	{ "snapshot_threads", kw_snap_threads, 0 },
	{ "state_root", kw_state_root, 0 },
	{ "stop_timeout", kw_stop_timeout, 0 },
	{ "tmp_size", kw_tmp_size, 0 },
	{ "uid_base", kw_uid_base, 0 },
	{ "uid_stride", kw_uid_stride, 0 },
	{ "vs", kw_vs, 0 },
};

static int
kw_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

static int
conf_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct conf_ctx *x = ctx;
	const struct keyword *k;

	if (strcmp(argv[0], "}") == 0) {
		if (!x->block)
			return vs_conf_error(pos, "'}' without a block");
		if (argc != 1)
			return vs_conf_error(pos, "junk after '}'");
		x->block = NULL;
		return 0;
	}
	k = bsearch(argv[0], keywords, ARRAY_SIZE(keywords), sizeof(*k),
	    kw_cmp);
	if (!k)
		return vs_conf_error(pos, "unknown keyword '%s'", argv[0]);
	if (x->block && !k->in_block)
		return vs_conf_error(pos, "'%s' is not allowed inside a 'vs' "
		    "block", argv[0]);
	return k->fn(x, pos, argc, argv);
}

/* FNV-1a, 24 bits: a short stable tag for this state root. */
static char *
instance_tag(const char *root)
{
	unsigned h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)root; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return xasprintf("%06x", (h ^ (h >> 24)) & 0xffffff);
}

static void
validate(struct conf_ctx *x, struct vs_conf_pos *pos, const char *file)
{
	struct vs_conf *c = x->c;
	unsigned long long end;

	pos->file = file;
	if (x->block) {
		pos->line = x->block_line;
		vs_conf_error(pos, "'vs %s {' is never closed", x->block->name);
	}
	pos->line = 0;
	end = (unsigned long long)c->uid_base +
	    (unsigned long long)c->uid_stride *
	    ((unsigned long long)c->max_servers + 1);
	if (end > 4294967294ULL)
		vs_conf_error(pos, "uid_base + uid_stride * (max_servers + 1) "
		    "= %llu exceeds the 32-bit uid space", end);
	if (c->uid_stride < 1000)
		vs_conf_error(pos, "uid_stride %lld is too small (a VS needs "
		    "at least 1000 uids)", c->uid_stride);
}

int
vs_conf_load(const char *path, int explicit_path, struct vs_conf *out,
    struct vs_buf *errors)
{
	struct vs_conf c;
	struct conf_ctx x = { &c, NULL, 0, 0, 0, 0, 0 };
	struct vs_conf_pos vpos = { NULL, 0, 0, errors };
	int r = 0;

	if (!path)
		path = vs_conf_default_path();
	vs_conf_defaults(&c);
	if (access(path, F_OK) < 0 && errno == ENOENT && !explicit_path &&
	    strcmp(path, VS_CONF_DEFAULT) == 0) {
		/* no config at the default place: built-in defaults */
	} else {
		c.path = xstrdup(path);
		r = vs_conf_parse_file(path, conf_stmt, &x, errors);
	}
	validate(&x, &vpos, path);
	if (r < 0 || vpos.nerr) {
		vs_conf_release(&c);
		return -1;
	}
	if (!c.skel_conf) {
		const char *slash = c.path ? strrchr(c.path, '/') : NULL;

		c.skel_conf = slash ? xasprintf("%.*s/skel.conf",
		    (int)(slash - c.path), c.path) :
		    xstrdup(VS_CONF_DIR "/skel.conf");
	}
	if (!x.listen_set) {
		c.listen = xmalloc(sizeof(*c.listen));
		c.listen[0].addr = xstrdup("127.0.0.1");
		c.listen[0].port = 1725;
		c.n_listen = 1;
	}
	if (c.n_redirects == 0) {
		c.redirects = xmalloc(2 * sizeof(*c.redirects));
		c.redirects[0] = (struct vs_redirect){ 80, 8080 };
		c.redirects[1] = (struct vs_redirect){ 443, 8443 };
		c.n_redirects = 2;
	}
	c.instance = instance_tag(c.state_root);
	*out = c;
	return 0;
}

char *
vs_conf_dir(const struct vs_conf *c, const char *sub)
{
	return xasprintf("%s/%s", c->state_root, sub);
}

void
vs_conf_limits_for(const struct vs_conf *c, const char *name,
    struct vs_limits *out)
{
	size_t i, k;

	*out = c->limits;
	for (i = 0; i < c->n_overrides; i++) {
		if (strcmp(c->overrides[i].name, name) != 0)
			continue;
		for (k = 0; k < sizeof(*out) / sizeof(long long); k++)
			if (c->overrides[i].mask & (1u << k))
				((long long *)out)[k] =
				    ((const long long *)&c->overrides[i].lim)[k];
	}
}

static void
dump_limits(struct vs_buf *o, const char *ind, const struct vs_limits *l,
    unsigned mask)
{
	static const char *names[] = { "memory_max", "pids_max", "cpu_weight",
	    "cpu_quota", "io_weight" };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(names); k++)
		if (mask & (1u << k))
			vs_buf_addf(o, "%s%s %lld\n", ind, names[k],
			    ((const long long *)l)[k]);
}

void
vs_conf_dump(const struct vs_conf *c, struct vs_buf *o)
{
	size_t i;

	vs_buf_addf(o, "state_root \"%s\"\n", c->state_root);
	vs_buf_addf(o, "skel_conf \"%s\"\n", c->skel_conf);
	vs_buf_addf(o, "secret_file \"%s\"\n", c->secret_file);
	if (c->admin_group)
		vs_buf_addf(o, "admin_group %s\n", c->admin_group);
	vs_buf_addf(o, "uid_base %lld\nuid_stride %lld\nmax_servers %lld\n",
	    c->uid_base, c->uid_stride, c->max_servers);
	dump_limits(o, "", &c->limits, ~0u);
	for (i = 0; i < c->n_overrides; i++) {
		vs_buf_addf(o, "vs %s {\n", c->overrides[i].name);
		dump_limits(o, "\t", &c->overrides[i].lim,
		    c->overrides[i].mask);
		vs_buf_adds(o, "}\n");
	}
	if (c->n_listen == 0)
		vs_buf_adds(o, "listen none\n");
	for (i = 0; i < c->n_listen; i++)
		vs_buf_addf(o, "listen %s port %d\n", c->listen[i].addr,
		    c->listen[i].port);
	for (i = 0; i < c->n_redirects; i++)
		vs_buf_addf(o, "redirect %d to %d\n", c->redirects[i].port,
		    c->redirects[i].target);
	vs_buf_addf(o, "gateway %s\nnat %s\nhost_addr %s\n",
	    c->gateway ? "yes" : "no", c->nat ? "yes" : "no", c->host_addr);
	vs_buf_addf(o, "no_new_privs %s\n", c->no_new_privs ? "yes" : "no");
	vs_buf_addf(o, "run_size %lld\ntmp_size %lld\nstop_timeout %lld\n",
	    c->run_size_mb, c->tmp_size_mb, c->stop_timeout);
	vs_buf_addf(o, "max_clients %lld\nmax_line %lld\nclient_timeout %lld\n"
	    "auth_fail_delay %lld\n", c->max_clients, c->max_line,
	    c->client_timeout, c->auth_fail_delay);
	vs_buf_addf(o, "bevs_sessions %lld\nbevs_sessions_per_user %lld\n",
	    c->bevs_sessions, c->bevs_sessions_per_user);
	vs_buf_addf(o, "snapshot_level %lld\nsnapshot_threads %lld\n"
	    "snapshot_fifos %s\n", c->snap_level, c->snap_threads,
	    c->snap_fifos ? "yes" : "no");
	vs_buf_addf(o, "log %s\n", c->log_syslog ? "syslog" : "stderr");
}

int
vs_conf_reload(struct vs_conf *running, const char *path, int explicit_path)
{
	struct vs_buf errors = VS_BUF_INIT;
	struct vs_conf c;

	if (vs_conf_load(path, explicit_path, &c, &errors) < 0) {
		vs_buf_rtrim(&errors);
		log_warnx("%s", errors.buf);
		vs_buf_release(&errors);
		log_warnx("configuration not reloaded: keeping the running one");
		return -1;
	}
	vs_buf_release(&errors);
	if (strcmp(c.state_root, running->state_root) != 0) {
		log_warnx("state_root cannot change on reload (restart %s): "
		    "keeping '%s'", log_progname(), running->state_root);
		free(c.state_root);
		c.state_root = xstrdup(running->state_root);
	}
	vs_conf_release(running);
	*running = c;
	log_info("configuration reloaded");
	return 0;
}
