/* clone.c - plan and build a VS root: hard links to the skeleton, the
 * VS's own directories, symlinks and per-VS copies (rules in clone.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include "atfile.h"
#include "buf.h"
#include "clone.h"
#include "fcaps.h"
#include "manifest.h"
#include "priv/fsid.h"
#include "skelconf.h"
#include "xmem.h"
#include "banned.h"

#define CLONE_MAXDEPTH	256
#define CLONE_MAXWORKERS	8

/* K_SYMLINK: the VS's own symlink; K_SLINK: the skeleton's, linked */
enum kind { K_LINK, K_COPY, K_EMPTY, K_SYMLINK, K_SLINK, K_SKIP };

struct pent {
	const char *name;
	const char *target;	/* K_SYMLINK */
	uint32_t dir;		/* index of the parent in plan->dirs */
	uint32_t mode, uid, gid;
	uint64_t size;
	uint8_t kind;
};

struct pdir {
	const char *name;	/* "" for the root */
	const char *path;	/* "." for the root, else "usr/bin" */
	uint32_t parent;
	uint32_t mode, uid, gid;
	uint8_t copy_all;	/* a copy pattern matched it or an ancestor */
	size_t ent_first, ent_n;	/* range in plan->ents */
	size_t sub_first, sub_n;	/* range in plan->subs */
};

/* Strings live in big blocks freed together. */
struct arena {
	char *cur;
	size_t left;
	char **blocks;
	size_t n, alloc;
};

struct vs_clone_plan {
	struct pdir *dirs;
	size_t ndirs, adirs;
	struct pent *ents;
	size_t nents, aents;
	uint32_t *subs;		/* child directory indices, grouped by parent */
	char **pats;		/* copy patterns, no leading '/' */
	size_t npats;
	struct arena arena;
	struct vs_manifest man;	/* when planned from it: names point in */
	char *cache;		/* when loaded from the cache: holds the
				 * arrays, names point in */
	const char *source;
	dev_t dev;
};

static char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n + 1 > a->left) {
		size_t sz = n + 1 > 65536 ? n + 1 : 65536;

		xgrow(&a->blocks, sizeof(*a->blocks), a->n + 1, &a->alloc);
		a->blocks[a->n++] = a->cur = xmalloc(sz);
		a->left = sz;
	}
	p = a->cur;
	memcpy(p, s, n);
	p[n] = '\0';
	a->cur += n + 1;
	a->left -= n + 1;
	return p;
}

