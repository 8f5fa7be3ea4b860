/* snap_io.c - the snapshot container: zstd frames around a pax tar, member
 * digests and the seal, the header and skeleton-list members, and the
 * checks every entry read from an archive must pass. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "manifest.h"
#include "snap_int.h"
#include "valid.h"
#include "xmem.h"
#include "banned.h"

/* ---- progress ------------------------------------------------------- */

void
snap_progress(struct snap_progress *p, long long done, int force)
{
	struct timespec now;
	long long ms;

	if (!p->fn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - p->last.tv_sec) * 1000LL +
	    (now.tv_nsec - p->last.tv_nsec) / 1000000;
	if (!force && ms < 200)
		return;
	p->last = now;
	p->fn(p->ctx, done, p->total);
}

/* ---- member digests ------------------------------------------------- */

static char
entry_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return 'h';
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:	return 'f';
	case AE_IFDIR:	return 'd';
	case AE_IFLNK:	return 'l';
	case AE_IFIFO:	return 'p';
	case AE_IFCHR:	return 'c';
	case AE_IFBLK:	return 'b';
	case AE_IFSOCK:	return 's';
	default:	return '?';
	}
}

/*
 * A member's digest covers what a reader acts on: SHA-256 of the line
 * "path\ntype\nmode\nuid\ngid\nmtime\nsize\nlink\n" (mode octal, the rest
 * decimal, link = hard-link or symlink target) followed by the logical
 * content (holes of sparse files as zeros).  FORMAT.md has the details.
 * A writer computes them on threads of its own (snap_hashq.c, and
 * snap_prep.c for small files).
 */
