/* mod_user.c - the protocol's mod_user: the accounts of a VS, in its own
 * /etc/passwd, /etc/shadow and /etc/group.
 *
 * These files belong to the VS and its root may have planted anything
 * there: etc is opened with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_XDEV), each file is read with O_NOFOLLOW and must be a
 * regular file of bounded size, and is replaced by a fresh temporary file
 * renamed over it (vs_write_file_at), never written through.  Lines we do not
 * understand are kept as they are.  A new file's owner is the old one's
 * if it lies in the VS's range, else the VS's root.  Order: group, shadow,
 * then passwd, so a user exists (passwd) only once the rest is there; a
 * crash in between leaves unused group/shadow lines that the next
 * user_add of the name replaces.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atfile.h"
#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define ETC_MAX		(4 << 20)
#define UID_FIRST	1000
#define UID_LAST	59999
#define PASS_MAX	512

struct etcfile {
	const char *name;
	struct vs_buf text;
	struct stat st;
	int exists;
};

struct vsusers {
	struct vs_rec rec;
	int root, etc;
	struct etcfile passwd, shadow, group;
};

static int
etc_read(int etc, struct etcfile *f)
{
	int fd = openat(etc, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);

	vs_buf_init(&f->text, 0);
	f->exists = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &f->st) < 0 || !S_ISREG(f->st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (vs_buf_read_fd(&f->text, fd, ETC_MAX) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	f->exists = 1;
	if (f->text.len && f->text.buf[f->text.len - 1] != '\n')
		vs_buf_addch(&f->text, '\n');
	return 0;
}

static int
etc_write(struct vsusers *u, struct etcfile *f, const struct vs_buf *text,
    mode_t defmode)
{
	uid_t uid = (uid_t)u->rec.uid_base;
	gid_t gid = (gid_t)u->rec.uid_base;
	mode_t mode = defmode;
	long long lo = u->rec.uid_base, hi = lo + u->rec.uid_count;

	if (f->exists) {
		if (f->st.st_uid >= lo && f->st.st_uid < hi)
			uid = f->st.st_uid;
		if (f->st.st_gid >= lo && f->st.st_gid < hi)
			gid = f->st.st_gid;
		mode = f->st.st_mode & 0777;
	}
	return vs_write_file_at(u->etc, f->name, text->buf, text->len, uid, gid,
	    mode);
}

static void
users_release(struct vsusers *u)
{
	if (u->etc >= 0)
		close(u->etc);
	if (u->root >= 0)
		close(u->root);
	vs_buf_release(&u->passwd.text);
	vs_buf_release(&u->shadow.text);
	vs_buf_release(&u->group.text);
}

/* Load the VS and its account files; answers and returns -1 on failure. */
static int
users_open(struct vsd_req *r, struct vsusers *u)
{
	memset(u, 0, sizeof(*u));
	u->root = u->etc = -1;
	u->passwd.name = "passwd";
	u->shadow.name = "shadow";
	u->group.name = "group";
	if (vsd_load_vs(r, &u->rec) < 0 ||
	    (u->root = vsd_open_root(r, &u->rec)) < 0)
		return -1;
	u->etc = vs_open_in_root(u->root, "etc", O_RDONLY | O_DIRECTORY);
	if (u->etc < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot open /etc of "
		    "'%s': %s", r->vs, strerror(errno));
		return -1;
	}
	if (etc_read(u->etc, &u->passwd) < 0 ||
	    etc_read(u->etc, &u->shadow) < 0 ||
	    etc_read(u->etc, &u->group) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the "
		    "accounts of '%s': %s", r->vs, strerror(errno));
		return -1;
	}
	return 0;
}

/* Field k (0-based) of the line starting at l; "" if missing. */
static size_t
field(const char *l, size_t len, int k, const char **start)
{
	const char *p = l, *end = l + len, *c;

	while (k-- > 0) {
		c = memchr(p, ':', (size_t)(end - p));
		if (!c) {
			*start = end;
			return 0;
		}
		p = c + 1;
	}
	c = memchr(p, ':', (size_t)(end - p));
	*start = p;
	return (size_t)((c ? c : end) - p);
}

static int
name_is(const char *l, size_t len, const char *user)
{
	size_t n = strlen(user);

	return len > n && memcmp(l, user, n) == 0 && l[n] == ':';
}

/* Iterate over lines: fn gets each line (without '\n'). */
#define FOR_LINES(b, l, len) \
	for (const char *_p = (b)->buf, *_e = (b)->buf + (b)->len, *_nl; \
	    _p < _e && ((_nl = memchr(_p, '\n', (size_t)(_e - _p))) || 1) && \
	    ((l = _p), (len = (size_t)((_nl ? _nl : _e) - _p)), 1); \
	    _p = _nl ? _nl + 1 : _e)

