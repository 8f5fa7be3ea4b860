/* journal.c - durable entries for multi-step operations, and reconcile
 * (format and rules in journal.h).  The repair table is at the bottom:
 * each area adds its operations there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "journal.h"
#include "snap.h"
#include "state.h"
#include "trial.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

static const struct {
	const char *op;
	vs_journal_repair_fn fn;
} repairs[] = {
	{ "create", vs_root_repair_create },
	{ "delete", vs_root_repair_delete },
	{ "restore", vs_snap_repair_restore },
	{ "trial", vs_trial_repair },		/* vstry: trial.c */
};

static int
valid_op(const char *op)
{
	size_t i;

	if (!op[0] || strlen(op) >= VS_JOURNAL_OP_MAX)
		return 0;
	for (i = 0; op[i]; i++)
		if (!((op[i] >= 'a' && op[i] <= 'z') || op[i] == '_'))
			return 0;
	return 1;
}

static int
valid_detail(const char *d)
{
	size_t i;

	if (strlen(d) >= VS_JOURNAL_DETAIL_MAX)
		return 0;
	for (i = 0; d[i]; i++)
		if ((unsigned char)d[i] < 0x20 || d[i] == '"' || d[i] == '\\')
			return 0;
	return 1;
}

/* Write entry e (temporary file + rename: whole or absent).  sync: fsync
 * the file before the rename and the directory after (durable on
 * return); else vs_journal_sync() does it later. */
static int
write_entry(const struct vs_conf *conf, const struct vs_journal_entry *e,
    int excl, int sync, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/journal");
	_cleanup_close_ int dfd = -1, fd = -1;
	char tmp[64], name[32];
	struct vs_buf text = VS_BUF_INIT;
	ssize_t w;

	vs_buf_addf(&text, "op %s\nname %s\ndetail \"%s\"\npid %lld\n"
	    "started %lld\n", e->op, e->name, e->detail, e->pid, e->started);
	snprintf(name, sizeof(name), "%lld", e->id);
	snprintf(tmp, sizeof(tmp), ".%lld.tmp", e->id);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot open journal '%s'", dir);
	}
	if (excl && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		vs_buf_release(&text);
		errno = EEXIST;
		return -1;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot write journal entry '%s/%s'",
		    dir, tmp);
	}
	w = write(fd, text.buf, text.len);
	if (w != (ssize_t)text.len || (sync && fsync(fd) < 0) ||
	    renameat(dfd, tmp, dfd, name) < 0) {
		if (w >= 0 && w != (ssize_t)text.len)
			errno = ENOSPC;
		vs_err_sys(err, "cannot write journal entry '%s/%s'", dir,
		    name);
		unlinkat(dfd, tmp, 0);
		vs_buf_release(&text);
		return -1;
	}
	vs_buf_release(&text);
	if (sync)
		fsync(dfd);
	return 0;
}

static long long
begin(const struct vs_conf *conf, const char *op, const char *name,
    const char *detail, int sync, struct vs_err *err)
{
	struct vs_journal_entry e;
	struct timespec ts;
	int tries;

	if (!valid_op(op))
		return vs_err_set(err, EINVAL, "invalid journal op '%s'", op);
	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    name);
	if (!detail)
		detail = "";
	if (!valid_detail(detail))
		return vs_err_set(err, EINVAL, "invalid journal detail '%s'",
		    detail);
	memset(&e, 0, sizeof(e));
	snprintf(e.op, sizeof(e.op), "%s", op);
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	e.pid = getpid();
	clock_gettime(CLOCK_REALTIME, &ts);
	e.started = ts.tv_sec;
	/* ids are nanosecond times: ordered, and unique after a retry
	 * (entries are written under the VS's lock) */
	e.id = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	for (tries = 0; tries < 1000; tries++, e.id++) {
		if (write_entry(conf, &e, 1, sync, err) == 0)
			return e.id;
		if (errno != EEXIST)
			return -1;
	}
	return vs_err_set(err, EEXIST, "cannot pick a journal id");
}

long long
vs_journal_begin(const struct vs_conf *conf, const char *op,
    const char *name, const char *detail, struct vs_err *err)
{
	return begin(conf, op, name, detail, 1, err);
}

