/* cgroup_v1.c - the cgroup v1 backend: freevsd-<instance>/<name> in each
 * mounted hierarchy we use (memory, pids, cpu, cpuacct, blkio, freezer;
 * co-mounted controllers share one directory).  Killing freezes through
 * the freezer hierarchy when there is one. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xmem.h"
#include "priv/cgroup_impl.h"
#include "banned.h"

enum { C_MEMORY, C_PIDS, C_CPU, C_CPUACCT, C_BLKIO, C_FREEZER, C_N };

static const char *const cname[C_N] = {
	"memory", "pids", "cpu", "cpuacct", "blkio", "freezer"
};

static char *mnt[C_N];		/* mount point per controller, or NULL */

int
cg1_available(void)
{
	static int avail = -1;
	int i;

	if (avail >= 0)
		return avail;
	for (i = 0; i < C_N; i++)
		mnt[i] = cg_find_mount("cgroup", cname[i]);
	avail = mnt[C_MEMORY] || mnt[C_PIDS];
	return avail;
}

/* Index of the first controller sharing c's hierarchy: each directory is
 * handled once, by its first controller. */
static int
first_of(int c)
{
	int i;

	for (i = 0; i < c; i++)
		if (mnt[i] && strcmp(mnt[i], mnt[c]) == 0)
			return i;
	return c;
}

static char *
vs_dir(const struct vs_conf *conf, int c, const char *name)
{
	return xasprintf("%s/freevsd-%s/%s", mnt[c], conf->instance, name);
}

static int
need(int c, const char *name, const char *what, struct vs_err *err)
{
	if (mnt[c])
		return 0;
	return vs_err_set(err, ENOTSUP, "cgroup '%s': cannot set %s: no %s "
	    "cgroup hierarchy mounted", name, what, cname[c]);
}

static int
put(const struct vs_conf *conf, int c, const char *name, const char *file,
    long long v, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, c, name);

	if (cg_write(dir, file, "%lld", v) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot write %s/%s '%lld'",
		    name, dir, file, v);
	return 0;
}

static int
apply_limits(const struct vs_conf *conf, const char *name,
    const struct vs_limits *l, struct vs_err *err)
{
	_cleanup_free_ char *dir = NULL;
	long long bytes = l->memory_mb ? l->memory_mb * 1024 * 1024 : -1;

	if (l->memory_mb && need(C_MEMORY, name, "memory_max", err) < 0)
		return -1;
	if (mnt[C_MEMORY]) {
		int memsw;

		dir = vs_dir(conf, C_MEMORY, name);
		memsw = cg_file_exists(dir, "memory.memsw.limit_in_bytes");
		/* memsw must stay >= the limit: open it, set the limit, then
		 * close it to the same value so swap adds nothing */
		if (memsw && put(conf, C_MEMORY, name,
		    "memory.memsw.limit_in_bytes", -1, err) < 0)
			return -1;
		if (put(conf, C_MEMORY, name, "memory.limit_in_bytes", bytes,
		    err) < 0)
			return -1;
		if (memsw && bytes > 0 && put(conf, C_MEMORY, name,
		    "memory.memsw.limit_in_bytes", bytes, err) < 0)
			return -1;
	}
	if (l->pids && need(C_PIDS, name, "pids_max", err) < 0)
		return -1;
	if (mnt[C_PIDS]) {
		free(dir);
		dir = vs_dir(conf, C_PIDS, name);
		if (l->pids) {
			if (put(conf, C_PIDS, name, "pids.max", l->pids,
			    err) < 0)
				return -1;
		} else if (cg_write(dir, "pids.max", "max") < 0)
			return vs_err_sys(err, "cgroup '%s': cannot write "
			    "%s/pids.max 'max'", name, dir);
	}
	if ((l->cpu_weight || l->cpu_percent) &&
	    need(C_CPU, name, "cpu limits", err) < 0)
		return -1;
	if (mnt[C_CPU]) {
		/* v2 weight 100 (default) == v1 1024 shares; min 2 */
		long long shares = l->cpu_weight ?
		    l->cpu_weight * 1024 / 100 : 1024;

		if (put(conf, C_CPU, name, "cpu.shares", shares < 2 ? 2 :
		    shares, err) < 0 ||
		    put(conf, C_CPU, name, "cpu.cfs_period_us", 100000,
		    err) < 0 ||
		    put(conf, C_CPU, name, "cpu.cfs_quota_us", l->cpu_percent ?
		    l->cpu_percent * 1000 : -1, err) < 0)
			return -1;
	}
	if (mnt[C_BLKIO]) {
		/* v1 weights run 10..1000 (default 500), v2's 1..10000
		 * (default 100); only the CFQ/BFQ schedulers have one */
		long long w = l->io_weight ? l->io_weight * 5 : 500;
		const char *file;

		free(dir);
		dir = vs_dir(conf, C_BLKIO, name);
		file = cg_file_exists(dir, "blkio.weight") ? "blkio.weight" :
		    cg_file_exists(dir, "blkio.bfq.weight") ?
		    "blkio.bfq.weight" : NULL;
		w = w < 10 ? 10 : w > 1000 ? 1000 : w;
		if (file && put(conf, C_BLKIO, name, file, w, err) < 0)
			return -1;
		if (!file && l->io_weight)
			log_debug("%s: no blkio weight file, io_weight "
			    "ignored", __func__);
	}
	return 0;
}

