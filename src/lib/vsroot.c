/* vsroot.c - create, delete and inspect VSs: records, uid ranges, roots,
 * with journaling (vsroot.h).  The tree work is in clone.c and rmtree.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "accounts.h"
#include "atfile.h"
#include "clone.h"
#include "journal.h"
#include "log.h"
#include "rmtree.h"
#include "runtime.h"
#include "uidalloc.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

#define QUOTA_MAX (1LL << 40)	/* MiB: a petabyte-scale typo stops here */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
open_dir(const char *path, struct vs_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	return fd;
}

int
vs_root_open(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int vfd = -1;
	int fd;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    name);
	dir = vs_conf_dir(conf, "vs");
	vfd = open_dir(dir, err);
	if (vfd < 0)
		return -1;
	fd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open root of '%s'", name);
	return fd;
}

int
vs_root_running(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	struct vs_run_status rs;

	if (vs_run_status(conf, name, &rs, err) < 0)
		return -1;
	return rs.running;
}

/* ---- validation ----------------------------------------------------------- */

static int
check_req(const struct vs_conf *conf, const struct vs_create_req *q,
    struct vs_err *err)
{
	if (!q->name || !vs_valid_name(q->name))
		return vs_err_set(err, EINVAL, "invalid server name '%s' "
		    "(1-%d characters of a-z, 0-9, '-' and '_', starting "
		    "with a letter or digit)", q->name ? q->name : "",
		    VS_NAME_MAX);
	if (!q->ip || !vs_valid_vs_ip(q->ip))
		return vs_err_set(err, EINVAL, "invalid IP address '%s' "
		    "(a unicast IPv4 address, not loopback or link-local)",
		    q->ip ? q->ip : "");
	if (!q->fqdn || !vs_valid_fqdn(q->fqdn))
		return vs_err_set(err, EINVAL, "invalid host name '%s' "
		    "(RFC 1123: labels of letters, digits and '-')",
		    q->fqdn ? q->fqdn : "");
	if (q->quota_mb < 0 || q->quota_mb > QUOTA_MAX)
		return vs_err_set(err, EINVAL, "invalid quota %lld MB "
		    "(0 = none, at most %lld)", q->quota_mb, QUOTA_MAX);
	if (q->number < 0 || q->number > conf->max_servers)
		return vs_err_set(err, EINVAL, "invalid VS number %lld (0 = "
		    "allocate, else 1..%lld)", q->number, conf->max_servers);
	if (q->nproc < 0 || q->nproc > (1LL << 22))
		return vs_err_set(err, EINVAL, "invalid process limit %lld",
		    q->nproc);
	return 0;
}

/* ---- journal repair ----------------------------------------------------- */

/* Finish the open journal entries of one VS (the caller holds both
 * locks): so an interrupted create or delete never gets in the way of
 * the next operation on the same name. */
static int
repair_name(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	struct vs_journal_entry *v = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (vs_journal_list(conf, &v, &n, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(v[i].name, name) != 0)
			continue;
		if (strcmp(v[i].op, "create") == 0)
			rc = vs_root_repair_create(conf, &v[i], NULL, err);
		else if (strcmp(v[i].op, "delete") == 0)
			rc = vs_root_repair_delete(conf, &v[i], NULL, err);
		else
			rc = vs_err_set(err, EAGAIN, "an interrupted '%s' of "
			    "'%s' is pending: run 'vsdadm reconcile'",
			    v[i].op, name);
		if (rc == 0)
			rc = vs_journal_end(conf, v[i].id, err);
	}
	free(v);
	return rc;
}

/* A temporary tree name must be ours: ".new-NAME-..." or ".del-NAME-...",
 * a single path component. */
static int
tmp_name_ok(const char *tmp, const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name);

	return strncmp(tmp, prefix, pl) == 0 &&
	    strncmp(tmp + pl, name, nl) == 0 && tmp[pl + nl] == '-' &&
	    !strchr(tmp, '/') && strlen(tmp) < 128;
}

