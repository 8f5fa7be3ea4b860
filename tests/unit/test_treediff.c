/* test_treediff.c - tree records, lazy hashes and diffs on a real tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "treediff.h"
#include "xmem.h"

static char dir[64];
static int rootfd = -1, skelfd = -1;

static void
put(const char *rel, const char *text)
{
	int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
setup(void **state)
{
	char *p;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_treediff.XXXXXX");
	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/skel", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	skelfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	p = xasprintf("%s/vs", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	assert_true(skelfd >= 0 && rootfd >= 0);
	/* a skeleton file hard-linked into the VS, as vsroot does */
	assert_int_equal(mkdirat(rootfd, "etc", 0755), 0);
	assert_int_equal(mkdirat(skelfd, "bin", 0755), 0);
	assert_int_equal(mkdirat(rootfd, "bin", 0755), 0);
	{
		int fd = openat(skelfd, "bin/tool", O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0755);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "tool v1\n", 8), 8);
		close(fd);
	}
	assert_int_equal(linkat(skelfd, "bin/tool", rootfd, "bin/tool", 0), 0);
	put("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put("etc/keep", "same\n");
	put("etc/mode", "m\n");
	put("etc/inplace", "aaaa\n");
	assert_int_equal(symlinkat("/etc/passwd", rootfd, "etc/link"), 0);
	assert_int_equal(mkfifoat(rootfd, "etc/fifo", 0600), 0);
	assert_int_equal(symlinkat("/etc/shadow", rootfd, "etc/evil"), 0);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	close(rootfd);
	close(skelfd);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static const struct vs_tdiff *
find(const struct vs_tdiff *d, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vs_tree_ent *e = d[i].b ? d[i].b : d[i].a;

		if (strcmp(e->path, path) == 0)
			return &d[i];
	}
	return NULL;
}

static void
test_record_and_diff(void **state)
{
	struct vs_tree a = VS_TREE_INIT, b = VS_TREE_INIT;
	struct vs_err err = VS_ERR_INIT;
	const struct vs_tree_ent *e;
	const struct vs_tdiff *x;
	struct vs_tdiff *d;
	size_t n;
	char what[64];

	(void)state;
	assert_int_equal(vs_tree_record(&a, rootfd, NULL, skelfd,
	    VS_TREE_HASH, 1 << 20, &err), 0);
	e = vs_tree_find(&a, "/etc/passwd");
	assert_non_null(e);
	assert_true(S_ISREG(e->mode));
	e = vs_tree_find(&a, "/etc/link");
	assert_string_equal(e->link, "/etc/passwd");
	/* the FIFO is listed, never opened (the walk would hang) */
	e = vs_tree_find(&a, "/etc/fifo");
	assert_true(S_ISFIFO(e->mode));
	assert_false(e->hashed);
	/* a symlink to a host file is a symlink, not the file */
	e = vs_tree_find(&a, "/etc/evil");
	assert_true(S_ISLNK(e->mode));
	assert_false(e->hashed);

	/* identical second record: no difference */
	assert_int_equal(vs_tree_record(&b, rootfd, &a, skelfd, VS_TREE_HASH,
	    1 << 20, &err), 0);
	vs_tree_diff(&a, &b, &d, &n);
	assert_int_equal(n, 0);
	free(d);

	/* what a package does */
	put("etc/new", "new\n");					/* added */
	assert_int_equal(unlinkat(rootfd, "etc/keep", 0), 0);		/* removed */
	assert_int_equal(fchmodat(rootfd, "etc/mode", 0600, 0), 0);	/* mode */
	{
		int fd = openat(rootfd, "etc/inplace", O_WRONLY | O_CLOEXEC);
		assert_int_equal(pwrite(fd, "bbbb", 4, 0), 4);		/* content */
		close(fd);
	}
	assert_int_equal(unlinkat(rootfd, "etc/link", 0), 0);
	assert_int_equal(symlinkat("/etc/group", rootfd, "etc/link"), 0);
	/* rpm-style rewrite of the skeleton file with equal content */
	{
		int fd = openat(rootfd, "bin/tool.tmp", O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0755);
		assert_int_equal(write(fd, "tool v1\n", 8), 8);
		close(fd);
		assert_int_equal(renameat(rootfd, "bin/tool.tmp", rootfd,
		    "bin/tool"), 0);
	}
	assert_int_equal(vs_tree_record(&b, rootfd, &a, skelfd, VS_TREE_HASH,
	    1 << 20, &err), 0);
	vs_tree_diff(&a, &b, &d, &n);
	x = find(d, n, "/etc/new");
	assert_non_null(x);
	assert_int_equal(x->kind, VS_TDIFF_ADDED);
	x = find(d, n, "/etc/keep");
	assert_int_equal(x->kind, VS_TDIFF_REMOVED);
	x = find(d, n, "/etc/mode");
	assert_int_equal(x->kind, VS_TDIFF_CHANGED);
	assert_int_equal(x->what, VS_TDIFF_MODE);
	x = find(d, n, "/etc/inplace");
	assert_int_equal(x->what, VS_TDIFF_CONTENT);
	x = find(d, n, "/etc/link");
	assert_int_equal(x->what, VS_TDIFF_CONTENT);
	x = find(d, n, "/bin/tool");
	assert_non_null(x);
	assert_int_equal(x->what, VS_TDIFF_INODE);
	vs_tdiff_what(VS_TDIFF_CONTENT | VS_TDIFF_MODE, what, sizeof(what));
	assert_string_equal(what, "mode,content");
	/* the directory /etc got entries, which is no change of its own */
	assert_null(find(d, n, "/etc"));
	assert_int_equal(n, 6);
	free(d);
	vs_tree_release(&a);
	vs_tree_release(&b);
}

