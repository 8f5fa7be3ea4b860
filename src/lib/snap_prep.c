/* snap_prep.c - a save's tree entries, prepared ahead of the writer by a
 * few threads: open each object beneath the VS root, check it is still
 * what the walk saw, build its archive entry (owners relative to the VS,
 * xattrs, ACLs, file capabilities, sparse map) and, for small files, read
 * the content and compute the member's seal digest.
 *
 * Why threads: the writer is one thread that must produce the tar stream
 * in order, and zstd's workers compress only what it has produced.  For a
 * tree of many small files (a VS is mostly that) the per-file system
 * calls and SHA-256 made that thread the bottleneck: measured on a 2-CPU
 * host under load, it ran at one core while the compressors idled, where
 * `tar | zstd` keeps both busy.  Preparing entries in parallel leaves the
 * writer with the tar headers and the compressor's input only; reading
 * ahead also overlaps disk reads of a cold tree with compression.
 *
 * Files above PREP_SMALL are opened and checked here but read and hashed
 * by the writer as a stream (snap_writer_copy_fd): what is hashed must be
 * exactly what is stored, so a file is read once, by whoever stores it.
 * Memory and open files are bounded (PREP_BYTES, PREP_AHEAD).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "atfile.h"
#include "log.h"
#include "snap_int.h"
#include "xmem.h"
#include "banned.h"

#define PREP_SMALL	(1 << 20)	/* read whole and hashed here */
#define PREP_BYTES	(8LL << 20)	/* ahead of the writer, at most */
#define PREP_AHEAD	1024		/* entries ahead, at most */
#define PREP_THREADS	4

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
#define CAP_REV3	0x03000000u

/*
 * The extended attributes a snapshot keeps: user.*, POSIX ACLs and file
 * capabilities.  Nothing else is saved, on purpose: trusted.* and
 * security.* other than the capability (SELinux, SMACK, IMA/EVM labels)
 * are set by the host or need CAP_SYS_ADMIN/CAP_MAC_ADMIN in the initial
 * user namespace; a VS's root can neither set nor rely on them, and a
 * restore must not let an archive (hostile input) plant them on the host's
 * disk (FORMAT.md, vsnap(8)).
 */
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

static int
own(long long host, long long base, long long count, int *foreign)
{
	if (host >= base && host < base + count)
		return (int)(host - base);
	*foreign = 1;
	return 65534;
}

/* ---- one entry ------------------------------------------------------ */

/* Small files are read into chunks a thread fills one after the other;
 * a chunk goes back to the pool when the writer is done with every file
 * in it.  (A malloc() per file cost a fresh mapping, page faults and
 * zeroing for every file above glibc's mmap threshold.) */
#define PREP_CHUNK	(2 << 20)

struct prep_chunk {
	struct prep_chunk *next;	/* in the pool */
	struct prep_chunk *link;	/* every chunk (snap_prep.all) */
	unsigned char *data;
	size_t used;
	int refs;			/* files in it + the filling thread */
};

struct snap_prep {
	struct snap_item *it;
	size_t n;
	int rootfd, full;
	long long base, count;
	pthread_mutex_t mu;
	pthread_cond_t cv_writer, cv_prep;
	size_t next;			/* next item to claim */
	size_t low;			/* first item the writer has not done */
	long long held;			/* bytes claimed, not yet done */
	size_t want;			/* the writer waits for this item */
	int writer_waits, prep_waits, stop;
	pthread_t tid[PREP_THREADS];
	int nt;
	struct prep_chunk *pool;	/* free chunks */
	struct prep_chunk *all;		/* every chunk, to free them */
};

/* Drop a reference to c; p->mu held. */
static void
chunk_put(struct snap_prep *p, struct prep_chunk *c)
{
	if (c && --c->refs == 0) {
		c->used = 0;
		c->next = p->pool;
		p->pool = c;
	}
}

