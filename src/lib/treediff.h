/* treediff.h - record a VS tree cheaply and diff two records.
 *
 * A record lists every entry below a root fd (vs_fswalk: fd-relative,
 * O_NOFOLLOW, one mount) with type, mode, owner, size, symlink target,
 * inode and ctime.  Contents are hashed lazily: files that are still
 * skeleton inodes (owned by host root: a VS cannot create those) are never
 * read when recorded, since a VS cannot change them in place; other
 * regular files are hashed when recorded with VS_TREE_HASH, and when a
 * later record sees the same inode with the same ctime it reuses the
 * earlier hash without reading.  So a record of a fresh VS reads only the
 * VS's own copies (/etc, /var), and a diff reads only what changed.
 *
 * Paths are absolute as seen inside the VS ("/etc/passwd").  Owners are
 * host ids; callers shift them into the VS's view.  All strings are owned
 * by the record.  Not thread-safe per record.
 */
#ifndef VS_TREEDIFF_H
#define VS_TREEDIFF_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define VS_TREE_HASHLEN	32

struct vs_tree_ent {
	char *path;		/* "/usr/bin/x" */
	char *link;		/* symlink target, else NULL */
	mode_t mode;		/* type and permission bits */
	uid_t uid;		/* host view */
	gid_t gid;
	off_t size;
	dev_t dev;
	ino_t ino;
	long long ctime_ns;
	int skel;		/* still a skeleton inode (host root owns it):
				 * a file or a shared symlink */
	int hashed;		/* hash is valid */
	unsigned char hash[VS_TREE_HASHLEN];
};

struct vs_tree {
	struct vs_tree_ent *ents;	/* sorted by path (strcmp) */
	size_t n, alloc;
};

#define VS_TREE_INIT { NULL, 0, 0 }

/* flags of vs_tree_record */
#define VS_TREE_HASH	0x1	/* hash regular files that are not skeleton
				 * inodes and not reusable from prev */

/*
 * Record everything below rootfd into *t (emptied first).  prev, if not
 * NULL, is an earlier record of the same tree: its hashes are reused for
 * unchanged inodes, and where a regular file of prev was replaced by
 * another inode both sides are hashed so the diff can tell a real change
 * from a rewrite with equal content: prev's skeleton inodes are read from
 * skelfd (the skeleton root, trusted; the inode must still match) when
 * skelfd >= 0.  Files larger than max_hash bytes are never hashed (size
 * and inode still tell a change).  Returns 0 or -1 (err).
 */
int vs_tree_record(struct vs_tree *t, int rootfd, struct vs_tree *prev,
    int skelfd, unsigned flags, off_t max_hash, struct vs_err *err);
void vs_tree_release(struct vs_tree *t);
const struct vs_tree_ent *vs_tree_find(const struct vs_tree *t,
    const char *path);

enum vs_tdiff_kind { VS_TDIFF_ADDED, VS_TDIFF_REMOVED, VS_TDIFF_CHANGED };

/* What changed (VS_TDIFF_CHANGED). */
#define VS_TDIFF_TYPE	0x01
#define VS_TDIFF_MODE	0x02
#define VS_TDIFF_OWNER	0x04
#define VS_TDIFF_CONTENT 0x08	/* size, hash or symlink target */
#define VS_TDIFF_INODE	0x10	/* replaced by another inode, same content */

struct vs_tdiff {
	enum vs_tdiff_kind kind;
	unsigned what;			/* VS_TDIFF_* bits when CHANGED */
	const struct vs_tree_ent *a;	/* before (NULL when added) */
	const struct vs_tree_ent *b;	/* after (NULL when removed) */
};

/*
 * Compare two records of one tree.  *out is a heap array (caller frees;
 * the entries point into a and b, which must outlive it), sorted by path.
 * Directory ctime/size changes alone (an entry added inside) are not
 * changes; a replaced inode with equal type, mode, owner and content only
 * sets VS_TDIFF_INODE, which callers usually ignore.
 * Files whose content could not be compared (not hashed) count as changed
 * when their size, inode or ctime differ.
 */
void vs_tree_diff(const struct vs_tree *a, const struct vs_tree *b,
    struct vs_tdiff **out, size_t *n);

/* Short word for a diff: "added", "removed", "changed". */
const char *vs_tdiff_kind_name(enum vs_tdiff_kind k);
/* "content,mode" etc. into buf (at least 48 bytes). */
void vs_tdiff_what(unsigned what, char *buf, size_t size);

#endif
