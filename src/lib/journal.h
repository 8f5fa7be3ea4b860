/* journal.h - the journal of multi-step operations, and reconcile.
 *
 * A multi-step operation (create, delete, restore, a trial...) writes an
 * entry under state_root/state/journal/ before its first step and removes
 * it after its last: an entry left behind means the operation was cut
 * short (kill -9, power loss), and vs_reconcile() finishes or rolls it
 * back.  An entry is one small file in the config language, written to a
 * temporary name, fsync'd and renamed, so it is whole or absent:
 *
 *	op create
 *	name web1
 *	detail ".new-web1-1a2b3c"
 *	pid 1234
 *	started 1733346000
 *
 * Callers hold the VS's lock (vs_state_lock(conf, name)) from
 * vs_journal_begin() to vs_journal_end(); vs_reconcile() takes the global
 * lock, then each entry's VS lock without blocking, and skips entries
 * whose lock is held (the operation is still running).
 *
 * Each area adds its op to the table in journal.c with a repair function;
 * an entry whose op nobody knows is reported and kept.
 */
#ifndef VS_JOURNAL_H
#define VS_JOURNAL_H

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "valid.h"

#define VS_JOURNAL_OP_MAX	32
#define VS_JOURNAL_DETAIL_MAX	1024

struct vs_journal_entry {
	long long id;				/* file name, in decimal */
	char op[VS_JOURNAL_OP_MAX];		/* [a-z_]+ */
	char name[VS_NAME_MAX + 1];		/* the VS it concerns */
	char detail[VS_JOURNAL_DETAIL_MAX];	/* op-specific, may be "" */
	long long pid;				/* process that began it */
	long long started;			/* unix time */
};

/*
 * Record the start of operation op on VS name, with an op-specific detail
 * (e.g. the temporary name of a tree being built; no newline or NUL).
 * Durable on return (file and directory fsync'd).  Returns the entry's id
 * (> 0) or -1 with err set.
 */
long long vs_journal_begin(const struct vs_conf *conf, const char *op,
    const char *name, const char *detail, struct vs_err *err);

/*
 * The same, but not yet durable (a kill -9 needs no fsync: the entry is in
 * place for reconcile on return); vs_journal_sync() makes it durable.  For
 * an operation whose first steps need no write-ahead against power loss
 * (vs_create builds under a temporary name that reconcile sweeps anyway):
 * it syncs while they run and waits before the step that does.
 */
long long vs_journal_begin_nosync(const struct vs_conf *conf, const char *op,
    const char *name, const char *detail, struct vs_err *err);
int vs_journal_sync(const struct vs_conf *conf, long long id,
    struct vs_err *err);

/* Replace the detail of an open entry (same durability). */
int vs_journal_update(const struct vs_conf *conf, long long id,
    const char *detail, struct vs_err *err);

/* The operation finished (or was rolled back): remove the entry.
 * Idempotent; returns -1 only when the entry cannot be removed. */
int vs_journal_end(const struct vs_conf *conf, long long id,
    struct vs_err *err);

/* All open entries, oldest first; *out is heap (free()). */
int vs_journal_list(const struct vs_conf *conf,
    struct vs_journal_entry **out, size_t *n, struct vs_err *err);

/*
 * A repair function finishes or rolls back one interrupted entry; the
 * caller holds the global lock and the entry's VS lock.  It appends one
 * line per action to report (may be NULL) and returns 0 when the entry
 * may be removed, -1 (err set) to keep it for the next reconcile.
 */
typedef int (*vs_journal_repair_fn)(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err);

/*
 * Repair every open entry whose operation is no longer running, and
 * remove the leftovers of interrupted VS-root work that no entry names
 * (temporary trees under state_root/vs/).  report (may be NULL) gets one
 * line per action ("create web1: rolled back, removed '.new-web1-...'").
 * Returns the number of entries repaired, or -1 if any repair failed (the
 * others are still done; err holds the first failure).
 */
int vs_reconcile(const struct vs_conf *conf, struct vs_buf *report,
    struct vs_err *err);

#endif
