/* vstry.h - shared by vstry's main.c and cmd_*.c. */
#ifndef VSTRY_H
#define VSTRY_H

#include "conf.h"
#include "recipe.h"

#define EX_PASS		0
#define EX_FAIL		1
#define EX_USAGE	2
#define EX_ERROR	3

struct vstry {
	struct vs_conf conf;
	struct vs_recipe recipe;
	char **packages;	/* from the command line, resolved; or NULL */
	const char *junit;	/* file for --junit */
	int json, tap, keep, shell_on_fail, nodeps, quiet;
	int progress;		/* stderr is a terminal */
};

int vstry_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Run the trial, print the report, return the exit code. */
int cmd_trial(struct vstry *v);

/* Run the trial in a qemu VM (exec of the runner); returns only on
 * failure, with the exit code. */
int cmd_qemu(struct vstry *v, const char *cfile, const char *rfile,
    int verbose, char **pkgs, int npkgs);

#endif
