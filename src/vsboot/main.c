/* vsboot - start, stop, restart or report VSs (one, several or all).
 *
 * A thin front end of runtime.h; every action is idempotent (starting a
 * running VS or stopping a stopped one succeeds and says so), and every
 * action first repairs stale state a crash left.  Used by hand, by vsd,
 * and at host boot (conf/vsboot.service: vsboot --start --all).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "runtime.h"
#include "state.h"
#include "xmem.h"

enum action { ACT_NONE, ACT_START, ACT_STOP, ACT_RESTART, ACT_STATUS,
	ACT_RELOAD };

static const char usage_text[] =
    "usage: vsboot [-v] [-c file] [-t seconds] [--json] [--nonet]\n"
    "              --start | --stop | --restart | --reload | --status\n"
    "              name ... | --all\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
json_status(struct vs_buf *out, const char *name,
    const struct vs_run_status *st, const char *error)
{
	if (out->len > 1)
		vs_buf_addch(out, ',');
	vs_buf_adds(out, "\n  {\"name\": ");
	vs_buf_add_json_str(out, name);
	if (error) {
		vs_buf_adds(out, ", \"error\": ");
		vs_buf_add_json_str(out, error);
	} else {
		vs_buf_addf(out, ", \"running\": %s, \"pid\": %d, "
		    "\"started\": %lld, \"stale\": %s, \"monitor_lost\": %s, "
		    "\"last_exit\": ",
		    st->running ? "true" : "false", (int)st->init_pid,
		    st->started, st->stale ? "true" : "false",
		    st->monitor_lost ? "true" : "false");
		vs_buf_add_json_str(out, st->last_exit);
	}
	vs_buf_addch(out, '}');
}

static void
print_status(const char *name, const struct vs_run_status *st)
{
	char ts[32];
	struct tm tm;
	time_t t = (time_t)st->started;

	if (st->running) {
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s: running (vsinit pid %d, since %s)%s\n", name,
		    (int)st->init_pid, ts, st->monitor_lost ?
		    "; its monitor is gone: output is not logged, "
		    "--restart repairs" : "");
	} else if (st->last_exit[0]) {
		printf("%s: stopped (last: %s)\n", name, st->last_exit);
	} else {
		printf("%s: stopped\n", name);
	}
}

/* Returns 0 ok, 1 failed (or, for status, not running). */
static int
act(const struct vs_conf *conf, enum action a, const char *name,
    unsigned flags, int timeout, int json, struct vs_buf *jout)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_run_status st;
	int rc = 0;

	switch (a) {
	case ACT_START:
		rc = vs_run_start(conf, name, flags, &err);
		break;
	case ACT_STOP:
		rc = vs_run_stop(conf, name, timeout, &err);
		break;
	case ACT_RESTART:
		rc = vs_run_restart(conf, name, flags, timeout, &err);
		break;
	case ACT_RELOAD:
		rc = vs_run_signal_init(conf, name, SIGHUP, &err);
		break;
	default:
		break;
	}
	if (rc < 0) {
		if (json)
			json_status(jout, name, NULL, err.msg);
		else
			log_warnx("%s", err.msg);
		return 1;
	}
	if (vs_run_status(conf, name, &st, &err) < 0) {
		if (json)
			json_status(jout, name, NULL, err.msg);
		else
			log_warnx("%s", err.msg);
		return 1;
	}
	if (json) {
		json_status(jout, name, &st, NULL);
	} else if (a == ACT_STATUS) {
		print_status(name, &st);
	} else if (a == ACT_START) {
		printf("%s: %s\n", name, rc == 1 ? "already running" :
		    "started");
	} else if (a == ACT_STOP) {
		printf("%s: %s\n", name, rc == 1 ? "was not running" :
		    "stopped");
	} else if (a == ACT_RELOAD) {
		printf("%s: services restarting\n", name);
	} else {
		printf("%s: restarted\n", name);
	}
	if (st.stale && !json)
		printf("%s: stale state of a dead VS found and cleaned\n",
		    name);
	return (a != ACT_STOP) ?
	    !st.running : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "start", no_argument, NULL, 'S' },
		{ "stop", no_argument, NULL, 'K' },
		{ "restart", no_argument, NULL, 'R' },
		{ "status", no_argument, NULL, 'Q' },
		{ "reload", no_argument, NULL, 'H' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "nonet", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfile = NULL;
	enum action a = ACT_NONE;
	int c, all = 0, json = 0, timeout = -1, fail = 0, i;
	unsigned flags = 0;
	struct vs_buf errors = VS_BUF_INIT, jout = VS_BUF_INIT;
	struct vs_conf conf;
	long long v;

	log_init("vsboot", 1, 0);
	while ((c = getopt_long(argc, argv, "c:ht:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfile = optarg;
			break;
		case 't':
			if (vs_conf_number(optarg, 0, 3600, 0, &v) < 0) {
				log_warnx("invalid timeout '%s'", optarg);
				usage(2);
			}
			timeout = (int)v;
			break;
		case 'v':
			log_setverbose(1);
			break;
		case 'S': case 'K': case 'R': case 'Q': case 'H':
			if (a != ACT_NONE)
				usage(2);
			a = c == 'S' ? ACT_START : c == 'K' ? ACT_STOP :
			    c == 'R' ? ACT_RESTART : c == 'H' ? ACT_RELOAD :
			    ACT_STATUS;
			break;
		case 'a':
			all = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'N':
			flags |= VS_START_NONET;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (a == ACT_NONE || (all ? optind != argc : optind == argc))
		usage(2);
	if (vs_conf_load(cfile, cfile != NULL, &conf, &errors) < 0) {
		vs_buf_rtrim(&errors);
		fprintf(stderr, "%s\n", errors.buf);
		return 1;
	}
	if (a != ACT_STATUS && geteuid() != 0) {
		log_warnx("must be run as root");
		return 1;
	}
	vs_buf_adds(&jout, "[");
	if (all) {
		struct vs_err err = VS_ERR_INIT;
		struct vs_rec *recs = NULL;
		size_t n = 0, k;

		if (vs_rec_list(&conf, &recs, &n, &err) < 0) {
			log_warnx("%s", err.msg);
			return 1;
		}
		for (k = 0; k < n; k++) {
			/* vstry's disposable VSs are not started at boot */
			if (recs[k].disposable && a == ACT_START)
				continue;
			fail |= act(&conf, a, recs[k].name, flags, timeout,
			    json, &jout);
		}
		free(recs);
	} else {
		for (i = optind; i < argc; i++)
			fail |= act(&conf, a, argv[i], flags, timeout, json,
			    &jout);
	}
	if (json) {
		vs_buf_adds(&jout, "\n]\n");
		fputs(jout.buf, stdout);
	}
	vs_buf_release(&jout);
	vs_conf_release(&conf);
	return fail ? 1 : 0;
}
