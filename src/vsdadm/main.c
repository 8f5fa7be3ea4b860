/* vsdadm - manage virtual servers: create, delete, list, inspect.
 * Options and dispatch here; each subcommand lives in cmd_<verb>.c. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "vsdadm.h"
#include "xmem.h"
#include "banned.h"

static const char usage_text[] =
"usage: vsdadm [-c file] [-H host] [--local] [--json] [-v] command [args]\n"
"       vsdadm vs_create localhost name ip fqdn quota_mb number\n"
"       vsdadm vs_delete localhost name\n"
"       vsdadm vs_list localhost\n"
"       vsdadm create [-d] [-j jobs] [-N number] [-p nproc] [-q quota_mb]\n"
"                     name ip fqdn\n"
"       vsdadm delete name\n"
"       vsdadm list\n"
"       vsdadm info name\n"
"       vsdadm reconcile\n"
"       vsdadm raw [host] < protocol-text\n"
"       vsdadm start|stop|restart name\n"
"       vsdadm user add|del|list|passwd name [user [password]]\n"
"       vsdadm quota get|set name [quota_mb [processes]]\n"
"       vsdadm PROTOCOL-COMMAND args  (user_add, setrights, ...: vsdadm(8))\n";

static int local_mode;

static const struct {
	const char *name;
	int (*fn)(struct vsdadm *, int, char **);
} cmds[] = {
	{ "create", cmd_create },
	{ "delete", cmd_delete },
	{ "info", cmd_info },
	{ "list", cmd_list },
	{ "raw", cmd_raw },
	{ "reconcile", cmd_reconcile },
	{ "vs_create", cmd_vs_create },
	{ "vs_delete", cmd_vs_delete },
	{ "vs_list", cmd_vs_list },
};

int
vsdadm_usage(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vs_cli_vusage("vsdadm", usage_text, fmt, ap);
	va_end(ap);
	return rc;
}

int
vsdadm_fail(const struct vs_err *err)
{
	return vs_cli_fail("vsdadm", err);
}

int
vsdadm_number(const char *what, const char *s, long long min, long long max,
    long long *v)
{
	if (vs_conf_number(s, min, max, 0, v) < 0) {
		vsdadm_usage("invalid %s '%s' (a number %lld..%lld)", what, s,
		    min, max);
		return -1;
	}
	return 0;
}

int
vsdadm_host(const char *host)
{
	if (strcmp(host, "localhost") == 0)
		return 0;
	if (local_mode) {
		vsdadm_usage("host '%s': with --local only 'localhost' is "
		    "managed", host);
		return -1;
	}
	vsdadm_set_host(host);
	return 0;
}

/* Readable forms of protocol commands: "user add" -> user_add, "start"
 * -> vs_start.  Rewrites argv in place; returns the new argc. */
static int
readable(int argc, char **argv)
{
	static const char *pairs[] = { "user", "quota", "aliases", "apache" };
	static const char *single[] = { "start", "stop", "restart", "reboot" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(single); i++)
		if (strcmp(argv[0], single[i]) == 0) {
			argv[0] = xasprintf("vs_%s", single[i]);
			return argc;
		}
	for (i = 0; argc > 1 && i < ARRAY_SIZE(pairs); i++)
		if (strcmp(argv[0], pairs[i]) == 0) {
			argv[1] = xasprintf("%s_%s", pairs[i], argv[1]);
			return argc - 1;
		}
	return argc;
}

void
vsdadm_rec_json(struct vs_buf *b, const struct vs_rec *r)
{
	vs_buf_adds(b, "{\"name\":");
	vs_buf_add_json_str(b, r->name);
	vs_buf_addf(b, ",\"number\":%lld,\"uid_base\":%lld,\"uid_count\":%lld,"
	    "\"ip\":", r->number, r->uid_base, r->uid_count);
	vs_buf_add_json_str(b, r->ip);
	vs_buf_adds(b, ",\"fqdn\":");
	vs_buf_add_json_str(b, r->fqdn);
	vs_buf_addf(b, ",\"quota_mb\":%lld,\"nproc\":%lld,\"created\":%lld,"
	    "\"disposable\":%s,\"state\":", r->quota_mb, r->nproc, r->created,
	    r->disposable ? "true" : "false");
	vs_buf_add_json_str(b, r->state);
	vs_buf_addch(b, '}');
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "local", no_argument, NULL, 'L' },
		{ "host", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct vsdadm a;
	struct vs_buf errs = VS_BUF_INIT;
	const char *cfile = NULL;
	size_t i;
	int c, verbose = 0, rc;

	log_init("vsdadm", 1, 0);
	memset(&a, 0, sizeof(a));
	/* through vsd unless told to act on the state root directly */
	local_mode = getenv("VSDADM_LOCAL") && strcmp(getenv("VSDADM_LOCAL"),
	    "1") == 0;
	while ((c = getopt_long(argc, argv, "+c:jvhVH:", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			local_mode = 1;
			break;
		case 'H':
			vsdadm_set_host(optarg);
			break;
		case 'c':
			cfile = optarg;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		case 'V':
			printf("vsdadm %s\n", VSD_VERSION);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	log_setverbose(verbose);
	if (optind >= argc)
		return vsdadm_usage("no command given");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			break;
	a.ops = local_mode ? &vsdadm_local : &vsdadm_remote;
	if (vs_conf_load(cfile, cfile != NULL, &a.conf, &errs) < 0) {
		vs_buf_rtrim(&errs);
		fprintf(stderr, "vsdadm: %s\n", errs.buf);
		vs_buf_release(&errs);
		return EX_FAIL;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* full re-init for the subcommand's getopt */
	if (i < ARRAY_SIZE(cmds))
		rc = cmds[i].fn(&a, argc, argv);
	else if (local_mode)
		rc = vsdadm_usage("unknown command '%s' (with --local; "
		    "vsd knows more)", argv[0]);
	else {
		int skip = 0, n = readable(argc, argv);

		skip = argc - n;
		rc = cmd_proto(&a, n, argv + skip);
	}
	vs_conf_release(&a.conf);
	return rc;
}
