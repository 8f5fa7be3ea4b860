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

#include "fswalk.h"
#include "log.h"
#include "manifest.h"
#include "snap_int.h"
#include "state.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

int
snap_open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};

	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* ---- ACL and capability xattrs, owners relative to the VS ----------- */

/* Kernel's binary form of system.posix_acl_* (linux/posix_acl_xattr.h). */
struct acl_hdr { uint32_t version; };
struct acl_ent { uint16_t tag, perm; uint32_t id; };
#define ACL_XVERSION	2

static const struct { uint16_t k; int a; } acl_tags[] = {
	{ 0x01, ARCHIVE_ENTRY_ACL_USER_OBJ },
	{ 0x02, ARCHIVE_ENTRY_ACL_USER },
	{ 0x04, ARCHIVE_ENTRY_ACL_GROUP_OBJ },
	{ 0x08, ARCHIVE_ENTRY_ACL_GROUP },
	{ 0x10, ARCHIVE_ENTRY_ACL_MASK },
	{ 0x20, ARCHIVE_ENTRY_ACL_OTHER },
};

/* Add the ACL in xattr form (ids shifted by -base) to e.  Named ids
 * outside the VS become "nobody" (65534), as the VS itself sees them. */
static void
acl_to_entry(struct archive_entry *e, int type, const char *v, size_t len,
    long long base, long long count)
{
	const struct acl_hdr *h = (const void *)v;
	size_t i, j, n;

	if (len < sizeof(*h) || h->version != ACL_XVERSION)
		return;
	n = (len - sizeof(*h)) / sizeof(struct acl_ent);
	for (i = 0; i < n; i++) {
		struct acl_ent a;
		long long id = -1;

		memcpy(&a, v + sizeof(*h) + i * sizeof(a), sizeof(a));
		for (j = 0; j < ARRAY_SIZE(acl_tags); j++)
			if (acl_tags[j].k == a.tag)
				break;
		if (j == ARRAY_SIZE(acl_tags))
			continue;
		if (a.tag == 0x02 || a.tag == 0x08) {
			id = (long long)a.id - base;
			if (id < 0 || id >= count)
				id = 65534;
		}
		archive_entry_acl_add_entry(e, type, a.perm & 7,
		    acl_tags[j].a, (int)id, NULL);
	}
}

/* VFS_CAP_REVISION_3 carries the uid of the user namespace's root it is
 * valid for: stored relative like every owner. */
#define CAP_V2_LEN	20
#define CAP_V3_LEN	24
#define CAP_REV_MASK	0xff000000u
#define CAP_REV2	0x02000000u
#define CAP_REV3	0x03000000u

static void
add_xattrs(struct archive_entry *e, int fd, const char *path,
    long long base, long long count)
{
	char names[65536], val[65536];
	ssize_t nl, vl;
	char *n;

	nl = flistxattr(fd, names, sizeof(names));
	if (nl <= 0)
		return;
	for (n = names; n < names + nl; n += strlen(n) + 1) {
		vl = fgetxattr(fd, n, val, sizeof(val));
		if (vl < 0)
			continue;
		if (strcmp(n, "system.posix_acl_access") == 0)
			acl_to_entry(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, val, vl,
			    base, count);
		else if (strcmp(n, "system.posix_acl_default") == 0)
			acl_to_entry(e, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, val,
			    vl, base, count);
		else if (strncmp(n, "user.", 5) == 0)
			archive_entry_xattr_add_entry(e, n, val, vl);
		else if (strcmp(n, "security.capability") == 0) {
			uint32_t magic, root;

			if (vl < CAP_V2_LEN)
				continue;
			memcpy(&magic, val, 4);
			if ((magic & CAP_REV_MASK) == CAP_REV3 &&
			    vl >= CAP_V3_LEN) {
				memcpy(&root, val + 20, 4);
				if ((long long)root < base ||
				    (long long)root >= base + count) {
					log_warnx("'%s': file capabilities for "
					    "another namespace, not saved",
					    path);
					continue;
				}
				root -= base;
				memcpy(val + 20, &root, 4);
			}
			archive_entry_xattr_add_entry(e, n, val, vl);
		} else
			log_debug("%s: '%s': xattr %s not saved", __func__,
			    path, n);
	}
}

