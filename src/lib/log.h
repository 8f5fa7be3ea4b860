/* log.h - one logging API for tools and daemons (OpenBSD-daemon shaped).
 *
 * log_init() picks stderr with a "prog: " prefix (foreground) or syslog
 * LOG_DAEMON.  verbosity: 0 = info and up, 1 = debug.  log_warn() appends
 * strerror(errno).  fatal()/fatalx() log and exit(1); in a daemon they may be
 * used only before start-up completes.  Debug lines start with __func__.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

#include <stdarg.h>

void log_init(const char *prog, int foreground, int verbosity);
void log_setverbose(int verbosity);
int log_getverbose(void);
const char *log_progname(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