/* Copy b into out without the line of user; with repl (a full line
 * without '\n') in its place, or appended if user had none. */
static void
replace_line(const struct vs_buf *b, const char *user, const char *repl,
    struct vs_buf *out)
{
	const char *l;
	size_t len;
	int done = 0;

	FOR_LINES(b, l, len) {
		if (name_is(l, len, user)) {
			if (repl && !done)
				vs_buf_addf(out, "%s\n", repl);
			done = 1;
			continue;
		}
		vs_buf_add(out, l, len);
		vs_buf_addch(out, '\n');
	}
	if (repl && !done)
		vs_buf_addf(out, "%s\n", repl);
}

/* uid of user in passwd text, -1 if absent. */
static long long
passwd_uid(const struct vs_buf *pw, const char *user)
{
	const char *l, *f;
	size_t len, fl;
	long long v;
	char tmp[24];

	FOR_LINES(pw, l, len) {
		if (!name_is(l, len, user))
			continue;
		fl = field(l, len, 2, &f);
		if (fl == 0 || fl >= sizeof(tmp))
			return -1;
		memcpy(tmp, f, fl);
		tmp[fl] = '\0';
		return vs_conf_number(tmp, 0, 4294967294LL, 0, &v) < 0 ? -1 : v;
	}
	return -1;
}

static int
id_used(const struct vs_buf *b, long long id)
{
	const char *l, *f;
	size_t len, fl;
	char tmp[24];

	FOR_LINES(b, l, len) {
		fl = field(l, len, 2, &f);
		if (fl == 0 || fl >= sizeof(tmp))
			continue;
		memcpy(tmp, f, fl);
		tmp[fl] = '\0';
		if (atoll(tmp) == id)
			return 1;
	}
	return 0;
}

static int
good_user(struct vsd_req *r, const char *user)
{
	if (!vs_valid_username(user)) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "invalid user name "
		    "'%.40s'", user);
		return 0;
	}
	return 1;
}

/* A yescrypt (the libcrypt default) hash of pass; NULL on failure. */
static char *
hash_password(const char *pass)
{
	struct crypt_data cd;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char *h;

	if (!crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)))
		return NULL;
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pass, salt, &cd);
	if (!h || h[0] == '*')
		return NULL;
	h = xstrdup(h);
	explicit_bzero(&cd, sizeof(cd));
	return h;
}

static int
good_password(struct vsd_req *r, const char *pass)
{
	size_t n = strlen(pass);

	if (n == 0 || n > PASS_MAX) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "a password has 1 to %d "
		    "characters", PASS_MAX);
		return 0;
	}
	return 1;
}

static char *
shadow_line(const char *user, const char *hash)
{
	return xasprintf("%s:%s:%lld:0:99999:7:::", user, hash,
	    (long long)(time(NULL) / 86400));
}

