/* trial.c - one disposable trial of packages in a VS (steps in trial.h).
 *
 * Trust: the packages, everything they install and everything that runs
 * inside the VS are hostile.  The package managers run only inside the VS
 * (vs_run_spawn); the host side touches the VS's tree only through the
 * root fd: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), O_NOFOLLOW,
 * O_EXCL, and reads what the VS produced (files, /proc) with size caps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atfile.h"
#include "runtime.h"
#include "state.h"
#include "treediff.h"
#include "trial.h"
#include "trialvs.h"
#include "valid.h"
#include "vsroot.h"
#include "xmem.h"

#define TRIAL_DBPATH	"/var/lib/rpm"
#define TRIAL_PKGDIR	".vstry"	/* at the VS's root (its /tmp is a
					 * tmpfs inside, hiding host writes) */
#define TRIAL_MAX_FILE	(8 * 1024 * 1024)	/* passwd, group */
#define TRIAL_MAX_HASH	((off_t)64 << 20)
#define TRIAL_PKG_MAX	64

/* Paths the package manager itself changes: its database and logs. */
static const char *const pm_state[] = {
	"/var/lib/rpm", "/var/lib/rpm-state", "/usr/lib/sysimage/rpm",
	"/var/lib/dpkg", "/var/log/dpkg.log", "/var/log/alternatives.log",
	"/etc/ld.so.cache", "/" TRIAL_PKGDIR,
};

struct strv {
	char **v;
	size_t n, alloc;
};

struct trial {
	const struct vs_conf *conf;
	const struct vs_trial_opts *o;
	const struct vs_recipe *rc;
	struct vs_report *rep;
	char vs[VS_NAME_MAX + 1];
	char lockname[VS_NAME_MAX + 1];
	struct vs_rec rec;
	int created, started, lockfd, rootfd, skelfd;
	long long jid;
	int type;			/* 'r' or 'd' */
	struct strv files;		/* packages inside the VS: /.vstry/N */
	struct strv names;		/* package names */
	struct strv pkglist;		/* files the packages own (sorted) */
	struct strv users0, groups0;	/* "name\tdetail" sorted */
	struct vs_tree before, installed, removed;
	struct vs_trialvs v;		/* the running VS */
	long long noroutes0;		/* vs_trialvs_noroutes() before */
};

/* ---- small helpers ------------------------------------------------------ */

static void
strv_add(struct strv *s, const char *str)
{
	xgrow(&s->v, sizeof(*s->v), s->n + 1, &s->alloc);
	s->v[s->n++] = xstrdup(str);
}

static void
strv_release(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_sort(struct strv *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), str_cmp);
}

static int
strv_has(const struct strv *s, const char *str)
{
	return s->n && bsearch(&str, s->v, s->n, sizeof(*s->v), str_cmp);
}

static int
under(const char *path, const char *prefix)
{
	size_t l = strlen(prefix);

	return strncmp(path, prefix, l) == 0 &&
	    (path[l] == '\0' || path[l] == '/');
}

static int
is_pm_state(const char *path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pm_state); i++)
		if (under(path, pm_state[i]))
			return 1;
	return 0;
}

/* A package name as printed by the package manager inside the VS. */
static int
valid_pkg_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._+-~", *s)))
			return 0;
	return 1;
}

int
vs_trial_pkg_type(int fd)
{
	unsigned char m[21];
	ssize_t n = pread(fd, m, sizeof(m), 0);

	if (n >= 4 && m[0] == 0xed && m[1] == 0xab && m[2] == 0xee &&
	    m[3] == 0xdb)
		return 'r';
	if (n == 21 && memcmp(m, "!<arch>\ndebian-binary", 21) == 0)
		return 'd';
	return 0;
}

/*
 * Open a report step.  VSTRY_TEST_STOP_AT=NAME stops the process (SIGSTOP)
 * as step NAME begins: the crash tests kill -9 a trial at each step.
 */
static size_t
step_begin(struct trial *t, const char *name)
{
	const char *stop = getenv("VSTRY_TEST_STOP_AT");
	size_t s = vs_report_step_begin(t->rep, name);

	if (stop && strcmp(stop, name) == 0)
		raise(SIGSTOP);
	return s;
}

/* ---- what the VS holds: users, processes, ports ------------------------- */

