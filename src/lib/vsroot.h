/* vsroot.h - create, delete and inspect virtual servers (their roots and
 * records).
 *
 * A VS is a record (state.h) plus a root at state_root/vs/NAME: a tree of
 * directories owned by the VS holding hard links to skeleton files and
 * a few per-VS copies (clone.h says which).  Creation builds the root
 * under a temporary name (state_root/vs/.new-NAME-ID), writes the
 * per-VS accounts (accounts.h), renames it into place and then saves the
 * record; deletion renames the root away (.del-NAME-ID), removes the
 * record, then the tree.  Both are journaled (journal.h): after a crash
 * vs_reconcile() rolls an unfinished create back and an unfinished
 * delete forward.
 *
 * Locking: create and delete take the global lock, then the VS's lock
 * (vs_state_lock), in that order; callers must not hold either.
 * Arguments are validated here (valid.h) whoever the caller is.
 */
#ifndef VS_VSROOT_H
#define VS_VSROOT_H

#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "journal.h"
#include "state.h"

struct vs_create_req {
	const char *name;	/* vs_valid_name */
	const char *ip;		/* vs_valid_vs_ip, unique among VSs */
	const char *fqdn;	/* vs_valid_fqdn */
	long long quota_mb;	/* 0 = none; recorded for the quota area */
	long long number;	/* 1..max_servers, 0 = allocate the lowest free */
	long long nproc;	/* process limit, 0 = vsd.conf's */
	int disposable;		/* a vstry VS: reconcile removes it */
	int workers;		/* clone threads, 0 = one per CPU (max 4) */
};

/* What creating a root did (for vsdadm and the benchmark). */
struct vs_create_stats {
	uint64_t dirs, linked, copied, symlinks, skipped;
	double seconds;		/* clone + accounts + rename */
	const char *plan;	/* "cache", "manifest" or "walk" (clone.h) */
};

/*
 * Create VS req->name.  On success *out (may be NULL) holds the new
 * record and *stats (may be NULL) what was done.  Fails with EEXIST if
 * the name, number or IP is taken, ERANGE if no uid range is free or the
 * asked one overlaps a host account/group, EINVAL on a bad argument,
 * ENOENT if there is no skeleton.  A failed create leaves nothing behind.
 */
int vs_create(const struct vs_conf *conf, const struct vs_create_req *req,
    struct vs_rec *out, struct vs_create_stats *stats, struct vs_err *err);

/*
 * Delete VS name: record and root.  Refuses (EBUSY) while it runs.  The
 * tree is removed fd-relative without following symlinks or crossing
 * mount points (rmtree.h); something mounted inside it makes the delete
 * fail with the record already gone and the tree kept under its .del-
 * name, reported so (the next reconcile retries).
 */
int vs_delete(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/* The record of VS name (ENOENT: "no server named 'x'"). */
int vs_info(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_err *err);

/* Open the root of VS name: O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC,
 * refusing a symlink.  The caller closes the fd. */
int vs_root_open(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/* Disk accounting of one root (vs_root_usage walks it, fd-relative). */
struct vs_root_usage {
	uint64_t shared;	/* regular files owned outside the VS's range
				 * (skeleton links) */
	uint64_t own;		/* regular files owned by the VS */
	uint64_t dirs, symlinks, other;
	uint64_t private_bytes;	/* st_blocks * 512 of the VS's own inodes */
};

int vs_root_usage(const struct vs_conf *conf, const struct vs_rec *rec,
    struct vs_root_usage *u, struct vs_err *err);

/* 1 if VS name runs, 0 if not, -1 on error. */
int vs_root_running(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/* Journal repair functions of "create" and "delete" (journal.c). */
int vs_root_repair_create(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err);
int vs_root_repair_delete(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err);

#endif
