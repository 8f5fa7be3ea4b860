/* cmd_update.c - vsdskel update: rebuild and re-link every VS. */
#include <errno.h>

#include "log.h"
#include "vsdskel.h"

int
cmd_update(struct skel_opts *o, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct skel_state s;
	int rc;

	(void)argc;
	(void)argv;
	if (skel_state_open(&s, o, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	rc = skel_update(&s, o, &err);
	if (rc < 0)
		log_warnx("update: %s", err.msg);
	skel_state_close(&s);
	return rc < 0 ? 1 : 0;
}
