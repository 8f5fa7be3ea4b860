/* test_rights.c - rights.c: the rights list (state/skel/rights) parser
 * against hostile text, its round trip, the host truth (state/priv),
 * which patterns skel.conf refuses, and building the list from a
 * skeleton (symlink targets, never sh/dash, per-VS copies left out). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "rights.h"

/* a content hash for list lines */
#define H "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_rights");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static int
parse(const char *text, struct vs_rightlist *rl, struct vs_err *err)
{
	return vs_rightlist_parse("rights", text, strlen(text), rl, err);
}

static void
test_parse_ok(void **state)
{
	struct vs_rightlist rl = VS_RIGHTLIST_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	const char *text = "freevsd-rights 2\nperl " H " usr/bin/perl\n\n"
	    "shell " H " usr/bin/bash\ngcc " H " usr/lib/odd\\x20name\\x0a\n";

	(void)state;
	assert_int_equal(parse(text, &rl, &err), 0);
	assert_int_equal(rl.n, 3);
	assert_int_equal(vs_rightlist_find(&rl, "usr/bin/perl"),
	    vs_right_index("perl"));
	assert_int_equal(vs_rightlist_find(&rl, "usr/lib/odd name\n"),
	    vs_right_index("gcc"));
	assert_int_equal(vs_rightlist_find(&rl, "usr/bin/sh"), -1);
	/* format and parse again: the same list */
	vs_rightlist_format(&rl, &out);
	vs_rightlist_release(&rl);
	assert_int_equal(parse(out.buf, &rl, &err), 0);
	assert_int_equal(rl.n, 3);
	assert_string_equal(rl.e[2].path, "usr/lib/odd name\n");
	vs_rightlist_release(&rl);
	vs_buf_release(&out);
}

static void
test_parse_hostile(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "", "rights: empty file" },
		{ "freevsd-rights 1\nperl usr/bin/perl\n", "rights:1: not a rights list" },
		{ "perl usr/bin/perl\n", "rights:1: not a rights list" },
		{ "freevsd-rights 2\nflying " H " usr/bin/x\n",
		  "rights:2: unknown right 'flying'" },
		{ "freevsd-rights 2\nperl\n", "rights:2: expected 'RIGHT SHA256 PATH'" },
		{ "freevsd-rights 2\nperl usr/bin/perl\n", "rights:2: expected" },
		{ "freevsd-rights 2\nperl 0011 usr/bin/perl\n", "rights:2: bad hash" },
		{ "freevsd-rights 2\nperl " H "0 x\n", "rights:2: bad hash" },
		{ "freevsd-rights 2\nperl " H " /usr/bin/perl\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/../etc/shadow\n",
		  "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " ..\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr//bin\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/bin/\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/b\\x00in\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/b\\x2fin\\x2f..\\x2fx\n",
		  "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/bin/a b\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " usr/bin/\\xzz\n", "rights:2: bad path" },
		{ "freevsd-rights 2\nperl " H " a\nshell " H " a\n",
		  "rights:3: path listed twice" },
	};
	struct vs_rightlist rl = VS_RIGHTLIST_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vs_err err = VS_ERR_INIT;

		assert_int_equal(parse(bad[i].text, &rl, &err), -1);
		assert_int_equal(rl.n, 0);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
			    bad[i].msg);
	}
	/* a NUL byte in the text */
	{
		struct vs_err err = VS_ERR_INIT;
		const char t[] = "freevsd-rights 2\nperl " H " a\0b\n";

		assert_int_equal(vs_rightlist_parse("rights", t, sizeof(t) - 1,
		    &rl, &err), -1);
		assert_non_null(strstr(err.msg, "NUL byte"));
	}
}

