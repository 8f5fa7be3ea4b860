/* cmd_diff.c - vsnap diff NAME SNAPSHOT: what changed since the snapshot.
 * Exit 0 when nothing changed, 1 when something did (as diff(1)). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "vsnap.h"

int
cmd_diff(struct vsnap *v, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	long long n;

	if (argc != 3)
		return vsnap_usage("diff needs a VS name and a snapshot");
	n = vs_snap_diff(&v->conf, argv[1], argv[2], &out, &err);
	if (n < 0)
		return vsnap_fail(&err);
	if (v->json) {
		const char *p = out.buf;
		struct vs_buf j = VS_BUF_INIT;
		int first = 1;

		vs_buf_addch(&j, '[');
		while (*p) {
			const char *nl = strchr(p, '\n');
			struct vs_buf path = VS_BUF_INIT;

			vs_buf_add(&path, p + 2, nl - p - 2);
			vs_buf_addf(&j, "%s{\"change\":\"%c\",\"path\":",
			    first ? "" : ",", p[0]);
			vs_buf_add_json_str(&j, path.buf);
			vs_buf_addch(&j, '}');
			vs_buf_release(&path);
			first = 0;
			p = nl + 1;
		}
		vs_buf_adds(&j, "]\n");
		fwrite(j.buf, 1, j.len, stdout);
		vs_buf_release(&j);
	} else
		fwrite(out.buf, 1, out.len, stdout);
	vs_buf_release(&out);
	return n ? EX_FAIL : EX_OK;
}
