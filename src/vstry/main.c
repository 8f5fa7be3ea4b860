/* vstry - try packages in a disposable VS and report what they do.
 * Options here; the trial and its report in cmd_trial.c. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "vstry.h"
#include "xmem.h"
#include "banned.h"

static const char usage_text[] =
"usage: vstry [-c file] [-r recipe] [--json | --tap] [--junit file]\n"
"             [--keep | --shell-on-fail] [--nodeps] [--qemu | --no-qemu]\n"
"             [-q] [-v] [package ...]\n"
"       vstry -n -r recipe\n";

static const char help_text[] =
"\n"
"Install .rpm or .deb packages into a throw-away virtual server made from\n"
"the skeleton, run the recipe's checks, remove them, report, discard.\n"
"\n"
"  -c, --config FILE    vsd.conf to use (default $VSD_CONF or /etc/vsd/vsd.conf)\n"
"  -r, --recipe FILE    the checks to run (default: install, verify, remove,\n"
"                       leftovers, outside changes, processes)\n"
"  -n, --check          check the recipe, print \"recipe OK\" and exit\n"
"      --json           the report as JSON on stdout\n"
"      --tap            the checks as TAP on stdout\n"
"      --junit FILE     also write the checks as JUnit XML to FILE\n"
"      --keep           keep the VS (running) after the trial\n"
"      --shell-on-fail  on failure open a shell in the VS (bevs), then discard it\n"
"      --nodeps         do not check dependencies\n"
"      --qemu           run the trial inside a throw-away qemu VM (its own\n"
"                       kernel; needs a built checkout: see vstry(8))\n"
"      --no-qemu        run it here even if the recipe says isolation qemu\n"
"  -q, --quiet          no progress lines\n"
"  -v, --verbose        debug messages\n"
"\n"
"Exit status: 0 all checks passed, 1 a check failed, 2 usage, 3 the trial\n"
"could not run.\n";

int
vstry_usage(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vs_cli_vusage("vstry", usage_text, fmt, ap);
	va_end(ap);
	return rc;
}

/* A recipe's package path is relative to the recipe's directory. */
static char **
recipe_packages(const struct vs_recipe *r)
{
	char **v = xcalloc(r->n_packages + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < r->n_packages; i++)
		v[i] = r->packages[i][0] == '/' ? xstrdup(r->packages[i]) :
		    xasprintf("%s/%s", r->dir, r->packages[i]);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "recipe", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "tap", no_argument, NULL, 't' },
		{ "junit", required_argument, NULL, 'J' },
		{ "keep", no_argument, NULL, 'k' },
		{ "shell-on-fail", no_argument, NULL, 's' },
		{ "nodeps", no_argument, NULL, 'D' },
		{ "qemu", no_argument, NULL, 'Q' },
		{ "no-qemu", no_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vstry v;
	struct vs_buf errs = VS_BUF_INIT;
	const char *cfile = NULL, *rfile = NULL;
	int c, verbose = 0, check = 0, rc, i;
	int qemu = -1;		/* --qemu 1, --no-qemu 0, else the recipe's */

	log_init("vstry", 1, 0);
	memset(&v, 0, sizeof(v));
	while ((c = getopt_long(argc, argv, "c:r:nqvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfile = optarg; break;
		case 'r': rfile = optarg; break;
		case 'n': check = 1; break;
		case 'j': v.json = 1; break;
		case 't': v.tap = 1; break;
		case 'J': v.junit = optarg; break;
		case 'k': v.keep = 1; break;
		case 's': v.shell_on_fail = 1; break;
		case 'D': v.nodeps = 1; break;
		case 'Q': qemu = 1; break;
		case 'N': qemu = 0; break;
		case 'q': v.quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h':
			printf("%s%s", usage_text, help_text);
			return EX_PASS;
		case 'V':
			printf("vstry %s\n", VSD_VERSION);
			return EX_PASS;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	log_setverbose(verbose);
	if (v.json && v.tap)
		return vstry_usage("--json and --tap exclude each other");
	if (v.keep && v.shell_on_fail)
		return vstry_usage("--keep and --shell-on-fail exclude each "
		    "other");
	if (qemu == 1 && (v.keep || v.shell_on_fail))
		return vstry_usage("--qemu discards the VM with the trial: "
		    "no --keep or --shell-on-fail");
	if (check && !rfile)
		return vstry_usage("-n needs a recipe (-r)");

	if (rfile) {
		if (vs_recipe_parse_file(&v.recipe, rfile, &errs) < 0) {
			fputs(errs.buf, stderr);
			vs_buf_release(&errs);
			return EX_USAGE;
		}
	} else {
		vs_recipe_init(&v.recipe);
		v.recipe.dir = xstrdup(".");
	}
	if (check) {
		printf("recipe OK\n");
		vs_recipe_release(&v.recipe);
		return EX_PASS;
	}
	if (optind < argc) {
		v.packages = xcalloc((size_t)(argc - optind) + 1,
		    sizeof(*v.packages));
		for (i = optind; i < argc; i++)
			v.packages[i - optind] = xstrdup(argv[i]);
	} else if (v.recipe.n_packages)
		v.packages = recipe_packages(&v.recipe);
	else {
		vs_recipe_release(&v.recipe);
		return vstry_usage("no package given (on the command line "
		    "or in the recipe)");
	}
	if (!v.recipe.name) {
		/* no recipe: the report is named for the first package */
		const char *b = strrchr(v.packages[0], '/');

		v.recipe.name = xstrdup(b ? b + 1 : v.packages[0]);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vstry: must run as root (it creates and "
		    "starts a VS)\n");
		rc = EX_ERROR;
		goto out;
	}
	if (vs_conf_load(cfile, cfile != NULL, &v.conf, &errs) < 0) {
		fputs(errs.buf, stderr);
		rc = EX_ERROR;
		goto out;
	}
	v.progress = !v.quiet && isatty(2);
	if (qemu == 1 || (qemu == -1 && v.recipe.qemu)) {
		if (v.keep || v.shell_on_fail) {
			vs_conf_release(&v.conf);
			rc = vstry_usage("the recipe says isolation qemu: no "
			    "--keep or --shell-on-fail (or --no-qemu)");
			goto out;
		}
		/* the guest resolves the packages itself, as given */
		rc = cmd_qemu(&v, cfile, rfile, verbose, argv + optind,
		    argc - optind);
	} else
		rc = cmd_trial(&v);
	vs_conf_release(&v.conf);
out:
	for (i = 0; v.packages && v.packages[i]; i++)
		free(v.packages[i]);
	free(v.packages);
	vs_recipe_release(&v.recipe);
	vs_buf_release(&errs);
	return rc;
}
