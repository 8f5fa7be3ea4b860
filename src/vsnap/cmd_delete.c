/* cmd_delete.c - vsnap delete NAME SNAPSHOT */
#include "vsnap.h"

int
cmd_delete(struct vsnap *v, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;

	if (argc != 3)
		return vsnap_usage("delete needs a VS name and a snapshot");
	if (vs_snap_delete(&v->conf, argv[1], argv[2], &err) < 0)
		return vsnap_fail(&err);
	return EX_OK;
}
