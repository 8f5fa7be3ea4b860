/* archive.c - build a skeleton from a rootfs archive (tar, optionally
 * compressed), treated as hostile: no absolute paths, no ".." components,
 * no entry reached through a symlink, no devices, no duplicates; hard
 * links only to files extracted before. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fswalk.h"
#include "hash.h"
#include "log.h"
#include "vsdskel.h"
#include "xmem.h"
#include "banned.h"

/* Normalise an archive path: strip "./" and trailing '/', refuse
 * absolute paths and ".." components.  Returns 0,
 * 1 for the root itself, -1 if hostile. */
static int
clean_path(const char *in, struct vs_buf *out)
{
	const char *c = in;

	vs_buf_reset(out);
	if (*c == '/')
		return -1;
	while (c[0] == '.' && c[1] == '/')
		for (c += 2; *c == '/'; c++)
			;
	if (*c == '\0' || !strcmp(c, "."))
		return 1;
	while (*c) {
		const char *end = strchrnul(c, '/');
		size_t len = (size_t)(end - c);

		if ((len == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (len == 1 && c[0] == '.') {
			/* "a/./b" */
		} else if (len > 0) {
			if (out->len)
				vs_buf_addch(out, '/');
			vs_buf_add(out, c, len);
		}
		c = *end ? end + 1 : end;
	}
	return out->len ? 0 : 1;
}

/* Directories above an entry: the '/' in its clean path. */
static size_t
path_depth(const char *p)
{
	size_t n = 0;

	while ((p = strchr(p, '/')) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Does skel.conf leave path out: excluded, or inside an `empty`
 * directory? */
static int
left_out(const struct vs_skelconf *sc, const char *path)
{
	struct vs_buf up = VS_BUF_INIT;
	char *s;
	int skip = vs_globs_match(&sc->exclude, path);

	vs_buf_adds(&up, path);
	while (!skip && (s = strrchr(up.buf, '/')) != NULL) {
		vs_buf_setlen(&up, (size_t)(s - up.buf));
		skip = vs_globs_match(&sc->empty, up.buf);
	}
	vs_buf_release(&up);
	return skip;
}

/* Open (creating with 0755 root:root as needed) the parent directory of
 * path in dst, one component at a time with O_NOFOLLOW: a symlink the
 * archive planted earlier is never followed.  Created ones go into m. */
static int
open_parent(int dst, const char *path, struct vs_manifest *m,
    struct vs_err *err)
{
	struct vs_buf cur = VS_BUF_INIT, comp = VS_BUF_INIT;
	const char *c = path, *slash;
	int fd, nfd;

	fd = fcntl(dst, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return vs_err_sys(err, "dup");
	while ((slash = strchr(c, '/')) != NULL) {
		vs_buf_reset(&comp);
		vs_buf_add(&comp, c, (size_t)(slash - c));
		if (cur.len)
			vs_buf_addch(&cur, '/');
		vs_buf_adds(&cur, comp.buf);
		c = slash + 1;
		if (mkdirat(fd, comp.buf, 0555) == 0) {
			struct vs_mentry e = { 0 };
			struct stat st;

			e.path = cur.buf;
			e.type = 'd';
			e.mode = 0755;
			if (fstatat(fd, comp.buf, &st, AT_SYMLINK_NOFOLLOW)
			    == 0) {
				e.dev = st.st_dev;
				e.ino = st.st_ino;
			}
			vs_manifest_add(m, &e);
		} else if (errno != EEXIST) {
			vs_err_sys(err, "cannot create '%s'", cur.buf);
			goto fail;
		}
		nfd = openat(fd, comp.buf, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				vs_err_set(err, EPERM, "hostile archive: "
				    "'%s' goes through a symlink or a "
				    "non-directory", path);
			else
				vs_err_sys(err, "cannot open '%s'", cur.buf);
			goto fail;
		}
		close(fd);
		fd = nfd;
	}
	vs_buf_release(&cur);
	vs_buf_release(&comp);
	return fd;
fail:
	close(fd);
	vs_buf_release(&cur);
	vs_buf_release(&comp);
	return -1;
}

static int
set_xattrs(struct archive_entry *ae, int fd, const char *path,
    struct vs_err *err)
{
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &value, &size) ==
	    ARCHIVE_OK) {
		if (!xattr_keep(name))
			continue;
		if (fsetxattr(fd, name, value, size, 0) < 0 &&
		    errno != ENOTSUP && errno != EPERM)
			return vs_err_sys(err, "cannot set xattr '%s' on "
			    "'%s'", name, path);
	}
	return 0;
}

/*
 * The entries extracted so far, by path: the manifest being built stays
 * in archive order (indices stable) and this finds a link entry's file
 * and a directory listed again.  It once sorted the manifest for every
 * link entry and scanned it for every directory: an archive of 32,000
 * files and as many links held vsdskel for 2 minutes, growing with the
 * square of its entries (710).  Open addressing, index + 1 (0 = free);
 * entries the manifest gained elsewhere (open_parent) are taken in
 * before each lookup.
 */
struct pathidx {
	size_t *slot;
	size_t cap, n, done;	/* done: manifest entries indexed */
};

static size_t
path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The slot of path: the entry with it, or the free slot it would take. */
static size_t *
pathidx_slot(struct pathidx *x, const struct vs_manifest *m, const char *path)
{
	size_t h;

	for (h = path_hash(path) & (x->cap - 1);; h = (h + 1) & (x->cap - 1))
		if (x->slot[h] == 0 || !strcmp(m->e[x->slot[h] - 1].path, path))
			return &x->slot[h];
}

static struct vs_mentry *
pathidx_find(struct pathidx *x, struct vs_manifest *m, const char *path)
{
	size_t *s;

	for (; x->done < m->n; x->done++) {
		if (2 * (x->n + 1) > x->cap) {
			struct pathidx old = *x;
			size_t i;

			x->cap = old.cap ? 2 * old.cap : 1024;
			x->slot = xcalloc(x->cap, sizeof(*x->slot));
			for (i = 0; i < old.cap; i++)
				if (old.slot[i])
					*pathidx_slot(x, m,
					    m->e[old.slot[i] - 1].path) =
					    old.slot[i];
			free(old.slot);
		}
		s = pathidx_slot(x, m, m->e[x->done].path);
		if (*s == 0)
			x->n++;
		*s = x->done + 1;	/* a path listed again: the last */
	}
	if (x->cap == 0)
		return NULL;
	s = pathidx_slot(x, m, path);
	return *s ? &m->e[*s - 1] : NULL;
}

static int
extract_file(struct archive *a, int dir, const char *base,
    const char *path, struct vs_mentry *me, struct vs_err *err)
{
	struct vs_hash h = VS_HASH_INIT;
	_cleanup_close_ int fd = -1;
	const void *buf;
	size_t size;
	la_int64_t off, pos = 0;
	int r;

	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return vs_err_sys(err, errno == EEXIST ? "hostile archive: "
		    "'%s' listed twice" : "cannot create '%s'", path);
	if (vs_hash_init(&h, err) < 0)
		return -1;
	while ((r = archive_read_data_block(a, &buf, &size, &off)) ==
	    ARCHIVE_OK) {
		static const char zeros[4096];

		/* sparse holes: hash (and write) them as zeros */
		while (pos < off) {
			size_t z = off - pos > (la_int64_t)sizeof(zeros) ?
			    sizeof(zeros) : (size_t)(off - pos);

			if (pwrite(fd, zeros, z, pos) != (ssize_t)z)
				goto wfail;
			vs_hash_update(&h, zeros, z, NULL);
			pos += (la_int64_t)z;
		}
		if (size && pwrite(fd, buf, size, off) != (ssize_t)size)
			goto wfail;
		vs_hash_update(&h, buf, size, NULL);
		pos = off + (la_int64_t)size;
	}
	if (r != ARCHIVE_EOF) {
		vs_hash_release(&h);
		return vs_err_set(err, EIO, "cannot read '%s' from archive: "
		    "%s", path, archive_error_string(a));
	}
	if (vs_hash_final(&h, me->sha256, err) < 0)
		return -1;
	me->has_hash = 1;
	me->size = pos;
	if (seal_entry(dir, base, fd, 'f', me->uid, me->gid, 0600, me->mtime,
	    err) < 0)
		return -1;
	return steal_fd(&fd);
wfail:
	vs_hash_release(&h);
	return vs_err_sys(err, "cannot write '%s'", path);
}

int
build_from_archive(const char *path, int dstfd,
    const struct vs_skelconf *sc, int progress_on, struct vs_manifest *m,
    size_t *skipped, struct vs_err *err)
{
	struct vs_manifest tmp = VS_MANIFEST_INIT;
	struct vs_buf p = VS_BUF_INIT, lp = VS_BUF_INIT;
	struct pathidx idx = { NULL, 0, 0, 0 };
	struct archive_entry *ae;
	struct progress pr;
	struct archive *a;
	struct stat ast;
	int r, rc = 0;

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		rc = vs_err_set(err, archive_errno(a) ? archive_errno(a) :
		    EINVAL, "cannot open '%s': %s", path,
		    archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	if (stat(path, &ast) < 0)
		ast.st_size = 0;
	progress_start(&pr, progress_on, "extracting", 0, ast.st_size);
	while (rc == 0 && (r = archive_read_next_header(a, &ae)) ==
	    ARCHIVE_OK) {
		struct vs_mentry me = { 0 }, *old;
		const char *base, *hl;
		mode_t ft = archive_entry_filetype(ae);
		int dir = -1, fd = -1, c;
		struct stat st;

		c = clean_path(archive_entry_pathname(ae), &p);
		if (c < 0) {
			rc = vs_err_set(err, EPERM, "hostile archive: bad path "
			    "'%s'", archive_entry_pathname(ae));
			break;
		}
		if (c == 1 || left_out(sc, p.buf))
			continue;
		/* as deep as a --from tree may be (fswalk.h: a directory
		 * at most 255 levels down): a deeper one was built, then
		 * every check failed and the update's removal of its
		 * skel.new stopped each later run (711) */
		if (path_depth(p.buf) + (ft == AE_IFDIR) >=
		    VS_FSWALK_MAXDEPTH) {
			rc = vs_err_set(err, ELOOP, "hostile archive: '%.64s...' "
			    "is deeper than %d levels", p.buf,
			    VS_FSWALK_MAXDEPTH);
			break;
		}
		hl = archive_entry_hardlink(ae);
		if (!hl && ft != AE_IFREG && ft != AE_IFDIR && ft != AE_IFLNK) {
			(*skipped)++;
			continue;
		}
		base = strrchr(p.buf, '/');
		base = base ? base + 1 : p.buf;
		dir = open_parent(dstfd, p.buf, &tmp, err);
		if (dir < 0) {
			rc = -1;
			break;
		}
		me.path = p.buf;
		me.mode = archive_entry_perm(ae) & 07777;
		me.uid = (uid_t)archive_entry_uid(ae);
		me.gid = (gid_t)archive_entry_gid(ae);
		me.mtime = archive_entry_mtime(ae);
		if (hl) {
			const struct vs_mentry *t;
			int tdir;

			if (clean_path(hl, &lp) != 0) {
				rc = vs_err_set(err, EPERM, "hostile archive: "
				    "bad link target '%s'", hl);
				goto next;
			}
			t = pathidx_find(&idx, &tmp, lp.buf);
			if (t == NULL && left_out(sc, lp.buf)) {
				/* tar stores the data with the first name */
				rc = vs_err_set(err, EINVAL, "'%s' is a hard "
				    "link to '%s', which skel.conf leaves out: "
				    "its data is not taken (take both names or "
				    "neither)", p.buf, hl);
				goto next;
			}
			if (t == NULL || t->type != 'f') {
				rc = vs_err_set(err, EPERM, "hostile archive: "
				    "'%s' links to '%s', not a file extracted "
				    "before", p.buf, hl);
				goto next;
			}
			tdir = open_parent(dstfd, lp.buf, &tmp, err);
			if (tdir < 0) {
				rc = -1;
				goto next;
			}
			me = *t;
			me.target = NULL;
			me.path = p.buf;
			{
				const char *tb = strrchr(lp.buf, '/');

				tb = tb ? tb + 1 : lp.buf;
				if (linkat(tdir, tb, dir, base, 0) < 0)
					rc = vs_err_sys(err, "cannot link "
					    "'%s'", p.buf);
			}
			close(tdir);
			if (rc == 0)
				vs_manifest_add(&tmp, &me);
			goto next;
		}
		if (ft == AE_IFDIR) {
			me.type = 'd';
			me.mtime = 0;
			if (mkdirat(dir, base, 0700) < 0 && errno != EEXIST) {
				rc = vs_err_sys(err, "cannot create '%s'",
				    p.buf);
				goto next;
			}
			fd = openat(dir, base, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				rc = vs_err_set(err, EPERM, "hostile archive: "
				    "'%s' is not a directory", p.buf);
				goto next;
			}
			if (seal_entry(dir, base, fd, 'd', me.uid, me.gid,
			    me.mode, 0, err) < 0) {
				rc = -1;
				goto next;
			}
			old = pathidx_find(&idx, &tmp, p.buf);
			if (old && old->type == 'd') {
				old->mode = me.mode;
				old->uid = me.uid;
				old->gid = me.gid;
				goto next;
			}
		} else if (ft == AE_IFLNK) {
			const char *t = archive_entry_symlink(ae);

			me.type = 'l';
			me.mode = 0777;
			if (t == NULL || *t == '\0') {
				rc = vs_err_set(err, EPERM, "hostile archive: "
				    "empty symlink '%s'", p.buf);
				goto next;
			}
			if (symlinkat(t, dir, base) < 0) {
				rc = vs_err_sys(err, errno == EEXIST ?
				    "hostile archive: '%s' listed twice" :
				    "cannot create '%s'", p.buf);
				goto next;
			}
			if (seal_entry(dir, base, -1, 'l', me.uid, me.gid,
			    0777, me.mtime, err) < 0) {
				rc = -1;
				goto next;
			}
			me.target = xstrdup(t);
			me.size = (long long)strlen(t);
		} else {
			me.type = 'f';
			fd = extract_file(a, dir, base, p.buf, &me, err);
			if (fd < 0) {
				rc = -1;
				goto next;
			}
		}
		if (fd >= 0) {
			if (set_xattrs(ae, fd, p.buf, err) < 0 ||
			    fchmod(fd, me.mode & ~0222) < 0) {
				rc = -1;
				goto next;
			}
			if (fstat(fd, &st) == 0) {
				me.dev = st.st_dev;
				me.ino = st.st_ino;
			}
		} else if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			me.dev = st.st_dev;
			me.ino = st.st_ino;
		}
		vs_manifest_add(&tmp, &me);
		if (me.type != 'd')
			progress_add(&pr, 1, 0);
next:
		free(me.target);
		if (fd >= 0)
			close(fd);
		if (dir >= 0)
			close(dir);
		pr.bytes = archive_filter_bytes(a, -1);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = vs_err_set(err, EIO, "cannot read '%s': %s", path,
		    archive_error_string(a));
	progress_done(&pr);
	archive_read_free(a);
	vs_buf_release(&p);
	vs_buf_release(&lp);
	free(idx.slot);
	if (rc == 0 && vs_manifest_sort(&tmp) < 0)
		rc = vs_err_set(err, EPERM, "hostile archive: a path is "
		    "listed twice");
	if (rc < 0) {
		vs_manifest_release(&tmp);
		return -1;
	}
	*m = tmp;
	return 0;
}
