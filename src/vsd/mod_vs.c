/* mod_vs.c - the protocol's mod_vs: create, delete, list, info, start,
 * stop, restart, reboot (SIGHUP to vsinit: the VS restarts its services).
 * The work is vsroot.h's and runtime.h's; this file maps operands and
 * errors onto the protocol. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "runtime.h"
#include "vsd.h"
#include "journal.h"
#include "vsroot.h"
#include "xmem.h"
#include "banned.h"

static void
fail(struct vsd_req *r, const struct vs_err *err)
{
	vsd_err_answer(r, vs_proto_errno_code(err->errnum ? err->errnum :
	    errno), "%s", err->msg);
}

void
mod_vs_create(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_create_req req;
	struct vs_create_stats st;
	struct vs_rec rec;
	long long quota, number = 0;

	if (vs_conf_number(r->argv[2], 0, 1LL << 40, 0, &quota) < 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "QUOTA_MB: '%.32s' is not "
		    "a number of megabytes", r->argv[2]);
		return;
	}
	if (r->argc > 3 && vs_conf_number(r->argv[3], 0, r->conf->max_servers,
	    0, &number) < 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "NUMBER: '%.32s' is not in "
		    "0..%lld (0 = pick one)", r->argv[3], r->conf->max_servers);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.name = r->vs;
	req.ip = r->argv[0];
	req.fqdn = r->argv[1];
	req.quota_mb = quota;
	req.number = number;
	if (vs_create(r->conf, &req, &rec, &st, &err) < 0) {
		fail(r, &err);
		return;
	}
	vsd_ok_answer(r, "created %s number %lld uid %lld ip %s (%llu "
	    "linked, %llu copied, %.3f s)", rec.name, rec.number,
	    rec.uid_base, rec.ip, (unsigned long long)st.linked,
	    (unsigned long long)st.copied, st.seconds);
}

/* State files of the other modules die with the VS. */
static void
remove_module_state(const struct vs_conf *conf, const char *name)
{
	static const char *dirs[] = { "state/priv", "state/apache" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *p = xasprintf("%s/%s/%s", conf->state_root, dirs[i],
		    name);

		unlink(p);
		free(p);
	}
}

void
mod_vs_delete(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec rec;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	/* freeVSD deleted a live server too: stop it first (without a
	 * runtime, ENOSYS, vs_delete still refuses a running VS) */
	if (vs_run_stop(r->conf, r->vs, -1, &err) < 0 && errno != ENOENT &&
	    errno != ENOSYS) {
		fail(r, &err);
		return;
	}
	if (vs_delete(r->conf, r->vs, &err) < 0) {
		fail(r, &err);
		return;
	}
	remove_module_state(r->conf, r->vs);
	vsd_ok_answer(r, "deleted %s", r->vs);
}

void
mod_vs_list(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf b = VS_BUF_INIT;
	struct vs_rec *recs;
	size_t n, i;

	if (vs_rec_list(r->conf, &recs, &n, &err) < 0) {
		fail(r, &err);
		return;
	}
	for (i = 0; i < n; i++)
		vs_buf_addf(&b, "%s %lld %s %s\n", recs[i].name,
		    recs[i].number, recs[i].ip, recs[i].fqdn);
	vs_proto_block(r->out, b.buf, b.len, "%zu servers", n);
	vs_buf_release(&b);
	free(recs);
}

void
mod_vs_info(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_run_status st;
	struct vs_buf b = VS_BUF_INIT;
	struct vs_rec rec;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	vs_rec_format(&rec, &b);
	memset(&st, 0, sizeof(st));
	if (vs_run_status(r->conf, r->vs, &st, &err) == 0) {
		vs_buf_addf(&b, "running %s\n", st.running ? "yes" : "no");
		if (st.running)
			vs_buf_addf(&b, "init_pid %d\nstarted %lld\n",
			    (int)st.init_pid, st.started);
	} else
		vs_buf_adds(&b, "running unknown\n");
	vs_proto_block(r->out, b.buf, b.len, "server %s", rec.name);
	vs_buf_release(&b);
}

void
mod_vs_start(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	int rc;

	if ((rc = vs_run_start(r->conf, r->vs, 0, &err)) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, rc == 1 ? "%s is already running" :
		    "started %s", r->vs);
}

void
mod_vs_stop(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	int rc;

	if ((rc = vs_run_stop(r->conf, r->vs, -1, &err)) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, rc == 1 ? "%s was not running" :
		    "stopped %s", r->vs);
}

void
mod_vs_restart(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;

	if (vs_run_restart(r->conf, r->vs, 0, -1, &err) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, "restarted %s", r->vs);
}

void
mod_vs_reboot(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;

	if (vs_run_signal_init(r->conf, r->vs, SIGHUP, &err) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, "%s restarts its services", r->vs);
}

/* vsd reconciles at start; this repeats it on demand (entries whose VS
 * lock is held, i.e. still running, are skipped by vs_reconcile). */
void
mod_vs_reconcile(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf rep = VS_BUF_INIT;
	int n;

	if ((n = vs_reconcile(r->conf, &rep, &err)) < 0)
		fail(r, &err);
	else
		vs_proto_block(r->out, rep.buf, rep.len, "reconciled");
	vs_buf_release(&rep);
}
