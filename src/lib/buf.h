/* buf.h - growable strings (modelled on git's strbuf).
 *
 * Invariants: buf is never NULL and always NUL-terminated; len excludes the
 * NUL; a VS_BUF_INIT buffer points at a shared empty string until first
 * growth, so it needs no release if never written.  Binary data may contain
 * NULs; len is authoritative.  vs_buf_detach() hands the heap string to the
 * caller and re-inits the buffer.
 */
#ifndef VS_BUF_H
#define VS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

extern char vs_buf_empty[];

struct vs_buf {
	size_t alloc;
	size_t len;
	char *buf;
};

#define VS_BUF_INIT { 0, 0, vs_buf_empty }

void vs_buf_init(struct vs_buf *sb, size_t hint);
void vs_buf_release(struct vs_buf *sb);
char *vs_buf_detach(struct vs_buf *sb, size_t *lenp);
void vs_buf_grow(struct vs_buf *sb, size_t extra);
void vs_buf_setlen(struct vs_buf *sb, size_t len);
void vs_buf_reset(struct vs_buf *sb);
void vs_buf_add(struct vs_buf *sb, const void *data, size_t len);
void vs_buf_adds(struct vs_buf *sb, const char *s);
void vs_buf_addch(struct vs_buf *sb, int c);
void vs_buf_addf(struct vs_buf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vs_buf_vaddf(struct vs_buf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal (with quotes). */
void vs_buf_add_json_str(struct vs_buf *sb, const char *s);
/* Remove trailing whitespace. */
void vs_buf_rtrim(struct vs_buf *sb);
/* Read all of fd (up to max bytes; -1 with EFBIG beyond). */
ssize_t vs_buf_read_fd(struct vs_buf *sb, int fd, size_t max);
/* Its counterpart: write all len bytes of data to fd (short writes and
 * EINTR continued); 0, or -1 with errno. */
int vs_write_all(int fd, const void *data, size_t len);

#endif