void
snap_digest_line(struct archive_entry *e, struct vs_buf *l)
{
	const char *link = archive_entry_hardlink(e);

	if (!link)
		link = archive_entry_symlink(e);
	vs_buf_addf(l, "%s\n%c\n%o\n%lld\n%lld\n%lld\n%lld\n%s\n",
	    archive_entry_pathname(e), entry_type(e),
	    (unsigned)(archive_entry_mode(e) & 07777),
	    (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
	    (long long)archive_entry_mtime(e),
	    (long long)archive_entry_size(e), link ? link : "");
}

static int
digest_begin(struct vs_hash *h, struct archive_entry *e, struct vs_err *err)
{
	struct vs_buf l = VS_BUF_INIT;
	int rc;

	snap_digest_line(e, &l);
	rc = vs_hash_init(h, err);
	if (rc == 0)
		rc = vs_hash_update(h, l.buf, l.len, err);
	vs_buf_release(&l);
	return rc;
}

static int
digest_end(struct vs_hash *h, const char *path, struct vs_buf *seal,
    struct vs_err *err)
{
	unsigned char d[VS_HASH_LEN];
	char hex[VS_HASH_HEXLEN + 1];

	if (vs_hash_final(h, d, err) < 0)
		return -1;
	vs_hash_hex(d, hex);
	vs_buf_addf(seal, "%s ", hex);
	vs_manifest_escape(seal, path);
	vs_buf_addch(seal, '\n');
	return 0;
}

static const unsigned char zeros[65536];

static int
hash_zeros(struct vs_hash *h, long long n, struct vs_err *err)
{
	while (n > 0) {
		size_t k = n > (long long)sizeof(zeros) ? sizeof(zeros) :
		    (size_t)n;

		if (vs_hash_update(h, zeros, k, err) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* ---- writing -------------------------------------------------------- */

/* Compress len bytes at buf into the archive file. */
static int
zfeed(struct snap_writer *w, struct archive *a, const void *buf, size_t len)
{
	ZSTD_inBuffer in = { buf, len, 0 };

	while (in.pos < in.size) {
		ZSTD_outBuffer out = { w->zbuf, w->zcap, 0 };
		size_t r = ZSTD_compressStream2(w->cctx, &out, &in,
		    ZSTD_e_continue);
		size_t off = 0;

		if (ZSTD_isError(r)) {
			archive_set_error(a, EIO, "zstd: %s",
			    ZSTD_getErrorName(r));
			return -1;
		}
		while (off < out.pos) {
			ssize_t n = write(w->fd, w->zbuf + off, out.pos - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				w->ioerr = errno;
				archive_set_error(a, errno, "write: %s",
				    strerror(errno));
				return -1;
			}
			off += n;
		}
		w->written += out.pos;
		/* start writeback as we go, so the final fsync() does not
		 * wait for the whole archive at once */
		if (w->written - w->flushed >= (8 << 20)) {
			sync_file_range(w->fd, w->flushed, w->written -
			    w->flushed, SYNC_FILE_RANGE_WRITE);
			w->flushed = w->written;
		}
	}
	return 0;
}

static int
stage_flush(struct snap_writer *w, struct archive *a)
{
	size_t n = w->staged;

	w->staged = 0;
	return n ? zfeed(w, a, w->stage, n) : 0;
}

/*
 * libarchive's write callback.  The archive is unblocked (bytes per block
 * 0), so file data arrives here straight from the caller's buffer, without
 * libarchive copying it into blocks first; the many small writes of tar
 * headers and padding are gathered here instead, since each call into
 * multi-threaded zstd costs a lock round.
 */
static la_ssize_t
w_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct snap_writer *w = ctx;

	if (len < SNAP_STAGE / 4) {
		if (w->staged + len > SNAP_STAGE && stage_flush(w, a) < 0)
			return -1;
		memcpy(w->stage + w->staged, buf, len);
		w->staged += len;
		return len;
	}
	if (stage_flush(w, a) < 0 || zfeed(w, a, buf, len) < 0)
		return -1;
	return len;
}

int
snap_writer_open(struct snap_writer *w, int fd, int level, int threads,
    struct vs_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	vs_buf_init(&w->seal, 0);
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx)
		return vs_err_set(err, ENOMEM, "zstd: cannot create context");
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (int)n : 1;
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	/* one thread = compress in this one (no worker start-up cost);
	 * nbWorkers fails (and we stay single-threaded) if libzstd was
	 * built without threads: not an error. */
	if (threads > 1)
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, threads);
	w->zcap = ZSTD_CStreamOutSize();
	w->zbuf = xmalloc(w->zcap);
	w->stage = xmalloc(SNAP_STAGE);
	w->hq = snap_hashq_new(&w->seal, err);
	if (!w->hq)
		return -1;
	w->a = archive_write_new();
	w->lr = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(w->lr,
	    ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
	/* full pax (not "restricted"): every entry keeps its nanoseconds */
	if (archive_write_set_format_pax(w->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, w_write, NULL) != ARCHIVE_OK)
		return vs_err_set(err, archive_errno(w->a) ? archive_errno(w->a)
		    : EIO, "archive: %s", archive_error_string(w->a));
	return 0;
}

static int
werr(struct snap_writer *w, struct vs_err *err, const char *what)
{
	int e = w->ioerr ? w->ioerr : archive_errno(w->a);

	return vs_err_set(err, e > 0 ? e : EIO, "%s: %s", what,
	    archive_error_string(w->a) ? archive_error_string(w->a) :
	    strerror(e > 0 ? e : EIO));
}

int
snap_writer_begin(struct snap_writer *w, struct archive_entry *e,
    int *is_link, struct vs_err *err)
{
	return snap_writer_begin_hashed(w, e, NULL, is_link, err);
}

int
snap_writer_begin_hashed(struct snap_writer *w, struct archive_entry *e,
    const unsigned char digest[VS_HASH_LEN], int *is_link,
    struct vs_err *err)
{
	struct archive_entry *spare = NULL;

	*is_link = 0;
	if (archive_entry_nlink(e) > 1 &&
	    archive_entry_filetype(e) == AE_IFREG) {
		archive_entry_linkify(w->lr, &e, &spare);
		if (archive_entry_hardlink(e))
			*is_link = 1;
	}
	if (*is_link)
		archive_entry_set_size(e, 0);	/* as readers see it */
	w->prehashed = 0;
	if (w->hq && digest && !*is_link) {
		memcpy(w->digest, digest, VS_HASH_LEN);
		w->prehashed = 1;
	} else if (w->hq) {
		struct vs_buf l = VS_BUF_INIT;

		snap_digest_line(e, &l);
		snap_hashq_begin(w->hq, l.buf);
		vs_buf_release(&l);
	} else if (digest_begin(&w->h, e, err) < 0)
		return -1;
	w->in_member = 1;
	free(w->mpath);
	w->mpath = xstrdup(archive_entry_pathname(e));
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		return werr(w, err, w->mpath);
	w->entries++;
	if (!*is_link)
		w->data_bytes += archive_entry_size(e);
	return 0;
}

/* Write len bytes at buf (already handed to the hashing) as data. */
static int
put_data(struct snap_writer *w, const void *buf, size_t len,
    struct vs_err *err)
{
	const char *p = buf;

	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);

		if (n <= 0)
			return werr(w, err, "write");
		p += n;
		len -= n;
		w->done += n;
	}
	snap_progress(&w->prog, w->done, 0);
	return 0;
}

int
snap_writer_data(struct snap_writer *w, const void *buf, size_t len,
    struct vs_err *err)
{
	if (w->prehashed)
		return put_data(w, buf, len, err);
	if (w->hq)
		snap_hashq_data(w->hq, buf, len);
	else if (vs_hash_update(&w->h, buf, len, err) < 0)
		return -1;
	return put_data(w, buf, len, err);
}

int
snap_writer_end(struct snap_writer *w, struct vs_err *err)
{
	if (!w->in_member)
		return 0;
	w->in_member = 0;
	if (w->prehashed) {
		w->prehashed = 0;
		snap_hashq_digest(w->hq, w->digest, w->mpath);
		return 0;
	}
	if (w->hq) {
		snap_hashq_end(w->hq, w->mpath);
		return 0;
	}
	return digest_end(&w->h, w->mpath, &w->seal, err);
}

