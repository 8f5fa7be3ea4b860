/* mod_snap.c - snapshot commands of mod_vs, through snap.h (vsnap's
 * library): save, list, diff, restore (rollback) and delete archives of a
 * VS's root.  A restore stops a running VS and starts it again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "snap.h"
#include "vsd.h"
#include "banned.h"

/* Snapshots a VS's own admin may make of it: they are host files outside
 * the VS's tree and quota, and only a host admin deletes them, so without
 * a bound a VS could fill the host's disk. */
#define VS_ADMIN_SNAP_MAX	8

static void
fail(struct vsd_req *r, const struct vs_err *err)
{
	vsd_err_answer(r, vs_proto_errno_code(err->errnum ? err->errnum :
	    errno), "%s", err->msg);
}

void
mod_snap_save(struct vsd_req *r)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	char id[VS_SNAP_ID_MAX + 1];
	struct vs_rec rec;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (r->who->role != VSD_ADMIN) {
		struct vs_snap_info *v;
		size_t n;

		if (vs_snap_list(r->conf, r->vs, &v, &n, &err) < 0) {
			fail(r, &err);
			return;
		}
		free(v);
		if (n >= VS_ADMIN_SNAP_MAX) {
			vsd_err_answer(r, VS_PROTO_E_LIMIT, "%s has %zu "
			    "snapshots, the most its own admin may make: a "
			    "host administrator deletes old ones first", r->vs,
			    n);
			return;
		}
	}
	o.message = r->argc ? r->argv[0] : NULL;
	if (o.message && strlen(o.message) > VS_SNAP_MSG_MAX) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "message longer than %d "
		    "bytes", VS_SNAP_MSG_MAX);
		return;
	}
	if (vs_snap_save(r->conf, r->vs, &o, id, &err) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, "snapshot %s of %s saved", id, r->vs);
}

void
mod_snap_list(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf b = VS_BUF_INIT;
	struct vs_snap_info *v;
	struct vs_rec rec;
	size_t n, i;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (vs_snap_list(r->conf, r->vs, &v, &n, &err) < 0) {
		fail(r, &err);
		return;
	}
	/* ID CREATED BYTES "MESSAGE" */
	for (i = 0; i < n; i++) {
		vs_buf_addf(&b, "%s %lld %lld ", v[i].id, v[i].created,
		    v[i].file_size);
		vs_proto_quote(&b, v[i].message);
		vs_buf_addch(&b, '\n');
	}
	vs_proto_block(r->out, b.buf, b.len, "%zu snapshots of %s", n, r->vs);
	vs_buf_release(&b);
	free(v);
}

void
mod_snap_diff(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf b = VS_BUF_INIT;
	long long n;

	if ((n = vs_snap_diff(r->conf, r->vs, r->argv[0], &b, &err)) < 0)
		fail(r, &err);
	else
		vs_proto_block(r->out, b.buf, b.len, "%lld paths changed since "
		    "%s", n, r->argv[0]);
	vs_buf_release(&b);
}

void
mod_snap_restore(struct vsd_req *r)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf why = VS_BUF_INIT;
	struct vs_rec rec;
	int lock;

	o.flags = VS_SNAP_RESTART;
	if (vs_snap_restore(r->conf, r->vs, r->argv[0], &o, &err) < 0) {
		fail(r, &err);
		return;
	}
	/* the snapshot brings back its accounts and governed copies; the
	 * rights' truth is the host's, as it is now */
	lock = vs_state_lock(r->conf, r->vs, 0, &err);
	if (lock >= 0 && vs_rec_load(r->conf, r->vs, &rec, &err) == 0 &&
	    vsd_rights_enforce(r, &rec, &why) < 0)
		vsd_ok_answer(r, "%s restored from %s (warning: rights %s)",
		    r->vs, r->argv[0], why.buf);
	else
		vsd_ok_answer(r, "%s restored from %s", r->vs, r->argv[0]);
	if (lock >= 0)
		close(lock);
	vs_buf_release(&why);
}

void
mod_snap_delete(struct vsd_req *r)
{
	struct vs_err err = VS_ERR_INIT;

	if (vs_snap_delete(r->conf, r->vs, r->argv[0], &err) < 0)
		fail(r, &err);
	else
		vsd_ok_answer(r, "snapshot %s of %s deleted", r->argv[0],
		    r->vs);
}
