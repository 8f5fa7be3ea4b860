/* snap_int.h - internals shared by the snap_*.c files (not an API).
 *
 * snap_io.c owns the archive container: zstd frames (libzstd, so that we
 * control threads, checksums and the decompression budget), the pax tar
 * stream (libarchive) inside them, member digests and the seal, the
 * header and skeleton-list members.  The other files build on
 * struct snap_writer and struct snap_reader.
 */
#ifndef VS_SNAP_INT_H
#define VS_SNAP_INT_H

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <zstd.h>

#include "hash.h"
#include "snap.h"

#define SNAP_HEADER	"vsnap/header"
#define SNAP_SKEL	"vsnap/skel"
#define SNAP_SEAL	"vsnap/seal"
#define SNAP_ROOT	"root"		/* the tree: "root", "root/etc"... */

#define SNAP_META_MAX	(1 << 20)	/* header and seal members */
#define SNAP_SKEL_MAX	(256 << 20)	/* the skeleton list member */
#define SNAP_DEF_ENTRIES	10000000LL
#define SNAP_PATH_MAX	4096

/* One file of the skeleton list: 'l' still the skeleton's inode (re-link
 * it), 'c' a private copy with the skeleton file's content (re-create it
 * from the skeleton, with the owner, mode and times listed here). */
struct snap_skelent {
	char *path;			/* relative to the VS root */
	unsigned char sha[VS_HASH_LEN];
	long long size;
	int stored;			/* its data is in the tree too (full) */
	char kind;			/* 'l' or 'c' */
	unsigned mode;			/* 'c': & 07777 */
	long long uid, gid;		/* 'c': relative to the VS */
	long long mtime, mtime_ns;	/* 'c' */
	int state;			/* restore: SNAP_SK_* */
};

enum { SNAP_SK_UNCHECKED, SNAP_SK_OK, SNAP_SK_CHANGED, SNAP_SK_MISSING };

struct snap_skellist {
	struct snap_skelent *e;
	size_t n, alloc;
};

/* Progress, rate-limited to a few calls a second. */
struct snap_progress {
	vs_snap_progress_fn fn;
	void *ctx;
	long long total;
	struct timespec last;
};
void snap_progress(struct snap_progress *p, long long done, int force);

/* ---- writing -------------------------------------------------------- */

/* snap_hashq.c: member digests on a thread of their own.  Messages go in
 * order: begin (the digest line), data, end (the member's name); end
 * appends "HEX NAME" to the seal buffer given to _new.  File data is read
 * straight into _space() (blocks while the pool is used up) and handed
 * over with _commit(n); _data() copies.  _finish() waits for the thread
 * (the seal is complete afterwards) and fails if hashing failed. */
struct snap_hashq;
struct snap_hashq *snap_hashq_new(struct vs_buf *seal, struct vs_err *err);
void snap_hashq_begin(struct snap_hashq *q, const char *line);
unsigned char *snap_hashq_space(struct snap_hashq *q, size_t *room);
void snap_hashq_commit(struct snap_hashq *q, size_t n);
void snap_hashq_data(struct snap_hashq *q, const void *data, size_t len);
void snap_hashq_end(struct snap_hashq *q, const char *name);
int snap_hashq_finish(struct snap_hashq *q, struct vs_err *err);
void snap_hashq_free(struct snap_hashq *q);

void snap_hashq_digest(struct snap_hashq *q,
    const unsigned char d[VS_HASH_LEN], const char *name);

#define SNAP_STAGE	(64 << 10)	/* small writes gathered for zstd */

/* The line a member's seal digest starts with (FORMAT.md). */
void snap_digest_line(struct archive_entry *e, struct vs_buf *l);

/* snap_prep.c: the entries of a save, prepared ahead of the writer by a
 * few threads (see there).  The walk fills path, target, st and skel
 * (fd -1); snap_prep_wait(i), in order, returns with e (NULL: the object
 * is gone or was replaced, skip it), fd (a regular file above the small
 * size, to be streamed) or data + digest (a small file's content and its
 * member digest, hashed = 1) filled, or fails with the item's error;
 * snap_prep_done(i) releases them.  Items that are skeleton inodes are
 * only prepared when full. */
