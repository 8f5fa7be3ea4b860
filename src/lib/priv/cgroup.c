/* cgroup.c - the per-VS cgroup interface; backends in cgroup_v1.c and
 * cgroup_v2.c.  (Implementation landing next: until then it fails.) */
#include <errno.h>

#include "priv/cgroup.h"

static int
not_yet(struct vs_err *err)
{
	return vs_err_set(err, ENOSYS, "cgroups: not available yet");
}

enum vs_cgroup_backend
vs_cgroup_backend(void)
{
	return VS_CGROUP_NONE;
}

const char *
vs_cgroup_backend_name(enum vs_cgroup_backend b)
{
	return b == VS_CGROUP_V1 ? "v1" : b == VS_CGROUP_V2 ? "v2" : "none";
}

int
vs_cgroup_create(const struct vs_conf *conf, const char *name,
    const struct vs_limits *lim, struct vs_err *err)
{
	(void)conf; (void)name; (void)lim;
	return not_yet(err);
}

int
vs_cgroup_attach(const struct vs_conf *conf, const char *name, pid_t pid,
    struct vs_err *err)
{
	(void)conf; (void)name; (void)pid;
	return not_yet(err);
}

int
vs_cgroup_open(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	(void)conf; (void)name;
	return not_yet(err);
}

int
vs_cgroup_procs(const struct vs_conf *conf, const char *name, pid_t **pids,
    size_t *n, struct vs_err *err)
{
	(void)conf; (void)name; (void)pids; (void)n;
	return not_yet(err);
}

int
vs_cgroup_kill(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	(void)conf; (void)name;
	return not_yet(err);
}

int
vs_cgroup_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	(void)conf; (void)name;
	return not_yet(err);
}

int
vs_cgroup_usage(const struct vs_conf *conf, const char *name,
    struct vs_cgroup_usage *u, struct vs_err *err)
{
	(void)conf; (void)name; (void)u;
	return not_yet(err);
}
