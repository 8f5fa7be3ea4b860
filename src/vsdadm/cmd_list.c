/* cmd_list.c - vsdadm list / vs_list: every VS, one a line. */
#include <stdio.h>
#include <stdlib.h>

#include "vsdadm.h"
#include "banned.h"

static int
do_list(struct vsdadm *a)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec *r = NULL;
	struct vs_buf b = VS_BUF_INIT;
	size_t n = 0, i;

	if (a->ops->list(&a->conf, &r, &n, &err) < 0)
		return vsdadm_fail(&err);
	if (a->json) {
		vs_buf_addch(&b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				vs_buf_addch(&b, ',');
			vsdadm_rec_json(&b, &r[i]);
		}
		vs_buf_addch(&b, ']');
		puts(b.buf);
		vs_buf_release(&b);
	} else {
		if (n)
			printf("%-20s %4s %10s %-15s %-30s %8s %s\n", "NAME",
			    "NUM", "UID_BASE", "IP", "FQDN", "QUOTA_MB",
			    "STATE");
		for (i = 0; i < n; i++)
			printf("%-20s %4lld %10lld %-15s %-30s %8lld %s\n",
			    r[i].name, r[i].number, r[i].uid_base, r[i].ip,
			    r[i].fqdn, r[i].quota_mb, r[i].state);
	}
	free(r);
	return EX_OK;
}

int
cmd_vs_list(struct vsdadm *a, int argc, char **argv)
{
	if (argc != 2)
		return vsdadm_usage("vs_list needs: host");
	if (vsdadm_host(argv[1]) < 0)
		return EX_USAGE;
	return do_list(a);
}

int
cmd_list(struct vsdadm *a, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return vsdadm_usage("list takes no arguments");
	return do_list(a);
}
