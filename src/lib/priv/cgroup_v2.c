/* cgroup_v2.c - the cgroup v2 backend: root/freevsd-<instance>/<name> on
 * the unified hierarchy, controllers enabled down the path, limits in the
 * v2 files, cgroup.kill (Linux 5.14) or cgroup.freeze to kill. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xmem.h"
#include "priv/cgroup_impl.h"
#include "banned.h"

static const char *const controllers[] = { "memory", "pids", "cpu", "io" };

static char *root;	/* mount point of the unified hierarchy */

int
cg2_available(void)
{
	static int avail = -1;
	struct vs_buf b = VS_BUF_INIT;
	char *p, *save = NULL;
	int mem = 0, pids = 0;

	if (avail >= 0)
		return avail;
	avail = 0;
	root = cg_find_mount("cgroup2", NULL);
	if (!root)
		return 0;
	avail = 1;
	if (cg_read(root, "cgroup.controllers", &b) == 0) {
		for (p = strtok_r(b.buf, " \n", &save); p;
		    p = strtok_r(NULL, " \n", &save)) {
			mem |= strcmp(p, "memory") == 0;
			pids |= strcmp(p, "pids") == 0;
		}
	}
	vs_buf_release(&b);
	if (mem && pids)
		avail = 2;
	return avail;
}

static char *
parent_dir(const struct vs_conf *conf)
{
	return xasprintf("%s/freevsd-%s", root, conf->instance);
}

static char *
vs_dir(const struct vs_conf *conf, const char *name)
{
	return xasprintf("%s/freevsd-%s/%s", root, conf->instance, name);
}

/* Enable in dir's children every controller dir itself has. */
static int
enable_controllers(const char *dir)
{
	struct vs_buf have = VS_BUF_INIT;
	size_t i;
	int r = 0;

	if (cg_read(dir, "cgroup.controllers", &have) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(controllers); i++) {
		char *w = have.buf;
		size_t n = strlen(controllers[i]);
		int found = 0;

		while ((w = strstr(w, controllers[i])) != NULL) {
			if ((w == have.buf || w[-1] == ' ') &&
			    (w[n] == ' ' || w[n] == '\n' || w[n] == '\0'))
				found = 1;
			w += n;
		}
		if (found && cg_write(dir, "cgroup.subtree_control", "+%s",
		    controllers[i]) < 0) {
			log_debug("%s: %s +%s: %s", __func__, dir,
			    controllers[i], strerror(errno));
			r = -1;
		}
	}
	vs_buf_release(&have);
	return r;
}

/* Write a limit file; a missing file is an error only if a limit was
 * asked for (want), else the kernel default stays. */
static int
set_limit(const char *dir, const char *name, const char *file, int want,
    const char *value, struct vs_err *err)
{
	if (!cg_file_exists(dir, file)) {
		if (!want)
			return 0;
		return vs_err_set(err, ENOTSUP, "cgroup '%s': cannot set %s: "
		    "controller not available", name, file);
	}
	if (cg_write(dir, file, "%s", value) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot write %s '%s'",
		    name, file, value);
	return 0;
}

static int
apply_limits(const char *dir, const char *name, const struct vs_limits *l,
    struct vs_err *err)
{
	char v[64];

	if (l->memory_mb)
		snprintf(v, sizeof(v), "%lld", l->memory_mb * 1024 * 1024);
	else
		snprintf(v, sizeof(v), "max");
	if (set_limit(dir, name, "memory.max", l->memory_mb != 0, v, err) < 0)
		return -1;
	/* swap would let a hog outgrow its limit: never grant any */
	if (set_limit(dir, name, "memory.swap.max", 0, l->memory_mb ? "0" :
	    "max", err) < 0)
		return -1;
	if (l->pids)
		snprintf(v, sizeof(v), "%lld", l->pids);
	else
		snprintf(v, sizeof(v), "max");
	if (set_limit(dir, name, "pids.max", l->pids != 0, v, err) < 0)
		return -1;
	snprintf(v, sizeof(v), "%lld", l->cpu_weight ? l->cpu_weight : 100);
	if (set_limit(dir, name, "cpu.weight", l->cpu_weight != 0, v, err) < 0)
		return -1;
	if (l->cpu_percent)
		snprintf(v, sizeof(v), "%lld 100000", l->cpu_percent * 1000);
	else
		snprintf(v, sizeof(v), "max 100000");
	if (set_limit(dir, name, "cpu.max", l->cpu_percent != 0, v, err) < 0)
		return -1;
	/* io: "where present" - the io controller needs a capable block
	 * device scheduler, so its absence is not an error */
	if (cg_file_exists(dir, "io.weight")) {
		snprintf(v, sizeof(v), "default %lld",
		    l->io_weight ? l->io_weight : 100);
		if (cg_write(dir, "io.weight", "%s", v) < 0)
			return vs_err_sys(err, "cgroup '%s': cannot write "
			    "io.weight '%s'", name, v);
	} else if (l->io_weight)
		log_debug("%s: no io.weight, io_weight ignored", __func__);
	return 0;
}