static void
test_parse_long(void **state)
{
	struct vs_rightlist rl = VS_RIGHTLIST_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf t = VS_BUF_INIT;
	size_t i;

	(void)state;
	/* one line of 1 MiB */
	vs_buf_adds(&t, "freevsd-rights 2\nperl " H " ");
	for (i = 0; i < (1 << 20); i++)
		vs_buf_addch(&t, 'a');
	vs_buf_addch(&t, '\n');
	assert_int_equal(vs_rightlist_parse("rights", t.buf, t.len, &rl,
	    &err), -1);
	assert_non_null(strstr(err.msg, "rights:2: line too long"));
	/* a name past PATH_MAX, short enough a line */
	vs_buf_reset(&t);
	vs_buf_adds(&t, "freevsd-rights 2\nperl " H " ");
	for (i = 0; i < 5000; i++)
		vs_buf_adds(&t, i % 2 ? "/" : "a");
	vs_buf_adds(&t, "a\n");
	assert_int_equal(vs_rightlist_parse("rights", t.buf, t.len, &rl,
	    &err), -1);
	assert_non_null(strstr(err.msg, "rights:2: bad path"));
	/* too many entries */
	vs_buf_reset(&t);
	vs_buf_adds(&t, "freevsd-rights 2\n");
	for (i = 0; i <= VS_RIGHTLIST_MAX; i++)
		vs_buf_addf(&t, "perl " H " p%zu\n", i);
	assert_int_equal(vs_rightlist_parse("rights", t.buf, t.len, &rl,
	    &err), -1);
	assert_non_null(strstr(err.msg, "more than"));
	vs_buf_release(&t);
}

static void
test_save_load(void **state)
{
	struct vs_rightlist rl = VS_RIGHTLIST_INIT, back = VS_RIGHTLIST_INIT;
	struct vs_err err = VS_ERR_INIT;
	int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(vs_rightlist_load(dfd, "rights", &back, &err), -1);
	assert_int_equal(errno, ENOENT);
	{
		unsigned char md[VS_HASH_LEN] = { 1, 2, 3 };

		vs_rightlist_add(&rl, vs_right_index("perl"), "usr/bin/perl",
		    md);
	}
	assert_int_equal(vs_rightlist_save(&rl, dfd, "rights", &err), 0);
	assert_int_equal(vs_rightlist_load(dfd, "rights", &back, &err), 0);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.e[0].path, "usr/bin/perl");
	assert_int_equal(back.e[0].sha256[2], 3);	/* the hash too */
	/* a symlink planted under the name is not followed */
	assert_int_equal(unlinkat(dfd, "rights", 0), 0);
	assert_int_equal(symlinkat("/etc/passwd", dfd, "rights"), 0);
	vs_rightlist_release(&back);
	assert_int_equal(vs_rightlist_load(dfd, "rights", &back, &err), -1);
	assert_int_equal(errno, ELOOP);
	vs_rightlist_release(&rl);
	close(dfd);
}

static void
test_patterns(void **state)
{
	(void)state;
	assert_false(vs_rights_pattern_ok("/usr/bin/sh"));
	assert_false(vs_rights_pattern_ok("/bin/sh"));
	assert_false(vs_rights_pattern_ok("/usr/bin/*"));
	assert_false(vs_rights_pattern_ok("/usr/bin/?ash"));
	assert_false(vs_rights_pattern_ok("/bin/da[s]h"));
	assert_true(vs_rights_pattern_ok("/usr/bin/bash"));
	assert_true(vs_rights_pattern_ok("/usr/bin/perl*"));
	assert_true(vs_rights_pattern_ok("/usr/bin/sh?"));
	assert_int_equal(vs_right_index("perl"), 5);
	assert_int_equal(vs_right_index("Perl"), -1);
}

