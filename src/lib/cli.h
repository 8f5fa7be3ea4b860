/* cli.h - how the command-line tools end a run that went wrong, so that
 * vsdadm, vsnap and vstry say it the same way and exit with codes that
 * mean the same: 1 failed, 2 usage, 3 temporary (try again). */
#ifndef VS_CLI_H
#define VS_CLI_H

#include <stdarg.h>

#include "err.h"

#define VS_EX_FAIL	1
#define VS_EX_USAGE	2
#define VS_EX_TEMP	3

/* "prog: message" and the usage text on stderr; returns VS_EX_USAGE. */
int vs_cli_vusage(const char *prog, const char *usage, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* "prog: err's message" on stderr; VS_EX_TEMP when the cause is
 * temporary (EAGAIN, EINTR, ENOLCK: a lock held, an interruption),
 * else VS_EX_FAIL. */
int vs_cli_fail(const char *prog, const struct vs_err *err);

#endif
