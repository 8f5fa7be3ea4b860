/* test_manifest.c - build from a real tree, text round trip with hostile
 * names, find, diff, and refusal of corrupt manifests. */
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

#include "manifest.h"
#include "xmem.h"

static char tmpdir[64];
static int dfd = -1;

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_manifest.XXXXXX");
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

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
make_tree(void)
{
	assert_int_equal(mkdirat(dfd, "t", 0755), 0);
	assert_int_equal(mkdirat(dfd, "t/usr", 0755), 0);
	put("t/usr/abc", "abc", 04755);
	put("t/usr/with space\nand\\newline\x01\xff", "x", 0600);
	assert_int_equal(symlinkat("../x y\\z", dfd, "t/usr/link"), 0);
	assert_int_equal(mkfifoat(dfd, "t/fifo", 0640), 0);
}

static void
test_build_save_load(void **state)
{
	struct vs_manifest m = VS_MANIFEST_INIT, l = VS_MANIFEST_INIT;
	struct vs_err err = VS_ERR_INIT;
	const struct vs_mentry *e;
	char hex[VS_HASH_HEXLEN + 1], id1[VS_HASH_HEXLEN + 1],
	    id2[VS_HASH_HEXLEN + 1];
	int t;
	size_t i;

	(void)state;
	make_tree();
	t = openat(dfd, "t", O_RDONLY | O_DIRECTORY);
	assert_int_equal(vs_manifest_build(t, 0, &m, &err), 0);
	assert_int_equal(m.n, 5);
	for (i = 1; i < m.n; i++)
		assert_true(strcmp(m.e[i - 1].path, m.e[i].path) < 0);
	e = vs_manifest_find(&m, "usr/abc");
	assert_non_null(e);
	assert_int_equal(e->type, 'f');
	assert_int_equal(e->mode, 04755);
	assert_int_equal(e->size, 3);
	assert_true(e->has_hash);
	assert_true(e->ino != 0);
	vs_hash_hex(e->sha256, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	e = vs_manifest_find(&m, "usr/link");
	assert_non_null(e);
	assert_string_equal(e->target, "../x y\\z");
	assert_null(vs_manifest_find(&m, "usr/nope"));
	assert_non_null(vs_manifest_find(&m, "fifo"));
	assert_int_equal(vs_manifest_find(&m, "fifo")->type, 'p');

	assert_int_equal(vs_manifest_save(&m, dfd, "manifest", &err), 0);
	assert_int_equal(faccessat(dfd, "manifest.tmp", F_OK, 0), -1);
	assert_int_equal(vs_manifest_load(dfd, "manifest", &l, &err), 0);
	assert_int_equal(l.n, m.n);
	for (i = 0; i < m.n; i++) {
		assert_string_equal(l.e[i].path, m.e[i].path);
		assert_int_equal(vs_mentry_diff(&l.e[i], &m.e[i]), 0);
	}
	assert_non_null(vs_manifest_find(&l,
	    "usr/with space\nand\\newline\x01\xff"));
	assert_int_equal(vs_manifest_id(&m, id1, &err), 0);
	assert_int_equal(vs_manifest_id(&l, id2, &err), 0);
	assert_string_equal(id1, id2);
	vs_manifest_release(&l);
	vs_manifest_release(&m);
	vs_manifest_release(&m);	/* twice is harmless */
	close(t);
}

struct dctx {
	char log[512];
};

static int
diff_cb(void *ctx, const struct vs_mentry *a, const struct vs_mentry *b,
    unsigned what)
{
	struct dctx *d = ctx;
	size_t len = strlen(d->log);

	snprintf(d->log + len, sizeof(d->log) - len, "%s%s:%x;",
	    a ? "" : "+", a ? a->path : b->path, b ? what : 0xff);
	return 0;
}

static void
test_diff(void **state)
{
	struct vs_manifest a = VS_MANIFEST_INIT, b = VS_MANIFEST_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct dctx d = { "" };
	int t;

	(void)state;
	make_tree();
	t = openat(dfd, "t", O_RDONLY | O_DIRECTORY);
	assert_int_equal(vs_manifest_build(t, 0, &a, &err), 0);
	put("t/usr/abc", "abd", 04755);
	assert_int_equal(unlinkat(dfd, "t/fifo", 0), 0);
	put("t/new", "", 0644);
	assert_int_equal(fchmodat(dfd, "t/usr", 0700, 0), 0);
	assert_int_equal(vs_manifest_build(t, 0, &b, &err), 0);
	assert_int_equal(vs_manifest_diff(&a, &b, ~VS_MDIFF_MTIME, diff_cb,
	    &d), 0);
	assert_string_equal(d.log, "fifo:ff;+new:0;usr:2;usr/abc:10;");
	vs_manifest_release(&a);
	vs_manifest_release(&b);
	close(t);
}

static void
expect_bad(const char *text, const char *msg)
{
	struct vs_manifest m = VS_MANIFEST_INIT;
	struct vs_err err = VS_ERR_INIT;

	assert_int_equal(vs_manifest_parse("m", text, strlen(text), &m,
	    &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, msg);
	assert_null(m.e);
}

static void
test_parse_hostile(void **state)
{
	struct vs_manifest m = VS_MANIFEST_INIT;
	struct vs_err err = VS_ERR_INIT;
	const char *good = "freevsd-manifest 1\n"
	    "d 0755 0 0 4096 1 - etc\n"
	    "c 0666 0 0 0 1 - etc/null 1,3\n";

	(void)state;
	assert_int_equal(vs_manifest_parse("m", good, strlen(good), &m,
	    &err), 0);
	assert_int_equal(m.e[1].rdev_major, 1);
	assert_int_equal(m.e[1].rdev_minor, 3);
	vs_manifest_release(&m);
	expect_bad("", "m:0: empty file");
	expect_bad("nope\n", "m:1: not a freevsd manifest");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - a", "m:2: missing "
	    "newline at end");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - ../etc\n",
	    "m:2: bad path");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - /etc\n",
	    "m:2: bad path");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - a//b\n",
	    "m:2: bad path");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - a\\x00b\n",
	    "m:2: bad path");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - a\\x2f..\n",
	    "m:2: bad path");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - b\n"
	    "d 0755 0 0 1 1 - a\n", "m:3: path out of order or listed twice");
	expect_bad("freevsd-manifest 1\nd 0755 0 0 1 1 - a\n"
	    "d 0755 0 0 1 1 - a\n", "m:3: path out of order or listed twice");
	expect_bad("freevsd-manifest 1\nd 17777 0 0 1 1 - a\n",
	    "m:2: bad mode");
	expect_bad("freevsd-manifest 1\nx 0755 0 0 1 1 - a\n",
	    "m:2: bad type");
	expect_bad("freevsd-manifest 1\nf 0755 0 0 1 1 abc a\n",
	    "m:2: bad sha256");
	expect_bad("freevsd-manifest 1\nl 0777 0 0 1 1 - a\n",
	    "m:2: missing target");
	expect_bad("freevsd-manifest 1\nf 0644 0 0 1 1 - a b\n",
	    "m:2: too many fields");
	expect_bad("freevsd-manifest 1\nf 0644 -1 0 1 1 - a\n",
	    "m:2: bad uid");
	expect_bad("freevsd-manifest 1\nc 0644 0 0 1 1 - a 1\n",
	    "m:2: bad device number");
	{
		static const char nul[] = "freevsd-manifest 1\n"
		    "f 0644 0 0 1 1 - a\0b\n";

		assert_int_equal(vs_manifest_parse("m", nul, sizeof(nul) - 1,
		    &m, &err), -1);
		assert_string_equal(err.msg, "m:2: NUL byte");
	}
}

static void
test_escape(void **state)
{
	struct vs_buf a = VS_BUF_INIT, b = VS_BUF_INIT;
	char all[256];
	int i;

	(void)state;
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	vs_manifest_escape(&a, all);
	assert_null(strchr(a.buf, ' '));
	assert_int_equal(vs_manifest_unescape(&b, a.buf), 0);
	assert_string_equal(b.buf, all);
	assert_int_equal(vs_manifest_unescape(&b, "a\\x4"), -1);
	assert_int_equal(vs_manifest_unescape(&b, "a\\"), -1);
	vs_buf_release(&a);
	vs_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_save_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