static void
arena_release(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

void
vs_clone_plan_free(struct vs_clone_plan *p)
{
	if (!p)
		return;
	if (!p->cache) {
		free(p->dirs);
		free(p->ents);
		free(p->subs);
	}
	free(p->pats);
	arena_release(&p->arena);
	vs_manifest_release(&p->man);
	free(p->cache);
	free(p);
}

const char *
vs_clone_plan_source(const struct vs_clone_plan *p)
{
	return p->source;
}

/* ---- classification ---------------------------------------------------- */

/* The copy patterns, as vsdskel saved them (skelconf.h), kept without
 * their leading '/' to match manifest-style relative paths. */
static int
load_patterns(struct vs_clone_plan *p, const char *path, struct vs_err *err)
{
	struct vs_globs g = VS_GLOBS_INIT;
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *slash;
	size_t i;

	if (!path || !(slash = strrchr(path, '/')))
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : vs_err_sys(err, "cannot open "
		    "'%s'", dir);
	if (faccessat(dfd, slash + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (vs_globs_load(dfd, slash + 1, &g, err) < 0)
		return -1;
	p->pats = xcalloc(g.n + 1, sizeof(*p->pats));
	for (i = 0; i < g.n; i++) {
		const char *s = g.pat[i];

		while (*s == '/')
			s++;
		p->pats[p->npats++] = arena_strndup(&p->arena, s, strlen(s));
	}
	vs_globs_release(&g);
	return 0;
}

static int
pattern_match(const struct vs_clone_plan *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->npats; i++)
		if (fnmatch(p->pats[i], path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

/*
 * The sharing rule is vs_skel_private() (skelconf.c), shared with
 * vsdskel update; copy patterns are matched here with the directory's
 * inherited flag instead of re-matching every ancestor of every file.
 */
static uint8_t
classify(const struct vs_clone_plan *p, const struct pdir *d,
    const struct vs_mentry *e)
{
	/* a symlink is immutable: copy patterns do not apply (skelconf.h) */
	if (e->type == 'l')
		return vs_skel_private_in(e, d->mode, NULL) ? K_SYMLINK :
		    K_SLINK;
	if (e->type != 'f')
		return K_SKIP;
	if (vs_skel_private(e, NULL) || d->copy_all ||
	    pattern_match(p, e->path))
		return e->size == 0 ? K_EMPTY : K_COPY;
	return K_LINK;
}

static uint32_t
add_dir(struct vs_clone_plan *p, uint32_t parent, const char *name,
    const char *path, const struct stat *st)
{
	struct pdir *d;

	xgrow(&p->dirs, sizeof(*p->dirs), p->ndirs + 1, &p->adirs);
	d = &p->dirs[p->ndirs];
	memset(d, 0, sizeof(*d));
	d->name = arena_strndup(&p->arena, name, strlen(name));
	d->path = arena_strndup(&p->arena, path, strlen(path));
	d->parent = parent;
	d->mode = st->st_mode & 07777;
	d->uid = st->st_uid;
	d->gid = st->st_gid;
	if (p->ndirs > 0)
		d->copy_all = p->dirs[parent].copy_all ||
		    pattern_match(p, path);
	return (uint32_t)p->ndirs++;
}

static void
add_ent(struct vs_clone_plan *p, uint32_t dir, const char *name,
    const struct vs_mentry *m, int copy_strings)
{
	struct pent *e;

	xgrow(&p->ents, sizeof(*p->ents), p->nents + 1, &p->aents);
	e = &p->ents[p->nents++];
	e->name = copy_strings ? arena_strndup(&p->arena, name,
	    strlen(name)) : name;
	e->target = m->target && copy_strings ? arena_strndup(&p->arena,
	    m->target, strlen(m->target)) : m->target;
	e->dir = dir;
	e->mode = m->mode & 07777;
	e->uid = m->uid;
	e->gid = m->gid;
	e->size = m->size > 0 ? (uint64_t)m->size : 0;
	e->kind = classify(p, &p->dirs[dir], m);
}

static void
add_stat(struct vs_clone_plan *p, uint32_t dir, const char *name,
    const char *path, const struct stat *st, const char *target)
{
	struct vs_mentry m;

	memset(&m, 0, sizeof(m));
	m.path = (char *)path;
	m.type = S_ISREG(st->st_mode) ? 'f' : S_ISLNK(st->st_mode) ? 'l' :
	    'c';
	m.mode = st->st_mode & 07777;
	m.uid = st->st_uid;
	m.gid = st->st_gid;
	m.size = st->st_size;
	m.target = (char *)target;
	add_ent(p, dir, name, &m, 1);
}

/* ---- planning from a walk of the skeleton ------------------------------- */

static int
walk(struct vs_clone_plan *p, int dfd, uint32_t di, struct vs_buf *path,
    int depth, struct vs_err *err)
{
	DIR *d;
	struct dirent *de;
	size_t base = path->len;
	int rc = 0;

	if (depth > CLONE_MAXDEPTH)
		return vs_err_set(err, ELOOP, "skeleton deeper than %d at '%s'",
		    CLONE_MAXDEPTH, path->buf);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return vs_err_sys(err, "cannot read skeleton '%s'", path->buf);
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		struct stat st;
		const char *n = de->d_name;

		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		vs_buf_setlen(path, base);
		if (base)
			vs_buf_addch(path, '/');
		vs_buf_adds(path, n);
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = vs_err_sys(err, "cannot stat skeleton '%s'",
			    path->buf);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			uint32_t ci;
			int cfd;

			if (st.st_dev != p->dev)
				continue;	/* a mount point: not ours */
			ci = add_dir(p, di, n, path->buf, &st);
			cfd = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				rc = vs_err_sys(err, "cannot open skeleton "
				    "'%s'", path->buf);
				break;
			}
			rc = walk(p, cfd, ci, path, depth + 1, err);
		} else if (S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t l = readlinkat(dirfd(d), n, buf,
			    sizeof(buf) - 1);

			if (l < 0) {
				rc = vs_err_sys(err, "cannot read link "
				    "'%s'", path->buf);
				break;
			}
			buf[l] = '\0';
			add_stat(p, di, n, path->buf, &st, buf);
		} else {
			add_stat(p, di, n, path->buf, &st, NULL);
		}
	}
	if (rc == 0 && errno)
		rc = vs_err_sys(err, "cannot read skeleton '%s'", path->buf);
	vs_buf_setlen(path, base);
	closedir(d);
	return rc;
}

/* Group entries and child directories by parent (counting sort, keeps
 * the order within a directory). */
static void
group(struct vs_clone_plan *p)
{
	size_t *cnt = xcalloc(p->ndirs + 1, sizeof(*cnt));
	struct pent *ents = xmalloc((p->nents ? p->nents : 1) *
	    sizeof(*ents));
	size_t i, at;

	for (i = 0; i < p->nents; i++)
		cnt[p->ents[i].dir]++;
	for (i = 0, at = 0; i < p->ndirs; i++) {
		p->dirs[i].ent_first = at;
		p->dirs[i].ent_n = 0;
		at += cnt[i];
	}
	for (i = 0; i < p->nents; i++) {
		struct pdir *d = &p->dirs[p->ents[i].dir];

		ents[d->ent_first + d->ent_n++] = p->ents[i];
	}
	free(p->ents);
	p->ents = ents;
	p->aents = p->nents;

	memset(cnt, 0, (p->ndirs + 1) * sizeof(*cnt));
	for (i = 1; i < p->ndirs; i++)
		cnt[p->dirs[i].parent]++;
	for (i = 0, at = 0; i < p->ndirs; i++) {
		p->dirs[i].sub_first = at;
		p->dirs[i].sub_n = 0;
		at += cnt[i];
	}
	p->subs = xmalloc((at ? at : 1) * sizeof(*p->subs));
	for (i = 1; i < p->ndirs; i++) {
		struct pdir *d = &p->dirs[p->dirs[i].parent];

		p->subs[d->sub_first + d->sub_n++] = (uint32_t)i;
	}
	free(cnt);
}

/* ---- planning from the manifest ------------------------------------------ */

static int
dir_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pdir *)elem)->path);
}

