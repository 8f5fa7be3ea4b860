/* skelconf.c - skel.conf parsing, path globs, and the shared-or-copied
 * rule for skeleton files. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "rights.h"
#include "skelconf.h"
#include "valid.h"
#include "xmem.h"
#include "banned.h"

#define COPY_MAX_BYTES	(1024 * 1024)

void
vs_globs_add(struct vs_globs *g, const char *pat)
{
	xgrow(&g->pat, sizeof(*g->pat), g->n + 1, &g->alloc);
	g->pat[g->n++] = xstrdup(pat);
}

void
vs_globs_release(struct vs_globs *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->pat[i]);
	free(g->pat);
	g->pat = NULL;
	g->n = g->alloc = 0;
}

int
vs_glob_valid(const char *pat)
{
	const char *c;

	if (pat[0] != '/' || strlen(pat) >= PATH_MAX)
		return 0;
	for (c = pat; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	if (strcmp(pat, "/") == 0)
		return 1;
	for (c = pat + 1; ; ) {
		const char *end = strchrnul(c, '/');
		size_t len = (size_t)(end - c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (*end == '\0')
			return 1;
		c = end + 1;
	}
}

int
vs_globs_match(const struct vs_globs *g, const char *path)
{
	struct vs_buf p = VS_BUF_INIT;
	size_t i, len;
	int hit = 0;

	if (g == NULL || g->n == 0)
		return 0;
	if (path[0] != '/')
		vs_buf_addch(&p, '/');
	vs_buf_adds(&p, path);
	/* the path itself, then each parent directory */
	for (len = p.len; len > 0 && !hit; ) {
		char save = p.buf[len];

		p.buf[len] = '\0';
		for (i = 0; i < g->n && !hit; i++)
			hit = fnmatch(g->pat[i], p.buf, FNM_PATHNAME) == 0;
		p.buf[len] = save;
		while (len > 0 && p.buf[--len] != '/')
			;
	}
	vs_buf_release(&p);
	return hit;
}

int
vs_globs_load(int dirfd, const char *name, struct vs_globs *g,
    struct vs_err *err)
{
	struct vs_globs tmp = VS_GLOBS_INIT;
	struct vs_buf text = VS_BUF_INIT;
	_cleanup_close_ int fd = -1;
	char *line, *nl;
	int lineno = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", name);
	if (vs_buf_read_fd(&text, fd, COPY_MAX_BYTES) < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot read '%s'", name);
	}
	if (memchr(text.buf, '\0', text.len)) {
		vs_buf_release(&text);
		return vs_err_set(err, EINVAL, "%s: NUL byte", name);
	}
	for (line = text.buf; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		lineno++;
		if (*nl == '\0' && nl == line)
			break;
		{
			char save = *nl;

			*nl = '\0';
			if (*line && *line != '#' && !vs_glob_valid(line)) {
				vs_globs_release(&tmp);
				vs_buf_release(&text);
				return vs_err_set(err, EINVAL,
				    "%s:%d: bad pattern", name, lineno);
			}
			if (*line && *line != '#')
				vs_globs_add(&tmp, line);
			*nl = save;
		}
		if (*nl == '\0')
			break;
	}
	vs_buf_release(&text);
	*g = tmp;
	return 0;
}

int
vs_globs_save(const struct vs_globs *g, int dirfd, const char *name,
    struct vs_err *err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
	struct vs_buf text = VS_BUF_INIT;
	size_t i;
	int fd, rc;

	for (i = 0; i < g->n; i++)
		vs_buf_addf(&text, "%s\n", g->pat[i]);
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0) {
		vs_buf_release(&text);
		return vs_err_sys(err, "cannot create '%s'", tmp);
	}
	rc = vs_write_all(fd, text.buf, text.len) < 0 || fsync(fd) < 0 ? -1 : 0;
	if (close(fd) < 0 || (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0))
		rc = -1;
	if (rc < 0) {
		int saved = errno;

		(void)unlinkat(dirfd, tmp, 0);
		vs_buf_release(&text);
		errno = saved;
		return vs_err_sys(err, "cannot write '%s'", name);
	}
	vs_buf_release(&text);
	return 0;
}

/* ---- skel.conf ---------------------------------------------------- */

static int
add_patterns(struct vs_conf_pos *pos, struct vs_globs *g, int argc,
    char **argv, int first)
{
	int i, rc = 0;

	if (argc <= first)
		return vs_conf_error(pos, "'%s' needs at least one pattern",
		    argv[0]);
	for (i = first; i < argc; i++) {
		if (!vs_glob_valid(argv[i])) {
			rc = vs_conf_error(pos, "bad pattern '%s': patterns "
			    "are absolute paths without '..'", argv[i]);
			continue;
		}
		vs_globs_add(g, argv[i]);
	}
	return rc;
}

static int
valid_package(const char *s)
{
	/* Debian policy: [a-z0-9][a-z0-9+.-]+ */
	const char *c;

	if (strlen(s) < 2 || strlen(s) > 128 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '+' || *c == '.' || *c == '-'))
			return 0;
	return 1;
}

