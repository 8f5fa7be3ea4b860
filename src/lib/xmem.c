/* xmem.c - allocation wrappers that abort on OOM and cleanup helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmem.h"

static void
oom(void)
{
	static const char msg[] = "out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return p;
}

void
xgrow(void *arrp, size_t elem, size_t n, size_t *alloc)
{
	void **arr = arrp;
	size_t na;

	if (n <= *alloc)
		return;
	na = *alloc ? *alloc : 8;
	while (na < n)
		na *= 2;
	if (na > ((size_t)-1) / elem)
		oom();
	*arr = xrealloc(*arr, na * elem);
	*alloc = na;
}

void
vs_freep(void *pp)
{
	free(*(void **)pp);
}

void
vs_closep(int *fdp)
{
	if (*fdp >= 0) {
		int saved = errno;

		close(*fdp);
		errno = saved;
	}
}

void
vs_fclosep(FILE **fp)
{
	if (*fp)
		fclose(*fp);
}
