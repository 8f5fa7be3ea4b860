/* peer.c - credentials of a unix-socket peer, from the kernel (peer.h). */
#include <errno.h>
#include <stddef.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "peer.h"
#include "xmem.h"

int
vs_peer_get(int fd, struct vs_peer *p, struct vs_err *err)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t *groups = NULL;
	size_t n = 32;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return vs_err_sys(err, "SO_PEERCRED");
	/* SO_PEERGROUPS says how much room it needs (ERANGE) */
	for (;;) {
		len = (socklen_t)(n * sizeof(gid_t));
		groups = xrealloc(groups, n * sizeof(gid_t));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0)
			break;
		if (errno != ERANGE || len / sizeof(gid_t) <= n) {
			free(groups);
			return vs_err_sys(err, "SO_PEERGROUPS");
		}
		n = len / sizeof(gid_t);
	}
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	p->groups = groups;
	p->ngroups = len / sizeof(gid_t);
	return 0;
}

int
vs_peer_accepted_on(int fd, int type, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa), vl;
	int v;

	vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl) < 0 ||
	    v != AF_UNIX)
		return 0;
	vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) < 0 || v != type)
		return 0;
	vl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) < 0 || v)
		return 0;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa.sun_path[0] == '\0' ||	/* unnamed or abstract */
	    strnlen(sa.sun_path, sizeof(sa.sun_path)) == sizeof(sa.sun_path) ||
	    strcmp(sa.sun_path, path) != 0)
		return 0;
	len = sizeof(sa);
	return getpeername(fd, (struct sockaddr *)&sa, &len) == 0;
}

void
vs_peer_release(struct vs_peer *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

int
vs_admin_gid(const struct vs_conf *conf, gid_t *gid, struct vs_err *err)
{
	const char *s = conf->admin_group;
	struct group *g;

	if (!s || !*s)
		return 0;
	if (strspn(s, "0123456789") == strlen(s)) {
		/* a number is a gid (vsd.conf checked its range) */
		*gid = (gid_t)strtoul(s, NULL, 10);
		return 1;
	}
	errno = 0;
	g = getgrnam(s);
	if (!g)
		return vs_err_set(err, errno ? errno : ENOENT, "admin_group "
		    "'%s': no such group on this host", s);
	*gid = g->gr_gid;
	return 1;
}

/* Host uids vsd gives to its front (uid_base - 1) and to the VSs. */
static int
vsd_owned_id(const struct vs_conf *conf, uid_t id)
{
	long long v = id;

	return v >= conf->uid_base - 1 && v < conf->uid_base +
	    conf->uid_stride * (conf->max_servers + 1);
}

int
vs_peer_is_admin(const struct vs_conf *conf, const struct vs_peer *p)
{
	gid_t g;
	size_t i;

	if (p->uid == 0)
		return 1;
	if (vsd_owned_id(conf, p->uid) ||
	    vs_admin_gid(conf, &g, NULL) != 1)
		return 0;
	if (p->gid == g)
		return 1;
	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == g)
			return 1;
	return 0;
}
