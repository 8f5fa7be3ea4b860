/* snap_store.c - the snapshot store (list, delete, import), verify,
 * export as a self-contained archive, and diff against the live root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atfile.h"
#include "fswalk.h"
#include "log.h"
#include "manifest.h"
#include "snap_int.h"
#include "state.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

/* ---- list, delete ----------------------------------------------------- */

static int
info_cmp(const void *a, const void *b)
{
	const struct vs_snap_info *x = a, *y = b;
	int c = strcmp(x->vs, y->vs);

	if (c)
		return c;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
list_one(const struct vs_conf *conf, const char *name,
    struct vs_snap_info **out, size_t *n, size_t *alloc, struct vs_err *err)
{
	_cleanup_close_ int dfd = snap_store_open(conf, name, 0, NULL);
	DIR *d;
	struct dirent *de;
	int fd;

	if (dfd < 0)
		return 0;	/* no snapshots yet */
	fd = dup(dfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vs_err_sys(err, "cannot read the snapshots of '%s'",
		    name);
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		struct vs_snap_info in;
		struct vs_err e2 = VS_ERR_INIT;
		char id[VS_SNAP_ID_MAX + 1];

		if (l < 9 || strcmp(de->d_name + l - 8, ".tar.zst") != 0 ||
		    l - 8 > VS_SNAP_ID_MAX)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(l - 8), de->d_name);
		if (!snap_valid_id(id))
			continue;
		if (snap_read_info(dfd, de->d_name, &in, &e2) < 0) {
			log_warnx("snapshot '%s' of '%s': %s", id, name,
			    e2.msg);
			continue;
		}
		/* the store's name is the truth (an import may carry an
		 * archive of another VS) */
		snprintf(in.id, sizeof(in.id), "%s", id);
		snprintf(in.vs, sizeof(in.vs), "%s", name);
		xgrow(out, sizeof(**out), *n + 1, alloc);
		(*out)[(*n)++] = in;
	}
	closedir(d);
	return 0;
}

int
vs_snap_list(const struct vs_conf *conf, const char *name,
    struct vs_snap_info **out, size_t *n, struct vs_err *err)
{
	struct vs_snap_info *v = NULL;
	size_t nv = 0, alloc = 0, i;

	if (name) {
		struct vs_rec rec;

		if (!vs_valid_name(name))
			return vs_err_set(err, EINVAL, "bad VS name '%s'",
			    name);
		if (vs_rec_load(conf, name, &rec, err) < 0)
			return -1;
		if (list_one(conf, name, &v, &nv, &alloc, err) < 0)
			goto fail;
	} else {
		struct vs_rec *recs = NULL;
		size_t nr = 0;

		if (vs_rec_list(conf, &recs, &nr, err) < 0)
			return -1;
		for (i = 0; i < nr; i++)
			if (list_one(conf, recs[i].name, &v, &nv, &alloc,
			    err) < 0) {
				free(recs);
				goto fail;
			}
		free(recs);
	}
	if (nv)
		qsort(v, nv, sizeof(*v), info_cmp);
	*out = v;
	*n = nv;
	return 0;
fail:
	free(v);
	return -1;
}

int
vs_snap_delete(const struct vs_conf *conf, const char *name,
    const char *id, struct vs_err *err)
{
	_cleanup_close_ int lock = -1, dfd = -1;
	_cleanup_free_ char *file = NULL;
	struct vs_rec rec;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "bad VS name '%s'", name);
	if (!snap_valid_id(id))
		return vs_err_set(err, EINVAL, "bad snapshot id '%s'", id);
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	lock = vs_state_lock(conf, name, 1, err);
	if (lock < 0)
		return vs_err_prefix(err, "VS '%s' is busy", name);
	dfd = snap_store_open(conf, name, 0, err);
	if (dfd < 0)
		return vs_err_prefix(err, "snapshot '%s' of '%s'", id, name);
	file = xasprintf("%s.tar.zst", id);
	if (unlinkat(dfd, file, 0) < 0)
		return vs_err_sys(err, "snapshot '%s' of '%s'", id, name);
	fsync(dfd);
	return 0;
}