/* The directory whose path is path[0..len); the root for len 0. */
static long
find_dir(const struct vs_clone_plan *p, const char *path, size_t len)
{
	char buf[4096];
	const struct pdir *d;

	if (len == 0)
		return 0;
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len);
	buf[len] = '\0';
	/* dirs[1..] are in manifest (path) order */
	d = bsearch(buf, p->dirs + 1, p->ndirs - 1, sizeof(*p->dirs),
	    dir_cmp);
	return d ? (long)(d - p->dirs) : -1;
}

static int
plan_manifest(struct vs_clone_plan *p, struct vs_err *err)
{
	size_t i;

	for (i = 0; i < p->man.n; i++) {
		const struct vs_mentry *m = &p->man.e[i];
		const char *slash = strrchr(m->path, '/');
		size_t plen = slash ? (size_t)(slash - m->path) : 0;
		const char *name = slash ? slash + 1 : m->path;
		long di = find_dir(p, m->path, plen);

		if (di < 0)
			return vs_err_set(err, EUCLEAN, "manifest lists '%s' "
			    "but not its directory", m->path);
		if (m->type == 'd') {
			struct stat st;

			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFDIR | m->mode;
			st.st_uid = m->uid;
			st.st_gid = m->gid;
			add_dir(p, (uint32_t)di, name, m->path, &st);
		} else {
			add_ent(p, (uint32_t)di, name, m, 0);
		}
	}
	return 0;
}

