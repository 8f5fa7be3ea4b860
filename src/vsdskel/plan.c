/* plan.c - decide what a skeleton holds: host packages (dpkg database)
 * with their dependencies, take patterns, empty directories, minus
 * excludes; or a whole tree for --from. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fswalk.h"
#include "log.h"
#include "vsdskel.h"
#include "xmem.h"
#include "banned.h"

#define MAX_HOPS	40
#define STATUS_MAX	(256L * 1024 * 1024)

void
plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->e[i].path);
		free(p->e[i].content);
	}
	free(p->e);
	memset(p, 0, sizeof(*p));
}

static void
plan_add(struct plan *p, const char *path, const struct stat *st)
{
	struct plan_ent *e;

	xgrow(&p->e, sizeof(*p->e), p->n + 1, &p->alloc);
	e = &p->e[p->n++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	e->st = *st;
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_ent *)a)->path,
	    ((const struct plan_ent *)b)->path);
}

/* Sort, drop duplicates (keeping generated content), count. */
static void
plan_finish(struct plan *p)
{
	size_t i, j = 0;

	if (p->n > 1)
		qsort(p->e, p->n, sizeof(*p->e), ent_cmp);
	for (i = 0; i < p->n; i++) {
		if (j > 0 && strcmp(p->e[j - 1].path, p->e[i].path) == 0) {
			if (p->e[i].content && !p->e[j - 1].content) {
				p->e[j - 1].content = p->e[i].content;
				p->e[j - 1].content_len = p->e[i].content_len;
				p->e[i].content = NULL;
			}
			free(p->e[i].path);
			free(p->e[i].content);
			continue;
		}
		p->e[j++] = p->e[i];
	}
	p->n = j;
	p->bytes = 0;
	p->files = 0;
	for (i = 0; i < p->n; i++) {
		if (!S_ISDIR(p->e[i].st.st_mode))
			p->files++;
		if (S_ISREG(p->e[i].st.st_mode))
			p->bytes += p->e[i].content ?
			    (long long)p->e[i].content_len :
			    p->e[i].st.st_size;
	}
}

static int
takeable(struct plan *p, const struct stat *st)
{
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) ||
	    S_ISLNK(st->st_mode))
		return 1;
	p->skipped++;
	return 0;
}

/* ---- whole trees ------------------------------------------------------- */

struct tree_ctx {
	struct plan *p;
	const struct vs_skelconf *sc;
	const char *prefix;	/* "" or "usr/share/x" for subtrees */
	struct vs_buf full;
};

static int
tree_cb(void *ctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	struct tree_ctx *t = ctx;

	(void)err;
	vs_buf_reset(&t->full);
	if (*t->prefix)
		vs_buf_addf(&t->full, "%s/", t->prefix);
	vs_buf_adds(&t->full, e->path);
	if (vs_globs_match(&t->sc->exclude, t->full.buf))
		return VS_FSWALK_SKIP;
	if (!takeable(t->p, e->st))
		return 0;
	plan_add(t->p, t->full.buf, e->st);
	if (e->mount) {
		/* a mount point: the directory, none of the other fs */
		return 0;
	}
	if (S_ISDIR(e->st->st_mode) && vs_globs_match(&t->sc->empty,
	    t->full.buf) && !vs_globs_match(&t->sc->include, t->full.buf))
		return VS_FSWALK_SKIP;
	return 0;
}

static int
walk_subtree(struct plan *p, int dirfd, const char *prefix,
    const struct vs_skelconf *sc, struct vs_err *err)
{
	struct tree_ctx t = { p, sc, prefix, VS_BUF_INIT };
	int rc = vs_fswalk(dirfd, tree_cb, &t, 0, err);

	vs_buf_release(&t.full);
	return rc;
}

int
plan_tree(struct plan *p, int srcfd, const struct vs_skelconf *sc,
    struct vs_err *err)
{
	if (walk_subtree(p, srcfd, "", sc, err) < 0)
		return -1;
	plan_finish(p);
	return 0;
}

/* ---- host paths -------------------------------------------------------- */

/* Drop the last component of a relative path in b. */
static void
path_up(struct vs_buf *b)
{
	char *s = strrchr(b->buf, '/');

	vs_buf_setlen(b, s ? (size_t)(s - b->buf) : 0);
}