long long
vs_journal_begin_nosync(const struct vs_conf *conf, const char *op,
    const char *name, const char *detail, struct vs_err *err)
{
	return begin(conf, op, name, detail, 0, err);
}

int
vs_journal_sync(const struct vs_conf *conf, long long id, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/journal");
	_cleanup_close_ int dfd = -1, fd = -1;
	char name[32];

	snprintf(name, sizeof(name), "%lld", id);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vs_err_sys(err, "cannot open journal '%s'", dir);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0 || fsync(dfd) < 0)
		return vs_err_sys(err, "cannot sync journal entry '%s/%s'",
		    dir, name);
	return 0;
}

static int
parse_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct vs_journal_entry *e = ctx;
	const char *k = argv[0];
	long long *num = NULL;

	if (argc != 2)
		return vs_conf_error(pos, "'%s' needs one value", k);
	if (strcmp(k, "op") == 0) {
		if (!valid_op(argv[1]))
			return vs_conf_error(pos, "bad op");
		snprintf(e->op, sizeof(e->op), "%s", argv[1]);
	} else if (strcmp(k, "name") == 0) {
		if (!vs_valid_name(argv[1]))
			return vs_conf_error(pos, "bad name");
		snprintf(e->name, sizeof(e->name), "%s", argv[1]);
	} else if (strcmp(k, "detail") == 0) {
		if (!valid_detail(argv[1]))
			return vs_conf_error(pos, "bad detail");
		snprintf(e->detail, sizeof(e->detail), "%s", argv[1]);
	} else if (strcmp(k, "pid") == 0) {
		num = &e->pid;
	} else if (strcmp(k, "started") == 0) {
		num = &e->started;
	} else {
		return vs_conf_error(pos, "unknown field '%s'", k);
	}
	if (num && vs_conf_number(argv[1], 0, 1LL << 62, 0, num) < 0)
		return vs_conf_error(pos, "bad number '%s'", argv[1]);
	return 0;
}

static int
load_entry(const char *dir, const char *fname, struct vs_journal_entry *e,
    struct vs_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, fname);
	_cleanup_close_ int fd = -1;
	struct vs_buf text = VS_BUF_INIT, errs = VS_BUF_INIT;
	struct vs_journal_entry t;
	int rc;

	memset(&t, 0, sizeof(t));
	if (vs_conf_number(fname, 1, 1LL << 62, 0, &t.id) < 0)
		return vs_err_set(err, EINVAL, "bad journal file name '%s'",
		    fname);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	if (vs_buf_read_fd(&text, fd, 1 << 16) < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read '%s'", path);
	}
	rc = vs_conf_parse_mem(path, text.buf, text.len, parse_stmt, &t,
	    &errs);
	if (rc == 0 && (!t.op[0] || !t.name[0])) {
		vs_buf_addf(&errs, "%s: op or name missing", path);
		rc = -1;
	}
	if (rc < 0) {
		vs_buf_rtrim(&errs);
		vs_err_set(err, EUCLEAN, "corrupt journal entry: %s", errs.buf);
	} else {
		*e = t;
	}
	vs_buf_release(&text);
	vs_buf_release(&errs);
	return rc;
}

int
vs_journal_update(const struct vs_conf *conf, long long id,
    const char *detail, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/journal");
	struct vs_journal_entry e;
	char fname[32];

	if (!valid_detail(detail))
		return vs_err_set(err, EINVAL, "invalid journal detail '%s'",
		    detail);
	snprintf(fname, sizeof(fname), "%lld", id);
	if (load_entry(dir, fname, &e, err) < 0)
		return -1;
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	return write_entry(conf, &e, 0, 1, err);
}

int
vs_journal_end(const struct vs_conf *conf, long long id, struct vs_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/state/journal/%lld",
	    conf->state_root, id);

	if (unlink(path) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove journal entry '%s'",
		    path);
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	long long x = ((const struct vs_journal_entry *)a)->id;
	long long y = ((const struct vs_journal_entry *)b)->id;

	return (x > y) - (x < y);
}

