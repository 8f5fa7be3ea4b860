/* services.c - a VS's service table, and the rights file virtuald checks.
 *
 * state_root/state/services/NAME, host-owned (a VS cannot reach it), in
 * the config language:
 *
 *	max_conns 64			# all services of this VS at once
 *	service echo {
 *		port 7
 *		protocol tcp		# or udp (mode wait only)
 *		mode nowait		# or: wait (on-demand daemon)
 *		pass fd3		# wait: fd3 (LISTEN_FDS) or stdio
 *		user alice		# a user of the VS
 *		program /bin/cat -u	# path inside the VS, then arguments
 *		login yes		# alice needs the VS's login right
 *		max_conns 10
 *		rate 60			# new connections per minute
 *		idle 30			# wait: stop the daemon when idle
 *	}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "virtuald.h"
#include "xmem.h"
#include "banned.h"

struct tctx {
	struct vd_table *t;
	struct vd_service *cur;		/* inside "service NAME {" */
	unsigned seen;
};

enum { S_PORT = 1, S_USER = 2, S_PROG = 4 };

static int
svc_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VD_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int
close_service(struct tctx *x, struct vs_conf_pos *p)
{
	struct vd_service *s = x->cur;
	int i;

	x->cur = NULL;
	if ((x->seen & (S_PORT | S_USER | S_PROG)) != (S_PORT | S_USER |
	    S_PROG))
		return vs_conf_error(p, "service '%s' needs port, user and "
		    "program", s->name);
	/* a datagram socket has no connection to give each client's
	 * program: one daemon owns the socket (inetd's udp wait) */
	if (s->proto == VD_UDP && s->mode != VD_WAIT)
		return vs_conf_error(p, "service '%s': protocol udp needs "
		    "mode wait (a datagram socket has no per-client "
		    "connection to hand to a program)", s->name);
	if (s->pass != VD_PASS_DEFAULT && s->mode != VD_WAIT)
		return vs_conf_error(p, "service '%s': pass is for mode wait",
		    s->name);
	if (s->pass == VD_PASS_DEFAULT)
		s->pass = s->proto == VD_UDP ? VD_PASS_STDIO : VD_PASS_FD3;
	/* TCP and UDP ports are separate spaces */
	for (i = 0; i < x->t->n - 1; i++)
		if (x->t->s[i].port == s->port &&
		    x->t->s[i].proto == s->proto)
			return vs_conf_error(p, "service '%s': port %d is "
			    "already service '%s'", s->name, s->port,
			    x->t->s[i].name);
	return 0;
}

static int
num(struct vs_conf_pos *p, int ac, char **av, long long min, long long max,
    int *out)
{
	long long v;

	if (ac != 2 || vs_conf_number(av[1], min, max, 0, &v) < 0)
		return vs_conf_error(p, "%s: expected a number in %lld..%lld",
		    av[0], min, max);
	*out = (int)v;
	return 0;
}

