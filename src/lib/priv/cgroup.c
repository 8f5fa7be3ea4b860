/* cgroup.c - the per-VS cgroup interface: picks the backend (cgroup_v2.c
 * or cgroup_v1.c) once per process, validates names, and holds what both
 * backends share: file I/O under a cgroup mount, the mount lookup, and
 * the freeze-kill-thaw loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "valid.h"
#include "xmem.h"
#include "priv/cgroup_impl.h"
#include "banned.h"

#define CG_FILE_MAX	(1 << 20)	/* cgroup.procs of a big VS fits */
#define CG_KILL_WAIT_MS	10000

/* ---- shared helpers ------------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*d++ = *s++;
	}
	*d = '\0';
}

static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

char *
cg_find_mount(const char *fstype, const char *opt)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [tags] - type src sopts */
		char *fields[5], *sep, *type, *src, *sopts, *save = NULL;
		char *p = line;
		int i;

		for (i = 0; i < 5; i++) {
			fields[i] = strtok_r(i ? NULL : p, " ", &save);
			if (!fields[i])
				break;
		}
		if (i < 5 || !(sep = strstr(save ? save : "", " - ")))
			continue;
		type = strtok_r(sep + 3, " ", &save);
		src = type ? strtok_r(NULL, " ", &save) : NULL;
		sopts = src ? strtok_r(NULL, " \n", &save) : NULL;
		if (!sopts || strcmp(type, fstype) != 0)
			continue;
		if (opt && !has_word(sopts, opt))
			continue;
		unescape(fields[4]);
		return xstrdup(fields[4]);
	}
	return NULL;
}

int
cg_write(const char *dir, const char *file, const char *fmt, ...)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = -1;
	struct vs_buf b = VS_BUF_INIT;
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vs_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		vs_buf_release(&b);
		return -1;
	}
	/* one write(): cgroup files take a value per write call */
	n = write(fd, b.buf, b.len);
	if (n >= 0 && (size_t)n != b.len) {
		n = -1;
		errno = EIO;
	}
	vs_buf_release(&b);
	return n < 0 ? -1 : 0;
}

int
cg_read(const char *dir, const char *file, struct vs_buf *out)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	return vs_buf_read_fd(out, fd, CG_FILE_MAX) < 0 ? -1 : 0;
}

int
cg_read_ll(const char *dir, const char *file, long long *v)
{
	struct vs_buf b = VS_BUF_INIT;
	char *end;
	long long x;

	if (cg_read(dir, file, &b) < 0)
		return -1;
	vs_buf_rtrim(&b);
	if (strcmp(b.buf, "max") == 0) {
		vs_buf_release(&b);
		*v = 0;
		return 0;
	}
	errno = 0;
	x = strtoll(b.buf, &end, 10);
	if (errno || end == b.buf || *end) {
		vs_buf_release(&b);
		errno = EINVAL;
		return -1;
	}
	vs_buf_release(&b);
	*v = x;
	return 0;
}

int
cg_read_key(const char *dir, const char *file, const char *key,
    long long *v)
{
	struct vs_buf b = VS_BUF_INIT;
	size_t n = strlen(key);
	char *p;

	if (cg_read(dir, file, &b) < 0)
		return -1;
	for (p = b.buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			*v = strtoll(p + n + 1, NULL, 10);
			vs_buf_release(&b);
			return 0;
		}
	}
	vs_buf_release(&b);
	errno = ENOENT;
	return -1;
}

int
cg_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

	return access(path, F_OK) == 0;
}

static int
pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int
cg_read_procs(const char *dir, pid_t **pids, size_t *n)
{
	struct vs_buf b = VS_BUF_INIT;
	pid_t *v = NULL;
	size_t k = 0, alloc = 0;
	char *p, *end;

	if (cg_read(dir, "cgroup.procs", &b) < 0)
		return -1;
	for (p = b.buf; *p; p = end) {
		long x = strtol(p, &end, 10);

		if (end == p)
			break;
		while (*end == '\n')
			end++;
		if (x <= 0)
			continue;
		xgrow(&v, sizeof(*v), k + 1, &alloc);
		v[k++] = (pid_t)x;
	}
	vs_buf_release(&b);
	if (k)
		qsort(v, k, sizeof(*v), pid_cmp);
	*pids = v;
	*n = k;
	return 0;
}

int
cg_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cg_rmdir(const char *path)
{
	int i;

	/* A cgroup whose last task just died can stay busy for a moment
	 * while the kernel finishes tearing the tasks down. */
	for (i = 0; i < 100; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		sleep_ms(10);
	}
	return -1;
}

int
cg_wait_empty(const struct cg_killer *k, const char *what,
    struct vs_err *err)
{
	long long deadline = now_ms() + CG_KILL_WAIT_MS;
	long delay = 1;

	for (;;) {
		pid_t *pids = NULL;
		size_t n = 0;

		if (k->procs(k->ctx, &pids, &n) < 0) {
			if (errno == ENOENT)
				return 0;
			return vs_err_sys(err, "cgroup '%s': cannot list "
			    "processes", what);
		}
		free(pids);
		if (n == 0)
			return 0;
		if (now_ms() > deadline)
			return vs_err_set(err, ETIMEDOUT, "cgroup '%s': %zu "
			    "process(es) survive SIGKILL", what, n);
		sleep_ms(delay);
		if (delay < 50)
			delay *= 2;
	}
}