/* ---- verify, import --------------------------------------------------- */

static int
verify_fd(int fd, const struct vs_snap_opts *opts, long long uid_count,
    struct vs_snap_info *info, struct vs_err *err)
{
	struct snap_reader r;
	const void *b;
	size_t len;
	long long off;
	int rc;

	rc = snap_reader_open(&r, fd, opts, uid_count, 0, err);
	while (rc == 0 && (rc = snap_reader_next(&r, err)) > 0) {
		while ((rc = snap_reader_data(&r, &b, &len, &off, err)) > 0)
			;
		if (rc < 0)
			break;
		rc = 0;
	}
	if (rc == 0 && info)
		*info = r.info;
	snap_reader_release(&r);
	return rc;
}

int
vs_snap_verify(const struct vs_conf *conf, const char *path,
    const struct vs_snap_opts *opts, struct vs_snap_info *info,
    struct vs_err *err)
{
	int fd;

	(void)conf;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	if (verify_fd(fd, opts, 0, info, err) < 0)
		return vs_err_prefix(err, "'%s'", path);
	return 0;
}

int
vs_snap_import(const struct vs_conf *conf, const char *path,
    const char *name, const struct vs_snap_opts *opts,
    char id_out[VS_SNAP_ID_MAX + 1], struct vs_err *err)
{
	struct vs_rec rec;
	struct vs_snap_info in;
	_cleanup_close_ int lock = -1, src = -1, dfd = -1, out = -1;
	_cleanup_free_ char *tmp = NULL, *file = NULL;
	struct stat st;
	loff_t left;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "bad VS name '%s'", name);
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	if (!S_ISREG(st.st_mode))
		return vs_err_set(err, EINVAL, "'%s' is not a file", path);
	/* everything is checked before anything is stored, against the
	 * range of the VS it goes to */
	if (verify_fd(dup(src), opts, rec.uid_count, &in, err) < 0)
		return vs_err_prefix(err, "'%s'", path);
	lock = vs_state_lock(conf, name, 1, err);
	if (lock < 0)
		return vs_err_prefix(err, "VS '%s' is busy", name);
	dfd = snap_store_open(conf, name, 1, err);
	if (dfd < 0)
		return -1;
	snap_clean_tmp(dfd);
	file = xasprintf("%s.tar.zst", in.id);
	if (faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return vs_err_set(err, EEXIST, "'%s' already has a snapshot "
		    "'%s'", name, in.id);
	out = snap_tmp_create(dfd, &tmp, err);
	if (out < 0)
		return -1;
	left = st.st_size;
	while (left > 0) {
		/* explicit offset: verify moved the shared one */
		loff_t pos = st.st_size - left;
		ssize_t n = copy_file_range(src, &pos, out, NULL, left, 0);

		if (n <= 0) {
			vs_err_sys(err, "cannot copy '%s'", path);
			if (n == 0)
				vs_err_set(err, EIO, "'%s' shrank", path);
			goto fail;
		}
		left -= n;
	}
	if (fsync(out) < 0 || renameat(dfd, tmp, dfd, file) < 0) {
		vs_err_sys(err, "cannot store '%s'", file);
		goto fail;
	}
	fsync(dfd);
	if (id_out)
		snprintf(id_out, VS_SNAP_ID_MAX + 1, "%s", in.id);
	return 0;
fail:
	unlinkat(dfd, tmp, 0);
	return -1;
}

/* ---- export ------------------------------------------------------------ */

