/* test_net.c - priv/net.c without root: interface names, the checks that
 * run before anything touches the kernel, and stale pins. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "state.h"
#include "xmem.h"
#include "priv/net.h"

#include "tmpdir.h"

static struct vs_conf conf;

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_net");
	tmpdir_conf(&conf);
	free(conf.instance);
	conf.instance = xstrdup("abcdef");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	vs_conf_release(&conf);
	return 0;
}

static void
test_ifname(void **state)
{
	char n[16];

	(void)state;
	assert_int_equal(vs_net_host_ifname(&conf, 1, n), 0);
	assert_string_equal(n, "vhabcdef1");
	/* IFNAMSIZ is 16: 15 characters is the most a name may have */
	assert_int_equal(vs_net_host_ifname(&conf, 9999999, n), 0);
	assert_int_equal(strlen(n), 15);
	assert_int_equal(vs_net_host_ifname(&conf, 10000000, n), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(vs_net_host_ifname(&conf, -1, n), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_bad_input(void **state)
{
	static const char *ips[] = { "127.0.0.1", "10.0.0", "", "0.0.0.0",
	    "169.254.1.1", "224.0.0.1", "10.0.0.1; rm", "::1" };
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec r;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "web");
	r.number = 1;
	for (i = 0; i < ARRAY_SIZE(ips); i++) {
		snprintf(r.ip, sizeof(r.ip), "%s", ips[i]);
		assert_int_equal(vs_net_create(&conf, &r, 0, &err), -1);
		assert_int_equal(errno, EINVAL);
	}
	snprintf(r.ip, sizeof(r.ip), "10.1.2.3");
	snprintf(r.name, sizeof(r.name), "../x");
	assert_int_equal(vs_net_create(&conf, &r, 0, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vs_net_destroy(&conf, "a/b", &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vs_net_open(&conf, "..", &err), -1);
	assert_int_equal(errno, EINVAL);
	/* nothing was created for any of them */
	{
		char *p = xasprintf("%s/run", tmpdir);

		assert_int_equal(access(p, F_OK), -1);
		free(p);
	}
}

static void
test_open_stale(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	char *dir = xasprintf("%s/run/netns", tmpdir);
	char *pin = xasprintf("%s/stale", dir);
	char *cmd = xasprintf("mkdir -p '%s' && : > '%s'", dir, pin);

	(void)state;
	assert_int_equal(vs_net_open(&conf, "missing", &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(system(cmd), 0);
	/* a pin file without its mount is not a netns: refuse it */
	assert_int_equal(vs_net_open(&conf, "stale", &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err.msg, "stale pin"));
	free(cmd);
	free(pin);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ifname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_stale, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