static int
load_manifest(struct vs_clone_plan *p, const char *path, struct vs_err *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	const char *slash = strrchr(path, '/');

	if (!slash)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || faccessat(dfd, slash + 1, F_OK,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* no manifest: walk */
	return vs_manifest_load(dfd, slash + 1, &p->man, err);
}

/* ---- the plan cache ---------------------------------------------------------
 *
 * Parsing an 80,000-line manifest costs more CPU than linking the tree, and
 * every create would do it again.  So the plan made from a manifest is
 * kept beside it (state_root/state/skel/clone.plan): the plan's arrays with
 * string pointers turned into offsets of a string table.  It is keyed by
 * the manifest's and the copy file's inode, size and mtime (vsdskel
 * replaces both by rename) and by this build's struct sizes; anything
 * else, or any bound that does not hold, and the manifest is read again.
 * It lives in the root-only state directory, trusted like the manifest.
 */

#define CACHE_MAGIC "VSPLAN2"	/* 2: symlinks linked */

struct cache_hdr {
	char magic[8];
	uint64_t key[8];
	uint64_t ndirs, nents, nsubs, strsize;
};

static void
cache_key(const char *manifest, const char *copy, uint64_t key[8])
{
	struct stat st;

	memset(key, 0, 8 * sizeof(*key));
	if (stat(manifest, &st) == 0) {
		key[0] = st.st_ino;
		key[1] = (uint64_t)st.st_size;
		key[2] = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
		    (uint64_t)st.st_mtim.tv_nsec;
	}
	if (copy && stat(copy, &st) == 0) {
		key[3] = st.st_ino;
		key[4] = (uint64_t)st.st_size;
		key[5] = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL +
		    (uint64_t)st.st_mtim.tv_nsec;
	}
	key[6] = sizeof(struct pdir);
	key[7] = sizeof(struct pent);
}

static uintptr_t
str_off(struct vs_buf *strs, const char *s)
{
	size_t off = strs->len;

	vs_buf_add(strs, s, strlen(s) + 1);
	return off;
}

/* Write the plan as path (temporary file + rename); failures only cost
 * the next create a manifest parse, so they are not errors. */
static void
cache_save(const struct vs_clone_plan *p, const char *path,
    const uint64_t key[8])
{
	struct vs_buf out = VS_BUF_INIT, strs = VS_BUF_INIT;
	struct pdir *dirs = xmalloc((p->ndirs + 1) * sizeof(*dirs));
	struct pent *ents = xmalloc((p->nents + 1) * sizeof(*ents));
	size_t i, nsubs = p->ndirs ? p->ndirs - 1 : 0;
	struct cache_hdr h;
	char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	int fd;

	for (i = 0; i < p->ndirs; i++) {
		dirs[i] = p->dirs[i];
		dirs[i].name = (const char *)str_off(&strs, p->dirs[i].name);
		dirs[i].path = (const char *)str_off(&strs, p->dirs[i].path);
	}
	for (i = 0; i < p->nents; i++) {
		ents[i] = p->ents[i];
		ents[i].name = (const char *)str_off(&strs, p->ents[i].name);
		ents[i].target = p->ents[i].target ? (const char *)
		    str_off(&strs, p->ents[i].target) : (const char *)UINTPTR_MAX;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, sizeof(CACHE_MAGIC));
	memcpy(h.key, key, sizeof(h.key));
	h.ndirs = p->ndirs;
	h.nents = p->nents;
	h.nsubs = nsubs;
	h.strsize = strs.len;
	vs_buf_add(&out, &h, sizeof(h));
	vs_buf_add(&out, dirs, p->ndirs * sizeof(*dirs));
	vs_buf_add(&out, ents, p->nents * sizeof(*ents));
	vs_buf_add(&out, p->subs, nsubs * sizeof(*p->subs));
	vs_buf_add(&out, strs.buf, strs.len);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd >= 0) {
		ssize_t w = write(fd, out.buf, out.len);

		if (close(fd) == 0 && w == (ssize_t)out.len &&
		    rename(tmp, path) == 0)
			tmp[0] = '\0';
		if (tmp[0])
			unlink(tmp);
	}
	free(tmp);
	free(dirs);
	free(ents);
	vs_buf_release(&out);
	vs_buf_release(&strs);
}

/*
 * Fill p from the cache at path if it matches key; 1 if so, 0 if not.
 * One read of the exact size into one buffer, and the arrays stay in it
 * (the header and the array sizes keep them 8-byte aligned): a create
 * spent more time growing and copying buffers than reading.
 */
