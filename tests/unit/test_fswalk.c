/* test_fswalk.c - order, skip, post visits, symlinks never followed,
 * depth limit, vanishing entries. */
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

#include "buf.h"
#include "fswalk.h"
#include "xmem.h"

#include "tmpdir.h"

static int dfd = -1;

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_fswalk");
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(dfd);
	tmpdir_remove();
	return 0;
}

static void
mkfile(const char *path)
{
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	assert_true(fd >= 0);
	close(fd);
}

struct rec {
	struct vs_buf log;
	const char *skip;
	const char *fail;
};

static int
rec_cb(void *ctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	struct rec *r = ctx;
	char t = S_ISDIR(e->st->st_mode) ? 'd' : S_ISLNK(e->st->st_mode) ?
	    'l' : 'f';

	vs_buf_addf(&r->log, "%s%c:%s:%d;", e->post ? "/" : "", t, e->path,
	    e->depth);
	if (S_ISDIR(e->st->st_mode) && !e->mount)
		assert_true(e->fd >= 0);
	else
		assert_int_equal(e->fd, -1);
	if (r->fail && !strcmp(e->path, r->fail))
		return vs_err_set(err, EPERM, "refused '%s'", e->path);
	if (r->skip && !strcmp(e->path, r->skip))
		return VS_FSWALK_SKIP;
	return 0;
}

static void
test_order_and_post(void **state)
{
	struct rec r = { VS_BUF_INIT, NULL, NULL };
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	assert_int_equal(mkdirat(dfd, "b", 0755), 0);
	assert_int_equal(mkdirat(dfd, "b/c", 0755), 0);
	mkfile("b/c/x");
	mkfile("a");
	mkfile("b-");
	assert_int_equal(symlinkat("/etc", dfd, "b/l"), 0);
	assert_int_equal(vs_fswalk(dfd, rec_cb, &r, VS_FSWALK_POST, &err), 0);
	assert_string_equal(r.log.buf, "f:a:1;d:b:1;d:b/c:2;f:b/c/x:3;"
	    "/d:b/c:2;l:b/l:2;/d:b:1;f:b-:1;");
	vs_buf_reset(&r.log);
	r.skip = "b/c";
	assert_int_equal(vs_fswalk(dfd, rec_cb, &r, 0, &err), 0);
	assert_string_equal(r.log.buf, "f:a:1;d:b:1;d:b/c:2;l:b/l:2;f:b-:1;");
	vs_buf_reset(&r.log);
	r.skip = NULL;
	r.fail = "b/c/x";
	assert_int_equal(vs_fswalk(dfd, rec_cb, &r, 0, &err), -1);
	assert_int_equal(errno, EPERM);
	assert_string_equal(err.msg, "refused 'b/c/x'");
	vs_buf_release(&r.log);
}

static void
test_symlink_dir_not_followed(void **state)
{
	struct rec r = { VS_BUF_INIT, NULL, NULL };
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	/* a symlink to a directory with content, outside and inside */
	assert_int_equal(mkdirat(dfd, "real", 0755), 0);
	mkfile("real/secret");
	assert_int_equal(symlinkat("real", dfd, "trap"), 0);
	assert_int_equal(symlinkat("/", dfd, "root"), 0);
	assert_int_equal(vs_fswalk(dfd, rec_cb, &r, 0, &err), 0);
	assert_string_equal(r.log.buf,
	    "d:real:1;f:real/secret:2;l:root:1;l:trap:1;");
	vs_buf_release(&r.log);
}

static void
test_start_not_dir(void **state)
{
	struct rec r = { VS_BUF_INIT, NULL, NULL };
	struct vs_err err = VS_ERR_INIT;
	int fd;

	(void)state;
	mkfile("f");
	fd = openat(dfd, "f", O_RDONLY);
	assert_int_equal(vs_fswalk(fd, rec_cb, &r, 0, &err), -1);
	assert_int_equal(errno, ENOTDIR);
	close(fd);
	vs_buf_release(&r.log);
}

static int
count_cb(void *ctx, const struct vs_fswalk_ent *e, struct vs_err *err)
{
	(void)e;
	(void)err;
	(*(int *)ctx)++;
	return 0;
}

static void
test_depth_limit(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int fd = dup(dfd), nfd, i, n = 0;

	(void)state;
	for (i = 0; i < VS_FSWALK_MAXDEPTH + 5; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	close(fd);
	assert_int_equal(vs_fswalk(dfd, count_cb, &n, 0, &err), -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(err.msg, "deeper than"));
}

static void
test_unreadable_dir(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int n = 0;

	(void)state;
	if (geteuid() == 0)
		return;		/* root reads anything: nothing to test */
	assert_int_equal(mkdirat(dfd, "closed", 0), 0);
	assert_int_equal(vs_fswalk(dfd, count_cb, &n, 0, &err), -1);
	assert_int_equal(errno, EACCES);
	assert_non_null(strstr(err.msg, "'closed'"));
}

static void
test_mnt_id(void **state)
{
	unsigned long long a, b;

	(void)state;
	assert_int_equal(vs_fswalk_mnt_id(dfd, &a), 0);
	assert_int_equal(vs_fswalk_mnt_id(dfd, &b), 0);
	assert_true(a == b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_post, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink_dir_not_followed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_not_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mnt_id, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
