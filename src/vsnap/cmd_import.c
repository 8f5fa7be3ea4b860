/* cmd_import.c - vsnap import FILE NAME */
#include <stdio.h>

#include "vsnap.h"

int
cmd_import(struct vsnap *v, int argc, char **argv)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	char id[VS_SNAP_ID_MAX + 1];
	int i = vsnap_opts(v, argc, argv, "PBE", &o);

	if (i < 0)
		return EX_USAGE;
	if (argc - i != 2)
		return vsnap_usage("import needs a file and a VS name");
	if (vs_snap_import(&v->conf, argv[i], argv[i + 1], &o, id,
	    &err) < 0) {
		vsnap_progress_done(v);
		return vsnap_fail(&err);
	}
	vsnap_progress_done(v);
	printf(v->json ? "{\"id\":\"%s\"}\n" : "%s\n", id);
	return EX_OK;
}