/* ---- the walk ------------------------------------------------------- */

struct item {
	char *path;
	char *target;		/* symlink */
	struct stat st;
	int skel;		/* index + 1 into the skeleton list, or 0 */
	int skel_symlink;	/* the skeleton's symlink inode (clone.h) */
};

struct save {
	const struct vs_conf *conf;
	const struct vs_rec *rec;
	int rootfd, skelfd;
	struct stat skelst;
	struct vs_manifest man;		/* the skeleton's, may be empty */
	struct item *it;
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
	fd = snap_open_beneath(s->rootfd, path, O_RDONLY | O_NONBLOCK);
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
	struct item *it;

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

static int
own(long long host, long long base, long long count, int *foreign)
{
	if (host >= base && host < base + count)
		return (int)(host - base);
	*foreign = 1;
	return 65534;
}

static int
write_item(struct save *s, struct snap_writer *w, struct item *it,
    struct vs_err *err)
{
	struct archive_entry *e;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *name = NULL;
	const struct stat *st = &it->st;
	long long base = s->rec->uid_base, count = s->rec->uid_count;
	mode_t mode = st->st_mode & 07777;
	int foreign = 0, link = 0, rc = -1;
	struct stat now;

	if (S_ISDIR(st->st_mode))
		name = *it->path ? xasprintf(SNAP_ROOT "/%s/", it->path) :
		    xstrdup(SNAP_ROOT "/");
	else
		name = xasprintf(SNAP_ROOT "/%s", it->path);
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		fd = snap_open_beneath(s->rootfd, it->path, O_RDONLY |
		    O_NONBLOCK | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
		if (fd < 0 && errno == ENOENT)
			return 0;	/* gone since the walk */
		if (fd < 0)
			return vs_err_sys(err, "cannot open '%s'", it->path);
		if (fstat(fd, &now) < 0)
			return vs_err_sys(err, "cannot stat '%s'", it->path);
		if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
			log_warnx("'%s' was replaced during the save: skipped",
			    it->path);
			return 0;
		}
	}
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, own(st->st_uid, base, count, &foreign));
	archive_entry_set_gid(e, own(st->st_gid, base, count, &foreign));
	if (it->skel || it->skel_symlink) {
		/* a skeleton file stored by --full, or a skeleton symlink
		 * (always stored: a tar header is all it costs): host
		 * root's, so owned by the VS's root when restored */
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		foreign = 0;
	}
	if (foreign && (mode & 06000)) {
		log_warnx("'%s' is set-id and owned outside the VS: stored "
		    "as nobody's, without set-id bits", it->path);
		mode &= ~06000;
	} else if (foreign)
		log_warnx("'%s' is owned outside the VS: stored as nobody's",
		    it->path);
	archive_entry_set_mode(e, (st->st_mode & S_IFMT) | mode);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	if (S_ISLNK(st->st_mode))
		archive_entry_set_symlink(e, it->target);
	if (S_ISREG(st->st_mode)) {
		archive_entry_set_size(e, st->st_size);
		if (!it->skel && st->st_nlink > 1) {
			archive_entry_set_nlink(e, st->st_nlink);
			archive_entry_set_dev(e, st->st_dev);
			archive_entry_set_ino64(e, st->st_ino);
		}
		if ((long long)st->st_blocks * 512 < st->st_size)
			snap_entry_sparse(e, fd, st->st_size);
	}
	if (fd >= 0)
		add_xattrs(e, fd, it->path, base, count);
	if (snap_writer_begin(w, e, &link, err) < 0)
		goto out;
	if (S_ISREG(st->st_mode) && !link &&
	    snap_writer_copy_fd(w, fd, st->st_size, it->path, err) < 0)
		goto out;
	rc = snap_writer_end(w, err);
out:
	archive_entry_free(e);
	return rc;
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
	for (i = 0; i < s.n; i++) {
		if (s.it[i].skel && !s.full)
			continue;
		if (write_item(&s, &w, &s.it[i], err) < 0)
			goto out;
	}
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
