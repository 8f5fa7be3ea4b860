/* cgroup_impl.h - what cgroup.c shares with its two backends (private to
 * src/lib/priv/cgroup*.c; the public interface is cgroup.h). */
#ifndef VS_PRIV_CGROUP_IMPL_H
#define VS_PRIV_CGROUP_IMPL_H

#include <sys/types.h>

#include "buf.h"
#include "priv/cgroup.h"

/* Mount point of the first mount of fstype whose super options hold opt
 * as a comma-separated word (opt NULL: any).  Heap, or NULL. */
char *cg_find_mount(const char *fstype, const char *opt);

/* dir/file I/O; files under a cgroup mount are the host's own, but we
 * still refuse to follow symlinks there. */
int cg_write(const char *dir, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cg_read(const char *dir, const char *file, struct vs_buf *out);
/* A number, or "max" -> 0 (no limit). */
int cg_read_ll(const char *dir, const char *file, long long *v);
/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events). */
int cg_read_key(const char *dir, const char *file, const char *key,
    long long *v);
int cg_file_exists(const char *dir, const char *file);
/* The pids in dir/cgroup.procs, sorted. */
int cg_read_procs(const char *dir, pid_t **pids, size_t *n);
/* mkdir that accepts EEXIST. */
int cg_mkdir(const char *path);
/* rmdir, retried while the kernel still holds the cgroup (EBUSY) for up
 * to a second; ENOENT is success. */
int cg_rmdir(const char *path);

/* The freeze-kill-thaw loop used where the kernel has no cgroup.kill. */
struct cg_killer {
	void *ctx;
	int (*freeze)(void *ctx, int on);	/* may be NULL */
	int (*procs)(void *ctx, pid_t **pids, size_t *n);
};
int cg_kill_loop(const struct cg_killer *k, const char *what,
    struct vs_err *err);

/* Wait (up to ~10 s) until procs reports an empty cgroup. */
int cg_wait_empty(const struct cg_killer *k, const char *what,
    struct vs_err *err);

/* Backends: same contracts as the vs_cgroup_* functions. */
int cg1_available(void);
int cg1_create(const struct vs_conf *, const char *, const struct vs_limits *,
    struct vs_err *);
int cg1_attach(const struct vs_conf *, const char *, pid_t, struct vs_err *);
int cg1_procs(const struct vs_conf *, const char *, pid_t **, size_t *,
    struct vs_err *);
int cg1_kill(const struct vs_conf *, const char *, struct vs_err *);
int cg1_remove(const struct vs_conf *, const char *, struct vs_err *);
int cg1_usage(const struct vs_conf *, const char *, struct vs_cgroup_usage *,
    struct vs_err *);

/* 2 = v2 root with memory and pids, 1 = v2 root without them, 0 = none */
int cg2_available(void);
int cg2_create(const struct vs_conf *, const char *, const struct vs_limits *,
    struct vs_err *);
int cg2_attach(const struct vs_conf *, const char *, pid_t, struct vs_err *);
int cg2_open(const struct vs_conf *, const char *, struct vs_err *);
int cg2_procs(const struct vs_conf *, const char *, pid_t **, size_t *,
    struct vs_err *);
int cg2_kill(const struct vs_conf *, const char *, struct vs_err *);
int cg2_remove(const struct vs_conf *, const char *, struct vs_err *);
int cg2_usage(const struct vs_conf *, const char *, struct vs_cgroup_usage *,
    struct vs_err *);

#endif