void
mod_user_add(struct vsd_req *r)
{
	const char *user = r->argv[0];
	struct vs_buf pw = VS_BUF_INIT, sh = VS_BUF_INIT, gr = VS_BUF_INIT;
	_cleanup_free_ char *hash = NULL, *line = NULL;
	struct vsusers u;
	long long id;
	int home = -1, hd;

	if (!good_user(r, user) ||
	    (r->argc > 1 && !good_password(r, r->argv[1])))
		return;
	if (users_open(r, &u) < 0)
		goto out;
	if (passwd_uid(&u.passwd.text, user) >= 0) {
		vsd_err_answer(r, VS_PROTO_E_CONFLICT, "user '%s' exists in "
		    "'%s'", user, r->vs);
		goto out;
	}
	for (id = UID_FIRST; id <= UID_LAST && id < u.rec.uid_count; id++)
		if (!id_used(&u.passwd.text, id) &&
		    !id_used(&u.group.text, id))
			break;
	if (id > UID_LAST || id >= u.rec.uid_count) {
		vsd_err_answer(r, VS_PROTO_E_LIMIT, "no free uid in '%s'",
		    r->vs);
		goto out;
	}
	if (r->argc > 1 && !(hash = hash_password(r->argv[1]))) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot hash the "
		    "password");
		goto out;
	}
	line = xasprintf("%s:x:%lld:", user, id);
	replace_line(&u.group.text, user, line, &gr);
	free(line);
	line = shadow_line(user, hash ? hash : "!");
	replace_line(&u.shadow.text, user, line, &sh);
	free(line);
	line = xasprintf("%s:x:%lld:%lld::/home/%s:/bin/sh", user, id, id,
	    user);
	replace_line(&u.passwd.text, user, line, &pw);
	if (etc_write(&u, &u.group, &gr, 0644) < 0 ||
	    etc_write(&u, &u.shadow, &sh, 0640) < 0 ||
	    etc_write(&u, &u.passwd, &pw, 0644) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot write the "
		    "accounts of '%s': %s", r->vs, strerror(errno));
		goto out;
	}
	/* the home directory, made as ours then handed to the user; an
	 * existing one (or anything else by that name) is left alone */
	home = vs_open_in_root(u.root, "home", O_RDONLY | O_DIRECTORY);
	if (home >= 0 && mkdirat(home, user, 0700) == 0 &&
	    (hd = openat(home, user, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0) {
		if (fchown(hd, (uid_t)(u.rec.uid_base + id),
		    (gid_t)(u.rec.uid_base + id)) < 0 || fchmod(hd, 0750) < 0)
			vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot hand "
			    "/home/%s over: %s", user, strerror(errno));
		close(hd);
		if (r->out->len)
			goto out;
	}
	vs_buf_reset(&pw);
	if (vsd_rights_enforce(r, &u.rec, &pw) < 0)
		vsd_ok_answer(r, "added %s uid %lld to %s (warning: rights %s)",
		    user, id, r->vs, pw.buf);
	else
		vsd_ok_answer(r, "added %s uid %lld to %s", user, id, r->vs);
out:
	if (home >= 0)
		close(home);
	if (hash)
		explicit_bzero(hash, strlen(hash));
	vs_buf_release(&pw);
	vs_buf_release(&sh);
	vs_buf_release(&gr);
	users_release(&u);
}

/* group text without user's own group and without user in member lists */
static void
group_without(const struct vs_buf *b, const char *user, struct vs_buf *out)
{
	const char *l, *m;
	size_t len, ml, n = strlen(user);

	FOR_LINES(b, l, len) {
		const char *p, *e;
		int first = 1;

		if (name_is(l, len, user))
			continue;
		ml = field(l, len, 3, &m);
		if (m == l + len) {	/* fewer than 4 fields: keep */
			vs_buf_add(out, l, len);
			vs_buf_addch(out, '\n');
			continue;
		}
		vs_buf_add(out, l, (size_t)(m - l));
		for (p = m; p < m + ml; p = e + 1) {
			e = memchr(p, ',', (size_t)(m + ml - p));
			if (!e)
				e = m + ml;
			if ((size_t)(e - p) == n && memcmp(p, user, n) == 0)
				continue;
			if (!first)
				vs_buf_addch(out, ',');
			vs_buf_add(out, p, (size_t)(e - p));
			first = 0;
		}
		vs_buf_add(out, m + ml, (size_t)(l + len - (m + ml)));
		vs_buf_addch(out, '\n');
	}
}

void
mod_user_del(struct vsd_req *r)
{
	const char *user = r->argv[0];
	struct vs_buf pw = VS_BUF_INIT, sh = VS_BUF_INIT, gr = VS_BUF_INIT;
	struct vsusers u;
	long long id;

	if (!good_user(r, user))
		return;
	if (users_open(r, &u) < 0)
		goto out;
	if ((id = passwd_uid(&u.passwd.text, user)) < 0) {
		vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "no user '%s' in '%s'",
		    user, r->vs);
		goto out;
	}
	if (id < UID_FIRST) {
		vsd_err_answer(r, VS_PROTO_E_FORBIDDEN, "'%s' (uid %lld) is a "
		    "system account, not a user", user, id);
		goto out;
	}
	/* passwd first: once it is gone, the user is gone */
	replace_line(&u.passwd.text, user, NULL, &pw);
	replace_line(&u.shadow.text, user, NULL, &sh);
	group_without(&u.group.text, user, &gr);
	if (etc_write(&u, &u.passwd, &pw, 0644) < 0 ||
	    (u.shadow.exists && etc_write(&u, &u.shadow, &sh, 0640) < 0) ||
	    etc_write(&u, &u.group, &gr, 0644) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot write the "
		    "accounts of '%s': %s", r->vs, strerror(errno));
		goto out;
	}
	vs_buf_reset(&pw);
	if (vsd_rights_enforce(r, &u.rec, &pw) < 0)
		vsd_ok_answer(r, "deleted user %s from %s (home directory "
		    "kept; warning: rights %s)", user, r->vs, pw.buf);
	else
		vsd_ok_answer(r, "deleted user %s from %s (home directory "
		    "kept)", user, r->vs);
