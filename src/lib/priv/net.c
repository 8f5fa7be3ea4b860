/* net.c - a VS's netns, veth, addresses and routes over rtnetlink.
 * (Implementation landing next: until then it fails.) */
#include <errno.h>
#include <stdio.h>

#include "priv/net.h"

static int
not_yet(struct vs_err *err)
{
	return vs_err_set(err, ENOSYS, "network: not available yet");
}

int
vs_net_host_ifname(const struct vs_conf *conf, long long number,
    char out[16])
{
	int n = snprintf(out, 16, "vh%s%lld", conf->instance, number);

	if (n < 0 || n >= 16 || number < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
vs_net_create(const struct vs_conf *conf, const struct vs_rec *rec,
    unsigned flags, struct vs_err *err)
{
	(void)conf; (void)rec; (void)flags;
	return not_yet(err);
}

int
vs_net_open(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	(void)conf; (void)name;
	return not_yet(err);
}

int
vs_net_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	(void)conf; (void)name;
	return not_yet(err);
}
