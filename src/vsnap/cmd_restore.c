/* cmd_restore.c - vsnap restore NAME SNAPSHOT [--restart] ... */
#include "vsnap.h"

int
cmd_restore(struct vsnap *v, int argc, char **argv)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	int i = vsnap_opts(v, argc, argv, "RAUPBE", &o);

	if (i < 0)
		return EX_USAGE;
	if (argc - i != 2)
		return vsnap_usage("restore needs a VS name and a snapshot");
	if (vs_snap_restore(&v->conf, argv[i], argv[i + 1], &o, &err) < 0) {
		vsnap_progress_done(v);
		return vsnap_fail(&err);
	}
	return EX_OK;
}