static int
copy_entry(struct snap_reader *r, struct snap_writer *w, struct vs_err *err)
{
	struct archive_entry *e = archive_entry_clone(r->e);
	const void *b;
	size_t len;
	long long off, pos = 0;
	int link, rc;

	/* reader stripped the "/" of directories; the writer wants it */
	if (archive_entry_filetype(e) == AE_IFDIR && *r->path) {
		_cleanup_free_ char *p = xasprintf("%s/",
		    archive_entry_pathname(e));

		archive_entry_copy_pathname(e, p);
	}
	archive_entry_set_nlink(e, 1);	/* links were resolved already */
	rc = snap_writer_begin(w, e, &link, err);
	while (rc == 0 && (rc = snap_reader_data(r, &b, &len, &off, err)) > 0) {
		while (pos < off) {	/* re-expand holes */
			size_t k = off - pos > 65536 ? 65536 : off - pos;
			static const char z[65536];

			if ((rc = snap_writer_data(w, z, k, err)) < 0)
				break;
			pos += k;
		}
		if (rc == 0 || rc == 1)
			rc = snap_writer_data(w, b, len, err);
		pos = off + len;
	}
	while (rc == 0 && pos < archive_entry_size(e) &&
	    !archive_entry_hardlink(e)) {
		static const char z[65536];
		size_t k = archive_entry_size(e) - pos > 65536 ? 65536 :
		    archive_entry_size(e) - pos;

		rc = snap_writer_data(w, z, k, err);
		pos += k;
	}
	if (rc == 0)
		rc = snap_writer_end(w, err);
	archive_entry_free(e);
	return rc;
}

static int
export_skel_file(struct snap_writer *w, int skelfd, struct snap_skelent *k,
    struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *name = xasprintf(SNAP_ROOT "/%s", k->path);
	unsigned char d[VS_HASH_LEN];
	struct archive_entry *e;
	struct stat st;
	int link, rc;

	fd = skelfd < 0 ? -1 : vs_open_beneath(skelfd, k->path,
	    O_RDONLY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return vs_err_set(err, ESTALE, "skeleton file '%s' is gone",
		    k->path);
	if (st.st_size != k->size || vs_hash_fd(fd, d, err) < 0 ||
	    memcmp(d, k->sha, VS_HASH_LEN) != 0)
		return vs_err_set(err, ESTALE, "skeleton file '%s' changed "
		    "since the snapshot", k->path);
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, st.st_size);
	if (k->kind == 'c') {	/* the VS's copy: its own metadata */
		archive_entry_set_mode(e, S_IFREG | k->mode);
		archive_entry_set_uid(e, k->uid);
		archive_entry_set_gid(e, k->gid);
		archive_entry_set_mtime(e, k->mtime, k->mtime_ns);
	} else {
		archive_entry_set_mode(e, S_IFREG | (st.st_mode & 0777));
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, st.st_mtim.tv_sec,
		    st.st_mtim.tv_nsec);
	}
	rc = snap_writer_begin(w, e, &link, err);
	if (rc == 0)
		rc = snap_writer_copy_fd(w, fd, st.st_size, k->path, err);
	if (rc == 0)
		rc = snap_writer_end(w, err);
	archive_entry_free(e);
	return rc;
}

int
vs_snap_export(const struct vs_conf *conf, const char *name,
    const char *id, const char *path, const struct vs_snap_opts *opts,
    struct vs_err *err)
{
	struct vs_snap_opts def = VS_SNAP_OPTS_INIT;
	struct snap_reader r;
	struct snap_writer w;
	struct vs_buf hb = VS_BUF_INIT, kb = VS_BUF_INIT;
	_cleanup_close_ int store = -1, dfd = -1, out = -1, skelfd = -1;
	_cleanup_free_ char *file = NULL, *tmp = NULL, *skelp = NULL;
	const char *base;
	struct vs_snap_info in;
	size_t i;
	int fd, rc = -1;