static int
skel_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct vs_skelconf *sc = ctx;
	const char *kw = argv[0];
	int i, rc = 0;

	if (!strcmp(kw, "package")) {
		if (argc < 2)
			return vs_conf_error(pos, "'package' needs a name");
		for (i = 1; i < argc; i++) {
			if (!valid_package(argv[i])) {
				rc = vs_conf_error(pos, "bad package name "
				    "'%s'", argv[i]);
				continue;
			}
			xgrow(&sc->packages, sizeof(*sc->packages),
			    sc->n_packages + 1, &sc->alloc_packages);
			sc->packages[sc->n_packages++] = xstrdup(argv[i]);
		}
		return rc;
	}
	if (!strcmp(kw, "take"))
		return add_patterns(pos, &sc->include, argc, argv, 1);
	if (!strcmp(kw, "exclude"))
		return add_patterns(pos, &sc->exclude, argc, argv, 1);
	if (!strcmp(kw, "empty"))
		return add_patterns(pos, &sc->empty, argc, argv, 1);
	if (!strcmp(kw, "copy"))
		return add_patterns(pos, &sc->copy, argc, argv, 1);
	if (!strcmp(kw, "rights")) {
		struct vs_skel_right *r;

		if (argc < 3)
			return vs_conf_error(pos, "usage: rights NAME "
			    "PATTERN...");
		if (vs_right_index(argv[1]) < 0)
			return vs_conf_error(pos, "unknown right '%s' (known: "
			    "cron ftp gcc login mail perl shell www)",
			    argv[1]);
		for (i = 2; i < argc; i++)
			if (!vs_rights_pattern_ok(argv[i]))
				rc = vs_conf_error(pos, "'%s' would govern "
				    "/bin/sh or dash, the shell of every "
				    "daemon and system(): not allowed",
				    argv[i]);
		if (rc < 0)
			return rc;
		xgrow(&sc->rights, sizeof(*sc->rights), sc->n_rights + 1,
		    &sc->alloc_rights);
		r = &sc->rights[sc->n_rights++];
		r->name = xstrdup(argv[1]);
		memset(&r->globs, 0, sizeof(r->globs));
		return add_patterns(pos, &r->globs, argc, argv, 2);
	}
	if (!strcmp(kw, "{") || !strcmp(kw, "}"))
		return vs_conf_error(pos, "unexpected '%s'", kw);
	return vs_conf_error(pos, "unknown keyword '%s'", kw);
}

void
vs_skelconf_release(struct vs_skelconf *sc)
{
	size_t i;

	for (i = 0; i < sc->n_packages; i++)
		free(sc->packages[i]);
	free(sc->packages);
	vs_globs_release(&sc->include);
	vs_globs_release(&sc->exclude);
	vs_globs_release(&sc->copy);
	vs_globs_release(&sc->empty);
	for (i = 0; i < sc->n_rights; i++) {
		free(sc->rights[i].name);
		vs_globs_release(&sc->rights[i].globs);
	}
	free(sc->rights);
	memset(sc, 0, sizeof(*sc));
}

int
vs_skelconf_load(const char *path, struct vs_skelconf *sc,
    struct vs_buf *errors)
{
	struct vs_skelconf tmp = VS_SKELCONF_INIT;

	if (vs_conf_parse_file(path, skel_stmt, &tmp, errors) < 0) {
		vs_skelconf_release(&tmp);
		return -1;
	}
	*sc = tmp;
	return 0;
}

/* ---- shared or copied --------------------------------------------- */

static int
is_lock_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if ((len >= 5 && !strcmp(base + len - 5, ".lock")) ||
	    (len >= 4 && !strcmp(base + len - 4, ".lck")))
		return 1;
	if (!strcmp(base, "lock") || !strcmp(base, "LOCK") ||
	    !strncmp(base, "lock.", 5) || !strcmp(base, ".lock"))
		return 1;
	return 0;
}

const char *
vs_skel_private(const struct vs_mentry *e, const struct vs_globs *copy)
{
	return vs_skel_private_in(e, 0, copy);
}

const char *
vs_skel_private_in(const struct vs_mentry *e, mode_t parent_mode,
    const struct vs_globs *copy)
{
	if (e->type == 'd')
		return "directory";
	if (e->type == 'l') {
		/* immutable whoever owns it: shared unless the owner
		 * matters (skelconf.h) */
		if (e->uid != 0 || e->gid != 0)
			return "not owned by root";
		return parent_mode & S_ISVTX ? "symlink in a sticky "
		    "directory" : NULL;
	}
	if (e->type != 'f')
		return "special file";
	if (e->type == 'f') {
		if (e->mode & (S_ISUID | S_ISGID))
			return "set-id";
		if ((e->mode & 0004) == 0)
			return "not world-readable";
		if (e->size == 0)
			return "empty";
	}
	if (e->uid != 0 || e->gid != 0)
		return "not owned by root";
	if (is_lock_name(e->path))
		return "lock file";
	if (vs_globs_match(copy, e->path))
		return "copy pattern";
	return NULL;
}
