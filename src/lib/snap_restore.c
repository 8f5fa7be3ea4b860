/* snap_restore.c - putting a snapshot back: extraction into a fresh tree
 * beside the live root, re-linking skeleton files, the atomic swap, and
 * the repair of an interrupted restore.
 *
 * Order of a restore, and why each step is safe to interrupt:
 *  1. lock the VS, check it is stopped, remove leftovers of an earlier
 *     interrupted restore (state_root/vs/.restore-NAME.*);
 *  2. create state_root/vs/.restore-NAME.<pid> (0700, host root's: the VS
 *     cannot reach it) and extract into it in a child process, which
 *     fchdir()s there so libarchive's path-based writer works relative to
 *     it without changing the caller's cwd.  Every entry first passes the
 *     reader's checks (snap_io.c: names, types, owners, budgets), then
 *     ours here (parent resolved beneath the tree without symlinks, the
 *     name not taken yet, hard-link targets inside, owners shifted into
 *     the VS's range, xattrs filtered), then libarchive's
 *     ARCHIVE_EXTRACT_SECURE_* checks;
 *  3. the seal is checked at the end of the stream; only then are the
 *     skeleton files linked (hash checked first) and the tree finished;
 *  4. renameat2(RENAME_EXCHANGE) swaps the new tree with the live root in
 *     one step; the old root, now under the temporary name, is removed.
 * Killed before 4, the VS is untouched; killed after, it is restored; in
 * both cases the temporary name holds garbage that step 1 of the next
 * restore (or the journal's repair) removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atfile.h"
#include "fcaps.h"
#include "journal.h"
#include "log.h"
#include "manifest.h"
#include "rmtree.h"
#include "runtime.h"
#include "snap_int.h"
#include "state.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

/* Remove every state_root/vs/.restore-NAME.* (caller holds the lock). */
static int
clean_leftovers(int vsdir, const char *name, struct vs_buf *report,
    struct vs_err *err)
{
	_cleanup_free_ char *pfx = xasprintf(".restore-%s.", name);
	DIR *d;
	struct dirent *de;
	int fd = dup(vsdir), rc = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vs_err_sys(err, "cannot read the VS directory");
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, pfx, strlen(pfx)) != 0)
			continue;
		if (vs_rmtree(vsdir, de->d_name, NULL, err) < 0) {
			rc = -1;
			break;
		}
		if (report)
			vs_buf_addf(report, "restore %s: removed '%s'\n",
			    name, de->d_name);
	}
	closedir(d);
	return rc;
}

/* ---- checks of one entry before libarchive writes it ----------------- */

struct rctx {
	const struct vs_conf *conf;
	const struct vs_rec *rec;
	const struct vs_snap_opts *opts;
	int tmpfd, skelfd;
	struct stat tmpst;
	struct snap_reader r;
	struct archive *ext;
	int have_root;
	pid_t parent;		/* the child stops when it is gone */
	struct stat rootst;	/* owner, mode and times for the root */
	struct timespec root_mtime;
};

static int
open_parent(int tmpfd, const char *path, const char **base)
{
	const char *sl = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;

	if (!sl) {
		*base = path;
		return vs_open_beneath(tmpfd, "", O_PATH | O_DIRECTORY);
	}
	*base = sl + 1;
	dir = xstrndup(path, sl - path);
	return vs_open_beneath(tmpfd, dir, O_PATH | O_DIRECTORY);
}

/* Keep user.* xattrs and file capabilities (made valid only inside the
 * VS's user namespace: v3 with the VS's root uid); drop the rest. */
