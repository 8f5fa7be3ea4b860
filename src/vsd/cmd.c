/* cmd.c - the protocol's command table (module, operands, who may run it,
 * where it runs) and the helpers the modules share: loading the target
 * VS, opening paths inside its root without following anything out of
 * it, and replacing a file there atomically. */
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

#define A	VSD_ADMIN
#define L	VSD_LOCAL
#define VA	VSD_VSADMIN
#define VU	VSD_VSUSER

/* sorted by name: bsearch */
static const struct vsd_cmd cmds[] = {
	{ "aliases_get", "mod_sendmail", 1, 0, 0, 0, A | VA, VSD_WORKER,
	  mod_sendmail_get, "" },
	{ "aliases_set", "mod_sendmail", 1, 0, 0, 1, A | VA, VSD_LOCKED,
	  mod_sendmail_set, "{ ALIAS: TARGET... }" },
	{ "apache_get", "mod_apache", 1, 0, 0, 0, A | VA, VSD_INLINE,
	  mod_apache_get, "" },
	{ "apache_name", "mod_apache", 1, 2, 2, 0, A, VSD_LOCKED,
	  mod_apache_name, "add|del SERVERNAME" },
	{ "apache_redirect", "mod_apache", 1, 2, 3, 0, A, VSD_LOCKED,
	  mod_apache_redirect, "PORT TARGET | PORT del" },
	{ "listrights", "mod_priv", 1, 0, 1, 0, A | VA | VU, VSD_WORKER,
	  mod_priv_listrights, "[USER]" },
	{ "quota_get", "mod_quota", 1, 0, 0, 0, A | VA, VSD_WORKER,
	  mod_quota_get, "" },
	{ "quota_set", "mod_quota", 1, 1, 2, 0, A, VSD_LOCKED,
	  mod_quota_set, "QUOTA_MB [PROCESSES]" },
	{ "setrights", "mod_priv", 1, 2, 2 + VS_PROTO_MAX_WORDS, 0, A | VA,
	  VSD_LOCKED, mod_priv_setrights, "USER [+|-]RIGHT..." },
	{ "user_add", "mod_user", 1, 1, 2, 0, A | VA, VSD_LOCKED,
	  mod_user_add, "USER [PASSWORD]" },
	{ "user_del", "mod_user", 1, 1, 1, 0, A | VA, VSD_LOCKED,
	  mod_user_del, "USER" },
	{ "user_list", "mod_user", 1, 0, 0, 0, A | VA, VSD_WORKER,
	  mod_user_list, "" },
	{ "user_passwd", "mod_user", 1, 2, 2, 0, A | VA, VSD_LOCKED,
	  mod_user_passwd, "USER PASSWORD" },
	{ "vs_create", "mod_vs", 1, 3, 4, 0, A, VSD_WORKER,
	  mod_vs_create, "IP FQDN QUOTA_MB [NUMBER]" },
	{ "vs_delete", "mod_vs", 1, 0, 0, 0, A, VSD_WORKER,
	  mod_vs_delete, "" },
	{ "vs_info", "mod_vs", 1, 0, 0, 0, A | L | VA | VU, VSD_INLINE,
	  mod_vs_info, "" },
	{ "vs_list", "mod_vs", 0, 0, 0, 0, A | L, VSD_INLINE,
	  mod_vs_list, "" },
	{ "vs_reboot", "mod_vs", 1, 0, 0, 0, A | VA, VSD_WORKER,
	  mod_vs_reboot, "" },
	{ "vs_reconcile", "mod_vs", 0, 0, 0, 0, A, VSD_WORKER,
	  mod_vs_reconcile, "" },
	{ "vs_restart", "mod_vs", 1, 0, 0, 0, A, VSD_WORKER,
	  mod_vs_restart, "" },
	{ "vs_rollback", "mod_vs", 1, 1, 1, 0, A, VSD_WORKER,
	  mod_snap_restore, "SNAPSHOT" },
	{ "vs_snapshot", "mod_vs", 1, 0, 1, 0, A | VA, VSD_WORKER,
	  mod_snap_save, "[MESSAGE]" },
	{ "vs_snapshot_del", "mod_vs", 1, 1, 1, 0, A, VSD_WORKER,
	  mod_snap_delete, "SNAPSHOT" },
	{ "vs_snapshot_diff", "mod_vs", 1, 1, 1, 0, A | VA, VSD_WORKER,
	  mod_snap_diff, "SNAPSHOT" },
	{ "vs_snapshots", "mod_vs", 1, 0, 0, 0, A | VA, VSD_WORKER,
	  mod_snap_list, "" },
	{ "vs_start", "mod_vs", 1, 0, 0, 0, A, VSD_WORKER,
	  mod_vs_start, "" },
	{ "vs_stop", "mod_vs", 1, 0, 0, 0, A, VSD_WORKER,
	  mod_vs_stop, "" },
};

static int
cmd_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct vsd_cmd *)elem)->name);
}

const struct vsd_cmd *
vsd_cmd_find(const char *name)
{
	return bsearch(name, cmds, ARRAY_SIZE(cmds), sizeof(cmds[0]),
	    cmd_cmp);
}

/* The parser asks this to tell `cmd {` (a data block) from `NAME {`. */
int
vsd_cmd_is(const char *word)
{
	return vsd_cmd_find(word) != NULL || strcmp(word, "auth") == 0 ||
	    strcmp(word, "help") == 0 || strcmp(word, "version") == 0;
}

const struct vsd_cmd *
vsd_cmd_table(size_t *n)
{
	*n = ARRAY_SIZE(cmds);
	return cmds;
}

int
vsd_load_vs(struct vsd_req *r, struct vs_rec *rec)
{
	struct vs_err err = VS_ERR_INIT;

	if (vs_rec_load(r->conf, r->vs, rec, &err) < 0) {
		if (errno == ENOENT)
			vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "no such "
			    "server '%s'", r->vs);
		else
			vsd_err_answer(r, VS_PROTO_E_INTERNAL, "%s", err.msg);
		return -1;
	}
	return 0;
}

int
vsd_open_root(struct vsd_req *r, const struct vs_rec *rec)
{
	char *path = xasprintf("%s/vs/%s", r->conf->state_root, rec->name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		vsd_err_answer(r, errno == ENOENT ? VS_PROTO_E_NOTFOUND :
		    VS_PROTO_E_INTERNAL, "cannot open the root of '%s': %s",
		    rec->name, strerror(errno));
	free(path);
	return fd;
}

