/* recipe.c - parse vstry recipes (grammar in recipe.h, docs/recipes.md). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "recipe.h"
#include "xmem.h"

#define RECIPE_MAX_PACKAGES	64
#define RECIPE_MAX_CHECKS	256
#define RECIPE_MAX_ALLOW	256
#define RECIPE_MAX_STR		4096

static const char *const kind_names[VS_POL_COUNT] = {
	[VS_POL_LEFTOVERS] = "leftovers",
	[VS_POL_OUTSIDE] = "outside",
	[VS_POL_PROCESSES] = "processes",
	[VS_POL_USERS] = "users",
	[VS_POL_SETID] = "setid",
	[VS_POL_PORTS] = "ports",
};

/* The default set, piuparts-like: what is left, what was touched outside
 * the package and what keeps running fail; the rest is reported. */
static const enum vs_policy default_policy[VS_POL_COUNT] = {
	[VS_POL_LEFTOVERS] = VS_POLICY_FAIL,
	[VS_POL_OUTSIDE] = VS_POLICY_FAIL,
	[VS_POL_PROCESSES] = VS_POLICY_FAIL,
	[VS_POL_USERS] = VS_POLICY_REPORT,
	[VS_POL_SETID] = VS_POLICY_REPORT,
	[VS_POL_PORTS] = VS_POLICY_REPORT,
};

const char *
vs_policy_kind_name(enum vs_policy_kind k)
{
	return (unsigned)k < VS_POL_COUNT ? kind_names[k] : "?";
}

const char *
vs_policy_name(enum vs_policy p)
{
	switch (p) {
	case VS_POLICY_IGNORE: return "ignore";
	case VS_POLICY_REPORT: return "report";
	case VS_POLICY_FAIL: return "fail";
	}
	return "?";
}