static int
filter_xattrs(struct rctx *c, struct archive_entry *e, struct vs_err *err)
{
	struct { char *n; void *v; size_t l; } keep[64];
	size_t nk = 0, i, l;
	const char *n;
	const void *v;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &n, &v, &l) == ARCHIVE_OK) {
		if (nk == ARRAY_SIZE(keep))
			return vs_err_set(err, EPROTO, "'%s': too many "
			    "extended attributes", c->r.path);
		if (strncmp(n, "user.", 5) == 0) {
			keep[nk].v = xmalloc(l ? l : 1);
			memcpy(keep[nk].v, v, l);
		} else if (strcmp(n, VS_FCAPS_XATTR) == 0 && l >= 20) {
			unsigned char cap[VS_FCAPS_V3_LEN];

			if (vs_fcaps_shift(v, l, (uint32_t)c->rec->uid_base,
			    (uint32_t)c->rec->uid_count, cap) < 0)
				return vs_err_set(err, EPERM, "refusing '%s': "
				    "file capabilities for a uid outside the "
				    "VS", c->r.path);
			keep[nk].v = xmalloc(VS_FCAPS_V3_LEN);
			memcpy(keep[nk].v, cap, VS_FCAPS_V3_LEN);
			l = VS_FCAPS_V3_LEN;
		} else
			continue;
		keep[nk].n = xstrdup(n);
		keep[nk].l = l;
		nk++;
	}
	archive_entry_xattr_clear(e);
	for (i = 0; i < nk; i++) {
		archive_entry_xattr_add_entry(e, keep[i].n, keep[i].v,
		    keep[i].l);
		free(keep[i].n);
		free(keep[i].v);
	}
	return 0;
}

/* Named users and groups of ACLs are owners too: shift and check them. */
static int
shift_acls(struct rctx *c, struct archive_entry *e, struct vs_err *err)
{
	struct { int type, perm, tag, id; } a[256];
	size_t n = 0, i;
	int type, perm, tag, id;
	const char *name;

	if (archive_entry_acl_reset(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) == 0)
		return 0;
	while (archive_entry_acl_next(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E,
	    &type, &perm, &tag, &id, &name) == ARCHIVE_OK) {
		if (n == ARRAY_SIZE(a))
			return vs_err_set(err, EPROTO, "'%s': ACL too long",
			    c->r.path);
		if (tag == ARCHIVE_ENTRY_ACL_USER ||
		    tag == ARCHIVE_ENTRY_ACL_GROUP) {
			if (id < 0 || id >= c->rec->uid_count)
				return vs_err_set(err, EPERM, "refusing '%s': "
				    "ACL names id %d outside the VS",
				    c->r.path, id);
			id += (int)c->rec->uid_base;
		}
		a[n].type = type;
		a[n].perm = perm;
		a[n].tag = tag;
		a[n].id = id;
		n++;
	}
	archive_entry_acl_clear(e);
	for (i = 0; i < n; i++)
		archive_entry_acl_add_entry(e, a[i].type, a[i].perm, a[i].tag,
		    a[i].id, NULL);
	return 0;
}

/*
 * A symlink of the VS's root that the skeleton has too, with the same
 * target and shareable (root's, not in a sticky directory): linked from
 * the skeleton, as a new VS gets it (clone.h), so a round trip keeps
 * sharing (save stores a shared symlink as the VS root's).  Returns 1
 * when linked, 0 when the entry is to be extracted, -1 on error.
 */
