/* manifest.c - build, save, load, search and compare skeleton manifests. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "fswalk.h"
#include "manifest.h"
#include "valid.h"
#include "xmem.h"
#include "banned.h"

#define MANIFEST_MAGIC		"freevsd-manifest 1"
#define MANIFEST_MAX_BYTES	(512L * 1024 * 1024)

void
vs_mentry_release(struct vs_mentry *e)
{
	free(e->path);
	free(e->target);
	e->path = NULL;
	e->target = NULL;
}

void
vs_manifest_release(struct vs_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		vs_mentry_release(&m->e[i]);
	free(m->e);
	m->e = NULL;
	m->n = m->alloc = 0;
}

void
vs_manifest_add(struct vs_manifest *m, const struct vs_mentry *e)
{
	struct vs_mentry *d;

	xgrow(&m->e, sizeof(*m->e), m->n + 1, &m->alloc);
	d = &m->e[m->n++];
	*d = *e;
	d->path = xstrdup(e->path);
	d->target = e->target ? xstrdup(e->target) : NULL;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vs_mentry *)a)->path,
	    ((const struct vs_mentry *)b)->path);
}

int
vs_manifest_sort(struct vs_manifest *m)
{
	size_t i;

	if (m->n > 1)
		qsort(m->e, m->n, sizeof(*m->e), entry_cmp);
	for (i = 1; i < m->n; i++) {
		if (strcmp(m->e[i - 1].path, m->e[i].path) == 0) {
			errno = EEXIST;
			return -1;
		}
	}
	return 0;
}

const struct vs_mentry *
vs_manifest_find(const struct vs_manifest *m, const char *path)
{
	struct vs_mentry key = { 0 };

	if (m->n == 0)
		return NULL;
	key.path = (char *)path;
	return bsearch(&key, m->e, m->n, sizeof(*m->e), entry_cmp);
}

static char
type_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return 'f';
	case S_IFDIR:	return 'd';
	case S_IFLNK:	return 'l';
	case S_IFCHR:	return 'c';
	case S_IFBLK:	return 'b';
	case S_IFIFO:	return 'p';
	case S_IFSOCK:	return 's';
	}
	return '?';
}

int
vs_mentry_from_stat(struct vs_mentry *e, const char *path, int dirfd,
    const char *name, const struct stat *st, struct vs_err *err)
{
	struct vs_mentry n = { 0 };

	n.type = type_of(st->st_mode);
	if (n.type == '?')
		return vs_err_set(err, EINVAL, "'%s': unknown file type", path);
	n.mode = st->st_mode & 07777;
	n.uid = st->st_uid;
	n.gid = st->st_gid;
	n.size = n.type == 'd' ? 0 : st->st_size;	/* dir sizes mean nothing */
	/* a directory's mtime only says when an entry last changed */
	n.mtime = n.type == 'd' ? 0 : st->st_mtim.tv_sec;
	n.dev = st->st_dev;
	n.ino = st->st_ino;
	if (n.type == 'c' || n.type == 'b') {
		n.rdev_major = major(st->st_rdev);
		n.rdev_minor = minor(st->st_rdev);
	}
	if (n.type == 'l') {
		char buf[PATH_MAX + 1];
		ssize_t len = readlinkat(dirfd, name, buf, sizeof(buf));

		if (len < 0)
			return vs_err_sys(err, "cannot read link '%s'", path);
		if ((size_t)len >= sizeof(buf) || len == 0)
			return vs_err_set(err, ENAMETOOLONG,
			    "'%s': bad symlink target length", path);
		n.target = xstrndup(buf, (size_t)len);
	}
	n.path = xstrdup(path);
	*e = n;
	return 0;
}

struct build_ctx {
	struct vs_manifest *m;
	unsigned flags;
};

static int
build_cb(void *ctx, const struct vs_fswalk_ent *w, struct vs_err *err)
{
	struct build_ctx *b = ctx;
	struct vs_mentry e;

	if (w->mount)
		return vs_err_set(err, EXDEV, "'%s' is another mount", w->path);
	if (vs_mentry_from_stat(&e, w->path, w->dirfd, w->name, w->st,
	    err) < 0)
		return -1;
	if (e.type == 'f' && !(b->flags & VS_MANIFEST_NOHASH)) {
		if (vs_hash_file_at(w->dirfd, w->name, e.sha256, err) < 0) {
			vs_mentry_release(&e);
			return vs_err_prefix(err, "manifest");
		}
		e.has_hash = 1;
	}
	xgrow(&b->m->e, sizeof(*b->m->e), b->m->n + 1, &b->m->alloc);
	b->m->e[b->m->n++] = e;	/* takes path and target */
	return 0;
}