/* "name\tuid N" per line of an /etc/passwd or /etc/group of the VS. */
static void
read_accounts(int rootfd, const char *path, struct strv *out)
{
	struct vs_buf b = VS_BUF_INIT;
	char *line, *save = NULL, *c1, *c2, *c3;

	if (vs_trialvs_read(rootfd, path, &b, TRIAL_MAX_FILE) == 0) {
		for (line = strtok_r(b.buf, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			if (!(c1 = strchr(line, ':')) ||
			    !(c2 = strchr(c1 + 1, ':')))
				continue;
			*c1 = '\0';
			c3 = strchr(c2 + 1, ':');
			if (c3)
				*c3 = '\0';
			if (strlen(line) > 64 || strlen(c2 + 1) > 12)
				continue;
			{
				char *s = xasprintf("%s\t%s %s", line,
				    path[5] == 'p' ? "uid" : "gid", c2 + 1);
				strv_add(out, s);
				free(s);
			}
		}
	}
	vs_buf_release(&b);
	strv_sort(out);
}

static void
report_accounts(struct trial *t, const char *path, const struct strv *old,
    enum vs_report_list_kind list)
{
	struct strv now = { 0 };
	size_t i;
	char *tab;

	read_accounts(t->rootfd, path, &now);
	for (i = 0; i < now.n; i++) {
		if (strv_has(old, now.v[i]))
			continue;
		tab = strchr(now.v[i], '\t');
		*tab = '\0';
		vs_report_add(t->rep, list, now.v[i], "%s", tab + 1);
	}
	strv_release(&now);
}

/* ---- steps ---------------------------------------------------------------- */

static void
random_suffix(char *out, size_t size)
{
	unsigned char r[4];
	unsigned i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		unsigned v = (unsigned)getpid() ^ (unsigned)time(NULL);

		memcpy(r, &v, sizeof(r));
	}
	for (i = 0; i < sizeof(r) && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static int
create_vs(struct trial *t, struct vs_err *err)
{
	struct vs_create_req q;
	char sfx[16], ip[16], fqdn[64];
	unsigned char r[2];
	int tries;

	random_suffix(sfx, sizeof(sfx));
	snprintf(t->vs, sizeof(t->vs), VS_TRIAL_PREFIX "%s", sfx);
	snprintf(t->lockname, sizeof(t->lockname), "trial-%s", sfx);
	snprintf(fqdn, sizeof(fqdn), "%s.vstry.invalid", t->vs);
	t->lockfd = vs_state_lock(t->conf, t->lockname, 1, err);
	if (t->lockfd < 0)
		return -1;
	t->jid = vs_journal_begin(t->conf, "trial", t->lockname, t->vs, err);
	if (t->jid < 0)
		return -1;
	for (tries = 0; tries < 8; tries++) {
		/* the VS has no network by default, but every VS has an
		 * address: a random one in 10.254/16, retried if taken */
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			r[0] = (unsigned char)getpid(), r[1] = (unsigned char)tries;
		snprintf(ip, sizeof(ip), "10.254.%u.%u", r[0],
		    1 + r[1] % 253);
		memset(&q, 0, sizeof(q));
		q.name = t->vs;
		q.ip = ip;
		q.fqdn = fqdn;
		q.disposable = 1;
		if (vs_create(t->conf, &q, &t->rec, NULL, err) == 0) {
			t->created = 1;
			return 0;
		}
		if (errno != EEXIST || !strstr(err->msg, "IP address"))
			return -1;
	}
	return -1;
}

static int
start_vs(struct trial *t, struct vs_err *err)
{
	struct vs_run_status st;
	_cleanup_free_ char *skel = vs_conf_dir(t->conf, "skel");

	if (vs_run_start(t->conf, t->vs, t->rc->network ? 0 : VS_START_NONET,
	    err) < 0)
		return -1;
	t->started = 1;
	if (vs_run_status(t->conf, t->vs, &st, err) < 0)
		return -1;
	t->rootfd = vs_root_open(t->conf, t->vs, err);
	if (t->rootfd < 0)
		return -1;
	t->v.conf = t->conf;
	t->v.name = t->vs;
	t->v.rootfd = t->rootfd;
	t->v.init_pid = st.init_pid;
	t->skelfd = open(skel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->skelfd < 0)
		return vs_err_sys(err, "cannot open skeleton '%s'", skel);
	return 0;
}

/* Copy the packages to /.vstry/ of the VS, owned by the VS's root.  The
 * directory is made here (O_EXCL semantics of mkdir), so nothing the VS
 * planted is followed. */
static int
copy_packages(struct trial *t, int *fds, size_t n, struct vs_err *err)
{
	_cleanup_close_ int dfd = -1;
	char name[32], path[48];
	size_t i;
	off_t off;
	ssize_t w;

	if (mkdirat(t->rootfd, TRIAL_PKGDIR, 0700) < 0)
		return vs_err_sys(err, "cannot create '/%s' in the VS",
		    TRIAL_PKGDIR);
	dfd = openat(t->rootfd, TRIAL_PKGDIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fchown(dfd, (uid_t)t->rec.uid_base,
	    (gid_t)t->rec.uid_base) < 0)
		return vs_err_sys(err, "cannot prepare '/%s' in the VS",
		    TRIAL_PKGDIR);
	for (i = 0; i < n; i++) {
		_cleanup_close_ int out = -1;
		struct stat st;

		snprintf(name, sizeof(name), "%zu.%s", i,
		    t->type == 'r' ? "rpm" : "deb");
		out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0 || fstat(fds[i], &st) < 0)
			return vs_err_sys(err, "cannot copy package %zu", i);
		off = 0;
		while (off < st.st_size) {
			w = copy_file_range(fds[i], &off, out, NULL,
			    (size_t)(st.st_size - off), 0);
			if (w <= 0) {
				char buf[65536];
				ssize_t r = pread(fds[i], buf, sizeof(buf), off);

				if (r <= 0 || write(out, buf, (size_t)r) != r)
					return vs_err_sys(err, "cannot copy "
					    "package %zu", i);
				off += r;
			}
		}
		if (fchown(out, (uid_t)t->rec.uid_base,
		    (gid_t)t->rec.uid_base) < 0)
			return vs_err_sys(err, "cannot chown package %zu", i);
		snprintf(path, sizeof(path), "/%s/%s", TRIAL_PKGDIR, name);
		strv_add(&t->files, path);
	}
	return 0;
}

/* argv = prefix + the package files or names */
static char **
make_argv(const char *const *prefix, const struct strv *tail)
{
	size_t np = 0, i;
	char **v;

	while (prefix[np])
		np++;
	v = xcalloc(np + tail->n + 1, sizeof(*v));
	for (i = 0; i < np; i++)
		v[i] = (char *)prefix[i];
	for (i = 0; i < tail->n; i++)
		v[np + i] = tail->v[i];
	return v;
}

static long long
step_ms(const struct trial *t)
{
	return (long long)t->rc->step_timeout * 1000;
}

/* Names of the packages, asked of the package manager inside the VS. */
static int
query_names(struct trial *t, struct vs_err *err)
{
	static const char *const rpmq[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-qp", "--nosignature", "--nodigest", "--qf", "%{NAME}\\n",
	    NULL };
	struct vs_buf out = VS_BUF_INIT;
	char *line, *save = NULL;
	size_t i;
	int code = 0;

	if (t->type == 'r') {
		_cleanup_free_ char **argv = make_argv(rpmq, &t->files);

		if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code, err) < 0)
			goto fail;
	} else {
		for (i = 0; i < t->files.n; i++) {
			char *argv[] = { "dpkg-deb", "--field", t->files.v[i],
			    "Package", NULL };

			if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code,
			    err) < 0)
				goto fail;
			if (code)
				break;
		}
	}
	if (code) {
		vs_buf_rtrim(&out);
		vs_err_set(err, EINVAL, "cannot read the package: %.300s",
		    out.buf);
		goto fail;
	}
	for (line = strtok_r(out.buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (!valid_pkg_name(line)) {
			vs_err_set(err, EINVAL, "odd package name '%.64s'",
			    line);
			goto fail;
		}
		strv_add(&t->names, line);
	}
	if (t->names.n != t->files.n) {
		vs_err_set(err, EINVAL, "%zu package names for %zu files",
		    t->names.n, t->files.n);
		goto fail;
	}
	vs_buf_release(&out);
	return 0;
fail:
	vs_buf_release(&out);
	return -1;
}

