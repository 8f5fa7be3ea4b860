/* cmd_export.c - vsnap export NAME SNAPSHOT FILE */
#include "vsnap.h"

int
cmd_export(struct vsnap *v, int argc, char **argv)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	int i = vsnap_opts(v, argc, argv, "", &o);

	if (i < 0)
		return EX_USAGE;
	if (argc - i != 3)
		return vsnap_usage("export needs a VS name, a snapshot and a "
		    "file");
	if (vs_snap_export(&v->conf, argv[i], argv[i + 1], argv[i + 2], &o,
	    &err) < 0) {
		vsnap_progress_done(v);
		return vsnap_fail(&err);
	}
	return EX_OK;
}
