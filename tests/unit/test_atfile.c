/* test_atfile.c - opening paths of a hostile tree: beneath a directory
 * (nothing leaves it) and in a VS's root (absolute paths and ".." stay
 * in it); symlinks refused on the way and at the end. */
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

#include "atfile.h"
#include "xmem.h"

#include "tmpdir.h"

static int top = -1, root = -1;	/* tmpdir, and tmpdir/root: the "VS" */

static void
put(int dirfd, const char *name, const char *content)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
}

/* The content of the file fd (closed), or "" */
static const char *
slurp(int fd)
{
	static char buf[64];
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_atfile");
	top = open(tmpdir, O_RDONLY | O_DIRECTORY);
	assert_true(top >= 0);
	/* top/canary outside, root/etc/hosts inside, and the traps */
	put(top, "canary", "outside");
	assert_int_equal(mkdirat(top, "root", 0755), 0);
	root = openat(top, "root", O_RDONLY | O_DIRECTORY);
	assert_true(root >= 0);
	assert_int_equal(mkdirat(root, "etc", 0755), 0);
	put(root, "etc/hosts", "inside");
	put(root, "canary", "root's own");
	assert_int_equal(symlinkat("../canary", root, "etc/up"), 0);
	assert_int_equal(symlinkat("/etc", root, "etclink"), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	close(root);
	close(top);
	tmpdir_remove();
	return 0;
}

static void
test_beneath(void **state)
{
	(void)state;
	assert_string_equal(slurp(vs_open_beneath(root, "etc/hosts",
	    O_RDONLY)), "inside");
	/* nothing that leaves or follows */
	assert_int_equal(vs_open_beneath(root, "../canary", O_RDONLY), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(vs_open_beneath(root, "/etc/hosts", O_RDONLY), -1);
	assert_int_equal(vs_open_beneath(root, "etc/up", O_RDONLY), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(vs_open_beneath(root, "etclink/hosts", O_RDONLY),
	    -1);
	assert_int_equal(errno, ELOOP);
	/* "" is the directory itself */
	close(vs_open_beneath(root, "", O_RDONLY | O_DIRECTORY));
}

static void
test_in_root(void **state)
{
	struct stat a, b;
	int fd;

	(void)state;
	/* the VS's absolute paths, and ".." stopping at its root */
	assert_string_equal(slurp(vs_open_in_root(root, "/etc/hosts",
	    O_RDONLY)), "inside");
	assert_string_equal(slurp(vs_open_in_root(root, "etc/../../canary",
	    O_RDONLY)), "root's own");
	assert_string_equal(slurp(vs_open_in_root(root, "/../../canary",
	    O_RDONLY)), "root's own");
	/* no symlink on the way or at the end, even one inside */
	assert_int_equal(vs_open_in_root(root, "/etc/up", O_RDONLY), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(vs_open_in_root(root, "/etclink/hosts", O_RDONLY),
	    -1);
	assert_int_equal(errno, ELOOP);
	/* ...but O_PATH opens a trailing symlink itself */
	close(vs_open_in_root(root, "/etc/up", O_PATH));
	/* "/" and "" are the root */
	assert_int_equal(fstat(root, &a), 0);
	fd = vs_open_in_root(root, "/", O_PATH);
	assert_int_equal(fstat(fd, &b), 0);
	close(fd);
	assert_true(a.st_ino == b.st_ino);
	fd = vs_open_in_root(root, "", O_PATH);
	assert_int_equal(fstat(fd, &b), 0);
	close(fd);
	assert_true(a.st_ino == b.st_ino);
}

static void
test_parent(void **state)
{
	int fd;

	(void)state;
	fd = vs_open_parent_beneath(root, "etc/hosts");
	assert_string_equal(slurp(openat(fd, vs_path_base("etc/hosts"),
	    O_RDONLY)), "inside");
	close(fd);
	assert_string_equal(vs_path_base("canary"), "canary");
	/* a symlinked directory is refused (ENOTDIR: O_NOFOLLOW on it) */
	assert_int_equal(vs_open_parent_beneath(root, "etclink/hosts"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_beneath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
