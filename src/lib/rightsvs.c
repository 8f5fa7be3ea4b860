/* rightsvs.c - enforcing the rights inside a VS root (rights.h):
 * the vsd-RIGHT groups of its /etc/group and the governed copies.
 *
 * A shared skeleton inode belongs to host root: no VS can give it a group
 * of its own, so a program a right governs becomes a per-VS copy (owner
 * the VS's root, group vsd-RIGHT, no "other" bits), and only while some
 * ordinary user lacks the right: a fresh VS keeps sharing everything.
 *
 * The VS's tree is hostile: every directory is opened with
 * vs_open_beneath() (no symlink, no "..", no other mount), entries are
 * lstat'ed, never followed, and replaced by building the new one under a
 * temporary name in the same directory and vs_replace_at() (exchange,
 * check, exchange back if the VS swapped the entry meanwhile).  A kill
 * at any point leaves each name the old inode or the new one, plus at
 * most a temporary that the next run removes; the run after that makes
 * the rest true.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atfile.h"
#include "fcaps.h"
#include "hash.h"
#include "log.h"
#include "rights.h"
#include "valid.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

#define ETC_MAX		(4 << 20)
#define TMP_COPY	".#vsd-rights"		/* the new copy */
#define TMP_LINK	".#vsd-rights.link"	/* a name of it, to rename */
#define GID_LAST	999			/* system groups: 100..999 */
#define GID_FIRST	100

struct apply {
	const struct vs_conf *conf;
	const struct vs_rec *rec;
	const struct vs_manifest *oldm;
	struct vs_buf *problems;
	int nproblems;
	int root, skel;
};

/* A name's state: gone; the skeleton's inode; a governed copy (content
 * not read, the skeleton's, the old skeleton's); anything else. */
enum state { ABSENT, SHARED, COPY_ANY, COPY_CUR, COPY_OLD, FOREIGN, BADDIR };

