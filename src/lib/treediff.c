/* treediff.c - record a VS tree with lazy hashing, and diff two records.
 *
 * Reads the tree as host root, so everything goes through vs_fswalk
 * (fd-relative, O_NOFOLLOW, one mount) and vs_hash_file_st (refuses
 * FIFOs and devices, reads no further than the size seen); the
 * skeleton, which a VS cannot write, is opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) all the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atfile.h"
#include "fswalk.h"
#include "hash.h"
#include "treediff.h"
#include "xmem.h"

#define TREE_LINK_MAX	4096

struct rec_ctx {
	struct vs_tree *t;
	struct vs_tree *prev;
	int skelfd;
	unsigned flags;
	off_t max_hash;
};

void
vs_tree_release(struct vs_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->ents[i].path);
		free(t->ents[i].link);
	}
	free(t->ents);
	t->ents = NULL;
	t->n = t->alloc = 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vs_tree_ent *)a)->path,
	    ((const struct vs_tree_ent *)b)->path);
}

const struct vs_tree_ent *
vs_tree_find(const struct vs_tree *t, const char *path)
{
	struct vs_tree_ent key = { .path = (char *)path };

	if (!t->n)
		return NULL;
	return bsearch(&key, t->ents, t->n, sizeof(key), ent_cmp);
}

/* Hash the skeleton's file at path, if it is still inode ino. */
static int
hash_skel(int skelfd, const char *path, ino_t ino, unsigned char *out)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = vs_open_beneath(skelfd, path + 1, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_ino != ino || !S_ISREG(st.st_mode)) {
		errno = ESTALE;
		return -1;
	}
	return vs_hash_fd(fd, out, NULL);
}

static int
same_inode(const struct vs_tree_ent *a, const struct stat *st)
{
	return a->ino == st->st_ino && a->dev == st->st_dev &&
	    a->ctime_ns == (long long)st->st_ctim.tv_sec * 1000000000LL +
	    st->st_ctim.tv_nsec && a->size == st->st_size;
}

static int
record_cb(void *vctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	struct rec_ctx *c = vctx;
	struct vs_tree *t = c->t;
	const struct stat *st = e->st;
	struct vs_tree_ent *n, *p = NULL;
	char buf[TREE_LINK_MAX];
	ssize_t l;

	if (e->post)
		return 0;
	xgrow(&t->ents, sizeof(*t->ents), t->n + 1, &t->alloc);
	n = &t->ents[t->n];
	memset(n, 0, sizeof(*n));
	n->path = xasprintf("/%s", e->path);
	n->mode = st->st_mode;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->size = st->st_size;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->ctime_ns = (long long)st->st_ctim.tv_sec * 1000000000LL +
	    st->st_ctim.tv_nsec;
	/* host root owns it and the skeleton links it too: a VS can create
	 * neither, and cannot change such an inode in place (files, and
	 * the symlinks clone.c shares) */
	n->skel = (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) &&
	    st->st_uid == 0 && st->st_nlink > 1;
	t->n++;
	if (S_ISLNK(st->st_mode)) {
		l = readlinkat(e->dirfd, e->name, buf, sizeof(buf) - 1);
		if (l < 0)
			return vs_err_sys(err, "readlink '/%s'", e->path);
		buf[l] = '\0';
		n->link = xstrdup(buf);
		return 0;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > c->max_hash)
		return 0;
	if (c->prev)
		p = (struct vs_tree_ent *)vs_tree_find(c->prev, n->path);
	if (p && same_inode(p, st)) {
		/* unchanged inode: a skeleton inode or a known hash */
		memcpy(n->hash, p->hash, sizeof(n->hash));
		n->hashed = p->hashed;
		return 0;
	}
	if (p && S_ISREG(p->mode) && !p->hashed && p->skel && c->skelfd >= 0 &&
	    p->size == st->st_size &&
	    hash_skel(c->skelfd, p->path, p->ino, p->hash) == 0)
		p->hashed = 1;
	/* hash a replaced file when the diff needs it, and VS-own files
	 * when asked (they may change in place later) */
	if ((p && p->hashed && p->size == st->st_size) ||
	    ((c->flags & VS_TREE_HASH) && !n->skel)) {
		/* only as far as the size seen: whoever owns the file (a
		 * trial's package) may extend it to terabytes of holes the
		 * moment we open it */
		if (vs_hash_file_st(e->dirfd, e->name, st, n->hash,
		    err) < 0) {
			if (errno == ENOENT)
				return 0;
			if (errno != ESTALE && errno != EFBIG)
				return -1;
			/* changed while read: a digest no content has, so
			 * it compares as modified */
			vs_err_clear(err);
			memset(n->hash, 0, sizeof(n->hash));
		}
		n->hashed = 1;
	}
	return 0;
}

