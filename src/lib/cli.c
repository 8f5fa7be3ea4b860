/* cli.c - how the command-line tools end a failed run (cli.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

int
vs_cli_vusage(const char *prog, const char *usage, const char *fmt,
    va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n%s", usage);
	return VS_EX_USAGE;
}

int
vs_cli_fail(const char *prog, const struct vs_err *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg :
	    strerror(err->errnum));
	switch (err->errnum) {
	case EAGAIN:
	case EINTR:
	case ENOLCK:
		return VS_EX_TEMP;
	default:
		return VS_EX_FAIL;
	}
}