static void
problem(struct apply *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem(struct apply *a, const char *fmt, ...)
{
	va_list ap;

	a->nproblems++;
	if (!a->problems)
		return;
	va_start(ap, fmt);
	vs_buf_vaddf(a->problems, fmt, ap);
	va_end(ap);
	vs_buf_addch(a->problems, '\n');
}

/* ---- the VS's /etc/passwd and /etc/group -------------------------- */

static int
read_etc(int etc, const char *name, struct vs_buf *b, struct stat *st)
{
	_cleanup_close_ int fd = openat(etc, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (vs_buf_read_fd(b, fd, ETC_MAX) < 0)
		return -1;
	if (b->len && b->buf[b->len - 1] != '\n')
		vs_buf_addch(b, '\n');
	return 0;
}

/* Next line of b from *pos: its start and length (without '\n'). */
static int
next_line(const struct vs_buf *b, size_t *pos, const char **l, size_t *len)
{
	const char *nl;

	if (*pos >= b->len)
		return 0;
	*l = b->buf + *pos;
	nl = memchr(*l, '\n', b->len - *pos);
	*len = nl ? (size_t)(nl - *l) : b->len - *pos;
	*pos += *len + 1;
	return 1;
}

/* Field k (0-based) of a line into out (bounded); 0 if missing. */
static int
field(const char *l, size_t len, int k, char *out, size_t outlen)
{
	const char *p = l, *end = l + len, *c;
	size_t fl;

	while (k-- > 0) {
		if (!(c = memchr(p, ':', (size_t)(end - p))))
			return 0;
		p = c + 1;
	}
	c = memchr(p, ':', (size_t)(end - p));
	fl = (size_t)((c ? c : end) - p);
	if (fl >= outlen)
		return 0;
	memcpy(out, p, fl);
	out[fl] = '\0';
	return 1;
}

static long long
number(const char *s)
{
	char *end;
	long long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return *end || errno ? -1 : v;
}

/* gid of group name in the group text, or -1. */
static long long
group_gid(const struct vs_buf *g, const char *name)
{
	char n[VS_USER_MAX + 2], id[24];
	const char *l;
	size_t pos = 0, len;

	while (next_line(g, &pos, &l, &len))
		if (field(l, len, 0, n, sizeof(n)) && !strcmp(n, name) &&
		    field(l, len, 2, id, sizeof(id)))
			return number(id);
	return -1;
}

/* Which system gids do other groups than name use?  One pass: a VS's
 * /etc/group may be 4 MiB with all but the last free gid taken, and a
 * pass per candidate gid took seconds per right. */
static void
gids_taken(const struct vs_buf *g, const char *name,
    unsigned char taken[GID_LAST + 1])
{
	char n[VS_USER_MAX + 2], id[24];
	const char *l;
	size_t pos = 0, len;
	long long gid;

	memset(taken, 0, GID_LAST + 1);
	while (next_line(g, &pos, &l, &len))
		if (field(l, len, 2, id, sizeof(id)) &&
		    (gid = number(id)) >= GID_FIRST && gid <= GID_LAST &&
		    !(field(l, len, 0, n, sizeof(n)) && !strcmp(n, name)))
			taken[gid] = 1;
}

/* Replace (or append) the line of group name in g. */
static void
group_set(struct vs_buf *g, const char *name, const char *line)
{
	struct vs_buf out = VS_BUF_INIT;
	char n[VS_USER_MAX + 2];
	const char *l;
	size_t pos = 0, len;
	int done = 0;

	while (next_line(g, &pos, &l, &len)) {
		if (field(l, len, 0, n, sizeof(n)) && !strcmp(n, name)) {
			if (!done)
				vs_buf_addf(&out, "%s\n", line);
			done = 1;
			continue;
		}
		vs_buf_add(&out, l, len);
		vs_buf_addch(&out, '\n');
	}
	if (!done)
		vs_buf_addf(&out, "%s\n", line);
	vs_buf_release(g);
	*g = out;
}

/*
 * The vsd-RIGHT lines for every right of the list.  governed[ri] is set
 * when some ordinary user lacks right ri; gid[ri] is the group's VS gid
 * (-1 when the VS has no such group and needs none).
 */
static int
plan_groups(struct apply *a, const struct vs_rightlist *rl, int etc,
    int governed[VS_RIGHTS_N], long long gid[VS_RIGHTS_N],
    struct vs_err *err)
{
	struct vs_buf pw = VS_BUF_INIT, gr = VS_BUF_INIT, orig = VS_BUF_INIT;
	struct vs_privtab t;
	struct stat pst, gst;
	int listed[VS_RIGHTS_N] = { 0 }, rc = -1, ri;
	size_t i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < rl->n; i++)
		listed[rl->e[i].right] = 1;
	if (vs_privtab_load(a->conf, a->rec->name, &t) < 0) {
		vs_err_sys(err, "cannot read the rights of '%s'",
		    a->rec->name);
		goto out;
	}
	if (read_etc(etc, "passwd", &pw, &pst) < 0 ||
	    read_etc(etc, "group", &gr, &gst) < 0) {
		vs_err_sys(err, "cannot read /etc/passwd and /etc/group of "
		    "'%s'", a->rec->name);
		goto out;
	}
	vs_buf_add(&orig, gr.buf, gr.len);
	for (ri = 0; ri < VS_RIGHTS_N; ri++) {
		struct vs_buf members = VS_BUF_INIT;
		char gname[VS_USER_MAX + 1], user[VS_USER_MAX + 2], id[24];
		unsigned char taken[GID_LAST + 1];
		const char *l;
		size_t pos = 0, len;
		long long uid;
		_cleanup_free_ char *line = NULL;

		governed[ri] = 0;
		gid[ri] = -1;
		if (!listed[ri])
			continue;
		snprintf(gname, sizeof(gname), VS_RIGHTS_GROUP_PREFIX "%s",
		    vs_rights_names[ri]);
		while (next_line(&pw, &pos, &l, &len)) {
			if (!field(l, len, 0, user, sizeof(user)) ||
			    !vs_valid_username(user) ||
			    !field(l, len, 2, id, sizeof(id)) ||
			    (uid = number(id)) <= 0)
				continue;
			if (uid >= VS_RIGHTS_UID_FIRST &&
			    uid <= VS_RIGHTS_UID_LAST &&
			    !vs_privtab_has(&t, ri, user)) {
				governed[ri] = 1;
				continue;
			}
			/* holders of the right, and every system account
			 * (daemons: www-data, nobody...) */
			vs_buf_addf(&members, "%s%s", members.len ? "," : "",
			    user);
		}
		gid[ri] = group_gid(&gr, gname);
		if (gid[ri] < 0 && !governed[ri]) {
			vs_buf_release(&members);
			continue;
		}
		gids_taken(&gr, gname, taken);
		if (gid[ri] < GID_FIRST || gid[ri] > GID_LAST ||
		    taken[gid[ri]]) {
			/* new, or the VS's admin renumbered it: a free
			 * system gid, from the top (packages take theirs
			 * from the bottom) */
			for (gid[ri] = GID_LAST; gid[ri] >= GID_FIRST;
			    gid[ri]--)
				if (!taken[gid[ri]])
					break;
			if (gid[ri] < GID_FIRST) {
				vs_buf_release(&members);
				vs_err_set(err, ENOSPC, "no free system gid "
				    "in /etc/group of '%s' for '%s'",
				    a->rec->name, gname);
				goto out;
			}
		}
		line = xasprintf("%s:x:%lld:%s", gname, gid[ri], members.buf);
		group_set(&gr, gname, line);
		vs_buf_release(&members);
	}
	if (gr.len != orig.len || memcmp(gr.buf, orig.buf, gr.len) != 0) {
		/* as mod_user: the owner stays if it is the VS's */
		long long lo = a->rec->uid_base, hi = lo + a->rec->uid_count;
		uid_t u = (uid_t)lo;
		gid_t g = (gid_t)lo;

		if (gst.st_uid >= lo && gst.st_uid < hi)
			u = gst.st_uid;
		if (gst.st_gid >= lo && gst.st_gid < hi)
			g = gst.st_gid;
		if (vs_write_file_at(etc, "group", gr.buf, gr.len, u, g,
		    gst.st_mode & 0777) < 0) {
			vs_err_sys(err, "cannot write /etc/group of '%s'",
			    a->rec->name);
			goto out;
		}
	}
	rc = 0;
out:
	vs_privtab_release(&t);
	vs_buf_release(&pw);
	vs_buf_release(&gr);
	vs_buf_release(&orig);
	return rc;
}

/* ---- the governed files ------------------------------------------- */

static const char *
kind(mode_t m)
{
	return S_ISLNK(m) ? "a symlink" : S_ISREG(m) ? "a file of its own" :
	    S_ISDIR(m) ? "a directory" : "a special file";
}

/* The copy of skeleton file sdir/name as dir/TMP_COPY: owner the VS's
 * root, group gid (host), mode; its capabilities shifted for the VS. */
static int
make_copy(struct apply *a, int sdir, const char *name, int dir,
    gid_t gid, mode_t mode, const struct stat *sst)
{
	_cleanup_close_ int in = -1, out = -1;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, sst->st_mtim };
	char buf[65536];
	ssize_t n;

	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = openat(dir, TMP_COPY, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	/* chown first: it drops security.capability */
	if (n != 0 || fchown(out, (uid_t)a->rec->uid_base, gid) < 0 ||
	    fchmod(out, mode) < 0 ||
	    vs_fcaps_copy(in, out, (uint32_t)a->rec->uid_base,
	    (uint32_t)a->rec->uid_count) < 0 ||
	    futimens(out, ts) < 0 || fsync(out) < 0) {
		int e = errno ? errno : EIO;

		(void)unlinkat(dir, TMP_COPY, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* Put a new hard link of srcdir/srcname at dir/name, replacing the entry
 * judged as expect.  0 done, 1 the VS changed it meanwhile, -1 errno. */
static int
link_over(int srcdir, const char *srcname, int dir, const char *name,
    const struct stat *expect)
{
	(void)unlinkat(dir, TMP_LINK, 0);
	if (linkat(srcdir, srcname, dir, TMP_LINK, 0) < 0)
		return -1;
	return vs_replace_at(dir, TMP_LINK, name, expect);
}

/* Is the VS's file dir/name (lstat st) still the content md, with the
 * size it must have?  Hashes it only then: the VS's admin may plant a
 * huge file under the right owner and mode. */
static int
content_is(int dir, const char *name, const struct stat *st, long long size,
    const unsigned char md[VS_HASH_LEN], unsigned char have[VS_HASH_LEN],
    int *hashed)
{
	if (st->st_size != size)
		return 0;
	if (!*hashed) {
		if (vs_hash_file_st(dir, name, st, have, NULL) < 0)
			return 0;
		*hashed = 1;
	}
	return memcmp(have, md, VS_HASH_LEN) == 0;
}

/*
 * One skeleton file and its names (entries of the list that are the same
 * inode, or the same content and mode: skeletons built before vsdskel kept
 * hard links have them as separate files; the first is the source): make every name the one
 * governed copy (governed) or its own skeleton inode.
 *
 * A name owned by the VS's root with group vsd-RIGHT and the copy's mode
 * is enforced whatever its content (the admin owns it and may change
 * it): its content is read only to decide whether it may go back to the
 * skeleton's inode, follow a new skeleton file (oldm), or be linked
 * under another name.
 */
static int
apply_inode(struct apply *a, const struct vs_rightpath *const *ents,
    size_t n, int governed, long long vsgid, const char *right,
    struct vs_err *err)
{
	int dirs[64], states[64], hashed[64], sdir = -1, rc = -1;
	unsigned char md[64][VS_HASH_LEN];
	struct stat st[64], sst, own;
	gid_t hgid = (gid_t)(a->rec->uid_base + (vsgid < 0 ? 0 : vsgid));
	const char *path0 = ents[0]->path;
	mode_t mode;
	size_t k, src = n, made = n;	/* made: dirs[made] holds TMP_COPY */

	if (n > ARRAY_SIZE(dirs))
		return vs_err_set(err, E2BIG, "'/%s' has too many names",
		    path0);
	for (k = 0; k < n; k++)
		dirs[k] = -1;
	sdir = vs_open_parent_beneath(a->skel, path0);
	if (sdir < 0 || fstatat(sdir, vs_path_base(path0), &sst,
	    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sst.st_mode)) {
		vs_err_sys(err, "cannot open skeleton file '/%s'", path0);
		goto out;
	}
	mode = sst.st_mode & 07770;
	for (k = 0; k < n; k++) {
		const char *p = ents[k]->path, *b = vs_path_base(p);
		const struct vs_mentry *old;
		size_t j;

		hashed[k] = 0;
		states[k] = ABSENT;
		if (fstatat(a->skel, p, &own, AT_SYMLINK_NOFOLLOW) < 0) {
			vs_err_sys(err, "cannot open skeleton file '/%s'", p);
			goto out;
		}
		dirs[k] = vs_open_parent_beneath(a->root, p);
		if (dirs[k] < 0) {
			if (errno != ENOENT) {
				states[k] = BADDIR;
				if (governed)
					problem(a, "'/%s' not governed: its "
					    "directory cannot be opened "
					    "safely in '%s' (%s)", p,
					    a->rec->name, strerror(errno));
			}
			continue;
		}
		/* what a killed run left */
		(void)unlinkat(dirs[k], TMP_COPY, 0);
		(void)unlinkat(dirs[k], TMP_LINK, 0);
		if (fstatat(dirs[k], b, &st[k], AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* removed by the VS: its choice */
		if (S_ISREG(st[k].st_mode) && st[k].st_dev == own.st_dev &&
		    st[k].st_ino == own.st_ino) {
			states[k] = SHARED;
			continue;
		}
		old = a->oldm ? vs_manifest_find(a->oldm, p) : NULL;
		if (!S_ISREG(st[k].st_mode) || vsgid < 0 ||
		    st[k].st_uid != (uid_t)a->rec->uid_base ||
		    st[k].st_gid != hgid || ((st[k].st_mode & 07777) != mode &&
		    !(old && (st[k].st_mode & 07777) ==
		    (old->mode & ~0222 & 07770)))) {
			states[k] = FOREIGN;
			if (governed)
				problem(a, "'/%s' not governed: the VS "
				    "replaced it with %s (right %s not "
				    "enforced on it)", p, kind(st[k].st_mode),
				    right);
			continue;
		}
		/* a governed copy; the content of one already read? */
		for (j = 0; j < k; j++)
			if (hashed[j] && st[j].st_ino == st[k].st_ino &&
			    st[j].st_dev == st[k].st_dev) {
				memcpy(md[k], md[j], VS_HASH_LEN);
				hashed[k] = 1;
			}
		states[k] = COPY_ANY;
		if (governed && !a->oldm)
			continue;	/* enforced: nothing to read */
		if (content_is(dirs[k], b, &st[k], sst.st_size,
		    ents[0]->sha256, md[k], &hashed[k])) {
			states[k] = COPY_CUR;
			if (src == n)
				src = k;
			continue;
		}
		if (old && old->has_hash && content_is(dirs[k], b, &st[k],
		    old->size, old->sha256, md[k], &hashed[k]))
			states[k] = COPY_OLD;
	}
	for (k = 0; k < n; k++) {
		const char *b = vs_path_base(ents[k]->path);
		size_t j;
		int r;

		/* governed: a shared name becomes the copy; not governed:
		 * an unchanged copy goes back to the skeleton's inode (a
		 * name that already is it stays as it is) */
		if (states[k] != COPY_OLD && states[k] != (governed ?
		    SHARED : COPY_CUR))
			continue;
		if (!governed) {
			/* back to the skeleton's inode */
			_cleanup_close_ int od = vs_open_parent_beneath(a->skel,
			    ents[k]->path);

			r = od < 0 ? -1 : link_over(od, b, dirs[k], b,
			    &st[k]);
		} else {
			/* the source: a governed copy whose content is
			 * the skeleton's, or a new one */
			for (j = 0; src == n && j < n; j++)
				if (states[j] == COPY_ANY && content_is(dirs[j],
				    vs_path_base(ents[j]->path), &st[j],
				    sst.st_size, ents[0]->sha256, md[j],
				    &hashed[j]))
					src = j;
			if (src == n) {
				if (make_copy(a, sdir, vs_path_base(path0),
				    dirs[k], hgid, mode, &sst) < 0) {
					vs_err_sys(err, "cannot copy '/%s' "
					    "in '%s'", ents[k]->path,
					    a->rec->name);
					goto out;
				}
				made = src = k;
			}
			r = link_over(dirs[src], made == src ? TMP_COPY :
			    vs_path_base(ents[src]->path), dirs[k], b, &st[k]);
			if (r == 0 && made == src && made == k) {
				/* its name is the copy now */
				(void)unlinkat(dirs[made], TMP_COPY, 0);
				made = n;
			}
		}
		if (r < 0) {
			vs_err_sys(err, "cannot replace '/%s' in '%s'",
			    ents[k]->path, a->rec->name);
			goto out;
		}
		if (r == 1 && governed)
			problem(a, "'/%s' not governed: the VS changed it "
			    "meanwhile", ents[k]->path);
	}
	rc = 0;
out:
	if (made < n)
		(void)unlinkat(dirs[made], TMP_COPY, 0);
	for (k = 0; k < n; k++)
		if (dirs[k] >= 0)
			close(dirs[k]);
	if (sdir >= 0)
		close(sdir);
	return rc;
}

/* Are list entries i and j one skeleton file: the same inode, or the
 * same content and mode? */
static int
same_skel_file(const struct vs_rightlist *rl, const struct stat *ino,
    size_t i, size_t j)
{
	if (ino[i].st_dev == ino[j].st_dev && ino[i].st_ino == ino[j].st_ino)
		return 1;
	return ino[i].st_size == ino[j].st_size &&
	    ino[i].st_mode == ino[j].st_mode &&
	    memcmp(rl->e[i].sha256, rl->e[j].sha256, VS_HASH_LEN) == 0;
}

int
vs_rights_apply(const struct vs_conf *conf, const struct vs_rec *rec,
    const struct vs_manifest *oldm, struct vs_buf *problems,
    struct vs_err *err)
{
	struct vs_rightlist rl = VS_RIGHTLIST_INIT;
	struct apply a = { conf, rec, oldm, problems, 0, -1, -1 };
	int governed[VS_RIGHTS_N], etc = -1, rc = -1, sfd = -1;
	long long gid[VS_RIGHTS_N];
	_cleanup_free_ char *spath = xasprintf("%s/state/skel",
	    conf->state_root);
	_cleanup_free_ char *kpath = xasprintf("%s/skel", conf->state_root);
	struct stat *ino = NULL;
	char *done = NULL;
	size_t i, j;

	sfd = open(spath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || vs_rightlist_load(sfd, "rights", &rl, err) < 0) {
		if (errno == ENOENT) {
			rc = 0;		/* a skeleton without rights */
			vs_err_clear(err);
		} else {
			vs_err_prefix(err, "skeleton rights list");
		}
		goto out;
	}
	if (rl.n == 0) {
		rc = 0;
		goto out;
	}
	if ((a.root = vs_root_open(conf, rec->name, err)) < 0)
		goto out;
	a.skel = open(kpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (a.skel < 0) {
		vs_err_sys(err, "cannot open '%s'", kpath);
		goto out;
	}
	etc = vs_open_beneath(a.root, "etc", O_RDONLY | O_DIRECTORY);
	if (etc < 0) {
		vs_err_sys(err, "cannot open /etc of '%s'", rec->name);
		goto out;
	}
	if (plan_groups(&a, &rl, etc, governed, gid, err) < 0)
		goto out;
	/* group the list by skeleton file: one copy for all its names */
	ino = xcalloc(rl.n, sizeof(*ino));
	done = xcalloc(rl.n, 1);
	for (i = 0; i < rl.n; i++)
		if (fstatat(a.skel, rl.e[i].path, &ino[i],
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(ino[i].st_mode))
			done[i] = 1;	/* not in this skeleton: skip */
	for (i = 0; i < rl.n; i++) {
		const struct vs_rightpath *ents[64];
		size_t n = 0;
		int ri = rl.e[i].right;

		if (done[i])
			continue;
		for (j = i; j < rl.n && n < ARRAY_SIZE(ents); j++)
			if (!done[j] && rl.e[j].right == ri &&
			    same_skel_file(&rl, ino, i, j)) {
				ents[n++] = &rl.e[j];
				done[j] = 1;
			}
		if (apply_inode(&a, ents, n, governed[ri], gid[ri],
		    vs_rights_names[ri], err) < 0)
			goto out;
	}
	rc = a.nproblems;
out:
	free(ino);
	free(done);
	if (etc >= 0)
		close(etc);
	if (a.root >= 0)
		close(a.root);
	if (a.skel >= 0)
		close(a.skel);
	if (sfd >= 0)
		close(sfd);
	vs_rightlist_release(&rl);
	return rc;
}

void
vs_rights_apply_all(const struct vs_conf *conf, struct vs_buf *report)
{
	struct vs_rec *recs = NULL;
	struct vs_err err = VS_ERR_INIT;
	size_t n = 0, i;

	if (vs_rec_list(conf, &recs, &n, &err) < 0) {
		vs_buf_addf(report, "rights: %s\n", err.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		struct vs_buf probs = VS_BUF_INIT;
		int lock = vs_state_lock(conf, recs[i].name, 1, &err), rc;

		if (lock < 0) {
			vs_buf_addf(report, "rights of '%s': %s\n",
			    recs[i].name, err.msg);
			continue;
		}
		rc = vs_rights_apply(conf, &recs[i], NULL, &probs, &err);
		close(lock);
		if (rc < 0)
			vs_buf_addf(report, "rights of '%s': %s\n",
			    recs[i].name, err.msg);
		else if (rc > 0)
			vs_buf_addf(report, "rights of '%s':\n%s",
			    recs[i].name, probs.buf);
		vs_buf_release(&probs);
	}
	free(recs);
}