static void
deps_verdict(struct trial *t, long long ms)
{
	size_t n = t->rep->lists[VS_RL_MISSING_DEPS].n;

	if (t->o->nodeps)
		return;
	if (n == 0)
		vs_report_check(t->rep, "dependencies", VS_ST_PASS, ms, NULL);
	else
		vs_report_check(t->rep, "dependencies", t->rc->deps_strict ?
		    VS_ST_FAIL : VS_ST_INFO, ms, "%zu missing in the VS "
		    "(installed anyway)%s", n, t->rc->deps_strict ?
		    "; the recipe says deps strict" : "");
}

/* rpm: a dry run lists what the VS lacks ("\tX is needed by Y"). */
static void
check_deps(struct trial *t)
{
	static const char *const test[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-i", "--test", "--noplugins", NULL };
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	_cleanup_free_ char **argv = NULL;
	long long t0 = vs_report_now_ms();
	char *line, *save = NULL, *by;
	int code = 0;

	if (t->o->nodeps) {
		vs_report_check(t->rep, "dependencies", VS_ST_SKIP, 0,
		    "not checked (--nodeps)");
		return;
	}
	if (t->type == 'r') {
		argv = make_argv(test, &t->files);
		if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code,
		    &err) < 0) {
			vs_report_check(t->rep, "dependencies", VS_ST_ERROR,
			    0, "%s", err.msg);
			return;
		}
		for (line = strtok_r(out.buf, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			if (line[0] != '\t' || !(by = strstr(line,
			    " is needed by ")))
				continue;
			*by = '\0';
			vs_report_add(t->rep, VS_RL_MISSING_DEPS, line + 1,
			    "needed by %s", by + 14);
		}
	}
	/* dpkg: missing dependencies show up as warnings of the install
	 * itself (--force-depends): deps_verdict() runs after it */
	vs_buf_release(&out);
	if (t->type == 'r')
		deps_verdict(t, vs_report_now_ms() - t0);
}

/* dpkg --force-depends warns "X depends on Y; however:" */
static void
deb_deps_from_output(struct trial *t, const char *out)
{
	const char *p = out, *d, *semi, *nl;

	while ((d = strstr(p, " depends on "))) {
		nl = strchr(d, '\n');
		semi = strstr(d, "; however:");
		if (semi && (!nl || semi < nl)) {
			const char *s = d;
			char *dep = xstrndup(d + 12, (size_t)(semi - d - 12));
			char *who;

			while (s > out && s[-1] != ' ' && s[-1] != '\n')
				s--;
			who = xstrndup(s, (size_t)(d - s));
			vs_report_add(t->rep, VS_RL_MISSING_DEPS, dep,
			    "needed by %s", who);
			free(dep);
			free(who);
		}
		p = d + 12;
	}
}

/* Debian's rpm prints two lines of advice on every call: drop them. */
static void
strip_rpm_noise(struct vs_buf *out)
{
	static const char *const noise[] = {
		"rpm: RPM should not be used directly install RPM packages, "
		    "use Alien instead!\n",
		"rpm: However assuming you know what you are doing...\n",
	};
	size_t i, l;
	char *p;

	for (i = 0; i < ARRAY_SIZE(noise); i++) {
		l = strlen(noise[i]);
		if ((p = memmem(out->buf, out->len, noise[i], l))) {
			memmove(p, p + l, out->len - (size_t)(p - out->buf) - l);
			vs_buf_setlen(out, out->len - l);
		}
	}
}

/* "%post(x) scriptlet failed, exit status 1" (heap), or NULL. */
static char *
scriptlet_failure(const char *out)
{
	const char *p = strstr(out, " scriptlet failed"), *b, *e;

	if (!p)
		return NULL;
	for (b = p; b > out && b[-1] != '\n' && b[-1] != ' '; b--)
		;
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	if (e - b > 200)
		e = b + 200;
	return xstrndup(b, (size_t)(e - b));
}

static int
run_pm(struct trial *t, const char *step, const char *check,
    const char *const *prefix, const struct strv *args, int *codep)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	_cleanup_free_ char **argv = make_argv(prefix, args);
	size_t s = step_begin(t, step);
	char ct[48], *scriptlet;
	int code = -1;

	if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code, &err) < 0) {
		vs_report_step_end(t->rep, s, VS_ST_ERROR, "%s", err.msg);
		vs_report_check(t->rep, check, VS_ST_ERROR, 0, "%s", err.msg);
		vs_buf_release(&out);
		return -1;
	}
	if (t->type == 'r')
		strip_rpm_noise(&out);
	vs_report_step_output(t->rep, s, out.buf, out.len, code);
	vs_trialvs_code_text(code, ct, sizeof(ct));
	/* rpm only warns when %post or %postun fail, and exits 0 */
	scriptlet = scriptlet_failure(out.buf);
	vs_report_step_end(t->rep, s, code || scriptlet ? VS_ST_FAIL :
	    VS_ST_PASS, "%s %s%s%s", argv[0], ct, scriptlet ? ", " : "",
	    scriptlet ? scriptlet : "");
	if (code == 0 && !scriptlet)
		vs_report_check(t->rep, check, VS_ST_PASS,
		    t->rep->steps[s].ms, NULL);
	else {
		size_t c = vs_report_check(t->rep, check, VS_ST_FAIL,
		    t->rep->steps[s].ms, "%s %s%s%s", argv[0], ct,
		    scriptlet ? ", " : "", scriptlet ? scriptlet : "");

		vs_report_check_output(t->rep, c, out.buf, out.len);
	}
	free(scriptlet);
	if (t->type == 'd' && strcmp(check, "install") == 0) {
		deb_deps_from_output(t, out.buf);
		deps_verdict(t, 0);
	}
	*codep = code;
	vs_buf_release(&out);
	return 0;
}

