/* listrights - list the rights of the VS's users, or of one user
 * (listrights(1)); a user who is not the VS administrator sees their own. */
#include <stdio.h>
#include <string.h>

#include "vstool.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: listrights [USER]\n");
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: listrights [USER]\n");
		return 2;
	}
	argv[0] = "listrights";
	return vs_tool_run("listrights", argc, argv);
}
