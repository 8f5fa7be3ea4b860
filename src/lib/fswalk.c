/* fswalk.c - depth-first, fd-relative tree walk that never follows symlinks
 * and never leaves its mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fswalk.h"
#include "xmem.h"
#include "banned.h"

struct walk {
	vs_fswalk_fn fn;
	void *ctx;
	unsigned flags;
	dev_t dev;
	unsigned long long mnt_id;
	int have_mnt_id;
	struct vs_buf path;
	struct vs_err *err;
};

int
vs_fswalk_mnt_id(int fd, unsigned long long *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID)) {
		errno = ENOSYS;
		return -1;
	}
	*id = stx.stx_mnt_id;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Read the names in dirfd (sorted); the fd itself stays open and ours. */
static int
read_names(int dirfd, char ***namesp, size_t *np, struct vs_err *err,
    const char *path)
{
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", *path ? path : ".");
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return vs_err_sys(err, "cannot read '%s'", *path ? path : ".");
	}
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			break;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		xgrow(&names, sizeof(*names), n + 1, &alloc);
		names[n++] = xstrdup(d->d_name);
	}
	if (errno != 0) {
		vs_err_sys(err, "cannot read '%s'", *path ? path : ".");
		closedir(dir);
		free_names(names, n);
		return -1;
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*np = n;
	return 0;
}

/* Open directory name in dirfd as the same object st described, on our
 * mount.  Returns the fd, -2 if it is another mount or changed under us,
 * -1 on error. */
static int
open_dir(struct walk *w, int dirfd, const char *name, struct stat *st)
{
	unsigned long long id;
	struct stat fst;
	int fd;

	if (st->st_dev != w->dev)
		return -2;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		/* replaced by a symlink or something else since the lstat */
		if (errno == ELOOP || errno == ENOTDIR)
			return -2;
		return -1;
	}
	if (fstat(fd, &fst) < 0 || fst.st_dev != st->st_dev ||
	    fst.st_ino != st->st_ino) {
		close(fd);
		return -2;
	}
	/* a bind mount of the same filesystem keeps st_dev: ask for the
	 * mount id */
	if (w->have_mnt_id && (vs_fswalk_mnt_id(fd, &id) < 0 ||
	    id != w->mnt_id)) {
		close(fd);
		return -2;
	}
	*st = fst;
	return fd;
}

static int
walk_dir(struct walk *w, int dirfd, int depth)
{
	char **names = NULL;
	size_t n = 0, i, base = w->path.len;
	int rc = 0, r;

	if (depth > VS_FSWALK_MAXDEPTH) {
		return vs_err_set(w->err, ELOOP, "'%s': tree deeper than %d "
		    "levels", w->path.buf, VS_FSWALK_MAXDEPTH);
	}
	if (read_names(dirfd, &names, &n, w->err, w->path.buf) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		struct vs_fswalk_ent e = { 0 };
		struct stat st;
		int fd = -1;

		vs_buf_setlen(&w->path, base);
		if (base)
			vs_buf_addch(&w->path, '/');
		vs_buf_adds(&w->path, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			rc = vs_err_sys(w->err, "cannot stat '%s'",
			    w->path.buf);
			break;
		}
		e.dirfd = dirfd;
		e.name = names[i];
		e.path = w->path.buf;
		e.st = &st;
		e.fd = -1;
		e.depth = depth;
		if (S_ISDIR(st.st_mode)) {
			fd = open_dir(w, dirfd, names[i], &st);
			if (fd == -1) {
				if (errno == ENOENT)
					continue;
				rc = vs_err_sys(w->err, "cannot open '%s'",
				    w->path.buf);
				break;
			}
			if (fd == -2) {
				e.mount = 1;
				fd = -1;
			}
			e.fd = fd;
		}
		r = w->fn(w->ctx, &e, w->err);
		if (r < 0) {
			rc = -1;
		} else if (fd >= 0 && r != VS_FSWALK_SKIP) {
			rc = walk_dir(w, fd, depth + 1);
			if (rc == 0 && (w->flags & VS_FSWALK_POST)) {
				vs_buf_setlen(&w->path, base);
				if (base)
					vs_buf_addch(&w->path, '/');
				vs_buf_adds(&w->path, names[i]);
				e.path = w->path.buf;
				e.post = 1;
				if (w->fn(w->ctx, &e, w->err) < 0)
					rc = -1;
			}
		}
		if (fd >= 0) {
			int saved = errno;

			close(fd);
			errno = saved;
		}
	}
	vs_buf_setlen(&w->path, base);
	free_names(names, n);
	return rc;
}

int
vs_fswalk(int dirfd, vs_fswalk_fn fn, void *ctx, unsigned flags,
    struct vs_err *err)
{
	struct walk w = { 0 };
	struct stat st;
	int rc;

	if (fstat(dirfd, &st) < 0)
		return vs_err_sys(err, "cannot stat walk root");
	if (!S_ISDIR(st.st_mode))
		return vs_err_set(err, ENOTDIR, "walk root is not a directory");
	w.fn = fn;
	w.ctx = ctx;
	w.flags = flags;
	w.dev = st.st_dev;
	w.have_mnt_id = vs_fswalk_mnt_id(dirfd, &w.mnt_id) == 0;
	w.err = err;
	vs_buf_init(&w.path, 256);
	rc = walk_dir(&w, dirfd, 1);
	if (rc < 0) {
		int saved = errno;

		vs_buf_release(&w.path);
		errno = saved;
		return -1;
	}
	vs_buf_release(&w.path);
	return 0;
}
