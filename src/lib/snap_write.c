/* snap_write.c - saving a VS root into an archive (vs_snap_save) and
 * exporting a snapshot as a self-contained one (vs_snap_export).
 *
 * Save walks the root once with vs_fswalk() (fd-relative, no symlinks, no
 * other mounts), noting for each object its stat and whether it is still
 * the skeleton's inode at the same path; then it writes the header, the
 * skeleton list and the tree, reopening each private file beneath the
 * root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
 * and checking it is still the object the walk saw. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
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

/* ---- the walk ------------------------------------------------------- */

struct save {
	const struct vs_conf *conf;
	const struct vs_rec *rec;
	int rootfd, skelfd;
	struct stat skelst;
	struct vs_manifest man;		/* the skeleton's, may be empty */
	struct snap_item *it;
	size_t n, alloc;
	struct snap_skellist sk;
	int full;
	long long data_total;
};

/* Is the object at path in the VS still the skeleton's inode there? */
static int
is_skel_inode(struct save *s, const char *path, const struct stat *st)
{
	struct stat kst;

	if (s->skelfd < 0 || !(S_ISREG(st->st_mode) ||
	    S_ISLNK(st->st_mode)) || st->st_nlink < 2 ||
	    st->st_dev != s->skelst.st_dev)
		return 0;
	if (fstatat(s->skelfd, path, &kst, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	/* fstatat on a path follows symlinks in its directories; the
	 * skeleton is host root's and trusted, and a mismatch only means
	 * the file is stored instead of listed. */
	return kst.st_ino == st->st_ino && kst.st_dev == st->st_dev;
}

static int
skel_hash(struct save *s, const char *path, const struct stat *st,
    unsigned char out[VS_HASH_LEN], struct vs_err *err)
{
	const struct vs_mentry *m = vs_manifest_find(&s->man, path);
	_cleanup_close_ int fd = -1;

	if (m && m->has_hash && m->type == 'f' && m->size == st->st_size &&
	    m->mtime == st->st_mtim.tv_sec) {
		memcpy(out, m->sha256, VS_HASH_LEN);
		return 0;
	}
	fd = vs_open_beneath(s->rootfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", path);
	return vs_hash_fd(fd, out, err);
}

/*
 * A private file whose content is the skeleton file's at the same path
 * (the copies skel.conf asks for: most of /etc, /var/lib/dpkg) is listed
 * as a copy ('c') with its owner, mode and times instead of being stored:
 * that keeps a fresh VS's snapshot small.  Files with extended attributes
 * or more than one name are stored as usual.  Returns 1 when listed.
 */
static int
is_skel_copy(struct save *s, const struct vs_fswalk_ent *e,
    struct vs_err *err)
{
	const struct stat *st = e->st;
	const struct vs_mentry *m;
	struct snap_skelent *k;
	unsigned char d[VS_HASH_LEN];
	long long base = s->rec->uid_base, count = s->rec->uid_count;
	_cleanup_close_ int fd = -1;

	(void)err;
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 || st->st_size == 0 ||
	    (long long)st->st_uid < base || (long long)st->st_uid >=
	    base + count || (long long)st->st_gid < base ||
	    (long long)st->st_gid >= base + count)
		return 0;
	m = vs_manifest_find(&s->man, e->path);
	if (!m || m->type != 'f' || !m->has_hash || m->size != st->st_size)
		return 0;
	fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0 || flistxattr(fd, NULL, 0) > 0 ||
	    vs_hash_fd(fd, d, NULL) < 0 ||
	    memcmp(d, m->sha256, VS_HASH_LEN) != 0)
		return 0;
	xgrow(&s->sk.e, sizeof(*s->sk.e), s->sk.n + 1, &s->sk.alloc);
	k = &s->sk.e[s->sk.n++];
	memset(k, 0, sizeof(*k));
	memcpy(k->sha, d, VS_HASH_LEN);
	k->path = s->it[s->n - 1].path;	/* borrowed from the item */
	k->size = st->st_size;
	k->kind = 'c';
	k->mode = st->st_mode & 07777;
	k->uid = st->st_uid - base;
	k->gid = st->st_gid - base;
	k->mtime = st->st_mtim.tv_sec;
	k->mtime_ns = st->st_mtim.tv_nsec;
	return 1;
}

static int
walk_fn(void *ctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	struct save *s = ctx;
	struct snap_item *it;

	if (e->mount) {
		log_warnx("'%s' is another mount: not saved", e->path);
		return VS_FSWALK_SKIP;
	}
	if (S_ISCHR(e->st->st_mode) || S_ISBLK(e->st->st_mode) ||
	    S_ISSOCK(e->st->st_mode)) {
		log_debug("%s: '%s': device or socket not saved", __func__,
		    e->path);
		return 0;
	}
	xgrow(&s->it, sizeof(*s->it), s->n + 1, &s->alloc);
	it = &s->it[s->n++];
	memset(it, 0, sizeof(*it));
	it->fd = -1;
	it->path = xstrdup(e->path);
	it->st = *e->st;
	if (S_ISLNK(e->st->st_mode)) {
		char buf[SNAP_PATH_MAX];
		ssize_t n = readlinkat(e->dirfd, e->name, buf, sizeof(buf) - 1);

		if (n < 0)
			return vs_err_sys(err, "cannot read link '%s'",
			    e->path);
		buf[n] = '\0';
		it->target = xstrdup(buf);
		it->skel_symlink = is_skel_inode(s, e->path, e->st);
	} else if (is_skel_inode(s, e->path, e->st)) {
		struct snap_skelent *k;

		xgrow(&s->sk.e, sizeof(*s->sk.e), s->sk.n + 1, &s->sk.alloc);
		k = &s->sk.e[s->sk.n];
		memset(k, 0, sizeof(*k));
		if (skel_hash(s, e->path, e->st, k->sha, err) < 0)
			return -1;
		k->path = it->path;	/* borrowed from the item */
		k->size = e->st->st_size;
		k->stored = s->full;
		k->kind = 'l';
		it->skel = ++s->sk.n;
		if (!s->full)
			return 0;
	}
	if (!s->full && is_skel_copy(s, e, err)) {
		it->skel = s->sk.n;
		return 0;
	}
	if (S_ISREG(e->st->st_mode))
		s->data_total += e->st->st_size;
	return 0;
}

/* ---- writing the tree ------------------------------------------------ */

/* Write item i, prepared by snap_prep.c. */
static int
write_item(struct snap_writer *w, struct snap_item *it, struct vs_err *err)
{
	int link = 0;

	if (!it->e)
		return 0;	/* gone or replaced since the walk */
	if (snap_writer_begin_hashed(w, it->e, it->hashed ? it->digest : NULL,
	    &link, err) < 0)
		return -1;
	if (S_ISREG(it->st.st_mode) && !link) {
		if (it->data) {
			if (snap_writer_data(w, it->data, it->st.st_size,
			    err) < 0)
				return -1;
		} else if (snap_writer_copy_fd(w, it->fd, it->st.st_size,
		    it->path, err) < 0)
			return -1;
	}
	return snap_writer_end(w, err);
}

static void
skel_format(const struct snap_skellist *l, struct vs_buf *out)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		snap_skel_line(out, &l->e[i]);
}