void
vs_recipe_init(struct vs_recipe *r)
{
	memset(r, 0, sizeof(*r));
	r->timeout = 60;
	r->step_timeout = 120;
	r->verify = 1;
	memcpy(r->policy, default_policy, sizeof(r->policy));
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
vs_recipe_release(struct vs_recipe *r)
{
	size_t i;

	free(r->name);
	free(r->dir);
	free_strv(r->packages, r->n_packages);
	free_strv(r->allow, r->n_allow);
	for (i = 0; i < r->n_checks; i++) {
		free(r->checks[i].arg);
		free(r->checks[i].output);
	}
	free(r->checks);
	vs_recipe_init(r);
}

/* Append s to a NULL-terminated vector. */
static void
strv_push(char ***v, size_t *n, size_t *alloc, const char *s)
{
	xgrow(v, sizeof(**v), *n + 2, alloc);
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static int
check_str(struct vs_conf_pos *pos, const char *what, const char *s)
{
	if (!s[0])
		return vs_conf_error(pos, "%s: empty string", what);
	if (strlen(s) > RECIPE_MAX_STR)
		return vs_conf_error(pos, "%s: longer than %d bytes", what,
		    RECIPE_MAX_STR);
	return 0;
}

/* A path the checks look at inside the VS: absolute, no "..", no "//". */
static int
check_vs_path(struct vs_conf_pos *pos, const char *p)
{
	const char *c;

	if (check_str(pos, "path", p) < 0)
		return -1;
	if (p[0] != '/')
		return vs_conf_error(pos, "path '%s' is not absolute", p);
	for (c = p; *c; c++) {
		if (c[0] == '/' && c[1] == '/')
			return vs_conf_error(pos, "path '%s' has '//'", p);
		if (c[0] == '/' && c[1] == '.' && c[2] == '.' &&
		    (c[3] == '/' || c[3] == '\0'))
			return vs_conf_error(pos, "path '%s' has '..'", p);
	}
	return 0;
}

static int
want_args(struct vs_conf_pos *pos, int argc, int n, const char *usage)
{
	if (argc != n)
		return vs_conf_error(pos, "usage: %s", usage);
	return 0;
}

static int
parse_yesno(struct vs_conf_pos *pos, const char *kw, const char *v, int *out)
{
	int b = vs_conf_bool(v);

	if (b < 0)
		return vs_conf_error(pos, "%s: expected yes or no, not '%s'",
		    kw, v);
	*out = b;
	return 0;
}

static int
parse_seconds(struct vs_conf_pos *pos, const char *kw, const char *v,
    int *out)
{
	long long n;

	if (vs_conf_number(v, 1, 86400, 0, &n) < 0)
		return vs_conf_error(pos, "%s: '%s' is not a number of "
		    "seconds in 1..86400", kw, v);
	*out = (int)n;
	return 0;
}

static int
parse_port(struct vs_conf_pos *pos, const char *v, int *out)
{
	long long n;

	if (vs_conf_number(v, 1, 65535, 0, &n) < 0)
		return vs_conf_error(pos, "port '%s' is not in 1..65535", v);
	*out = (int)n;
	return 0;
}

static struct vs_check *
new_check(struct vs_recipe *r, struct vs_conf_pos *pos,
    enum vs_check_kind kind, const char *arg)
{
	struct vs_check *c;

	if (r->n_checks >= RECIPE_MAX_CHECKS) {
		vs_conf_error(pos, "more than %d checks", RECIPE_MAX_CHECKS);
		return NULL;
	}
	xgrow(&r->checks, sizeof(*r->checks), r->n_checks + 1,
	    &r->alloc_checks);
	c = &r->checks[r->n_checks++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->line = pos->line;
	c->arg = xstrdup(arg);
	c->owner = -1;
	return c;
}

/* run "cmd" [exit N] [output "text"] [timeout S] */
static int
parse_run(struct vs_recipe *r, struct vs_conf_pos *pos, int argc,
    char **argv)
{
	struct vs_check *c;
	long long n;
	int i;

	if (argc < 2 || argc % 2)
		return vs_conf_error(pos, "usage: run \"command\" [exit N] "
		    "[output \"text\"] [timeout SECONDS]");
	if (check_str(pos, "command", argv[1]) < 0)
		return -1;
	if (!(c = new_check(r, pos, VS_CHECK_RUN, argv[1])))
		return -1;
	for (i = 2; i < argc; i += 2) {
		if (strcmp(argv[i], "exit") == 0) {
			if (vs_conf_number(argv[i + 1], 0, 255, 0, &n) < 0)
				return vs_conf_error(pos, "run: exit code "
				    "'%s' is not in 0..255", argv[i + 1]);
			c->exit_code = (int)n;
		} else if (strcmp(argv[i], "output") == 0) {
			if (check_str(pos, "output", argv[i + 1]) < 0)
				return -1;
			free(c->output);
			c->output = xstrdup(argv[i + 1]);
		} else if (strcmp(argv[i], "timeout") == 0) {
			if (parse_seconds(pos, "run: timeout", argv[i + 1],
			    &c->timeout) < 0)
				return -1;
		} else
			return vs_conf_error(pos, "run: unknown option '%s' "
			    "(exit, output, timeout)", argv[i]);
	}
	return 0;
}

/* file "PATH" exists|absent|mode 0755|owner UID */
static int
parse_file(struct vs_recipe *r, struct vs_conf_pos *pos, int argc,
    char **argv)
{
	struct vs_check *c;
	long long n;
	char *end;

	if (argc < 3 || argc > 4)
		return vs_conf_error(pos, "usage: file \"path\" "
		    "exists|absent|mode OCTAL|owner UID");
	if (check_vs_path(pos, argv[1]) < 0)
		return -1;
	if (strcmp(argv[2], "exists") == 0 || strcmp(argv[2], "absent") == 0) {
		if (argc != 3)
			return vs_conf_error(pos, "file: '%s' takes no value",
			    argv[2]);
		if (!(c = new_check(r, pos, VS_CHECK_FILE, argv[1])))
			return -1;
		c->ftest = argv[2][0] == 'e' ? VS_FILE_EXISTS : VS_FILE_ABSENT;
		return 0;
	}
	if (argc != 4)
		return vs_conf_error(pos, "file: '%s' needs a value", argv[2]);
	if (strcmp(argv[2], "mode") == 0) {
		errno = 0;
		n = strtoll(argv[3], &end, 8);
		if (errno || *end || end == argv[3] || argv[3][0] == '-' ||
		    n > 07777)
			return vs_conf_error(pos, "file: mode '%s' is not "
			    "octal in 0..7777", argv[3]);
		if (!(c = new_check(r, pos, VS_CHECK_FILE, argv[1])))
			return -1;
		c->ftest = VS_FILE_MODE;
		c->mode = (unsigned)n;
		return 0;
	}
	if (strcmp(argv[2], "owner") == 0) {
		if (vs_conf_number(argv[3], 0, 65535, 0, &n) < 0)
			return vs_conf_error(pos, "file: owner '%s' is not a "
			    "uid in 0..65535", argv[3]);
		if (!(c = new_check(r, pos, VS_CHECK_FILE, argv[1])))
			return -1;
		c->ftest = VS_FILE_OWNER;
		c->owner = n;
		return 0;
	}
	return vs_conf_error(pos, "file: unknown test '%s' (exists, absent, "
	    "mode, owner)", argv[2]);
}

/* port N [tcp|udp] */
static int
parse_portcheck(struct vs_recipe *r, struct vs_conf_pos *pos, int argc,
    char **argv)
{
	struct vs_check *c;
	int port = 0, udp = 0;

	if (argc < 2 || argc > 3)
		return vs_conf_error(pos, "usage: port N [tcp|udp]");
	if (parse_port(pos, argv[1], &port) < 0)
		return -1;
	if (argc == 3) {
		if (strcmp(argv[2], "udp") == 0)
			udp = 1;
		else if (strcmp(argv[2], "tcp") != 0)
			return vs_conf_error(pos, "port: '%s' is not tcp or "
			    "udp", argv[2]);
	}
	if (!(c = new_check(r, pos, VS_CHECK_PORT, argv[1])))
		return -1;
	c->port = port;
	c->udp = udp;
	return 0;
}

/* service NAME [port N] */
static int
parse_service(struct vs_recipe *r, struct vs_conf_pos *pos, int argc,
    char **argv)
{
	struct vs_check *c;
	int port = 0;
	const char *s;

	if (argc != 2 && argc != 4)
		return vs_conf_error(pos, "usage: service NAME [port N]");
	for (s = argv[1]; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.' || *s == '@'))
			return vs_conf_error(pos, "service: bad name '%s'",
			    argv[1]);
	if (argv[1][0] == '.' || strlen(argv[1]) > 64)
		return vs_conf_error(pos, "service: bad name '%s'", argv[1]);
	if (argc == 4) {
		if (strcmp(argv[2], "port") != 0)
			return vs_conf_error(pos, "service: unknown option "
			    "'%s' (port)", argv[2]);
		if (parse_port(pos, argv[3], &port) < 0)
			return -1;
	}
	if (!(c = new_check(r, pos, VS_CHECK_SERVICE, argv[1])))
		return -1;
	c->port = port;
	return 0;
}

static int
parse_policy(struct vs_recipe *r, struct vs_conf_pos *pos, int k,
    int argc, char **argv)
{
	if (want_args(pos, argc, 2, "KIND fail|report|ignore") < 0)
		return -1;
	if (strcmp(argv[1], "fail") == 0)
		r->policy[k] = VS_POLICY_FAIL;
	else if (strcmp(argv[1], "report") == 0)
		r->policy[k] = VS_POLICY_REPORT;
	else if (strcmp(argv[1], "ignore") == 0)
		r->policy[k] = VS_POLICY_IGNORE;
	else
		return vs_conf_error(pos, "%s: expected fail, report or "
		    "ignore, not '%s'", argv[0], argv[1]);
	return 0;
}

static int
recipe_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct vs_recipe *r = ctx;
	const char *kw = argv[0];
	int k, b = 0;

	for (k = 0; k < VS_POL_COUNT; k++)
		if (strcmp(kw, kind_names[k]) == 0)
			return parse_policy(r, pos, k, argc, argv);
	if (strcmp(kw, "name") == 0) {
		if (want_args(pos, argc, 2, "name \"text\"") < 0 ||
		    check_str(pos, "name", argv[1]) < 0)
			return -1;
		free(r->name);
		r->name = xstrdup(argv[1]);
	} else if (strcmp(kw, "package") == 0) {
		if (want_args(pos, argc, 2, "package \"file\"") < 0 ||
		    check_str(pos, "package", argv[1]) < 0)
			return -1;
		if (r->n_packages >= RECIPE_MAX_PACKAGES)
			return vs_conf_error(pos, "more than %d packages",
			    RECIPE_MAX_PACKAGES);
		strv_push(&r->packages, &r->n_packages, &r->alloc_packages,
		    argv[1]);
	} else if (strcmp(kw, "network") == 0) {
		if (want_args(pos, argc, 2, "network none|on") < 0)
			return -1;
		if (strcmp(argv[1], "none") == 0)
			r->network = 0;
		else if (strcmp(argv[1], "on") == 0)
			r->network = 1;
		else
			return vs_conf_error(pos, "network: expected none or "
			    "on, not '%s'", argv[1]);
	} else if (strcmp(kw, "isolation") == 0) {
		if (want_args(pos, argc, 2, "isolation vs|qemu") < 0)
			return -1;
		if (strcmp(argv[1], "vs") == 0)
			r->qemu = 0;
		else if (strcmp(argv[1], "qemu") == 0)
			r->qemu = 1;
		else
			return vs_conf_error(pos, "isolation: expected vs or "
			    "qemu, not '%s'", argv[1]);
	} else if (strcmp(kw, "deps") == 0) {
		if (want_args(pos, argc, 2, "deps report|strict") < 0)
			return -1;
		if (strcmp(argv[1], "report") == 0)
			r->deps_strict = 0;
		else if (strcmp(argv[1], "strict") == 0)
			r->deps_strict = 1;
		else
			return vs_conf_error(pos, "deps: expected report or "
			    "strict, not '%s'", argv[1]);
	} else if (strcmp(kw, "timeout") == 0) {
		if (want_args(pos, argc, 2, "timeout SECONDS") < 0)
			return -1;
		return parse_seconds(pos, kw, argv[1], &r->timeout);
	} else if (strcmp(kw, "step_timeout") == 0) {
		if (want_args(pos, argc, 2, "step_timeout SECONDS") < 0)
			return -1;
		return parse_seconds(pos, kw, argv[1], &r->step_timeout);
	} else if (strcmp(kw, "verify") == 0) {
		if (want_args(pos, argc, 2, "verify yes|no") < 0)
			return -1;
		return parse_yesno(pos, kw, argv[1], &r->verify);
	} else if (strcmp(kw, "defaults") == 0) {
		if (want_args(pos, argc, 2, "defaults yes|no") < 0 ||
		    parse_yesno(pos, kw, argv[1], &b) < 0)
			return -1;
		/* "defaults no" starts from nothing: every policy is
		 * reported only, and no verification */
		for (k = 0; k < VS_POL_COUNT; k++)
			r->policy[k] = b ? default_policy[k] : VS_POLICY_REPORT;
		r->verify = b;
	} else if (strcmp(kw, "allow") == 0) {
		if (want_args(pos, argc, 2, "allow \"glob\"") < 0 ||
		    check_vs_path(pos, argv[1]) < 0)
			return -1;
		if (r->n_allow >= RECIPE_MAX_ALLOW)
			return vs_conf_error(pos, "more than %d allow globs",
			    RECIPE_MAX_ALLOW);
		strv_push(&r->allow, &r->n_allow, &r->alloc_allow, argv[1]);
	} else if (strcmp(kw, "run") == 0)
		return parse_run(r, pos, argc, argv);
	else if (strcmp(kw, "file") == 0)
		return parse_file(r, pos, argc, argv);
	else if (strcmp(kw, "port") == 0)
		return parse_portcheck(r, pos, argc, argv);
	else if (strcmp(kw, "service") == 0)
		return parse_service(r, pos, argc, argv);
	else
		return vs_conf_error(pos, "unknown keyword '%s'", kw);
	return 0;
}

static int
finish(struct vs_recipe *r, int rc, const char *name)
{
	const char *base, *dot;

	if (rc < 0) {
		vs_recipe_release(r);
		return -1;
	}
	if (!r->name) {
		base = strrchr(name, '/');
		base = base ? base + 1 : name;
		dot = strrchr(base, '.');
		r->name = dot && dot != base ? xstrndup(base, dot - base) :
		    xstrdup(base);
	}
	return 0;
}

int
vs_recipe_parse_file(struct vs_recipe *r, const char *path,
    struct vs_buf *errors)
{
	const char *slash = strrchr(path, '/');
	int rc;

	vs_recipe_init(r);
	rc = vs_conf_parse_file(path, recipe_stmt, r, errors);
	if (rc == 0)
		r->dir = slash ? xstrndup(path, slash == path ? 1 :
		    (size_t)(slash - path)) : xstrdup(".");
	return finish(r, rc, path);
}

int
vs_recipe_parse_mem(struct vs_recipe *r, const char *name, const char *text,
    size_t len, struct vs_buf *errors)
{
	int rc;

	vs_recipe_init(r);
	rc = vs_conf_parse_mem(name, text, len, recipe_stmt, r, errors);
	if (rc == 0)
		r->dir = xstrdup(".");
	return finish(r, rc, name);
}

int
vs_recipe_allowed(const struct vs_recipe *r, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *slash;
	size_t i;

	/* a glob also covers everything below what it matches */
	for (;;) {
		for (i = 0; i < r->n_allow; i++)
			if (fnmatch(r->allow[i], p, 0) == 0)
				return 1;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return 0;
		*slash = '\0';
	}
}
