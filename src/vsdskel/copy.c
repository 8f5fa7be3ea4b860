/* copy.c - copy a plan into a new skeleton tree: contents hashed while
 * copied, owners, modes without write bits, xattrs, symlinks, mtimes.
 * Every open on either side is resolved beneath its root with no symlink
 * allowed (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "atfile.h"
#include "buf.h"
#include "hash.h"
#include "log.h"
#include "vsdskel.h"
#include "xmem.h"
#include "banned.h"

#define COPY_CHUNK	(256 * 1024)

static int
open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = { 0 };

	how.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how,
	    sizeof(how));
}

/* A cached directory fd for the parent of the entry being copied. */
struct dircache {
	int root;
	int fd;
	struct vs_buf path;
};

static int
dircache_get(struct dircache *c, const char *parent)
{
	if (c->fd >= 0 && strcmp(c->path.buf, parent) == 0)
		return c->fd;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = open_beneath(c->root, parent, O_RDONLY | O_DIRECTORY);
	vs_buf_reset(&c->path);
	vs_buf_adds(&c->path, parent);
	return c->fd;
}

static void
dircache_release(struct dircache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	vs_buf_release(&c->path);
}

/* Which xattrs a skeleton keeps: user.*, file capabilities and security
 * labels.  POSIX ACLs are dropped (an ACL could grant a write permission
 * the mode bits no longer show), as are trusted.* (kernel internals of
 * the source, e.g. overlayfs). */
int
xattr_keep(const char *name)
{
	return !strncmp(name, "user.", 5) ||
	    !strcmp(name, "security.capability") ||
	    !strcmp(name, "security.selinux") ||
	    !strcmp(name, "security.ima");
}

/* Copy xattrs of src to dst (fds); unsupported ones are dropped with a
 * debug line: a skeleton on a filesystem without them still works. */
static int
copy_xattrs(int src, int dst, const char *path, struct vs_err *err)
{
	char names[16384], value[65536];
	ssize_t len, vlen;
	char *n;

	len = flistxattr(src, names, sizeof(names));
	if (len < 0) {
		if (errno == ENOTSUP)
			return 0;
		return vs_err_sys(err, "cannot list xattrs of '%s'", path);
	}
	for (n = names; n < names + len; n += strlen(n) + 1) {
		if (!xattr_keep(n))
			continue;
		vlen = fgetxattr(src, n, value, sizeof(value));
		if (vlen < 0) {
			if (errno == ENODATA)
				continue;
			return vs_err_sys(err, "cannot read xattr '%s' of "
			    "'%s'", n, path);
		}
		if (fsetxattr(dst, n, value, (size_t)vlen, 0) < 0) {
			if (errno == ENOTSUP || errno == EPERM) {
				log_debug("%s: '%s': xattr '%s' dropped: %s",
				    __func__, path, n, strerror(errno));
				continue;
			}
			return vs_err_sys(err, "cannot set xattr '%s' on '%s'",
			    n, path);
		}
	}
	return 0;
}

int
seal_entry(int dirfd, const char *name, int fd, char type, uid_t uid,
    gid_t gid, mode_t mode, long long mtime, struct vs_err *err)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { mtime, 0 } };

	if (type == 'l') {
		if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return vs_err_sys(err, "cannot chown '%s'", name);
		if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return vs_err_sys(err, "cannot set time of '%s'",
			    name);
		return 0;
	}
	if (fchown(fd, uid, gid) < 0)
		return vs_err_sys(err, "cannot chown '%s'", name);
	/* after the chown, which clears set-id bits */
	if (fchmod(fd, mode & 07777 & ~0222) < 0)
		return vs_err_sys(err, "cannot chmod '%s'", name);
	if (type != 'd' && futimens(fd, ts) < 0)
		return vs_err_sys(err, "cannot set time of '%s'", name);
	return 0;
}

/*
 * Source files with more than one name, by inode, and the index of the
 * first name's entry in the manifest being built: the other names become
 * hard links to that copy, as the source has them (cp -a, tar and
 * rsync -H keep them too).  Copying each name cost the skeleton the file
 * once per name (Debian's perl 2 x 3.6 MB, mesa's drivers 13 x 25 MB).
 * Open addressing; a --from tree made with cp -al has every file here.
 */
struct linkmap {
	struct linkslot {
		dev_t dev;
		ino_t ino;
		size_t idx;	/* + 1; 0 = free slot */
	} *s;
	size_t n, cap;		/* cap: a power of two */
};

static struct linkslot *
linkmap_slot(struct linkmap *lm, dev_t dev, ino_t ino)
{
	size_t h = ((size_t)ino * 0x9e3779b97f4a7c15ULL) ^ (size_t)dev;

	for (h &= lm->cap - 1;; h = (h + 1) & (lm->cap - 1))
		if (lm->s[h].idx == 0 ||
		    (lm->s[h].dev == dev && lm->s[h].ino == ino))
			return &lm->s[h];
}

static size_t
linkmap_find(struct linkmap *lm, const struct stat *st)
{
	return lm->cap ? linkmap_slot(lm, st->st_dev, st->st_ino)->idx : 0;
}

