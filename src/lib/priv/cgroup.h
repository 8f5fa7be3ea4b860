/* cgroup.h - one cgroup per VS, with resource limits, on v2 or v1.
 *
 * Each VS gets the cgroup "freevsd-<instance>/<name>": under the cgroup2
 * root (v2 backend), or under every v1 hierarchy we use (memory, pids, cpu,
 * cpuacct, blkio, freezer; those that are mounted).  The backend is chosen
 * once per process: v2 when the unified hierarchy offers the memory and
 * pids controllers, v1 otherwise.  $VSD_CGROUP=v1|v2 forces one (tests).
 *
 * Limits (struct vs_limits, 0 = none) map to:
 *   memory_mb    v2 memory.max (+ memory.swap.max 0)
 *                v1 memory.limit_in_bytes (+ memsw.limit_in_bytes, same)
 *   pids         pids.max
 *   cpu_weight   v2 cpu.weight; v1 cpu.shares = weight * 1024 / 100
 *   cpu_percent  v2 cpu.max "quota 100000"; v1 cpu.cfs_quota_us
 *   io_weight    v2 io.weight; v1 blkio.weight / blkio.bfq.weight when the
 *                host's I/O scheduler offers one (silently absent otherwise)
 * Swap is never granted, so a memory limit is a limit.
 *
 * Every function: 0 (or >= 0) on success, -1 with errno and *err set on
 * failure.  Callers serialise per VS (the VS lock of state.h); functions
 * are safe to call in a forked child before exec (no locks of their own,
 * but they allocate: do not call them after clone() without exec in a
 * multi-threaded parent).
 */
#ifndef VS_PRIV_CGROUP_H
#define VS_PRIV_CGROUP_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"

enum vs_cgroup_backend {
	VS_CGROUP_NONE = 0,	/* no usable cgroup hierarchy */
	VS_CGROUP_V1,
	VS_CGROUP_V2,
};

/* The backend this process uses (detected on first call). */
enum vs_cgroup_backend vs_cgroup_backend(void);
/* "v1", "v2" or "none". */
const char *vs_cgroup_backend_name(enum vs_cgroup_backend b);

/*
 * Create the VS's cgroup (and the instance's parent) if missing and apply
 * lim (NULL: vs_conf_limits_for(conf, name)).  Idempotent: on an existing
 * cgroup it re-applies the limits, so it also serves to change them.
 */
int vs_cgroup_create(const struct vs_conf *conf, const char *name,
    const struct vs_limits *lim, struct vs_err *err);

/* Move pid (a whole process) into the VS's cgroup(s).  pid 0 = caller. */
int vs_cgroup_attach(const struct vs_conf *conf, const char *name,
    pid_t pid, struct vs_err *err);

/*
 * v2 only: an O_DIRECTORY fd of the VS's cgroup, for clone3()'s
 * CLONE_INTO_CGROUP.  -1 with ENOTSUP on v1 (use vs_cgroup_attach).
 */
int vs_cgroup_open(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/*
 * The processes in the VS's cgroup (host pids, sorted).  *pids is heap,
 * the caller frees it; both outputs untouched on failure.  A missing
 * cgroup is ENOENT.
 */
int vs_cgroup_procs(const struct vs_conf *conf, const char *name,
    pid_t **pids, size_t *n, struct vs_err *err);

/*
 * Kill every process of the VS and wait until the cgroup is empty
 * (cgroup.kill on v2 where the kernel has it; else freeze, SIGKILL each,
 * thaw, repeat; $VSD_CGROUP_NOKILL forces that fallback, for tests).  A
 * missing cgroup counts as empty.  Fails with ETIMEDOUT if processes
 * survive ~10 s (e.g. stuck in uninterruptible sleep).
 */
int vs_cgroup_kill(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/*
 * Kill what is left (vs_cgroup_kill) and remove the VS's cgroup(s);
 * the instance's parent goes too when it has no other child.
 * Idempotent: nothing to remove is success.
 */
int vs_cgroup_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/* What the VS uses now; -1 in a field the backend cannot tell. */
struct vs_cgroup_usage {
	long long memory_bytes;		/* current, incl. page cache */
	long long memory_max;		/* limit in bytes, 0 = none */
	long long pids;			/* tasks now */
	long long pids_max;		/* 0 = none */
	long long cpu_usec;		/* CPU time consumed */
	long long oom_kills;		/* processes OOM-killed in it */
};

int vs_cgroup_usage(const struct vs_conf *conf, const char *name,
    struct vs_cgroup_usage *u, struct vs_err *err);

#endif
