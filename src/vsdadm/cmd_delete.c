/* cmd_delete.c - vsdadm delete / vs_delete: remove a VS and its root. */
#include <stdio.h>

#include "vsdadm.h"
#include "banned.h"

static int
do_delete(struct vsdadm *a, const char *name)
{
	struct vs_err err = VS_ERR_INIT;

	if (a->ops->delete(&a->conf, name, &err) < 0)
		return vsdadm_fail(&err);
	if (a->json)
		printf("{\"deleted\":\"%s\"}\n", name);	/* name is valid */
	else
		printf("deleted server '%s'\n", name);
	return EX_OK;
}

int
cmd_vs_delete(struct vsdadm *a, int argc, char **argv)
{
	if (argc != 3)
		return vsdadm_usage("vs_delete needs: host name");
	if (vsdadm_host(argv[1]) < 0)
		return EX_USAGE;
	return do_delete(a, argv[2]);
}

int
cmd_delete(struct vsdadm *a, int argc, char **argv)
{
	if (argc != 2)
		return vsdadm_usage("delete needs: name");
	return do_delete(a, argv[1]);
}