static void
linkmap_add(struct linkmap *lm, const struct stat *st, size_t idx)
{
	if (2 * (lm->n + 1) > lm->cap) {
		struct linkmap old = *lm;
		size_t i;

		lm->cap = old.cap ? 2 * old.cap : 256;
		lm->s = xcalloc(lm->cap, sizeof(*lm->s));
		for (i = 0; i < old.cap; i++)
			if (old.s[i].idx)
				*linkmap_slot(lm, old.s[i].dev,
				    old.s[i].ino) = old.s[i];
		free(old.s);
	}
	*linkmap_slot(lm, st->st_dev, st->st_ino) = (struct linkslot){
		st->st_dev, st->st_ino, idx + 1 };
	lm->n++;
}

/*
 * Another name of a file already copied (first, in the new skeleton):
 * link it there.  The source name must still be the inode the plan saw.
 */
static int
link_file(const struct plan_ent *pe, int sdir, int dstfd, int ddir,
    const char *base, const struct vs_mentry *first, struct vs_mentry *me,
    struct vs_err *err)
{
	_cleanup_close_ int fdir = -1;
	struct stat st;

	if (fstatat(sdir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vs_err_sys(err, "cannot stat '/%s'", pe->path);
	if (st.st_dev != pe->st.st_dev || st.st_ino != pe->st.st_ino)
		return vs_err_set(err, EAGAIN, "'/%s' changed while copying",
		    pe->path);
	fdir = vs_open_parent_beneath(dstfd, first->path);
	if (fdir < 0 || linkat(fdir, vs_path_base(first->path), ddir, base,
	    0) < 0)
		return vs_err_sys(err, "cannot link '%s' to '%s'", pe->path,
		    first->path);
	*me = *first;
	me->path = pe->path;
	return 0;
}

/* Copy one regular file, hashing what is written. */
static int
copy_file(const struct plan_ent *pe, int sdir, int ddir, const char *base,
    struct vs_mentry *me, struct progress *pr, struct vs_err *err)
{
	_cleanup_close_ int in = -1, out = -1;
	_cleanup_free_ char *buf = NULL;
	struct vs_hash h = VS_HASH_INIT;
	struct stat st;
	long long total = 0;
	ssize_t n;

	if (pe->content == NULL) {
		in = openat(sdir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
		if (in < 0)
			return vs_err_sys(err, "cannot open '/%s'", pe->path);
		if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_ino != pe->st.st_ino)
			return vs_err_set(err, EAGAIN, "'/%s' changed while "
			    "copying", pe->path);
	}
	out = openat(ddir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0)
		return vs_err_sys(err, "cannot create '%s'", pe->path);
	if (vs_hash_init(&h, err) < 0)
		return -1;
	if (pe->content) {
		if (vs_write_all(out, pe->content, pe->content_len) < 0)
			goto wfail;
		vs_hash_update(&h, pe->content, pe->content_len, NULL);
		total = (long long)pe->content_len;
		progress_add(pr, 0, total);
	} else {
		buf = xmalloc(COPY_CHUNK);
		for (;;) {
			n = read(in, buf, COPY_CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				vs_hash_release(&h);
				return vs_err_sys(err, "cannot read '/%s'",
				    pe->path);
			}
			if (n == 0)
				break;
			if (vs_write_all(out, buf, (size_t)n) < 0)
				goto wfail;
			vs_hash_update(&h, buf, (size_t)n, NULL);
			total += n;
			progress_add(pr, 0, n);
		}
	}
	if (vs_hash_final(&h, me->sha256, err) < 0)
		return -1;
	me->has_hash = 1;
	me->size = total;
	if (seal_entry(ddir, base, out, 'f', pe->st.st_uid, pe->st.st_gid,
	    0600, pe->st.st_mtim.tv_sec, err) < 0)
		return -1;
	/* xattrs after the chown (it drops security.capability), mode
	 * last (set-id bits) */
	if (in >= 0 && copy_xattrs(in, out, pe->path, err) < 0)
		return -1;
	if (fchmod(out, pe->st.st_mode & 07777 & ~0222) < 0)
		return vs_err_sys(err, "cannot chmod '%s'", pe->path);
	if (fstat(out, &st) < 0)
		return vs_err_sys(err, "cannot stat '%s'", pe->path);
	me->dev = st.st_dev;
	me->ino = st.st_ino;
	return 0;
wfail:
	vs_hash_release(&h);
	return vs_err_sys(err, "cannot write '%s'", pe->path);
}

static int
copy_dir(const struct plan_ent *pe, int sdir, int ddir, const char *base,
    struct vs_mentry *me, struct vs_err *err)
{
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;

	in = openat(sdir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (in < 0)
		return vs_err_sys(err, "cannot open '/%s'", pe->path);
	if (mkdirat(ddir, base, 0700) < 0)
		return vs_err_sys(err, "cannot create '%s'", pe->path);
	out = openat(ddir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (out < 0)
		return vs_err_sys(err, "cannot open '%s'", pe->path);
	if (seal_entry(ddir, base, out, 'd', pe->st.st_uid, pe->st.st_gid,
	    pe->st.st_mode, 0, err) < 0)
		return -1;
	if (copy_xattrs(in, out, pe->path, err) < 0)
		return -1;
	if (fchmod(out, pe->st.st_mode & 07777 & ~0222) < 0)
		return vs_err_sys(err, "cannot chmod '%s'", pe->path);
	if (fstat(out, &st) < 0)
		return vs_err_sys(err, "cannot stat '%s'", pe->path);
	me->dev = st.st_dev;
	me->ino = st.st_ino;
	return 0;
}

static int
copy_link(const struct plan_ent *pe, int sdir, int ddir, const char *base,
    struct vs_mentry *me, struct vs_err *err)
{
	char target[PATH_MAX + 1];
	struct stat st;
	ssize_t n;

	n = readlinkat(sdir, base, target, sizeof(target) - 1);
	if (n <= 0)
		return vs_err_sys(err, "cannot read link '/%s'", pe->path);
	target[n] = '\0';
	if (symlinkat(target, ddir, base) < 0)
		return vs_err_sys(err, "cannot create '%s'", pe->path);
	if (seal_entry(ddir, base, -1, 'l', pe->st.st_uid, pe->st.st_gid,
	    0777, pe->st.st_mtim.tv_sec, err) < 0)
		return -1;
	if (fstatat(ddir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vs_err_sys(err, "cannot stat '%s'", pe->path);
	me->target = xstrdup(target);
	me->size = n;
	me->dev = st.st_dev;
	me->ino = st.st_ino;
	return 0;
}

int
copy_plan(const struct plan *p, int srcfd, int dstfd, struct progress *pr,
    struct vs_manifest *m, struct vs_err *err)
{
	struct dircache sc = { srcfd, -1, VS_BUF_INIT };
	struct dircache dc = { dstfd, -1, VS_BUF_INIT };
	struct vs_buf parent = VS_BUF_INIT;
	struct vs_manifest tmp = VS_MANIFEST_INIT;
	struct linkmap links = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n && rc == 0; i++) {
		const struct plan_ent *pe = &p->e[i];
		const char *slash = strrchr(pe->path, '/');
		const char *base = slash ? slash + 1 : pe->path;
		struct vs_mentry me = { 0 };
		int sdir = -1, ddir;

		vs_buf_reset(&parent);
		if (slash)
			vs_buf_add(&parent, pe->path,
			    (size_t)(slash - pe->path));
		if (pe->content == NULL || S_ISDIR(pe->st.st_mode)) {
			sdir = dircache_get(&sc, parent.buf);
			if (sdir < 0) {
				rc = vs_err_sys(err, "cannot open '/%s'",
				    parent.buf);
				break;
			}
		}
		ddir = dircache_get(&dc, parent.buf);
		if (ddir < 0) {
			rc = vs_err_sys(err, "cannot open '%s' in the new "
			    "skeleton", parent.buf);
			break;
		}
		me.path = pe->path;
		me.mode = pe->st.st_mode & 07777;
		me.uid = pe->st.st_uid;
		me.gid = pe->st.st_gid;
		me.mtime = pe->st.st_mtim.tv_sec;
		if (S_ISREG(pe->st.st_mode) && pe->content == NULL &&
		    pe->st.st_nlink > 1 && linkmap_find(&links, &pe->st)) {
			size_t first = linkmap_find(&links, &pe->st) - 1;

			rc = link_file(pe, sdir, dstfd, ddir, base,
			    &tmp.e[first], &me, err);
			if (rc == 0)
				progress_add(pr, 0, me.size);
		} else if (S_ISREG(pe->st.st_mode)) {
			me.type = 'f';
			rc = copy_file(pe, sdir, ddir, base, &me, pr, err);
			if (rc == 0 && pe->content == NULL &&
			    pe->st.st_nlink > 1)
				linkmap_add(&links, &pe->st, tmp.n);
		} else if (S_ISDIR(pe->st.st_mode)) {
			me.type = 'd';
			me.mtime = 0;
			rc = copy_dir(pe, sdir, ddir, base, &me, err);
		} else if (S_ISLNK(pe->st.st_mode)) {
			me.type = 'l';
			me.mode = 0777;
			rc = copy_link(pe, sdir, ddir, base, &me, err);
		} else {
			continue;	/* plan never holds others */
		}
		if (rc == 0) {
			vs_manifest_add(&tmp, &me);
			if (me.type != 'd')
				progress_add(pr, 1, 0);
		}
		free(me.target);
	}
	dircache_release(&sc);
	dircache_release(&dc);
	vs_buf_release(&parent);
	free(links.s);
	if (rc < 0) {
		int saved = errno;

		vs_manifest_release(&tmp);
		errno = saved;
		return -1;
	}
	if (vs_manifest_sort(&tmp) < 0) {
		vs_manifest_release(&tmp);
		return vs_err_set(err, EEXIST, "duplicate path in plan");
	}
	*m = tmp;
	return 0;
}
