/* buf.c - growable NUL-terminated byte strings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "xmem.h"

char vs_buf_empty[1];

void
vs_buf_init(struct vs_buf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = vs_buf_empty;
	if (hint)
		vs_buf_grow(sb, hint);
}

void
vs_buf_release(struct vs_buf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	vs_buf_init(sb, 0);
}

char *
vs_buf_detach(struct vs_buf *sb, size_t *lenp)
{
	char *res;

	vs_buf_grow(sb, 0);
	res = sb->buf;
	if (lenp)
		*lenp = sb->len;
	vs_buf_init(sb, 0);
	return res;
}

void
vs_buf_grow(struct vs_buf *sb, size_t extra)
{
	int fresh = !sb->alloc;
	size_t need;

	if (extra > (size_t)-1 - sb->len - 1)
		abort();
	need = sb->len + extra + 1;
	if (fresh)
		sb->buf = NULL;
	xgrow(&sb->buf, 1, need, &sb->alloc);
	if (fresh)
		sb->buf[0] = '\0';
}

void
vs_buf_setlen(struct vs_buf *sb, size_t len)
{
	if (len > (sb->alloc ? sb->alloc - 1 : 0))
		abort();
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void
vs_buf_reset(struct vs_buf *sb)
{
	if (sb->alloc)
		vs_buf_setlen(sb, 0);
}

void
vs_buf_add(struct vs_buf *sb, const void *data, size_t len)
{
	vs_buf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	vs_buf_setlen(sb, sb->len + len);
}

void
vs_buf_adds(struct vs_buf *sb, const char *s)
{
	vs_buf_add(sb, s, strlen(s));
}

void
vs_buf_addch(struct vs_buf *sb, int c)
{
	char ch = (char)c;

	vs_buf_add(sb, &ch, 1);
}

void
vs_buf_vaddf(struct vs_buf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	vs_buf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	vs_buf_setlen(sb, sb->len + (size_t)n);
}

void
vs_buf_addf(struct vs_buf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vs_buf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
vs_buf_add_json_str(struct vs_buf *sb, const char *s)
{
	const unsigned char *p;

	vs_buf_addch(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			vs_buf_adds(sb, "\\\"");
			break;
		case '\\':
			vs_buf_adds(sb, "\\\\");
			break;
		case '\n':
			vs_buf_adds(sb, "\\n");
			break;
		case '\t':
			vs_buf_adds(sb, "\\t");
			break;
		case '\r':
			vs_buf_adds(sb, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				vs_buf_addf(sb, "\\u%04x", *p);
			else
				vs_buf_addch(sb, *p);
		}
	}
	vs_buf_addch(sb, '"');
}

void
vs_buf_rtrim(struct vs_buf *sb)
{
	while (sb->len > 0 && (sb->buf[sb->len - 1] == ' ' ||
	    sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\t' ||
	    sb->buf[sb->len - 1] == '\r'))
		vs_buf_setlen(sb, sb->len - 1);
}

int
vs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
vs_buf_read_fd(struct vs_buf *sb, int fd, size_t max)
{
	size_t start = sb->len;
	ssize_t n;

	for (;;) {
		vs_buf_grow(sb, 8192);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			vs_buf_setlen(sb, start);
			return -1;
		}
		if (n == 0)
			break;
		vs_buf_setlen(sb, sb->len + (size_t)n);
		if (sb->len - start > max) {
			vs_buf_setlen(sb, start);
			errno = EFBIG;
			return -1;
		}
	}
	return (ssize_t)(sb->len - start);
}
