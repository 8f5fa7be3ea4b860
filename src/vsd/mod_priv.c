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
 * Programs that enforce a right (virtuald for login) read the
 * host file: a VS root can rename its own /etc/vsd away and plant
 * another, which changes what the VS sees but never what the host
 * believes.  The `login` right is changed by host administrators only.
 * The programs skel.conf ties to a right are enforced after each change
 * (vsd_rights_enforce: rights.h's vs_rights_apply, also after user_add,
 * user_del, a rollback and at vsd's start).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atfile.h"
#include "log.h"
#include "proto.h"
#include "rights.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

/* Save the host file, then publish the VS's read-only copy. */
static int
tab_save(struct vsd_req *r, const struct vs_rec *rec, struct vs_privtab *t)
{
	struct vs_buf b = VS_BUF_INIT;
	char *dir = xasprintf("%s/state/priv", r->conf->state_root);
	int dfd = -1, root = -1, etc = -1, vsd = -1, rc = -1;

	vs_privtab_format(t, &b);
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
	etc = vs_open_in_root(root, "etc", O_RDONLY | O_DIRECTORY);
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

int
vsd_rights_enforce(struct vsd_req *r, const struct vs_rec *rec,
    struct vs_buf *why)
{
	struct vs_buf probs = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	int rc = vs_rights_apply(r->conf, rec, NULL, &probs, &err);
	size_t i;

	vs_buf_reset(why);
	if (rc < 0) {
		log_warnx("rights of '%s': %s", rec->name, err.msg);
		vs_buf_addf(why, "not enforced: %s", err.msg);
	} else if (rc > 0) {
		vs_buf_rtrim(&probs);
		log_warnx("rights of '%s': %s", rec->name, probs.buf);
		/* one answer line: the problems joined */
		for (i = 0; i < probs.len; i++)
			if (probs.buf[i] == '\n')
				probs.buf[i] = ';';
		vs_buf_adds(why, probs.buf);
	}
	vs_buf_release(&probs);
	return rc == 0 ? 0 : -1;
}

static void
user_rights(const struct vs_privtab *t, const char *user, struct vs_buf *out)
{
	size_t i;
	int any = 0;

	for (i = 0; i < VS_RIGHTS_N; i++)
		if (vs_privtab_has(t, (int)i, user)) {
			vs_buf_addf(out, "%s%s", any ? " " : "", vs_rights_names[i]);
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
	struct vs_privtab t;
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
		int ri = vs_right_index(a);

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
	if (vs_privtab_load(r->conf, r->vs, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		return;
	}
	for (i = 1; i < r->argc; i++) {
		int minus = r->argv[i][0] == '-';
		const char *a = r->argv[i] + (minus || r->argv[i][0] == '+');

		if (minus)
			vs_privtab_del(&t, vs_right_index(a), user);
		else
			vs_privtab_add(&t, vs_right_index(a), user);
	}
	if (tab_save(r, &rec, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot save the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		goto out;
	}
	if (vsd_rights_enforce(r, &rec, &b) < 0) {
		vsd_err_answer(r, VS_PROTO_E_CONFLICT, "rights of %s saved, "
		    "but %s", user, b.buf);
		goto out;
	}
	user_rights(&t, user, &b);
	vsd_ok_answer(r, "%s %s", user, b.buf);
out:
	vs_buf_release(&b);
	vs_privtab_release(&t);
}

void
mod_priv_listrights(struct vsd_req *r)
{
	char self[VS_USER_MAX + 1];
	const char *user = r->argc ? r->argv[0] : NULL;
	struct vs_buf b = VS_BUF_INIT;
	struct vs_privtab t;
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
	if (vs_privtab_load(r->conf, r->vs, &t) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the rights "
		    "of '%s': %s", r->vs, strerror(errno));
		return;
	}
	if (user) {
		user_rights(&t, user, &b);
		vsd_ok_answer(r, "%s %s", user, b.buf);
	} else {
		vs_privtab_format(&t, &b);
		vs_proto_block(r->out, b.buf, b.len, "rights of %s", r->vs);
	}
	vs_buf_release(&b);
	vs_privtab_release(&t);
}
