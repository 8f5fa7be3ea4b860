/* relink.c - vsdskel update: swap a freshly built skeleton in, then bring
 * every VS over to it.
 *
 * In each VS root (hostile: the VS's root owns every directory in it) a
 * file that is still the old skeleton's - the same inode for linked
 * files; for the VS's own copies the same content, for symlinks the same
 * target as the old skeleton had - is replaced by the new skeleton's
 * (hard link or copy, by vs_skel_private_in's rule; shared symlinks are
 * linked like files), or removed when the new skeleton
 * no longer has it; entries new in the skeleton are added where the VS
 * still has their directory.  What the VS changed is kept and reported.
 *
 * Safety: the walk is fd-relative, never follows a symlink and never
 * enters another mount (fswalk.h); every change is linkat/symlinkat/
 * openat(O_EXCL) of a temporary name in the directory fd the walk holds,
 * then renameat over the entry: atomic per file.  Crash anywhere: the
 * pending record (skel.c) makes the next run resume; every step checks
 * whether it was done, and temporaries left behind are removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atfile.h"
#include "fcaps.h"
#include "fswalk.h"
#include "hash.h"
#include "log.h"
#include "state.h"
#include "vsdskel.h"
#include "xmem.h"
#include "banned.h"

#define RELINK_TMP	".#vsdskel-update"

struct relink {
	const struct skel_opts *o;
	const struct vs_conf *conf;
	const struct vs_manifest *oldm, *newm;
	const struct vs_globs *oldcopy, *newcopy;
	const struct vs_rightlist *rights;	/* the new skeleton's */
	int oldskel, newskel;		/* tree fds */
	const struct vs_rec *rec;
	int vsfd;
	/* counts and the drift report of this VS */
	size_t relinked, copied, removed, added, kept;
	struct vs_buf keptlist;		/* JSON array items or text lines */
	struct progress *pr;
	struct vs_buf parent;
};

static uid_t
shift(const struct vs_rec *r, unsigned long id)
{
	/* as clone.c: ids beyond the range become the VS's root */
	return (uid_t)(r->uid_base + ((long long)id < r->uid_count ?
	    (long long)id : 0));
}

/* The sharing rule (skelconf.h) for entry e of manifest m: symlinks
 * also depend on their directory's mode. */
static const char *
private_in(const struct vs_manifest *m, const struct vs_mentry *e,
    const struct vs_globs *copy)
{
	const struct vs_mentry *d = NULL;
	const char *s;

	if (e->type == 'l' && (s = strrchr(e->path, '/')) != NULL) {
		_cleanup_free_ char *p = xstrndup(e->path,
		    (size_t)(s - e->path));

		d = vs_manifest_find(m, p);
	}
	return vs_skel_private_in(e, d ? (mode_t)d->mode : 0, copy);
}

static const char *
old_private(const struct relink *r, const struct vs_mentry *e)
{
	return private_in(r->oldm, e, r->oldcopy);
}

static const char *
new_private(const struct relink *r, const struct vs_mentry *e)
{
	return private_in(r->newm, e, r->newcopy);
}

static void
keep(struct relink *r, const char *path, const char *why)
{
	r->kept++;
	if (r->o->json) {
		if (r->keptlist.len)
			vs_buf_addch(&r->keptlist, ',');
		vs_buf_add_json_str(&r->keptlist, path);
	} else {
		struct vs_buf esc = VS_BUF_INIT;

		vs_manifest_escape(&esc, path);
		vs_buf_addf(&r->keptlist, "    kept /%s (%s)\n", esc.buf, why);
		vs_buf_release(&esc);
	}
}

/* A temporary name in vsdir that is free now: RELINK_TMP, or RELINK_TMP.X
 * (X random) when the VS put a directory there (a leftover file is ours,
 * or the VS's to lose).  The walk removes leftovers of killed runs.  X was
 * 1..99: a VS that made directories under all of them failed every
 * update, which then stayed pending for every VS (713); 64 random bits
 * it cannot squat in advance. */
static int
pick_tmp(int vsdir, char *buf, size_t len, const char *path,
    struct vs_err *err)
{
	struct stat st;
	uint64_t x;
	int k;

