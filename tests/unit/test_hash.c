/* test_hash.c - SHA-256 of buffers, fds and files; hex round trip. */
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

#include "hash.h"
#include "xmem.h"

#include "tmpdir.h"

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_hash");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static void
test_known_vectors(void **state)
{
	unsigned char md[VS_HASH_LEN];
	char hex[VS_HASH_HEXLEN + 1];

	(void)state;
	assert_int_equal(vs_hash_mem("", 0, md, NULL), 0);
	vs_hash_hex(md, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(vs_hash_mem("abc", 3, md, NULL), 0);
	vs_hash_hex(md, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_hex_roundtrip(void **state)
{
	unsigned char md[VS_HASH_LEN], back[VS_HASH_LEN];
	char hex[VS_HASH_HEXLEN + 1], bad[VS_HASH_HEXLEN + 2];

	(void)state;
	assert_int_equal(vs_hash_mem("x", 1, md, NULL), 0);
	vs_hash_hex(md, hex);
	assert_int_equal(vs_hash_unhex(hex, back), 0);
	assert_memory_equal(md, back, VS_HASH_LEN);
	memcpy(bad, hex, sizeof(hex));
	bad[3] = 'g';
	memset(back, 0, sizeof(back));
	assert_int_equal(vs_hash_unhex(bad, back), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(back[0], 0);		/* untouched on failure */
	assert_int_equal(vs_hash_unhex("abc", back), -1);
	memcpy(bad, hex, sizeof(hex));
	bad[VS_HASH_HEXLEN] = '0';
	bad[VS_HASH_HEXLEN + 1] = '\0';
	assert_int_equal(vs_hash_unhex(bad, back), -1);
	/* any length, either case */
	assert_int_equal(vs_unhex("0aFf", back, 2), 0);
	assert_int_equal(back[0], 0x0a);
	assert_int_equal(back[1], 0xff);
	vs_hex(back, 2, hex);
	assert_string_equal(hex, "0aff");
	assert_int_equal(vs_unhex("0aF", back, 2), -1);	/* short */
	assert_int_equal(vs_unhex("0aff0", back, 2), -1);	/* long */
	assert_int_equal(vs_unhex(" 0af", back, 2), -1);
	assert_int_equal(vs_hexval('G'), -1);
	vs_hex(back, 0, hex);
	assert_string_equal(hex, "");
}

static void
test_fd_and_file(void **state)
{
	unsigned char a[VS_HASH_LEN], b[VS_HASH_LEN], c[VS_HASH_LEN];
	struct vs_err err = VS_ERR_INIT;
	char *big = xmalloc(1 << 20);
	int dfd, fd;
	size_t i;

	(void)state;
	for (i = 0; i < (1 << 20); i++)
		big[i] = (char)(i * 7);
	dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fd = openat(dfd, "big", O_RDWR | O_CREAT, 0644);
	assert_int_equal(write(fd, big, 1 << 20), 1 << 20);
	/* the file offset is at the end: vs_hash_fd still hashes it all */
	assert_int_equal(vs_hash_fd(fd, a, &err), 0);
	assert_int_equal(vs_hash_mem(big, 1 << 20, b, NULL), 0);
	assert_memory_equal(a, b, VS_HASH_LEN);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 1 << 20);
	close(fd);
	assert_int_equal(vs_hash_file_at(dfd, "big", c, &err), 0);
	assert_memory_equal(a, c, VS_HASH_LEN);

	/* a symlink is not followed, a FIFO is not read */
	assert_int_equal(symlinkat("big", dfd, "link"), 0);
	assert_int_equal(vs_hash_file_at(dfd, "link", c, &err), -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(err.msg, "'link'"));
	assert_int_equal(mkfifoat(dfd, "fifo", 0644), 0);
	assert_int_equal(vs_hash_file_at(dfd, "fifo", c, &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vs_hash_file_at(dfd, "nope", c, &err), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err.msg,
	    "cannot open 'nope': No such file or directory");

	/* vs_hash_file_st: the inode and size judged, not a byte more */
	{
		struct stat st, other;

		assert_int_equal(fstatat(dfd, "big", &st, 0), 0);
		assert_int_equal(vs_hash_file_st(dfd, "big", &st, c, &err), 0);
		assert_memory_equal(a, c, VS_HASH_LEN);
		fd = openat(dfd, "big", O_WRONLY);
		assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
		/* grew after the lstat (after the open: 704's attack) */
		assert_int_equal(vs_hash_file_st(dfd, "big", &st, c, &err),
		    -1);
		assert_int_equal(errno, ESTALE);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		other = st;		/* another inode under the name */
		other.st_ino++;
		assert_int_equal(vs_hash_file_st(dfd, "big", &st, c, &err), 0);
		assert_int_equal(vs_hash_file_st(dfd, "big", &other, c, &err),
		    -1);
		assert_int_equal(errno, ESTALE);
		close(fd);
	}
	close(dfd);
	free(big);
}

static void
test_pipe(void **state)
{
	unsigned char a[VS_HASH_LEN], b[VS_HASH_LEN];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	close(p[1]);
	assert_int_equal(vs_hash_fd(p[0], a, NULL), 0);
	close(p[0]);
	assert_int_equal(vs_hash_mem("abc", 3, b, NULL), 0);
	assert_memory_equal(a, b, VS_HASH_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test_setup_teardown(test_fd_and_file, setup,
		    teardown),
		cmocka_unit_test(test_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