static int
install(struct trial *t)
{
	static const char *const rpmi[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-i", "--noplugins", "--nodeps", NULL };
	static const char *const dpkgi[] = { "dpkg", "--force-depends",
	    "--force-confnew", "-i", NULL };
	int code = 0;

	return run_pm(t, "install", "install", t->type == 'r' ? rpmi : dpkgi,
	    &t->files, &code) < 0 ? -1 : code;
}

/*
 * The in-VS path a package manager's path really names once directory
 * symlinks inside the VS are followed (on a merged-/usr system dpkg says
 * /lib/x, the tree holds /usr/lib/x).  Resolution stays inside the VS
 * (RESOLVE_IN_ROOT); NULL when it is the same path or cannot be resolved.
 */
static char *
canonical_path(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
		    RESOLVE_NO_XDEV,
	};
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	char lnk[64], real[PATH_MAX], root[PATH_MAX];
	ssize_t nr, nd;

	if (!slash || slash == path)
		return NULL;
	dir = xstrndup(path, (size_t)(slash - path));
	fd = (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", rootfd);
	nr = readlink(lnk, root, sizeof(root) - 1);
	snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
	nd = readlink(lnk, real, sizeof(real) - 1);
	if (nr <= 0 || nd <= 0)
		return NULL;
	root[nr] = real[nd] = '\0';
	if (strncmp(real, root, (size_t)nr) != 0 ||
	    (real[nr] != '/' && real[nr] != '\0'))
		return NULL;
	if ((size_t)(nd - nr) == (size_t)(slash - path) &&
	    strncmp(real + nr, path, (size_t)(slash - path)) == 0)
		return NULL;	/* no symlink on the way */
	return xasprintf("%s%s", real + nr, slash);
}

/* The files the packages own, from the package manager in the VS. */
static void
list_package_files(struct trial *t)
{
	static const char *const rpml[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-ql", NULL };
	static const char *const dpkgl[] = { "dpkg", "-L", NULL };
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	_cleanup_free_ char **argv = make_argv(t->type == 'r' ? rpml : dpkgl,
	    &t->names);
	char *line, *save = NULL;
	int code = 0;

	if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code, &err) == 0)
		for (line = strtok_r(out.buf, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save))
			if (line[0] == '/' && strcmp(line, "/.") != 0) {
				char *real = canonical_path(t->rootfd, line);

				strv_add(&t->pkglist, line);
				if (real)
					strv_add(&t->pkglist, real);
				free(real);
			}
	strv_sort(&t->pkglist);
	vs_buf_release(&out);
}

/* Is path one of the package's files, or a directory holding some? */
static int
in_package(const struct trial *t, const char *path, int dir)
{
	size_t lo = 0, hi = t->pkglist.n, mid, l;

	if (strv_has(&t->pkglist, path))
		return 1;
	if (!dir)
		return 0;
	/* first entry >= path + "/" */
	l = strlen(path);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(t->pkglist.v[mid], path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->pkglist.n && strncmp(t->pkglist.v[lo], path, l) == 0;
	    lo++)
		if (t->pkglist.v[lo][l] == '/')
			return 1;
	return 0;
}

static void
diff_detail(const struct vs_tdiff *d, char *buf, size_t size)
{
	char what[64];

	if (d->kind != VS_TDIFF_CHANGED) {
		snprintf(buf, size, "%s", vs_tdiff_kind_name(d->kind));
		return;
	}
	vs_tdiff_what(d->what & ~VS_TDIFF_INODE, what, sizeof(what));
	snprintf(buf, size, "changed: %s", what);
}

/* Set-id and world-writable files among what the install added. */
static void
note_modes(struct trial *t, const struct vs_tree_ent *b)
{
	if (S_ISREG(b->mode) && (b->mode & (S_ISUID | S_ISGID)))
		vs_report_add(t->rep, VS_RL_SETID, b->path, "mode %04o, "
		    "owner %ld", (unsigned)(b->mode & 07777),
		    (long)b->uid - (long)t->rec.uid_base);
	if (!S_ISLNK(b->mode) && (b->mode & S_IWOTH) &&
	    !(S_ISDIR(b->mode) && (b->mode & S_ISVTX)))
		vs_report_add(t->rep, VS_RL_WORLD_WRITABLE, b->path,
		    "mode %04o", (unsigned)(b->mode & 07777));
}

static void
classify_install(struct trial *t)
{
	struct vs_tdiff *d;
	size_t n, i;
	char det[96];

	vs_tree_diff(&t->before, &t->installed, &d, &n);
	for (i = 0; i < n; i++) {
		const struct vs_tree_ent *e = d[i].b ? d[i].b : d[i].a;

		if (d[i].kind == VS_TDIFF_CHANGED &&
		    !(d[i].what & ~VS_TDIFF_INODE))
			continue;
		if (is_pm_state(e->path))
			continue;
		diff_detail(&d[i], det, sizeof(det));
		if (d[i].b)
			note_modes(t, d[i].b);
		if (in_package(t, e->path, S_ISDIR(e->mode)))
			vs_report_add(t->rep, VS_RL_PKG_FILES, e->path, "%s",
			    det);
		else if (!vs_recipe_allowed(t->rc, e->path))
			vs_report_add(t->rep, VS_RL_OUTSIDE, e->path, "%s", det);
	}
	free(d);
}