static int
cache_load(struct vs_clone_plan *p, const char *path, const uint64_t key[8])
{
	_cleanup_close_ int fd = -1;
	struct cache_hdr h;
	struct stat st;
	char *buf = NULL, *at;
	const char *strs;
	size_t i, need, got = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(h) || st.st_size > (off_t)(1L << 31))
		return 0;
	buf = xmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto no;
		got += (size_t)n;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(CACHE_MAGIC)) != 0 ||
	    memcmp(h.key, key, sizeof(h.key)) != 0 || h.ndirs == 0 ||
	    h.ndirs > UINT32_MAX || h.nents > UINT32_MAX ||
	    h.nsubs != h.ndirs - 1 || h.strsize == 0 || h.strsize > got)
		goto no;
	need = sizeof(h) + h.ndirs * sizeof(struct pdir) +
	    h.nents * sizeof(struct pent) + h.nsubs * sizeof(uint32_t) +
	    h.strsize;
	if (need != got)
		goto no;
	at = buf + sizeof(h);
	strs = buf + got - h.strsize;
	if (strs[h.strsize - 1] != '\0')
		goto no;
	p->dirs = (struct pdir *)(void *)at;
	at += h.ndirs * sizeof(*p->dirs);
	p->ents = (struct pent *)(void *)at;
	at += h.nents * sizeof(*p->ents);
	p->subs = (uint32_t *)(void *)at;
	/* every index and offset in bounds, or the cache is not used */
	for (i = 0; i < h.ndirs; i++) {
		struct pdir *d = &p->dirs[i];

		if ((uintptr_t)d->name >= h.strsize ||
		    (uintptr_t)d->path >= h.strsize || d->parent >= h.ndirs ||
		    d->ent_first > h.nents || d->ent_n > h.nents - d->ent_first ||
		    d->sub_first > h.nsubs || d->sub_n > h.nsubs - d->sub_first)
			goto bad;
		d->name = strs + (uintptr_t)d->name;
		d->path = strs + (uintptr_t)d->path;
	}
	for (i = 0; i < h.nents; i++) {
		struct pent *e = &p->ents[i];

		if ((uintptr_t)e->name >= h.strsize || e->dir >= h.ndirs ||
		    e->kind > K_SKIP || ((uintptr_t)e->target != UINTPTR_MAX &&
		    (uintptr_t)e->target >= h.strsize))
			goto bad;
		e->name = strs + (uintptr_t)e->name;
		e->target = (uintptr_t)e->target == UINTPTR_MAX ? NULL :
		    strs + (uintptr_t)e->target;
	}
	for (i = 0; i < h.nsubs; i++)
		if (p->subs[i] == 0 || p->subs[i] >= h.ndirs)
			goto bad;
	p->ndirs = p->adirs = h.ndirs;
	p->nents = p->aents = h.nents;
	p->cache = buf;		/* owns dirs, ents and subs */
	p->source = "cache";
	return 1;
bad:
	p->dirs = NULL;
	p->ents = NULL;
	p->subs = NULL;
no:
	free(buf);
	return 0;
}

int
vs_clone_plan_new(int skelfd, const char *manifest_path,
    const char *copy_path, struct vs_clone_plan **out, struct vs_err *err)
{
	struct vs_clone_plan *p = xcalloc(1, sizeof(*p));
	struct vs_buf path = VS_BUF_INIT;
	_cleanup_free_ char *cache = NULL;
	uint64_t key[8];
	struct stat st;
	int fd, rc;

	if (load_patterns(p, copy_path, err) < 0)
		goto fail;
	if (fstat(skelfd, &st) < 0) {
		vs_err_sys(err, "cannot stat the skeleton");
		goto fail;
	}
	p->dev = st.st_dev;
	if (manifest_path) {
		const char *slash = strrchr(manifest_path, '/');

		cache_key(manifest_path, copy_path, key);
		cache = slash ? xasprintf("%.*s/clone.plan",
		    (int)(slash - manifest_path), manifest_path) : NULL;
		if (key[0] && cache && cache_load(p, cache, key)) {
			*out = p;
			return 0;
		}
	}
	/* the skeleton's root is host root's alone (0500, state.c); a VS's
	 * "/" is every user's, as on any system */
	st.st_mode = S_IFDIR | 0555;
	add_dir(p, 0, "", ".", &st);
	if (manifest_path && load_manifest(p, manifest_path, err) < 0)
		goto fail;
	if (p->man.n > 0) {
		p->source = "manifest";
		if (plan_manifest(p, err) < 0)
			goto fail;
		group(p);
		if (cache)
			cache_save(p, cache, key);
		*out = p;
		return 0;
	}
	p->source = "walk";
	fd = openat(skelfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		vs_err_sys(err, "cannot open the skeleton");
		goto fail;
	}
	rc = walk(p, fd, 0, &path, 0, err);
	vs_buf_release(&path);
	if (rc < 0)
		goto fail;
	group(p);
	*out = p;
	return 0;
fail:
	vs_clone_plan_free(p);
	return -1;
}

/* ---- execution ---------------------------------------------------------- */

/* Directory fds opened by the parent's worker for its subdirectories, so
 * the worker that builds one resolves no path from the root; at most
 * this many at a time (fds are a process-wide budget: a daemon has its
 * clients' too), beyond that the path is resolved again. */
#define CLONE_FD_SLOTS	512