static int
table_stmt(void *ctx, struct vs_conf_pos *p, int ac, char **av)
{
	struct tctx *x = ctx;
	struct vd_service *s = x->cur;
	int i, b;

	if (!s) {
		if (!strcmp(av[0], "max_conns"))
			return num(p, ac, av, 0, 100000, &x->t->max_conns);
		if (strcmp(av[0], "service"))
			return vs_conf_error(p, "unknown keyword '%s'", av[0]);
		if (ac != 3 || strcmp(av[2], "{"))
			return vs_conf_error(p, "usage: service NAME {");
		if (!svc_valid_name(av[1]))
			return vs_conf_error(p, "invalid service name '%s'",
			    av[1]);
		if (x->t->n >= VD_MAX_SERVICES)
			return vs_conf_error(p, "too many services (max %d)",
			    VD_MAX_SERVICES);
		s = x->cur = &x->t->s[x->t->n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", av[1]);
		s->idle = 60;
		x->seen = 0;
		return 0;
	}
	if (!strcmp(av[0], "}") && ac == 1)
		return close_service(x, p);
	if (!strcmp(av[0], "port")) {
		x->seen |= S_PORT;
		return num(p, ac, av, 1, 65535, &s->port);
	}
	if (!strcmp(av[0], "max_conns"))
		return num(p, ac, av, 0, 100000, &s->max_conns);
	if (!strcmp(av[0], "protocol")) {
		if (ac == 2 && !strcmp(av[1], "tcp"))
			s->proto = VD_TCP;
		else if (ac == 2 && !strcmp(av[1], "udp"))
			s->proto = VD_UDP;
		else
			return vs_conf_error(p, "usage: protocol tcp|udp");
		return 0;
	}
	if (!strcmp(av[0], "pass")) {
		if (ac == 2 && !strcmp(av[1], "fd3"))
			s->pass = VD_PASS_FD3;
		else if (ac == 2 && !strcmp(av[1], "stdio"))
			s->pass = VD_PASS_STDIO;
		else
			return vs_conf_error(p, "usage: pass fd3|stdio");
		return 0;
	}
	if (!strcmp(av[0], "rate"))
		return num(p, ac, av, 0, 1000000, &s->rate);
	if (!strcmp(av[0], "idle"))
		return num(p, ac, av, 1, 86400, &s->idle);
	if (!strcmp(av[0], "mode")) {
		if (ac == 2 && !strcmp(av[1], "nowait"))
			s->mode = VD_NOWAIT;
		else if (ac == 2 && !strcmp(av[1], "wait"))
			s->mode = VD_WAIT;
		else
			return vs_conf_error(p, "usage: mode nowait|wait");
		return 0;
	}
	if (!strcmp(av[0], "login")) {
		if (ac != 2 || (b = vs_conf_bool(av[1])) < 0)
			return vs_conf_error(p, "usage: login yes|no");
		s->login = b;
		return 0;
	}
	if (!strcmp(av[0], "user")) {
		if (ac != 2 || !vs_valid_username(av[1]))
			return vs_conf_error(p, "invalid user name");
		snprintf(s->user, sizeof(s->user), "%s", av[1]);
		x->seen |= S_USER;
		return 0;
	}
	if (!strcmp(av[0], "program")) {
		if (ac < 2 || ac - 1 > VD_MAX_ARGS)
			return vs_conf_error(p, "usage: program PATH [ARG...] "
			    "(at most %d words)", VD_MAX_ARGS);
		if (av[1][0] != '/')
			return vs_conf_error(p, "program '%s': an absolute path "
			    "inside the VS is needed", av[1]);
		for (i = 0; s->argv[i]; i++)
			free(s->argv[i]);
		for (i = 1; i < ac; i++)
			s->argv[i - 1] = xstrdup(av[i]);
		s->argv[ac - 1] = NULL;
		x->seen |= S_PROG;
		return 0;
	}
	return vs_conf_error(p, "unknown keyword '%s' in service '%s'", av[0],
	    s->name);
}

void
vd_table_release(struct vd_table *t)
{
	int i, k;

	for (i = 0; i < t->n; i++)
		for (k = 0; t->s[i].argv[k]; k++)
			free(t->s[i].argv[k]);
	memset(t, 0, sizeof(*t));
}

int
vd_table_load(const struct vs_conf *conf, const char *name,
    struct vd_table *out, struct vs_buf *errors)
{
	_cleanup_free_ char *path = NULL;
	struct vd_table *t = xcalloc(1, sizeof(*t));
	struct tctx x = { t, NULL, 0 };
	struct stat st;
	int rc = 0;

	if (!vs_valid_name(name)) {
		vs_buf_addf(errors, "invalid server name '%s'\n", name);
		free(t);
		return -1;
	}
	path = xasprintf("%s/state/services/%s", conf->state_root, name);
	if (stat(path, &st) == 0) {
		rc = vs_conf_parse_file(path, table_stmt, &x, errors);
		if (rc == 0 && x.cur) {
			vs_buf_addf(errors, "%s: service '%s' not closed with "
			    "'}'\n", path, x.cur->name);
			rc = -1;
		}
	}
	if (rc < 0) {
		vd_table_release(t);
		free(t);
		return -1;
	}
	*out = *t;
	free(t);
	return 0;
}

int
vd_service_same(const struct vd_service *a, const struct vd_service *b)
{
	int i;

	if (a->port != b->port || a->proto != b->proto || a->pass != b->pass ||
	    a->mode != b->mode || a->login != b->login ||
	    a->max_conns != b->max_conns || a->rate != b->rate ||
	    a->idle != b->idle || strcmp(a->user, b->user) ||
	    strcmp(a->name, b->name))
		return 0;
	for (i = 0; a->argv[i] || b->argv[i]; i++)
		if (!a->argv[i] || !b->argv[i] || strcmp(a->argv[i],
		    b->argv[i]))
			return 0;
	return 1;
}

int
vd_has_right(const struct vs_conf *conf, const char *vs, const char *right,
    const char *user)
{
	_cleanup_free_ char *path = xasprintf("%s/state/priv/%s",
	    conf->state_root, vs);
	_cleanup_fclose_ FILE *f = NULL;
	char line[8192];
	size_t rl = strlen(right);

	/* the host's copy, never the VS's /etc/vsd/priv (HACKING.md) */
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		char *p, *save;

		if (strncmp(line, right, rl) || line[rl] != ':')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line + rl + 1; p; p = save) {
			save = strchr(p, ',');
			if (save)
				*save++ = '\0';
			if (!strcmp(p, user))
				return 1;
		}
	}
	return 0;
}
