/* test_cgroup.c - priv/cgroup.c without root: hostile names never reach
 * a path, whatever the backend. (Limits, kill and both backends run for
 * real in tests/integration/15x, on the host and in the qemu guest.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xmem.h"
#include "priv/cgroup.h"

static void
test_names(void **state)
{
	static const char *bad[] = { "", "..", "../x", "a/b", "-x", "A",
	    "x y", "0123456789012345678901234567890123" };
	struct vs_err err = VS_ERR_INIT;
	struct vs_cgroup_usage u;
	struct vs_conf conf;
	pid_t *p;
	size_t n, i;

	(void)state;
	vs_conf_defaults(&conf);
	free(conf.instance);
	conf.instance = xstrdup("abcdef");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(vs_cgroup_create(&conf, bad[i], NULL, &err),
		    -1);
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(err.msg, "invalid VS name"));
		assert_int_equal(vs_cgroup_attach(&conf, bad[i], 1, &err), -1);
		assert_int_equal(vs_cgroup_procs(&conf, bad[i], &p, &n, &err),
		    -1);
		assert_int_equal(vs_cgroup_kill(&conf, bad[i], &err), -1);
		assert_int_equal(vs_cgroup_destroy(&conf, bad[i], &err), -1);
		assert_int_equal(vs_cgroup_usage(&conf, bad[i], &u, &err), -1);
		assert_int_equal(errno, EINVAL);
	}
	vs_conf_release(&conf);
}

static void
test_backend(void **state)
{
	enum vs_cgroup_backend b = vs_cgroup_backend();

	(void)state;
	assert_true(b == VS_CGROUP_NONE || b == VS_CGROUP_V1 ||
	    b == VS_CGROUP_V2);
	assert_int_equal(vs_cgroup_backend(), b);	/* chosen once */
	assert_string_equal(vs_cgroup_backend_name(VS_CGROUP_V1), "v1");
	assert_string_equal(vs_cgroup_backend_name(VS_CGROUP_V2), "v2");
	assert_string_equal(vs_cgroup_backend_name(VS_CGROUP_NONE), "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