void
snap_entry_sparse(struct archive_entry *e, int fd, long long size)
{
	off_t data = 0, hole;
	int holes = 0;

	/* Only worth a map if the file has a hole at all. */
	hole = lseek(fd, 0, SEEK_HOLE);
	if (hole < 0 || hole >= size)
		return;
	while (data < size) {
		data = lseek(fd, data, SEEK_DATA);
		if (data < 0)
			break;		/* ENXIO: only a hole up to the end */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		archive_entry_sparse_add_entry(e, data, hole - data);
		holes++;
		data = hole;
	}
	/* a file that is all hole still needs one (empty) region at its
	 * end so readers know its size */
	if (!holes)
		archive_entry_sparse_add_entry(e, size, 0);
	lseek(fd, 0, SEEK_SET);
}

int
snap_writer_copy_fd(struct snap_writer *w, int fd, long long size,
    const char *what, struct vs_err *err)
{
	long long off = 0;

	/* read straight into a buffer of the hashing thread's pool */
	if (!w->hq || w->prehashed)
		return vs_err_set(err, EINVAL, "'%s': not a streamed member",
		    what);
	while (off < size) {
		size_t room;
		unsigned char *b = snap_hashq_space(w->hq, &room);
		size_t want = size - off > (long long)room ? room :
		    (size_t)(size - off);
		ssize_t n = pread(fd, b, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vs_err_sys(err, "cannot read '%s'", what);
		if (n == 0) {
			/* shrank while we read it: pad with zeros so the
			 * archive stays well-formed */
			memset(b, 0, want);
			n = want;
		}
		snap_hashq_commit(w->hq, n);
		if (put_data(w, b, n, err) < 0)
			return -1;
		off += n;
	}
	return 0;
}

int
snap_writer_add_mem(struct snap_writer *w, const char *path,
    const void *data, size_t len, time_t mtime, struct vs_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int link, rc;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, len);
	archive_entry_set_mtime(e, mtime, 0);
	rc = snap_writer_begin(w, e, &link, err);
	if (rc == 0)
		rc = snap_writer_data(w, data, len, err);
	if (rc == 0)
		rc = snap_writer_end(w, err);
	w->entries--;		/* metadata members are not tree entries */
	w->data_bytes -= len;
	archive_entry_free(e);
	return rc;
}