struct run {
	const struct vs_clone_plan *p;
	int skelfd, dstfd;
	uid_t base, count;
	mode_t umask;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t *stack;
	size_t nstack;
	size_t busy;
	int failed;
	struct vs_err err;
	struct vs_clone_stats stats;
	int *sfd, *dfd;		/* per directory, -1 = not opened yet */
	size_t nslots;		/* fds in sfd/dfd (atomic) */
};

static uid_t
shift(const struct run *r, uint32_t id)
{
	return r->base + (id < r->count ? id : 0);
}

static int
copy_data(int in, int out, uint64_t size)
{
	uint64_t done = 0;

	/* the plan knows the size: one copy_file_range() for most files */
	while (done < size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL,
		    (size_t)(size - done), 0);

		if (n > 0) {
			done += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return 0;	/* shorter than planned */
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;
	}
	if (done >= size)
		return 0;
	/* fall back to read/write (e.g. across filesystems on old kernels) */
	for (;;) {
		char buf[65536];
		ssize_t n = read(in, buf, sizeof(buf)), off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

/*
 * Does a new inode need a chown?  Not when this thread creates as the
 * VS's root (fsid) and the skeleton owner is root:root, unless a set-gid
 * parent hands its group down.
 */
static int
need_chown(int fsid, const struct pdir *parent, uint32_t uid, uint32_t gid)
{
	return !fsid || uid != 0 || gid != 0 || (parent->mode & S_ISGID);
}

/* Does creating with mode leave anything for a chmod to fix? */
static int
need_chmod(const struct run *r, mode_t mode)
{
	return (mode & 07000) || (mode & r->umask);
}

static int
make_copy(const struct run *r, int fsid, const struct pdir *d, int src,
    int dst, const struct pent *e, struct vs_err *err)
{
	_cleanup_close_ int in = -1, out = -1;
	mode_t mode = e->mode | S_IWUSR;

	if (e->kind == K_COPY) {
		in = openat(src, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY);
		if (in < 0)
			return vs_err_sys(err, "cannot open skeleton '%s/%s'",
			    d->path, e->name);
	}
	out = openat(dst, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode & 0777);
	if (out < 0)
		return vs_err_sys(err, "cannot create '%s/%s'", d->path,
		    e->name);
	if (in >= 0 && copy_data(in, out, e->size) < 0)
		return vs_err_sys(err, "cannot copy '%s/%s'", d->path,
		    e->name);
	/* chown before chmod: chown clears the set-id bits */
	if ((need_chown(fsid, d, e->uid, e->gid) &&
	    fchown(out, shift(r, e->uid), shift(r, e->gid)) < 0) ||
	    (need_chmod(r, mode) && fchmod(out, mode) < 0))
		return vs_err_sys(err, "cannot set owner of '%s/%s'", d->path,
		    e->name);
	/* file capabilities last (chown drops them), made v3 for the VS's
	 * root: a v2 value on a file the VS owns would work on the host */
	if (in >= 0 && vs_fcaps_copy(in, out, r->base, r->count) < 0)
		return vs_err_sys(err, "cannot set capabilities of '%s/%s'",
		    d->path, e->name);
	return 0;
}

static mode_t
dir_mode(const struct pdir *d)
{
	mode_t m = d->mode | S_IWUSR;

	if (m & S_ISVTX)
		m |= S_IWGRP | S_IWOTH;	/* /tmp, /var/tmp */
	return m;
}

/* Build directory di: its files, links and symlinks, and its
 * subdirectories (created here, filled by whichever worker pops them). */
static int
do_dir(struct run *r, int fsid, uint32_t di, struct vs_clone_stats *st,
    struct vs_err *err)
{
	const struct vs_clone_plan *p = r->p;
	const struct pdir *d = &p->dirs[di];
	int src = r->skelfd, dst = r->dstfd, rc = -1;
	size_t i;

	if (di != 0 && r->sfd[di] >= 0) {
		src = r->sfd[di];	/* opened by the parent's worker */
		dst = r->dfd[di];
		r->sfd[di] = r->dfd[di] = -1;
		__atomic_sub_fetch(&r->nslots, 2, __ATOMIC_RELAXED);
	} else if (di != 0) {
		src = vs_open_beneath(r->skelfd, d->path,
		    O_PATH | O_DIRECTORY);
		if (src < 0)
			return vs_err_sys(err, "cannot open skeleton '%s'",
			    d->path);
		dst = vs_open_beneath(r->dstfd, d->path,
		    O_PATH | O_DIRECTORY);
		if (dst < 0) {
			vs_err_sys(err, "cannot open '%s'", d->path);
			goto out;
		}
	}
	for (i = 0; i < d->ent_n; i++) {
		const struct pent *e = &p->ents[d->ent_first + i];

		switch (e->kind) {
		case K_LINK:
		case K_SLINK:
			/* no AT_SYMLINK_FOLLOW: a symlink itself is linked */
			if (linkat(src, e->name, dst, e->name, 0) < 0) {
				vs_err_sys(err, "cannot link '%s/%s'",
				    d->path, e->name);
				goto out;
			}
			if (e->kind == K_LINK)
				st->linked++;
			else
				st->symlinks++;
			break;
		case K_COPY:
		case K_EMPTY:
			if (make_copy(r, fsid, d, src, dst, e, err) < 0)
				goto out;
			st->copied++;
			break;
		case K_SYMLINK:
			if (symlinkat(e->target, dst, e->name) < 0 ||
			    (need_chown(fsid, d, e->uid, e->gid) &&
			    fchownat(dst, e->name, shift(r, e->uid),
			    shift(r, e->gid), AT_SYMLINK_NOFOLLOW) < 0)) {
				vs_err_sys(err, "cannot create symlink "
				    "'%s/%s'", d->path, e->name);
				goto out;
			}
			st->symlinks++;
			break;
		default:
			st->skipped++;
			break;
		}
	}
	for (i = 0; i < d->sub_n; i++) {
		uint32_t ci = p->subs[d->sub_first + i];
		const struct pdir *c = &p->dirs[ci];
		mode_t m = dir_mode(c);

		/* the new tree is private until renamed into place, so
		 * these name-based calls cannot be raced */
		if (mkdirat(dst, c->name, m & 01777) < 0 ||
		    (need_chown(fsid, d, c->uid, c->gid) &&
		    fchownat(dst, c->name, shift(r, c->uid), shift(r, c->gid),
		    AT_SYMLINK_NOFOLLOW) < 0) ||
		    (need_chmod(r, m) && fchmodat(dst, c->name, m, 0) < 0)) {
			vs_err_sys(err, "cannot create directory '%s'",
			    c->path);
			goto out;
		}
		st->dirs++;
		if (__atomic_add_fetch(&r->nslots, 2, __ATOMIC_RELAXED) <=
		    CLONE_FD_SLOTS) {
			/* no worker has ci yet: it is pushed after we return */
			r->sfd[ci] = vs_open_beneath(src, c->name,
			    O_PATH | O_DIRECTORY);
			r->dfd[ci] = vs_open_beneath(dst, c->name,
			    O_PATH | O_DIRECTORY);
		}
		if (r->sfd[ci] < 0 || r->dfd[ci] < 0) {
			/* not opened (budget, EMFILE...): by path later */
			if (r->sfd[ci] >= 0)
				close(r->sfd[ci]);
			if (r->dfd[ci] >= 0)
				close(r->dfd[ci]);
			r->sfd[ci] = r->dfd[ci] = -1;
			__atomic_sub_fetch(&r->nslots, 2, __ATOMIC_RELAXED);
		}
	}
	rc = 0;
out:
	if (src != r->skelfd && src >= 0)
		close(src);
	if (dst != r->dstfd && dst >= 0)
		close(dst);
	return rc;
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	struct vs_clone_stats st = { 0 };
	struct vs_err err = VS_ERR_INIT;
	struct vs_fsid fs;
	/* create as the VS's root: no chown for most inodes */
	int fsid = vs_fsid_enter(&fs, r->base, r->base) == 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		uint32_t di;
		int rc;

		while (!r->failed && r->nstack == 0 && r->busy > 0)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->failed || r->nstack == 0)
			break;
		di = r->stack[--r->nstack];
		r->busy++;
		pthread_mutex_unlock(&r->mu);

		rc = do_dir(r, fsid, di, &st, &err);

		pthread_mutex_lock(&r->mu);
		r->busy--;
		if (rc < 0 && !r->failed) {
			r->failed = 1;
			r->err = err;
		} else if (rc == 0) {
			const struct pdir *d = &r->p->dirs[di];

			memcpy(r->stack + r->nstack, r->p->subs + d->sub_first,
			    d->sub_n * sizeof(*r->stack));
			r->nstack += d->sub_n;
		}
		pthread_cond_broadcast(&r->cv);
	}
	r->stats.dirs += st.dirs;
	r->stats.linked += st.linked;
	r->stats.copied += st.copied;
	r->stats.symlinks += st.symlinks;
	r->stats.skipped += st.skipped;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	vs_fsid_leave(&fs);
	return NULL;
}