static int
link_skel_symlink(struct rctx *c, int pfd, const char *path,
    const char *base, const char *target, struct vs_err *err)
{
	const char *sl = strrchr(path, '/');
	_cleanup_free_ char *dir = sl ? xstrndup(path, sl - path) :
	    xstrdup("");
	_cleanup_close_ int sdir = -1;
	char buf[SNAP_PATH_MAX];
	struct stat dst, lst;
	ssize_t n;

	if (c->skelfd < 0 || !target)
		return 0;
	sdir = vs_open_beneath(c->skelfd, dir, O_PATH | O_DIRECTORY);
	if (sdir < 0 || fstat(sdir, &dst) < 0 || (dst.st_mode & S_ISVTX) ||
	    fstatat(sdir, base, &lst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISLNK(lst.st_mode) || lst.st_uid != 0 || lst.st_gid != 0)
		return 0;
	n = readlinkat(sdir, base, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	if (strcmp(buf, target) != 0)
		return 0;
	if (linkat(sdir, base, pfd, base, 0) < 0)
		return vs_err_sys(err, "cannot link the skeleton's '%s'", path);
	return 1;
}

static int
extract_entry(struct rctx *c, struct vs_err *err)
{
	struct archive_entry *e = c->r.e;
	const char *path = c->r.path, *base, *hl;
	_cleanup_close_ int pfd = -1;
	struct snap_skelent *sk;
	struct stat st;
	const void *buf;
	size_t len;
	long long off;
	int rc;

	if (!*path) {		/* the root itself: applied at the end */
		c->have_root = 1;
		c->rootst.st_uid = archive_entry_uid(e) + c->rec->uid_base;
		c->rootst.st_gid = archive_entry_gid(e) + c->rec->uid_base;
		c->rootst.st_mode = archive_entry_mode(e) & 07777;
		c->root_mtime.tv_sec = archive_entry_mtime(e);
		c->root_mtime.tv_nsec = archive_entry_mtime_nsec(e);
		return 0;
	}
	sk = snap_skel_find(&c->r.skel, path);
	if (sk && !sk->stored)
		return vs_err_set(err, EEXIST, "refusing '%s': listed twice",
		    path);
	if (sk && (sk->state == SNAP_SK_OK ||
	    !(c->opts->flags & VS_SNAP_USE_STORED)))
		return 0;	/* linked from the skeleton at the end */
	if (sk)
		sk->state = SNAP_SK_UNCHECKED;	/* stored copy used */

	/* our own checks, fd-relative, before libarchive sees the entry */
	pfd = open_parent(c->tmpfd, path, &base);
	if (pfd < 0)
		return vs_err_sys(err, "refusing '%s': its directory is not a "
		    "directory of the archive", path);
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return vs_err_set(err, EEXIST, "refusing '%s': listed twice",
		    path);
	if ((hl = archive_entry_hardlink(e)) != NULL) {
		_cleanup_close_ int tfd = vs_open_beneath(c->tmpfd, hl + 5,
		    O_PATH);

		if (tfd < 0 || fstat(tfd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_dev != c->tmpst.st_dev)
			return vs_err_set(err, EPERM, "refusing '%s': hard "
			    "link to '%s', not a file of the archive", path,
			    hl);
		if (st.st_uid < c->rec->uid_base || st.st_uid >=
		    c->rec->uid_base + c->rec->uid_count)
			return vs_err_set(err, EPERM, "refusing '%s': hard "
			    "link to a file owned outside the VS", path);
		archive_entry_copy_hardlink(e, hl + 5);
	}
	if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_uid(e) ==
	    0 && archive_entry_gid(e) == 0) {
		rc = link_skel_symlink(c, pfd, path, base,
		    archive_entry_symlink(e), err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	archive_entry_set_uid(e, archive_entry_uid(e) + c->rec->uid_base);
	archive_entry_set_gid(e, archive_entry_gid(e) + c->rec->uid_base);
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	if (filter_xattrs(c, e, err) < 0 || shift_acls(c, e, err) < 0)
		return -1;
	archive_entry_copy_pathname(e, path);

	rc = archive_write_header(c->ext, e);
	if (rc != ARCHIVE_OK)
		return vs_err_set(err, archive_errno(c->ext) > 0 ?
		    archive_errno(c->ext) : EPERM, "refusing '%s': %s", path,
		    archive_error_string(c->ext));
	while ((rc = snap_reader_data(&c->r, &buf, &len, &off, err)) > 0)
		if (archive_write_data_block(c->ext, buf, len, off) !=
		    ARCHIVE_OK)
			return vs_err_set(err, archive_errno(c->ext) > 0 ?
			    archive_errno(c->ext) : EIO, "cannot write '%s': "
			    "%s", path, archive_error_string(c->ext));
	if (rc < 0)
		return -1;
	if (archive_write_finish_entry(c->ext) != ARCHIVE_OK)
		return vs_err_set(err, EIO, "cannot write '%s': %s", path,
		    archive_error_string(c->ext));
	return 0;
}

/* ---- skeleton files -------------------------------------------------- */

/*
 * Compare each listed file with the skeleton's file at its path now.
 * The skeleton's manifest (state/skel/manifest, written by vsdskel with
 * every file's SHA-256) answers for a file whose size and mtime are the
 * manifest's, as it does when saving (snap_write.c): the skeleton is host
 * root's, and re-hashing all of it (174 MB here, read from disk when not
 * cached) was most of a restore's time.  Other files are hashed.
 */
static int
check_skel(struct rctx *c, struct vs_err *err)
{
	size_t i, changed = 0;
	const char *first = NULL;
	struct vs_manifest man;
	_cleanup_free_ char *sp = xasprintf("%s/state/skel",
	    c->conf->state_root);
	_cleanup_close_ int sdir = open(sp, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	struct vs_err e2 = VS_ERR_INIT;

	memset(&man, 0, sizeof(man));
	if (sdir >= 0 && vs_manifest_load(sdir, "manifest", &man, &e2) < 0)
		log_debug("%s: %s", __func__, e2.msg);

	for (i = 0; i < c->r.skel.n; i++) {
		struct snap_skelent *k = &c->r.skel.e[i];
		_cleanup_close_ int fd = -1;
		unsigned char d[VS_HASH_LEN];
		struct stat st;

		const struct vs_mentry *m;

		k->state = SNAP_SK_MISSING;
		if (c->skelfd >= 0)
			fd = vs_open_beneath(c->skelfd, k->path,
			    O_RDONLY | O_NONBLOCK);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			k->state = SNAP_SK_CHANGED;
			m = vs_manifest_find(&man, k->path);
			if (m && m->type == 'f' && m->has_hash &&
			    m->size == st.st_size &&
			    m->mtime == st.st_mtim.tv_sec)
				memcpy(d, m->sha256, VS_HASH_LEN);
			else if (st.st_size != k->size ||
			    vs_hash_fd(fd, d, NULL) < 0)
				memset(d, 0, sizeof(d));
			if (st.st_size == k->size &&
			    memcmp(d, k->sha, VS_HASH_LEN) == 0)
				k->state = SNAP_SK_OK;
		}
		if (k->state != SNAP_SK_OK) {
			changed++;
			if (!first)
				first = k->path;
		}
	}
	vs_manifest_release(&man);
	if (!changed || (c->opts->flags & VS_SNAP_ACCEPT_SKEL))
		return 0;
	if ((c->opts->flags & VS_SNAP_USE_STORED) && c->r.info.full)
		return 0;
	return vs_err_set(err, ESTALE, "the skeleton changed since the "
	    "snapshot: %zu file%s differ%s, first '%s' (use --accept-skel to "
	    "take the new skeleton's files%s)", changed, changed > 1 ? "s" :
	    "", changed > 1 ? "" : "s", first, c->r.info.full ? ", or "
	    "--use-stored for the snapshot's copies" : "");
}

/* Re-create the VS's private copy of a skeleton file. */
static int
copy_skel(struct rctx *c, struct snap_skelent *k, struct vs_err *err)
{
	_cleanup_close_ int src = -1, pfd = -1, dst = -1;
	struct timespec ts[2];
	const char *base;
	struct stat st;
	loff_t left;

	if (k->uid >= c->rec->uid_count || k->gid >= c->rec->uid_count)
		return vs_err_set(err, EPERM, "refusing '%s': owner %lld:%lld "
		    "does not fit the VS's range", k->path, k->uid, k->gid);
	src = vs_open_beneath(c->skelfd, k->path, O_RDONLY | O_NONBLOCK);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode))
		return vs_err_sys(err, "skeleton file '%s'", k->path);
	pfd = open_parent(c->tmpfd, k->path, &base);
	if (pfd < 0)
		return vs_err_sys(err, "cannot copy skeleton file '%s': no "
		    "directory for it", k->path);
	dst = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (dst < 0)
		return vs_err_sys(err, "cannot create '%s'", k->path);
	for (left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(src, NULL, dst, NULL, left, 0);

		if (n <= 0)
			return vs_err_sys(err, "cannot copy '%s'", k->path);
		left -= n;
	}
	ts[0].tv_sec = ts[1].tv_sec = k->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = k->mtime_ns;
	/* chown first: it clears set-id bits that fchmod then sets */
	if (fchown(dst, k->uid + c->rec->uid_base, k->gid +
	    c->rec->uid_base) < 0 || fchmod(dst, k->mode) < 0 ||
	    futimens(dst, ts) < 0)
		return vs_err_sys(err, "cannot set owner, mode or times of "
		    "'%s'", k->path);
	return 0;
}

static int
link_skel(struct rctx *c, struct vs_err *err)
{
	size_t i;

	for (i = 0; i < c->r.skel.n; i++) {
		struct snap_skelent *k = &c->r.skel.e[i];
		_cleanup_close_ int fd = -1, pfd = -1;
		const char *base;
		struct stat st;

		if (k->state == SNAP_SK_UNCHECKED || k->state ==
		    SNAP_SK_MISSING)
			continue;	/* stored copy extracted, or gone */
		if (k->state == SNAP_SK_CHANGED &&
		    !(c->opts->flags & VS_SNAP_ACCEPT_SKEL))
			continue;
		if (k->kind == 'c') {
			if (copy_skel(c, k, err) < 0)
				return -1;
			continue;
		}
		fd = vs_open_beneath(c->skelfd, k->path, O_PATH);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return vs_err_sys(err, "skeleton file '%s'", k->path);
		if (st.st_dev != c->tmpst.st_dev)
			return vs_err_set(err, EXDEV, "the skeleton is not on "
			    "the VS's filesystem");
		pfd = open_parent(c->tmpfd, k->path, &base);
		if (pfd < 0)
			return vs_err_sys(err, "cannot link skeleton file "
			    "'%s': no directory for it", k->path);
		if (linkat(fd, "", pfd, base, AT_EMPTY_PATH) < 0)
			return vs_err_sys(err, "cannot link skeleton file "
			    "'%s'", k->path);
	}
	return 0;
}

/* ---- the child: extract everything ----------------------------------- */

static int
extract(struct rctx *c, int archfd, struct vs_err *err)
{
	struct vs_snap_opts o = *c->opts;
	int rc;

	if (c->conf->snap_fifos)
		o.flags |= VS_SNAP_ALLOW_FIFO;

	/* the default data budget is the room where the tree goes */
	if (o.max_bytes <= 0)
		o.max_bytes = snap_free_bytes(c->tmpfd);
	if (snap_reader_open(&c->r, archfd, &o, c->rec->uid_count, 0,
	    err) < 0)
		return -1;
	c->r.extracting = 1;
	if (check_skel(c, err) < 0)
		return -1;
	c->ext = archive_write_disk_new();
	archive_write_disk_set_options(c->ext, ARCHIVE_EXTRACT_OWNER |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
	    ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_NO_OVERWRITE |
	    ARCHIVE_EXTRACT_NO_AUTODIR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (fchdir(c->tmpfd) < 0)
		return vs_err_sys(err, "cannot enter the new tree");
	while ((rc = snap_reader_next(&c->r, err)) > 0) {
		/* the restore was killed: stop, it will never swap */
		if (getppid() != c->parent)
			return vs_err_set(err, EINTR, "parent died");
		if (extract_entry(c, err) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!c->have_root)
		return vs_err_set(err, EPROTO, "archive has no root directory");
	if (link_skel(c, err) < 0)
		return -1;
	/* directories get their final modes and times here */
	if (archive_write_close(c->ext) != ARCHIVE_OK)
		return vs_err_set(err, EIO, "cannot finish the tree: %s",
		    archive_error_string(c->ext));
	if (fchown(c->tmpfd, c->rootst.st_uid, c->rootst.st_gid) < 0 ||
	    fchmod(c->tmpfd, c->rootst.st_mode) < 0)
		return vs_err_sys(err, "cannot set the root's owner and mode");
	{
		struct timespec ts[2] = { c->root_mtime, c->root_mtime };

		if (futimens(c->tmpfd, ts) < 0)
			return vs_err_sys(err, "cannot set the root's times");
	}
	/*
	 * Durable before the swap, so that a crash after it never leaves
	 * the VS a root whose entries point at unwritten inodes.  syncfs()
	 * of the tree's filesystem rather than fsync() of each object
	 * written: on a filesystem without a journal (this project's CI
	 * hosts run ext4 so) fsync() of a directory persists its entries
	 * but not the inodes of the symlinks and FIFOs they name, and those
	 * cannot be opened for an fsync() of their own; syncfs() persists
	 * every one.  Its price is whatever else is dirty on that
	 * filesystem; measured 2-8 ms on a busy shared host (the extraction
	 * itself and removing the old root cost 100 times that).
	 */
	if (syncfs(c->tmpfd) < 0)
		return vs_err_sys(err, "syncfs");
	return 0;
}

/* Run extract() in a child; its cwd is the new tree, ours is untouched. */
static int
extract_in_child(struct rctx *c, int archfd, struct vs_err *err)
{
	int p[2], status;
	struct vs_err cerr = VS_ERR_INIT;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		close(archfd);
		return vs_err_sys(err, "pipe");
	}
	c->parent = getpid();
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		close(archfd);
		return vs_err_sys(err, "fork");
	}
	if (pid == 0) {
		int rc;

		close(p[0]);
		rc = extract(c, archfd, &cerr);
		if (rc < 0 && !cerr.errnum)
			cerr.errnum = errno ? errno : EIO;
		(void)!write(p[1], &cerr, sizeof(cerr));
		_exit(rc < 0 ? 1 : 0);
	}
	close(p[1]);
	close(archfd);
	do
		n = read(p[0], &cerr, sizeof(cerr));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (n == (ssize_t)sizeof(cerr) && cerr.errnum) {
		cerr.msg[sizeof(cerr.msg) - 1] = '\0';
		return vs_err_set(err, cerr.errnum, "%s", cerr.msg);
	}
	return vs_err_set(err, EIO, "extraction failed (%s %d)",
	    WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ?
	    WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---- the VS's published copy of its rights ------------------------- */

#define PRIV_MAX	(1 << 20)

/*
 * /etc/vsd/priv in a VS is vsd's published copy of the host's rights file
 * state_root/state/priv/NAME (mod_priv.c), host root's so that the VS
 * reads it but cannot change it.  A snapshot stores it like any file
 * owned outside the VS, as nobody's, so the restored tree would hand it
 * to the VS's own nobody (and an old or imported snapshot carries old
 * rights): publish the host's file again into the new tree, before the
 * swap.  No host file: no copy.  The tree is the archive's, so hostile:
 * no symlink is followed (a planted etc/vsd -> elsewhere is refused with
 * a warning).  Best effort, as in mod_priv: the host file is the truth,
 * which bevs and virtuald read; the copy informs the VS's users.
 */
static void
publish_priv(const struct vs_conf *conf, const struct vs_rec *rec,
    int tmpfd)
{
	const char *name = rec->name;
	uid_t nobody = (uid_t)(rec->uid_base + 65534);
	struct stat st;
	_cleanup_free_ char *hp = xasprintf("%s/state/priv/%s",
	    conf->state_root, name);
	_cleanup_close_ int hfd = -1, etc = -1, vsd = -1;
	_cleanup_free_ char *buf = NULL;
	ssize_t len = 0, n;

	hfd = open(hp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (hfd < 0 && errno != ENOENT) {
		log_warn("cannot read '%s'", hp);
		return;
	}
	etc = vs_open_beneath(tmpfd, "etc", O_RDONLY | O_DIRECTORY);
	if (etc < 0) {
		if (hfd >= 0 || errno != ENOENT)
			log_warn("VS '%s': rights not published to "
			    "/etc/vsd/priv: etc", name);
		return;
	}
	if (hfd < 0) {
		/* no rights on the host: no published copy either */
		vsd = openat(etc, "vsd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (vsd >= 0 && unlinkat(vsd, "priv", 0) == 0)
			log_debug("%s: '%s': removed a stale etc/vsd/priv",
			    __func__, name);
		return;
	}
	buf = xmalloc(PRIV_MAX);
	while (len < PRIV_MAX && (n = read(hfd, buf + len,
	    PRIV_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("cannot read '%s'", hp);
			return;
		}
		len += n;
	}
	if (mkdirat(etc, "vsd", 0755) < 0 && errno != EEXIST) {
		log_warn("VS '%s': rights not published to "
		    "/etc/vsd/priv: etc/vsd", name);
		return;
	}
	vsd = openat(etc, "vsd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	/* vsd made etc/vsd host root's; saved as nobody's like the file,
	 * it would come back the VS's nobody's, who could then replace the
	 * copy its users read: host root's again */
	if (vsd >= 0 && fstat(vsd, &st) == 0 && st.st_uid == nobody &&
	    st.st_gid == nobody && fchown(vsd, 0, 0) < 0)
		log_warn("VS '%s': cannot give etc/vsd back to root", name);
	if (vsd < 0 || vs_write_file_at(vsd, "priv", buf, len, 0, 0, 0644) < 0)
		log_warn("VS '%s': rights not published to "
		    "/etc/vsd/priv", name);
}

/* ---- restore ---------------------------------------------------------- */

static int
restore_locked(const struct vs_conf *conf, const struct vs_rec *rec,
    const char *id, const struct vs_snap_opts *opts, struct vs_err *err)
{
	struct rctx c;
	_cleanup_free_ char *vsp = vs_conf_dir(conf, "vs");
	_cleanup_free_ char *skelp = vs_conf_dir(conf, "skel");
	_cleanup_free_ char *file = xasprintf("%s.tar.zst", id);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int vsdir = -1, store = -1, archfd = -1;
	struct vs_err e2 = VS_ERR_INIT;
	long long jid;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.rec = rec;
	c.opts = opts;
	c.tmpfd = c.skelfd = -1;
	vsdir = open(vsp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vsdir < 0)
		return vs_err_sys(err, "cannot open '%s'", vsp);
	store = snap_store_open(conf, rec->name, 0, err);
	if (store < 0)
		return -1;
	archfd = openat(store, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (archfd < 0)
		return vs_err_sys(err, "snapshot '%s'", id);
	/* read the archive ahead of the extraction, which waits for the
	 * disk otherwise when it is not in the page cache */
	posix_fadvise(archfd, 0, 0, POSIX_FADV_SEQUENTIAL);
	posix_fadvise(archfd, 0, 0, POSIX_FADV_WILLNEED);
	if (clean_leftovers(vsdir, rec->name, NULL, err) < 0)
		return -1;
	tmp = xasprintf(".restore-%s.%d", rec->name, (int)getpid());
	jid = vs_journal_begin(conf, "restore", rec->name, tmp, err);
	if (jid < 0)
		return -1;
	if (mkdirat(vsdir, tmp, 0700) < 0) {
		vs_err_sys(err, "cannot create '%s'", tmp);
		goto out;
	}
	c.tmpfd = openat(vsdir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (c.tmpfd < 0 || fstat(c.tmpfd, &c.tmpst) < 0) {
		vs_err_sys(err, "cannot open '%s'", tmp);
		goto out;
	}
	c.skelfd = open(skelp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (extract_in_child(&c, steal_fd(&archfd), err) < 0) {
		vs_err_prefix(err, "snapshot '%s'", id);
		goto out;
	}
	publish_priv(conf, rec, c.tmpfd);
	if (syscall(SYS_renameat2, vsdir, rec->name, vsdir, tmp,
	    RENAME_EXCHANGE) < 0) {
		vs_err_sys(err, "cannot swap the restored tree in");
		goto out;
	}
	fsync(vsdir);
	rc = 0;
out:
	/* before the swap: the half-built tree; after: the old root */
	if (vs_rmtree(vsdir, tmp, NULL, &e2) < 0)
		log_warnx("%s (the next restore or reconcile removes it)",
		    e2.msg);
	else
		vs_journal_end(conf, jid, NULL);
	if (c.tmpfd >= 0)
		close(c.tmpfd);
	if (c.skelfd >= 0)
		close(c.skelfd);
	return rc;
}

int
vs_snap_restore(const struct vs_conf *conf, const char *name,
    const char *id, const struct vs_snap_opts *opts, struct vs_err *err)
{
	struct vs_snap_opts def = VS_SNAP_OPTS_INIT;
	struct vs_rec rec;
	_cleanup_close_ int lock = -1;
	int running, rc;

	if (!opts)
		opts = &def;
	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "bad VS name '%s'", name);
	if (!snap_valid_id(id))
		return vs_err_set(err, EINVAL, "bad snapshot id '%s'", id);
	if (vs_rec_load(conf, name, &rec, err) < 0)
		return -1;
	running = vs_root_running(conf, name, err);
	if (running < 0)
		return -1;
	if (running && !(opts->flags & VS_SNAP_RESTART))
		return vs_err_set(err, EBUSY, "VS '%s' is running: stop it "
		    "first (or use --restart)", name);
	if (running && vs_run_stop(conf, name, -1, err) < 0)
		return vs_err_prefix(err, "cannot stop '%s'", name);
	lock = vs_state_lock(conf, name, 1, err);
	if (lock < 0)
		return vs_err_prefix(err, "VS '%s' is busy", name);
	rc = restore_locked(conf, &rec, id, opts, err);
	if (rc < 0)
		vs_err_prefix(err, "restore '%s'", name);
	close(steal_fd(&lock));
	if (running && vs_run_start(conf, name, 0, rc < 0 ? NULL : err) < 0 &&
	    rc == 0)
		return vs_err_prefix(err, "restored '%s' but cannot start it",
		    name);
	return rc;
}
