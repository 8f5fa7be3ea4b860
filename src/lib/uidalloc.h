/* uidalloc.h - VS numbers and their host uid/gid ranges.
 *
 * VS number n (1..max_servers) owns host uids and gids
 * [uid_base + n * uid_stride, + uid_stride).  A number is usable when no
 * other VS has it, and its range overlaps no other VS's range (records
 * keep the range they were created with, so a changed vsd.conf cannot
 * make two VSs share ids), no host account and no host group, and stays
 * below 2^32 - 1.
 *
 * Host accounts come from /etc/passwd and /etc/group; the environment
 * variables VSD_PASSWD_FILE and VSD_GROUP_FILE name other files (the
 * tests use them so that they never touch the host's).
 */
#ifndef VS_UIDALLOC_H
#define VS_UIDALLOC_H

#include "conf.h"
#include "err.h"
#include "state.h"

struct vs_hostid {
	long long id;
	int group;		/* 0: an account (passwd), 1: a group */
	char name[VS_USER_MAX + 1];
};

struct vs_hostids {
	struct vs_hostid *v;
	size_t n;
};

#define VS_HOSTIDS_INIT { NULL, 0 }

/* Read the host's accounts and groups (lines without a numeric id are
 * ignored; an unreadable file is an error). */
int vs_hostids_load(struct vs_hostids *h, struct vs_err *err);
void vs_hostids_release(struct vs_hostids *h);

/* The range of number n under conf. */
void vs_uid_range(const struct vs_conf *conf, long long n, long long *base,
    long long *count);

/*
 * May number n be given to a new VS?  0 if so; else -1 and err says why:
 * EINVAL out of 1..max_servers, EEXIST taken by a VS, ERANGE overlapping
 * a host account/group or another VS's range or beyond 2^32 - 2.
 */
int vs_uidalloc_check(const struct vs_conf *conf, const struct vs_hostids *h,
    const struct vs_rec *recs, size_t nrecs, long long n,
    struct vs_err *err);

/*
 * Pick a number: want (checked as above) or, if want is 0, the lowest
 * usable one (ERANGE "no free VS number" when none is).  On success
 * *number and *base are set.
 */
int vs_uidalloc_pick(const struct vs_conf *conf, const struct vs_hostids *h,
    const struct vs_rec *recs, size_t nrecs, long long want,
    long long *number, long long *base, struct vs_err *err);

#endif