/*
 * Start reading the data of every file to copy, all at once: a copy's
 * read is otherwise a synchronous disk read in the middle of a worker's
 * directory whenever the skeleton's data is not cached (its metadata is
 * kept warm by use, its data much less: the ~100 copies of a host
 * skeleton cost several ms of waiting one by one).  The page cache does
 * the rest; nothing here can fail the clone.
 */
static void *
prefetch(void *arg)
{
	const struct run *r = arg;
	const struct vs_clone_plan *p = r->p;
	struct vs_buf path = VS_BUF_INIT;
	size_t i;

	for (i = 0; i < p->nents; i++) {
		const struct pent *e = &p->ents[i];
		int fd;

		if (e->kind != K_COPY)
			continue;
		vs_buf_reset(&path);
		if (e->dir != 0)
			vs_buf_addf(&path, "%s/", p->dirs[e->dir].path);
		vs_buf_adds(&path, e->name);
		fd = vs_open_beneath(r->skelfd, path.buf, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			continue;
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
		close(fd);
	}
	vs_buf_release(&path);
	return NULL;
}

void
vs_clone_reserve_fds(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC), hi;

	if (fd < 0)
		return;
	/* the lowest free fd at or above this: the table grows to cover it */
	hi = fcntl(fd, F_DUPFD_CLOEXEC, CLONE_FD_SLOTS + 64);
	if (hi >= 0)
		close(hi);
	close(fd);
}