int
vs_journal_list(const struct vs_conf *conf, struct vs_journal_entry **out,
    size_t *n, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/journal");
	struct vs_journal_entry *v = NULL;
	size_t cnt = 0, alloc = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*out = NULL;
			*n = 0;
			return 0;
		}
		return vs_err_sys(err, "cannot open journal '%s'", dir);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;	/* ".", "..", temp files */
		xgrow(&v, sizeof(*v), cnt + 1, &alloc);
		if (load_entry(dir, de->d_name, &v[cnt], err) < 0) {
			if (errno == ENOENT)
				continue;	/* ended meanwhile */
			closedir(d);
			free(v);
			return -1;
		}
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), entry_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

static vs_journal_repair_fn
find_repair(const char *op)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(repairs); i++)
		if (strcmp(repairs[i].op, op) == 0)
			return repairs[i].fn;
	return NULL;
}

/* Leftover temporary trees (".new-*", ".del-*") under state_root/vs that
 * no open entry names: an operation died before journaling them, or its
 * entry was ended without removing them.  Called with the global lock. */
static void
sweep_vs_dir(const struct vs_conf *conf, const struct vs_journal_entry *v,
    size_t n, struct vs_buf *report);

int
vs_reconcile(const struct vs_conf *conf, struct vs_buf *report,
    struct vs_err *err)
{
	struct vs_journal_entry *v = NULL;
	size_t n = 0, i;
	int glock, fixed = 0, failed = 0;

	glock = vs_state_lock(conf, "global", 0, err);
	if (glock < 0)
		return -1;
	if (vs_journal_list(conf, &v, &n, err) < 0) {
		close(glock);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct vs_journal_entry *e = &v[i];
		struct vs_err e2 = VS_ERR_INIT;
		vs_journal_repair_fn fn = find_repair(e->op);
		int lk;

		if (!fn) {
			if (report)
				vs_buf_addf(report, "%s %s: unknown operation, "
				    "entry %lld kept\n", e->op, e->name,
				    e->id);
			continue;
		}
		lk = vs_state_lock(conf, e->name, 1, &e2);
		if (lk < 0) {
			if (errno == EWOULDBLOCK) {
				e->op[0] = '\0';	/* running: keep its trees */
				continue;
			}
			goto fail;
		}
		if (fn(conf, e, report, &e2) < 0 ||
		    vs_journal_end(conf, e->id, &e2) < 0) {
			close(lk);
			goto fail;
		}
		close(lk);
		fixed++;
		e->op[0] = '\0';
		e->name[0] = '\0';	/* done: its trees are gone */
		continue;
fail:
		vs_err_prefix(&e2, "%s %s", e->op, e->name);
		if (report)
			vs_buf_addf(report, "%s\n", e2.msg);
		if (!failed && err)
			*err = e2;
		failed = 1;
		e->op[0] = '\0';
	}
	sweep_vs_dir(conf, v, n, report);
	free(v);
	close(glock);
	if (failed) {
		errno = err && err->errnum ? err->errnum : EIO;
		return -1;
	}
	return fixed;
}

#include "rmtree.h"

static void
sweep_vs_dir(const struct vs_conf *conf, const struct vs_journal_entry *v,
    size_t n, struct vs_buf *report)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "vs");
	struct dirent *de;
	DIR *d;
	size_t i;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		struct vs_err e2 = VS_ERR_INIT;
		int named = 0;

		if (strncmp(nm, ".new-", 5) != 0 && strncmp(nm, ".del-", 5))
			continue;
		/* entries still open (running, failed, unknown op) keep
		 * every tree of their VS */
		for (i = 0; i < n && !named; i++)
			if (v[i].name[0] && strncmp(nm + 5, v[i].name,
			    strlen(v[i].name)) == 0 &&
			    nm[5 + strlen(v[i].name)] == '-')
				named = 1;
		if (named)
			continue;
		if (vs_rmtree(dirfd(d), nm, NULL, &e2) < 0) {
			if (report)
				vs_buf_addf(report, "leftover '%s': %s\n", nm,
				    e2.msg);
		} else if (report) {
			vs_buf_addf(report, "removed leftover '%s/%s'\n", dir,
			    nm);
		}
	}
	closedir(d);
}