	for (k = 0; k < 100; k++) {
		if (k == 0)
			snprintf(buf, len, "%s", RELINK_TMP);
		else if (getrandom(&x, sizeof(x), 0) != sizeof(x))
			return vs_err_sys(err, "getrandom");
		else
			snprintf(buf, len, "%s.%016llx", RELINK_TMP,
			    (unsigned long long)x);
		if (fstatat(vsdir, buf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return 0;
			continue;
		}
		if (!S_ISDIR(st.st_mode) && unlinkat(vsdir, buf, 0) == 0)
			return 0;
	}
	return vs_err_set(err, EEXIST, "no free temporary name beside '%s'",
	    path);
}

static int
same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Move the prepared entry tmp to name (vs_replace_at): 1 when the VS's
 * entry won. */
static int
put_in_place(int vsdir, const char *tmp, const char *name,
    const struct stat *expect, const char *path, struct vs_err *err)
{
	int rc = vs_replace_at(vsdir, tmp, name, expect);

	return rc < 0 ? vs_err_sys(err, "cannot replace '%s'", path) : rc;
}

/* Remove name (judged as expect) from vsdir: renamed aside first, so an
 * entry the VS put there meanwhile is put back, not lost. */
static int
remove_entry(int vsdir, const char *name, const struct stat *expect,
    const char *path, struct vs_err *err)
{
	struct stat st;
	char tmp[64];

	if (pick_tmp(vsdir, tmp, sizeof(tmp), path, err) < 0)
		return -1;
	if (renameat2(vsdir, name, vsdir, tmp, RENAME_NOREPLACE) < 0)
		return errno == ENOENT ? 1 : vs_err_sys(err, "cannot remove "
		    "'%s'", path);
	if (fstatat(vsdir, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !same_inode(&st, expect)) {
		(void)renameat2(vsdir, tmp, vsdir, name, RENAME_NOREPLACE);
		return 1;
	}
	if (unlinkat(vsdir, tmp, 0) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove '%s'", path);
	return 0;
}

/* Put the new skeleton's entry e at name in vsdir: a hard link, a copy
 * owned by the VS, or a symlink; through a temporary name and an atomic
 * rename (put_in_place).  expect: the VS's entry being replaced, NULL
 * when adding. */
static int
install(struct relink *r, int vsdir, const char *name,
    const struct vs_mentry *e, const struct stat *expect, struct vs_err *err)
{
	_cleanup_close_ int sdir = -1, in = -1, out = -1;
	const char *priv = new_private(r, e);
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { e->mtime, 0 } };
	char tmp[64];
	int rc;

	if (e->type == 'd') {
		if (mkdirat(vsdir, name, 0700) < 0)
			return errno == EEXIST ? 0 : vs_err_sys(err, "cannot "
			    "create '%s'", e->path);
		out = openat(vsdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (out < 0 || fchown(out, shift(r->rec, e->uid),
		    shift(r->rec, e->gid)) < 0 ||
		    fchmod(out, e->mode | ((e->mode & S_ISVTX) ? 0 : 0200)) < 0)
			return vs_err_sys(err, "cannot set up '%s'", e->path);
		r->added++;
		return 0;
	}
	if (pick_tmp(vsdir, tmp, sizeof(tmp), e->path, err) < 0)
		return -1;
	if (e->type != 'd' && priv == NULL) {
		/* the new skeleton's inode: a file or a symlink (linkat
		 * without AT_SYMLINK_FOLLOW links the symlink itself) */
		sdir = vs_open_parent_beneath(r->newskel, e->path);
		if (sdir < 0 || linkat(sdir, vs_path_base(e->path), vsdir,
		    tmp, 0) < 0)
			return vs_err_sys(err, "cannot link '%s'", e->path);
	} else if (e->type == 'l') {
		struct stat lst;

		/* chown what we made, not the name: the VS owns vsdir and
		 * can swap a shared skeleton file in under tmp meanwhile */
		if (symlinkat(e->target, vsdir, tmp) < 0 ||
		    (out = openat(vsdir, tmp, O_PATH | O_NOFOLLOW |
		    O_CLOEXEC)) < 0 || fstat(out, &lst) < 0)
			return vs_err_sys(err, "cannot create link '%s'",
			    e->path);
		if (!S_ISLNK(lst.st_mode) || lst.st_nlink != 1 ||
		    lst.st_uid != 0)
			return vs_err_set(err, EAGAIN, "'%s' was replaced "
			    "while being created: the VS changes it; run "
			    "'vsdskel update' again", e->path);
		if (fchownat(out, "", shift(r->rec, e->uid),
		    shift(r->rec, e->gid), AT_EMPTY_PATH) < 0)
			return vs_err_sys(err, "cannot create link '%s'",
			    e->path);
	} else if (e->type == 'f') {
		char buf[65536];
		ssize_t n;

		sdir = vs_open_parent_beneath(r->newskel, e->path);
		if (sdir >= 0)
			in = openat(sdir, vs_path_base(e->path), O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return vs_err_sys(err, "cannot open skeleton '%s'",
			    e->path);
		out = openat(vsdir, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return vs_err_sys(err, "cannot create copy of '%s'",
			    e->path);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		if (n != 0 || fchown(out, shift(r->rec, e->uid),
		    shift(r->rec, e->gid)) < 0 ||
		    fchmod(out, e->mode | 0200) < 0 ||
		    vs_fcaps_copy(in, out, (uint32_t)r->rec->uid_base,
		    (uint32_t)r->rec->uid_count) < 0 ||
		    futimens(out, ts) < 0 || fsync(out) < 0) {
			vs_err_sys(err, "cannot copy '%s'", e->path);
			(void)unlinkat(vsdir, tmp, 0);
			return -1;
		}
	} else {
		return 0;	/* devices and FIFOs come from the runtime */
	}
	rc = put_in_place(vsdir, tmp, name, expect, e->path, err);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (expect)
			keep(r, e->path, "changed by the VS during the update");
		return 0;
	}
	if (!expect)
		r->added++;
	else if (priv == NULL)
		r->relinked++;
	else
		r->copied++;
	return 0;
}

/* Is the VS's entry (fd-relative at dirfd/name, lstat st) still what the
 * old skeleton gave it? */
static int
still_old(struct relink *r, const struct vs_fswalk_ent *w,
    const struct vs_mentry *old)
{
	struct stat st;

	if (old->type == 'l') {
		char t[4097];
		ssize_t n;

		/* the target is all a symlink has: the old skeleton's
		 * inode, or the VS's own symlink (as VSs created before
		 * symlinks were shared have), with the same target */
		if (!S_ISLNK(w->st->st_mode))
			return 0;
		n = readlinkat(w->dirfd, w->name, t, sizeof(t) - 1);
		if (n < 0)
			return 0;
		t[n] = '\0';
		return strcmp(t, old->target) == 0;
	}
	if (old->type != 'f' || !S_ISREG(w->st->st_mode))
		return 0;
	if (old_private(r, old) == NULL) {
		/* linked: the very inode */
		if (fstatat(r->oldskel, old->path, &st, AT_SYMLINK_NOFOLLOW)
		    < 0)
			return 0;
		return st.st_dev == w->st->st_dev && st.st_ino == w->st->st_ino;
	}
	/* the VS's own copy: unchanged content */
	{
		unsigned char md[VS_HASH_LEN];

		if (!old->has_hash || w->st->st_size != old->size)
			return 0;
		if (vs_hash_file_st(w->dirfd, w->name, w->st, md, NULL) < 0)
			return 0;
		return memcmp(md, old->sha256, VS_HASH_LEN) == 0;
	}
}

/* Is it already the new skeleton's (a resumed run, or an entry the
 * update does not change)?  The inode for linked files; the target for
 * symlinks; the content, owner and mode for the VS's own copies. */
static int
already_new(struct relink *r, const struct vs_fswalk_ent *w,
    const struct vs_mentry *e)
{
	unsigned char md[VS_HASH_LEN];
	struct stat st;

	if (e->type == 'l' && S_ISLNK(w->st->st_mode) &&
	    new_private(r, e) != NULL) {
		char t[4097];
		ssize_t n = readlinkat(w->dirfd, w->name, t, sizeof(t) - 1);

		if (n < 0)
			return 0;
		t[n] = '\0';
		return strcmp(t, e->target) == 0;
	}
	if (!((e->type == 'f' && S_ISREG(w->st->st_mode)) ||
	    (e->type == 'l' && S_ISLNK(w->st->st_mode))))
		return 0;
	if (new_private(r, e) == NULL)
		return fstatat(r->newskel, e->path, &st, AT_SYMLINK_NOFOLLOW)
		    == 0 && st.st_dev == w->st->st_dev &&
		    st.st_ino == w->st->st_ino;
	if (w->st->st_nlink != 1 || !e->has_hash ||
	    w->st->st_size != e->size ||
	    w->st->st_uid != shift(r->rec, e->uid) ||
	    (w->st->st_mode & 07777) != (e->mode | 0200))
		return 0;
	return vs_hash_file_st(w->dirfd, w->name, w->st, md, NULL) == 0 &&
	    memcmp(md, e->sha256, VS_HASH_LEN) == 0;
}

/*
 * A governed copy (rights.h) of a shared skeleton file: the VS's root
 * owns it, a group of the VS's, no "other" bits.  1 if its content is
 * still the old skeleton file's, 2 if already the new one's, else 0.
 */
static int
governed_copy(struct relink *r, const struct vs_fswalk_ent *w,
    const struct vs_mentry *old, const struct vs_mentry *new)
{
	const struct stat *st = w->st;
	unsigned char md[VS_HASH_LEN];
	long long lo = r->rec->uid_base, hi = lo + r->rec->uid_count;

	if (old->type != 'f' || !S_ISREG(st->st_mode) ||
	    old_private(r, old) != NULL ||
	    st->st_uid != (uid_t)lo || st->st_gid == (gid_t)lo ||
	    st->st_gid < lo || st->st_gid >= hi || (st->st_mode & 07) != 0 ||
	    (st->st_size != old->size && !(new && st->st_size == new->size)))
		return 0;
	if (vs_hash_file_st(w->dirfd, w->name, w->st, md, NULL) < 0)
		return 0;
	if (old->has_hash && !memcmp(md, old->sha256, VS_HASH_LEN))
		return 1;
	if (new && new->has_hash && !memcmp(md, new->sha256, VS_HASH_LEN))
		return 2;
	return 0;
}

static int
relink_cb(void *ctx, const struct vs_fswalk_ent *w, struct vs_err *err)
{
	struct relink *r = ctx;
	const struct vs_mentry *old, *new;
	int gov;

	if (!w->post)
		progress_add(r->pr, 1, 0);
	if (w->mount)
		return 0;		/* never into another filesystem */
	if (!strncmp(w->name, RELINK_TMP, strlen(RELINK_TMP))) {
		/* left by a killed run */
		if (!S_ISDIR(w->st->st_mode))
			(void)unlinkat(w->dirfd, w->name, 0);
		return 0;
	}
	old = vs_manifest_find(r->oldm, w->path);
	new = vs_manifest_find(r->newm, w->path);
	if (S_ISDIR(w->st->st_mode)) {
		/* no skeleton is that deep: below is the VS's alone, and
		 * walking on would fail the walk (ELOOP) */
		if (!w->post && w->depth >= VS_FSWALK_MAXDEPTH)
			return VS_FSWALK_SKIP;
		/* gone from the skeleton: remove it once empty */
		if (w->post && old && old->type == 'd' && !new &&
		    unlinkat(w->dirfd, w->name, AT_REMOVEDIR) == 0)
			r->removed++;
		return 0;
	}
	if (old == NULL)
		return 0;		/* the VS's own file */
	if ((gov = governed_copy(r, w, old, new)) != 0) {
		/* still governed: vs_rights_apply() after the walk makes
		 * it a copy of the new file; else it is the old file */
		if (new && vs_rightlist_find(r->rights, w->path) >= 0)
			return 0;
	} else if (new && already_new(r, w, new)) {
		return 0;
	}
	if (!gov && !still_old(r, w, old)) {
		/* changed by the VS.  Its own copies (config in /etc...)
		 * are reported only when the skeleton changed them too */
		if (old->type != 'd' && old_private(r, old) &&
		    new && !vs_mentry_diff(old, new))
			return 0;
		keep(r, w->path, old->type == 'd' ? "directory replaced by "
		    "the VS" : new ? "changed by the VS" :
		    "changed by the VS, gone from the skeleton");
		return 0;
	}
	if (new == NULL) {
		int rc = remove_entry(w->dirfd, w->name, w->st, w->path, err);

		if (rc < 0)
			return -1;
		if (rc == 0)
			r->removed++;
		return 0;
	}
	if (new->type == 'd')
		return 0;	/* a file became a directory: leave the VS's */
	/* the same entry in both skeletons and a private copy that did not
	 * change: nothing to do */
	if (old_private(r, old) && !vs_mentry_diff(old, new))
		return 0;
	return install(r, w->dirfd, w->name, new, w->st, err);
}

/* Entries new in the skeleton, where the VS still has their directory. */
static int
add_new(struct relink *r, struct vs_err *err)
{
	size_t i;

	for (i = 0; i < r->newm->n; i++) {
		const struct vs_mentry *e = &r->newm->e[i];
		const char *s = strrchr(e->path, '/');
		struct stat st;
		int dir;

		if (vs_manifest_find(r->oldm, e->path))
			continue;
		vs_buf_reset(&r->parent);
		if (s)
			vs_buf_add(&r->parent, e->path,
			    (size_t)(s - e->path));
		dir = vs_open_beneath(r->vsfd, r->parent.buf, O_RDONLY |
		    O_DIRECTORY);
		if (dir < 0)
			continue;	/* the VS removed or replaced it */
		if (fstatat(dir, vs_path_base(e->path), &st, AT_SYMLINK_NOFOLLOW)
		    == 0 || errno != ENOENT) {
			close(dir);
			continue;	/* the VS has its own */
		}
		if (install(r, dir, vs_path_base(e->path), e, NULL, err) < 0) {
			close(dir);
			return -1;
		}
		close(dir);
	}
	return 0;
}

static int
relink_vs(struct relink *r, int rootfd, struct vs_err *err)
{
	_cleanup_free_ char *path = xasprintf("vs/%s", r->rec->name);
	int lock, rc;

	/* lock order as vsroot.c: global (held by the caller), then VS */
	lock = vs_state_lock(r->conf, r->rec->name, 0, err);
	if (lock < 0)
		return -1;
	r->vsfd = vs_open_beneath(rootfd, path, O_RDONLY | O_DIRECTORY);
	if (r->vsfd < 0) {
		close(lock);
		if (errno == ENOENT)
			return 0;	/* record without a root: reconcile's */
		return vs_err_sys(err, "cannot open '%s'", path);
	}
	rc = vs_fswalk(r->vsfd, relink_cb, r, VS_FSWALK_POST, err);
	if (rc == 0)
		rc = add_new(r, err);
	if (rc == 0) {
		/* the governed copies follow the new skeleton */
		struct vs_buf probs = VS_BUF_INIT;
		char *l, *nl;

		rc = vs_rights_apply(r->conf, r->rec, r->oldm, &probs, err);
		if (rc < 0) {
			/* reported like drift, not a failed VS: one whose
			 * admin removed /etc/group or made /etc a symlink
			 * kept the update pending for good, the old tree
			 * and every later skeleton with it (712); vsd
			 * enforces the rights again at start and setrights */
			vs_buf_addf(&probs, "rights not enforced: %s\n",
			    err->msg);
			vs_err_clear(err);
			rc = 1;
		}
		for (l = probs.buf; rc > 0 && *l; l = nl + 1) {
			nl = strchrnul(l, '\n');
			*nl = '\0';
			if (r->o->json) {
				keep(r, l, NULL);
			} else {
				r->kept++;
				vs_buf_addf(&r->keptlist, "    %s\n", l);
			}
		}
		vs_buf_release(&probs);
		rc = rc < 0 ? -1 : 0;
	}
	close(r->vsfd);
	r->vsfd = -1;
	close(lock);
	return rc;
}

static void
report_vs(struct relink *r, struct vs_buf *json, const char *error)
{
	if (r->o->json) {
		if (json->len)
			vs_buf_addch(json, ',');
		vs_buf_adds(json, "{\"name\":");
		vs_buf_add_json_str(json, r->rec->name);
		vs_buf_addf(json, ",\"ok\":%s,\"relinked\":%zu,\"copied\":%zu,"
		    "\"removed\":%zu,\"added\":%zu,\"kept\":[%s]",
		    error ? "false" : "true", r->relinked, r->copied,
		    r->removed, r->added, r->keptlist.buf);
		if (error) {
			vs_buf_adds(json, ",\"error\":");
			vs_buf_add_json_str(json, error);
		}
		vs_buf_addch(json, '}');
		return;
	}
	if (error) {
		log_warnx("update: server '%s': %s", r->rec->name, error);
		return;
	}
	if (r->o->quiet && r->kept == 0)
		return;
	printf("%s: %zu relinked, %zu copied, %zu removed, %zu added, "
	    "%zu kept (changed by the VS)\n", r->rec->name, r->relinked,
	    r->copied, r->removed, r->added, r->kept);
	fputs(r->keptlist.buf, stdout);
}

static int
load_pair(struct skel_state *s, struct vs_manifest *oldm,
    struct vs_manifest *newm, struct vs_globs *oldcopy,
    struct vs_globs *newcopy, struct vs_err *err)
{
	if (vs_manifest_load(s->statefd, "manifest", newm, err) < 0)
		return -1;
	if (vs_manifest_load(s->statefd, "manifest.old", oldm, err) < 0 &&
	    errno != ENOENT)
		return -1;
	if (vs_globs_load(s->statefd, "copy", newcopy, err) < 0 &&
	    errno != ENOENT)
		return -1;
	if (vs_globs_load(s->statefd, "copy.old", oldcopy, err) < 0 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

/* Build skel.new and swap it in; 1 when the skeleton did not change. */
static int
rebuild(struct skel_state *s, const struct skel_opts *o, struct vs_err *err)
{
	struct vs_manifest m = VS_MANIFEST_INIT, cur = VS_MANIFEST_INIT;
	struct vs_globs copy = VS_GLOBS_INIT, curcopy = VS_GLOBS_INIT;
	struct vs_rightlist rights = VS_RIGHTLIST_INIT;
	struct vs_rightlist currights = VS_RIGHTLIST_INIT;
	struct vs_buf rtext = VS_BUF_INIT, curtext = VS_BUF_INIT;
	char id[VS_HASH_HEXLEN + 1], curid[VS_HASH_HEXLEN + 1];
	unsigned long long ino;
	char op[32];
	int rc = -1;

	if (vs_manifest_load(s->statefd, "manifest", &cur, err) < 0) {
		if (errno == ENOENT)
			vs_err_set(err, ENOENT, "no skeleton in '%s' to update "
			    "(run 'vsdskel build')", s->conf.state_root);
		return -1;
	}
	if (vs_globs_load(s->statefd, "copy", &curcopy, err) < 0 &&
	    errno != ENOENT)
		goto out;
	if (vs_rightlist_load(s->statefd, "rights", &currights, err) < 0 &&
	    errno != ENOENT)
		goto out;
	if (skel_build_tree(s, o, "skel.new", &m, &copy, &rights, err) < 0)
		goto out;
	vs_rightlist_format(&rights, &rtext);
	vs_rightlist_format(&currights, &curtext);
	if (vs_manifest_id(&m, id, err) < 0 ||
	    vs_manifest_id(&cur, curid, err) < 0)
		goto out;
	if (!strcmp(id, curid) && copy.n == curcopy.n &&
	    !strcmp(rtext.buf, curtext.buf)) {
		size_t i;

		for (i = 0; i < copy.n; i++)
			if (strcmp(copy.pat[i], curcopy.pat[i]))
				break;
		if (i == copy.n) {
			rc = rmtree_at(s->rootfd, "skel.new", err) < 0 ? -1 : 1;
			goto out;
		}
	}
	if (skel_save_new(s, &m, &copy, &rights, err) < 0 ||
	    skel_pending_begin(s, "update", err) < 0 ||
	    skel_pending_read(s, op, sizeof(op), &ino, err) != 0 ||
	    skel_swap(s, ino, err) < 0)
		goto out;
	rc = 0;
out:
	vs_manifest_release(&m);
	vs_manifest_release(&cur);
	vs_globs_release(&copy);
	vs_globs_release(&curcopy);
	vs_rightlist_release(&rights);
	vs_rightlist_release(&currights);
	vs_buf_release(&rtext);
	vs_buf_release(&curtext);
	return rc;
}

static int
update_run(struct skel_state *s, const struct skel_opts *o, int *printed,
    struct vs_err *err)
{
	struct vs_manifest oldm = VS_MANIFEST_INIT, newm = VS_MANIFEST_INIT;
	struct vs_globs oldcopy = VS_GLOBS_INIT, newcopy = VS_GLOBS_INIT;
	struct vs_rightlist rights = VS_RIGHTLIST_INIT;
	struct vs_buf json = VS_BUF_INIT;
	struct vs_rec *recs = NULL;
	size_t nrecs = 0, i, failed = 0;
	unsigned long long ino;
	char op[32];
	int r, rc = -1;

	if (geteuid() != 0)
		return vs_err_set(err, EPERM, "must run as root");
	r = skel_pending_read(s, op, sizeof(op), &ino, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		log_info("resuming an interrupted '%s'", op);
		if (skel_swap(s, ino, err) < 0)
			return -1;
		if (strcmp(op, "update") != 0) {
			if (skel_pending_end(s, err) < 0)
				return -1;
			r = 1;
		}
	}
	if (r == 1) {
		if (skel_clean_leftovers(s, err) < 0)
			return -1;
		r = rebuild(s, o, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			*printed = 1;
			if (o->json)
				printf("{\"ok\":true,\"changed\":false,"
				    "\"servers\":[]}\n");
			else if (!o->quiet)
				log_info("skeleton unchanged: nothing to do");
			return 0;
		}
	}
	if (load_pair(s, &oldm, &newm, &oldcopy, &newcopy, err) < 0)
		goto out;
	if (vs_rightlist_load(s->statefd, "rights", &rights, err) < 0 &&
	    errno != ENOENT)
		goto out;
	if (vs_rec_list(&s->conf, &recs, &nrecs, err) < 0)
		goto out;
	{
		struct relink rl = { 0 };
		struct progress pr;
		int oldfd, newfd;

		oldfd = openat(s->rootfd, "skel.old", O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		newfd = openat(s->rootfd, "skel", O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (newfd < 0) {
			vs_err_sys(err, "cannot open '%s/skel'",
			    s->conf.state_root);
			if (oldfd >= 0)
				close(oldfd);
			goto out;
		}
		if (oldfd < 0 && nrecs > 0)
			log_warnx("no previous skeleton tree: linked files "
			    "cannot be recognised, only copies and links");
		progress_start(&pr, !o->quiet && !o->json, "relinking",
		    nrecs * newm.n, 0);
		for (i = 0; i < nrecs; i++) {
			struct vs_err e = VS_ERR_INIT;

			memset(&rl, 0, sizeof(rl));
			vs_buf_init(&rl.keptlist, 0);
			vs_buf_init(&rl.parent, 0);
			rl.o = o;
			rl.conf = &s->conf;
			rl.oldm = &oldm;
			rl.newm = &newm;
			rl.oldcopy = &oldcopy;
			rl.newcopy = &newcopy;
			rl.rights = &rights;
			rl.oldskel = oldfd;
			rl.newskel = newfd;
			rl.rec = &recs[i];
			rl.vsfd = -1;
			rl.pr = &pr;
			if (relink_vs(&rl, s->rootfd, &e) < 0) {
				failed++;
				report_vs(&rl, &json, e.msg);
			} else {
				report_vs(&rl, &json, NULL);
			}
			vs_buf_release(&rl.keptlist);
			vs_buf_release(&rl.parent);
		}
		progress_done(&pr);
		if (oldfd >= 0)
			close(oldfd);
		close(newfd);
	}
	if (failed) {
		vs_err_set(err, EAGAIN, "%zu of %zu servers not updated; run "
		    "'vsdskel update' again to finish", failed, nrecs);
	} else if (skel_pending_end(s, err) == 0) {
		rc = 0;
	}
	*printed = 1;
	if (o->json)
		printf("{\"ok\":%s,\"changed\":true,\"servers\":[%s]}\n",
		    rc == 0 ? "true" : "false", json.buf);
	else if (rc == 0 && !o->quiet)
		log_info("skeleton updated, %zu server%s re-linked", nrecs,
		    nrecs == 1 ? "" : "s");
out:
	free(recs);
	vs_buf_release(&json);
	vs_manifest_release(&oldm);
	vs_manifest_release(&newm);
	vs_globs_release(&oldcopy);
	vs_globs_release(&newcopy);
	vs_rightlist_release(&rights);
	return rc;
}

int
skel_update(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err)
{
	int printed = 0, rc = update_run(s, o, &printed, err);

	if (rc < 0 && o->json && !printed) {
		struct vs_buf j = VS_BUF_INIT;

		vs_buf_add_json_str(&j, err->msg);
		printf("{\"ok\":false,\"error\":%s}\n", j.buf);
		vs_buf_release(&j);
	}
	return rc;
}
