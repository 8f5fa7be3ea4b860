/* test_skelconf.c - skel.conf parsing and errors, glob matching with the
 * subtree rule, the copy file, and the shared-or-copied rule. */
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

#include "skelconf.h"
#include "xmem.h"

static char tmpdir[64];
static int dfd = -1;

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_skelconf.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	(void)state;
	close(dfd);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static char *
put(const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return xasprintf("%s/%s", tmpdir, name);
}

static void
test_parse(void **state)
{
	struct vs_skelconf sc = VS_SKELCONF_INIT;
	struct vs_buf errors = VS_BUF_INIT;
	char *path;

	(void)state;
	free(put("more.conf", "exclude /usr/share/doc\n"));
	path = put("skel.conf",
	    "# lean\n"
	    "package bash coreutils\n"
	    "take /etc/* \"/usr/lib/with space\"\n"
	    "copy /etc/*  # per VS\n"
	    "rights perl /usr/bin/perl*\n"
	    "include \"more.conf\"\n");
	assert_int_equal(vs_skelconf_load(path, &sc, &errors), 0);
	assert_int_equal(sc.n_packages, 2);
	assert_string_equal(sc.packages[1], "coreutils");
	assert_int_equal(sc.include.n, 2);
	assert_string_equal(sc.include.pat[1], "/usr/lib/with space");
	assert_int_equal(sc.exclude.n, 1);
	assert_int_equal(sc.n_rights, 1);
	assert_string_equal(sc.rights[0].name, "perl");
	assert_string_equal(sc.rights[0].globs.pat[0], "/usr/bin/perl*");
	vs_skelconf_release(&sc);
	free(path);
}

static void
test_errors(void **state)
{
	struct vs_skelconf sc = VS_SKELCONF_INIT;
	struct vs_buf errors = VS_BUF_INIT;
	char *path;

	(void)state;
	path = put("bad.conf",
	    "take etc/passwd\n"
	    "exclude /usr/../etc\n"
	    "package Bad_Name\n"
	    "frobnicate x\n"
	    "rights perl\n"
	    "copy\n"
	    "take /ok\n");
	assert_int_equal(vs_skelconf_load(path, &sc, &errors), -1);
	assert_non_null(strstr(errors.buf, "bad.conf:1: bad pattern "
	    "'etc/passwd'"));
	assert_non_null(strstr(errors.buf, "bad.conf:2: bad pattern "
	    "'/usr/../etc'"));
	assert_non_null(strstr(errors.buf, "bad.conf:3: bad package name "
	    "'Bad_Name'"));
	assert_non_null(strstr(errors.buf, "bad.conf:4: unknown keyword "
	    "'frobnicate'"));
	assert_non_null(strstr(errors.buf, "bad.conf:5: usage: rights"));
	assert_non_null(strstr(errors.buf, "bad.conf:6: 'copy' needs"));
	assert_null(sc.include.pat);		/* untouched on failure */
	vs_buf_release(&errors);
	free(path);
}

static void
test_match(void **state)
{
	struct vs_globs g = VS_GLOBS_INIT;

	(void)state;
	vs_globs_add(&g, "/etc/*");
	vs_globs_add(&g, "/usr/share/doc");
	vs_globs_add(&g, "/var/lib/*/state");
	assert_true(vs_globs_match(&g, "/etc/passwd"));
	assert_true(vs_globs_match(&g, "etc/passwd"));
	assert_true(vs_globs_match(&g, "etc/ssh/sshd_config"));
	assert_true(vs_globs_match(&g, "etc/.pwd.lock"));
	assert_false(vs_globs_match(&g, "etc"));
	assert_false(vs_globs_match(&g, "etcx/a"));
	assert_true(vs_globs_match(&g, "usr/share/doc"));
	assert_true(vs_globs_match(&g, "usr/share/doc/bash/README"));
	assert_false(vs_globs_match(&g, "usr/share/docs"));
	assert_true(vs_globs_match(&g, "var/lib/dpkg/state"));
	assert_false(vs_globs_match(&g, "var/lib/a/b/state"));
	assert_false(vs_globs_match(NULL, "etc/passwd"));
	assert_true(vs_glob_valid("/"));
	assert_false(vs_glob_valid("/a//b"));
	assert_false(vs_glob_valid("/a/./b"));
	assert_false(vs_glob_valid("/a\nb"));
	vs_globs_release(&g);
}

static void
test_copy_file(void **state)
{
	struct vs_globs g = VS_GLOBS_INIT, l = VS_GLOBS_INIT;
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	vs_globs_add(&g, "/etc/*");
	vs_globs_add(&g, "/var/lib/dpkg");
	assert_int_equal(vs_globs_save(&g, dfd, "copy", &err), 0);
	assert_int_equal(vs_globs_load(dfd, "copy", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.pat[1], "/var/lib/dpkg");
	vs_globs_release(&l);
	free(put("badcopy", "/etc/*\n../x\n"));
	assert_int_equal(vs_globs_load(dfd, "badcopy", &l, &err), -1);
	assert_string_equal(err.msg, "badcopy:2: bad pattern");
	assert_null(l.pat);
	vs_globs_release(&g);
}

static void
test_private(void **state)
{
	struct vs_globs copy = VS_GLOBS_INIT;
	struct vs_mentry e = { 0 };

	(void)state;
	vs_globs_add(&copy, "/etc/*");
	e.type = 'f';
	e.mode = 0755;
	e.size = 10;
	e.path = "usr/bin/ls";
	assert_null(vs_skel_private(&e, &copy));
	e.mode = 04755;
	assert_string_equal(vs_skel_private(&e, &copy), "set-id");
	e.mode = 0640;
	assert_string_equal(vs_skel_private(&e, &copy), "not world-readable");
	e.mode = 0644;
	e.gid = 42;
	assert_string_equal(vs_skel_private(&e, &copy), "not owned by root");
	e.gid = 0;
	e.size = 0;
	assert_string_equal(vs_skel_private(&e, &copy), "empty");
	e.size = 1;
	e.path = "var/lib/dpkg/lock";
	assert_string_equal(vs_skel_private(&e, &copy), "lock file");
	e.path = "etc/passwd";
	assert_string_equal(vs_skel_private(&e, &copy), "copy pattern");
	e.type = 'd';
	assert_string_equal(vs_skel_private(&e, &copy), "directory");
	/* symlinks: shared when root's, copy patterns or not, except in
	 * a sticky directory */
	e.type = 'l';
	e.path = "usr/lib/x.so";
	assert_null(vs_skel_private(&e, &copy));
	e.path = "etc/alternatives/awk";
	assert_null(vs_skel_private(&e, &copy));
	assert_null(vs_skel_private_in(&e, 0755, &copy));
	e.path = "tmp/x";
	assert_string_equal(vs_skel_private_in(&e, 01777, &copy),
	    "symlink in a sticky directory");
	e.uid = 5;
	assert_string_equal(vs_skel_private(&e, &copy), "not owned by root");
	e.uid = 0;
	e.type = 'f';
	e.path = "var/lib/x.lck";
	assert_string_equal(vs_skel_private(&e, &copy), "lock file");
	e.type = 'c';
	assert_string_equal(vs_skel_private(&e, &copy), "special file");
	vs_globs_release(&copy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test(test_match),
		cmocka_unit_test_setup_teardown(test_copy_file, setup,
		    teardown),
		cmocka_unit_test(test_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