int
vs_root_repair_create(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "vs");
	_cleanup_close_ int vfd = -1;
	struct vs_err e2 = VS_ERR_INIT;
	struct vs_rec rec;
	struct stat st;

	if (!tmp_name_ok(e->detail, ".new-", e->name))
		return vs_err_set(err, EUCLEAN, "bad temporary name '%s'",
		    e->detail);
	vfd = open_dir(dir, err);
	if (vfd < 0)
		return -1;
	if (vs_rmtree(vfd, e->detail, NULL, err) < 0)
		return -1;
	if (vs_rec_load(conf, e->name, &rec, &e2) == 0) {
		if (report)
			vs_buf_addf(report, "create %s: had completed\n",
			    e->name);
		return 0;
	}
	if (errno != ENOENT)
		return vs_err_set(err, e2.errnum, "%s", e2.msg);
	/* renamed into place but no record: the name was free when the
	 * create began (checked under the lock), so the root is its own */
	if (fstatat(vfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    vs_rmtree(vfd, e->name, NULL, err) < 0)
		return -1;
	if (report)
		vs_buf_addf(report, "create %s: rolled back, removed '%s'\n",
		    e->name, e->detail);
	return 0;
}

int
vs_root_repair_delete(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "vs");
	_cleanup_close_ int vfd = -1;
	struct stat st;

	if (!tmp_name_ok(e->detail, ".del-", e->name))
		return vs_err_set(err, EUCLEAN, "bad temporary name '%s'",
		    e->detail);
	vfd = open_dir(dir, err);
	if (vfd < 0)
		return -1;
	/* roll forward: the user asked for the delete */
	if (fstatat(vfd, e->detail, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    renameat2(vfd, e->name, vfd, e->detail, RENAME_NOREPLACE) < 0 &&
	    errno != ENOENT)
		return vs_err_sys(err, "cannot move root of '%s' away",
		    e->name);
	if (vs_rec_remove(conf, e->name, err) < 0 ||
	    vs_rmtree(vfd, e->detail, NULL, err) < 0)
		return -1;
	if (report)
		vs_buf_addf(report, "delete %s: finished\n", e->name);
	return 0;
}

/* ---- create ------------------------------------------------------------- */

static int
skel_present(int skelfd)
{
	_cleanup_close_ int fd = dup(skelfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	fd = -1;
	while (!found && (de = readdir(d)))
		found = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return found;
}

static int
build_root(const struct vs_conf *conf, int vfd, const char *tmp,
    const struct vs_rec *rec, int workers, struct vs_create_stats *cs,
    struct vs_err *err)
{
	_cleanup_free_ char *skel = vs_conf_dir(conf, "skel");
	_cleanup_free_ char *man = vs_conf_dir(conf, "state/skel/manifest");
	_cleanup_free_ char *copy = vs_conf_dir(conf, "state/skel/copy");
	_cleanup_close_ int sfd = -1, dfd = -1;
	struct vs_clone_plan *plan = NULL;
	struct vs_clone_stats st;
	int rc;

	sfd = open_dir(skel, err);
	if (sfd < 0)
		return -1;
	if (!skel_present(sfd))
		return vs_err_set(err, ENOENT, "no skeleton in '%s': run "
		    "'vsdskel build' first", skel);
	if (vs_clone_plan_new(sfd, man, copy, &plan, err) < 0)
		return vs_err_prefix(err, "skeleton");
	if (mkdirat(vfd, tmp, 0700) < 0) {
		vs_clone_plan_free(plan);
		return vs_err_sys(err, "cannot create '%s'", tmp);
	}
	dfd = openat(vfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dfd < 0) {
		vs_clone_plan_free(plan);
		return vs_err_sys(err, "cannot open '%s'", tmp);
	}
	rc = vs_clone_run(plan, sfd, dfd, (uid_t)rec->uid_base,
	    (uid_t)rec->uid_count, workers, &st, err);
	cs->plan = vs_clone_plan_source(plan);
	vs_clone_plan_free(plan);
	if (rc < 0)
		return -1;
	if (vs_accounts_write(dfd, rec, err) < 0)
		return -1;
	cs->dirs = st.dirs;
	cs->linked = st.linked;
	cs->copied = st.copied;
	cs->symlinks = st.symlinks;
	cs->skipped = st.skipped;
	return 0;
}

/* The journal entry made durable while the tree is built (journal.h). */
struct jsync {
	const struct vs_conf *conf;
	long long id;
	pthread_t tid;
	int started, rc;
	struct vs_err err;
};

static void *
jsync_run(void *arg)
{
	struct jsync *j = arg;

	j->rc = vs_journal_sync(j->conf, j->id, &j->err);
	return NULL;
}

static void
jsync_start(struct jsync *j, const struct vs_conf *conf, long long id)
{
	memset(j, 0, sizeof(*j));
	j->conf = conf;
	j->id = id;
	j->started = pthread_create(&j->tid, NULL, jsync_run, j) == 0;
	if (!j->started)
		jsync_run(j);
}

static int
jsync_wait(struct jsync *j, struct vs_err *err)
{
	if (j->started) {
		pthread_join(j->tid, NULL);
		j->started = 0;
	}
	if (j->rc < 0 && err)
		*err = j->err;
	return j->rc;
}

/*
 * Ask for the data of every VS record at once before vs_rec_list() reads
 * them one by one: with a cold cache (after memory pressure; the
 * benchmark drops it) each record is a synchronous disk read, and a
 * create reads them all (numbers, ranges, addresses).  Best effort.
 */
static void
prefetch_records(const struct vs_conf *conf)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/vs");
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd;

		if (!vs_valid_name(de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
		close(fd);
	}
	closedir(d);
}

/* Start reading a state file we will need shortly; best effort. */
static void
readahead_file(const struct vs_conf *conf, const char *rel)
{
	_cleanup_free_ char *path = vs_conf_dir(conf, rel);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	close(fd);
}

static int
ip_taken(const struct vs_rec *recs, size_t n, const char *ip,
    struct vs_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(recs[i].ip, ip) == 0)
			return vs_err_set(err, EEXIST, "IP address %s is "
			    "taken by '%s'", ip, recs[i].name);
	return 0;
}

