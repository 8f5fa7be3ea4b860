/* relink.c - vsdskel update: swap in a new skeleton and re-link VSs. */
#include <errno.h>

#include "vsdskel.h"

int
skel_update(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err)
{
	(void)s;
	(void)o;
	return vs_err_set(err, ENOSYS, "not available yet");
}
