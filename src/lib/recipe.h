/* recipe.h - vstry recipes: what to install and what to check.
 *
 * A recipe is a file in the config language (conf.h): one statement per
 * line, '#' comments, "quoted words".  The grammar, with every keyword and
 * its default, is in docs/recipes.md; in short:
 *
 *   name "hello"                   # for reports (default: file name)
 *   package "hello-1.0.rpm"        # repeatable; relative to the recipe
 *   network none|on                # default none: loopback only
 *   isolation vs|qemu              # qemu: the trial runs in a VM (vstry --qemu)
 *   deps report|strict             # missing dependencies: note or fail
 *   timeout 60                     # seconds for all checks together
 *   step_timeout 120               # seconds for install and for removal
 *   defaults yes|no                # the default policy set (below)
 *   verify yes|no                  # rpm -V / dpkg --verify after install
 *   leftovers fail|report|ignore   # files left after removal
 *   outside fail|report|ignore     # files changed outside the package
 *   processes fail|report|ignore   # processes still running
 *   users fail|report|ignore       # users and groups added
 *   setid fail|report|ignore       # set-id and world-writable files added
 *   ports fail|report|ignore       # TCP/UDP ports listening after install
 *   allow "/var/cache/hello"       # changes at or below a glob are fine
 *   run "hello --version" [exit N] [output "text"] [timeout S]
 *   file "/usr/bin/hello" exists|absent|mode 0755|owner UID
 *   port 8080 [tcp|udp]            # something listens there after install
 *   service "hello" [port N]       # /etc/init.d/NAME start, then the port
 *
 * vs_recipe_parse_*() fill a caller-owned struct vs_recipe; on failure
 * every error is in *errors as "file:line: message" and the recipe is
 * released.  All strings in a recipe are heap-owned by it.
 */
#ifndef VS_RECIPE_H
#define VS_RECIPE_H

#include <stddef.h>

#include "buf.h"

/* What a policy does when it finds something. */
enum vs_policy {
	VS_POLICY_IGNORE = 0,	/* not even listed */
	VS_POLICY_REPORT,	/* listed, does not change the verdict */
	VS_POLICY_FAIL,		/* listed, and the trial fails */
};

/* The policies every trial applies (indices into recipe->policy). */
enum vs_policy_kind {
	VS_POL_LEFTOVERS = 0,
	VS_POL_OUTSIDE,
	VS_POL_PROCESSES,
	VS_POL_USERS,
	VS_POL_SETID,
	VS_POL_PORTS,
	VS_POL_COUNT
};

enum vs_check_kind {
	VS_CHECK_RUN,		/* a shell command inside the VS */
	VS_CHECK_FILE,		/* a path's existence, mode or owner */
	VS_CHECK_PORT,		/* something listens on a port */
	VS_CHECK_SERVICE,	/* an init script starts (and a port listens) */
};

enum vs_file_test {
	VS_FILE_EXISTS,
	VS_FILE_ABSENT,
	VS_FILE_MODE,
	VS_FILE_OWNER,
};

struct vs_check {
	enum vs_check_kind kind;
	int line;		/* in the recipe, for messages */
	char *arg;		/* command, path or service name */
	/* run */
	int exit_code;		/* expected; default 0 */
	char *output;		/* expected substring of stdout, or NULL */
	int timeout;		/* seconds; 0 = share the recipe's budget */
	/* file */
	enum vs_file_test ftest;
	unsigned mode;		/* VS_FILE_MODE: permission bits (07777) */
	long long owner;	/* VS_FILE_OWNER: uid inside the VS */
	/* port, service */
	int port;		/* 0 = none */
	int udp;
};

struct vs_recipe {
	char *name;
	char *dir;		/* directory packages are relative to */
	char **packages;	/* as written, NULL-terminated */
	size_t n_packages;
	int network;		/* 0 = loopback only (default) */
	int qemu;		/* isolation qemu: try in a VM (vstry --qemu) */
	int deps_strict;	/* missing dependencies fail the trial */
	int timeout;		/* seconds for the checks, default 60 */
	int step_timeout;	/* seconds per install/remove, default 120 */
	int verify;		/* rpm -V / dpkg --verify, default yes */
	enum vs_policy policy[VS_POL_COUNT];
	char **allow;		/* globs, NULL-terminated */
	size_t n_allow;
	struct vs_check *checks;
	size_t n_checks;
	size_t alloc_checks, alloc_packages, alloc_allow;
};

/* The defaults: no packages, no checks, the default policy set. */
void vs_recipe_init(struct vs_recipe *r);
void vs_recipe_release(struct vs_recipe *r);

/* Parse a recipe file (its directory becomes r->dir) or text in memory
 * (name is used in messages; dir is "."). */
int vs_recipe_parse_file(struct vs_recipe *r, const char *path,
    struct vs_buf *errors);
int vs_recipe_parse_mem(struct vs_recipe *r, const char *name,
    const char *text, size_t len, struct vs_buf *errors);

/* Is path (absolute, inside the VS) covered by an allow glob? */
int vs_recipe_allowed(const struct vs_recipe *r, const char *path);

/* Names for reports: "leftovers", "outside", ...; "fail", "report"... */
const char *vs_policy_kind_name(enum vs_policy_kind k);
const char *vs_policy_name(enum vs_policy p);

#endif