int
vs_create(const struct vs_conf *conf, const struct vs_create_req *q,
    struct vs_rec *out, struct vs_create_stats *stats, struct vs_err *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int glock = -1, vlock = -1, vfd = -1;
	struct vs_hostids hids = VS_HOSTIDS_INIT;
	struct vs_create_stats cs;
	struct vs_rec *recs = NULL, rec;
	struct vs_err e2 = VS_ERR_INIT;
	size_t nrecs = 0;
	char tmp[128];
	long long jid = -1;
	struct jsync js;
	struct stat st;
	struct timespec ts;
	double t0;
	int renamed = 0;

	if (check_req(conf, q, err) < 0)
		return -1;
	/* the plan is read ~1 ms from now, after the locks and the
	 * records: have the disk start on it (and the records) meanwhile */
	readahead_file(conf, "state/skel/clone.plan");
	readahead_file(conf, "state/skel/copy");
	prefetch_records(conf);
	if (vs_state_init(conf, err) < 0)
		return -1;
	glock = vs_state_lock(conf, "global", 0, err);
	if (glock < 0)
		return -1;
	vlock = vs_state_lock(conf, q->name, 0, err);
	if (vlock < 0)
		return -1;
	if (repair_name(conf, q->name, err) < 0)
		return vs_err_prefix(err, "server '%s'", q->name);

	if (vs_rec_load(conf, q->name, &rec, &e2) == 0)
		return vs_err_set(err, EEXIST, "server '%s' exists", q->name);
	if (errno != ENOENT)
		return vs_err_set(err, e2.errnum, "%s", e2.msg);
	dir = vs_conf_dir(conf, "vs");
	vfd = open_dir(dir, err);
	if (vfd < 0)
		return -1;
	if (fstatat(vfd, q->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return vs_err_set(err, EEXIST, "'%s/%s' exists but no server "
		    "has that name: remove it first", dir, q->name);

	memset(&rec, 0, sizeof(rec));
	if (vs_rec_list(conf, &recs, &nrecs, err) < 0)
		return -1;
	if (ip_taken(recs, nrecs, q->ip, err) < 0 ||
	    vs_hostids_load(&hids, err) < 0 ||
	    vs_uidalloc_pick(conf, &hids, recs, nrecs, q->number,
	    &rec.number, &rec.uid_base, err) < 0) {
		free(recs);
		vs_hostids_release(&hids);
		return -1;
	}
	free(recs);
	vs_hostids_release(&hids);
	snprintf(rec.name, sizeof(rec.name), "%s", q->name);
	rec.uid_count = conf->uid_stride;
	snprintf(rec.ip, sizeof(rec.ip), "%s", q->ip);
	snprintf(rec.fqdn, sizeof(rec.fqdn), "%s", q->fqdn);
	rec.quota_mb = q->quota_mb;
	rec.nproc = q->nproc;
	rec.disposable = q->disposable;
	clock_gettime(CLOCK_REALTIME, &ts);
	rec.created = ts.tv_sec;
	snprintf(rec.state, sizeof(rec.state), "ready");

	snprintf(tmp, sizeof(tmp), ".new-%s-%llx-%d", q->name,
	    (unsigned long long)ts.tv_nsec, (int)getpid());
	/*
	 * The entry is in place before the first step, which is all a
	 * kill -9 needs.  Against power loss it must be durable before the
	 * root is renamed into place (a root without entry or record would
	 * be an orphan); the tree under its temporary name needs no
	 * write-ahead, reconcile sweeps such trees.  So its fsyncs (two
	 * FLUSHes of the disk) run while the tree is built.
	 */
	jid = vs_journal_begin_nosync(conf, "create", q->name, tmp, err);
	if (jid < 0)
		return -1;
	vs_clone_reserve_fds();		/* while we are one thread */
	jsync_start(&js, conf, jid);
	t0 = now();
	memset(&cs, 0, sizeof(cs));
	if (build_root(conf, vfd, tmp, &rec, q->workers, &cs, err) < 0) {
		jsync_wait(&js, NULL);
		goto undo;
	}
	if (jsync_wait(&js, err) < 0)
		goto undo;
	if (renameat2(vfd, tmp, vfd, q->name, RENAME_NOREPLACE) < 0) {
		vs_err_sys(err, "cannot rename '%s' to '%s'", tmp, q->name);
		goto undo;
	}
	renamed = 1;
	if (vs_rec_save(conf, &rec, err) < 0)
		goto undo;
	cs.seconds = now() - t0;
	if (vs_journal_end(conf, jid, err) < 0)
		log_warnx("%s", err->msg);	/* done; reconcile sees the record */
	if (out)
		*out = rec;
	if (stats)
		*stats = cs;
	return 0;
undo:
	/* keep the first error; the journal entry stays if undoing fails,
	 * so reconcile finishes the job */
	vs_err_prefix(err, "cannot create server '%s'", q->name);
	if (vs_rmtree(vfd, renamed ? q->name : tmp, NULL, &e2) == 0)
		vs_journal_end(conf, jid, &e2);
	else
		log_warnx("%s (left for reconcile)", e2.msg);
	return -1;
}

/* ---- delete, info, usage ------------------------------------------------ */

int
vs_delete(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_close_ int glock = -1, vlock = -1;
	struct vs_journal_entry e;
	struct vs_rec rec;
	struct timespec ts;
	int r;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid server name '%s'",
		    name);
	glock = vs_state_lock(conf, "global", 0, err);
	if (glock < 0)
		return -1;
	vlock = vs_state_lock(conf, name, 0, err);
	if (vlock < 0)
		return -1;
	if (repair_name(conf, name, err) < 0)
		return vs_err_prefix(err, "server '%s'", name);
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	r = vs_root_running(conf, name, err);
	if (r < 0)
		return -1;
	if (r > 0)
		return vs_err_set(err, EBUSY, "server '%s' is running: stop "
		    "it first", name);
	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.detail, sizeof(e.detail), ".del-%s-%llx-%d", name,
	    (unsigned long long)ts.tv_nsec, (int)getpid());
	e.id = vs_journal_begin(conf, "delete", name, e.detail, err);
	if (e.id < 0)
		return -1;
	if (vs_root_repair_delete(conf, &e, NULL, err) < 0)
		return vs_err_prefix(err, "server '%s' deleted, but its root "
		    "is left as '%s' for the next reconcile", name, e.detail);
	return vs_journal_end(conf, e.id, err);
}

