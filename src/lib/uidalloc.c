/* uidalloc.c - VS numbers and uid/gid ranges, kept clear of host ids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uidalloc.h"
#include "xmem.h"
#include "banned.h"

#define ID_LIMIT 4294967295LL	/* (uid_t)-1 is "no id": never hand it out */

static int
load_file(struct vs_hostids *h, const char *path, int group, size_t *alloc,
    struct vs_err *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;

	f = fopen(path, "re");
	if (!f)
		return vs_err_sys(err, "cannot open '%s'", path);
	while (getline(&line, &cap, f) >= 0) {
		/* name:password:id:... */
		char *c1 = strchr(line, ':'), *c2, *end;
		long long id;
		size_t nl;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		errno = 0;
		id = strtoll(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || *end != ':' || id < 0)
			continue;
		xgrow(&h->v, sizeof(*h->v), h->n + 1, alloc);
		nl = (size_t)(c1 - line);
		if (nl > VS_USER_MAX)
			nl = VS_USER_MAX;
		memcpy(h->v[h->n].name, line, nl);
		h->v[h->n].name[nl] = '\0';
		h->v[h->n].id = id;
		h->v[h->n].group = group;
		h->n++;
	}
	free(line);
	if (ferror(f))
		return vs_err_sys(err, "cannot read '%s'", path);
	return 0;
}

int
vs_hostids_load(struct vs_hostids *h, struct vs_err *err)
{
	const char *pw = getenv("VSD_PASSWD_FILE"), *gr =
	    getenv("VSD_GROUP_FILE");
	struct vs_hostids t = VS_HOSTIDS_INIT;
	size_t alloc = 0;

	if (load_file(&t, pw && *pw ? pw : "/etc/passwd", 0, &alloc,
	    err) < 0 || load_file(&t, gr && *gr ? gr : "/etc/group", 1,
	    &alloc, err) < 0) {
		free(t.v);
		return -1;
	}
	*h = t;
	return 0;
}

void
vs_hostids_release(struct vs_hostids *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

void
vs_uid_range(const struct vs_conf *conf, long long n, long long *base,
    long long *count)
{
	*base = conf->uid_base + n * conf->uid_stride;
	*count = conf->uid_stride;
}

int
vs_uidalloc_check(const struct vs_conf *conf, const struct vs_hostids *h,
    const struct vs_rec *recs, size_t nrecs, long long n,
    struct vs_err *err)
{
	long long base, count, end;
	size_t i;

	if (n < 1 || n > conf->max_servers)
		return vs_err_set(err, EINVAL, "VS number %lld out of range "
		    "1..%lld", n, conf->max_servers);
	vs_uid_range(conf, n, &base, &count);
	end = base + count;	/* exclusive */
	for (i = 0; i < nrecs; i++)
		if (recs[i].number == n)
			return vs_err_set(err, EEXIST, "VS number %lld is "
			    "taken by '%s'", n, recs[i].name);
	if (base < 1 || end > ID_LIMIT)
		return vs_err_set(err, ERANGE, "uid range %lld-%lld of VS "
		    "number %lld is outside 1..%lld", base, end - 1, n,
		    ID_LIMIT - 1);
	for (i = 0; i < nrecs; i++) {
		long long b = recs[i].uid_base, e = b + recs[i].uid_count;

		if (base < e && b < end)
			return vs_err_set(err, ERANGE, "uid range %lld-%lld "
			    "of VS number %lld overlaps that of '%s' "
			    "(%lld-%lld)", base, end - 1, n, recs[i].name, b,
			    e - 1);
	}
	for (i = 0; i < h->n; i++)
		if (h->v[i].id >= base && h->v[i].id < end)
			return vs_err_set(err, ERANGE, "uid range %lld-%lld "
			    "of VS number %lld overlaps host %s '%s' (%lld)",
			    base, end - 1, n, h->v[i].group ? "group" :
			    "account", h->v[i].name, h->v[i].id);
	return 0;
}

int
vs_uidalloc_pick(const struct vs_conf *conf, const struct vs_hostids *h,
    const struct vs_rec *recs, size_t nrecs, long long want,
    long long *number, long long *base, struct vs_err *err)
{
	long long n, count;

	if (want != 0) {
		if (vs_uidalloc_check(conf, h, recs, nrecs, want, err) < 0)
			return -1;
		*number = want;
		vs_uid_range(conf, want, base, &count);
		return 0;
	}
	for (n = 1; n <= conf->max_servers; n++) {
		if (vs_uidalloc_check(conf, h, recs, nrecs, n, NULL) < 0)
			continue;
		*number = n;
		vs_uid_range(conf, n, base, &count);
		return 0;
	}
	return vs_err_set(err, ERANGE, "no free VS number (max_servers %lld; "
	    "ranges overlapping host accounts are skipped)",
	    conf->max_servers);
}