/* Room for n bytes in the thread's chunk *cur (n <= PREP_CHUNK). */
static unsigned char *
chunk_space(struct snap_prep *p, struct prep_chunk **cur, size_t n)
{
	struct prep_chunk *c = *cur;
	unsigned char *b;

	pthread_mutex_lock(&p->mu);
	if (!c || PREP_CHUNK - c->used < n) {
		chunk_put(p, c);
		c = p->pool;
		if (c)
			p->pool = c->next;
		else {
			c = xcalloc(1, sizeof(*c));
			c->data = xmalloc(PREP_CHUNK);
			c->link = p->all;
			p->all = c;
		}
		c->refs = 1;
		c->used = 0;
		*cur = c;
	}
	c->refs++;			/* the file's */
	b = c->data + c->used;
	c->used += n;
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void
fail(struct snap_item *it, int errnum, const char *what)
{
	it->errnum = errnum ? errnum : EIO;
	it->errmsg = xasprintf("%s '%s': %s", what, it->path,
	    strerror(it->errnum));
}

/* Read the first size bytes of fd (zeros past a shrunk end) and compute
 * the member's digest over e's line and them. */
static void
read_small(struct snap_prep *p, struct prep_chunk **cur,
    struct snap_item *it, int fd)
{
	long long size = it->st.st_size, off = 0;
	struct vs_buf line = VS_BUF_INIT;
	struct vs_hash h = VS_HASH_INIT;
	struct vs_err e2 = VS_ERR_INIT;

	it->data = chunk_space(p, cur, size ? (size_t)size : 1);
	it->chunk = *cur;
	while (off < size) {
		ssize_t n = pread(fd, it->data + off, size - off, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(it, errno, "cannot read");
			return;
		}
		if (n == 0) {
			/* shrank while we read it: pad with zeros so the
			 * archive stays well-formed */
			memset(it->data + off, 0, size - off);
			break;
		}
		off += n;
	}
	snap_digest_line(it->e, &line);
	if (vs_hash_init(&h, &e2) < 0 ||
	    vs_hash_update(&h, line.buf, line.len, &e2) < 0 ||
	    vs_hash_update(&h, it->data, size, &e2) < 0 ||
	    vs_hash_final(&h, it->digest, &e2) < 0) {
		vs_hash_release(&h);
		it->errnum = e2.errnum ? e2.errnum : EIO;
		it->errmsg = xstrdup(e2.msg);
	} else
		it->hashed = 1;
	vs_buf_release(&line);
}

static void
prep_item(struct snap_prep *p, struct prep_chunk **cur, struct snap_item *it)
{
	const struct stat *st = &it->st;
	mode_t mode = st->st_mode & 07777;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *name = NULL;
	struct archive_entry *e;
	int foreign = 0;
	struct stat now;

	if (S_ISDIR(st->st_mode))
		name = *it->path ? xasprintf(SNAP_ROOT "/%s/", it->path) :
		    xstrdup(SNAP_ROOT "/");
	else
		name = xasprintf(SNAP_ROOT "/%s", it->path);
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		fd = vs_open_beneath(p->rootfd, it->path, O_RDONLY |
		    O_NONBLOCK | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
		if (fd < 0 && errno == ENOENT)
			return;		/* gone since the walk */
		if (fd < 0) {
			fail(it, errno, "cannot open");
			return;
		}
		if (fstat(fd, &now) < 0) {
			fail(it, errno, "cannot stat");
			return;
		}
		if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
			log_warnx("'%s' was replaced during the save: skipped",
			    it->path);
			return;
		}
	}
	e = it->e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, own(st->st_uid, p->base, p->count,
	    &foreign));
	archive_entry_set_gid(e, own(st->st_gid, p->base, p->count,
	    &foreign));
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
		add_xattrs(e, fd, it->path, p->base, p->count);
	if (!S_ISREG(st->st_mode))
		return;
	if (st->st_size <= PREP_SMALL)
		read_small(p, cur, it, fd);
	else
		it->fd = steal_fd(&fd);	/* streamed by the writer */
}

/* What an item holds ahead of the writer, for the bound. */
static long long
cost(const struct snap_item *it)
{
	return S_ISREG(it->st.st_mode) ? it->st.st_size : 0;
}

static int
wanted(const struct snap_prep *p, const struct snap_item *it)
{
	return !it->skel || p->full;
}

