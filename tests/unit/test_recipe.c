/* test_recipe.c - vstry recipes: every keyword, defaults, hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe.h"
#include "xmem.h"

static int
parse(struct vs_recipe *r, const char *text, struct vs_buf *errors)
{
	vs_buf_reset(errors);
	return vs_recipe_parse_mem(r, "t.recipe", text, strlen(text), errors);
}

static void
test_defaults(void **state)
{
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;

	(void)state;
	assert_int_equal(parse(&r, "# nothing\n\n", &e), 0);
	assert_string_equal(r.name, "t");
	assert_int_equal(r.n_packages, 0);
	assert_int_equal(r.network, 0);
	assert_int_equal(r.verify, 1);
	assert_int_equal(r.timeout, 60);
	assert_int_equal(r.policy[VS_POL_LEFTOVERS], VS_POLICY_FAIL);
	assert_int_equal(r.policy[VS_POL_OUTSIDE], VS_POLICY_FAIL);
	assert_int_equal(r.policy[VS_POL_PROCESSES], VS_POLICY_FAIL);
	assert_int_equal(r.policy[VS_POL_USERS], VS_POLICY_REPORT);
	vs_recipe_release(&r);
	vs_buf_release(&e);
}

static void
test_full(void **state)
{
	static const char text[] =
	    "name \"hello world\"\n"
	    "package \"a.rpm\"\npackage b.deb\n"
	    "network on\ndeps strict\ntimeout 30\nstep_timeout 10\n"
	    "verify no\nusers fail\nleftovers report\nports ignore\n"
	    "allow \"/var/cache/hello/*\"\n"
	    "run \"hello --version\" exit 3 output \"1.0\" timeout 5\n"
	    "run true\n"
	    "file /usr/bin/hello exists\n"
	    "file \"/etc/x y\" absent\n"
	    "file /usr/bin/hello mode 4755\n"
	    "file /srv owner 33\n"
	    "port 8080\nport 53 udp\n"
	    "service hello port 8080\nservice cron\n";
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;

	(void)state;
	assert_int_equal(parse(&r, text, &e), 0);
	assert_string_equal(r.name, "hello world");
	assert_int_equal(r.n_packages, 2);
	assert_string_equal(r.packages[1], "b.deb");
	assert_null(r.packages[2]);
	assert_int_equal(r.network, 1);
	assert_int_equal(r.deps_strict, 1);
	assert_int_equal(r.timeout, 30);
	assert_int_equal(r.step_timeout, 10);
	assert_int_equal(r.verify, 0);
	assert_int_equal(r.policy[VS_POL_USERS], VS_POLICY_FAIL);
	assert_int_equal(r.policy[VS_POL_LEFTOVERS], VS_POLICY_REPORT);
	assert_int_equal(r.policy[VS_POL_PORTS], VS_POLICY_IGNORE);
	assert_int_equal(r.n_checks, 10);
	assert_int_equal(r.checks[0].kind, VS_CHECK_RUN);
	assert_int_equal(r.checks[0].exit_code, 3);
	assert_string_equal(r.checks[0].output, "1.0");
	assert_int_equal(r.checks[0].timeout, 5);
	assert_int_equal(r.checks[0].line, 13);
	assert_null(r.checks[1].output);
	assert_int_equal(r.checks[1].exit_code, 0);
	assert_int_equal(r.checks[2].ftest, VS_FILE_EXISTS);
	assert_string_equal(r.checks[3].arg, "/etc/x y");
	assert_int_equal(r.checks[3].ftest, VS_FILE_ABSENT);
	assert_int_equal(r.checks[4].ftest, VS_FILE_MODE);
	assert_int_equal(r.checks[4].mode, 04755);
	assert_int_equal(r.checks[5].owner, 33);
	assert_int_equal(r.checks[6].port, 8080);
	assert_int_equal(r.checks[6].udp, 0);
	assert_int_equal(r.checks[7].udp, 1);
	assert_int_equal(r.checks[8].kind, VS_CHECK_SERVICE);
	assert_int_equal(r.checks[8].port, 8080);
	assert_int_equal(r.checks[9].port, 0);
	assert_true(vs_recipe_allowed(&r, "/var/cache/hello/a/b"));
	assert_true(vs_recipe_allowed(&r, "/var/cache/hello/x"));
	assert_false(vs_recipe_allowed(&r, "/var/cache/hello"));
	assert_false(vs_recipe_allowed(&r, "/etc/passwd"));
	vs_recipe_release(&r);
	vs_buf_release(&e);
}

static void
test_defaults_no(void **state)
{
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;
	int k;

	(void)state;
	assert_int_equal(parse(&r, "defaults no\noutside fail\n", &e), 0);
	assert_int_equal(r.verify, 0);
	for (k = 0; k < VS_POL_COUNT; k++)
		assert_int_equal(r.policy[k], k == VS_POL_OUTSIDE ?
		    VS_POLICY_FAIL : VS_POLICY_REPORT);
	vs_recipe_release(&r);
	vs_buf_release(&e);
}

/* Every error is reported, with its line, and nothing leaks. */
static void
test_errors(void **state)
{
	static const char text[] =
	    "nosuch 1\n"				/* 1 */
	    "network maybe\n"				/* 2 */
	    "timeout 0\n"				/* 3 */
	    "timeout 99999999999999999999\n"		/* 4 */
	    "file relative exists\n"			/* 5 */
	    "file /a/../etc/shadow exists\n"		/* 6 */
	    "file /x mode 9\n"				/* 7 */
	    "file /x mode -1\n"				/* 8 */
	    "port 0\n"					/* 9 */
	    "port 70000\n"				/* 10 */
	    "run \"x\" exit 256\n"			/* 11 */
	    "run \"x\" bogus 1\n"			/* 12 */
	    "run \"x\" exit\n"				/* 13 */
	    "service \"../../bin/sh\"\n"		/* 14 */
	    "users sometimes\n"				/* 15 */
	    "package \"\"\n"				/* 16 */
	    "allow \"rel/*\"\n"				/* 17 */
	    "file /x owner -5\n"			/* 18 */
	    "run \"unterminated\n"			/* 19 */
	    "file //etc exists\n";			/* 20 */
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;
	char want[32];
	int line;

	(void)state;
	assert_int_equal(parse(&r, text, &e), -1);
	for (line = 1; line <= 20; line++) {
		snprintf(want, sizeof(want), "t.recipe:%d: ", line);
		if (!strstr(e.buf, want))
			fail_msg("no error for line %d in:\n%s", line, e.buf);
	}
	assert_non_null(strstr(e.buf, "unknown keyword 'nosuch'"));
	assert_null(r.name);
	assert_int_equal(r.n_checks, 0);
	vs_buf_release(&e);
}