/* Does any entry after d[i] (sorted by path) lie below it? */
static int
has_below(const struct vs_tdiff *d, size_t n, size_t i)
{
	const char *dir = (d[i].b ? d[i].b : d[i].a)->path;
	size_t l = strlen(dir), j;

	for (j = i + 1; j < n; j++) {
		const char *p = (d[j].b ? d[j].b : d[j].a)->path;

		if (strncmp(p, dir, l) != 0)
			break;
		if (p[l] == '/')
			return 1;
	}
	return 0;
}

static void
classify_leftovers(struct trial *t)
{
	struct vs_tdiff *d;
	size_t n, i;
	char det[96];

	vs_tree_diff(&t->before, &t->removed, &d, &n);
	for (i = 0; i < n; i++) {
		const struct vs_tree_ent *e = d[i].b ? d[i].b : d[i].a;

		if (d[i].kind == VS_TDIFF_CHANGED &&
		    !(d[i].what & ~VS_TDIFF_INODE))
			continue;
		if (is_pm_state(e->path) || vs_recipe_allowed(t->rc, e->path))
			continue;
		/* a parent directory the package manager made for the
		 * package's files (the skeleton lacked it) and that is now
		 * empty is not the package's doing */
		if (d[i].kind == VS_TDIFF_ADDED && S_ISDIR(e->mode) &&
		    in_package(t, e->path, 1) && !has_below(d, n, i))
			continue;
		diff_detail(&d[i], det, sizeof(det));
		vs_report_add(t->rep, VS_RL_LEFTOVERS, e->path, "%s", det);
	}
	free(d);
}

static int
record(struct trial *t, const char *step, struct vs_tree *into,
    struct vs_tree *prev, struct vs_err *err)
{
	size_t s = step_begin(t, step);

	if (vs_tree_record(into, t->rootfd, prev, t->skelfd, VS_TREE_HASH,
	    TRIAL_MAX_HASH, err) < 0) {
		vs_report_step_end(t->rep, s, VS_ST_ERROR, "%s", err->msg);
		return -1;
	}
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%zu entries", into->n);
	return 0;
}

static void
verify(struct trial *t)
{
	static const char *const rpmv[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-V", "--nodeps", "--noplugins", NULL };
	static const char *const dpkgv[] = { "dpkg", "--verify", NULL };
	int code = 0;

	if (!t->rc->verify) {
		vs_report_check(t->rep, "verify", VS_ST_SKIP, 0,
		    "the recipe says verify no");
		return;
	}
	run_pm(t, "verify", "verify", t->type == 'r' ? rpmv : dpkgv,
	    &t->names, &code);
}

/* ---- recipe checks ---------------------------------------------------------- */

static void
check_run(struct trial *t, const struct vs_check *c, long long left)
{
	char *argv[] = { "/bin/sh", "-c", c->arg, NULL };
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	long long lim = c->timeout ? c->timeout * 1000LL : left, t0;
	_cleanup_free_ char *name = xasprintf("run: %s", c->arg);
	char ct[48];
	size_t i;
	int code = 0;

	if (lim > left)
		lim = left;
	t0 = vs_report_now_ms();
	if (vs_trialvs_exec(&t->v, argv, lim, &out, &code, &err) < 0) {
		vs_report_check(t->rep, name, VS_ST_FAIL, 0, "%s", err.msg);
		return;
	}
	vs_trialvs_code_text(code, ct, sizeof(ct));
	if (code != c->exit_code) {
		i = vs_report_check(t->rep, name, VS_ST_FAIL,
		    vs_report_now_ms() - t0, "%s, expected exit %d", ct,
		    c->exit_code);
		vs_report_check_output(t->rep, i, out.buf, out.len);
	} else if (c->output && !memmem(out.buf, out.len, c->output,
	    strlen(c->output))) {
		i = vs_report_check(t->rep, name, VS_ST_FAIL,
		    vs_report_now_ms() - t0, "output lacks '%s'", c->output);
		vs_report_check_output(t->rep, i, out.buf, out.len);
	} else
		vs_report_check(t->rep, name, VS_ST_PASS,
		    vs_report_now_ms() - t0, NULL);
	vs_buf_release(&out);
}

static void
check_file(struct trial *t, const struct vs_check *c)
{
	static const char *const tests[] = { "exists", "absent", "mode",
	    "owner" };
	_cleanup_free_ char *name = xasprintf("file %s %s", c->arg,
	    tests[c->ftest]);
	_cleanup_close_ int fd = -1;
	struct stat st;
	long uid;

	/* the last component may be a symlink: look at it, not through */
	fd = vs_open_in_root(t->rootfd, c->arg, O_PATH);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (c->ftest == VS_FILE_ABSENT && errno == ENOENT)
			vs_report_check(t->rep, name, VS_ST_PASS, 0, NULL);
		else
			vs_report_check(t->rep, name, VS_ST_FAIL, 0, "%s: %s",
			    c->arg, errno == ELOOP ? "a symlink is on the way"
			    : strerror(errno));
		return;
	}
	uid = (long)st.st_uid - (long)t->rec.uid_base;
	if (uid < 0 || uid >= t->rec.uid_count)
		uid = 65534;	/* unmapped: nobody, as the VS sees it */
	switch (c->ftest) {
	case VS_FILE_EXISTS:
		vs_report_check(t->rep, name, VS_ST_PASS, 0, NULL);
		break;
	case VS_FILE_ABSENT:
		vs_report_check(t->rep, name, VS_ST_FAIL, 0, "it exists");
		break;
	case VS_FILE_MODE:
		if ((st.st_mode & 07777) == c->mode)
			vs_report_check(t->rep, name, VS_ST_PASS, 0, NULL);
		else
			vs_report_check(t->rep, name, VS_ST_FAIL, 0,
			    "mode is %04o, not %04o",
			    (unsigned)(st.st_mode & 07777), c->mode);
		break;
	case VS_FILE_OWNER:
		if (uid == c->owner)
			vs_report_check(t->rep, name, VS_ST_PASS, 0, NULL);
		else
			vs_report_check(t->rep, name, VS_ST_FAIL, 0,
			    "owner is %ld, not %lld", uid, c->owner);
		break;
	}
}

