/* vsfs.h - the filesystem a VS sees: its root with fresh /proc, a minimal
 * /dev, read-only /sys, tmpfs /run and /tmp, /run/vsd from the host; then
 * pivot_root into it with the old root detached.
 *
 * Runs in the start-up child after clone(CLONE_NEWNS|CLONE_NEWPID...), as
 * host root (the mount namespace belongs to the host's user namespace, so
 * the VS's root can neither mount nor unmount anything in it), after the
 * child joined the VS's network namespace (sysfs is mounted for it) and
 * before it creates the VS's user namespace.  Every path inside the VS
 * root is resolved under it with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS): the VS's root owns those directories.
 */
#ifndef VS_PRIV_VSFS_H
#define VS_PRIV_VSFS_H

#include "conf.h"
#include "err.h"
#include "state.h"

struct vs_fs_spec {
	const char *root;	/* host path of the VS root: reopened in the
				 * new mount namespace (a fd from the old one
				 * names the old mounts) */
	int rootfd;		/* the same, opened earlier: must match */
	const char *vsd_dir;	/* host dir bind-mounted at /run/vsd, or NULL */
	long long uid_base;	/* host uid (and gid) of the VS's root */
	long long run_mb, tmp_mb;	/* tmpfs sizes */
	const char *const *tools;	/* host files bind-mounted read-only at
				 * /run/vsd/bin/<basename> (NULL-terminated;
				 * may be NULL) */
};

/* Build the tree and pivot_root into it; cwd is "/" afterwards. */
int vs_fs_enter(const struct vs_fs_spec *s, struct vs_err *err);

#endif
