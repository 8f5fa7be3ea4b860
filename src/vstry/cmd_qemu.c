/* cmd_qemu.c - vstry --qemu: hand the trial to the VM runner.
 *
 * The runner (ci/vstry-qemu) boots the ci/qemu guest, runs this same
 * vstry there with the same options (the guest sees the host's files
 * read-only with a copy-on-write layer: config, skeleton, recipe and
 * packages serve unchanged) and gives back its report, JUnit file and
 * exit code.  It needs the built tree of a checkout (the guest runs its
 * build/ programs): it is looked up beside this program when it runs from
 * a checkout's build/, else in LIBEXECDIR, where a package may put it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vstry.h"
#include "xmem.h"
#include "banned.h"

#define RUNNER	"vstry-qemu"

/* The checkout's ci/vstry-qemu when this vstry is its build/vstry. */
static char *
checkout_runner(void)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if (!(slash = strrchr(self, '/')))
		return NULL;
	*slash = '\0';		/* .../build */
	if (!(slash = strrchr(self, '/')) || strcmp(slash, "/build") != 0)
		return NULL;
	*slash = '\0';		/* the checkout */
	return xasprintf("%s/ci/" RUNNER, self);
}

static char *
find_runner(void)
{
	char *p = checkout_runner();

	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	p = xstrdup(VSD_LIBEXECDIR "/" RUNNER);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int
cmd_qemu(struct vstry *v, const char *cfile, const char *rfile, int verbose,
    char **pkgs, int npkgs)
{
	_cleanup_free_ char *runner = find_runner();
	const char **av;
	size_t n = 0;
	int i;

	if (!runner) {
		fprintf(stderr, "vstry: --qemu needs the VM runner of a built "
		    "freeVSD checkout (ci/" RUNNER ", run vstry from its "
		    "build/) or %s/" RUNNER ": not found\n", VSD_LIBEXECDIR);
		return EX_ERROR;
	}
	if (!cfile)
		cfile = getenv("VSD_CONF");	/* the guest has no environment */
	av = xcalloc((size_t)npkgs + 20, sizeof(*av));
	av[n++] = runner;
	if (v->junit) {
		av[n++] = "--junit";
		av[n++] = v->junit;
	}
	av[n++] = "--";
	if (cfile && *cfile) {
		av[n++] = "-c";
		av[n++] = cfile;
	}
	if (rfile) {
		av[n++] = "-r";
		av[n++] = rfile;
	}
	if (v->json)
		av[n++] = "--json";
	if (v->tap)
		av[n++] = "--tap";
	if (v->nodeps)
		av[n++] = "--nodeps";
	if (v->quiet)
		av[n++] = "-q";
	if (verbose)
		av[n++] = "-v";
	av[n++] = "--no-qemu";		/* once is enough (isolation qemu) */
	av[n++] = "--";
	for (i = 0; i < npkgs; i++)
		av[n++] = pkgs[i];
	av[n] = NULL;
	if (v->progress)
		fprintf(stderr, "vstry: trying %s in a VM\n",
		    npkgs ? pkgs[0] : "the recipe's packages");
	fflush(NULL);
	execv(runner, (char *const *)av);
	fprintf(stderr, "vstry: cannot run '%s': %s\n", runner,
	    strerror(errno));
	free(av);
	return EX_ERROR;
}
