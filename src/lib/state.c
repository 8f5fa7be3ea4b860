/* state.c - VS records (atomic files) and flock-based locks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "buf.h"
#include "state.h"
#include "xmem.h"
#include "banned.h"

/*
 * Host root's alone, whatever host users may do: the VS trees (their
 * set-id copies belong to each VS's root, their /tmp is world-writable:
 * a host user reaching them would run programs as a VS's root or plant
 * files for its daemons), the skeleton (its set-id programs are host
 * root's, from whatever tree or archive it was built), the snapshots
 * (each VS's /etc/shadow) and the records.  VS processes never use these
 * paths: they see their tree as "/".  Only run/ is open, for
 * run/bevs.sock (714 attacks this as a host user).
 */
static const struct {
	const char *name;
	mode_t mode;
} state_dirs[] = {
	{ "", 0755 }, { "skel", 0700 }, { "vs", 0700 }, { "state", 0700 },
	{ "state/vs", 0700 }, { "state/lock", 0700 },
	{ "state/journal", 0700 }, { "snapshots", 0700 }, { "run", 0755 },
};

int
vs_state_init(const struct vs_conf *conf, struct vs_err *err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(state_dirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", conf->state_root,
		    state_dirs[i].name);
		_cleanup_close_ int fd = -1;
		mode_t m = state_dirs[i].mode;
		struct stat st;

		if (mkdir(p, m) == 0)
			continue;
		if (errno != EEXIST)
			return vs_err_sys(err, "cannot create '%s'", p);
		if (m != 0700)
			continue;
		/* made by an older version with group and other bits (the
		 * skeleton's root was 0555): take them away */
		fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return vs_err_sys(err, "cannot open '%s'", p);
		if ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0700) < 0)
			return vs_err_sys(err, "cannot chmod '%s'", p);
	}
	return 0;
}

void
vs_rec_format(const struct vs_rec *r, struct vs_buf *o)
{
	vs_buf_addf(o, "name %s\nnumber %lld\nuid_base %lld\nuid_count %lld\n",
	    r->name, r->number, r->uid_base, r->uid_count);
	vs_buf_addf(o, "ip %s\nfqdn %s\nquota_mb %lld\nnproc %lld\n",
	    r->ip, r->fqdn, r->quota_mb, r->nproc);
	vs_buf_addf(o, "created %lld\ndisposable %s\nstate %s\n", r->created,
	    r->disposable ? "yes" : "no", r->state);
}

struct rec_ctx {
	struct vs_rec *r;
	unsigned seen;
};

static int
rec_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct rec_ctx *x = ctx;
	struct vs_rec *r = x->r;
	const char *k = argv[0], *v = argv[1];
	long long *num = NULL;

	if (argc != 2)
		return vs_conf_error(pos, "'%s' needs one value", k);
	if (strcmp(k, "name") == 0) {
		if (!vs_valid_name(v))
			return vs_conf_error(pos, "bad name '%s'", v);
		snprintf(r->name, sizeof(r->name), "%s", v);
		x->seen |= 1;
	} else if (strcmp(k, "ip") == 0) {
		if (!vs_valid_vs_ip(v))
			return vs_conf_error(pos, "bad ip '%s'", v);
		snprintf(r->ip, sizeof(r->ip), "%s", v);
	} else if (strcmp(k, "fqdn") == 0) {
		if (!vs_valid_fqdn(v))
			return vs_conf_error(pos, "bad fqdn '%s'", v);
		snprintf(r->fqdn, sizeof(r->fqdn), "%s", v);
	} else if (strcmp(k, "state") == 0) {
		if (strlen(v) >= sizeof(r->state))
			return vs_conf_error(pos, "bad state '%s'", v);
		snprintf(r->state, sizeof(r->state), "%s", v);
	} else if (strcmp(k, "disposable") == 0) {
		if ((r->disposable = vs_conf_bool(v)) < 0)
			return vs_conf_error(pos, "bad disposable '%s'", v);
	} else if (strcmp(k, "number") == 0) {
		num = &r->number;
		x->seen |= 2;
	} else if (strcmp(k, "uid_base") == 0) {
		num = &r->uid_base;
		x->seen |= 4;
	} else if (strcmp(k, "uid_count") == 0) {
		num = &r->uid_count;
		x->seen |= 8;
	} else if (strcmp(k, "quota_mb") == 0)
		num = &r->quota_mb;
	else if (strcmp(k, "nproc") == 0)
		num = &r->nproc;
	else if (strcmp(k, "created") == 0)
		num = &r->created;
	else
		return vs_conf_error(pos, "unknown field '%s'", k);
	if (num && vs_conf_number(v, 0, 1LL << 40, 0, num) < 0)
		return vs_conf_error(pos, "bad number '%s' for '%s'", v, k);
	return 0;
}