/* Wait (within left ms, at most 10 s) for something to listen. */
static int
wait_port(struct trial *t, int port, int udp, long long left)
{
	long long end = vs_report_now_ms() + (left < 10000 ? left : 10000);
	struct timespec ts = { 0, 50 * 1000000 };
	int found = 0;

	for (;;) {
		vs_trialvs_ports(&t->v, t->rep, VS_RL_PORTS, port, udp, &found);
		if (found || vs_report_now_ms() >= end)
			return found;
		nanosleep(&ts, NULL);
	}
}

static void
check_port(struct trial *t, const struct vs_check *c, long long left)
{
	_cleanup_free_ char *name = xasprintf("port %d/%s", c->port,
	    c->udp ? "udp" : "tcp");
	long long t0 = vs_report_now_ms();

	if (wait_port(t, c->port, c->udp, left))
		vs_report_check(t->rep, name, VS_ST_PASS,
		    vs_report_now_ms() - t0, NULL);
	else
		vs_report_check(t->rep, name, VS_ST_FAIL,
		    vs_report_now_ms() - t0, "nothing listens");
}

static void
check_service(struct trial *t, const struct vs_check *c, long long left)
{
	_cleanup_free_ char *script = xasprintf("/etc/init.d/%s", c->arg);
	_cleanup_free_ char *name = xasprintf("service %s", c->arg);
	char *argv[] = { script, "start", NULL };
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	long long t0 = vs_report_now_ms();
	char ct[48];
	size_t i;
	int code = 0;

	if (vs_trialvs_exec(&t->v, argv, left, &out, &code, &err) < 0)
		vs_report_check(t->rep, name, VS_ST_FAIL, 0, "%s", err.msg);
	else if (code) {
		i = vs_report_check(t->rep, name, VS_ST_FAIL,
		    vs_report_now_ms() - t0, "%s start: %s", script,
		    vs_trialvs_code_text(code, ct, sizeof(ct)));
		vs_report_check_output(t->rep, i, out.buf, out.len);
	} else if (c->port && !wait_port(t, c->port, 0,
	    left - (vs_report_now_ms() - t0)))
		vs_report_check(t->rep, name, VS_ST_FAIL,
		    vs_report_now_ms() - t0, "started, but nothing listens "
		    "on port %d", c->port);
	else
		vs_report_check(t->rep, name, VS_ST_PASS,
		    vs_report_now_ms() - t0, NULL);
	vs_buf_release(&out);
}

static void
recipe_checks(struct trial *t)
{
	long long end, left;
	size_t i, s;

	if (!t->rc->n_checks)
		return;
	s = step_begin(t, "recipe checks");
	end = vs_report_now_ms() + t->rc->timeout * 1000LL;
	for (i = 0; i < t->rc->n_checks; i++) {
		const struct vs_check *c = &t->rc->checks[i];

		left = end - vs_report_now_ms();
		if (left <= 0) {
			vs_report_check(t->rep, c->arg, VS_ST_FAIL, 0,
			    "not run: the recipe's %d s budget is used up "
			    "(line %d)", t->rc->timeout, c->line);
			continue;
		}
		switch (c->kind) {
		case VS_CHECK_RUN: check_run(t, c, left); break;
		case VS_CHECK_FILE: check_file(t, c); break;
		case VS_CHECK_PORT: check_port(t, c, left); break;
		case VS_CHECK_SERVICE: check_service(t, c, left); break;
		}
	}
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%zu checks",
	    t->rc->n_checks);
}

/* One check per policy, from the lists the trial filled. */
static void
policy_checks(struct trial *t)
{
	static const struct {
		enum vs_policy_kind k;
		enum vs_report_list_kind l1, l2;
		const char *what;
	} map[] = {
		{ VS_POL_LEFTOVERS, VS_RL_LEFTOVERS, VS_RL_COUNT,
		    "left after removal" },
		{ VS_POL_OUTSIDE, VS_RL_OUTSIDE, VS_RL_COUNT,
		    "changed outside the package's files" },
		{ VS_POL_PROCESSES, VS_RL_PROCS_REMOVED, VS_RL_COUNT,
		    "still running after removal" },
		{ VS_POL_USERS, VS_RL_USERS, VS_RL_GROUPS,
		    "users or groups added" },
		{ VS_POL_SETID, VS_RL_SETID, VS_RL_WORLD_WRITABLE,
		    "set-id or world-writable files" },
		{ VS_POL_PORTS, VS_RL_PORTS, VS_RL_COUNT,
		    "ports listening after install" },
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		enum vs_policy p = t->rc->policy[map[i].k];

		n = t->rep->lists[map[i].l1].n;
		if (map[i].l2 != VS_RL_COUNT)
			n += t->rep->lists[map[i].l2].n;
		if (p == VS_POLICY_IGNORE) {
			vs_report_clear_list(t->rep, map[i].l1);
			if (map[i].l2 != VS_RL_COUNT)
				vs_report_clear_list(t->rep, map[i].l2);
			continue;
		}
		if (n == 0)
			vs_report_check(t->rep, vs_policy_kind_name(map[i].k),
			    VS_ST_PASS, 0, NULL);
		else
			vs_report_check(t->rep, vs_policy_kind_name(map[i].k),
			    p == VS_POLICY_FAIL ? VS_ST_FAIL : VS_ST_INFO, 0,
			    "%zu %s", n, map[i].what);
	}
}