static void
test_limits(void **state)
{
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT, t = VS_BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 300; i++)
		vs_buf_addf(&t, "run \"echo %d\"\n", i);
	assert_int_equal(parse(&r, t.buf, &e), -1);
	assert_non_null(strstr(e.buf, "more than 256 checks"));
	vs_buf_reset(&t);
	vs_buf_adds(&t, "run \"");
	for (i = 0; i < 5000; i++)
		vs_buf_addch(&t, 'x');
	vs_buf_adds(&t, "\"\n");
	assert_int_equal(parse(&r, t.buf, &e), -1);
	assert_non_null(strstr(e.buf, "longer than"));
	assert_int_equal(parse(&r, "name a\0b\n", &e), 0);	/* strlen cut */
	vs_recipe_release(&r);
	assert_int_equal(vs_recipe_parse_mem(&r, "nul", "a\0b", 3, &e), -1);
	vs_buf_release(&t);
	vs_buf_release(&e);
}

static void
test_file(void **state)
{
	char dir[] = "/tmp/test_recipe.XXXXXX", *path, *cmd;
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/demo.recipe", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("package hello.rpm\nrun true\n", f);
	fclose(f);
	assert_int_equal(vs_recipe_parse_file(&r, path, &e), 0);
	assert_string_equal(r.name, "demo");
	assert_string_equal(r.dir, dir);
	vs_recipe_release(&r);
	assert_int_equal(vs_recipe_parse_file(&r, "/nonexistent/x.recipe",
	    &e), -1);
	assert_non_null(strstr(e.buf, "cannot open"));
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
	vs_buf_release(&e);
}

/* isolation vs|qemu (vstry --qemu); default vs, last one wins */
static void
test_isolation(void **state)
{
	struct vs_recipe r;
	struct vs_buf e = VS_BUF_INIT;

	(void)state;
	assert_int_equal(parse(&r, "name x\n", &e), 0);
	assert_int_equal(r.qemu, 0);
	vs_recipe_release(&r);
	assert_int_equal(parse(&r, "isolation qemu\n", &e), 0);
	assert_int_equal(r.qemu, 1);
	vs_recipe_release(&r);
	assert_int_equal(parse(&r, "isolation qemu\nisolation vs\n", &e), 0);
	assert_int_equal(r.qemu, 0);
	vs_recipe_release(&r);
	assert_int_equal(parse(&r, "isolation kvm\n", &e), -1);
	assert_non_null(strstr(e.buf, "t.recipe:1: isolation: expected vs or "
	    "qemu, not 'kvm'"));
	assert_int_equal(parse(&r, "isolation\n", &e), -1);
	assert_non_null(strstr(e.buf, "t.recipe:1: "));
	assert_int_equal(parse(&r, "isolation qemu vs\n", &e), -1);
	vs_buf_release(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults_no),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_isolation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