/*
 * Resolve abs (an absolute host path) in the source tree component by
 * component, adding every directory and symlink met on the way, and the
 * object itself; symlinks among the components are followed (their target
 * is resolved too) but the kernel never follows one for us.  subtree: a
 * directory at the end brings all it holds.
 */
static int
add_path(struct plan *p, int srcfd, const char *abs, int subtree,
    const struct vs_skelconf *sc, int hops, struct vs_err *err)
{
	struct vs_buf cur = VS_BUF_INIT, rest = VS_BUF_INIT, next = VS_BUF_INIT;
	struct stat st;
	int rc = 0;

	vs_buf_adds(&rest, abs);
	while (rest.len > 0) {
		char *s = rest.buf, *slash;
		size_t clen;

		while (*s == '/')
			s++;
		if (*s == '\0')
			break;
		slash = strchrnul(s, '/');
		clen = (size_t)(slash - s);
		vs_buf_reset(&next);
		vs_buf_add(&next, s, clen);
		{
			/* rest = what follows this component */
			struct vs_buf r = VS_BUF_INIT;

			vs_buf_adds(&r, slash);
			vs_buf_release(&rest);
			rest = r;
		}
		if (!strcmp(next.buf, "."))
			continue;
		if (!strcmp(next.buf, "..")) {
			path_up(&cur);
			continue;
		}
		if (cur.len)
			vs_buf_addch(&cur, '/');
		vs_buf_adds(&cur, next.buf);
		if (vs_globs_match(&sc->exclude, cur.buf))
			goto out;	/* excluded: silently not taken */
		if (fstatat(srcfd, cur.buf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT || errno == ENOTDIR) {
				log_debug("%s: '%s' not found", __func__, abs);
				goto out;
			}
			rc = vs_err_sys(err, "cannot stat '/%s'", cur.buf);
			goto out;
		}
		if (!takeable(p, &st))
			goto out;
		plan_add(p, cur.buf, &st);
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(srcfd, cur.buf, target,
			    sizeof(target) - 1);
			struct vs_buf r = VS_BUF_INIT;

			if (n <= 0) {
				rc = vs_err_sys(err, "cannot read link '/%s'",
				    cur.buf);
				goto out;
			}
			target[n] = '\0';
			if (++hops > MAX_HOPS) {
				rc = vs_err_set(err, ELOOP, "'%s': too many "
				    "symlinks", abs);
				goto out;
			}
			path_up(&cur);
			if (target[0] == '/')
				vs_buf_reset(&cur);
			/* the link's target, then what followed the link */
			vs_buf_addf(&r, "%s%s", target, rest.buf);
			vs_buf_release(&rest);
			rest = r;
			continue;
		}
		if (rest.len > 0 && strspn(rest.buf, "/") < rest.len &&
		    !S_ISDIR(st.st_mode))
			goto out;	/* a file in the middle: no such path */
	}
	if (subtree && cur.len && S_ISDIR(st.st_mode) &&
	    !vs_globs_match(&sc->empty, cur.buf)) {
		int fd = openat(srcfd, cur.buf, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			rc = vs_err_sys(err, "cannot open '/%s'", cur.buf);
			goto out;
		}
		rc = walk_subtree(p, fd, cur.buf, sc, err);
		close(fd);
	}
out:
	vs_buf_release(&cur);
	vs_buf_release(&rest);
	vs_buf_release(&next);
	return rc;
}

/* Expand an absolute glob on the source and add every match. */
static int
add_glob(struct plan *p, int srcfd, const char *pat, int subtree, int warn,
    const struct vs_skelconf *sc, struct vs_err *err)
{
	glob_t g;
	size_t i;
	int rc;

	/* plan_host only runs with the source at "/" (see there) */
	rc = glob(pat, GLOB_PERIOD | GLOB_NOSORT, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		if (warn)
			log_warnx("skel.conf: no match for '%s'", pat);
		return 0;
	}
	if (rc != 0)
		return vs_err_set(err, EIO, "cannot expand '%s'", pat);
	for (i = 0; i < g.gl_pathc && rc == 0; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/');

		if (base && (!strcmp(base, "/.") || !strcmp(base, "/..")))
			continue;
		rc = add_path(p, srcfd, g.gl_pathv[i], subtree, sc, 0, err);
	}
	globfree(&g);
	return rc;
}

