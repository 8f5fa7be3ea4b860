/* cmd_save.c - vsnap save NAME [-m MESSAGE] [--full] [-o FILE] */
#include <stdio.h>

#include "vsnap.h"

int
cmd_save(struct vsnap *v, int argc, char **argv)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	char id[VS_SNAP_ID_MAX + 1];
	int i = vsnap_opts(v, argc, argv, "mFo", &o);

	if (i < 0)
		return EX_USAGE;
	if (argc - i != 1)
		return vsnap_usage("save needs a VS name");
	if (vs_snap_save(&v->conf, argv[i], &o, id, &err) < 0) {
		vsnap_progress_done(v);
		return vsnap_fail(&err);
	}
	vsnap_progress_done(v);
	if (o.out_path)
		printf(v->json ? "{\"file\":\"%s\"}\n" : "%s\n", o.out_path);
	else
		printf(v->json ? "{\"id\":\"%s\"}\n" : "%s\n", id);
	return EX_OK;
}