int
snap_writer_finish(struct snap_writer *w, struct vs_err *err)
{
	struct vs_buf s = VS_BUF_INIT;
	size_t r;
	int rc;

	/* every digest computed; the seal member itself is hashed inline
	 * (its digest is in no seal) */
	rc = snap_hashq_finish(w->hq, err);
	snap_hashq_free(w->hq);
	w->hq = NULL;
	if (rc < 0)
		return -1;
	/* The seal covers every member before it; it is not in itself. */
	vs_buf_add(&s, w->seal.buf, w->seal.len);
	vs_buf_addf(&s, "entries %lld\nbytes %lld\nskel %lld\nend\n",
	    w->entries, w->data_bytes, w->skel_files);
	rc = snap_writer_add_mem(w, SNAP_SEAL, s.buf, s.len, time(NULL), err);
	vs_buf_release(&s);
	if (rc < 0)
		return -1;
	if (archive_write_close(w->a) != ARCHIVE_OK ||
	    stage_flush(w, w->a) < 0)
		return werr(w, err, "close");
	do {
		ZSTD_outBuffer out = { w->zbuf, w->zcap, 0 };
		ZSTD_inBuffer in = { NULL, 0, 0 };
		size_t off = 0;

		r = ZSTD_compressStream2(w->cctx, &out, &in, ZSTD_e_end);
		if (ZSTD_isError(r))
			return vs_err_set(err, EIO, "zstd: %s",
			    ZSTD_getErrorName(r));
		while (off < out.pos) {
			ssize_t n = write(w->fd, w->zbuf + off, out.pos - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return vs_err_sys(err, "write");
			off += n;
		}
		w->written += out.pos;
	} while (r != 0);
	if (fsync(w->fd) < 0)
		return vs_err_sys(err, "fsync");
	snap_progress(&w->prog, w->done, 1);
	return 0;
}

void
snap_writer_release(struct snap_writer *w)
{
	snap_hashq_free(w->hq);		/* before the seal it fills */
	if (w->a)
		archive_write_free(w->a);
	if (w->lr)
		archive_entry_linkresolver_free(w->lr);
	if (w->cctx)
		ZSTD_freeCCtx(w->cctx);
	if (w->in_member)
		vs_hash_release(&w->h);
	free(w->zbuf);
	free(w->stage);
	free(w->mpath);
	vs_buf_release(&w->seal);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

/* ---- reading -------------------------------------------------------- */

/* The decompressed stream may not outgrow the file data declared so far
 * by more than this per entry (tar and pax headers, xattrs, padding):
 * this bounds a zstd bomb whatever shape it takes. */
#define META_PER_ENTRY	(64 << 10)
#define META_SLACK	(4 << 20)

static la_ssize_t
r_read(struct archive *a, void *ctx, const void **buf)
{
	struct snap_reader *r = ctx;
	unsigned char *dst = r->outb[r->cur ^ 1];
	ZSTD_outBuffer out = { dst, ZSTD_DStreamOutSize(), 0 };
	long long allow;

	(void)a;
	while (out.pos == 0) {
		size_t z;

		if (r->zin.pos == r->zin.size) {
			ssize_t n;

			if (r->zeof) {
				if (r->frame_open) {
					snprintf(r->zerr, sizeof(r->zerr),
					    "archive is truncated");
					r->zerrno = EPROTO;
					return -1;
				}
				return 0;
			}
			n = read(r->fd, r->in, r->zin_cap);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r->zerrno = errno;
				snprintf(r->zerr, sizeof(r->zerr), "read: %s",
				    strerror(errno));
				return -1;
			}
			if (n == 0) {
				r->zeof = 1;
				continue;
			}
			r->comp += n;
			r->zin.src = r->in;
			r->zin.size = n;
			r->zin.pos = 0;
		}
		z = ZSTD_decompressStream(r->dctx, &out, &r->zin);
		if (ZSTD_isError(z)) {
			r->zerrno = EPROTO;
			snprintf(r->zerr, sizeof(r->zerr),
			    "corrupt archive (zstd: %s)", ZSTD_getErrorName(z));
			return -1;
		}
		r->frame_open = z != 0;
	}
	r->raw += out.pos;
	allow = r->declared + (r->entries + 4) * (long long)META_PER_ENTRY +
	    META_SLACK;
	if (r->raw > allow) {
		r->zerrno = EFBIG;
		snprintf(r->zerr, sizeof(r->zerr), "archive expands beyond "
		    "its declared contents (%lld bytes): refusing it", r->raw);
		return -1;
	}
	snap_progress(&r->prog, r->comp, 0);
	r->cur ^= 1;
	r->outlen[r->cur] = out.pos;
	*buf = dst;
	return out.pos;
}

static int
rerr(struct snap_reader *r, struct vs_err *err)
{
	if (r->zerr[0])
		return vs_err_set(err, r->zerrno, "%s", r->zerr);
	return vs_err_set(err, archive_errno(r->a) > 0 ? archive_errno(r->a) :
	    EPROTO, "corrupt archive: %s", archive_error_string(r->a) ?
	    archive_error_string(r->a) : "unknown error");
}

int
snap_path_ok(const char *p)
{
	const char *c;

	if (strlen(p) >= SNAP_PATH_MAX || !vs_valid_relpath(p))
		return 0;
	for (c = p; ; ) {	/* each component a name the kernel takes */
		size_t n = strcspn(c, "/");

		if (n > NAME_MAX)
			return 0;
		if (!c[n])
			return 1;
		c += n + 1;
	}
}

/* Read all of the current member into out (at most max bytes), hashing. */
static int
read_member(struct snap_reader *r, struct vs_buf *out, size_t max,
    struct vs_err *err)
{
	const void *b;
	size_t len;
	long long off;
	int rc;

	if (archive_entry_size(r->e) > (long long)max)
		return vs_err_set(err, EFBIG, "member '%s' is too large",
		    archive_entry_pathname(r->e));
	while ((rc = snap_reader_data(r, &b, &len, &off, err)) > 0) {
		if (off != (long long)out->len)
			return vs_err_set(err, EPROTO, "member '%s' is sparse",
			    archive_entry_pathname(r->e));
		vs_buf_add(out, b, len);
	}
	return rc;
}

static int
next_header(struct snap_reader *r, struct vs_err *err)
{
	int rc;

	/* finish the previous member: hash what the caller did not read */
	if (r->in_member) {
		const void *b;
		size_t len;
		long long off;

		while ((rc = snap_reader_data(r, &b, &len, &off, err)) > 0)
			;
		if (rc < 0)
			return -1;
	}
	rc = archive_read_next_header(r->a, &r->e);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return rerr(r, err);
	if (digest_begin(&r->h, r->e, err) < 0)
		return -1;
	r->in_member = 1;
	free(r->mpath);
	r->mpath = xstrdup(archive_entry_pathname(r->e));
	r->mpos = 0;
	r->msize = archive_entry_size(r->e);
	if (r->msize < 0)
		return vs_err_set(err, EPROTO, "corrupt archive: bad size");
	return 1;
}

static int
parse_header(struct snap_reader *r, const char *text, size_t len,
    struct vs_err *err)
{
	struct vs_snap_info *in = &r->info;
	const char *p = text, *end = text + len;
	int have_format = 0;

	if (memchr(text, '\0', len))
		return vs_err_set(err, EPROTO, "bad header: NUL byte");
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		_cleanup_free_ char *line = xstrndup(p, n);
		char *v = strchr(line, ' ');
		struct vs_buf u = VS_BUF_INIT;

		p += n + 1;
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "format") == 0) {
			if (strcmp(v, "vsnap 1") != 0)
				return vs_err_set(err, EPROTO, "unsupported "
				    "snapshot format '%s'", v);
			have_format = 1;
			in->format = VS_SNAP_FORMAT;
		} else if (strcmp(line, "vs") == 0) {
			if (!vs_valid_name(v))
				return vs_err_set(err, EPROTO,
				    "bad header: VS name");
			snprintf(in->vs, sizeof(in->vs), "%s", v);
		} else if (strcmp(line, "id") == 0) {
			if (!snap_valid_id(v))
				return vs_err_set(err, EPROTO,
				    "bad header: snapshot id");
			snprintf(in->id, sizeof(in->id), "%s", v);
		} else if (strcmp(line, "created") == 0) {
			in->created = strtoll(v, NULL, 10);
		} else if (strcmp(line, "kind") == 0) {
			in->full = strcmp(v, "full") == 0;
		} else if (strcmp(line, "skel_id") == 0) {
			snprintf(in->skel_id, sizeof(in->skel_id), "%s",
			    strcmp(v, "-") ? v : "");
		} else if (strcmp(line, "uid_count") == 0) {
			if (vs_conf_number(v, 1, 1LL << 32, 0,
			    &in->uid_count) < 0)
				return vs_err_set(err, EPROTO,
				    "bad header: uid_count");
		} else if (strcmp(line, "message") == 0) {
			if (vs_manifest_unescape(&u, v) == 0)
				snprintf(in->message, sizeof(in->message),
				    "%s", u.buf);
			vs_buf_release(&u);
		}
		/* other keys: added by later versions, ignored */
	}
	if (!have_format)
		return vs_err_set(err, EPROTO, "not a vsnap archive "
		    "(no format line in its header)");
	if (!in->vs[0] || !in->id[0] || !in->uid_count)
		return vs_err_set(err, EPROTO, "bad header: vs, id or "
		    "uid_count missing");
	return 0;
}