int
vs_manifest_build(int rootfd, unsigned flags, struct vs_manifest *m,
    struct vs_err *err)
{
	struct vs_manifest tmp = VS_MANIFEST_INIT;
	struct build_ctx b = { &tmp, flags };

	if (vs_fswalk(rootfd, build_cb, &b, 0, err) < 0) {
		int saved = errno;

		vs_manifest_release(&tmp);
		errno = saved;
		return -1;
	}
	if (vs_manifest_sort(&tmp) < 0) {
		vs_manifest_release(&tmp);
		return vs_err_set(err, EEXIST, "duplicate path in walk");
	}
	*m = tmp;
	return 0;
}

/* ---- text format ---------------------------------------------------- */

void
vs_manifest_escape(struct vs_buf *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
			vs_buf_addf(out, "\\x%02x", *p);
		else
			vs_buf_addch(out, *p);
	}
}

int
vs_manifest_unescape(struct vs_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int hi, lo;

	vs_buf_reset(out);
	while (*p) {
		if (*p == '\\') {
			if (p[1] != 'x' || (hi = vs_hexval(p[2])) < 0 ||
			    (lo = vs_hexval(p[3])) < 0 || (hi == 0 && lo == 0)) {
				errno = EINVAL;
				return -1;
			}
			vs_buf_addch(out, hi << 4 | lo);
			p += 4;
		} else if (*p <= 0x20 || *p >= 0x7f) {
			errno = EINVAL;
			return -1;
		} else {
			vs_buf_addch(out, *p++);
		}
	}
	return 0;
}

void
vs_manifest_format(const struct vs_manifest *m, struct vs_buf *out)
{
	char hex[VS_HASH_HEXLEN + 1];
	size_t i;

	vs_buf_adds(out, MANIFEST_MAGIC "\n");
	for (i = 0; i < m->n; i++) {
		const struct vs_mentry *e = &m->e[i];

		if (e->has_hash)
			vs_hash_hex(e->sha256, hex);
		vs_buf_addf(out, "%c %04o %lu %lu %lld %lld %s ", e->type,
		    (unsigned)e->mode, (unsigned long)e->uid,
		    (unsigned long)e->gid, e->size, e->mtime,
		    e->has_hash ? hex : "-");
		vs_manifest_escape(out, e->path);
		if (e->type == 'l') {
			vs_buf_addch(out, ' ');
			vs_manifest_escape(out, e->target);
		} else if (e->type == 'c' || e->type == 'b') {
			vs_buf_addf(out, " %u,%u", e->rdev_major,
			    e->rdev_minor);
		}
		vs_buf_addch(out, '\n');
	}
}

static int
parse_ull(const char *s, unsigned long long max, unsigned long long *v,
    int base)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

