/* rules.c - the redirect rules of one VS, in three layers:
 *
 * 1. vsd.conf's `redirect PORT to PORT` lines (80 -> 8080, 443 -> 8443);
 * 2. state_root/state/apache/NAME, written by vsd's mod_apache: when it
 *    exists its `redirect` lines are the VS's whole list (vsd copies the
 *    defaults in when it first writes it); `server_name` lines are vsd's;
 * 3. state_root/state/redirect/NAME, vsredirect's own per-VS settings
 *    (written by the host's admin), applied last:
 *     proxy v1|v2|none             PROXY header for this VS's rules
 *     mode kernel|relay            how this VS's rules are served
 *     redirect PORT to PORT [proxy v1|v2|none] [mode kernel|relay]
 *     noredirect PORT              drop a default rule (e.g. 443)
 *     max_conns N                  this VS's connection limit
 * PORT < 1024 (the ports a VS cannot bind) to a TARGET >= 1024.
 * A rule's mode: its own, else relay when it sends a PROXY header (only
 * the relay can), else the file's, else the daemon's default (kernel).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "valid.h"
#include "vsredirect.h"
#include "xmem.h"
#include "banned.h"

struct rctx {
	struct vsr_rules *rs;
	enum vs_proxy_version proxy;	/* this file's default */
	int proxy_set;
	int apache;		/* reading vsd's file: redirect lines only */
	int mode;		/* this file's `mode`, -1 = none */
	unsigned char explicit[VSR_MAX_RULES];
	signed char rmode[VSR_MAX_RULES];	/* a rule's own, -1 = none */
	int line[VSR_MAX_RULES];		/* where it was set */
};

static int
mode_parse(const char *s)
{
	if (!strcmp(s, "kernel"))
		return VSR_KERNEL;
	if (!strcmp(s, "relay"))
		return VSR_RELAY;
	return -1;
}

static int
find(const struct vsr_rules *rs, int port)
{
	int i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].port == port)
			return i;
	return -1;
}

static int
port_arg(struct vs_conf_pos *p, const char *tok, int priv, int *port)
{
	long long v;

	if (vs_conf_number(tok, priv ? 1 : 1024, priv ? 1023 : 65535, 0,
	    &v) < 0)
		return vs_conf_error(p, "'%s' is not %s port", tok,
		    priv ? "a privileged (1-1023)" : "an unprivileged "
		    "(1024-65535)");
	*port = (int)v;
	return 0;
}

static int
rule_stmt(void *ctx, struct vs_conf_pos *p, int ac, char **av)
{
	struct rctx *x = ctx;
	struct vsr_rules *rs = x->rs;
	int port = 0, target = 0, i, v, m, k;

	if (x->apache && strcmp(av[0], "redirect") &&
	    strcmp(av[0], "server_name"))
		return vs_conf_error(p, "unknown keyword '%s'", av[0]);
	if (!strcmp(av[0], "proxy")) {
		if (ac != 2 || (v = vs_proxy_version_parse(av[1])) < 0)
			return vs_conf_error(p, "usage: proxy v1|v2|none");
		x->proxy = (enum vs_proxy_version)v;
		x->proxy_set = 1;
		return 0;
	}
	if (!strcmp(av[0], "mode")) {
		if (ac != 2 || (x->mode = mode_parse(av[1])) < 0)
			return vs_conf_error(p, "usage: mode kernel|relay");
		return 0;
	}
	if (!strcmp(av[0], "max_conns")) {
		long long n;

		if (ac != 2 || vs_conf_number(av[1], 0, 1000000, 0, &n) < 0)
			return vs_conf_error(p, "usage: max_conns N");
		rs->max_conns = (int)n;
		return 0;
	}
	if (!strcmp(av[0], "noredirect")) {
		if (ac != 2)
			return vs_conf_error(p, "usage: noredirect PORT");
		if (port_arg(p, av[1], 1, &port) < 0)
			return -1;
		if ((i = find(rs, port)) >= 0) {
			rs->r[i] = rs->r[rs->n - 1];
			x->explicit[i] = x->explicit[rs->n - 1];
			x->rmode[i] = x->rmode[rs->n - 1];
			x->line[i] = x->line[rs->n - 1];
			rs->n--;
		}
		return 0;
	}
	if (x->apache && !strcmp(av[0], "server_name"))
		return 0;
	if (strcmp(av[0], "redirect") || (x->apache && ac != 4))
		return vs_conf_error(p, "unknown keyword '%s'", av[0]);
	if (ac < 4 || ac % 2 || strcmp(av[2], "to"))
		return vs_conf_error(p, "usage: redirect PORT to PORT "
		    "[proxy v1|v2|none] [mode kernel|relay]");
	if (port_arg(p, av[1], 1, &port) < 0 ||
	    port_arg(p, av[3], 0, &target) < 0)
		return -1;
	v = -1;
	m = -1;
	for (k = 4; k < ac; k += 2) {
		if (!strcmp(av[k], "proxy") && v < 0) {
			if ((v = vs_proxy_version_parse(av[k + 1])) < 0)
				return vs_conf_error(p, "unknown proxy version "
				    "'%s'", av[k + 1]);
		} else if (!strcmp(av[k], "mode") && m < 0) {
			if ((m = mode_parse(av[k + 1])) < 0)
				return vs_conf_error(p, "unknown mode '%s' "
				    "(kernel or relay)", av[k + 1]);
		} else {
			return vs_conf_error(p, "usage: redirect PORT to PORT "
			    "[proxy v1|v2|none] [mode kernel|relay]");
		}
	}
	if (m == VSR_KERNEL && v > 0)
		return vs_conf_error(p, "port %d: mode kernel cannot send a "
		    "PROXY header (use mode relay)", port);
	if ((i = find(rs, port)) < 0) {
		if (rs->n >= VSR_MAX_RULES)
			return vs_conf_error(p, "too many rules (max %d)",
			    VSR_MAX_RULES);
		i = rs->n++;
	}
	rs->r[i].port = port;
	rs->r[i].target = target;
	rs->r[i].proxy = v >= 0 ? (enum vs_proxy_version)v : x->proxy;
	x->explicit[i] = v >= 0;
	x->rmode[i] = (signed char)m;
	x->line[i] = p->line;
	return 0;
}