/* Attempts to reach other hosts during the whole trial: with loopback
 * only, each shows as a packet without a route.  Reported, not failed: a
 * package may probe the network and cope without it. */
static void
network_check(struct trial *t)
{
	long long n = vs_trialvs_noroutes(&t->v);

	if (n < 0 || t->noroutes0 < 0)
		vs_report_check(t->rep, "network", VS_ST_SKIP, 0,
		    "the VS's network counters cannot be read");
	else if (n - t->noroutes0 == 0)
		vs_report_check(t->rep, "network", VS_ST_PASS, 0, NULL);
	else
		vs_report_check(t->rep, "network", VS_ST_INFO, 0,
		    "%lld attempt(s) to reach a network the VS %s", n -
		    t->noroutes0, t->rc->network ? "has no route to" :
		    "does not have (loopback only)");
}

/* ---- discard and repair ----------------------------------------------------- */

int
vs_trial_discard(const struct vs_conf *conf, const char *vs,
    struct vs_err *err)
{
	/* nothing in a trial VS deserves a graceful stop */
	if (vs_run_stop(conf, vs, 0, err) < 0 && errno != ENOENT)
		return -1;
	return vs_delete(conf, vs, err);
}

/* A trial killed while its record was being written leaves the
 * temporary file of vs_rec_save() (state.c: ".NAME.tmp"): never renamed,
 * so never a record; remove it. */
static void
drop_tmp_record(const struct vs_conf *conf, const char *name)
{
	_cleanup_free_ char *dir = vs_conf_dir(conf, "state/vs");
	_cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);

	if (dfd >= 0)
		unlinkat(dfd, tmp, 0);
}

int
vs_trial_repair(const struct vs_conf *conf, const struct vs_journal_entry *e,
    struct vs_buf *report, struct vs_err *err)
{
	struct vs_journal_entry d;
	struct vs_err e2 = VS_ERR_INIT;
	struct vs_rec rec;
	struct timespec ts;
	int lk;

	if (!vs_valid_name(e->detail) || strncmp(e->detail, VS_TRIAL_PREFIX,
	    strlen(VS_TRIAL_PREFIX)) != 0)
		return vs_err_set(err, EUCLEAN, "bad trial VS name '%s'",
		    e->detail);
	drop_tmp_record(conf, e->detail);
	if (vs_rec_load(conf, e->detail, &rec, &e2) < 0) {
		if (errno != ENOENT)
			return vs_err_set(err, e2.errnum, "%s", e2.msg);
		/* never created, or its create was rolled back */
		if (report)
			vs_buf_addf(report, "trial %s: no VS left\n",
			    e->detail);
		return 0;
	}
	if (!rec.disposable)
		return vs_err_set(err, EPERM, "VS '%s' is not disposable: "
		    "not removing it", e->detail);
	if (vs_run_stop(conf, e->detail, 0, err) < 0)
		return -1;
	/* reconcile holds the global lock, so vs_delete() would wait for
	 * it: do its steps under the VS's own lock */
	lk = vs_state_lock(conf, e->detail, 1, err);
	if (lk < 0)
		return -1;
	memset(&d, 0, sizeof(d));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(d.name, sizeof(d.name), "%.32s", e->detail);
	snprintf(d.detail, sizeof(d.detail), ".del-%.32s-%llx-%d", e->detail,
	    (unsigned long long)ts.tv_nsec, (int)getpid());
	d.id = vs_journal_begin(conf, "delete", d.name, d.detail, err);
	if (d.id < 0 || vs_root_repair_delete(conf, &d, NULL, err) < 0 ||
	    vs_journal_end(conf, d.id, err) < 0) {
		close(lk);
		return -1;
	}
	close(lk);
	if (report)
		vs_buf_addf(report, "trial %s: stopped and deleted its VS\n",
		    e->detail);
	return 0;
}

/* ---- the trial ------------------------------------------------------------- */

static int
open_packages(struct trial *t, char *const *paths, int *fds, size_t *np,
    struct vs_err *err)
{
	size_t n = 0;
	int type;

	for (; paths && paths[n]; n++) {
		struct stat st;

		if (n >= TRIAL_PKG_MAX)
			return vs_err_set(err, E2BIG, "more than %d packages",
			    TRIAL_PKG_MAX);
		fds[n] = open(paths[n], O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK);
		*np = n + (fds[n] >= 0);
		if (fds[n] < 0)
			return vs_err_sys(err, "cannot open '%s'", paths[n]);
		if (fstat(fds[n], &st) < 0 || !S_ISREG(st.st_mode))
			return vs_err_set(err, EINVAL, "'%s' is not a "
			    "regular file", paths[n]);
		type = vs_trial_pkg_type(fds[n]);
		if (!type)
			return vs_err_set(err, EINVAL, "'%s' is neither an "
			    "rpm nor a deb package", paths[n]);
		if (t->type && type != t->type)
			return vs_err_set(err, EINVAL, "'%s': rpm and deb "
			    "packages cannot be mixed in one trial",
			    paths[n]);
		t->type = type;
		vs_report_add(t->rep, VS_RL_PACKAGES, paths[n], "%s",
		    type == 'r' ? "rpm" : "deb");
	}
	if (n == 0)
		return vs_err_set(err, EINVAL, "no package to try");
	return 0;
}

static int
fail_step(struct trial *t, size_t s, struct vs_err *err)
{
	vs_report_step_end(t->rep, s, VS_ST_ERROR, "%s", err->msg);
	return -1;
}