static int
skel_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snap_skelent *)a)->path,
	    ((const struct snap_skelent *)b)->path);
}

static int
parse_skel(struct snap_reader *r, const char *text, size_t len,
    struct vs_err *err)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0, i;

	if (memchr(text, '\0', len))
		return vs_err_set(err, EPROTO, "bad skeleton list: NUL byte");
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		_cleanup_free_ char *line = xstrndup(p, n);
		char hex[VS_HASH_HEXLEN + 1], pathbuf[4 * SNAP_PATH_MAX + 1];
		struct vs_buf u = VS_BUF_INIT;
		struct snap_skelent k;
		char kind;
		int stored;

		p += n + 1;
		lineno++;
		memset(&k, 0, sizeof(k));
		if (n > sizeof(pathbuf) + 256 || sscanf(line,
		    "%64s %lld %d %c %o %lld %lld %lld %lld %16384s", hex,
		    &k.size, &stored, &kind, &k.mode, &k.uid, &k.gid, &k.mtime,
		    &k.mtime_ns, pathbuf) != 10 || k.size < 0 ||
		    (stored != 0 && stored != 1) || (kind != 'l' &&
		    kind != 'c') || k.mode > 07777 || k.uid < 0 || k.gid < 0 ||
		    k.mtime_ns < 0 || k.mtime_ns > 999999999 ||
		    vs_hash_unhex(hex, k.sha) < 0 ||
		    vs_manifest_unescape(&u, pathbuf) < 0 ||
		    !snap_path_ok(u.buf)) {
			vs_buf_release(&u);
			return vs_err_set(err, EPROTO,
			    "bad skeleton list: line %zu", lineno);
		}
		k.stored = stored;
		k.kind = kind;
		k.path = vs_buf_detach(&u, NULL);
		xgrow(&r->skel.e, sizeof(*r->skel.e), r->skel.n + 1,
		    &r->skel.alloc);
		r->skel.e[r->skel.n++] = k;
	}
	if (r->skel.n > 1)
		qsort(r->skel.e, r->skel.n, sizeof(*r->skel.e), skel_cmp);
	for (i = 1; i < r->skel.n; i++)
		if (strcmp(r->skel.e[i - 1].path, r->skel.e[i].path) == 0)
			return vs_err_set(err, EPROTO, "bad skeleton list: "
			    "'%s' twice", r->skel.e[i].path);
	return 0;
}

