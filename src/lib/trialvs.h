/* trialvs.h - a trial's dealings with its running VS: commands run
 * inside it (output captured, time-limited), files read through its root
 * fd, and what it holds: processes and listening sockets.
 *
 * The VS is hostile: paths resolve in its root without following any
 * symlink, only regular files are read, everything read is size-capped.
 * Must run as host root (runtime.h); not thread-safe.
 */
#ifndef VS_TRIALVS_H
#define VS_TRIALVS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "report.h"

struct vs_trialvs {
	const struct vs_conf *conf;
	const char *name;	/* the VS (borrowed) */
	int rootfd;		/* its root, O_DIRECTORY (borrowed) */
	pid_t init_pid;		/* host pid of its vsinit */
};

#define VS_TRIALVS_TIMEDOUT	(-2)

/*
 * Run argv inside the VS as its root (clean environment, cwd /), its
 * stdout and stderr appended to out (the first MiB kept), for at most
 * timeout_ms (then it is killed).  *code: exit status, 128 + signal, or
 * VS_TRIALVS_TIMEDOUT.  Returns -1 (err) only when it could not start.
 * A daemon the command leaves behind may hold the pipe: the command's
 * end, not EOF, ends the wait.
 */
int vs_trialvs_exec(const struct vs_trialvs *v, char *const argv[],
    long long timeout_ms, struct vs_buf *out, int *code, struct vs_err *err);

/* "exit 3", "killed by signal 9", "timed out" into buf. */
const char *vs_trialvs_code_text(int code, char *buf, size_t size);

/* Append the regular file path of the VS (at most max bytes) to out;
 * -1 with errno (EINVAL when it is not a regular file). */
int vs_trialvs_read(int rootfd, const char *path, struct vs_buf *out,
    size_t max);

/* Add the VS's processes other than its init to rep's list, as
 * "command line" with detail "pid N" (the VS's view); returns how many. */
size_t vs_trialvs_processes(const struct vs_trialvs *v, struct vs_report *rep,
    enum vs_report_list_kind list);

/*
 * Listening TCP and bound UDP sockets of the VS's network namespace.
 * found == NULL: add each to rep's list ("tcp 0.0.0.0:80").  Otherwise
 * add nothing and set *found = 1 when want_port (TCP, or UDP if want_udp)
 * is among them.
 */
void vs_trialvs_ports(const struct vs_trialvs *v, struct vs_report *rep,
    enum vs_report_list_kind list, int want_port, int want_udp, int *found);

/*
 * Packets the VS's network stack had no route for (IPv4 OutNoRoutes plus
 * IPv6 Ip6OutNoRoutes of its namespace): with loopback only, every
 * attempt to reach another host counts here (a TCP connect or a UDP send
 * failing with ENETUNREACH).  -1 when it cannot be read.
 */
long long vs_trialvs_noroutes(const struct vs_trialvs *v);

#endif