static void
test_privtab(void **state)
{
	struct vs_conf conf;
	struct vs_privtab t;
	struct vs_buf out = VS_BUF_INIT;
	char *p;
	FILE *f;

	(void)state;
	tmpdir_conf(&conf);
	assert_int_equal(vs_privtab_load(&conf, "web1", &t), 0);	/* none */
	assert_int_equal(t.n[5], 0);
	p = xasprintf("%s/state", tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/state/priv", tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/state/priv/web1", tmpdir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("perl:bob,alice,bad name,,alice\nflying:x\njunk\n"
	    "shell:carol", f);
	fclose(f);
	free(p);
	assert_int_equal(vs_privtab_load(&conf, "web1", &t), 0);
	assert_true(vs_privtab_has(&t, 5, "alice"));
	assert_true(vs_privtab_has(&t, 5, "bob"));
	assert_false(vs_privtab_has(&t, 5, "bad name"));
	assert_true(vs_privtab_has(&t, 6, "carol"));
	vs_privtab_del(&t, 5, "bob");
	vs_privtab_format(&t, &out);
	assert_non_null(strstr(out.buf, "\nperl:alice\nshell:carol\n"));
	vs_buf_release(&out);
	vs_privtab_release(&t);
	vs_conf_release(&conf);
}

static void
test_build(void **state)
{
	struct vs_manifest m = VS_MANIFEST_INIT;
	struct vs_skelconf sc = VS_SKELCONF_INIT;
	struct vs_globs copy = VS_GLOBS_INIT;
	struct vs_rightlist rl = VS_RIGHTLIST_INIT;
	struct vs_buf warn = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	int dfd;
	char *cmd;

	(void)state;
	cmd = xasprintf("cd '%s' && mkdir -p usr/bin etc && ln -s usr/bin bin &&"
	    " echo perl >usr/bin/perl && ln usr/bin/perl usr/bin/perl5.36.0 &&"
	    " echo bash >usr/bin/bash && ln -s bash usr/bin/sh &&"
	    " ln -s ../../usr/bin/perl usr/bin/perl-up &&"
	    " echo s >usr/bin/suid && chmod 4755 usr/bin/suid &&"
	    " ln -s /nowhere usr/bin/dangling && echo c >etc/conf", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(vs_manifest_build(dfd, 0, &m, &err), 0);
	xgrow(&sc.rights, sizeof(*sc.rights), 3, &sc.alloc_rights);
	sc.rights[0].name = xstrdup("perl");
	memset(&sc.rights[0].globs, 0, sizeof(sc.rights[0].globs));
	vs_globs_add(&sc.rights[0].globs, "/usr/bin/perl-up");
	vs_globs_add(&sc.rights[0].globs, "/usr/bin/dangling");
	sc.rights[1].name = xstrdup("shell");
	memset(&sc.rights[1].globs, 0, sizeof(sc.rights[1].globs));
	/* bash is what sh resolves to: never governed */
	vs_globs_add(&sc.rights[1].globs, "/usr/bin/bash");
	sc.rights[2].name = xstrdup("gcc");
	memset(&sc.rights[2].globs, 0, sizeof(sc.rights[2].globs));
	vs_globs_add(&sc.rights[2].globs, "/usr/bin/suid");
	vs_globs_add(&sc.rights[2].globs, "/etc/conf");
	sc.n_rights = 3;
	vs_globs_add(&copy, "/etc/*");
	vs_rightlist_build(&m, dfd, &sc, &copy, &rl, &warn);
	assert_int_equal(rl.n, 2);
	assert_int_equal(vs_rightlist_find(&rl, "usr/bin/perl"), 5);
	assert_int_equal(vs_rightlist_find(&rl, "usr/bin/perl5.36.0"), 5);
	assert_int_equal(vs_rightlist_find(&rl, "usr/bin/bash"), -1);
	assert_non_null(strstr(warn.buf, "'/usr/bin/bash' is /bin/sh: "
	    "never governed"));
	assert_non_null(strstr(warn.buf, "'/usr/bin/dangling' is not a file"));
	assert_non_null(strstr(warn.buf, "'/usr/bin/suid' is a VS's own copy "
	    "already (set-id)"));
	assert_non_null(strstr(warn.buf, "'/etc/conf' is a VS's own copy "
	    "already (copy pattern)"));
	vs_buf_release(&warn);
	vs_rightlist_release(&rl);
	vs_globs_release(&copy);
	vs_skelconf_release(&sc);
	vs_manifest_release(&m);
	close(dfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test_setup_teardown(test_privtab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
