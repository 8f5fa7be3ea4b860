/* rights.c - the rights' names, the host truth of who holds them
 * (state/priv/NAME) and the skeleton's rights list (state/skel/rights).
 * Enforcement inside a VS root is rightsvs.c. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atfile.h"
#include "rights.h"
#include "valid.h"
#include "xmem.h"
#include "banned.h"

#define PRIV_MAX_USERS	4096		/* per right */
#define LIST_MAX_BYTES	(16 << 20)
#define LIST_HEADER	"freevsd-rights 2"

const char *const vs_rights_names[VS_RIGHTS_N] = {
	"cron", "ftp", "gcc", "login", "mail", "perl", "shell", "www",
};

int
vs_right_index(const char *name)
{
	int i;

	for (i = 0; i < VS_RIGHTS_N; i++)
		if (strcmp(vs_rights_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- state/priv/NAME ---------------------------------------------- */

int
vs_privtab_has(const struct vs_privtab *t, int ri, const char *user)
{
	size_t k;

	for (k = 0; k < t->n[ri]; k++)
		if (strcmp(t->users[ri][k], user) == 0)
			return 1;
	return 0;
}

void
vs_privtab_add(struct vs_privtab *t, int ri, const char *user)
{
	if (vs_privtab_has(t, ri, user) || t->n[ri] >= PRIV_MAX_USERS)
		return;
	t->users[ri] = xrealloc(t->users[ri], (t->n[ri] + 1) *
	    sizeof(char *));
	t->users[ri][t->n[ri]++] = xstrdup(user);
}

void
vs_privtab_del(struct vs_privtab *t, int ri, const char *user)
{
	size_t k;

	for (k = 0; k < t->n[ri]; k++)
		if (strcmp(t->users[ri][k], user) == 0) {
			free(t->users[ri][k]);
			t->users[ri][k] = t->users[ri][--t->n[ri]];
			return;
		}
}

void
vs_privtab_release(struct vs_privtab *t)
{
	size_t i, k;

	for (i = 0; i < VS_RIGHTS_N; i++) {
		for (k = 0; k < t->n[i]; k++)
			free(t->users[i][k]);
		free(t->users[i]);
	}
	memset(t, 0, sizeof(*t));
}

int
vs_privtab_load(const struct vs_conf *conf, const char *vs,
    struct vs_privtab *t)
{
	struct vs_buf b = VS_BUF_INIT;
	_cleanup_free_ char *path = xasprintf("%s/state/priv/%s",
	    conf->state_root, vs);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (vs_buf_read_fd(&b, fd, 1 << 20) < 0) {
		close(fd);
		vs_buf_release(&b);
		return -1;
	}
	close(fd);
	while (i < b.len) {
		char *l = b.buf + i, *nl = memchr(l, '\n', b.len - i), *c, *u;
		int ri;

		if (nl)
			*nl = '\0';
		i += strlen(l) + 1;
		if (!(c = strchr(l, ':')))
			continue;
		*c = '\0';
		if ((ri = vs_right_index(l)) < 0)
			continue;
		for (u = strtok_r(c + 1, ",", &l); u; u = strtok_r(NULL, ",",
		    &l))
			if (vs_valid_username(u))
				vs_privtab_add(t, ri, u);
	}
	vs_buf_release(&b);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
vs_privtab_format(struct vs_privtab *t, struct vs_buf *out)
{
	size_t i, k;

	for (i = 0; i < VS_RIGHTS_N; i++) {
		if (t->n[i])
			qsort(t->users[i], t->n[i], sizeof(char *), cmp_str);
		vs_buf_addf(out, "%s:", vs_rights_names[i]);
		for (k = 0; k < t->n[i]; k++)
			vs_buf_addf(out, "%s%s", k ? "," : "", t->users[i][k]);
		vs_buf_addch(out, '\n');
	}
}

/* ---- state/skel/rights -------------------------------------------- */

void
vs_rightlist_add(struct vs_rightlist *rl, int right, const char *path,
    const unsigned char sha256[VS_HASH_LEN])
{
	xgrow(&rl->e, sizeof(*rl->e), rl->n + 1, &rl->alloc);
	rl->e[rl->n].right = right;
	rl->e[rl->n].path = xstrdup(path);
	memcpy(rl->e[rl->n].sha256, sha256, VS_HASH_LEN);
	rl->n++;
}

void
vs_rightlist_release(struct vs_rightlist *rl)
{
	size_t i;

	for (i = 0; i < rl->n; i++)
		free(rl->e[i].path);
	free(rl->e);
	memset(rl, 0, sizeof(*rl));
}

int
vs_rightlist_find(const struct vs_rightlist *rl, const char *path)
{
	size_t i;

	for (i = 0; i < rl->n; i++)
		if (strcmp(rl->e[i].path, path) == 0)
			return rl->e[i].right;
	return -1;
}

void
vs_rightlist_format(const struct vs_rightlist *rl, struct vs_buf *out)
{
	size_t i;

	char hex[VS_HASH_HEXLEN + 1];

	vs_buf_adds(out, LIST_HEADER "\n");
	for (i = 0; i < rl->n; i++) {
		vs_hash_hex(rl->e[i].sha256, hex);
		vs_buf_addf(out, "%s %s ", vs_rights_names[rl->e[i].right],
		    hex);
		vs_manifest_escape(out, rl->e[i].path);
		vs_buf_addch(out, '\n');
	}
}

int
vs_rightlist_parse(const char *src, const char *text, size_t len,
    struct vs_rightlist *rl, struct vs_err *err)
{
	struct vs_rightlist tmp = VS_RIGHTLIST_INIT;
	struct vs_buf line = VS_BUF_INIT, path = VS_BUF_INIT;
	const char *p = text, *end = text + len;
	int lineno = 0, rc = -1;

	if (memchr(text, '\0', len)) {
		vs_err_set(err, EINVAL, "%s: NUL byte", src);
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		char *sp, *sp2;
		unsigned char md[VS_HASH_LEN];
		int ri;

		lineno++;
		if (ll > PATH_MAX * 4 + 32) {
			vs_err_set(err, EINVAL, "%s:%d: line too long", src,
			    lineno);
			goto out;
		}
		vs_buf_reset(&line);
		vs_buf_add(&line, p, ll);
		p += ll + (nl != NULL);
		if (lineno == 1) {
			if (strcmp(line.buf, LIST_HEADER) != 0) {
				vs_err_set(err, EINVAL, "%s:1: not a rights "
				    "list (expected '" LIST_HEADER "')", src);
				goto out;
			}
			continue;
		}
		if (line.len == 0)
			continue;
		if (!(sp = strchr(line.buf, ' ')) ||
		    !(sp2 = strchr(sp + 1, ' '))) {
			vs_err_set(err, EINVAL, "%s:%d: expected 'RIGHT SHA256 "
			    "PATH'", src, lineno);
			goto out;
		}
		*sp = *sp2 = '\0';
		if ((ri = vs_right_index(line.buf)) < 0) {
			vs_err_set(err, EINVAL, "%s:%d: unknown right '%.32s'",
			    src, lineno, line.buf);
			goto out;
		}
		if (vs_hash_unhex(sp + 1, md) < 0) {
			vs_err_set(err, EINVAL, "%s:%d: bad hash", src, lineno);
			goto out;
		}
		if (vs_manifest_unescape(&path, sp2 + 1) < 0 ||
		    strlen(path.buf) >= PATH_MAX || !vs_valid_relpath(path.buf) || strlen(path.buf) != path.len) {
			vs_err_set(err, EINVAL, "%s:%d: bad path", src, lineno);
			goto out;
		}
		if (vs_rightlist_find(&tmp, path.buf) >= 0) {
			vs_err_set(err, EINVAL, "%s:%d: path listed twice",
			    src, lineno);
			goto out;
		}
		if (tmp.n >= VS_RIGHTLIST_MAX) {
			vs_err_set(err, EFBIG, "%s:%d: more than %d paths",
			    src, lineno, VS_RIGHTLIST_MAX);
			goto out;
		}
		vs_rightlist_add(&tmp, ri, path.buf, md);
	}
	if (lineno == 0) {
		vs_err_set(err, EINVAL, "%s: empty file", src);
		goto out;
	}
	*rl = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rc = 0;
out:
	vs_rightlist_release(&tmp);
	vs_buf_release(&line);
	vs_buf_release(&path);
	return rc;
}

int
vs_rightlist_load(int dirfd, const char *name, struct vs_rightlist *rl,
    struct vs_err *err)
{
	struct vs_buf b = VS_BUF_INIT;
	_cleanup_close_ int fd = -1;
	int rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "cannot open '%s'", name);
	if (vs_buf_read_fd(&b, fd, LIST_MAX_BYTES) < 0) {
		vs_buf_release(&b);
		return vs_err_sys(err, "cannot read '%s'", name);
	}
	rc = vs_rightlist_parse(name, b.buf, b.len, rl, err);
	vs_buf_release(&b);
	return rc;
}

int
vs_rightlist_save(const struct vs_rightlist *rl, int dirfd, const char *name,
    struct vs_err *err)
{
	struct vs_buf b = VS_BUF_INIT;
	int rc;

	vs_rightlist_format(rl, &b);
	rc = vs_write_file_at(dirfd, name, b.buf, b.len, 0, 0, 0644);
	vs_buf_release(&b);
	if (rc < 0)
		return vs_err_sys(err, "cannot write '%s'", name);
	return 0;
}

/* ---- building the list from a skeleton ---------------------------- */

static const char *const never_governed[] = {
	"/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash",
};

int
vs_rights_pattern_ok(const char *pat)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(never_governed); i++)
		if (fnmatch(pat, never_governed[i], FNM_PATHNAME) == 0)
			return 0;
	return 1;
}

/*
 * Resolve path (relative) through the manifest's symlinks, component by
 * component (a merged-/usr skeleton has bin -> usr/bin), into out.
 * Returns the entry it names, or NULL (dangling, a loop, or leaving the
 * tree: ".." above the root).
 */
static const struct vs_mentry *
resolve(const struct vs_manifest *m, const char *path, struct vs_buf *out)
{
	struct vs_buf rest = VS_BUF_INIT, cur = VS_BUF_INIT;
	const struct vs_mentry *e = NULL;
	int hops = 0;

	vs_buf_adds(&rest, path);
	while (rest.len) {
		char *c = rest.buf, *slash = strchr(c, '/');
		size_t cl = slash ? (size_t)(slash - c) : strlen(c);
		struct vs_buf next = VS_BUF_INIT;

		if (cl == 0 || (cl == 1 && c[0] == '.')) {
			/* empty or "." component */
		} else if (cl == 2 && c[0] == '.' && c[1] == '.') {
			char *s = strrchr(cur.buf, '/');

			if (cur.len == 0) {
				vs_buf_release(&next);
				e = NULL;
				break;
			}
			vs_buf_setlen(&cur, s ? (size_t)(s - cur.buf) : 0);
		} else {
			size_t keep = cur.len;

			if (cur.len)
				vs_buf_addch(&cur, '/');
			vs_buf_add(&cur, c, cl);
			e = vs_manifest_find(m, cur.buf);
			if (e == NULL) {
				vs_buf_release(&next);
				break;
			}
			if (e->type == 'l' && e->target) {
				if (++hops > 32) {
					e = NULL;
					vs_buf_release(&next);
					break;
				}
				/* the target replaces this component */
				vs_buf_setlen(&cur, keep);
				if (e->target[0] == '/')
					vs_buf_reset(&cur);
				vs_buf_adds(&next, e->target);
				if (slash) {
					vs_buf_addch(&next, '/');
					vs_buf_adds(&next, slash + 1);
				}
				vs_buf_release(&rest);
				rest = next;
				continue;
			}
		}
		if (slash)
			vs_buf_adds(&next, slash + 1);
		vs_buf_release(&rest);
		rest = next;
	}
	if (e && rest.len == 0 && cur.len) {
		vs_buf_reset(out);
		vs_buf_add(out, cur.buf, cur.len);
	} else {
		e = NULL;
	}
	vs_buf_release(&rest);
	vs_buf_release(&cur);
	return e;
}

static int
same_file(int skelfd, const char *a, const struct stat *sb)
{
	struct stat st;

	return fstatat(skelfd, a, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == sb->st_dev && st.st_ino == sb->st_ino;
}

void
vs_rightlist_build(const struct vs_manifest *m, int skelfd,
    const struct vs_skelconf *sc, const struct vs_globs *copy,
    struct vs_rightlist *rl, struct vs_buf *warnings)
{
	struct vs_buf res = VS_BUF_INIT, shells[ARRAY_SIZE(never_governed)];
	size_t r, i, k, s;

	for (s = 0; s < ARRAY_SIZE(never_governed); s++) {
		vs_buf_init(&shells[s], 0);
		if (!resolve(m, never_governed[s] + 1, &shells[s]))
			vs_buf_reset(&shells[s]);
	}
	for (r = 0; r < sc->n_rights; r++) {
		int ri = vs_right_index(sc->rights[r].name);

		if (ri < 0)
			continue;	/* skelconf refuses it */
		for (i = 0; i < m->n; i++) {
			const struct vs_mentry *e = &m->e[i], *t;
			const char *why;
			struct stat sb;

			if ((e->type != 'f' && e->type != 'l') ||
			    !vs_globs_match(&sc->rights[r].globs, e->path))
				continue;
			t = resolve(m, e->path, &res);
			if (t == NULL || t->type != 'f') {
				vs_buf_addf(warnings, "rights %s: '/%s' is not "
				    "a file of the skeleton: not governed\n",
				    vs_rights_names[ri], e->path);
				continue;
			}
			for (s = 0; s < ARRAY_SIZE(never_governed); s++)
				if (shells[s].len &&
				    strcmp(shells[s].buf, res.buf) == 0)
					break;
			if (s < ARRAY_SIZE(never_governed)) {
				vs_buf_addf(warnings, "rights %s: '/%s' is %s: "
				    "never governed\n", vs_rights_names[ri],
				    res.buf, never_governed[s]);
				continue;
			}
			if ((why = vs_skel_private(t, copy)) != NULL) {
				vs_buf_addf(warnings, "rights %s: '/%s' is a "
				    "VS's own copy already (%s): not "
				    "governed\n", vs_rights_names[ri], res.buf,
				    why);
				continue;
			}
			if (vs_rightlist_find(rl, res.buf) >= 0)
				continue;
			if (fstatat(skelfd, res.buf, &sb, AT_SYMLINK_NOFOLLOW)
			    < 0 || !S_ISREG(sb.st_mode)) {
				vs_buf_addf(warnings, "rights %s: '/%s' is not "
				    "in the skeleton tree: not governed\n",
				    vs_rights_names[ri], res.buf);
				continue;
			}
			if (!t->has_hash) {
				vs_buf_addf(warnings, "rights %s: '/%s' has no "
				    "content hash: not governed\n",
				    vs_rights_names[ri], res.buf);
				continue;
			}
			vs_rightlist_add(rl, ri, res.buf, t->sha256);
			if (sb.st_nlink < 2)
				continue;
			/* every other name of the inode, or it stays a
			 * shared way around the right */
			for (k = 0; k < m->n; k++)
				if (m->e[k].type == 'f' &&
				    m->e[k].size == t->size &&
				    strcmp(m->e[k].path, res.buf) != 0 &&
				    vs_rightlist_find(rl, m->e[k].path) < 0 &&
				    same_file(skelfd, m->e[k].path, &sb))
					vs_rightlist_add(rl, ri, m->e[k].path,
					    t->sha256);
		}
	}
	for (s = 0; s < ARRAY_SIZE(never_governed); s++)
		vs_buf_release(&shells[s]);
	vs_buf_release(&res);
}