void
vsr_rules_relay_all(struct vsr_rules *rs)
{
	int i;

	for (i = 0; i < rs->n; i++)
		rs->r[i].mode = VSR_RELAY;
}

int
vsr_rules_load(const struct vs_conf *conf, const char *name,
    enum vs_proxy_version proxy, enum vsr_mode mode, struct vsr_rules *out,
    struct vs_buf *errors)
{
	_cleanup_free_ char *path = NULL;
	struct vsr_rules rs;
	struct rctx x;
	struct stat st;
	size_t i;
	int k;

	memset(&rs, 0, sizeof(rs));
	memset(&x, 0, sizeof(x));
	x.rs = &rs;
	x.proxy = proxy;
	x.mode = -1;
	memset(x.rmode, -1, sizeof(x.rmode));
	for (i = 0; i < conf->n_redirects && rs.n < VSR_MAX_RULES; i++) {
		k = find(&rs, conf->redirects[i].port);
		if (k < 0)
			k = rs.n++;
		rs.r[k].port = conf->redirects[i].port;
		rs.r[k].target = conf->redirects[i].target;
		rs.r[k].proxy = proxy;
	}
	if (!vs_valid_name(name)) {
		vs_buf_addf(errors, "invalid server name '%s'\n", name);
		return -1;
	}
	path = xasprintf("%s/state/apache/%s", conf->state_root, name);
	/* stat, not access(2): access checks with the real uid and no
	 * capabilities, and we run as nobody with CAP_DAC_READ_SEARCH */
	if (stat(path, &st) == 0) {
		rs.n = 0;	/* vsd's list replaces the defaults */
		x.apache = 1;
		if (vs_conf_parse_file(path, rule_stmt, &x, errors) < 0)
			return -1;
		x.apache = 0;
	}
	free(path);
	path = xasprintf("%s/state/redirect/%s", conf->state_root, name);
	if (stat(path, &st) == 0 &&
	    vs_conf_parse_file(path, rule_stmt, &x, errors) < 0)
		return -1;
	/* a file-wide "proxy" applies to every rule without its own */
	if (x.proxy_set)
		for (k = 0; k < rs.n; k++)
			if (!x.explicit[k])
				rs.r[k].proxy = x.proxy;
	for (k = 0; k < rs.n; k++) {
		struct vsr_rule *r = &rs.r[k];

		if (x.rmode[k] == VSR_KERNEL && r->proxy != VS_PROXY_NONE) {
			vs_buf_addf(errors, "%s:%d: port %d: mode kernel "
			    "cannot send a PROXY header (use mode relay)\n",
			    path, x.line[k], r->port);
			return -1;
		}
		if (x.rmode[k] >= 0)
			r->mode = (enum vsr_mode)x.rmode[k];
		else if (r->proxy != VS_PROXY_NONE)
			r->mode = VSR_RELAY;
		else if (x.mode >= 0)
			r->mode = (enum vsr_mode)x.mode;
		else
			r->mode = mode;
	}
	if (mode == VSR_RELAY)	/* -R: whatever the files say */
		vsr_rules_relay_all(&rs);
	*out = rs;
	return 0;
}