int
vs_tree_record(struct vs_tree *t, int rootfd, struct vs_tree *prev,
    int skelfd, unsigned flags, off_t max_hash, struct vs_err *err)
{
	struct rec_ctx c = { t, prev, skelfd, flags, max_hash };

	vs_tree_release(t);
	if (vs_fswalk(rootfd, record_cb, &c, 0, err) < 0) {
		vs_tree_release(t);
		return -1;
	}
	qsort(t->ents, t->n, sizeof(*t->ents), ent_cmp);
	return 0;
}

static unsigned
compare(const struct vs_tree_ent *a, const struct vs_tree_ent *b)
{
	unsigned what = 0;

	if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
		return VS_TDIFF_TYPE;
	if ((a->mode & 07777) != (b->mode & 07777))
		what |= VS_TDIFF_MODE;
	if (a->uid != b->uid || a->gid != b->gid)
		what |= VS_TDIFF_OWNER;
	if (S_ISDIR(a->mode))
		return what;
	if (S_ISLNK(a->mode)) {
		if (strcmp(a->link ? a->link : "", b->link ? b->link : ""))
			return what | VS_TDIFF_CONTENT;
		/* a shared skeleton symlink replaced by an equal one of the
		 * VS's (update-alternatives rewrites them): its owner was
		 * never the VS's to keep */
		if ((what & VS_TDIFF_OWNER) && a->skel != b->skel)
			what = (what & ~VS_TDIFF_OWNER) | VS_TDIFF_INODE;
		return what;
	}
	if (S_ISCHR(a->mode) || S_ISBLK(a->mode))
		return what;	/* the device number is in size: no */
	if (a->size != b->size)
		return what | VS_TDIFF_CONTENT;
	if (a->ino == b->ino && a->dev == b->dev && a->ctime_ns == b->ctime_ns)
		return what;
	if (a->hashed && b->hashed) {
		if (memcmp(a->hash, b->hash, VS_TREE_HASHLEN))
			return what | VS_TDIFF_CONTENT;
		if (a->ino != b->ino || a->dev != b->dev)
			what |= VS_TDIFF_INODE;
		return what;
	}
	/* same size, touched, not comparable: assume it changed */
	return what | VS_TDIFF_CONTENT;
}

void
vs_tree_diff(const struct vs_tree *a, const struct vs_tree *b,
    struct vs_tdiff **out, size_t *np)
{
	struct vs_tdiff *d = NULL;
	size_t i = 0, j = 0, n = 0, alloc = 0;
	unsigned what;
	int c;

	while (i < a->n || j < b->n) {
		if (i == a->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = strcmp(a->ents[i].path, b->ents[j].path);
		xgrow(&d, sizeof(*d), n + 1, &alloc);
		if (c < 0) {
			d[n++] = (struct vs_tdiff){ VS_TDIFF_REMOVED, 0,
			    &a->ents[i], NULL };
			i++;
		} else if (c > 0) {
			d[n++] = (struct vs_tdiff){ VS_TDIFF_ADDED, 0, NULL,
			    &b->ents[j] };
			j++;
		} else {
			what = compare(&a->ents[i], &b->ents[j]);
			if (what)
				d[n++] = (struct vs_tdiff){ VS_TDIFF_CHANGED,
				    what, &a->ents[i], &b->ents[j] };
			i++;
			j++;
		}
	}
	*out = d;
	*np = n;
}

const char *
vs_tdiff_kind_name(enum vs_tdiff_kind k)
{
	switch (k) {
	case VS_TDIFF_ADDED: return "added";
	case VS_TDIFF_REMOVED: return "removed";
	case VS_TDIFF_CHANGED: return "changed";
	}
	return "?";
}

void
vs_tdiff_what(unsigned what, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ VS_TDIFF_TYPE, "type" }, { VS_TDIFF_MODE, "mode" },
		{ VS_TDIFF_OWNER, "owner" }, { VS_TDIFF_CONTENT, "content" },
		{ VS_TDIFF_INODE, "inode" },
	};
	size_t i, off = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(what & names[i].bit))
			continue;
		w = snprintf(buf + off, size - off, "%s%s", off ? "," : "",
		    names[i].name);
		if (w < 0 || (size_t)w >= size - off)
			return;
		off += (size_t)w;
	}
}