/* The process umask, without changing it (umask(2) would, for a moment,
 * for every thread). */
static mode_t
read_umask(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned m;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			return (mode_t)m;
	return 0777;	/* unknown: always chmod */
}

int
vs_clone_run(const struct vs_clone_plan *p, int skelfd, int dstfd,
    uid_t uid_base, uid_t uid_count, int workers,
    struct vs_clone_stats *stats, struct vs_err *err)
{
	struct run r;
	pthread_t tid[CLONE_MAXWORKERS], pftid;
	int i, started = 0, pf;
	size_t j;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.skelfd = skelfd;
	r.dstfd = dstfd;
	r.base = uid_base;
	r.count = uid_count;
	r.umask = read_umask();
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.stack = xmalloc(p->ndirs * sizeof(*r.stack));
	r.stack[r.nstack++] = 0;
	r.sfd = xmalloc(p->ndirs * sizeof(*r.sfd));
	r.dfd = xmalloc(p->ndirs * sizeof(*r.dfd));
	for (j = 0; j < p->ndirs; j++)
		r.sfd[j] = r.dfd[j] = -1;

	if (workers <= 0)
		workers = get_nprocs();
	if (workers > CLONE_MAXWORKERS)
		workers = CLONE_MAXWORKERS;
	vs_clone_reserve_fds();
	pf = pthread_create(&pftid, NULL, prefetch, &r) == 0;
	for (i = 1; i < workers; i++)
		if (pthread_create(&tid[started], NULL, worker, &r) == 0)
			started++;
	worker(&r);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (pf)
		pthread_join(pftid, NULL);
	free(r.stack);
	/* after a failure, directories never built keep their fds */
	for (j = 0; j < p->ndirs; j++) {
		if (r.sfd[j] >= 0)
			close(r.sfd[j]);
		if (r.dfd[j] >= 0)
			close(r.dfd[j]);
	}
	free(r.sfd);
	free(r.dfd);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	if (r.failed) {
		if (err)
			*err = r.err;
		errno = r.err.errnum ? r.err.errnum : EIO;
		return -1;
	}
	/* last: until now only host root could enter the new tree, so no
	 * process of the VS's uid could swap what the name-based calls
	 * above act on */
	if (fchown(dstfd, shift(&r, p->dirs[0].uid),
	    shift(&r, p->dirs[0].gid)) < 0 ||
	    fchmod(dstfd, dir_mode(&p->dirs[0])) < 0)
		return vs_err_sys(err, "cannot set owner of the new root");
	r.stats.dirs++;		/* the root */
	if (stats)
		*stats = r.stats;
	return 0;
}
