/* fswalk.h - a safe, fd-relative walk of an untrusted directory tree.
 *
 * vs_fswalk() visits everything below a directory fd, depth first, names
 * of each directory in byte order (strcmp), so two walks of equal trees
 * visit in the same order.  It never follows a symlink (every open is
 * O_NOFOLLOW, directories are opened with O_DIRECTORY and checked against
 * the stat that named them), never descends into another mount (st_dev and
 * the statx mount id are compared with the start directory's), and stops
 * with ELOOP below VS_FSWALK_MAXDEPTH levels.  It builds no path string for
 * the kernel: the path handed to the callback is for messages, manifests
 * and pattern matching only.
 *
 * Descriptor use: one fd per directory level being walked (at most
 * VS_FSWALK_MAXDEPTH + a few).  Memory: the names of one directory per
 * level.
 */
#ifndef VS_FSWALK_H
#define VS_FSWALK_H

#include <sys/stat.h>

#include "err.h"

#define VS_FSWALK_MAXDEPTH	256

struct vs_fswalk_ent {
	int dirfd;		/* the parent directory (borrowed) */
	const char *name;	/* entry name in dirfd */
	const char *path;	/* path relative to the start, "usr/bin/ls" */
	const struct stat *st;	/* lstat of the entry (for directories the
				 * fstat of the opened directory) */
	int fd;			/* directories: an O_DIRECTORY fd of this
				 * directory (borrowed, valid during the
				 * callback); -1 for everything else */
	int depth;		/* 1 for entries of the start directory */
	int post;		/* 1 on the VS_FSWALK_POST visit */
	int mount;		/* 1: a directory on another mount (or one
				 * we could not open as ours); it is reported
				 * with fd -1 and never entered */
};

/* Callback return values: 0 continue, VS_FSWALK_SKIP do not enter this
 * directory (ignored for non-directories and post visits), -1 abort the
 * walk (fill err; vs_fswalk returns -1 with errno kept). */
#define VS_FSWALK_SKIP	1

typedef int (*vs_fswalk_fn)(void *ctx, const struct vs_fswalk_ent *e,
    struct vs_err *err);

/* flags */
#define VS_FSWALK_POST	0x1	/* also call fn after a directory's entries,
				 * with post = 1 (for bottom-up work: chmod,
				 * rmdir, timestamps) */

/*
 * Walk the entries below dirfd (dirfd itself is not reported).  Entries
 * that vanish during the walk (ENOENT) are skipped silently.  Returns 0, or
 * -1 with errno set and err filled ("'usr/lib': Permission denied").
 */
int vs_fswalk(int dirfd, vs_fswalk_fn fn, void *ctx, unsigned flags,
    struct vs_err *err);

/* Mount id of fd (statx STATX_MNT_ID); -1 with errno if unavailable. */
int vs_fswalk_mnt_id(int fd, unsigned long long *id);

#endif
