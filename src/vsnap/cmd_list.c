/* cmd_list.c - vsnap list [NAME] [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "vsnap.h"

int
cmd_list(struct vsnap *v, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_snap_info *in = NULL;
	struct vs_buf b = VS_BUF_INIT;
	size_t n = 0, k;

	if (argc > 2)
		return vsnap_usage("list takes at most a VS name");
	if (vs_snap_list(&v->conf, argc == 2 ? argv[1] : NULL, &in, &n,
	    &err) < 0)
		return vsnap_fail(&err);
	if (v->json)
		vs_buf_addch(&b, '[');
	else if (n)
		vs_buf_addf(&b, "%-16s %-20s %-20s %-4s %10s  %s\n", "VS", "ID",
		    "CREATED", "KIND", "SIZE", "MESSAGE");
	for (k = 0; k < n; k++) {
		char t[32];
		struct tm tm;
		time_t c = in[k].created;

		gmtime_r(&c, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%SZ", &tm);
		if (v->json) {
			vs_buf_adds(&b, k ? ",{" : "{");
			vsnap_info_json(&b, &in[k]);
			vs_buf_addch(&b, '}');
		} else
			vs_buf_addf(&b, "%-16s %-20s %-20s %-4s %10lld  %s\n",
			    in[k].vs, in[k].id, t, in[k].full ? "full" :
			    "skel", in[k].file_size, in[k].message);
	}
	if (v->json)
		vs_buf_adds(&b, "]\n");
	fwrite(b.buf, 1, b.len, stdout);
	vs_buf_release(&b);
	free(in);
	return EX_OK;
}