out:
	vs_buf_release(&pw);
	vs_buf_release(&sh);
	vs_buf_release(&gr);
	users_release(&u);
}

void
mod_user_list(struct vsd_req *r)
{
	struct vs_buf b = VS_BUF_INIT;
	struct vsusers u;
	const char *l, *f[7];
	size_t len, fl[7];
	int n = 0, k;

	if (users_open(r, &u) < 0)
		goto out;
	/* NAME UID GID HOME SHELL, one a line, as the VS's passwd says */
	FOR_LINES(&u.passwd.text, l, len) {
		for (k = 0; k < 7; k++)
			fl[k] = field(l, len, k, &f[k]);
		if (!fl[0] || fl[0] > VS_USER_MAX || !fl[2])
			continue;
		vs_buf_addf(&b, "%.*s %.*s %.*s %.*s %.*s\n", (int)fl[0], f[0],
		    (int)fl[2], f[2], (int)fl[3], f[3], (int)fl[5], f[5],
		    (int)fl[6], f[6]);
		n++;
	}
	vs_proto_block(r->out, b.buf, b.len, "%d users", n);
out:
	vs_buf_release(&b);
	users_release(&u);
}

void
mod_user_passwd(struct vsd_req *r)
{
	const char *user = r->argv[0];
	struct vs_buf sh = VS_BUF_INIT;
	_cleanup_free_ char *hash = NULL, *line = NULL;
	struct vsusers u;

	if (!good_user(r, user) || !good_password(r, r->argv[1]))
		return;
	if (users_open(r, &u) < 0)
		goto out;
	if (passwd_uid(&u.passwd.text, user) < 0) {
		vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "no user '%s' in '%s'",
		    user, r->vs);
		goto out;
	}
	if (!(hash = hash_password(r->argv[1]))) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot hash the "
		    "password");
		goto out;
	}
	line = shadow_line(user, hash);
	replace_line(&u.shadow.text, user, line, &sh);
	if (etc_write(&u, &u.shadow, &sh, 0640) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot write /etc/shadow "
		    "of '%s': %s", r->vs, strerror(errno));
		goto out;
	}
	vsd_ok_answer(r, "password of %s in %s changed", user, r->vs);
out:
	if (hash)
		explicit_bzero(hash, strlen(hash));
	if (line)
		explicit_bzero(line, strlen(line));
	vs_buf_release(&sh);
	users_release(&u);
}

int
vsd_vs_username(const struct vs_conf *conf, const struct vs_rec *rec,
    uid_t vsuid, char *buf)
{
	struct etcfile pw = { "passwd", VS_BUF_INIT, { 0 }, 0 };
	char *path = xasprintf("%s/vs/%s", conf->state_root, rec->name);
	const char *l, *f;
	size_t len, fl;
	int root, etc, rc = -1;
	char tmp[24];

	root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (root < 0)
		return -1;
	etc = vs_open_in_root(root, "etc", O_RDONLY | O_DIRECTORY);
	close(root);
	if (etc < 0)
		return -1;
	if (etc_read(etc, &pw) == 0) {
		FOR_LINES(&pw.text, l, len) {
			fl = field(l, len, 2, &f);
			if (!fl || fl >= sizeof(tmp))
				continue;
			memcpy(tmp, f, fl);
			tmp[fl] = '\0';
			if (atoll(tmp) != (long long)vsuid)
				continue;
			fl = field(l, len, 0, &f);
			if (fl == 0 || fl > VS_USER_MAX)
				continue;
			memcpy(buf, f, fl);
			buf[fl] = '\0';
			if (!vs_valid_username(buf))
				continue;
			rc = 0;
			break;
		}
	}
	close(etc);
	vs_buf_release(&pw.text);
	return rc;
}

int
vsd_vs_user_uid(const struct vs_conf *conf, const struct vs_rec *rec,
    const char *user, long long *uid)
{
	struct etcfile pw = { "passwd", VS_BUF_INIT, { 0 }, 0 };
	char *path = xasprintf("%s/vs/%s", conf->state_root, rec->name);
	int root, etc;
	long long v = -1;

	root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (root < 0)
		return -1;
	etc = vs_open_in_root(root, "etc", O_RDONLY | O_DIRECTORY);
	close(root);
	if (etc < 0)
		return -1;
	if (etc_read(etc, &pw) == 0)
		v = passwd_uid(&pw.text, user);
	close(etc);
	vs_buf_release(&pw.text);
	if (v < 0) {
		errno = ENOENT;
		return -1;
	}
	*uid = v;
	return 0;
}
