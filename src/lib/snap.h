/* snap.h - snapshots of VS roots: zstd-compressed pax tar archives.
 *
 * The format is specified in snapshots/FORMAT.md.  In short: a pax tar
 * (libarchive) in zstd frames; first member "vsnap/header" (format, VS,
 * skeleton identity), then "vsnap/skel" (files that were still skeleton
 * inodes: path and SHA-256 instead of their data, unless the snapshot is
 * full), then the tree under "root/", last "vsnap/seal" (SHA-256 of every
 * member, in order).  Owners are stored relative to the VS's uid range.
 *
 * Archives of VS NAME live in state_root/snapshots/NAME/ID.tar.zst; ID is
 * the UTC time of the save ("20261204T213000Z", a "-N" suffix if taken).
 * Every function returns 0 on success, -1 with errno set and err filled on
 * failure (err names the VS, snapshot or file).  errno EWOULDBLOCK/EAGAIN
 * means the VS's lock is held by another operation (a temporary failure).
 * None of them keeps state between calls; they fork (restore's extraction
 * runs in a child so the library never changes the caller's cwd) but are
 * not thread-safe with respect to a concurrent fork in the same process.
 * Save and export run threads of their own (zstd's workers; save also
 * snap_prep.c's readers and snap_hashq.c's hasher), all joined before
 * they return.
 *
 * Safety: every path inside a VS root or an archive is hostile.  Saving
 * walks the root fd-relative; restore extracts into a fresh tree beside
 * the live root with libarchive's ARCHIVE_EXTRACT_SECURE_* flags after our
 * own checks of each entry (see snap_restore.c), then swaps the trees with
 * one renameat2(RENAME_EXCHANGE), journaled as op "restore".
 */
#ifndef VS_SNAP_H
#define VS_SNAP_H

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "valid.h"

#define VS_SNAP_FORMAT		1	/* "format vsnap 1" in the header */
#define VS_SNAP_ID_MAX		40
#define VS_SNAP_MSG_MAX		512

/* Progress callback: done and total in bytes of file data (total 0 when
 * unknown).  Called at most a few times a second; never fails. */
typedef void (*vs_snap_progress_fn)(void *ctx, long long done,
    long long total);

/* Flags of struct vs_snap_opts. */
#define VS_SNAP_FULL		0x01	/* save: store skeleton files too */
#define VS_SNAP_RESTART		0x02	/* restore: stop a running VS, start
					 * it again afterwards */
#define VS_SNAP_USE_STORED	0x04	/* restore: skeleton changed since the
					 * save: keep the stored copies */
#define VS_SNAP_ACCEPT_SKEL	0x08	/* restore: skeleton changed: link the
					 * new skeleton files anyway */
#define VS_SNAP_ALLOW_FIFO	0x10	/* restore: create named pipes */

struct vs_snap_opts {
	unsigned flags;
	const char *message;		/* save: free text, may be NULL */
	const char *out_path;		/* save: write here instead of the
					 * store (-o FILE); NULL = store */
	long long max_bytes;		/* restore/import/verify: budget of
					 * file data (apparent sizes); 0 =
					 * free space of the target fs */
	long long max_entries;		/* same, entries; 0 = 10 million */
	vs_snap_progress_fn progress;	/* may be NULL */
	void *progress_ctx;
};

#define VS_SNAP_OPTS_INIT { 0, NULL, NULL, 0, 0, NULL, NULL }

/* What the header (and, once read, the seal) of an archive says. */
struct vs_snap_info {
	char id[VS_SNAP_ID_MAX + 1];
	char vs[VS_NAME_MAX + 1];	/* VS it was taken of */
	char message[VS_SNAP_MSG_MAX + 1];
	char skel_id[65];		/* skeleton identity, "" if none */
	int format;			/* VS_SNAP_FORMAT */
	int full;			/* skeleton files stored too */
	long long created;		/* unix time of the save */
	long long uid_count;		/* size of the VS's uid range */
	long long file_size;		/* bytes of the archive file */
	/* Filled by verify (from the seal), -1 when not read: */
	long long entries;		/* tree entries */
	long long data_bytes;		/* apparent bytes of file data */
	long long skel_files;		/* files listed as skeleton inodes */
};

/*
 * Save VS name.  The archive is written to a temporary name beside its
 * destination and renamed into place (a crash leaves only a ".tmp-*" file
 * that the next save or list removes).  *id_out (may be NULL) gets the
 * snapshot id; with opts->out_path the archive goes there and no id is
 * recorded in the store.
 */
int vs_snap_save(const struct vs_conf *conf, const char *name,
    const struct vs_snap_opts *opts, char id_out[VS_SNAP_ID_MAX + 1],
    struct vs_err *err);

/* The snapshots of VS name (NULL = of every VS), sorted by VS then time.
 * *out is heap (free()).  Only headers are read (fast). */
int vs_snap_list(const struct vs_conf *conf, const char *name,
    struct vs_snap_info **out, size_t *n, struct vs_err *err);

/*
 * Replace the root of VS name with snapshot id.  The VS must be stopped
 * (EBUSY otherwise) unless VS_SNAP_RESTART.  On any failure, kill -9
 * included, the VS is left exactly as it was; an interrupted restore's
 * temporary tree is removed by the next restore or by vs_reconcile().
 */
int vs_snap_restore(const struct vs_conf *conf, const char *name,
    const char *id, const struct vs_snap_opts *opts, struct vs_err *err);

int vs_snap_delete(const struct vs_conf *conf, const char *name,
    const char *id, struct vs_err *err);

/*
 * What changed in the live VS since snapshot id, one line per path into
 * out, sorted: "+ path" (added), "- path" (removed), "M path" (type,
 * mode, owner, size, times, content or link target differ).  Returns the
 * number of changed paths.
 */
long long vs_snap_diff(const struct vs_conf *conf, const char *name,
    const char *id, struct vs_buf *out, struct vs_err *err);

/* Copy snapshot id of VS name to path as a self-contained archive: the
 * skeleton files it only listed are stored (taken from the current
 * skeleton after checking their hashes). */
int vs_snap_export(const struct vs_conf *conf, const char *name,
    const char *id, const char *path, const struct vs_snap_opts *opts,
    struct vs_err *err);

/* Verify the archive at path and add it to the store of VS name (which
 * must exist); *id_out gets its id there. */
int vs_snap_import(const struct vs_conf *conf, const char *path,
    const char *name, const struct vs_snap_opts *opts,
    char id_out[VS_SNAP_ID_MAX + 1], struct vs_err *err);

/*
 * Read the whole archive at path (conf may be NULL): zstd checksums,
 * header, every entry's safety checks and the seal's digests.  *info (may
 * be NULL) is filled on success.
 */
int vs_snap_verify(const struct vs_conf *conf, const char *path,
    const struct vs_snap_opts *opts, struct vs_snap_info *info,
    struct vs_err *err);

/* Repair function of the journal's "restore" op (journal.h): removes the
 * temporary tree the entry names (the VS's root is whole either way). */
struct vs_journal_entry;
int vs_snap_repair_restore(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err);

#endif
