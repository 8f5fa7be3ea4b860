/* test_conf.c - the word splitter, statements, include, vsd.conf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "xmem.h"

#include "tmpdir.h"

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_conf");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static char *
write_file(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void
test_words(void **state)
{
	struct vs_words w = VS_WORDS_INIT;
	struct vs_err err = VS_ERR_INIT;
	const char *l = "  listen \"a b\\\"c\" {  } # comment \"x";

	(void)state;
	assert_int_equal(vs_words_split(&w, l, strlen(l), 10, &err), 0);
	assert_int_equal(w.argc, 4);
	assert_string_equal(w.argv[0], "listen");
	assert_string_equal(w.argv[1], "a b\"c");
	assert_string_equal(w.argv[2], "{");
	assert_string_equal(w.argv[3], "}");
	assert_null(w.argv[4]);

	l = "say \"unterminated";
	assert_int_equal(vs_words_split(&w, l, strlen(l), 10, &err), -1);
	assert_non_null(strstr(err.msg, "unterminated"));
	assert_int_equal(w.argc, 0);

	l = "a b c d";
	assert_int_equal(vs_words_split(&w, l, strlen(l), 3, &err), -1);
	assert_non_null(strstr(err.msg, "too many"));

	assert_int_equal(vs_words_split(&w, "a\001b", 3, 3, &err), -1);
	assert_int_equal(vs_words_split(&w, "", 0, 3, &err), 0);
	assert_int_equal(w.argc, 0);
	assert_int_equal(vs_words_split(&w, "\"\"", 2, 3, &err), 0);
	assert_int_equal(w.argc, 1);
	assert_string_equal(w.argv[0], "");
	vs_words_release(&w);
}

static void
test_number(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(vs_conf_number("42", 0, 100, 0, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(vs_conf_number("101", 0, 100, 0, &v), -1);
	assert_int_equal(vs_conf_number("4k", 0, 1 << 20, 1, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vs_conf_number("4k", 0, 1 << 20, 0, &v), -1);
	assert_int_equal(vs_conf_number("", 0, 1, 0, &v), -1);
	assert_int_equal(vs_conf_number("12x", 0, 100, 0, &v), -1);
	assert_int_equal(vs_conf_number("99999999999999999999", 0,
	    1LL << 62, 0, &v), -1);
	assert_int_equal(vs_conf_number("9999999999G", 0, 1LL << 62, 1, &v),
	    -1);
	assert_int_equal(vs_conf_bool("yes"), 1);
	assert_int_equal(vs_conf_bool("off"), 0);
	assert_int_equal(vs_conf_bool("maybe"), -1);
}

static void
test_load_ok(void **state)
{
	struct vs_conf c;
	struct vs_buf errs = VS_BUF_INIT;
	struct vs_limits l;
	char *p;

	(void)state;
	write_file("inc.conf", "pids_max 99\n");
	p = write_file("vsd.conf",
	    "# test\nstate_root \"/srv/vsd\"\nuid_base 300000\n"
	    "include \"inc.conf\"\nmemory_max 512\n"
	    "vs web1 {\n  memory_max 1024\n}\nlisten 127.0.0.1 port 1726\n"
	    "redirect 25 to 2525\nadmin_group vsdadmin\ngateway yes\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), 0);
	assert_string_equal(errs.buf, "");
	assert_string_equal(c.state_root, "/srv/vsd");
	assert_int_equal(c.uid_base, 300000);
	assert_int_equal(c.limits.pids, 99);
	assert_int_equal(c.n_listen, 1);
	assert_int_equal(c.listen[0].port, 1726);
	assert_int_equal(c.n_redirects, 1);
	assert_int_equal(c.redirects[0].target, 2525);
	assert_int_equal(c.gateway, 1);
	assert_string_equal(c.admin_group, "vsdadmin");
	vs_conf_limits_for(&c, "web1", &l);
	assert_int_equal(l.memory_mb, 1024);
	assert_int_equal(l.pids, 99);
	vs_conf_limits_for(&c, "web2", &l);
	assert_int_equal(l.memory_mb, 512);
	assert_int_equal(strlen(c.instance), 6);
	{
		char *sk = xasprintf("%s/skel.conf", tmpdir);

		assert_string_equal(c.skel_conf, sk);
		free(sk);
	}
	vs_conf_release(&c);
	free(p);
	vs_buf_release(&errs);
}

static void
test_load_errors(void **state)
{
	struct vs_conf c;
	struct vs_buf errs = VS_BUF_INIT;
	char *p;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	p = write_file("bad.conf",
	    "listn 1.2.3.4\nuid_base abc\nstate_root relative\n"
	    "vs web1 {\nlisten 1.2.3.4\nmemory_max 5\n"
	    "redirect 8080 to 80\ninclude \"missing.conf\"\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), -1);
	/* every error, each with file:line */
	assert_non_null(strstr(errs.buf, "bad.conf:1: unknown keyword 'listn'"));
	assert_non_null(strstr(errs.buf, "bad.conf:2: 'uid_base': 'abc'"));
	assert_non_null(strstr(errs.buf, "bad.conf:3: 'state_root' needs an "
	    "absolute path"));
	assert_non_null(strstr(errs.buf, "bad.conf:5: 'listen' is not allowed"));
	assert_non_null(strstr(errs.buf, "bad.conf:7: 'redirect' is not"));
	assert_non_null(strstr(errs.buf, "bad.conf:8: cannot open"));
	assert_non_null(strstr(errs.buf, "bad.conf:4: 'vs web1 {' is never "
	    "closed"));
	/* untouched on failure */
	assert_int_equal(((unsigned char *)&c)[0], 0x5a);
	free(p);
	vs_buf_release(&errs);
}

