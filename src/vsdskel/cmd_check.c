/* cmd_check.c - vsdskel check: the skeleton still matches its manifest
 * and nothing in it is writable. */
#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "vsdskel.h"

int
cmd_check(struct skel_opts *o, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct skel_state s;
	int n;

	(void)argc;
	(void)argv;
	if (skel_state_open(&s, o, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	n = skel_check(&s, o, &err);
	if (n < 0) {
		log_warnx("check: %s", err.msg);
		if (o->json)
			printf("{\"ok\":false,\"error\":\"check failed\"}\n");
	} else if (n > 0 && !o->json) {
		log_warnx("check: '%s/skel': %d problem%s", s.conf.state_root,
		    n, n == 1 ? "" : "s");
	} else if (n == 0 && !o->json && !o->quiet) {
		log_info("skeleton '%s/skel' OK", s.conf.state_root);
	}
	skel_state_close(&s);
	return n == 0 ? 0 : 1;
}
