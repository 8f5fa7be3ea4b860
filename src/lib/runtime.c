/* runtime.c - start, stop and status of a VS, commands inside it.
 *
 * Host side of runtime.h: pid files, the per-VS monitor process, the
 * stop sequence and stale-state repair.  The privileged work happens in
 * priv/launch.c (namespaces, mounts, exec of vsinit) and priv/enter.c
 * (joining a running VS).  Files under state_root/run/ are the host's
 * own: no VS can name them, and we still open them O_NOFOLLOW relative to
 * a directory fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "priv/cgroup.h"
#include "priv/enter.h"
#include "priv/launch.h"
#include "priv/net.h"
#include "runtime.h"
#include "state.h"
#include "valid.h"
#include "xmem.h"

#define LOG_MAX		(1024 * 1024)	/* NAME.log rotates to NAME.log.1 */

static const char *const vs_tools[] = { "rebootvs", "setrights",
	"listrights" };

/* ---- small helpers ------------------------------------------------- */

static int
open_run_dir(const struct vs_conf *conf, struct vs_err *err)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "run");
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "create '%s'", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "open '%s'", dir);
	return fd;
}

unsigned long long
vs_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces and parens */
	if (!p)
		return 0;
	/* after ") " comes field 3, the state: a zombie is gone for us
	 * (its reaper may be slow, or a subreaper that never waits) */
	if (p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	/* we want field 22 */
	for (i = 3, p += 2; i < 22 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		v = strtoull(p, NULL, 10);
	return v;
}

struct pidrec {
	pid_t init;
	unsigned long long init_start;
	pid_t monitor;
	long long started;
};

static int
pidfile_read(int rundir, const char *name, struct pidrec *r)
{
	char fn[VS_NAME_MAX + 8], buf[256];
	int fd, n;
	ssize_t len;

	snprintf(fn, sizeof(fn), "%s.pid", name);
	fd = openat(rundir, fn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0) {
		errno = EINVAL;
		return -1;
	}
	buf[len] = '\0';
	memset(r, 0, sizeof(*r));
	n = sscanf(buf, "%d %llu %d %lld", &r->init, &r->init_start,
	    &r->monitor, &r->started);
	if (n != 4 || r->init <= 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
write_atomic(int dirfd, const char *fn, const char *text, struct vs_err *err)
{
	char tmp[VS_NAME_MAX + 32];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.%d", fn, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return vs_err_sys(err, "create %s", tmp);
	if (write(fd, text, len) != (ssize_t)len) {
		vs_err_sys(err, "write %s", tmp);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(dirfd, tmp, dirfd, fn) < 0) {
		vs_err_sys(err, "rename %s", tmp);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

static void
timestamp(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
exit_record(int rundir, const char *name, const char *what)
{
	char fn[VS_NAME_MAX + 8], ts[32];
	_cleanup_free_ char *text = NULL;

	timestamp(ts, sizeof(ts));
	text = xasprintf("%s at %s\n", what, ts);
	snprintf(fn, sizeof(fn), "%s.exit", name);
	write_atomic(rundir, fn, text, NULL);
}

/* A pidfd of the VS's vsinit if the pid file names a live one. */
static int
open_init(int rundir, const char *name, struct pidrec *r)
{
	int fd;

	if (pidfile_read(rundir, name, r) < 0)
		return -1;
	fd = pidfd_open(r->init, 0);
	if (fd < 0)
		return -1;
	/* checked after pidfd_open: the pidfd now pins this process, so a
	 * match means it is our vsinit and not a reused pid */
	if (vs_proc_start(r->init) != r->init_start) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

static int
pidfd_wait(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;		/* 1: the process has exited */
}

/* Remove what a dead VS leaves: cgroup, network, pid file.  Idempotent. */
static int
cleanup(const struct vs_conf *conf, int rundir, const char *name,
    struct vs_err *err)
{
	char fn[VS_NAME_MAX + 8];
	int rc = 0;

	if (vs_cgroup_destroy(conf, name, err) < 0)
		rc = -1;
	if (vs_net_destroy(conf, name, rc ? NULL : err) < 0)
		rc = -1;
	snprintf(fn, sizeof(fn), "%s.pid", name);
	if (unlinkat(rundir, fn, 0) < 0 && errno != ENOENT && rc == 0)
		rc = vs_err_sys(err, "remove %s", fn);
	return rc;
}

/* Pid file present but its vsinit gone: the monitor died as well (or
 * the host crashed).  Say so and clean up. */
static int
clean_stale(const struct vs_conf *conf, int rundir, const char *name,
    const struct pidrec *r, struct vs_err *err)
{
	char what[128];

	snprintf(what, sizeof(what), "vsinit (pid %d) gone without its "
	    "monitor; stale state cleaned", (int)r->init);
	exit_record(rundir, name, what);
	return cleanup(conf, rundir, name, err);
}

static int
check_name(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_err *err)
{
	if (!name || !vs_valid_name(name))
		return vs_err_set(err, EINVAL, "invalid VS name '%s'",
		    name ? name : "");
	return vs_rec_load(conf, name, rec, err);
}

/* ---- the monitor ----------------------------------------------------- */

struct report {
	int errnum;
	pid_t init;
	char msg[VS_ERR_MAX];
};

static char *
find_helper(const char *prog)
{
	char self[PATH_MAX], *slash, *p;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			p = xasprintf("%s/%s", self, prog);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
#ifdef VSD_LIBEXECDIR
	p = xasprintf("%s/%s", VSD_LIBEXECDIR, prog);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
#endif
	return NULL;
}

struct logger {
	int rundir;
	char fn[VS_NAME_MAX + 8];
	int fd;
	off_t size;
	int midline;		/* the VS's output ended without a newline */
};

static void
log_open(struct logger *lg)
{
	struct stat st;

	lg->fd = openat(lg->rundir, lg->fn, O_WRONLY | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0640);
	lg->size = (lg->fd >= 0 && fstat(lg->fd, &st) == 0) ? st.st_size : 0;
}

static void
log_write(struct logger *lg, const char *buf, size_t n)
{
	char old[VS_NAME_MAX + 16];

	if (lg->size + (off_t)n > LOG_MAX) {
		snprintf(old, sizeof(old), "%s.1", lg->fn);
		renameat(lg->rundir, lg->fn, lg->rundir, old);
		if (lg->fd >= 0)
			close(lg->fd);
		log_open(lg);
	}
	if (lg->fd >= 0 && write(lg->fd, buf, n) > 0)
		lg->size += n;
}

/* The VS's output, a timestamp at the start of each line. */
static void
log_vs_output(struct logger *lg, const char *buf, size_t n)
{
	char ts[32];
	const char *nl;
	size_t len;

	while (n > 0) {
		if (!lg->midline) {
			timestamp(ts, sizeof(ts));
			len = strlen(ts);
			ts[len++] = ' ';
			log_write(lg, ts, len);
		}
		nl = memchr(buf, '\n', n);
		len = nl ? (size_t)(nl - buf) + 1 : n;
		log_write(lg, buf, len);
		lg->midline = !nl;
		buf += len;
		n -= len;
	}
}

static void
log_line(struct logger *lg, const char *fmt, ...)
{
	char ts[32], line[512];
	va_list ap;
	int n;

	if (lg->midline)
		log_write(lg, "\n", 1);
	lg->midline = 0;
	timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s vsboot: ", ts);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	log_write(lg, line, n);
}

static void
describe(int status, char *out, size_t n)
{
	if (WIFEXITED(status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, n, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(out, n, "ended (status 0x%x)", status);
}

/* Start the VS; on success report the pid, else the error. */
static pid_t
monitor_launch(const struct vs_conf *conf, const struct vs_rec *rec,
    int logw, struct vs_err *err)
{
	_cleanup_close_ int rootfd = -1, exefd = -1, netfd = -1;
	_cleanup_free_ char *vsinit = NULL, *hostdir = NULL, *rootp = NULL;
	const char *tools[ARRAY_SIZE(vs_tools) + 1];
	char *toolpaths[ARRAY_SIZE(vs_tools)] = { NULL };
	struct vs_launch l;
	size_t i, nt = 0;
	pid_t pid;

	vsinit = find_helper("vsinit");
	if (!vsinit)
		return vs_err_set(err, ENOENT, "cannot find the vsinit "
		    "program");
	exefd = open(vsinit, O_PATH | O_CLOEXEC);
	if (exefd < 0)
		return vs_err_sys(err, "open '%s'", vsinit);
	/* (not vsroot.h's vs_root_open: that would drag libarchive and
	 * libcrypto into bevs, whose start-up time is a benchmark) */
	rootp = xasprintf("%s/vs/%s", conf->state_root, rec->name);
	rootfd = open(rootp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return vs_err_sys(err, "open the root of VS '%s'", rec->name);
	netfd = vs_net_open(conf, rec->name, err);
	if (netfd < 0)
		return -1;
	hostdir = xasprintf("%s/run/vs/%s", conf->state_root, rec->name);
	for (i = 0; i < ARRAY_SIZE(vs_tools); i++) {
		toolpaths[i] = find_helper(vs_tools[i]);
		if (toolpaths[i])
			tools[nt++] = toolpaths[i];
	}
	tools[nt] = NULL;

	memset(&l, 0, sizeof(l));
	l.conf = conf;
	l.rec = rec;
	l.fs.root = rootp;
	l.fs.rootfd = rootfd;
	l.fs.vsd_dir = hostdir;
	l.fs.uid_base = rec->uid_base;
	l.fs.run_mb = conf->run_size_mb;
	l.fs.tmp_mb = conf->tmp_size_mb;
	l.fs.tools = tools;
	l.netfd = netfd;
	l.exefd = exefd;
	l.logfd = logw;
	l.nnp = conf->no_new_privs;
	l.cgroup = 1;
	l.grace = conf->stop_timeout > 2 ? (int)conf->stop_timeout - 2 : 1;
	pid = vs_launch(&l, err);
	for (i = 0; i < ARRAY_SIZE(vs_tools); i++)
		free(toolpaths[i]);
	return pid;
}

/* We are a fork of whatever called vs_run_start (vsd, vsboot): look like
 * what we are in ps and pgrep ("vsmonitor"), not like a second vsd.  The
 * command line stays the caller's (rewriting it needs CAP_SYS_RESOURCE,
 * which a host in a container may not grant). */
static void
set_title(void)
{
	prctl(PR_SET_NAME, "vsmonitor", 0, 0, 0);
}

static void __attribute__((noreturn))
monitor_main(const struct vs_conf *conf, const struct vs_rec *rec, int report)
{
	struct vs_err err = VS_ERR_INIT;
	struct report rep;
	struct logger lg;
	int rundir, pipefd[2], pidfd, status = 0, lock, nullfd, ended = 0;
	char buf[4096], what[160], text[128];
	struct pidrec mine, now;
	pid_t init;
	ssize_t n;

	/* we were forked, not exec'd, and outlive our caller: drop every fd
	 * of it (vsd's sockets and clients, a vstry trial lock must not live
	 * on in us), keep the report pipe as fd 3, stdio on /dev/null */
	setsid();
	set_title();
	if (report != 3) {
		if (dup2(report, 3) < 0)
			_exit(1);
		report = 3;
	}
	close_range(4, ~0U, 0);
	nullfd = open("/dev/null", O_RDWR);
	if (nullfd >= 0) {
		dup2(nullfd, 0);
		dup2(nullfd, 1);
		dup2(nullfd, 2);
		if (nullfd > 3)
			close(nullfd);
	}
	memset(&rep, 0, sizeof(rep));
	memset(&lg, 0, sizeof(lg));
	rundir = open_run_dir(conf, &err);
	if (rundir < 0)
		goto fail;
	lg.rundir = rundir;
	snprintf(lg.fn, sizeof(lg.fn), "%s.log", rec->name);
	log_open(&lg);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		vs_err_sys(&err, "pipe");
		goto fail;
	}
	init = monitor_launch(conf, rec, pipefd[1], &err);
	close(pipefd[1]);
	if (init < 0)
		goto fail;
	mine.init = init;
	mine.init_start = vs_proc_start(init);
	mine.monitor = getpid();
	mine.started = time(NULL);
	snprintf(text, sizeof(text), "%d %llu %d %lld\n", (int)mine.init,
	    mine.init_start, (int)mine.monitor, mine.started);
	snprintf(what, sizeof(what), "%s.pid", rec->name);
	if (write_atomic(rundir, what, text, &err) < 0) {
		kill(init, SIGKILL);
		goto fail;
	}
	log_line(&lg, "VS %s started, vsinit pid %d", rec->name, (int)init);
	rep.init = init;
	(void)!write(report, &rep, sizeof(rep));
	close(report);

	pidfd = pidfd_open(init, 0);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = pipefd[0], .events = POLLIN },
			{ .fd = ended ? -1 : pidfd, .events = POLLIN },
		};
		int rc = poll(p, 2, ended ? 2000 : -1);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;		/* drained for 2 s after the end */
		if (p[0].revents) {
			n = read(pipefd[0], buf, sizeof(buf));
			if (n <= 0)
				break;	/* every writer is gone */
			log_vs_output(&lg, buf, n);
		}
		if (!ended && p[1].revents) {
			while (waitpid(init, &status, 0) < 0 && errno == EINTR)
				;
			ended = 1;
		}
	}
	if (!ended)
		while (waitpid(init, &status, 0) < 0 && errno == EINTR)
			;
	describe(status, text, sizeof(text));
	snprintf(what, sizeof(what), "vsinit (pid %d) %s", (int)init, text);
	log_line(&lg, "%s", what);
	exit_record(rundir, rec->name, what);

	/* Clean up under the VS lock, unless a stop/restart holds it: that
	 * one cleans up itself.  Then the pid file no longer names us. */
	for (;;) {
		lock = vs_state_lock(conf, rec->name, 1, NULL);
		if (lock >= 0)
			break;
		/* only a held lock is worth waiting for: with the state
		 * root gone (or unusable) there is nothing left to clean */
		if (errno != EWOULDBLOCK && errno != EINTR)
			_exit(0);
		usleep(50000);
	}
	if (pidfile_read(rundir, rec->name, &now) == 0 &&
	    now.init == mine.init && now.init_start == mine.init_start)
		cleanup(conf, rundir, rec->name, NULL);
	close(lock);
	_exit(0);

fail:
	rep.errnum = err.errnum ? err.errnum : EIO;
	memcpy(rep.msg, err.msg, sizeof(rep.msg));
	(void)!write(report, &rep, sizeof(rep));
	_exit(1);
}

/* ---- public API -------------------------------------------------------- */

/* Is pid our monitor (a process named vsmonitor)? */
static int
monitor_alive(pid_t pid)
{
	char path[64], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	return n > 0 && strncmp(comm, "vsmonitor\n", 10) == 0 &&
	    vs_proc_start(pid) != 0;
}

static int
status_locked(const struct vs_conf *conf, int rundir, const char *name,
    struct vs_run_status *st, int can_clean, struct vs_err *err)
{
	struct pidrec r;
	char fn[VS_NAME_MAX + 8], buf[sizeof(st->last_exit)];
	int fd;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	fd = open_init(rundir, name, &r);
	if (fd >= 0) {
		close(fd);
		st->running = 1;
		st->monitor_lost = !monitor_alive(r.monitor);
		st->init_pid = r.init;
		st->monitor_pid = r.monitor;
		st->started = r.started;
	} else if (pidfile_read(rundir, name, &r) == 0 ||
	    (errno != ENOENT)) {
		st->stale = 1;
		if (can_clean && clean_stale(conf, rundir, name, &r, err) < 0)
			return -1;
	}
	snprintf(fn, sizeof(fn), "%s.exit", name);
	fd = openat(rundir, fn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			memcpy(st->last_exit, buf, n + 1);
		}
	}
	return 0;
}

int
vs_run_status(const struct vs_conf *conf, const char *name,
    struct vs_run_status *st, struct vs_err *err)
{
	_cleanup_close_ int rundir = -1, lock = -1;
	struct vs_run_status s;
	struct vs_rec rec;

	if (check_name(conf, name, &rec, err) < 0)
		return -1;
	rundir = open_run_dir(conf, err);
	if (rundir < 0)
		return -1;
	/* stale state is cleaned only when nobody else works on the VS */
	lock = vs_state_lock(conf, name, 1, NULL);
	if (status_locked(conf, rundir, name, &s, lock >= 0, err) < 0)
		return -1;
	*st = s;
	return 0;
}

int
vs_run_start(const struct vs_conf *conf, const char *name, unsigned flags,
    struct vs_err *err)
{
	_cleanup_close_ int rundir = -1, lock = -1;
	_cleanup_free_ char *hostdir = NULL;
	struct vs_run_status st;
	struct vs_limits lim;
	struct report rep;
	struct vs_rec rec;
	int pfd[2], status;
	pid_t mid;
	ssize_t n;

	if (check_name(conf, name, &rec, err) < 0)
		return -1;
	lock = vs_state_lock(conf, name, 0, err);
	if (lock < 0)
		return -1;
	rundir = open_run_dir(conf, err);
	if (rundir < 0)
		return -1;
	if (status_locked(conf, rundir, name, &st, 1, err) < 0)
		return -1;
	if (st.running)
		return 1;

	/* leftovers of a crash without a pid file go too (idempotent) */
	if (cleanup(conf, rundir, name, err) < 0)
		return vs_err_prefix(err, "VS '%s': clean up", name);
	if (mkdirat(rundir, "vs", 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "create run/vs");
	hostdir = xasprintf("vs/%s", name);
	if (mkdirat(rundir, hostdir, 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "create run/%s", hostdir);
	free(hostdir);
	hostdir = xasprintf("vs/%s/bin", name);
	if (mkdirat(rundir, hostdir, 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "create run/%s", hostdir);

	vs_conf_limits_for(conf, name, &lim);
	if (rec.nproc > 0)
		lim.pids = rec.nproc;
	if (vs_cgroup_create(conf, name, &lim, err) < 0 ||
	    vs_net_create(conf, &rec, flags & VS_START_NONET ? VS_NET_NONE : 0,
	    err) < 0) {
		vs_err_prefix(err, "VS '%s'", name);
		goto undo;
	}

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		vs_err_sys(err, "pipe");
		goto undo;
	}
	/* double fork: the monitor is nobody's child but init's, so a
	 * long-lived caller (vsd) never has to reap it */
	mid = fork();
	if (mid < 0) {
		vs_err_sys(err, "fork");
		close(pfd[0]);
		close(pfd[1]);
		goto undo;
	}
	if (mid == 0) {
		close(pfd[0]);
		close(lock);
		if (fork() == 0)
			monitor_main(conf, &rec, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	memset(&rep, 0, sizeof(rep));
	do
		n = read(pfd[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n != sizeof(rep)) {
		vs_err_set(err, EIO, "VS '%s': the monitor died during "
		    "start-up", name);
		goto undo;
	}
	if (rep.errnum) {
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		vs_err_set(err, rep.errnum, "VS '%s': %s", name, rep.msg);
		goto undo;
	}
	return 0;
undo:
	status = errno;
	cleanup(conf, rundir, name, NULL);
	errno = status;
	return -1;
}

int
vs_run_stop(const struct vs_conf *conf, const char *name, int timeout_s,
    struct vs_err *err)
{
	_cleanup_close_ int rundir = -1, lock = -1, pidfd = -1;
	struct pidrec r;
	struct vs_rec rec;

	if (check_name(conf, name, &rec, err) < 0)
		return -1;
	if (timeout_s < 0)
		timeout_s = (int)conf->stop_timeout;
	lock = vs_state_lock(conf, name, 0, err);
	if (lock < 0)
		return -1;
	rundir = open_run_dir(conf, err);
	if (rundir < 0)
		return -1;
	pidfd = open_init(rundir, name, &r);
	if (pidfd < 0) {
		struct vs_run_status st;

		if (status_locked(conf, rundir, name, &st, 1, err) < 0)
			return -1;
		/* no pid file: still sweep leftovers of a crashed start */
		if (cleanup(conf, rundir, name, err) < 0)
			return -1;
		return 1;
	}
	/* vsinit stops the services in reverse order within its grace
	 * period (stop_timeout - 2 s), then exits */
	if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
		return vs_err_sys(err, "VS '%s': signal vsinit", name);
	if (!pidfd_wait(pidfd, timeout_s * 1000)) {
		struct vs_err kerr = VS_ERR_INIT;

		pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		if (vs_cgroup_kill(conf, name, &kerr) < 0)
			return vs_err_set(err, kerr.errnum, "VS '%s': %s",
			    name, kerr.msg);
		if (!pidfd_wait(pidfd, 10000))
			return vs_err_set(err, ETIMEDOUT, "VS '%s': vsinit "
			    "(pid %d) does not die", name, (int)r.init);
	}
	if (cleanup(conf, rundir, name, err) < 0)
		return vs_err_prefix(err, "VS '%s'", name);
	return 0;
}

int
vs_run_restart(const struct vs_conf *conf, const char *name, unsigned flags,
    int timeout_s, struct vs_err *err)
{
	if (vs_run_stop(conf, name, timeout_s, err) < 0)
		return -1;
	return vs_run_start(conf, name, flags, err) < 0 ? -1 : 0;
}

/* ESRCH "VS is not running", with how its vsinit ended last if known
 * (a VS that died under its users says so, not only that it is down) */
static int
not_running(int rundir, const char *name, struct vs_err *err)
{
	char fn[VS_NAME_MAX + 8], buf[160];
	ssize_t n = 0;
	int fd;

	snprintf(fn, sizeof(fn), "%s.exit", name);
	fd = openat(rundir, fn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return vs_err_set(err, ESRCH, "VS '%s' is not running", name);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return vs_err_set(err, ESRCH, "VS '%s' is not running (last: %s)",
	    name, buf);
}

int
vs_run_signal_init(const struct vs_conf *conf, const char *name, int sig,
    struct vs_err *err)
{
	_cleanup_close_ int rundir = -1, pidfd = -1;
	struct pidrec r;
	struct vs_rec rec;

	if (check_name(conf, name, &rec, err) < 0)
		return -1;
	rundir = open_run_dir(conf, err);
	if (rundir < 0)
		return -1;
	pidfd = open_init(rundir, name, &r);
	if (pidfd < 0)
		return vs_err_set(err, ESRCH, "VS '%s' is not running", name);
	if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
		return vs_err_sys(err, "VS '%s': signal vsinit", name);
	return 0;
}

pid_t
vs_run_spawn(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *master, struct vs_err *err)
{
	_cleanup_close_ int rundir = -1, pidfd = -1;
	struct pidrec r;
	struct vs_rec rec;
	pid_t pid;

	if (check_name(conf, name, &rec, err) < 0)
		return -1;
	if (x->user && !vs_valid_username(x->user))
		return vs_err_set(err, EINVAL, "invalid user name '%s'",
		    x->user);
	rundir = open_run_dir(conf, err);
	if (rundir < 0)
		return -1;
	pidfd = open_init(rundir, name, &r);
	if (pidfd < 0)
		return not_running(rundir, name, err);
	pid = vs_enter_spawn(conf, name, pidfd, x, master, err);
	if (pid < 0)
		return vs_err_prefix(err, "VS '%s'", name);
	return pid;
}

/* Copy from -> to; 0 at EOF or error of from. */
static int
relay(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf)), off = 0, w;

	if (n <= 0)
		return 0;
	while (off < n) {
		w = write(to, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 1;	/* reader gone: drop output */
		off += w;
	}
	return 1;
}

int
vs_run_exec(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *wstatus, struct vs_err *err)
{
	int master = -1, status, in_open;
	pid_t pid;

	pid = vs_run_spawn(conf, name, x, &master, err);
	if (pid < 0)
		return -1;
	in_open = x->fd_in >= 0;
	while (x->pty && master >= 0) {
		struct pollfd p[2] = {
			{ .fd = master, .events = POLLIN },
			{ .fd = in_open ? x->fd_in : -1, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && !relay(master, x->fd_out))
			break;		/* EIO: the last slave fd closed */
		if (p[1].revents && !relay(x->fd_in, master))
			in_open = 0;
	}
	if (master >= 0)
		close(master);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vs_err_sys(err, "wait for pid %d", (int)pid);
	if (wstatus)
		*wstatus = status;
	return 0;
}