	if (!opts)
		opts = &def;
	memset(&w, 0, sizeof(w));
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	if (!vs_valid_name(name) || !snap_valid_id(id))
		return vs_err_set(err, EINVAL, "bad VS name or snapshot id");
	store = snap_store_open(conf, name, 0, err);
	if (store < 0)
		return -1;
	file = xasprintf("%s.tar.zst", id);
	fd = openat(store, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "snapshot '%s' of '%s'", id, name);
	skelp = vs_conf_dir(conf, "skel");
	skelfd = open(skelp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dfd = snap_open_parent(path, &base, err);
	if (dfd < 0) {
		close(fd);
		return -1;
	}
	out = snap_tmp_create(dfd, &tmp, err);
	if (out < 0) {
		close(fd);
		return -1;
	}
	if (snap_reader_open(&r, fd, opts, 0, 0, err) < 0 ||
	    snap_writer_open(&w, out, (int)conf->snap_level,
	    (int)conf->snap_threads, err) < 0)
		goto out;
	w.prog.fn = opts->progress;
	w.prog.ctx = opts->progress_ctx;
	in = r.info;
	in.full = 1;
	snap_header_format(&in, &hb);
	for (i = 0; i < r.skel.n; i++) {
		r.skel.e[i].stored = 1;
		snap_skel_line(&kb, &r.skel.e[i]);
	}
	w.skel_files = r.skel.n;
	if (snap_writer_add_mem(&w, SNAP_HEADER, hb.buf, hb.len, in.created,
	    err) < 0 || snap_writer_add_mem(&w, SNAP_SKEL, kb.buf, kb.len,
	    in.created, err) < 0)
		goto out;
	while ((rc = snap_reader_next(&r, err)) > 0) {
		struct snap_skelent *k = snap_skel_find(&r.skel, r.path);

		if (k)
			k->state = SNAP_SK_OK;	/* stored already (full) */
		if (copy_entry(&r, &w, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc < 0)
		goto out;
	rc = -1;
	/* the files the snapshot only listed, from the skeleton */
	for (i = 0; i < r.skel.n; i++)
		if (r.skel.e[i].state != SNAP_SK_OK &&
		    export_skel_file(&w, skelfd, &r.skel.e[i], err) < 0)
			goto out;
	if (snap_writer_finish(&w, err) < 0)
		goto out;
	if (fchmod(out, 0644) < 0 || renameat(dfd, tmp, dfd, base) < 0) {
		vs_err_sys(err, "cannot rename to '%s'", path);
		goto out;
	}
	free(steal_ptr(&tmp));
	rc = 0;
out:
	if (tmp)
		unlinkat(dfd, tmp, 0);
	snap_reader_release(&r);
	snap_writer_release(&w);
	vs_buf_release(&hb);
	vs_buf_release(&kb);
	if (rc < 0)
		vs_err_prefix(err, "export '%s' of '%s'", id, name);
	return rc;
}

/* ---- diff ---------------------------------------------------------------- */

struct dent {
	char *path;
	char type;
	unsigned mode;
	long long uid, gid, size, mtime;
	char *target;
	int skel;		/* listed as a skeleton file */
	int live_skel;		/* live: still the skeleton's inode */
	int has_sha;		/* snapshot: content hash known */
	unsigned char sha[VS_HASH_LEN];
};

static const unsigned char zeros64k[65536];

static void
hash_zero_run(struct vs_hash *h, long long n)
{
	while (n > 0) {
		size_t k = n > (long long)sizeof(zeros64k) ?
		    sizeof(zeros64k) : (size_t)n;

		vs_hash_update(h, zeros64k, k, NULL);
		n -= k;
	}
}

/* Content hash of the current entry's data (holes as zeros). */
static int
entry_sha(struct snap_reader *r, unsigned char out[VS_HASH_LEN],
    struct vs_err *err)
{
	struct vs_hash h = VS_HASH_INIT;
	long long pos = 0, size = archive_entry_size(r->e), off;
	const void *b;
	size_t len;
	int rc;

	if (vs_hash_init(&h, err) < 0)
		return -1;
	while ((rc = snap_reader_data(r, &b, &len, &off, err)) > 0) {
		hash_zero_run(&h, off - pos);
		vs_hash_update(&h, b, len, NULL);
		pos = off + len;
	}
	if (rc < 0) {
		vs_hash_release(&h);
		return -1;
	}
	hash_zero_run(&h, size - pos);
	return vs_hash_final(&h, out, err);
}

static int
dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->path,
	    ((const struct dent *)b)->path);
}

struct dlist {
	struct dent *e;
	size_t n, alloc;
	long long base, count;
	int skelfd;
	struct stat skelst;
};

static struct dent *
dadd(struct dlist *l, const char *path)
{
	struct dent *d;

	xgrow(&l->e, sizeof(*l->e), l->n + 1, &l->alloc);
	d = &l->e[l->n++];
	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path);
	return d;
}

