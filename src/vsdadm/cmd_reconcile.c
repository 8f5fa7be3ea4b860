/* cmd_reconcile.c - vsdadm reconcile: finish or roll back interrupted
 * operations (what vsd does at start). */
#include <stdio.h>

#include "vsdadm.h"
#include "banned.h"

int
cmd_reconcile(struct vsdadm *a, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf rep = VS_BUF_INIT;
	int n;

	(void)argv;
	if (argc != 1)
		return vsdadm_usage("reconcile takes no arguments");
	n = a->ops->reconcile(&a->conf, &rep, &err);
	fputs(rep.buf, stdout);
	vs_buf_release(&rep);
	if (n < 0)
		return vsdadm_fail(&err);
	if (!a->json)
		printf("%d interrupted operation%s repaired\n", n,
		    n == 1 ? "" : "s");
	else
		printf("{\"repaired\":%d}\n", n);
	return EX_OK;
}