void
snap_skel_line(struct vs_buf *out, const struct snap_skelent *k)
{
	char hex[VS_HASH_HEXLEN + 1];

	vs_hash_hex(k->sha, hex);
	vs_buf_addf(out, "%s %lld %d %c %o %lld %lld %lld %lld ", hex, k->size,
	    k->stored, k->kind, k->mode, k->uid, k->gid, k->mtime,
	    k->mtime_ns);
	vs_manifest_escape(out, k->path);
	vs_buf_addch(out, '\n');
}

struct snap_skelent *
snap_skel_find(struct snap_skellist *l, const char *path)
{
	struct snap_skelent key = { .path = (char *)path };

	if (!l->n)
		return NULL;
	return bsearch(&key, l->e, l->n, sizeof(*l->e), skel_cmp);
}

void
snap_skel_release(struct snap_skellist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].path);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

long long
snap_free_bytes(int fd)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return 1LL << 40;
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

int
snap_reader_open(struct snap_reader *r, int fd,
    const struct vs_snap_opts *opts, long long uid_count, int headers_only,
    struct vs_err *err)
{
	struct vs_buf text = VS_BUF_INIT;
	struct stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	vs_buf_init(&r->seal, 0);
	r->info.entries = r->info.data_bytes = r->info.skel_files = -1;
	if (fstat(fd, &st) == 0)
		r->file_size = r->info.file_size = st.st_size;
	r->max_bytes = opts && opts->max_bytes > 0 ? opts->max_bytes :
	    snap_free_bytes(fd);
	r->max_entries = opts && opts->max_entries > 0 ? opts->max_entries :
	    SNAP_DEF_ENTRIES;
	r->flags = opts ? opts->flags : 0;
	if (opts) {
		r->prog.fn = opts->progress;
		r->prog.ctx = opts->progress_ctx;
		r->prog.total = r->file_size;
	}
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx)
		return vs_err_set(err, ENOMEM, "zstd: cannot create context");
	/* cap the window (memory) a hostile frame may ask for: 128 MiB */
	ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, 27);
	r->zin_cap = ZSTD_DStreamInSize();
	r->in = xmalloc(r->zin_cap);
	r->outb[0] = xmalloc(ZSTD_DStreamOutSize());
	r->outb[1] = xmalloc(ZSTD_DStreamOutSize());
	r->a = archive_read_new();
	archive_read_support_format_tar(r->a);
	archive_read_support_filter_none(r->a);
	if (archive_read_open(r->a, r, NULL, r_read, NULL) != ARCHIVE_OK)
		return rerr(r, err);

	/* the header */
	rc = next_header(r, err);
	if (rc < 0)
		return -1;
	if (rc == 0 || strcmp(archive_entry_pathname(r->e), SNAP_HEADER) ||
	    archive_entry_filetype(r->e) != AE_IFREG)
		return vs_err_set(err, EPROTO, "not a vsnap archive "
		    "(first member is not '%s')", SNAP_HEADER);
	r->declared += r->msize;
	if (read_member(r, &text, SNAP_META_MAX, err) < 0 ||
	    parse_header(r, text.buf, text.len, err) < 0)
		goto fail;
	r->uid_count = uid_count > 0 ? uid_count : r->info.uid_count;
	if (headers_only) {
		vs_buf_release(&text);
		return 0;
	}
	/* the skeleton list */
	vs_buf_reset(&text);
	rc = next_header(r, err);
	if (rc < 0)
		goto fail;
	if (rc == 0 || strcmp(archive_entry_pathname(r->e), SNAP_SKEL) ||
	    archive_entry_filetype(r->e) != AE_IFREG) {
		vs_err_set(err, EPROTO, "bad archive: second member is not "
		    "'%s'", SNAP_SKEL);
		goto fail;
	}
	r->declared += r->msize;
	if (read_member(r, &text, SNAP_SKEL_MAX, err) < 0 ||
	    parse_skel(r, text.buf, text.len, err) < 0)
		goto fail;
	vs_buf_release(&text);
	return 0;
fail:
	vs_buf_release(&text);
	return -1;
}

