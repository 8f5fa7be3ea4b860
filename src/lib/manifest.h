/* manifest.h - the list of every object in a skeleton tree.
 *
 * A manifest is an array of entries sorted by path (strcmp on the bytes),
 * one per file, directory, symlink, device, FIFO or socket below a root
 * directory (the root itself is not listed).  Paths are relative ("usr/bin/ls"),
 * never start with '/', never contain "." or ".." components or empty ones.
 *
 * On-disk text format (state_root/state/skel/manifest), one entry a line:
 *
 *     freevsd-manifest 1
 *     TYPE MODE UID GID SIZE MTIME SHA256 PATH [EXTRA]
 *
 * TYPE is one of f d l c b p s (regular, directory, symlink, char device,
 * block device, FIFO, socket); MODE the permission bits in octal (07777
 * mask, set-id and sticky bits included); UID, GID, SIZE, MTIME (seconds)
 * decimal (SIZE and MTIME are 0 for directories); SHA256 64 hex digits for regular files, "-" otherwise; EXTRA is
 * the symlink target for "l" and "MAJOR,MINOR" for "c"/"b", absent for the
 * rest.  In PATH and in a symlink target every byte <= 0x20, >= 0x7f and
 * the backslash are written as \xHH, so any name round-trips and fields
 * never contain spaces.  Lines are in path order; _load() refuses unsorted
 * or duplicate paths and names the offending line.
 *
 * The skeleton manifest (state_root/state/skel/manifest) records the modes
 * of the *source* system, write bits included: that is the mode a VS's own
 * copy (and every VS directory) gets.  The skeleton's inodes themselves
 * carry MODE & ~0222; vsdskel check accepts exactly that difference.
 *
 * In memory an entry also carries st_dev/st_ino of the object it was built
 * from (0 after _load()): update uses them to tell a VS file that is still
 * the skeleton's inode from one the VS replaced.
 */
#ifndef VS_MANIFEST_H
#define VS_MANIFEST_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

struct vs_mentry {
	char *path;			/* heap, owned by the manifest */
	char type;			/* 'f' 'd' 'l' 'c' 'b' 'p' 's' */
	mode_t mode;			/* & 07777 */
	uid_t uid;
	gid_t gid;
	long long size;
	long long mtime;
	int has_hash;			/* regular files built with hashing */
	unsigned char sha256[VS_HASH_LEN];
	char *target;			/* symlink target (heap) or NULL */
	unsigned rdev_major, rdev_minor;
	dev_t dev;			/* in memory only */
	ino_t ino;			/* in memory only */
};

struct vs_manifest {
	struct vs_mentry *e;
	size_t n, alloc;
};

#define VS_MANIFEST_INIT { NULL, 0, 0 }

/* vs_manifest_build() flags */
#define VS_MANIFEST_NOHASH	0x1	/* skip content hashes (faster) */

/*
 * Walk rootfd with vs_fswalk() (no symlinks followed, no other mounts) and
 * fill *m, which must be empty (VS_MANIFEST_INIT).  Objects on another
 * mount are an error (EXDEV): a skeleton is one filesystem.  On failure *m
 * is left empty.
 */
int vs_manifest_build(int rootfd, unsigned flags, struct vs_manifest *m,
    struct vs_err *err);

/* Read / write the text format.  _save() writes name.tmp in dirfd, fsyncs
 * and renames it to name (atomic), mode 0644.  _load() fills an empty *m
 * and leaves it empty on failure; err reads "manifest:12: bad mode". */
int vs_manifest_load(int dirfd, const char *name, struct vs_manifest *m,
    struct vs_err *err);
int vs_manifest_save(const struct vs_manifest *m, int dirfd,
    const char *name, struct vs_err *err);

/* Serialise / parse (what _save() writes and _load() reads).  _parse()
 * names errors after src. */
void vs_manifest_format(const struct vs_manifest *m, struct vs_buf *out);
int vs_manifest_parse(const char *src, const char *text, size_t len,
    struct vs_manifest *m, struct vs_err *err);

/* Hex SHA-256 of the serialised manifest: the skeleton's identity. */
int vs_manifest_id(const struct vs_manifest *m, char hex[VS_HASH_HEXLEN + 1],
    struct vs_err *err);

/* The entry for path (no leading '/'), or NULL.  Borrowed. */
const struct vs_mentry *vs_manifest_find(const struct vs_manifest *m,
    const char *path);

/* Append a copy of *e (path and target are duplicated); call
 * vs_manifest_sort() after the last add. */
void vs_manifest_add(struct vs_manifest *m, const struct vs_mentry *e);
/* Sort by path; returns -1 with EEXIST if a path is listed twice. */
int vs_manifest_sort(struct vs_manifest *m);

void vs_manifest_release(struct vs_manifest *m);

/* Fill e (path and target heap) from an lstat and, for symlinks, the
 * target read with readlinkat(dirfd, name); no hash. */
int vs_mentry_from_stat(struct vs_mentry *e, const char *path, int dirfd,
    const char *name, const struct stat *st, struct vs_err *err);
void vs_mentry_release(struct vs_mentry *e);

/* What differs between two entries of the same path (0 = nothing). */
#define VS_MDIFF_TYPE	0x01
#define VS_MDIFF_MODE	0x02
#define VS_MDIFF_OWNER	0x04
#define VS_MDIFF_SIZE	0x08
#define VS_MDIFF_HASH	0x10	/* only when both have hashes */
#define VS_MDIFF_TARGET	0x20	/* symlink target or device number */
#define VS_MDIFF_MTIME	0x40
unsigned vs_mentry_diff(const struct vs_mentry *a, const struct vs_mentry *b);
/* "type,mode,..." for a diff mask, for messages. */
void vs_mdiff_describe(unsigned what, struct vs_buf *out);

/*
 * Merge-walk two manifests in path order and call fn for every path that
 * is only in a (b == NULL), only in b (a == NULL), or in both with
 * vs_mentry_diff() & mask != 0.  fn returns 0 to go on, -1 to stop (then
 * vs_manifest_diff returns -1).
 */
typedef int (*vs_manifest_diff_fn)(void *ctx, const struct vs_mentry *a,
    const struct vs_mentry *b, unsigned what);
int vs_manifest_diff(const struct vs_manifest *a, const struct vs_manifest *b,
    unsigned mask, vs_manifest_diff_fn fn, void *ctx);

/* Escape / unescape a path or target as the format does. */
void vs_manifest_escape(struct vs_buf *out, const char *s);
int vs_manifest_unescape(struct vs_buf *out, const char *s);

#endif