static int
trial_body(struct trial *t, int *fds, size_t nfds, struct vs_err *err)
{
	static const char *const rpmdb[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "--initdb", NULL };
	static const char *const rpme[] = { "rpm", "--dbpath", TRIAL_DBPATH,
	    "-e", "--noplugins", "--nodeps", NULL };
	static const char *const dpkgp[] = { "dpkg", "--force-depends",
	    "--purge", NULL };
	struct strv none = { 0 };
	size_t s;
	int code = 0;

	s = step_begin(t, "create disposable VS");
	if (create_vs(t, err) < 0)
		return fail_step(t, s, err);
	free(t->rep->vs);
	t->rep->vs = xstrdup(t->vs);
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%s", t->vs);

	s = step_begin(t, "start VS");
	if (start_vs(t, err) < 0)
		return fail_step(t, s, err);
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%s",
	    t->rc->network ? "with network" : "loopback only");

	s = step_begin(t, "copy packages in");
	if (copy_packages(t, fds, nfds, err) < 0 || query_names(t, err) < 0)
		return fail_step(t, s, err);
	if (t->type == 'r') {
		/* Debian's rpm keeps its database in ~ unless told: give
		 * the VS one at the usual place */
		struct vs_buf out = VS_BUF_INIT;
		_cleanup_free_ char **argv = make_argv(rpmdb, &none);

		if (vs_trialvs_exec(&t->v, argv, step_ms(t), &out, &code,
		    err) < 0 || code != 0) {
			if (code)
				vs_err_set(err, EIO, "rpm --initdb: %.200s",
				    out.buf);
			vs_buf_release(&out);
			return fail_step(t, s, err);
		}
		vs_buf_release(&out);
	}
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%zu package(s)", nfds);

	if (record(t, "record tree", &t->before, NULL, err) < 0)
		return -1;
	read_accounts(t->rootfd, "/etc/passwd", &t->users0);
	read_accounts(t->rootfd, "/etc/group", &t->groups0);
	t->noroutes0 = vs_trialvs_noroutes(&t->v);

	check_deps(t);
	if (install(t) < 0)
		return vs_err_set(err, EIO, "cannot run the package manager "
		    "in the VS");

	s = step_begin(t, "inspect");
	list_package_files(t);
	vs_trialvs_processes(&t->v, t->rep, VS_RL_PROCS_INSTALLED);
	vs_trialvs_ports(&t->v, t->rep, VS_RL_PORTS, 0, 0, NULL);
	report_accounts(t, "/etc/passwd", &t->users0, VS_RL_USERS);
	report_accounts(t, "/etc/group", &t->groups0, VS_RL_GROUPS);
	if (vs_tree_record(&t->installed, t->rootfd, &t->before, t->skelfd,
	    VS_TREE_HASH, TRIAL_MAX_HASH, err) < 0)
		return fail_step(t, s, err);
	classify_install(t);
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%zu files in the package, "
	    "%zu changed outside", t->rep->lists[VS_RL_PKG_FILES].n,
	    t->rep->lists[VS_RL_OUTSIDE].n);

	verify(t);
	recipe_checks(t);

	if (run_pm(t, "remove", "remove", t->type == 'r' ? rpme : dpkgp,
	    &t->names, &code) < 0)
		return vs_err_set(err, EIO, "cannot run the package manager "
		    "in the VS");
	s = step_begin(t, "record leftovers");
	vs_trialvs_processes(&t->v, t->rep, VS_RL_PROCS_REMOVED);
	if (vs_tree_record(&t->removed, t->rootfd, &t->before, t->skelfd,
	    VS_TREE_HASH, TRIAL_MAX_HASH, err) < 0)
		return fail_step(t, s, err);
	classify_leftovers(t);
	vs_report_step_end(t->rep, s, VS_ST_PASS, "%zu left",
	    t->rep->lists[VS_RL_LEFTOVERS].n);
	policy_checks(t);
	network_check(t);
	return 0;
}

int
vs_trial_run(const struct vs_conf *conf, const struct vs_trial_opts *o,
    struct vs_report *rep, struct vs_err *err)
{
	struct trial t;
	int fds[TRIAL_PKG_MAX];
	size_t nfds = 0, i, s;
	long long t0 = vs_report_now_ms();
	struct vs_err e2 = VS_ERR_INIT;
	int rc, keep;

	memset(&t, 0, sizeof(t));
	t.conf = conf;
	t.o = o;
	t.rc = o->recipe;
	t.rep = rep;
	t.lockfd = t.rootfd = t.skelfd = -1;
	t.jid = -1;
	rc = open_packages(&t, o->packages ? o->packages : t.rc->packages,
	    fds, &nfds, err);
	if (rc == 0)
		rc = trial_body(&t, fds, nfds, err);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc < 0) {
		free(rep->error);
		rep->error = xstrdup(err->msg);
	}
	keep = t.created && (o->keep || (o->keep_on_fail &&
	    vs_report_verdict(rep) != 0));
	if (t.created && !keep) {
		if (t.rootfd >= 0)
			close(t.rootfd);
		t.rootfd = -1;
		s = step_begin(&t, "discard VS");
		if (vs_trial_discard(conf, t.vs, &e2) < 0) {
			vs_report_step_end(rep, s, VS_ST_ERROR, "%s (the next "
			    "reconcile removes it)", e2.msg);
			t.jid = -1;	/* keep the entry for reconcile */
		} else
			vs_report_step_end(rep, s, VS_ST_PASS, NULL);
	}
	if (keep)
		rep->kept = 1;
	if (t.jid > 0)
		vs_journal_end(conf, t.jid, NULL);
	if (t.lockfd >= 0)
		close(t.lockfd);
	if (t.rootfd >= 0)
		close(t.rootfd);
	if (t.skelfd >= 0)
		close(t.skelfd);
	vs_tree_release(&t.before);
	vs_tree_release(&t.installed);
	vs_tree_release(&t.removed);
	strv_release(&t.files);
	strv_release(&t.names);
	strv_release(&t.pkglist);
	strv_release(&t.users0);
	strv_release(&t.groups0);
	rep->total_ms = vs_report_now_ms() - t0;
	return rc;
}