/* Checks every tree entry passes, whoever reads it (verify, restore). */
static int
check_entry(struct snap_reader *r, struct vs_err *err)
{
	struct archive_entry *e = r->e;
	const char *p = archive_entry_pathname(e), *hl;
	mode_t ft = archive_entry_filetype(e);
	long long uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	if (!p)
		return vs_err_set(err, EPROTO, "entry without a name");
	if (strcmp(p, SNAP_ROOT) == 0 || strcmp(p, SNAP_ROOT "/") == 0) {
		if (ft != AE_IFDIR)
			return vs_err_set(err, EPROTO, "'%s' is not a "
			    "directory", p);
		r->path = "";
	} else {
		if (strncmp(p, SNAP_ROOT "/", 5) != 0)
			return vs_err_set(err, EPROTO, "refusing entry '%s': "
			    "outside the tree", p);
		r->path = p + 5;
		/* libarchive writes directories with a trailing '/' */
		if (ft == AE_IFDIR && r->path[0] &&
		    r->path[strlen(r->path) - 1] == '/') {
			archive_entry_copy_pathname(e, p);
			p = archive_entry_pathname(e);
			((char *)p)[strlen(p) - 1] = '\0';
			r->path = p + 5;
		}
		if (!snap_path_ok(r->path))
			return vs_err_set(err, EPROTO, "refusing entry '%s': "
			    "absolute path, '..' or empty component", p);
	}
	/* libarchive reads a tar hard link with no file type */
	if (archive_entry_hardlink(e) && ft == 0) {
		ft = AE_IFREG;
		archive_entry_set_filetype(e, AE_IFREG);
	}
	if (++r->entries > r->max_entries)
		return vs_err_set(err, EFBIG, "more than %lld entries: "
		    "refusing the archive", r->max_entries);
	switch (ft) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
		break;
	case AE_IFIFO:
		/* reading one is harmless; creating one needs consent */
		if (!r->extracting || (r->flags & VS_SNAP_ALLOW_FIFO))
			break;
		return vs_err_set(err, EPERM, "refusing entry '%s': named "
		    "pipe (not allowed)", p);
	default:
		return vs_err_set(err, EPERM, "refusing entry '%s': device "
		    "node or socket", p);
	}
	if ((hl = archive_entry_hardlink(e)) != NULL) {
		if (ft != AE_IFREG || strncmp(hl, SNAP_ROOT "/", 5) != 0 ||
		    !snap_path_ok(hl + 5))
			return vs_err_set(err, EPERM, "refusing entry '%s': "
			    "hard link to '%s' outside the tree", p, hl);
	}
	if (uid < 0 || gid < 0 || uid >= r->uid_count || gid >= r->uid_count)
		return vs_err_set(err, EPERM, "refusing entry '%s': owner "
		    "%lld:%lld does not fit the VS's range of %lld ids", p,
		    uid, gid, r->uid_count);
	if (ft == AE_IFLNK && !archive_entry_symlink(e))
		return vs_err_set(err, EPROTO, "refusing entry '%s': symlink "
		    "without target", p);
	if (r->msize > r->max_bytes - r->declared)
		return vs_err_set(err, EFBIG, "refusing entry '%s': %lld "
		    "bytes exceed the budget of %lld", p, r->msize,
		    r->max_bytes);
	r->declared += r->msize;
	r->data_bytes += r->msize;
	return 0;
}

static int
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	return n == 0 || (c[0] == 0 && memcmp(c, c + 1, n - 1) == 0);
}

/*
 * At the tar end: what libarchive was handed but did not consume (it
 * reads ahead) must be zeros too.  That tail lies in the last one or two
 * blocks r_read handed over (the end blocks are read 512 bytes at a
 * time), which are still in r->outb[].
 */
static int
check_tail(struct snap_reader *r, struct vs_err *err)
{
	long long tail = r->raw - archive_filter_bytes(r->a, 0);
	size_t last = r->outlen[r->cur], prev = r->outlen[r->cur ^ 1];

	if (tail < 0 || tail > (long long)(last + prev))
		return vs_err_set(err, EPROTO, "bad archive: data after its "
		    "end");
	if ((size_t)tail <= last)
		return all_zero(r->outb[r->cur] + last - tail, tail) ? 0 :
		    vs_err_set(err, EPROTO, "bad archive: data after its end");
	if (!all_zero(r->outb[r->cur], last) ||
	    !all_zero(r->outb[r->cur ^ 1] + prev - (tail - last), tail - last))
		return vs_err_set(err, EPROTO, "bad archive: data after its "
		    "end");
	return 0;
}

