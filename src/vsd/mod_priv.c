/* mod_priv.c - the protocol's mod_priv: per-user rights inside a VS.
 *
 * The truth is a host file, state_root/state/priv/NAME, that no VS can
 * reach; after every change it is published into the VS as /etc/vsd/priv,
 * owned by host root (so "nobody", read-only, inside the VS).  Both have
 * /etc/group's shape, one right a line:
 *
 *	ftp:alice,bob
 *	login:alice
 *
 * Programs that enforce a right (bevs -u, virtuald for login) read the
 * host file: a VS root can rename its own /etc/vsd away and plant
 * another, which changes what the VS sees but never what the host
 * believes.  The `login` right is changed by host administrators only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

static const char *const rights[] = {
	"cron", "ftp", "gcc", "login", "mail", "perl", "shell", "www",
};
#define NRIGHTS ARRAY_SIZE(rights)
#define MAX_USERS 4096		/* per right */

struct privtab {
	char **users[NRIGHTS];	/* NULL-terminated lists */
	size_t n[NRIGHTS];
};

static int
right_index(const char *r)
{
	size_t i;

	for (i = 0; i < NRIGHTS; i++)
		if (strcmp(rights[i], r) == 0)
			return (int)i;
	return -1;
}

static void
tab_release(struct privtab *t)
{
	size_t i, k;

	for (i = 0; i < NRIGHTS; i++) {
		for (k = 0; k < t->n[i]; k++)
			free(t->users[i][k]);
		free(t->users[i]);
	}
	memset(t, 0, sizeof(*t));
}

static int
tab_has(const struct privtab *t, int ri, const char *user)
{
	size_t k;

	for (k = 0; k < t->n[ri]; k++)
		if (strcmp(t->users[ri][k], user) == 0)
			return 1;
	return 0;
}

static void
tab_add(struct privtab *t, int ri, const char *user)
{
	if (tab_has(t, ri, user) || t->n[ri] >= MAX_USERS)
		return;
	t->users[ri] = xrealloc(t->users[ri], (t->n[ri] + 1) *
	    sizeof(char *));
	t->users[ri][t->n[ri]++] = xstrdup(user);
}

static void
tab_del(struct privtab *t, int ri, const char *user)
{
	size_t k;

	for (k = 0; k < t->n[ri]; k++)
		if (strcmp(t->users[ri][k], user) == 0) {
			free(t->users[ri][k]);
			t->users[ri][k] = t->users[ri][--t->n[ri]];
			return;
		}
}

static char *
host_path(const struct vs_conf *conf, const char *vs)
{
	return xasprintf("%s/state/priv/%s", conf->state_root, vs);
}