void
snap_header_format(const struct vs_snap_info *in, struct vs_buf *out)
{
	vs_buf_addf(out, "format vsnap %d\nvs %s\nid %s\ncreated %lld\n"
	    "kind %s\nskel_id %s\nuid_count %lld\nmessage ", VS_SNAP_FORMAT,
	    in->vs, in->id, in->created, in->full ? "full" : "skel",
	    in->skel_id[0] ? in->skel_id : "-", in->uid_count);
	vs_manifest_escape(out, in->message);
	vs_buf_addch(out, '\n');
}

/* Read state_root/state/skel/id (64 hex digits) into id, "" if none. */
void
snap_skel_id(const struct vs_conf *conf, char id[65])
{
	_cleanup_free_ char *p = xasprintf("%s/state/skel/id",
	    conf->state_root);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	unsigned char d[VS_HASH_LEN];
	char buf[80];
	ssize_t n;

	id[0] = '\0';
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 64)
		return;
	buf[64] = '\0';
	if (vs_hash_unhex(buf, d) == 0)
		vs_hash_hex(d, id);
}

/* A new, unused id in dirfd ("...Z", "...Z-1"...). */
static void
new_id(int dirfd, time_t t, char id[VS_SNAP_ID_MAX + 1])
{
	struct tm tm;
	char base[32], file[64];
	int i;

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 1000; i++) {
		if (i)
			snprintf(id, VS_SNAP_ID_MAX + 1, "%s-%d", base, i);
		else
			snprintf(id, VS_SNAP_ID_MAX + 1, "%s", base);
		snprintf(file, sizeof(file), "%s.tar.zst", id);
		if (faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return;
	}
}