int
cg1_create(const struct vs_conf *conf, const char *name,
    const struct vs_limits *lim, struct vs_err *err)
{
	int c;

	for (c = 0; c < C_N; c++) {
		_cleanup_free_ char *parent = NULL, *dir = NULL;

		if (!mnt[c] || first_of(c) != c)
			continue;
		parent = xasprintf("%s/freevsd-%s", mnt[c], conf->instance);
		dir = vs_dir(conf, c, name);
		if (cg_mkdir(parent) < 0 || cg_mkdir(dir) < 0)
			return vs_err_sys(err, "cgroup: cannot create '%s'",
			    dir);
	}
	return apply_limits(conf, name, lim, err);
}

int
cg1_attach(const struct vs_conf *conf, const char *name, pid_t pid,
    struct vs_err *err)
{
	int c;

	for (c = 0; c < C_N; c++) {
		_cleanup_free_ char *dir = NULL;

		if (!mnt[c] || first_of(c) != c)
			continue;
		dir = vs_dir(conf, c, name);
		if (cg_write(dir, "cgroup.procs", "%d", (int)pid) < 0)
			return vs_err_sys(err, "cgroup '%s': cannot move pid "
			    "%d into '%s'", name, (int)pid, dir);
	}
	return 0;
}

/* The hierarchy whose cgroup.procs we trust: every VS process is in all
 * of them, so prefer the one we also freeze through. */
static int
list_controller(void)
{
	return mnt[C_FREEZER] ? C_FREEZER : mnt[C_PIDS] ? C_PIDS : C_MEMORY;
}

int
cg1_procs(const struct vs_conf *conf, const char *name, pid_t **pids,
    size_t *n, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_dir(conf, list_controller(), name);

	if (cg_read_procs(dir, pids, n) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot read '%s/"
		    "cgroup.procs'", name, dir);
	return 0;
}

static int
k_freeze(void *ctx, int on)
{
	return cg_write(ctx, "freezer.state", on ? "FROZEN" : "THAWED");
}

static int
k_procs(void *ctx, pid_t **pids, size_t *n)
{
	return cg_read_procs(ctx, pids, n);
}

int
cg1_kill(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	int c = list_controller();
	_cleanup_free_ char *dir = vs_dir(conf, c, name);
	struct cg_killer k = { dir, c == C_FREEZER ? k_freeze : NULL, k_procs };
	int r;

	r = cg_kill_loop(&k, name, err);
	if (r < 0)
		return -1;
	/* stragglers in hierarchies the VS was only partly attached to
	 * (a crash between two attach writes) */
	for (c = 0; c < C_N; c++) {
		_cleanup_free_ char *d = NULL;
		struct cg_killer k2 = { NULL, NULL, k_procs };

		if (!mnt[c] || first_of(c) != c || c == list_controller())
			continue;
		d = vs_dir(conf, c, name);
		k2.ctx = d;
		if (cg_kill_loop(&k2, name, err) < 0)
			return -1;
	}
	return 0;
}

int
cg1_remove(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	int c;

	for (c = 0; c < C_N; c++) {
		_cleanup_free_ char *parent = NULL, *dir = NULL;

		if (!mnt[c] || first_of(c) != c)
			continue;
		dir = vs_dir(conf, c, name);
		if (cg_rmdir(dir) < 0)
			return vs_err_sys(err, "cgroup '%s': cannot remove "
			    "'%s'", name, dir);
		parent = xasprintf("%s/freevsd-%s", mnt[c], conf->instance);
		if (rmdir(parent) < 0 && errno != ENOENT && errno != EBUSY &&
		    errno != ENOTEMPTY)
			log_debug("%s: rmdir %s: %s", __func__, parent,
			    strerror(errno));
	}
	return 0;
}

int
cg1_usage(const struct vs_conf *conf, const char *name,
    struct vs_cgroup_usage *u, struct vs_err *err)
{
	struct vs_cgroup_usage r = { -1, -1, -1, -1, -1, -1 };
	_cleanup_free_ char *any = vs_dir(conf, list_controller(), name);
	long long v;

	if (access(any, F_OK) < 0)
		return vs_err_sys(err, "cgroup '%s': cannot access '%s'", name,
		    any);
	if (mnt[C_MEMORY]) {
		_cleanup_free_ char *d = vs_dir(conf, C_MEMORY, name);

		if (cg_read_ll(d, "memory.usage_in_bytes", &v) == 0)
			r.memory_bytes = v;
		/* "no limit" reads as PAGE_COUNTER_MAX pages in bytes */
		if (cg_read_ll(d, "memory.limit_in_bytes", &v) == 0)
			r.memory_max = v >= (INT64_MAX / 2) ? 0 : v;
		if (cg_read_key(d, "memory.oom_control", "oom_kill", &v) == 0)
			r.oom_kills = v;
	}
	if (mnt[C_PIDS]) {
		_cleanup_free_ char *d = vs_dir(conf, C_PIDS, name);

		if (cg_read_ll(d, "pids.current", &v) == 0)
			r.pids = v;
		if (cg_read_ll(d, "pids.max", &v) == 0)
			r.pids_max = v;
	}
	if (mnt[C_CPUACCT]) {
		_cleanup_free_ char *d = vs_dir(conf, C_CPUACCT, name);

		if (cg_read_ll(d, "cpuacct.usage", &v) == 0)
			r.cpu_usec = v / 1000;
	}
	*u = r;
	return 0;
}