struct snap_item {
	char *path;
	char *target;			/* symlink */
	struct stat st;
	int skel;			/* index + 1 into the skeleton list */
	int skel_symlink;		/* the skeleton's symlink inode
					 * (clone.h) */
	/* filled by the preparation */
	struct archive_entry *e;
	int fd;
	unsigned char *data;
	void *chunk;			/* where data lives (snap_prep.c) */
	unsigned char digest[VS_HASH_LEN];
	int hashed;
	int errnum;
	char *errmsg;
	int ready;
};

struct snap_prep;
struct snap_prep *snap_prep_start(struct snap_item *it, size_t n,
    int rootfd, long long base, long long count, int full,
    struct vs_err *err);
int snap_prep_wait(struct snap_prep *p, size_t i, struct vs_err *err);
void snap_prep_done(struct snap_prep *p, size_t i);
void snap_prep_stop(struct snap_prep *p);

struct snap_writer {
	int fd;
	ZSTD_CCtx *cctx;
	unsigned char *zbuf;
	size_t zcap;
	struct archive *a;
	struct archive_entry_linkresolver *lr;
	struct vs_buf seal;		/* "hex path" per member so far */
	struct snap_hashq *hq;		/* digests, until the seal */
	struct vs_hash h;		/* the seal member's own digest */
	int in_member;
	int prehashed;			/* current member's digest is known */
	unsigned char digest[VS_HASH_LEN];
	char *mpath;			/* name of the current member */
	long long entries, data_bytes, skel_files;
	long long written;		/* compressed bytes */
	long long flushed;		/* of which writeback was started */
	long long done;			/* member data bytes, for progress */
	struct snap_progress prog;
	int ioerr;			/* errno of a failed write callback */
	unsigned char *stage;		/* small writes, SNAP_STAGE bytes */
	size_t staged;
};

int snap_writer_open(struct snap_writer *w, int fd, int level, int threads,
    struct vs_err *err);
/* Write a member's header (after hard-link resolution when the entry has
 * nlink > 1 and dev/ino set: it may turn into a link to an earlier one,
 * then *is_link = 1 and no data may follow). */
int snap_writer_begin(struct snap_writer *w, struct archive_entry *e,
    int *is_link, struct vs_err *err);
/* The same for a member whose digest (of e's line and the data to come)
 * was computed already: the data is then not hashed again.  Unless it
 * turns into a hard link, whose digest is computed as usual. */
int snap_writer_begin_hashed(struct snap_writer *w, struct archive_entry *e,
    const unsigned char digest[VS_HASH_LEN], int *is_link,
    struct vs_err *err);
int snap_writer_data(struct snap_writer *w, const void *buf, size_t len,
    struct vs_err *err);
int snap_writer_end(struct snap_writer *w, struct vs_err *err);
/* Copy size bytes of fd (holes as zeros: the pax writer drops them again
 * where the entry carries a sparse map). */
int snap_writer_copy_fd(struct snap_writer *w, int fd, long long size,
    const char *what, struct vs_err *err);
int snap_writer_add_mem(struct snap_writer *w, const char *path,
    const void *data, size_t len, time_t mtime, struct vs_err *err);
/* Seal, close the tar and the zstd stream, fsync. */
int snap_writer_finish(struct snap_writer *w, struct vs_err *err);
void snap_writer_release(struct snap_writer *w);

/* Add the sparse map of fd (SEEK_DATA/SEEK_HOLE) to e; no-op if dense. */
void snap_entry_sparse(struct archive_entry *e, int fd, long long size);

/* ---- reading -------------------------------------------------------- */