static int
check_seal(struct snap_reader *r, struct vs_err *err)
{
	struct vs_buf got = VS_BUF_INIT;
	const char *a, *b, *nl;
	size_t keep = r->seal.len;
	int rc, n;

	/* the seal itself must be whole, and be the last member; its own
	 * digest is not part of it */
	if (read_member(r, &got, SNAP_META_MAX + 128 * r->entries, err) < 0)
		goto fail;
	vs_buf_setlen(&r->seal, keep);
	vs_buf_addf(&r->seal, "entries %lld\nbytes %lld\nskel %lld\nend\n",
	    r->entries, r->data_bytes, (long long)r->skel.n);
	rc = archive_read_next_header(r->a, &r->e);
	if (rc != ARCHIVE_EOF) {
		vs_err_set(err, EPROTO, "bad archive: members after the seal");
		goto fail;
	}
	/* libarchive stops at the tar end blocks: read the zstd stream to
	 * its end too, so a cut tail (the last frame's checksum) shows; and
	 * nothing but zeros (block padding) may follow the end blocks */
	if (check_tail(r, err) < 0)
		goto fail;
	for (;;) {
		const void *b;
		la_ssize_t k = r_read(r->a, r, &b);

		if (k < 0) {
			vs_err_set(err, r->zerrno, "%s", r->zerr);
			goto fail;
		}
		if (k == 0)
			break;
		if (!all_zero(b, k)) {
			vs_err_set(err, EPROTO, "bad archive: data after its "
			    "end");
			goto fail;
		}
	}
	if (got.len == r->seal.len && memcmp(got.buf, r->seal.buf,
	    got.len) == 0) {
		vs_buf_release(&got);
		r->state = 1;
		r->info.entries = r->entries;
		r->info.data_bytes = r->data_bytes;
		r->info.skel_files = r->skel.n;
		return 0;
	}
	/* name the first member whose digest differs */
	a = got.buf;
	b = r->seal.buf;
	while (*a && *a == *b)
		a++, b++;
	while (b > r->seal.buf && b[-1] != '\n')
		b--;
	nl = strchr(b, '\n');
	n = nl ? (int)(nl - b) : (int)strlen(b);
	/* a digest line names the member; otherwise a total differs */
	if (n > VS_HASH_HEXLEN + 1 && b[VS_HASH_HEXLEN] == ' ')
		vs_err_set(err, EPROTO, "archive is corrupt: digest of member "
		    "'%.*s' does not match its seal", n - VS_HASH_HEXLEN - 1,
		    b + VS_HASH_HEXLEN + 1);
	else
		vs_err_set(err, EPROTO, "archive is corrupt: the seal does "
		    "not match the archive ('%.*s')", n, b);
fail:
	vs_buf_release(&got);
	return -1;
}

int
snap_reader_next(struct snap_reader *r, struct vs_err *err)
{
	int rc;

	if (r->state)
		return 0;
	rc = next_header(r, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return vs_err_set(err, EPROTO, "archive is truncated (no seal)");
	if (strcmp(archive_entry_pathname(r->e), SNAP_SEAL) == 0) {
		if (check_seal(r, err) < 0)
			return -1;
		snap_progress(&r->prog, r->comp, 1);
		return 0;
	}
	if (check_entry(r, err) < 0)
		return -1;
	return 1;
}

int
snap_reader_data(struct snap_reader *r, const void **buf, size_t *len,
    long long *off, struct vs_err *err)
{
	la_int64_t o;
	int rc;

	if (!r->in_member)
		return 0;
	rc = archive_read_data_block(r->a, buf, len, &o);
	if (rc == ARCHIVE_EOF) {
		if (r->mpos < r->msize &&
		    hash_zeros(&r->h, r->msize - r->mpos, err) < 0)
			return -1;
		r->in_member = 0;
		return digest_end(&r->h, r->mpath, &r->seal, err) < 0 ?
		    -1 : 0;
	}
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return rerr(r, err);
	if (o < r->mpos || o + (long long)*len > r->msize)
		return vs_err_set(err, EPROTO, "corrupt archive: bad data "
		    "block in '%s'", archive_entry_pathname(r->e));
	if (o > r->mpos && hash_zeros(&r->h, o - r->mpos, err) < 0)
		return -1;
	if (vs_hash_update(&r->h, *buf, *len, err) < 0)
		return -1;
	r->mpos = o + *len;
	*off = o;
	return 1;
}

void
snap_reader_release(struct snap_reader *r)
{
	if (r->a)
		archive_read_free(r->a);
	if (r->dctx)
		ZSTD_freeDCtx(r->dctx);
	if (r->in_member)
		vs_hash_release(&r->h);
	if (r->fd >= 0)
		close(r->fd);
	free(r->in);
	free(r->outb[0]);
	free(r->outb[1]);
	free(r->mpath);
	snap_skel_release(&r->skel);
	vs_buf_release(&r->seal);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* ---- small helpers -------------------------------------------------- */

char *
snap_dir(const struct vs_conf *conf, const char *name)
{
	return xasprintf("%s/snapshots/%s", conf->state_root, name);
}

/* 20261204T213000Z, optionally -N (N < 1000) */
int
snap_valid_id(const char *id)
{
	size_t i, n = strlen(id);

	if (n < 16 || n > 20)
		return 0;
	for (i = 0; i < 16; i++) {
		char c = id[i];

		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' :
		    (c < '0' || c > '9'))
			return 0;
	}
	if (n == 16)
		return 1;
	if (id[16] != '-' || n == 17)
		return 0;
	for (i = 17; i < n; i++)
		if (id[i] < '0' || id[i] > '9')
			return 0;
	return 1;
}

int
snap_read_info(int dirfd, const char *file, struct vs_snap_info *info,
    struct vs_err *err)
{
	struct snap_reader r;
	int fd, rc;

	fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", file);
	rc = snap_reader_open(&r, fd, NULL, 0, 1, err);
	if (rc == 0)
		*info = r.info;
	else
		vs_err_prefix(err, "'%s'", file);
	snap_reader_release(&r);
	return rc;
}
