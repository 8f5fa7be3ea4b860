/* vsredirect.h - internal interfaces of vsredirect. */
#ifndef VSREDIRECT_H
#define VSREDIRECT_H

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "proxyproto.h"

#define VSR_MAX_RULES	64

struct vsr_rule {
	int port;			/* privileged port on the VS's address */
	int target;			/* unprivileged port of its daemon */
	enum vs_proxy_version proxy;
};

struct vsr_rules {
	struct vsr_rule r[VSR_MAX_RULES];
	int n;
	int max_conns;			/* per-VS limit; 0 = the global one */
};

/*
 * The rules of VS name: conf's `redirect` lines (with proxy as their
 * PROXY header), replaced by the list in vsd's state/apache/NAME when
 * that exists (mod_apache), then changed by state/redirect/NAME
 * (rules.c).  Missing files are no error.  On error *errors has
 * "file:line: msg" lines and *out is untouched.
 */
int vsr_rules_load(const struct vs_conf *conf, const char *name,
    enum vs_proxy_version proxy, struct vsr_rules *out,
    struct vs_buf *errors);

/* priv.c */
void vsr_raise_nofile(void);
int vsr_drop_privileges(const char *user, struct vs_err *err);

#endif