struct snap_reader {
	int fd;
	ZSTD_DCtx *dctx;
	unsigned char *in;
	unsigned char *outb[2];		/* decompressed blocks alternate
					 * between these, so the last two
					 * handed to libarchive stay
					 * readable (check_tail) */
	size_t outlen[2];
	int cur;
	ZSTD_inBuffer zin;
	size_t zin_cap;
	int zeof, frame_open;
	long long raw;			/* decompressed bytes handed over */
	long long comp;			/* compressed bytes read */
	long long file_size;
	struct archive *a;
	struct archive_entry *e;
	char zerr[256];			/* failure inside the read callback */
	int zerrno;

	struct vs_snap_info info;
	struct snap_skellist skel;
	struct vs_buf seal;		/* computed */
	struct vs_hash h;
	int in_member;
	char *mpath;			/* name of the current member */
	long long mpos;			/* logical bytes hashed of member */
	long long msize;
	const char *path;		/* current tree entry, relative
					 * ("" = the root itself) */
	long long max_bytes, max_entries;
	long long declared;		/* sum of declared sizes so far */
	long long entries, data_bytes;
	long long uid_count;		/* owners must be below this */
	unsigned flags;
	int extracting;			/* restore: fifos need consent */
	int state;			/* 0 tree, 1 sealed */
	struct snap_progress prog;
};

/*
 * Open the archive on fd (which the reader owns from now on, even on
 * failure), read and check the header and the skeleton list.  uid_count 0
 * means the header's.  headers_only: stop after the header (list).
 */
int snap_reader_open(struct snap_reader *r, int fd,
    const struct vs_snap_opts *opts, long long uid_count, int headers_only,
    struct vs_err *err);
/* Next tree entry: 1 (r->e, r->path valid), 0 at the end (seal checked),
 * -1 on error.  Every entry returned passed the checks of snap_io.c. */
int snap_reader_next(struct snap_reader *r, struct vs_err *err);
/* Data of the current entry: 1 with a block, 0 at its end, -1. */
int snap_reader_data(struct snap_reader *r, const void **buf, size_t *len,
    long long *off, struct vs_err *err);
void snap_reader_release(struct snap_reader *r);

/* The entry of the skeleton list for path, or NULL. */
struct snap_skelent *snap_skel_find(struct snap_skellist *l,
    const char *path);
void snap_skel_release(struct snap_skellist *l);

/* ---- helpers -------------------------------------------------------- */

/* "state_root/snapshots/NAME" (heap). */
char *snap_dir(const struct vs_conf *conf, const char *name);
/* Is id a well-formed snapshot id? */
int snap_valid_id(const char *id);
/* Open and read the header of an archive file. */
int snap_read_info(int dirfd, const char *file, struct vs_snap_info *info,
    struct vs_err *err);
/* Bytes available on the filesystem of fd (the default data budget). */
long long snap_free_bytes(int fd);
/* A relative path without empty, "." or ".." components? */
int snap_path_ok(const char *p);

/* openat2() of path beneath dirfd: no symlinks (a trailing one gives an
 * O_PATH fd of the link itself, which fails as a directory), no magic
 * links, no other mount; "" is dirfd itself.  An fd, or -1 with errno. */
/* The vsnap/header member's text for *in. */
void snap_header_format(const struct vs_snap_info *in, struct vs_buf *out);
/* state_root/state/skel/id (64 hex digits) into id, "" if none. */
void snap_skel_id(const struct vs_conf *conf, char id[65]);
/* Remove ".tmp-*" leftovers of interrupted saves in a store directory. */
void snap_clean_tmp(int dirfd);
/* An fd of state_root/snapshots/NAME (created, mode 0700, if create). */
int snap_store_open(const struct vs_conf *conf, const char *name,
    int create, struct vs_err *err);
/* Create ".tmp-PID-RANDOM" in dirfd (O_EXCL, 0600); *tmpname is heap. */
int snap_tmp_create(int dirfd, char **tmpname, struct vs_err *err);
/* An fd of the directory of path (a host path given by the admin) and
 * its last component in *base (borrowed from path). */
int snap_open_parent(const char *path, const char **base,
    struct vs_err *err);
/* One line of the skeleton list (FORMAT.md). */
void snap_skel_line(struct vs_buf *out, const struct snap_skelent *k);

#endif