/* A shared skeleton symlink (host root's, linked into the VS) replaced by
 * an equal one of the VS's, as update-alternatives does: not a change of
 * the package's; another target is.  Needs root (owners). */
static void
test_shared_symlink(void **state)
{
	struct vs_tree a = VS_TREE_INIT, b = VS_TREE_INIT;
	struct vs_err err = VS_ERR_INIT;
	const struct vs_tdiff *x;
	struct vs_tdiff *d;
	size_t n;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(symlinkat("tool", skelfd, "bin/alt"), 0);
	assert_int_equal(linkat(skelfd, "bin/alt", rootfd, "bin/alt", 0), 0);
	assert_int_equal(vs_tree_record(&a, rootfd, NULL, skelfd, 0, 1 << 20,
	    &err), 0);
	assert_true(vs_tree_find(&a, "/bin/alt")->skel);
	assert_int_equal(unlinkat(rootfd, "bin/alt", 0), 0);
	assert_int_equal(symlinkat("tool", rootfd, "bin/alt"), 0);
	assert_int_equal(fchownat(rootfd, "bin/alt", 200000, 200000,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(vs_tree_record(&b, rootfd, &a, skelfd, 0, 1 << 20,
	    &err), 0);
	vs_tree_diff(&a, &b, &d, &n);
	x = find(d, n, "/bin/alt");
	assert_non_null(x);
	assert_int_equal(x->what, VS_TDIFF_INODE);
	free(d);
	assert_int_equal(unlinkat(rootfd, "bin/alt", 0), 0);
	assert_int_equal(symlinkat("other", rootfd, "bin/alt"), 0);
	assert_int_equal(vs_tree_record(&b, rootfd, &a, skelfd, 0, 1 << 20,
	    &err), 0);
	vs_tree_diff(&a, &b, &d, &n);
	x = find(d, n, "/bin/alt");
	assert_non_null(x);
	assert_int_equal(x->what, VS_TDIFF_CONTENT);
	free(d);
	vs_tree_release(&a);
	vs_tree_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_and_diff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shared_symlink, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
