/* local.c - vsdadm's transport straight to the library (no daemon). */
#include <errno.h>
#include <string.h>

#include "vsdadm.h"
#include "banned.h"

/* Interrupted operations are finished before anything that changes
 * state, as vsd does at start: "the next run" repairs a crash. */
static int
local_reconcile_first(const struct vs_conf *conf, struct vs_err *err)
{
	struct vs_buf rep = VS_BUF_INIT;
	int rc;

	if (vs_state_init(conf, err) < 0)
		return -1;
	rc = vs_reconcile(conf, &rep, err);
	vs_buf_release(&rep);
	return rc < 0 ? -1 : 0;
}

static int
local_create(const struct vs_conf *conf, const struct vs_create_req *q,
    struct vs_rec *rec, struct vs_create_stats *st, struct vs_err *err)
{
	if (local_reconcile_first(conf, err) < 0)
		return -1;
	return vs_create(conf, q, rec, st, err);
}

static int
local_delete(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	if (local_reconcile_first(conf, err) < 0)
		return -1;
	return vs_delete(conf, name, err);
}

static int
local_info(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_root_usage *u, int *running, struct vs_err *err)
{
	int r;

	if (vs_info(conf, name, rec, err) < 0)
		return -1;
	r = vs_root_running(conf, name, err);
	if (r < 0)
		return -1;
	*running = r;
	return vs_root_usage(conf, rec, u, err);
}

static int
local_reconcile(const struct vs_conf *conf, struct vs_buf *rep,
    struct vs_err *err)
{
	if (vs_state_init(conf, err) < 0)
		return -1;
	return vs_reconcile(conf, rep, err);
}

const struct vsdadm_ops vsdadm_local = {
	.create = local_create,
	.delete = local_delete,
	.list = vs_rec_list,
	.info = local_info,
	.reconcile = local_reconcile,
};
