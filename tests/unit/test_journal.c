/* test_journal.c - journal entries (durable, validated, parsed back) and
 * reconcile: interrupted creates rolled back, deletes finished, running
 * operations and unknown ops left alone, stray temporary trees swept. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "state.h"
#include "xmem.h"

#include "tmpdir.h"

static struct vs_conf conf;

static int
setup(void **state)
{
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	tmpdir_make("test_journal");
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

static void
mk(const char *rel)
{
	char *p = xasprintf("%s/%s", tmpdir, rel);
	size_t n = strlen(p);

	if (p[n - 1] == '/') {
		p[n - 1] = '\0';
		assert_int_equal(mkdir(p, 0755), 0);
	} else {
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);

		assert_true(fd >= 0);
		close(fd);
	}
	free(p);
}

static int
exists(const char *rel)
{
	char *p = xasprintf("%s/%s", tmpdir, rel);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static void
test_entries(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_journal_entry *v;
	long long a, b;
	size_t n;

	(void)state;
	a = vs_journal_begin(&conf, "create", "web1", ".new-web1-1", &err);
	assert_true(a > 0);
	b = vs_journal_begin(&conf, "restore", "db", "", &err);
	assert_true(b > a);
	assert_int_equal(vs_journal_update(&conf, b, "step 2 of 3", &err), 0);
	assert_int_equal(vs_journal_list(&conf, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, a);
	assert_string_equal(v[0].op, "create");
	assert_string_equal(v[0].name, "web1");
	assert_string_equal(v[0].detail, ".new-web1-1");
	assert_int_equal(v[0].pid, getpid());
	assert_string_equal(v[1].detail, "step 2 of 3");
	free(v);
	assert_int_equal(vs_journal_end(&conf, a, &err), 0);
	assert_int_equal(vs_journal_end(&conf, a, &err), 0);	/* idempotent */
	assert_int_equal(vs_journal_list(&conf, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	free(v);

	/* not yet durable: in place all the same (what a kill -9 needs),
	 * then synced; syncing an ended entry fails */
	a = vs_journal_begin_nosync(&conf, "create", "web2", ".new-web2-1",
	    &err);
	assert_true(a > b);
	assert_int_equal(vs_journal_list(&conf, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].name, "web2");
	free(v);
	assert_int_equal(vs_journal_sync(&conf, a, &err), 0);
	assert_int_equal(vs_journal_end(&conf, a, &err), 0);
	assert_int_equal(vs_journal_sync(&conf, a, &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(vs_journal_begin_nosync(&conf, "create", "../x", "",
	    &err), -1);

	/* hostile values never reach the file */
	assert_int_equal(vs_journal_begin(&conf, "Create", "x", "", &err), -1);
	assert_int_equal(vs_journal_begin(&conf, "create", "../x", "", &err),
	    -1);
	assert_int_equal(vs_journal_begin(&conf, "create", "x", "a\nop evil",
	    &err), -1);
	assert_int_equal(vs_journal_begin(&conf, "create", "x", "a\"b", &err),
	    -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_corrupt(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_journal_entry *v;
	size_t n;
	char *p = xasprintf("%s/state/journal/123", tmpdir);
	FILE *f = fopen(p, "w");

	(void)state;
	assert_non_null(f);
	fputs("op create\nname ../../etc\n", f);
	fclose(f);
	assert_int_equal(vs_journal_list(&conf, &v, &n, &err), -1);
	assert_int_equal(errno, EUCLEAN);
	assert_non_null(strstr(err.msg, "bad name"));
	free(p);
}

static void
test_reconcile(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf rep = VS_BUF_INIT;
	struct vs_journal_entry *v;
	size_t n;
	int lk;

	(void)state;
	/* an interrupted create: its half-built tree */
	mk("vs/.new-web1-abc/");
	mk("vs/.new-web1-abc/etc/");
	mk("vs/.new-web1-abc/etc/passwd");
	assert_true(vs_journal_begin(&conf, "create", "web1", ".new-web1-abc",
	    &err) > 0);
	/* an interrupted delete: root already renamed, record still there */
	mk("vs/.del-db-1/");
	mk("vs/.del-db-1/file");
	mk("state/vs/db");
	assert_true(vs_journal_begin(&conf, "delete", "db", ".del-db-1",
	    &err) > 0);
	/* a create that is still running (its lock is held) */
	mk("vs/.new-busy-9/");
	assert_true(vs_journal_begin(&conf, "create", "busy", ".new-busy-9",
	    &err) > 0);
	lk = vs_state_lock(&conf, "busy", 0, &err);
	assert_true(lk >= 0);
	/* an op nobody knows, and a stray tree no entry names */
	assert_true(vs_journal_begin(&conf, "frobnicate", "odd", "", &err) > 0);
	mk("vs/.new-gone-7/");
	mk("vs/keep/");

	assert_int_equal(vs_reconcile(&conf, &rep, &err), 2);
	assert_false(exists("vs/.new-web1-abc"));
	assert_false(exists("vs/.del-db-1"));
	assert_false(exists("state/vs/db"));
	assert_true(exists("vs/.new-busy-9"));
	assert_false(exists("vs/.new-gone-7"));
	assert_true(exists("vs/keep"));
	assert_non_null(strstr(rep.buf, "create web1: rolled back"));
	assert_non_null(strstr(rep.buf, "delete db: finished"));
	assert_non_null(strstr(rep.buf, "unknown operation"));
	assert_int_equal(vs_journal_list(&conf, &v, &n, &err), 0);
	assert_int_equal(n, 2);		/* busy and frobnicate stay */
	free(v);

	close(lk);
	vs_buf_reset(&rep);
	assert_int_equal(vs_reconcile(&conf, &rep, &err), 1);
	assert_false(exists("vs/.new-busy-9"));
	vs_buf_release(&rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
