/* cmd_verify.c - vsnap verify FILE: read all of an archive and check it. */
#include <stdio.h>

#include "buf.h"
#include "vsnap.h"

int
cmd_verify(struct vsnap *v, int argc, char **argv)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_snap_info in;
	struct vs_buf b = VS_BUF_INIT;
	int i = vsnap_opts(v, argc, argv, "PBE", &o);

	if (i < 0)
		return EX_USAGE;
	if (argc - i != 1)
		return vsnap_usage("verify needs a file");
	if (vs_snap_verify(&v->conf, argv[i], &o, &in, &err) < 0) {
		vsnap_progress_done(v);
		return vsnap_fail(&err);
	}
	vsnap_progress_done(v);
	if (v->json) {
		vs_buf_adds(&b, "{\"ok\":true,");
		vsnap_info_json(&b, &in);
		vs_buf_adds(&b, "}\n");
	} else
		vs_buf_addf(&b, "%s: ok: snapshot %s of %s, %s, %lld entries, "
		    "%lld bytes, %lld skeleton files\n", argv[i], in.id, in.vs,
		    in.full ? "full" : "skeleton-relative", in.entries,
		    in.data_bytes, in.skel_files);
	fwrite(b.buf, 1, b.len, stdout);
	vs_buf_release(&b);
	return EX_OK;
}
