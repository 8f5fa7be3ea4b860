/* rebootvs - the VS administrator restarts the VS's services: vsd sends
 * SIGHUP to the VS's vsinit (rebootvs(8)). */
#include <stdio.h>
#include <string.h>

#include "vstool.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	char *cmd[] = { "vs_reboot", NULL };

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: rebootvs\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: rebootvs\n");
		return 2;
	}
	return vs_tool_run("rebootvs", 1, cmd);
}
