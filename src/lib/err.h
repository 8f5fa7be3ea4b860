/* err.h - error reports that a human can act on.
 *
 * A struct vs_err carries one message in a fixed buffer, so the error path
 * never allocates.  Library functions that fail return -1 with errno set and,
 * when given an err, fill it; callers add context going up with
 * vs_err_prefix().  err may be NULL everywhere: then only errno is set.
 */
#ifndef VS_ERR_H
#define VS_ERR_H

#define VS_ERR_MAX 1024

struct vs_err {
	int errnum;		/* errno of the first failure, 0 if none */
	char msg[VS_ERR_MAX];	/* "what failed: cause", never ends in \n */
};

#define VS_ERR_INIT { 0, "" }

/* Set the message; returns -1 and leaves errno as given (EINVAL if 0). */
int vs_err_set(struct vs_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Message is fmt + ": " + strerror(errno); keeps errno; returns -1. */
int vs_err_sys(struct vs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepend "fmt: " to the message; keeps errno; returns -1. */
int vs_err_prefix(struct vs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void vs_err_clear(struct vs_err *err);

#endif