int
vs_info(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_err *err)
{
	return vs_rec_load(conf, name, rec, err);
}

/* Inodes of the VS's own files with more than one name: their blocks
 * count once.  Open addressing; a VS can make millions of links. */
struct inoset {
	ino_t *slot;		/* 0 = free (no inode is number 0) */
	size_t cap, n;
};

static int
inoset_add(struct inoset *s, ino_t ino)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct inoset g = { NULL, s->cap ? s->cap * 2 : 256, 0 };

		g.slot = xcalloc(g.cap, sizeof(*g.slot));
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				inoset_add(&g, s->slot[i]);
		free(s->slot);
		*s = g;
	}
	for (i = (size_t)(ino * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
	    s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == ino)
			return 0;
	s->slot[i] = ino;
	s->n++;
	return 1;
}

/* Count one directory entry (st from fstatat in its directory); 1 if it
 * is a directory to walk into.  kdir: the skeleton's directory at the
 * same path, or -1.  A file or symlink outside the VS's range is free
 * only while it is the skeleton's inode at its own path: the VS's root
 * may rename shared files anywhere (all of /usr in one call), and
 * vsdskel update re-links only the names at their skeleton paths, so
 * moved ones stay old skeleton inodes that, once the old tree is gone,
 * only the VS holds; every update left it a skeleton's worth of host
 * disk its usage never showed (709). */