static int
parse_line(char *line, struct vs_mentry *e, struct vs_buf *tmp,
    const char **why)
{
	char *f[9];
	int nf = 0;
	char *p = line, *save;
	unsigned long long v;
	struct vs_mentry n = { 0 };

	while (nf < 9 && (f[nf] = strtok_r(nf ? NULL : p, " ", &save)))
		nf++;
	if (nf < 8) {
		*why = "too few fields";
		return -1;
	}
	if (strlen(f[0]) != 1 || !strchr("fdlcbps", f[0][0])) {
		*why = "bad type";
		return -1;
	}
	n.type = f[0][0];
	if (parse_ull(f[1], 07777, &v, 8) < 0) {
		*why = "bad mode";
		return -1;
	}
	n.mode = (mode_t)v;
	if (parse_ull(f[2], UINT32_MAX - 1, &v, 10) < 0) {
		*why = "bad uid";
		return -1;
	}
	n.uid = (uid_t)v;
	if (parse_ull(f[3], UINT32_MAX - 1, &v, 10) < 0) {
		*why = "bad gid";
		return -1;
	}
	n.gid = (gid_t)v;
	if (parse_ull(f[4], LLONG_MAX, &v, 10) < 0) {
		*why = "bad size";
		return -1;
	}
	n.size = (long long)v;
	if (f[5][0] == '-' ? parse_ull(f[5] + 1, LLONG_MAX, &v, 10) < 0 :
	    parse_ull(f[5], LLONG_MAX, &v, 10) < 0) {
		*why = "bad mtime";
		return -1;
	}
	n.mtime = f[5][0] == '-' ? -(long long)v : (long long)v;
	if (strcmp(f[6], "-") != 0) {
		if (n.type != 'f' || vs_hash_unhex(f[6], n.sha256) < 0) {
			*why = "bad sha256";
			return -1;
		}
		n.has_hash = 1;
	}
	if (vs_manifest_unescape(tmp, f[7]) < 0 ||
	    !vs_valid_relpath(tmp->buf)) {
		*why = "bad path";
		return -1;
	}
	if (n.type == 'l' || n.type == 'c' || n.type == 'b') {
		if (nf != 9) {
			*why = "missing target";
			return -1;
		}
	} else if (nf != 8) {
		*why = "too many fields";
		return -1;
	}
	if (n.type == 'c' || n.type == 'b') {
		unsigned ma, mi;
		char c;

		if (sscanf(f[8], "%u,%u%c", &ma, &mi, &c) != 2) {
			*why = "bad device number";
			return -1;
		}
		n.rdev_major = ma;
		n.rdev_minor = mi;
	}
	if (strtok_r(NULL, " ", &save) != NULL) {
		*why = "too many fields";
		return -1;
	}
	n.path = xstrdup(tmp->buf);
	if (n.type == 'l') {
		if (vs_manifest_unescape(tmp, f[8]) < 0 || tmp->len == 0) {
			free(n.path);
			*why = "bad symlink target";
			return -1;
		}
		n.target = xstrdup(tmp->buf);
	}
	*e = n;
	return 0;
}

int
vs_manifest_parse(const char *src, const char *text, size_t len,
    struct vs_manifest *m, struct vs_err *err)
{
	struct vs_manifest tmp = VS_MANIFEST_INIT;
	struct vs_buf line = VS_BUF_INIT, scratch = VS_BUF_INIT;
	const char *p = text, *end = text + len, *nl, *why = NULL;
	int lineno = 0;

	while (p < end) {
		struct vs_mentry e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			why = "missing newline at end";
			lineno++;
			goto bad;
		}
		lineno++;
		vs_buf_reset(&line);
		vs_buf_add(&line, p, (size_t)(nl - p));
		p = nl + 1;
		if (memchr(line.buf, '\0', line.len)) {
			why = "NUL byte";
			goto bad;
		}
		if (lineno == 1) {
			if (strcmp(line.buf, MANIFEST_MAGIC) != 0) {
				why = "not a freevsd manifest";
				goto bad;
			}
			continue;
		}
		if (parse_line(line.buf, &e, &scratch, &why) < 0)
			goto bad;
		if (tmp.n && strcmp(tmp.e[tmp.n - 1].path, e.path) >= 0) {
			vs_mentry_release(&e);
			why = "path out of order or listed twice";
			goto bad;
		}
		xgrow(&tmp.e, sizeof(*tmp.e), tmp.n + 1, &tmp.alloc);
		tmp.e[tmp.n++] = e;
	}
	if (lineno == 0) {
		why = "empty file";
		goto bad;
	}
	vs_buf_release(&line);
	vs_buf_release(&scratch);
	*m = tmp;
	return 0;
bad:
	vs_buf_release(&line);
	vs_buf_release(&scratch);
	vs_manifest_release(&tmp);
	return vs_err_set(err, EINVAL, "%s:%d: %s", src, lineno, why);
}

int
vs_manifest_load(int dirfd, const char *name, struct vs_manifest *m,
    struct vs_err *err)
{
	struct vs_buf text = VS_BUF_INIT;
	_cleanup_close_ int fd = -1;
	int rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open manifest '%s'", name);
	if (vs_buf_read_fd(&text, fd, MANIFEST_MAX_BYTES) < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read manifest '%s'", name);
	}
	rc = vs_manifest_parse(name, text.buf, text.len, m, err);
	vs_buf_release(&text);
	return rc;
}