/* Load the host file (absent = no rights); junk lines are dropped. */
static int
tab_load(const struct vs_conf *conf, const char *vs, struct privtab *t)
{
	struct vs_buf b = VS_BUF_INIT;
	char *path = host_path(conf, vs);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t i = 0;

	free(path);
	memset(t, 0, sizeof(*t));
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (vs_buf_read_fd(&b, fd, 1 << 20) < 0) {
		close(fd);
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
		if ((ri = right_index(l)) < 0)
			continue;
		for (u = strtok_r(c + 1, ",", &l); u; u = strtok_r(NULL, ",",
		    &l))
			if (vs_valid_username(u))
				tab_add(t, ri, u);
	}
	vs_buf_release(&b);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
tab_format(struct privtab *t, struct vs_buf *out)
{
	size_t i, k;

	for (i = 0; i < NRIGHTS; i++) {
		qsort(t->users[i], t->n[i], sizeof(char *), cmp_str);
		vs_buf_addf(out, "%s:", rights[i]);
		for (k = 0; k < t->n[i]; k++)
			vs_buf_addf(out, "%s%s", k ? "," : "", t->users[i][k]);
		vs_buf_addch(out, '\n');
	}
}

/* Save the host file, then publish the VS's read-only copy. */
static int
tab_save(struct vsd_req *r, const struct vs_rec *rec, struct privtab *t)
{
	struct vs_buf b = VS_BUF_INIT;
	char *dir = xasprintf("%s/state/priv", r->conf->state_root);
	int dfd = -1, root = -1, etc = -1, vsd = -1, rc = -1;

	tab_format(t, &b);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto out;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto out;
	if (vs_write_file_at(dfd, rec->name, b.buf, b.len, 0, 0, 0600) < 0)
		goto out;
	rc = 0;
	/* publishing is best effort: the host file is the truth */
	root = vsd_open_root(r, rec);
	if (root < 0) {
		vs_buf_reset(r->out);
		goto out;
	}
	etc = vsd_open_in(root, "etc", O_RDONLY | O_DIRECTORY, 0);
	if (etc >= 0 && mkdirat(etc, "vsd", 0755) < 0 && errno != EEXIST)
		goto out;
	if (etc >= 0)
		vsd = openat(etc, "vsd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (vsd >= 0)
		vs_write_file_at(vsd, "priv", b.buf, b.len, 0, 0, 0644);
out:
	if (vsd >= 0)
		close(vsd);
	if (etc >= 0)
		close(etc);
	if (root >= 0)
		close(root);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	vs_buf_release(&b);
	return rc;
}

static void
user_rights(const struct privtab *t, const char *user, struct vs_buf *out)
{
	size_t i;
	int any = 0;

	for (i = 0; i < NRIGHTS; i++)
		if (tab_has(t, (int)i, user)) {
			vs_buf_addf(out, "%s%s", any ? " " : "", rights[i]);
			any = 1;
		}
	if (!any)
		vs_buf_adds(out, "(none)");
}

void
mod_priv_setrights(struct vsd_req *r)
{
	const char *user = r->argv[0];
	struct vs_buf b = VS_BUF_INIT;
	struct privtab t;
	struct vs_rec rec;
	long long uid;
	int i;

	if (!vs_valid_username(user)) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "invalid user name "
		    "'%.40s'", user);
		return;
	}
	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (vsd_vs_user_uid(r->conf, &rec, user, &uid) < 0) {
		vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "no user '%s' in '%s'",
		    user, r->vs);
		return;
	}
	/* check every operand before changing anything */
	for (i = 1; i < r->argc; i++) {
		const char *a = r->argv[i] + (r->argv[i][0] == '+' ||
		    r->argv[i][0] == '-');
		int ri = right_index(a);

		if (ri < 0) {
			vsd_err_answer(r, VS_PROTO_E_SYNTAX, "unknown right "
			    "'%.32s' (known: cron ftp gcc login mail perl "
			    "shell www)", a);
			return;
		}
		if (strcmp(a, "login") == 0 && r->who->role != VSD_ADMIN) {
			vsd_err_answer(r, VS_PROTO_E_FORBIDDEN, "the login "
			    "right is granted and revoked by the host "
			    "administrator only");
			return;
		}
	}
	if (tab_load(r->conf, r->vs, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		return;
	}
	for (i = 1; i < r->argc; i++) {
		int minus = r->argv[i][0] == '-';
		const char *a = r->argv[i] + (minus || r->argv[i][0] == '+');

		if (minus)
			tab_del(&t, right_index(a), user);
		else
			tab_add(&t, right_index(a), user);
	}
	if (tab_save(r, &rec, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot save the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		goto out;
	}
	user_rights(&t, user, &b);
	vsd_ok_answer(r, "%s %s", user, b.buf);
out:
	vs_buf_release(&b);
	tab_release(&t);
}

void
mod_priv_listrights(struct vsd_req *r)
{
	char self[VS_USER_MAX + 1];
	const char *user = r->argc ? r->argv[0] : NULL;
	struct vs_buf b = VS_BUF_INIT;
	struct privtab t;
	struct vs_rec rec;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (r->who->role == VSD_VSUSER) {
		/* a VS user sees their own rights only */
		if (vsd_vs_username(r->conf, &rec, r->who->uid, self) < 0) {
			vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "uid %u has no "
			    "name in /etc/passwd of '%s'",
			    (unsigned)r->who->uid, r->vs);
			return;
		}
		if (user && strcmp(user, self) != 0) {
			vsd_err_answer(r, VS_PROTO_E_FORBIDDEN, "a VS user may "
			    "list their own rights only");
			return;
		}
		user = self;
	}
	if (user && !vs_valid_username(user)) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "invalid user name "
		    "'%.40s'", user);
		return;
	}
	if (tab_load(r->conf, r->vs, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		return;
	}
	if (user) {
		user_rights(&t, user, &b);
		vsd_ok_answer(r, "%s %s", user, b.buf);
	} else {
		tab_format(&t, &b);
		vs_proto_block(r->out, b.buf, b.len, "rights of %s", r->vs);
	}
	vs_buf_release(&b);
	tab_release(&t);
}