static int
usage_ent(const struct stat *st, int kdir, const char *name,
    const struct vs_rec *rec, struct vs_root_usage *u, struct inoset *seen)
{
	int mine = st->st_uid >= rec->uid_base &&
	    st->st_uid < rec->uid_base + rec->uid_count;
	struct stat kst;

	if (!mine && (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) &&
	    (kdir < 0 || fstatat(kdir, name, &kst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    kst.st_ino != st->st_ino || kst.st_dev != st->st_dev))
		mine = 1;	/* not the skeleton's here: the VS's cost */
	if (mine && (S_ISDIR(st->st_mode) || st->st_nlink < 2 ||
	    inoset_add(seen, st->st_ino)))
		u->private_bytes += (uint64_t)st->st_blocks * 512;
	if (S_ISDIR(st->st_mode)) {
		u->dirs++;
		return 1;
	}
	if (S_ISREG(st->st_mode)) {
		if (mine)
			u->own++;
		else
			u->shared++;
	} else if (S_ISLNK(st->st_mode)) {
		u->symlinks++;
	} else {
		u->other++;
	}
	return 0;
}

/* One directory below the depth limit: read whole, its entries counted,
 * the names of its subdirectories kept to visit later. */
struct deepdir {
	char **sub;
	size_t n, i, alloc;
	dev_t dev;
	ino_t ino;
};

static int
deep_read(int fd, const struct vs_rec *rec, struct vs_root_usage *u,
    struct inoset *seen, struct deepdir *f, struct vs_err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd = dup(fd);

	memset(f, 0, sizeof(*f));
	if (dfd < 0 || fstat(dfd, &st) < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return vs_err_sys(err, "cannot read a deep directory");
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!usage_ent(&st, -1, de->d_name, rec, u, seen))
			continue;	/* no skeleton is that deep */
		xgrow(&f->sub, sizeof(*f->sub), f->n + 1, &f->alloc);
		f->sub[f->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static void
deep_free(struct deepdir *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->sub[i]);
	free(f->sub);
}

/* The part of a tree below VS_RMTREE_MAXDEPTH (fd: its top directory,
 * already counted in its parent; consumed).  A VS may nest directories
 * without end, so this walk holds one fd whatever the depth: down by
 * name (beneath, no symlinks, no other mount), back up by "..", checked
 * against the inode it came from.  Memory is the names still to visit,
 * at most the tree's own size.  A VS that moves a directory meanwhile
 * makes the count fail (EAGAIN), rather than come out wrong: it once
 * stopped at the limit, and a VS hid any amount of data below 256
 * levels from its quota (708). */
static int
usage_deep(int fd, const struct vs_rec *rec, struct vs_root_usage *u,
    struct inoset *seen, struct vs_err *err)
{
	struct deepdir *st = NULL, *f;
	size_t n = 0, alloc = 0;
	struct stat pst;
	int rc = 0, next;

	xgrow(&st, sizeof(*st), 1, &alloc);
	if (deep_read(fd, rec, u, seen, &st[0], err) < 0) {
		close(fd);
		free(st);
		return -1;
	}
	n = 1;
	while (rc == 0 && n > 0) {
		f = &st[n - 1];
		if (f->i < f->n) {
			next = vs_open_beneath(fd, f->sub[f->i++],
			    O_RDONLY | O_DIRECTORY);
			if (next < 0) {
				if (errno == ENOENT || errno == ELOOP ||
				    errno == ENOTDIR || errno == EXDEV)
					continue;	/* gone, or a mount */
				rc = vs_err_sys(err, "cannot open a deep "
				    "directory");
				break;
			}
			close(fd);
			fd = next;
			xgrow(&st, sizeof(*st), n + 1, &alloc);
			if (deep_read(fd, rec, u, seen, &st[n], err) < 0)
				rc = -1;
			else
				n++;
			continue;
		}
		deep_free(f);
		if (--n == 0)
			break;
		next = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next < 0) {
			rc = vs_err_sys(err, "cannot go back up a deep "
			    "directory");
			break;
		}
		close(fd);
		fd = next;
		if (fstat(fd, &pst) < 0 || pst.st_dev != st[n - 1].dev ||
		    pst.st_ino != st[n - 1].ino)
			rc = vs_err_set(err, EAGAIN, "directories nested "
			    "deeper than %d levels moved while counted: try "
			    "again", VS_RMTREE_MAXDEPTH);
	}
	while (n > 0)
		deep_free(&st[--n]);
	free(st);
	close(fd);
	return rc;
}

static int
usage_dir(int pfd, int kpfd, const char *name, const struct vs_rec *rec,
    struct vs_root_usage *u, struct inoset *seen, int depth,
    struct vs_err *err)
{
	_cleanup_close_ int kfd = -1;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = vs_open_beneath(pfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno == EXDEV ? 0 : vs_err_sys(err, "cannot open "
		    "'%s'", name);
	/* one fd per level down to here; deeper, a walk with one fd */
	if (depth >= VS_RMTREE_MAXDEPTH)
		return usage_deep(fd, rec, u, seen, err);
	/* the skeleton's directory at the same path, if it has one */
	if (kpfd >= 0)
		kfd = vs_open_beneath(kpfd, name, O_RDONLY | O_DIRECTORY);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vs_err_sys(err, "cannot read '%s'", name);
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (usage_ent(&st, kfd, de->d_name, rec, u, seen))
			rc = usage_dir(dirfd(d), kfd, de->d_name, rec, u, seen,
			    depth + 1, err);
	}
	closedir(d);
	return rc;
}

int
vs_root_usage(const struct vs_conf *conf, const struct vs_rec *rec,
    struct vs_root_usage *u, struct vs_err *err)
{
	_cleanup_free_ char *skel = vs_conf_dir(conf, "skel");
	_cleanup_close_ int fd = -1, kfd = -1;
	struct vs_root_usage t;
	struct inoset seen = { NULL, 0, 0 };
	struct stat st;
	int rc;

	fd = vs_root_open(conf, rec->name, err);
	if (fd < 0)
		return -1;
	/* none (not built yet): every file outside the range counts */
	kfd = open(skel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	memset(&t, 0, sizeof(t));
	if (fstat(fd, &st) == 0) {
		t.dirs = 1;
		t.private_bytes = (uint64_t)st.st_blocks * 512;
	}
	rc = usage_dir(fd, kfd, ".", rec, &t, &seen, 0, err);
	free(seen.slot);
	if (rc < 0)
		return -1;
	*u = t;
	return 0;
}
