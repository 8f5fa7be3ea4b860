/* snap_repair.c - the journal's repair of an interrupted vsnap restore.
 * Apart from snap_restore.c so that what links the journal (vsdadm's
 * reconcile) does not load libarchive and its dependencies for it: half
 * the start-up time of a vsdadm command. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "rmtree.h"
#include "snap.h"
#include "xmem.h"
#include "banned.h"

/* A temporary tree of ours: ".restore-NAME.DIGITS". */
static int
tmp_ok(const char *t, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(t, ".restore-", 9) != 0 || strncmp(t + 9, name, n) != 0 ||
	    t[9 + n] != '.' || !t[10 + n])
		return 0;
	return strspn(t + 10 + n, "0123456789") == strlen(t + 10 + n);
}

int
vs_snap_repair_restore(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err)
{
	_cleanup_free_ char *vsp = vs_conf_dir(conf, "vs");
	_cleanup_close_ int vsdir = -1;

	if (!tmp_ok(e->detail, e->name))
		return vs_err_set(err, EUCLEAN, "bad temporary name '%s'",
		    e->detail);
	vsdir = open(vsp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vsdir < 0)
		return vs_err_sys(err, "cannot open '%s'", vsp);
	/* before the swap it is the half-built tree, after it the old
	 * root: garbage either way, the VS's root is whole */
	if (vs_rmtree(vsdir, e->detail, NULL, err) < 0)
		return -1;
	if (report)
		vs_buf_addf(report, "restore %s: removed '%s'\n", e->name,
		    e->detail);
	return 0;
}