int
cg2_create(const struct vs_conf *conf, const char *name,
    const struct vs_limits *lim, struct vs_err *err)
{
	_cleanup_free_ char *parent = parent_dir(conf);
	_cleanup_free_ char *dir = vs_dir(conf, name);

	/* may fail where an ancestor we do not own limits it: then the
	 * limit files are missing below and apply_limits() says which */
	enable_controllers(root);
	if (cg_mkdir(parent) < 0)
		return vs_err_sys(err, "cgroup: cannot create '%s'", parent);
	enable_controllers(parent);
	if (cg_mkdir(dir) < 0)
		return vs_err_sys(err, "cgroup: cannot create '%s'", dir);
	return apply_limits(dir, name, lim, err);
}

int
cg2_attach(const struct vs_conf *conf, const char *name, pid_t pid,
    struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, name);

	if (cg_write(dir, "cgroup.procs", "%d", (int)pid) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot move pid %d into "
		    "'%s'", name, (int)pid, dir);
	return 0;
}

int
cg2_open(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, name);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return vs_err_sys(err, "cgroup '%s': cannot open '%s'", name,
		    dir);
	return fd;
}

int
cg2_procs(const struct vs_conf *conf, const char *name, pid_t **pids,
    size_t *n, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, name);

	if (cg_read_procs(dir, pids, n) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot read '%s/"
		    "cgroup.procs'", name, dir);
	return 0;
}

static int
k_freeze(void *ctx, int on)
{
	return cg_write(ctx, "cgroup.freeze", "%d", on);
}

static int
k_procs(void *ctx, pid_t **pids, size_t *n)
{
	return cg_read_procs(ctx, pids, n);
}

int
cg2_kill(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, name);
	struct cg_killer k = { dir, k_freeze, k_procs };

	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (!cg_file_exists(dir, "cgroup.freeze"))
		k.freeze = NULL;
	/* cgroup.kill kills atomically, forks in flight included;
	 * $VSD_CGROUP_NOKILL tests the fallback of kernels before 5.14 */
	if (cg_file_exists(dir, "cgroup.kill") &&
	    !getenv("VSD_CGROUP_NOKILL")) {
		if (cg_write(dir, "cgroup.kill", "1") < 0)
			return vs_err_sys(err, "cgroup '%s': cannot write "
			    "cgroup.kill", name);
		return cg_wait_empty(&k, name, err);
	}
	return cg_kill_loop(&k, name, err);
}

int
cg2_remove(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_free_ char *parent = parent_dir(conf);
	_cleanup_free_ char *dir = vs_dir(conf, name);

	if (cg_rmdir(dir) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot remove '%s'", name,
		    dir);
	/* the instance's parent goes with its last VS */
	if (rmdir(parent) < 0 && errno != ENOENT && errno != EBUSY &&
	    errno != ENOTEMPTY)
		log_debug("%s: rmdir %s: %s", __func__, parent,
		    strerror(errno));
	return 0;
}

int
cg2_usage(const struct vs_conf *conf, const char *name,
    struct vs_cgroup_usage *u, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, name);
	struct vs_cgroup_usage r = { -1, -1, -1, -1, -1, -1 };

	if (access(dir, F_OK) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot access '%s'", name,
		    dir);
	if (cg_read_ll(dir, "memory.current", &r.memory_bytes) < 0)
		r.memory_bytes = -1;
	if (cg_read_ll(dir, "memory.max", &r.memory_max) < 0)
		r.memory_max = -1;
	if (cg_read_ll(dir, "pids.current", &r.pids) < 0)
		r.pids = -1;
	if (cg_read_ll(dir, "pids.max", &r.pids_max) < 0)
		r.pids_max = -1;
	if (cg_read_key(dir, "cpu.stat", "usage_usec", &r.cpu_usec) < 0)
		r.cpu_usec = -1;
	if (cg_read_key(dir, "memory.events", "oom_kill", &r.oom_kills) < 0)
		r.oom_kills = -1;
	*u = r;
	return 0;
}