static char
mode_type(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' :
	    S_ISFIFO(m) ? 'p' : '?';
}

static int
live_fn(void *ctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	struct dlist *l = ctx;
	struct dent *d;
	long long u = e->st->st_uid - l->base, g = e->st->st_gid - l->base;
	struct stat kst;

	if (e->mount)
		return VS_FSWALK_SKIP;
	d = dadd(l, e->path);
	d->type = mode_type(e->st->st_mode);
	d->mode = e->st->st_mode & 07777;
	d->uid = u >= 0 && u < l->count ? u : 65534;
	d->gid = g >= 0 && g < l->count ? g : 65534;
	d->size = S_ISREG(e->st->st_mode) ? e->st->st_size : 0;
	d->mtime = e->st->st_mtim.tv_sec;
	if (S_ISLNK(e->st->st_mode)) {
		char buf[SNAP_PATH_MAX];
		ssize_t n = readlinkat(e->dirfd, e->name, buf, sizeof(buf) - 1);

		if (n < 0)
			return vs_err_sys(err, "cannot read link '%s'",
			    e->path);
		buf[n] = '\0';
		d->target = xstrdup(buf);
		/* the skeleton's symlink, shared: save stores it as the
		 * VS root's (snap_write.c), so compare it so */
		if (l->skelfd >= 0 && e->st->st_nlink > 1 &&
		    e->st->st_dev == l->skelst.st_dev &&
		    fstatat(l->skelfd, e->path, &kst, AT_SYMLINK_NOFOLLOW) ==
		    0 && kst.st_ino == e->st->st_ino)
			d->uid = d->gid = 0;
	}
	if (S_ISREG(e->st->st_mode) && l->skelfd >= 0 &&
	    e->st->st_dev == l->skelst.st_dev && e->st->st_nlink > 1 &&
	    fstatat(l->skelfd, e->path, &kst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    kst.st_ino == e->st->st_ino)
		d->live_skel = 1;
	return 0;
}

/* Does the live file still hold the snapshot's content?  (A file whose
 * size and time did not change can still have been rewritten.) */
static int
same_content(int rootfd, const struct dent *a)
{
	_cleanup_close_ int fd = -1;
	unsigned char d[VS_HASH_LEN];

	if (!a->has_sha)
		return 1;
	fd = vs_open_beneath(rootfd, a->path, O_RDONLY | O_NONBLOCK);
	return fd >= 0 && vs_hash_fd(fd, d, NULL) == 0 &&
	    memcmp(d, a->sha, VS_HASH_LEN) == 0;
}

static void
dlist_release(struct dlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->e[i].path);
		free(l->e[i].target);
	}
	free(l->e);
}

static void
dline(struct vs_buf *out, char c, const char *path)
{
	vs_buf_addf(out, "%c ", c);
	vs_manifest_escape(out, path);
	vs_buf_addch(out, '\n');
}

long long
vs_snap_diff(const struct vs_conf *conf, const char *name, const char *id,
    struct vs_buf *out, struct vs_err *err)
{
	struct vs_rec rec;
	struct snap_reader r;
	struct dlist snap, live;
	_cleanup_close_ int store = -1, rootfd = -1;
	_cleanup_free_ char *file = NULL, *skelp = NULL;
	char skel_id[65];
	long long changes = -1;
	size_t i, j;
	int fd, rc;

