/* test_uidalloc.c - VS numbers and uid ranges: host ids and other VSs
 * are never overlapped; account files come from VSD_PASSWD_FILE and
 * VSD_GROUP_FILE (temporary copies, never the host's). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uidalloc.h"
#include "xmem.h"

static char dir[64], pw[96], gr[96];
static struct vs_conf conf;

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_uidalloc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	snprintf(gr, sizeof(gr), "%s/group", dir);
	write_file(pw, "root:x:0:0:root:/root:/bin/bash\n"
	    "# a comment\n"
	    "broken line\n"
	    "nobody:x:65534:65534::/:/bin/false\n"
	    "far:x:340000:100::/:/bin/false\n");
	write_file(gr, "root:x:0:\nwide:x:600000:\nbad:x:notanumber:\n");
	setenv("VSD_PASSWD_FILE", pw, 1);
	setenv("VSD_GROUP_FILE", gr, 1);
	vs_conf_defaults(&conf);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	vs_conf_release(&conf);
	return 0;
}

static struct vs_rec
rec(const char *name, long long n, long long base, long long count)
{
	struct vs_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.number = n;
	r.uid_base = base;
	r.uid_count = count;
	return r;
}

static void
test_load(void **state)
{
	struct vs_hostids h = VS_HOSTIDS_INIT;
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	assert_int_equal(vs_hostids_load(&h, &err), 0);
	assert_int_equal(h.n, 5);	/* comment, broken and bad id skipped */
	assert_string_equal(h.v[2].name, "far");
	assert_int_equal(h.v[2].id, 340000);
	assert_int_equal(h.v[4].group, 1);
	vs_hostids_release(&h);

	setenv("VSD_PASSWD_FILE", "/nonexistent/passwd", 1);
	assert_int_equal(vs_hostids_load(&h, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/passwd"));
	setenv("VSD_PASSWD_FILE", pw, 1);
}

static void
test_pick(void **state)
{
	struct vs_hostids h = VS_HOSTIDS_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec r[2];
	long long n, base;

	(void)state;
	assert_int_equal(vs_hostids_load(&h, &err), 0);
	/* 1 = [265536, 331071] free; 2 = [331072, 396607] holds "far" */
	assert_int_equal(vs_uidalloc_pick(&conf, &h, NULL, 0, 0, &n, &base,
	    &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(base, 265536);

	r[0] = rec("a", 1, 265536, 65536);
	assert_int_equal(vs_uidalloc_pick(&conf, &h, r, 1, 0, &n, &base,
	    &err), 0);
	assert_int_equal(n, 3);	/* 2 overlaps the host account */

	assert_int_equal(vs_uidalloc_pick(&conf, &h, r, 1, 2, &n, &base,
	    &err), -1);
	assert_int_equal(errno, ERANGE);
	assert_non_null(strstr(err.msg, "host account 'far' (340000)"));

	/* group 600000 is in number 6 = [593216, 658751] */
	assert_int_equal(vs_uidalloc_check(&conf, &h, r, 1, 6, &err), -1);
	assert_non_null(strstr(err.msg, "host group 'wide'"));

	assert_int_equal(vs_uidalloc_check(&conf, &h, r, 1, 1, &err), -1);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err.msg, "taken by 'a'"));

	assert_int_equal(vs_uidalloc_check(&conf, &h, r, 1, 0, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vs_uidalloc_check(&conf, &h, r, 1, 251, &err), -1);
	assert_int_equal(errno, EINVAL);

	/* a record from an older plan overlapping number 4's range */
	r[1] = rec("old", 99, 470000, 65536);
	assert_int_equal(vs_uidalloc_check(&conf, &h, r, 2, 4, &err), -1);
	assert_int_equal(errno, ERANGE);
	assert_non_null(strstr(err.msg, "overlaps that of 'old'"));
	vs_hostids_release(&h);
}

static void
test_limits(void **state)
{
	struct vs_hostids h = VS_HOSTIDS_INIT;
	struct vs_err err = VS_ERR_INIT;
	long long n, base;

	(void)state;
	/* the last range must end below (uid_t)-1 */
	conf.uid_base = 4294967295LL - 3 * 65536;
	conf.max_servers = 5;
	assert_int_equal(vs_uidalloc_check(&conf, &h, NULL, 0, 2, &err), 0);
	assert_int_equal(vs_uidalloc_check(&conf, &h, NULL, 0, 3, &err), -1);
	assert_int_equal(errno, ERANGE);
	/* nothing free at all */
	conf.uid_base = 0;
	conf.uid_stride = 100000;
	conf.max_servers = 1;
	h.v = xcalloc(1, sizeof(*h.v));
	h.n = 1;
	h.v[0].id = 150000;
	snprintf(h.v[0].name, sizeof(h.v[0].name), "x");
	assert_int_equal(vs_uidalloc_pick(&conf, &h, NULL, 0, 0, &n, &base,
	    &err), -1);
	assert_int_equal(errno, ERANGE);
	assert_non_null(strstr(err.msg, "no free VS number"));
	vs_hostids_release(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
