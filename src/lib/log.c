/* log.c - stderr or syslog output for every program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *progname = "vsd";
static int to_stderr = 1;
static int verbose;

void
log_init(const char *prog, int foreground, int verbosity)
{
	const char *p = strrchr(prog, '/');

	progname = p ? p + 1 : prog;
	to_stderr = foreground;
	verbose = verbosity;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return verbose;
}

const char *
log_progname(void)
{
	return progname;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr) {
		if (suffix)
			fprintf(stderr, "%s: %s: %s\n", progname, msg, suffix);
		else
			fprintf(stderr, "%s: %s\n", progname, msg);
		fflush(stderr);
	} else if (suffix) {
		syslog(pri, "%s: %s", msg, suffix);
	} else {
		syslog(pri, "%s", msg);
	}
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