int
vs_manifest_save(const struct vs_manifest *m, int dirfd, const char *name,
    struct vs_err *err)
{
	struct vs_buf text = VS_BUF_INIT;
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
	int fd;

	vs_manifest_format(m, &text);
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot create '%s'", tmp);
	}
	if (vs_write_all(fd, text.buf, text.len) < 0 || fsync(fd) < 0) {
		vs_err_sys(err, "cannot write '%s'", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		vs_err_sys(err, "cannot write '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		vs_err_sys(err, "cannot rename '%s' to '%s'", tmp, name);
		goto fail;
	}
	(void)fsync(dirfd);
	vs_buf_release(&text);
	return 0;
fail:
	{
		int saved = errno;

		if (fd >= 0)
			close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		vs_buf_release(&text);
		errno = saved;
	}
	return -1;
}

int
vs_manifest_id(const struct vs_manifest *m, char hex[VS_HASH_HEXLEN + 1],
    struct vs_err *err)
{
	struct vs_buf text = VS_BUF_INIT;
	unsigned char md[VS_HASH_LEN];
	int rc;

	vs_manifest_format(m, &text);
	rc = vs_hash_mem(text.buf, text.len, md, err);
	vs_buf_release(&text);
	if (rc == 0)
		vs_hash_hex(md, hex);
	return rc;
}

/* ---- comparing ------------------------------------------------------ */

unsigned
vs_mentry_diff(const struct vs_mentry *a, const struct vs_mentry *b)
{
	unsigned d = 0;

	if (a->type != b->type)
		return VS_MDIFF_TYPE;
	if (a->mode != b->mode)
		d |= VS_MDIFF_MODE;
	if (a->uid != b->uid || a->gid != b->gid)
		d |= VS_MDIFF_OWNER;
	if (a->type == 'f' && a->size != b->size)
		d |= VS_MDIFF_SIZE;
	if (a->type == 'f' && a->has_hash && b->has_hash &&
	    memcmp(a->sha256, b->sha256, VS_HASH_LEN) != 0)
		d |= VS_MDIFF_HASH;
	if (a->type == 'l' && strcmp(a->target, b->target) != 0)
		d |= VS_MDIFF_TARGET;
	if ((a->type == 'c' || a->type == 'b') &&
	    (a->rdev_major != b->rdev_major || a->rdev_minor != b->rdev_minor))
		d |= VS_MDIFF_TARGET;
	if (a->type != 'd' && a->type != 'l' && a->mtime != b->mtime)
		d |= VS_MDIFF_MTIME;
	return d;
}

void
vs_mdiff_describe(unsigned what, struct vs_buf *out)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ VS_MDIFF_TYPE, "type" }, { VS_MDIFF_MODE, "mode" },
		{ VS_MDIFF_OWNER, "owner" }, { VS_MDIFF_SIZE, "size" },
		{ VS_MDIFF_HASH, "content" }, { VS_MDIFF_TARGET, "target" },
		{ VS_MDIFF_MTIME, "mtime" },
	};
	size_t i, first = out->len;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(what & names[i].bit))
			continue;
		if (out->len > first)
			vs_buf_addch(out, ',');
		vs_buf_adds(out, names[i].name);
	}
}

int
vs_manifest_diff(const struct vs_manifest *a, const struct vs_manifest *b,
    unsigned mask, vs_manifest_diff_fn fn, void *ctx)
{
	size_t i = 0, j = 0;
	unsigned d;
	int c;

	while (i < a->n || j < b->n) {
		if (i == a->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = strcmp(a->e[i].path, b->e[j].path);
		if (c < 0) {
			if (fn(ctx, &a->e[i++], NULL, 0) < 0)
				return -1;
		} else if (c > 0) {
			if (fn(ctx, NULL, &b->e[j++], 0) < 0)
				return -1;
		} else {
			d = vs_mentry_diff(&a->e[i], &b->e[j]) & mask;
			if (d && fn(ctx, &a->e[i], &b->e[j], d) < 0)
				return -1;
			i++;
			j++;
		}
	}
	return 0;
}
