/* cmd_save.c - vsnap save NAME [-m MESSAGE] [--full] [-o FILE] */
#include <stdio.h>

#include "buf.h"
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
	if (v->json) {
		struct vs_buf b = VS_BUF_INIT;

		/* a file name is any bytes: escaped */
		vs_buf_adds(&b, o.out_path ? "{\"file\":" : "{\"id\":");
		vs_buf_add_json_str(&b, o.out_path ? o.out_path : id);
		vs_buf_adds(&b, "}\n");
		fwrite(b.buf, 1, b.len, stdout);
		vs_buf_release(&b);
	} else
		printf("%s\n", o.out_path ? o.out_path : id);
	return EX_OK;
}
