/* hash.h - SHA-256 of files and buffers (libcrypto EVP), and hex helpers.
 *
 * All functions return 0 on success, -1 with errno set (and err filled when
 * given) on failure.  Output buffers are written only on success.  Nothing
 * here keeps global state; the functions are fork- and thread-safe as far
 * as libcrypto is.
 */
#ifndef VS_HASH_H
#define VS_HASH_H

#include <stddef.h>

#include "err.h"

#define VS_HASH_LEN	32			/* bytes of a SHA-256 digest */
#define VS_HASH_HEXLEN	(2 * VS_HASH_LEN)	/* hex digits, without NUL */

/* A streaming hash: vs_hash_init(), any number of _update(), _final().
 * _final() and _release() free the libcrypto context; _release() is safe on
 * a context that was finalised or never initialised (VS_HASH_INIT). */
struct vs_hash {
	void *ctx;		/* EVP_MD_CTX *, opaque to callers */
};

#define VS_HASH_INIT { NULL }

int vs_hash_init(struct vs_hash *h, struct vs_err *err);
int vs_hash_update(struct vs_hash *h, const void *data, size_t len,
    struct vs_err *err);
int vs_hash_final(struct vs_hash *h, unsigned char out[VS_HASH_LEN],
    struct vs_err *err);
void vs_hash_release(struct vs_hash *h);

/* Digest of len bytes at data. */
int vs_hash_mem(const void *data, size_t len, unsigned char out[VS_HASH_LEN],
    struct vs_err *err);

/*
 * Digest of everything readable from fd, starting at offset 0 for seekable
 * files (pread: the file offset is not moved) and at the current position
 * otherwise.  Fails with EIO-like errno if a read fails.
 */
int vs_hash_fd(int fd, unsigned char out[VS_HASH_LEN], struct vs_err *err);

/*
 * Digest of the regular file name in dirfd, opened with O_NOFOLLOW and
 * O_NONBLOCK (a FIFO or device planted under that name is refused with
 * EINVAL, never read).  err names the file as given.
 */
int vs_hash_file_at(int dirfd, const char *name,
    unsigned char out[VS_HASH_LEN], struct vs_err *err);

/*
 * vs_hash_file_at() of the file judged as st (its lstat): fails with
 * ESTALE unless the file opened is that inode with st's size, and reads
 * at most that many bytes (EFBIG if more follow).  For a file in a VS:
 * its owner may extend it to terabytes (a sparse ftruncate) the moment
 * it sees it opened, and must not make a host process read them.
 */
struct stat;
int vs_hash_file_st(int dirfd, const char *name, const struct stat *st,
    unsigned char out[VS_HASH_LEN], struct vs_err *err);

/* Hex: the value of one digit (either case) or -1; len bytes as 2*len
 * lowercase digits and a NUL; exactly 2*len digits (either case, nothing
 * after) into len bytes, 0 or -1 with EINVAL and out untouched. */
int vs_hexval(int c);
void vs_hex(const unsigned char *in, size_t len, char *out);
int vs_unhex(const char *hex, unsigned char *out, size_t len);

/* The same for a digest: VS_HASH_HEXLEN digits. */
void vs_hash_hex(const unsigned char in[VS_HASH_LEN],
    char out[VS_HASH_HEXLEN + 1]);

int vs_hash_unhex(const char *hex, unsigned char out[VS_HASH_LEN]);

#endif
