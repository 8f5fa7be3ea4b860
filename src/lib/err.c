/* err.c - fixed-buffer error messages with context added going up. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
vs_err_set(struct vs_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!errnum)
		errnum = EINVAL;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->errnum = errnum;
	}
	errno = errnum;
	return -1;
}

int
vs_err_sys(struct vs_err *err, const char *fmt, ...)
{
	int saved = errno;
	const char *es = strerror(saved);
	va_list ap;
	size_t n, el = strlen(es);

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		/* always keep room for ": strerror" at the end */
		n = strlen(err->msg);
		if (n + 2 + el >= sizeof(err->msg))
			n = sizeof(err->msg) - 3 - el;
		err->msg[n] = ':';
		err->msg[n + 1] = ' ';
		memcpy(err->msg + n + 2, es, el + 1);
		err->errnum = saved;
	}
	errno = saved ? saved : EIO;
	return -1;
}

int
vs_err_prefix(struct vs_err *err, const char *fmt, ...)
{
	int saved = errno;
	char pre[VS_ERR_MAX];
	size_t n, old;
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
		va_end(ap);
		n = strlen(pre);
		pre[n++] = ':';
		pre[n++] = ' ';
		/* shift the old message right by n, truncating its tail */
		old = strnlen(err->msg, sizeof(err->msg) - 1);
		if (n >= sizeof(err->msg))
			n = sizeof(err->msg) - 1;
		if (old + n >= sizeof(err->msg))
			old = sizeof(err->msg) - 1 - n;
		memmove(err->msg + n, err->msg, old);
		memcpy(err->msg, pre, n);
		err->msg[n + old] = '\0';
	}
	errno = saved;
	return -1;
}

void
vs_err_clear(struct vs_err *err)
{
	if (err) {
		err->errnum = 0;
		err->msg[0] = '\0';
	}
}