/* Remove ".tmp-*" leftovers of interrupted saves (the VS lock is held). */
void
snap_clean_tmp(int dirfd)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
		    unlinkat(dirfd, de->d_name, 0) == 0)
			log_debug("%s: removed '%s'", __func__, de->d_name);
	closedir(d);
}

int
snap_store_open(const struct vs_conf *conf, const char *name, int create,
    struct vs_err *err)
{
	_cleanup_free_ char *top = vs_conf_dir(conf, "snapshots");
	_cleanup_free_ char *dir = snap_dir(conf, name);
	int fd;

	if (create && ((mkdir(top, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST)))
		return vs_err_sys(err, "cannot create '%s'", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", dir);
	return fd;
}

/* Open a temporary file beside the destination (dirfd/file or path). */
int
snap_tmp_create(int dirfd, char **tmpname, struct vs_err *err)
{
	char *t = xasprintf(".tmp-%d-%lx", (int)getpid(),
	    (unsigned long)random());
	int fd = openat(dirfd, t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd < 0) {
		vs_err_sys(err, "cannot create '%s'", t);
		free(t);
		return -1;
	}
	*tmpname = t;
	return fd;
}

/* Split "dir/file" into an open dir fd and the base name. */
int
snap_open_parent(const char *path, const char **base, struct vs_err *err)
{
	const char *sl = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	int fd;

	if (!sl) {
		*base = path;
		dir = xstrdup(".");
	} else {
		*base = sl + 1;
		dir = sl == path ? xstrdup("/") : xstrndup(path, sl - path);
	}
	if (!**base)
		return vs_err_set(err, EINVAL, "'%s': not a file name", path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", dir);
	return fd;
}

static int
save_locked(const struct vs_conf *conf, const struct vs_rec *rec,
    const struct vs_snap_opts *opts, char id_out[VS_SNAP_ID_MAX + 1],
    struct vs_err *err)
{
	struct save s;
	struct snap_prep *prep = NULL;
	struct snap_writer w;
	struct vs_snap_info in;
	struct vs_buf hb = VS_BUF_INIT, kb = VS_BUF_INIT;
	_cleanup_free_ char *skelp = NULL, *statep = NULL,
	    *tmp = NULL, *final = NULL;
	_cleanup_close_ int dirfd = -1, fd = -1, sdirfd = -1;
	const char *dest;
	char id[VS_SNAP_ID_MAX + 1];
	int rc = -1;
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(&w, 0, sizeof(w));
	w.fd = -1;
	s.conf = conf;
	s.rec = rec;
	s.full = !!(opts->flags & VS_SNAP_FULL);
	s.skelfd = -1;
	s.rootfd = vs_root_open(conf, rec->name, err);
	if (s.rootfd < 0)
		goto out;
	skelp = vs_conf_dir(conf, "skel");
	s.skelfd = open(skelp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (s.skelfd >= 0 && fstat(s.skelfd, &s.skelst) < 0) {
		close(s.skelfd);
		s.skelfd = -1;
	}
	statep = xasprintf("%s/state/skel", conf->state_root);
	sdirfd = open(statep, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sdirfd >= 0) {
		struct vs_err e2 = VS_ERR_INIT;

		/* without a manifest skeleton files are hashed here */
		if (vs_manifest_load(sdirfd, "manifest", &s.man, &e2) < 0)
			log_debug("%s: %s", __func__, e2.msg);
	}

	/* where to */
	if (opts->out_path) {
		dirfd = snap_open_parent(opts->out_path, &dest, err);
		if (dirfd < 0)
			goto out;
	} else {
		dirfd = snap_store_open(conf, rec->name, 1, err);
		if (dirfd < 0)
			goto out;
		snap_clean_tmp(dirfd);
	}
	fd = snap_tmp_create(dirfd, &tmp, err);
	if (fd < 0)
		goto out;

	memset(&in, 0, sizeof(in));
	in.created = time(NULL);
	new_id(dirfd, in.created, id);
	snprintf(in.id, sizeof(in.id), "%s", id);
	snprintf(in.vs, sizeof(in.vs), "%s", rec->name);
	snprintf(in.message, sizeof(in.message), "%s",
	    opts->message ? opts->message : "");
	snap_skel_id(conf, in.skel_id);
	in.full = s.full;
	in.uid_count = rec->uid_count;

	/* walk, then write */
	xgrow(&s.it, sizeof(*s.it), 1, &s.alloc);
	memset(&s.it[0], 0, sizeof(s.it[0]));
	s.it[0].path = xstrdup("");
	s.it[0].fd = -1;
	if (fstat(s.rootfd, &s.it[0].st) < 0) {
		vs_err_sys(err, "cannot stat the root of '%s'", rec->name);
		goto out;
	}
	s.n = 1;
	if (vs_fswalk(s.rootfd, walk_fn, &s, 0, err) < 0)
		goto out;
	/* a few MB (a fresh VS) compress faster than worker threads start */
	if (snap_writer_open(&w, fd, (int)conf->snap_level,
	    s.data_total < (8 << 20) ? 1 : (int)conf->snap_threads, err) < 0)
		goto out;
	w.prog.fn = opts->progress;
	w.prog.ctx = opts->progress_ctx;
	w.prog.total = s.data_total;
	w.skel_files = s.sk.n;
	snap_header_format(&in, &hb);
	skel_format(&s.sk, &kb);
	if (snap_writer_add_mem(&w, SNAP_HEADER, hb.buf, hb.len, in.created,
	    err) < 0 || snap_writer_add_mem(&w, SNAP_SKEL, kb.buf, kb.len,
	    in.created, err) < 0)
		goto out;
	prep = snap_prep_start(s.it, s.n, s.rootfd, rec->uid_base,
	    rec->uid_count, s.full, err);
	if (!prep)
		goto out;
	for (i = 0; i < s.n; i++) {
		if (snap_prep_wait(prep, i, err) < 0 ||
		    ((!s.it[i].skel || s.full) &&
		    write_item(&w, &s.it[i], err) < 0))
			goto out;
		snap_prep_done(prep, i);
	}
	snap_prep_stop(steal_ptr(&prep));
	if (snap_writer_finish(&w, err) < 0)
		goto out;
	if (!opts->out_path)
		dest = final = xasprintf("%s.tar.zst", id);
	if (fchmod(fd, opts->out_path ? 0644 : 0600) < 0 ||
	    renameat(dirfd, tmp, dirfd, dest) < 0) {
		vs_err_sys(err, "cannot rename '%s'", tmp);
		goto out;
	}
	fsync(dirfd);
	free(steal_ptr(&tmp));
	if (id_out)
		snprintf(id_out, VS_SNAP_ID_MAX + 1, "%s", id);
	rc = 0;
out:
	snap_prep_stop(prep);	/* before the items it works on */
	if (tmp)
		unlinkat(dirfd, tmp, 0);
	snap_writer_release(&w);
	for (i = 0; i < s.n; i++) {
		free(s.it[i].path);
		free(s.it[i].target);
	}
	free(s.it);
	free(s.sk.e);		/* paths were borrowed from the items */
	vs_manifest_release(&s.man);
	if (s.rootfd >= 0)
		close(s.rootfd);
	if (s.skelfd >= 0)
		close(s.skelfd);
	vs_buf_release(&hb);
	vs_buf_release(&kb);
	return rc;
}

int
vs_snap_save(const struct vs_conf *conf, const char *name,
    const struct vs_snap_opts *opts, char id_out[VS_SNAP_ID_MAX + 1],
    struct vs_err *err)
{
	struct vs_snap_opts def = VS_SNAP_OPTS_INIT;
	struct vs_rec rec;
	_cleanup_close_ int lock = -1;

	if (!opts)
		opts = &def;
	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "bad VS name '%s'", name);
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	lock = vs_state_lock(conf, name, 1, err);
	if (lock < 0)
		return vs_err_prefix(err, "VS '%s' is busy", name);
	if (save_locked(conf, &rec, opts, id_out, err) < 0)
		return vs_err_prefix(err, "save '%s'", name);
	return 0;
}