int
cg_kill_loop(const struct cg_killer *k, const char *what, struct vs_err *err)
{
	long long deadline = now_ms() + CG_KILL_WAIT_MS;
	long delay = 1;

	/* Freezing first means nothing can fork between listing and killing;
	 * without a freezer, the loop catches what was forked meanwhile. */
	for (;;) {
		pid_t *pids = NULL;
		size_t n = 0, i;
		int frozen;

		frozen = k->freeze && k->freeze(k->ctx, 1) == 0;
		if (k->procs(k->ctx, &pids, &n) < 0) {
			int e = errno;

			if (frozen)
				k->freeze(k->ctx, 0);
			if (e == ENOENT)
				return 0;
			errno = e;
			return vs_err_sys(err, "cgroup '%s': cannot list "
			    "processes", what);
		}
		for (i = 0; i < n; i++)
			if (kill(pids[i], SIGKILL) < 0 && errno != ESRCH)
				log_debug("%s: kill %d: %s", __func__,
				    (int)pids[i], strerror(errno));
		free(pids);
		if (frozen)
			k->freeze(k->ctx, 0);	/* SIGKILL acts once thawed */
		if (n == 0)
			return 0;
		if (now_ms() > deadline)
			return vs_err_set(err, ETIMEDOUT, "cgroup '%s': %zu "
			    "process(es) survive SIGKILL", what, n);
		sleep_ms(delay);
		if (delay < 50)
			delay *= 2;
	}
}

/* ---- the interface -------------------------------------------------- */

static enum vs_cgroup_backend
detect(void)
{
	const char *force = getenv("VSD_CGROUP");

	if (force && strcmp(force, "v2") == 0)
		return cg2_available() ? VS_CGROUP_V2 : VS_CGROUP_NONE;
	if (force && strcmp(force, "v1") == 0)
		return cg1_available() ? VS_CGROUP_V1 : VS_CGROUP_NONE;
	if (cg2_available() == 2)
		return VS_CGROUP_V2;
	if (cg1_available())
		return VS_CGROUP_V1;
	return cg2_available() ? VS_CGROUP_V2 : VS_CGROUP_NONE;
}

enum vs_cgroup_backend
vs_cgroup_backend(void)
{
	static int backend = -1;

	if (backend < 0) {
		backend = detect();
		log_debug("%s: cgroup %s", __func__,
		    vs_cgroup_backend_name(backend));
	}
	return backend;
}

const char *
vs_cgroup_backend_name(enum vs_cgroup_backend b)
{
	return b == VS_CGROUP_V1 ? "v1" : b == VS_CGROUP_V2 ? "v2" : "none";
}

/* Common entry checks; returns the backend or -1. */
static int
enter(const char *name, struct vs_err *err)
{
	enum vs_cgroup_backend b;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "cgroup: invalid VS name '%s'",
		    name);
	b = vs_cgroup_backend();
	if (b == VS_CGROUP_NONE)
		return vs_err_set(err, ENOTSUP, "cgroup '%s': this host has "
		    "no usable cgroup hierarchy (neither v2 nor v1 memory/"
		    "pids)", name);
	return (int)b;
}

int
vs_cgroup_create(const struct vs_conf *conf, const char *name,
    const struct vs_limits *lim, struct vs_err *err)
{
	struct vs_limits l;
	int b = enter(name, err);

	if (b < 0)
		return -1;
	if (!lim) {
		vs_conf_limits_for(conf, name, &l);
		lim = &l;
	}
	return b == VS_CGROUP_V2 ? cg2_create(conf, name, lim, err) :
	    cg1_create(conf, name, lim, err);
}

int
vs_cgroup_attach(const struct vs_conf *conf, const char *name, pid_t pid,
    struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	if (pid == 0)
		pid = getpid();
	return b == VS_CGROUP_V2 ? cg2_attach(conf, name, pid, err) :
	    cg1_attach(conf, name, pid, err);
}

int
vs_cgroup_open(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	if (b != VS_CGROUP_V2)
		return vs_err_set(err, ENOTSUP, "cgroup '%s': no cgroup fd on "
		    "cgroup v1", name);
	return cg2_open(conf, name, err);
}

int
vs_cgroup_procs(const struct vs_conf *conf, const char *name, pid_t **pids,
    size_t *n, struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	return b == VS_CGROUP_V2 ? cg2_procs(conf, name, pids, n, err) :
	    cg1_procs(conf, name, pids, n, err);
}

int
vs_cgroup_kill(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	return b == VS_CGROUP_V2 ? cg2_kill(conf, name, err) :
	    cg1_kill(conf, name, err);
}

int
vs_cgroup_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	if (vs_cgroup_kill(conf, name, err) < 0)
		return -1;
	return b == VS_CGROUP_V2 ? cg2_remove(conf, name, err) :
	    cg1_remove(conf, name, err);
}

int
vs_cgroup_usage(const struct vs_conf *conf, const char *name,
    struct vs_cgroup_usage *u, struct vs_err *err)
{
	int b = enter(name, err);

	if (b < 0)
		return -1;
	return b == VS_CGROUP_V2 ? cg2_usage(conf, name, u, err) :
	    cg1_usage(conf, name, u, err);
}