	memset(&snap, 0, sizeof(snap));
	memset(&live, 0, sizeof(live));
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	live.skelfd = -1;
	if (!vs_valid_name(name) || !snap_valid_id(id))
		return vs_err_set(err, EINVAL, "bad VS name or snapshot id");
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	live.base = rec.uid_base;
	live.count = rec.uid_count;
	store = snap_store_open(conf, name, 0, err);
	if (store < 0)
		return -1;
	file = xasprintf("%s.tar.zst", id);
	fd = openat(store, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "snapshot '%s' of '%s'", id, name);
	if (snap_reader_open(&r, fd, NULL, 0, 0, err) < 0)
		goto out;
	while ((rc = snap_reader_next(&r, err)) > 0) {
		struct archive_entry *e = r.e;
		struct dent *d;
		const char *t;

		if (!*r.path || snap_skel_find(&r.skel, r.path))
			continue;
		d = dadd(&snap, r.path);
		d->type = archive_entry_hardlink(e) ? 'f' :
		    mode_type(archive_entry_mode(e));
		d->mode = archive_entry_mode(e) & 07777;
		d->uid = archive_entry_uid(e);
		d->gid = archive_entry_gid(e);
		d->mtime = archive_entry_mtime(e);
		/* a hard link's size is its first name's: not compared */
		d->size = d->type != 'f' ? 0 : archive_entry_hardlink(e) ?
		    -1 : archive_entry_size(e);
		t = archive_entry_symlink(e);
		if (t)
			d->target = xstrdup(t);
		if (d->type == 'f' && d->size > 0) {
			if (entry_sha(&r, d->sha, err) < 0) {
				rc = -1;
				break;
			}
			d->has_sha = 1;
		}
	}
	if (rc < 0)
		goto out;
	for (i = 0; i < r.skel.n; i++) {
		struct snap_skelent *k = &r.skel.e[i];
		struct dent *d = dadd(&snap, k->path);

		d->type = 'f';
		d->size = k->size;
		d->skel = k->kind == 'l';
		d->has_sha = k->kind == 'c';
		memcpy(d->sha, k->sha, VS_HASH_LEN);
		d->mode = k->mode;
		d->uid = k->uid;
		d->gid = k->gid;
		d->mtime = k->mtime;
	}
	if (snap.n > 1)
		qsort(snap.e, snap.n, sizeof(*snap.e), dent_cmp);

	rootfd = vs_root_open(conf, name, err);
	if (rootfd < 0)
		goto out;
	skelp = vs_conf_dir(conf, "skel");
	live.skelfd = open(skelp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (live.skelfd >= 0)
		fstat(live.skelfd, &live.skelst);
	if (vs_fswalk(rootfd, live_fn, &live, 0, err) < 0)
		goto out;
	if (live.n > 1)
		qsort(live.e, live.n, sizeof(*live.e), dent_cmp);
	snap_skel_id(conf, skel_id);

	changes = 0;
	for (i = j = 0; i < snap.n || j < live.n;) {
		int c = i == snap.n ? 1 : j == live.n ? -1 :
		    strcmp(snap.e[i].path, live.e[j].path);
		struct dent *a, *b;

		if (c < 0) {
			dline(out, '-', snap.e[i++].path);
			changes++;
			continue;
		}
		if (c > 0) {
			dline(out, '+', live.e[j++].path);
			changes++;
			continue;
		}
		a = &snap.e[i++];
		b = &live.e[j++];
		/* symlink times are not compared (as in manifest diffs):
		 * any VS may touch a shared one (docs/vsroot.md) */
		if (a->skel) {
			/* unchanged while it is the skeleton's file and the
			 * skeleton is the one of the snapshot */
			if (b->live_skel && b->size == a->size &&
			    strcmp(skel_id, r.info.skel_id) == 0)
				continue;
		} else if (a->type == b->type && a->mode == b->mode &&
		    a->uid == b->uid && a->gid == b->gid &&
		    (a->size < 0 || a->size == b->size)
		    && (a->type == 'd' || a->type == 'l' ||
		    a->mtime == b->mtime) &&
		    (!a->target || (b->target && strcmp(a->target,
		    b->target) == 0)) && same_content(rootfd, a))
			continue;
		dline(out, 'M', a->path);
		changes++;
	}
out:
	snap_reader_release(&r);
	dlist_release(&snap);
	dlist_release(&live);
	if (live.skelfd >= 0)
		close(live.skelfd);
	if (changes < 0)
		vs_err_prefix(err, "diff '%s' of '%s'", id, name);
	return changes;
}
