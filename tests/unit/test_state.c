/* test_state.c - VS records: atomic save, load, list, corrupt input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "state.h"
#include "xmem.h"

#include "tmpdir.h"

static struct vs_conf conf;

static int
setup(void **state)
{
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	tmpdir_make("test_state");
	tmpdir_conf(&conf);
	assert_int_equal(vs_state_init(&conf, &err), 0);
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

static struct vs_rec
mkrec(const char *name, int n)
{
	struct vs_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.number = n;
	r.uid_base = 200000 + n * 65536;
	r.uid_count = 65536;
	snprintf(r.ip, sizeof(r.ip), "10.9.0.%d", n);
	snprintf(r.fqdn, sizeof(r.fqdn), "%s.example.com", name);
	r.quota_mb = 200;
	snprintf(r.state, sizeof(r.state), "ready");
	return r;
}

static void
test_roundtrip(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec a = mkrec("web1", 1), b = mkrec("db", 2), got, *all;
	size_t n;

	(void)state;
	assert_int_equal(vs_rec_save(&conf, &a, &err), 0);
	assert_int_equal(vs_rec_save(&conf, &b, &err), 0);
	assert_int_equal(vs_rec_load(&conf, "web1", &got, &err), 0);
	assert_memory_equal(&got, &a, sizeof(a));
	assert_int_equal(vs_rec_list(&conf, &all, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].name, "db");
	assert_string_equal(all[1].name, "web1");
	free(all);
	assert_int_equal(vs_rec_remove(&conf, "web1", &err), 0);
	assert_int_equal(vs_rec_load(&conf, "web1", &got, &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err.msg, "no server named 'web1'"));
}

static void
test_bad_names(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec got;

	(void)state;
	assert_int_equal(vs_rec_load(&conf, "../../etc/passwd", &got, &err),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vs_rec_remove(&conf, "a/b", &err), -1);
}

static void
test_corrupt(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec got;
	char *p = xasprintf("%s/state/vs/web1", tmpdir);
	FILE *f = fopen(p, "w");

	(void)state;
	fputs("name web1\nnumber banana\nuid_base 1\n", f);
	fclose(f);
	assert_int_equal(vs_rec_load(&conf, "web1", &got, &err), -1);
	assert_non_null(strstr(err.msg, "corrupt record"));
	f = fopen(p, "w");
	fputs("name other\nnumber 1\nuid_base 1\nuid_count 1\n", f);
	fclose(f);
	assert_int_equal(vs_rec_load(&conf, "web1", &got, &err), -1);
	free(p);
}

static void
test_lock(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int a, b;

	(void)state;
	a = vs_state_lock(&conf, "web1", 0, &err);
	assert_true(a >= 0);
	/* a second open file description conflicts with the first */
	b = vs_state_lock(&conf, "web1", 1, &err);
	assert_int_equal(b, -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(a);
	b = vs_state_lock(&conf, "web1", 1, &err);
	assert_true(b >= 0);
	close(b);
	assert_int_equal(vs_state_lock(&conf, "../x", 1, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
