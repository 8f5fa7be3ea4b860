/* vsnap - snapshots of VS roots: save, list, restore, delete, diff,
 * export, import, verify.  Options and dispatch here; each subcommand is
 * in cmd_<verb>.c and calls snap.h. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "buf.h"
#include "vsnap.h"
#include "xmem.h"
#include "banned.h"

static const char usage_text[] =
"usage: vsnap [-c file] [--json] [-q] [-v] command [args]\n"
"       vsnap save name [-m message] [--full] [-o file]\n"
"       vsnap list [name]\n"
"       vsnap restore name snapshot [--restart] [--accept-skel] [--use-stored]\n"
"                     [--allow-fifo] [--max-bytes size] [--max-entries n]\n"
"       vsnap delete name snapshot\n"
"       vsnap diff name snapshot\n"
"       vsnap export name snapshot file\n"
"       vsnap import file name [--max-bytes size] [--max-entries n]\n"
"       vsnap verify file [--max-bytes size] [--max-entries n]\n";

static const struct {
	const char *name;
	int (*fn)(struct vsnap *, int, char **);
} cmds[] = {
	{ "delete", cmd_delete },
	{ "diff", cmd_diff },
	{ "export", cmd_export },
	{ "import", cmd_import },
	{ "list", cmd_list },
	{ "restore", cmd_restore },
	{ "save", cmd_save },
	{ "verify", cmd_verify },
};

int
vsnap_usage(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vs_cli_vusage("vsnap", usage_text, fmt, ap);
	va_end(ap);
	return rc;
}

int
vsnap_fail(const struct vs_err *err)
{
	return vs_cli_fail("vsnap", err);
}

void
vsnap_info_json(struct vs_buf *b, const struct vs_snap_info *in)
{
	vs_buf_adds(b, "\"vs\":");
	vs_buf_add_json_str(b, in->vs);
	vs_buf_adds(b, ",\"id\":");
	vs_buf_add_json_str(b, in->id);
	vs_buf_addf(b, ",\"created\":%lld,\"full\":%s,\"size\":%lld,"
	    "\"skel_id\":", in->created, in->full ? "true" : "false",
	    in->file_size);
	vs_buf_add_json_str(b, in->skel_id);
	vs_buf_adds(b, ",\"message\":");
	vs_buf_add_json_str(b, in->message);
	if (in->entries >= 0)
		vs_buf_addf(b, ",\"entries\":%lld,\"bytes\":%lld,"
		    "\"skel_files\":%lld", in->entries, in->data_bytes,
		    in->skel_files);
}

static int progress_shown;

static void
progress(void *ctx, long long done, long long total)
{
	static const char bar[] = "##############################";
	double mib = done / 1048576.0;

	(void)ctx;
	progress_shown = 1;
	if (total > 0) {
		int pct = done >= total ? 100 : (int)(done * 100 / total);
		int w = pct * 30 / 100;

		fprintf(stderr, "\r[%-30.*s] %3d%% %8.1f MiB", w, bar, pct,
		    mib);
	} else
		fprintf(stderr, "\r%8.1f MiB", mib);
	fflush(stderr);
}

void
vsnap_progress_done(struct vsnap *v)
{
	(void)v;
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = 0;
}

int
vsnap_opts(struct vsnap *v, int argc, char **argv, const char *allowed,
    struct vs_snap_opts *o)
{
	static const struct option lopts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "full", no_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "restart", no_argument, NULL, 'R' },
		{ "accept-skel", no_argument, NULL, 'A' },
		{ "use-stored", no_argument, NULL, 'U' },
		{ "allow-fifo", no_argument, NULL, 'P' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "max-entries", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	long long n;
	int c;

	optind = 0;	/* 0: glibc re-initialises (main used "+") */
	while ((c = getopt_long(argc, argv, "m:o:", lopts, NULL)) != -1) {
		if (c == '?' || !strchr(allowed, c)) {
			if (c != '?')
				vsnap_usage("option not valid for '%s'",
				    argv[0]);
			else
				vsnap_usage("bad option for '%s'", argv[0]);
			return -1;
		}
		switch (c) {
		case 'm':
			if (strlen(optarg) > VS_SNAP_MSG_MAX) {
				vsnap_usage("message longer than %d bytes",
				    VS_SNAP_MSG_MAX);
				return -1;
			}
			o->message = optarg;
			break;
		case 'F': o->flags |= VS_SNAP_FULL; break;
		case 'o': o->out_path = optarg; break;
		case 'R': o->flags |= VS_SNAP_RESTART; break;
		case 'A': o->flags |= VS_SNAP_ACCEPT_SKEL; break;
		case 'U': o->flags |= VS_SNAP_USE_STORED; break;
		case 'P': o->flags |= VS_SNAP_ALLOW_FIFO; break;
		case 'B':
		case 'E':
			if (vs_conf_number(optarg, 1, 1LL << 50, c == 'B',
			    &n) < 0) {
				vsnap_usage("bad number '%s'", optarg);
				return -1;
			}
			if (c == 'B')
				o->max_bytes = n;
			else
				o->max_entries = n;
			break;
		}
	}
	if (v->progress) {
		o->progress = progress;
		o->progress_ctx = v;
	}
	return optind;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct vsnap v;
	struct vs_buf errs = VS_BUF_INIT;
	const char *cfile = NULL;
	int c, verbose = 0, quiet = 0, rc;
	size_t i;

	memset(&v, 0, sizeof(v));
	log_init("vsnap", 1, 0);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	while ((c = getopt_long(argc, argv, "+c:jqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfile = optarg; break;
		case 'j': v.json = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose++; break;
		case 'h': fputs(usage_text, stdout); return EX_OK;
		case 'V': printf("vsnap %s\n", VSD_VERSION); return EX_OK;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
	}
	log_setverbose(verbose);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return vsnap_usage("no command given");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(cmds))
		return vsnap_usage("unknown command '%s'", argv[0]);
	if (vs_conf_load(cfile ? cfile : vs_conf_default_path(),
	    cfile || getenv("VSD_CONF"), &v.conf, &errs) < 0) {
		fprintf(stderr, "%s", errs.buf);
		vs_buf_release(&errs);
		return EX_FAIL;
	}
	v.progress = !quiet && !v.json && isatty(2);
	rc = cmds[i].fn(&v, argc, argv);
	vsnap_progress_done(&v);
	vs_conf_release(&v.conf);
	return rc;
}
