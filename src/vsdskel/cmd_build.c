/* cmd_build.c - vsdskel build: a new skeleton, swapped in atomically. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "vsdskel.h"

/* Finish or discard what an earlier run left; 0 when clean. */
static int
recover(struct skel_state *s, struct vs_err *err)
{
	unsigned long long ino;
	char op[32];
	int r = skel_pending_read(s, op, sizeof(op), &ino, err);

	if (r < 0)
		return -1;
	if (r == 1)
		return skel_clean_leftovers(s, err);
	if (strcmp(op, "build") != 0)
		return vs_err_set(err, EAGAIN, "an interrupted 'vsdskel %s' "
		    "is pending: run 'vsdskel update' to finish it", op);
	log_info("finishing an interrupted build");
	if (skel_swap(s, ino, err) < 0 || skel_pending_end(s, err) < 0)
		return -1;
	return 0;
}

int
cmd_build(struct skel_opts *o, int argc, char **argv)
{
	struct vs_manifest m = VS_MANIFEST_INIT;
	struct vs_globs copy = VS_GLOBS_INIT;
	struct vs_rightlist rights = VS_RIGHTLIST_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct skel_state s;
	struct vs_rec *recs = NULL;
	size_t nrecs = 0;
	char id[VS_HASH_HEXLEN + 1];
	int rc = 1;

	(void)argc;
	(void)argv;
	if (geteuid() != 0) {
		log_warnx("build: must run as root (the skeleton keeps the "
		    "owners of its files)");
		return 1;
	}
	if (skel_state_open(&s, o, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	if (recover(&s, &err) < 0)
		goto fail;
	if (vs_rec_list(&s.conf, &recs, &nrecs, &err) < 0)
		goto fail;
	free(recs);
	if (nrecs > 0 && faccessat(s.statefd, "manifest", F_OK, 0) == 0) {
		vs_err_set(&err, EEXIST, "'%s/skel' is used by %zu VS%s: "
		    "use 'vsdskel update' to replace it", s.conf.state_root,
		    nrecs, nrecs == 1 ? "" : "s");
		goto fail;
	}
	if (skel_build_tree(&s, o, "skel.new", &m, &copy, &rights, &err) < 0 ||
	    skel_save_new(&s, &m, &copy, &rights, &err) < 0 ||
	    skel_pending_begin(&s, "build", &err) < 0)
		goto fail;
	{
		unsigned long long ino;
		char op[32];

		if (skel_pending_read(&s, op, sizeof(op), &ino, &err) != 0 ||
		    skel_swap(&s, ino, &err) < 0 ||
		    skel_pending_end(&s, &err) < 0)
			goto fail;
	}
	if (vs_manifest_id(&m, id, &err) < 0)
		goto fail;
	if (o->json)
		printf("{\"ok\":true,\"skel\":\"%s/skel\",\"id\":\"%s\","
		    "\"entries\":%zu}\n", s.conf.state_root, id, m.n);
	else if (!o->quiet)
		log_info("skeleton %.12s ready in '%s/skel'", id,
		    s.conf.state_root);
	rc = 0;
	goto out;
fail:
	log_warnx("build: %s", err.msg);
	{
		/* a half-built tree is garbage; without a pending record
		 * nothing refers to it */
		struct vs_err e2 = VS_ERR_INIT;

		if (s.rootfd >= 0 && faccessat(s.statefd, "pending", F_OK,
		    0) < 0)
			(void)rmtree_at(s.rootfd, "skel.new", &e2);
	}
	if (o->json)
		printf("{\"ok\":false}\n");
out:
	vs_manifest_release(&m);
	vs_globs_release(&copy);
	vs_rightlist_release(&rights);
	skel_state_close(&s);
	return rc;
}