static void *
prep_thread(void *arg)
{
	struct snap_prep *p = arg;
	struct prep_chunk *cur = NULL;	/* this thread's chunk */

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct snap_item *it;

		while (!p->stop && p->next < p->n &&
		    (p->held >= PREP_BYTES || p->next >= p->low + PREP_AHEAD)) {
			p->prep_waits++;
			pthread_cond_wait(&p->cv_prep, &p->mu);
			p->prep_waits--;
		}
		if (p->stop || p->next >= p->n)
			break;
		it = &p->it[p->next++];
		if (wanted(p, it))
			p->held += cost(it);
		pthread_mutex_unlock(&p->mu);
		if (wanted(p, it))
			prep_item(p, &cur, it);
		pthread_mutex_lock(&p->mu);
		it->ready = 1;
		if (p->writer_waits && p->want == (size_t)(it - p->it))
			pthread_cond_signal(&p->cv_writer);
	}
	chunk_put(p, cur);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct snap_prep *
snap_prep_start(struct snap_item *it, size_t n, int rootfd,
    long long base, long long count, int full, struct vs_err *err)
{
	struct snap_prep *p = xcalloc(1, sizeof(*p));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int i, nt = cpus > PREP_THREADS ? PREP_THREADS : cpus > 1 ?
	    (int)cpus : 1;

	p->it = it;
	p->n = n;
	p->rootfd = rootfd;
	p->base = base;
	p->count = count;
	p->full = full;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_writer, NULL);
	pthread_cond_init(&p->cv_prep, NULL);
	for (i = 0; i < nt; i++) {
		int e = pthread_create(&p->tid[i], NULL, prep_thread, p);

		if (e) {
			if (p->nt)
				break;	/* fewer threads: still works */
			snap_prep_stop(p);
			errno = e;
			vs_err_sys(err, "cannot start the reading threads");
			return NULL;
		}
		p->nt++;
	}
	return p;
}

int
snap_prep_wait(struct snap_prep *p, size_t i, struct vs_err *err)
{
	struct snap_item *it = &p->it[i];

	pthread_mutex_lock(&p->mu);
	p->want = i;
	while (!it->ready) {
		p->writer_waits = 1;
		pthread_cond_wait(&p->cv_writer, &p->mu);
		p->writer_waits = 0;
	}
	pthread_mutex_unlock(&p->mu);
	if (it->errmsg)
		return vs_err_set(err, it->errnum, "%s", it->errmsg);
	return 0;
}

static void
item_clear(struct snap_item *it)
{
	if (it->e)
		archive_entry_free(it->e);
	it->e = NULL;
	it->data = NULL;		/* chunk memory: see chunk_put() */
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
	free(it->errmsg);
	it->errmsg = NULL;
}

void
snap_prep_done(struct snap_prep *p, size_t i)
{
	struct snap_item *it = &p->it[i];

	item_clear(it);
	pthread_mutex_lock(&p->mu);
	chunk_put(p, it->chunk);
	it->chunk = NULL;
	if (wanted(p, it))
		p->held -= cost(it);
	p->low = i + 1;
	/* wake the threads that stopped ahead only once they can do a good
	 * stretch of work: waking them for every item written made the
	 * writer lose its CPU to them thousands of times a second */
	if (p->prep_waits && p->held <= PREP_BYTES / 2 &&
	    p->next <= p->low + PREP_AHEAD / 2)
		pthread_cond_broadcast(&p->cv_prep);
	pthread_mutex_unlock(&p->mu);
}

void
snap_prep_stop(struct snap_prep *p)
{
	size_t i;
	int t;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv_prep);
	pthread_mutex_unlock(&p->mu);
	for (t = 0; t < p->nt; t++)
		pthread_join(p->tid[t], NULL);
	for (i = 0; i < p->n; i++) {
		item_clear(&p->it[i]);
		p->it[i].chunk = NULL;
	}
	while (p->all) {
		struct prep_chunk *c = p->all;

		p->all = c->link;
		free(c->data);
		free(c);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_writer);
	pthread_cond_destroy(&p->cv_prep);
	free(p);
}