/* ---- dpkg ------------------------------------------------------------ */

struct pkg {
	char *name;
	char *arch;
	const char *stanza;	/* into the status text */
	size_t stanza_len;
	char *depends;		/* Pre-Depends ", " Depends */
	char *provides;
	int installed;
	int wanted;
};

struct pkgdb {
	struct vs_buf text;
	struct pkg *p;
	size_t n, alloc;
};

/* Value of field (without the "Name: " part), heap, or NULL. */
static char *
field(const char *stanza, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *s = stanza, *end = stanza + len;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - s) > nl + 1 && !strncmp(s, name, nl) &&
		    s[nl] == ':') {
			const char *v = s + nl + 1;

			while (v < eol && *v == ' ')
				v++;
			return xstrndup(v, (size_t)(eol - v));
		}
		s = eol + 1;
	}
	return NULL;
}

static void
pkgdb_release(struct pkgdb *db)
{
	size_t i;

	for (i = 0; i < db->n; i++) {
		free(db->p[i].name);
		free(db->p[i].arch);
		free(db->p[i].depends);
		free(db->p[i].provides);
	}
	free(db->p);
	vs_buf_release(&db->text);
}

static int
pkgdb_load(struct pkgdb *db, int srcfd, struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	const char *s, *end;

	fd = openat(srcfd, "var/lib/dpkg/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '/var/lib/dpkg/status'");
	if (vs_buf_read_fd(&db->text, fd, STATUS_MAX) < 0)
		return vs_err_sys(err, "cannot read '/var/lib/dpkg/status'");
	s = db->text.buf;
	end = s + db->text.len;
	while (s < end) {
		const char *e = strstr(s, "\n\n");
		size_t len;
		char *status, *pre, *dep;
		struct pkg *k;

		len = e ? (size_t)(e - s) + 1 : (size_t)(end - s);
		xgrow(&db->p, sizeof(*db->p), db->n + 1, &db->alloc);
		k = &db->p[db->n];
		memset(k, 0, sizeof(*k));
		k->name = field(s, len, "Package");
		if (k->name) {
			db->n++;
			k->arch = field(s, len, "Architecture");
			k->stanza = s;
			k->stanza_len = len;
			status = field(s, len, "Status");
			k->installed = status &&
			    !strcmp(status, "install ok installed");
			free(status);
			pre = field(s, len, "Pre-Depends");
			dep = field(s, len, "Depends");
			k->depends = xasprintf("%s, %s", pre ? pre : "",
			    dep ? dep : "");
			free(pre);
			free(dep);
			k->provides = field(s, len, "Provides");
		}
		s = e ? e + 2 : end;
	}
	return 0;
}

/* Is name one of the comma-separated "name (ver)" items of list? */
static int
list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *s = list;

	while (s && *s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!strncmp(s, name, nl) && strchr(" ,(:", s[nl]))
			return 1;
		s = strchr(s, ',');
	}
	return 0;
}

static struct pkg *
pkg_find(struct pkgdb *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (db->p[i].installed && !strcmp(db->p[i].name, name))
			return &db->p[i];
	for (i = 0; i < db->n; i++)
		if (db->p[i].installed && db->p[i].provides &&
		    list_has(db->p[i].provides, name))
			return &db->p[i];
	return NULL;
}

/* Mark k and, recursively, the first installed alternative of each of
 * its dependencies. */
static void
pkg_want(struct pkgdb *db, struct pkg *k, int depth)
{
	char *deps, *clause, *save = NULL;

	if (k->wanted || depth > 200)
		return;
	k->wanted = 1;
	deps = xstrdup(k->depends);
	for (clause = strtok_r(deps, ",", &save); clause;
	    clause = strtok_r(NULL, ",", &save)) {
		char *alt, *save2 = NULL;

		for (alt = strtok_r(clause, "|", &save2); alt;
		    alt = strtok_r(NULL, "|", &save2)) {
			char name[256];
			struct pkg *d;

			while (*alt == ' ')
				alt++;
			if (sscanf(alt, "%255[a-z0-9+.-]", name) != 1)
				continue;
			d = pkg_find(db, name);
			if (d) {
				pkg_want(db, d, depth + 1);
				break;
			}
		}
	}
	free(deps);
}

