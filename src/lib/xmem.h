/* xmem.h - allocation that aborts on OOM, and scope-bound cleanup helpers.
 *
 * xmalloc()/xstrdup()/xasprintf() never return NULL: out of memory is fatal
 * (the message goes to stderr, then abort()).  The _cleanup_*_ attributes
 * release a resource when its variable leaves scope; every helper accepts
 * the empty value (NULL, -1).  steal_ptr()/steal_fd() hand a resource over
 * and leave the variable empty so its cleanup does nothing.
 */
#ifndef VS_XMEM_H
#define VS_XMEM_H

#include <stddef.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of *alloc elements of size elem) so that it holds at least n. */
void xgrow(void *arrp, size_t elem, size_t n, size_t *alloc);

void vs_freep(void *pp);
void vs_closep(int *fdp);
void vs_fclosep(FILE **fp);

#define _cleanup_free_ __attribute__((cleanup(vs_freep)))
#define _cleanup_close_ __attribute__((cleanup(vs_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vs_fclosep)))

#define steal_ptr(pp) ({			\
	__typeof__(*(pp)) _sp_v = *(pp);	\
	*(pp) = NULL;				\
	_sp_v; })

static inline int
steal_fd(int *fdp)
{
	int fd = *fdp;

	*fdp = -1;
	return fd;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