int
vs_rec_parse(const char *name, const char *text, size_t len,
    struct vs_rec *rec, struct vs_buf *errors)
{
	struct vs_rec r;
	struct rec_ctx x = { &r, 0 };
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.state, sizeof(r.state), "ready");
	rc = vs_conf_parse_mem(name, text, len, rec_stmt, &x, errors);
	if (rc == 0 && x.seen != 15) {
		if (errors)
			vs_buf_addf(errors, "%s: name, number, uid_base or "
			    "uid_count missing\n", name);
		rc = -1;
	}
	if (rc == 0)
		*rec = r;
	return rc;
}

static char *
rec_path(const struct vs_conf *conf, const char *name)
{
	return xasprintf("%s/state/vs/%s", conf->state_root, name);
}

int
vs_rec_load(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_err *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct vs_buf text = VS_BUF_INIT, errs = VS_BUF_INIT;
	int rc;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    name);
	path = rec_path(conf, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return vs_err_set(err, ENOENT, "no server named '%s'",
			    name);
		return vs_err_sys(err, "cannot open '%s'", path);
	}
	if (vs_buf_read_fd(&text, fd, 1 << 16) < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read '%s'", path);
	}
	rc = vs_rec_parse(path, text.buf, text.len, rec, &errs);
	if (rc < 0) {
		vs_buf_rtrim(&errs);
		vs_err_set(err, EUCLEAN, "corrupt record: %s", errs.buf);
	} else if (strcmp(rec->name, name) != 0) {
		rc = vs_err_set(err, EUCLEAN, "record '%s' names '%s'", path,
		    rec->name);
	}
	vs_buf_release(&text);
	vs_buf_release(&errs);
	return rc;
}

/* Write data to dir/name atomically: temp file, fsync, rename, fsync dir. */
static int
write_atomic(const char *dir, const char *name, const char *data, size_t len,
    struct vs_err *err)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	_cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vs_err_sys(err, "cannot open '%s'", dir);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return vs_err_sys(err, "cannot create '%s/%s'", dir, tmp);
	if (vs_write_all(fd, data, len) < 0) {
		vs_err_sys(err, "cannot write '%s/%s'", dir, tmp);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (fsync(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
		vs_err_sys(err, "cannot commit '%s/%s'", dir, name);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	fsync(dfd);
	return 0;
}

int
vs_rec_save(const struct vs_conf *conf, const struct vs_rec *rec,
    struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/vs");
	struct vs_buf text = VS_BUF_INIT;
	int rc;

	if (!vs_valid_name(rec->name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    rec->name);
	vs_rec_format(rec, &text);
	rc = write_atomic(dir, rec->name, text.buf, text.len, err);
	vs_buf_release(&text);
	return rc;
}

int
vs_rec_remove(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	_cleanup_free_ char *path = NULL;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    name);
	path = rec_path(conf, name);
	if (unlink(path) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove '%s'", path);
	return 0;
}

static int
rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vs_rec *)a)->name,
	    ((const struct vs_rec *)b)->name);
}

int
vs_rec_list(const struct vs_conf *conf, struct vs_rec **recs, size_t *n,
    struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/vs");
	struct vs_rec *arr = NULL;
	size_t cnt = 0, alloc = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*recs = NULL;
			*n = 0;
			return 0;
		}
		return vs_err_sys(err, "cannot open '%s'", dir);
	}
	while ((de = readdir(d))) {
		struct vs_err e2 = VS_ERR_INIT;

		if (!vs_valid_name(de->d_name))
			continue;	/* ".", "..", temp files */
		xgrow(&arr, sizeof(*arr), cnt + 1, &alloc);
		if (vs_rec_load(conf, de->d_name, &arr[cnt], &e2) < 0) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			vs_err_set(err, errno, "%s", e2.msg);
			closedir(d);
			free(arr);
			return -1;
		}
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), rec_cmp);
	*recs = arr;
	*n = cnt;
	return 0;
}

int
vs_state_lock(const struct vs_conf *conf, const char *which, int nonblock,
    struct vs_err *err)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (strcmp(which, "global") != 0 && !vs_valid_name(which))
		return vs_err_set(err, EINVAL, "invalid lock name '%s'", which);
	path = xasprintf("%s/state/lock/%s%s", conf->state_root,
	    strcmp(which, "global") ? "vs." : "", which);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vs_err_sys(err, "cannot open lock '%s'", path);
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		if (errno == EINTR)
			continue;
		vs_err_sys(err, "cannot lock '%s'", which);
		close(fd);
		return -1;
	}
	return fd;
}