/* Add the files dpkg lists for k. */
static int
pkg_add_files(struct plan *p, int srcfd, const struct pkg *k,
    const struct vs_skelconf *sc, struct vs_err *err)
{
	_cleanup_free_ char *list = NULL, *pat = NULL;
	struct vs_buf text = VS_BUF_INIT;
	char *line, *save = NULL;
	int fd, rc = 0;

	list = xasprintf("var/lib/dpkg/info/%s:%s.list", k->name,
	    k->arch ? k->arch : "all");
	fd = openat(srcfd, list, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(list);
		list = xasprintf("var/lib/dpkg/info/%s.list", k->name);
		fd = openat(srcfd, list, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return vs_err_sys(err, "package '%s': cannot open '/%s'",
		    k->name, list);
	if (vs_buf_read_fd(&text, fd, STATUS_MAX) < 0) {
		close(fd);
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read '/%s'", list);
	}
	close(fd);
	for (line = strtok_r(text.buf, "\n", &save); line && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '/' || !strcmp(line, "/."))
			continue;
		rc = add_path(p, srcfd, line, 0, sc, 0, err);
	}
	vs_buf_release(&text);
	/* dpkg's own records of the package: prerm, md5sums, list... */
	if (rc == 0) {
		pat = xasprintf("/var/lib/dpkg/info/%s.*", k->name);
		rc = add_glob(p, srcfd, pat, 0, 0, sc, err);
		free(pat);
		pat = xasprintf("/var/lib/dpkg/info/%s:*", k->name);
		if (rc == 0)
			rc = add_glob(p, srcfd, pat, 0, 0, sc, err);
	}
	return rc;
}

/* The packages of the skeleton with their dependencies; their files; a
 * dpkg status that lists exactly them. */
static int
add_packages(struct plan *p, int srcfd, const struct vs_skelconf *sc,
    struct vs_err *err)
{
	struct pkgdb db = { VS_BUF_INIT, NULL, 0, 0 };
	struct vs_buf status = VS_BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	if (pkgdb_load(&db, srcfd, err) < 0) {
		pkgdb_release(&db);
		return -1;
	}
	for (i = 0; i < sc->n_packages; i++) {
		struct pkg *k = pkg_find(&db, sc->packages[i]);

		if (k == NULL) {
			rc = vs_err_set(err, ENOENT, "package '%s' is not "
			    "installed on this host", sc->packages[i]);
			goto out;
		}
		pkg_want(&db, k, 0);
	}
	for (i = 0; i < db.n && rc == 0; i++) {
		if (!db.p[i].wanted)
			continue;
		p->packages++;
		rc = pkg_add_files(p, srcfd, &db.p[i], sc, err);
		vs_buf_add(&status, db.p[i].stanza, db.p[i].stanza_len);
		vs_buf_addch(&status, '\n');
	}
	if (rc == 0 && !vs_globs_match(&sc->exclude, "var/lib/dpkg/status")) {
		if (fstatat(srcfd, "var/lib/dpkg/status", &st, 0) < 0) {
			rc = vs_err_sys(err, "cannot stat "
			    "'/var/lib/dpkg/status'");
			goto out;
		}
		rc = add_path(p, srcfd, "/var/lib/dpkg", 0, sc, 0, err);
		plan_add(p, "var/lib/dpkg/status", &st);
		p->e[p->n - 1].content_len = status.len;
		p->e[p->n - 1].content = vs_buf_detach(&status, NULL);
	}
out:
	vs_buf_release(&status);
	pkgdb_release(&db);
	return rc;
}

/*
 * The host's account files carry its people: names, full names, home
 * paths.  Every VS would show them (an information leak about the host)
 * and a VS's own uid 1000 would wear a host user's name.  The skeleton
 * keeps the system accounts only: ids below 1000 (Debian's UID_MIN and
 * GID_MIN) and nobody/nogroup; group member lists keep system names.
 */
#define SYS_ID_MAX	1000
#define NOBODY_ID	65534

static int
line_field(const char *line, int n, char *out, size_t size)
{
	const char *s = line, *e;

	while (n-- > 0) {
		if (!(s = strchr(s, ':')))
			return -1;
		s++;
	}
	e = strchr(s, ':');
	if (!e)
		e = s + strlen(s);
	if ((size_t)(e - s) >= size)
		return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

static int
system_line(const char *line)
{
	char id[16], *end;
	unsigned long v;

	if (line_field(line, 2, id, sizeof(id)) < 0 || !id[0])
		return 0;
	errno = 0;
	v = strtoul(id, &end, 10);
	return !errno && !*end && (v < SYS_ID_MAX || v == NOBODY_ID);
}

/* users is ",name,name,...,": is name one of them? */
static int
kept_user(const struct vs_buf *users, const char *name)
{
	_cleanup_free_ char *needle = xasprintf(",%s,", name);

	return users->buf && strstr(users->buf, needle) != NULL;
}

/* Append the members of a group line's list that are kept users. */
static void
add_members(struct vs_buf *out, char *list, const struct vs_buf *users)
{
	char *m, *save = NULL;
	int first = 1;

	for (m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (kept_user(users, m)) {
			vs_buf_addf(out, "%s%s", first ? "" : ",", m);
			first = 0;
		}
}

/* Replace the plan's copy of an account file (etc/passwd, then
 * etc/group) with its system lines; passwd fills users with the kept
 * names, group reads them. */
static int
filter_accounts(struct plan *p, int srcfd, const char *path, int group,
    struct vs_buf *users, struct vs_err *err)
{
	struct vs_buf text = VS_BUF_INIT, out = VS_BUF_INIT;
	struct stat st;
	char *line, *save = NULL;
	size_t i;
	int fd;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->e[i].path, path) && !p->e[i].content)
			break;
	if (i == p->n)
		return 0;		/* not taken */
	st = p->e[i].st;
	fd = openat(srcfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '/%s'", path);
	if (vs_buf_read_fd(&text, fd, STATUS_MAX) < 0) {
		close(fd);
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read '/%s'", path);
	}
	close(fd);
	for (line = strtok_r(text.buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *colon = strchr(line, ':');
		char *members;

		if (!colon || !system_line(line))
			continue;
		if (!group) {
			if (!users->len)
				vs_buf_addch(users, ',');
			vs_buf_add(users, line, (size_t)(colon - line));
			vs_buf_addch(users, ',');
			vs_buf_addf(&out, "%s\n", line);
			continue;
		}
		/* name:x:gid:members -> keep the system members */
		members = strchr(strchr(colon + 1, ':') + 1, ':');
		if (members) {
			vs_buf_add(&out, line, (size_t)(members + 1 - line));
			add_members(&out, members + 1, users);
			vs_buf_addch(&out, '\n');
		} else {
			vs_buf_addf(&out, "%s\n", line);
		}
	}
	vs_buf_release(&text);
	plan_add(p, path, &st);
	p->e[p->n - 1].content_len = out.len;
	p->e[p->n - 1].content = vs_buf_detach(&out, NULL);
	return 0;
}

int
plan_host(struct plan *p, int srcfd, const struct vs_skelconf *sc,
    struct vs_err *err)
{
	struct vs_buf users = VS_BUF_INIT;
	size_t i;
	int rc;

	/* take patterns are expanded with glob(3) on the host's own paths:
	 * a host build always reads "/", a trusted tree */
	if (sc->n_packages && add_packages(p, srcfd, sc, err) < 0)
		return -1;
	for (i = 0; i < sc->include.n; i++)
		if (add_glob(p, srcfd, sc->include.pat[i], 1, 1, sc, err) < 0)
			return -1;
	for (i = 0; i < sc->empty.n; i++)
		if (add_glob(p, srcfd, sc->empty.pat[i], 0, 1, sc, err) < 0)
			return -1;
	rc = filter_accounts(p, srcfd, "etc/passwd", 0, &users, err);
	if (rc == 0)
		rc = filter_accounts(p, srcfd, "etc/group", 1, &users, err);
	vs_buf_release(&users);
	if (rc < 0)
		return -1;
	plan_finish(p);
	return 0;
}
