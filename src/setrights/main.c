/* setrights - the VS administrator grants or revokes a user's rights
 * (setrights(1)); vsd checks and records them. */
#include <stdio.h>
#include <string.h>

#include "vstool.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: setrights USER [+|-]RIGHT...\n"
	    "rights: cron ftp gcc login mail perl shell www "
	    "(login: host administrator only)\n");
}

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 3 || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	argv[0] = "setrights";
	return vs_tool_run("setrights", argc, argv);
}