/* admin_group: a name or a decimal gid; the bevs session bounds */
static void
test_admin_group(void **state)
{
	struct vs_conf c;
	struct vs_buf errs = VS_BUF_INIT;
	char *p;

	(void)state;
	p = write_file("g.conf", "admin_group 4242\nbevs_sessions 5\n"
	    "bevs_sessions_per_user 2\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), 0);
	assert_string_equal(c.admin_group, "4242");
	assert_int_equal(c.bevs_sessions, 5);
	assert_int_equal(c.bevs_sessions_per_user, 2);
	vs_conf_release(&c);
	free(p);
	p = write_file("g.conf", "admin_group 99999999999\n"
	    "admin_group ../wheel\nbevs_sessions 0\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), -1);
	assert_non_null(strstr(errs.buf, "g.conf:1: admin_group: invalid gid"));
	assert_non_null(strstr(errs.buf, "g.conf:2: admin_group: invalid "
	    "group name '../wheel'"));
	assert_non_null(strstr(errs.buf, "g.conf:3: 'bevs_sessions'"));
	free(p);
	vs_buf_release(&errs);
}

static void
test_load_missing(void **state)
{
	struct vs_conf c;
	struct vs_buf errs = VS_BUF_INIT;
	char *p = xasprintf("%s/nope.conf", tmpdir);

	(void)state;
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), -1);
	assert_non_null(strstr(errs.buf, "nope.conf"));
	free(p);
	vs_buf_release(&errs);
}

static void
test_include_loop(void **state)
{
	struct vs_conf c;
	struct vs_buf errs = VS_BUF_INIT;
	char *p;

	(void)state;
	p = write_file("loop.conf", "include \"loop.conf\"\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), -1);
	assert_non_null(strstr(errs.buf, "nested too deep"));
	free(p);
	vs_buf_release(&errs);
}

static void
test_dump_roundtrip(void **state)
{
	struct vs_conf c, c2;
	struct vs_buf errs = VS_BUF_INIT, d1 = VS_BUF_INIT, d2 = VS_BUF_INIT;
	char *p, *p2;

	(void)state;
	p = write_file("a.conf", "vs x1 {\npids_max 7\n}\nlisten none\n");
	assert_int_equal(vs_conf_load(p, 1, &c, &errs), 0);
	assert_int_equal(c.n_listen, 0);
	vs_conf_dump(&c, &d1);
	p2 = write_file("b.conf", d1.buf);
	assert_int_equal(vs_conf_load(p2, 1, &c2, &errs), 0);
	vs_conf_dump(&c2, &d2);
	assert_string_equal(d1.buf, d2.buf);
	vs_conf_release(&c);
	vs_conf_release(&c2);
	vs_buf_release(&d1);
	vs_buf_release(&d2);
	vs_buf_release(&errs);
	free(p);
	free(p2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_number),
		cmocka_unit_test_setup_teardown(test_load_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_admin_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_include_loop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dump_roundtrip, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
