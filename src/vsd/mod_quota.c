/* mod_quota.c - the protocol's mod_quota: a VS's disk quota and process
 * limit (kept in its record) and its real usage: private bytes and inodes
 * are those owned by the VS's uid range (vsroot.h's vs_root_usage walks
 * the root fd-relative); skeleton inodes are host root's and cost the VS
 * nothing.  Processes come from the VS's cgroup while it runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "priv/cgroup.h"
#include "proto.h"
#include "runtime.h"
#include "vsd.h"
#include "vsroot.h"
#include "banned.h"

void
mod_quota_set(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_run_status st;
	struct vs_limits lim;
	struct vs_rec rec;
	long long mb, procs = -1;

	if (vs_conf_number(r->argv[0], 0, 1LL << 40, 0, &mb) < 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "QUOTA_MB: '%.32s' is not "
		    "a number of megabytes (0 = none)", r->argv[0]);
		return;
	}
	if (r->argc > 1 && vs_conf_number(r->argv[1], 0, 4194304, 0,
	    &procs) < 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "PROCESSES: '%.32s' is not "
		    "in 0..4194304 (0 = vsd.conf's pids_max)", r->argv[1]);
		return;
	}
	/* the worker holds the VS's lock (VSD_LOCKED) */
	if (vsd_load_vs(r, &rec) < 0)
		return;
	rec.quota_mb = mb;
	if (procs >= 0)
		rec.nproc = procs;
	if (vs_rec_save(r->conf, &rec, &err) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "%s", err.msg);
		return;
	}
	/* a running VS gets the new process limit at once */
	if (procs >= 0 && vs_run_status(r->conf, r->vs, &st, NULL) == 0 &&
	    st.running) {
		vs_conf_limits_for(r->conf, r->vs, &lim);
		if (rec.nproc)
			lim.pids = rec.nproc;
		if (vs_cgroup_create(r->conf, r->vs, &lim, &err) < 0) {
			vsd_err_answer(r, VS_PROTO_E_INTERNAL, "saved, but the "
			    "running VS keeps its old limit: %s", err.msg);
			return;
		}
	}
	vsd_ok_answer(r, "%s quota_mb %lld processes %lld", r->vs,
	    rec.quota_mb, rec.nproc);
}

void
mod_quota_get(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_cgroup_usage cu;
	struct vs_root_usage u;
	struct vs_run_status st;
	struct vs_buf b = VS_BUF_INIT;
	struct vs_limits lim;
	struct vs_rec rec;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (vs_root_usage(r->conf, &rec, &u, &err) < 0) {
		vsd_err_answer(r, vs_proto_errno_code(errno), "%s", err.msg);
		return;
	}
	vs_conf_limits_for(r->conf, r->vs, &lim);
	vs_buf_addf(&b, "quota_mb %lld\n", rec.quota_mb);
	vs_buf_addf(&b, "used_bytes %llu\n",
	    (unsigned long long)u.private_bytes);
	vs_buf_addf(&b, "used_inodes %llu\n", (unsigned long long)(u.own +
	    u.dirs + u.symlinks + u.other));
	vs_buf_addf(&b, "shared_files %llu\n", (unsigned long long)u.shared);
	vs_buf_addf(&b, "own_files %llu\ndirs %llu\nsymlinks %llu\n",
	    (unsigned long long)u.own, (unsigned long long)u.dirs,
	    (unsigned long long)u.symlinks);
	vs_buf_addf(&b, "over_quota %s\n", rec.quota_mb && u.private_bytes >
	    (unsigned long long)rec.quota_mb << 20 ? "yes" : "no");
	vs_buf_addf(&b, "processes_max %lld\n", rec.nproc ? rec.nproc :
	    lim.pids);
	memset(&st, 0, sizeof(st));
	if (vs_run_status(r->conf, r->vs, &st, NULL) == 0 && st.running &&
	    vs_cgroup_usage(r->conf, r->vs, &cu, NULL) == 0)
		vs_buf_addf(&b, "processes %lld\nmemory_bytes %lld\n", cu.pids,
		    cu.memory_bytes);
	else
		vs_buf_adds(&b, "processes 0\n");
	vs_proto_block(r->out, b.buf, b.len, "usage of %s", r->vs);
	vs_buf_release(&b);
}
