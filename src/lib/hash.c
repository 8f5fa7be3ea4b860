/* hash.c - SHA-256 through libcrypto's EVP interface. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash.h"
#include "xmem.h"
#include "banned.h"

#define HASH_CHUNK	(128 * 1024)

int
vs_hash_init(struct vs_hash *h, struct vs_err *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL)
		return vs_err_set(err, ENOMEM, "sha256: out of memory");
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return vs_err_set(err, EINVAL, "sha256: digest init failed");
	}
	h->ctx = c;
	return 0;
}

int
vs_hash_update(struct vs_hash *h, const void *data, size_t len,
    struct vs_err *err)
{
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return vs_err_set(err, EINVAL, "sha256: digest update failed");
	return 0;
}

int
vs_hash_final(struct vs_hash *h, unsigned char out[VS_HASH_LEN],
    struct vs_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc;

	rc = EVP_DigestFinal_ex(h->ctx, md, &n);
	vs_hash_release(h);
	if (rc != 1 || n != VS_HASH_LEN)
		return vs_err_set(err, EINVAL, "sha256: digest final failed");
	memcpy(out, md, VS_HASH_LEN);
	return 0;
}

void
vs_hash_release(struct vs_hash *h)
{
	if (h->ctx != NULL)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
vs_hash_mem(const void *data, size_t len, unsigned char out[VS_HASH_LEN],
    struct vs_err *err)
{
	struct vs_hash h = VS_HASH_INIT;

	if (vs_hash_init(&h, err) < 0)
		return -1;
	if (vs_hash_update(&h, data, len, err) < 0) {
		vs_hash_release(&h);
		return -1;
	}
	return vs_hash_final(&h, out, err);
}

int
vs_hash_fd(int fd, unsigned char out[VS_HASH_LEN], struct vs_err *err)
{
	struct vs_hash h = VS_HASH_INIT;
	_cleanup_free_ char *chunk = xmalloc(HASH_CHUNK);
	off_t off = 0;
	int seekable = lseek(fd, 0, SEEK_CUR) >= 0;
	ssize_t n;

	if (vs_hash_init(&h, err) < 0)
		return -1;
	for (;;) {
		n = seekable ? pread(fd, chunk, HASH_CHUNK, off) :
		    read(fd, chunk, HASH_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vs_err_sys(err, "read");
			vs_hash_release(&h);
			return -1;
		}
		if (n == 0)
			break;
		off += n;
		if (vs_hash_update(&h, chunk, (size_t)n, err) < 0) {
			vs_hash_release(&h);
			return -1;
		}
	}
	return vs_hash_final(&h, out, err);
}

int
vs_hash_file_at(int dirfd, const char *name, unsigned char out[VS_HASH_LEN],
    struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", name);
	if (fstat(fd, &st) < 0)
		return vs_err_sys(err, "cannot stat '%s'", name);
	if (!S_ISREG(st.st_mode))
		return vs_err_set(err, EINVAL, "'%s' is not a regular file",
		    name);
	if (vs_hash_fd(fd, out, err) < 0)
		return vs_err_prefix(err, "'%s'", name);
	return 0;
}

int
vs_hash_file_st(int dirfd, const char *name, const struct stat *st,
    unsigned char out[VS_HASH_LEN], struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *chunk = NULL;
	struct vs_hash h = VS_HASH_INIT;
	struct stat fst;
	off_t off = 0;
	ssize_t n;
	char c;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", name);
	if (fstat(fd, &fst) < 0)
		return vs_err_sys(err, "cannot stat '%s'", name);
	if (!S_ISREG(fst.st_mode) || fst.st_dev != st->st_dev ||
	    fst.st_ino != st->st_ino || fst.st_size != st->st_size)
		return vs_err_set(err, ESTALE, "'%s' changed", name);
	if (vs_hash_init(&h, err) < 0)
		return -1;
	chunk = xmalloc(HASH_CHUNK);
	while (off < st->st_size) {
		size_t want = st->st_size - off < HASH_CHUNK ?
		    (size_t)(st->st_size - off) : HASH_CHUNK;

		n = pread(fd, chunk, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vs_hash_release(&h);
			return n < 0 ? vs_err_sys(err, "cannot read '%s'",
			    name) : vs_err_set(err, ESTALE, "'%s' changed",
			    name);
		}
		off += n;
		if (vs_hash_update(&h, chunk, (size_t)n, err) < 0) {
			vs_hash_release(&h);
			return -1;
		}
	}
	while ((n = pread(fd, &c, 1, off)) < 0 && errno == EINTR)
		;
	if (n != 0) {
		vs_hash_release(&h);
		return n < 0 ? vs_err_sys(err, "cannot read '%s'", name) :
		    vs_err_set(err, EFBIG, "'%s' grew while read", name);
	}
	return vs_hash_final(&h, out, err);
}

int
vs_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
vs_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
vs_unhex(const char *hex, unsigned char *out, size_t len)
{
	size_t i;

	/* all digits checked before out is touched */
	for (i = 0; i < 2 * len; i++)
		if (vs_hexval((unsigned char)hex[i]) < 0) {
			errno = EINVAL;
			return -1;
		}
	if (hex[2 * len] != '\0') {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (unsigned char)(vs_hexval((unsigned char)hex[2 * i]) <<
		    4 | vs_hexval((unsigned char)hex[2 * i + 1]));
	return 0;
}

void
vs_hash_hex(const unsigned char in[VS_HASH_LEN], char out[VS_HASH_HEXLEN + 1])
{
	vs_hex(in, VS_HASH_LEN, out);
}

int
vs_hash_unhex(const char *hex, unsigned char out[VS_HASH_LEN])
{
	return vs_unhex(hex, out, VS_HASH_LEN);
}
