/* state.h - the durable record of each VS and the state-root locks.
 *
 * One record per VS at state_root/state/vs/NAME, in the config language
 * ("name web1", "number 3", ...), written to a temporary file, fsync'd
 * and renamed, so a record is always whole or absent.  The record is the
 * truth about a VS's identity; its root is state_root/vs/NAME.
 *
 * Locks are flock(2)s on files under state_root/state/lock/: "global"
 * serialises allocation (numbers, uid ranges, IPs) and "vs.NAME" one VS's
 * multi-step operations.  flock dies with its holder, so a crash never
 * leaves a stale lock.
 */
#ifndef VS_STATE_H
#define VS_STATE_H

#include "conf.h"
#include "err.h"
#include "valid.h"

#define VS_STATE_MAX	16

struct vs_rec {
	char name[VS_NAME_MAX + 1];
	long long number;		/* slot 1..max_servers */
	long long uid_base;		/* host uid/gid of the VS's root */
	long long uid_count;		/* size of the range (uid_stride) */
	char ip[16];
	char fqdn[VS_FQDN_MAX + 1];
	long long quota_mb;		/* disk quota, 0 = none */
	long long nproc;		/* process limit from vs_create, 0 = conf */
	long long created;		/* unix time */
	int disposable;			/* a vstry VS: reconcile removes it */
	char state[VS_STATE_MAX];	/* "ready" (others for later use) */
};

/* Create state_root and its subdirectories (mode 0755, state 0700). */
int vs_state_init(const struct vs_conf *conf, struct vs_err *err);

int vs_rec_load(const struct vs_conf *conf, const char *name,
    struct vs_rec *rec, struct vs_err *err);	/* ENOENT if no such VS */
int vs_rec_save(const struct vs_conf *conf, const struct vs_rec *rec,
    struct vs_err *err);
int vs_rec_remove(const struct vs_conf *conf, const char *name,
    struct vs_err *err);
/* All records, sorted by name; *recs is heap (caller frees). */
int vs_rec_list(const struct vs_conf *conf, struct vs_rec **recs,
    size_t *n, struct vs_err *err);

/* Serialise / parse a record in the config language. */
void vs_rec_format(const struct vs_rec *rec, struct vs_buf *out);
int vs_rec_parse(const char *name, const char *text, size_t len,
    struct vs_rec *rec, struct vs_buf *errors);

/* Take a lock (LOCK_EX; blocking unless nonblock, then EWOULDBLOCK).
 * which: "global" or a VS name.  Returns an fd; close it to unlock. */
int vs_state_lock(const struct vs_conf *conf, const char *which,
    int nonblock, struct vs_err *err);

#endif
