/* test_lib.c - buf (and vs_write_all), err, valid: the small building blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "buf.h"
#include "err.h"
#include "valid.h"
#include "xmem.h"

static void
test_buf(void **state)
{
	struct vs_buf b = VS_BUF_INIT;
	char *s;
	size_t len;
	int i;

	(void)state;
	assert_string_equal(b.buf, "");
	vs_buf_release(&b);
	for (i = 0; i < 1000; i++)
		vs_buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.buf));
	assert_memory_equal(b.buf, "0,1,2,", 6);
	vs_buf_reset(&b);
	vs_buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	vs_buf_adds(&b, "  \n");
	vs_buf_rtrim(&b);
	assert_int_equal(b.len, 3);
	s = vs_buf_detach(&b, &len);
	assert_int_equal(len, 3);
	assert_string_equal(b.buf, "");
	free(s);
	vs_buf_add_json_str(&b, "a\"b\\c\n\x01");
	assert_string_equal(b.buf, "\"a\\\"b\\\\c\\n\\u0001\"");
	vs_buf_release(&b);
}

static void
test_buf_read_fd(void **state)
{
	struct vs_buf b = VS_BUF_INIT;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	close(p[1]);
	assert_int_equal(vs_buf_read_fd(&b, p[0], 100), 5);
	assert_string_equal(b.buf, "hello");
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	assert_int_equal(vs_buf_read_fd(&b, p[0], 4), -1);
	assert_int_equal(errno, EFBIG);
	assert_string_equal(b.buf, "hello");	/* unchanged on failure */
	close(p[0]);
	vs_buf_release(&b);
}

/* vs_write_all: all of a buffer larger than a pipe holds, read by a
 * child as it comes; errors as -1 with errno */
static void
test_write_all(void **state)
{
	size_t n = 300 * 1024, i;
	char *data = malloc(n);
	int p[2], st;
	pid_t pid;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vs_buf b = VS_BUF_INIT;

		close(p[1]);
		_exit(vs_buf_read_fd(&b, p[0], n) == (ssize_t)n &&
		    memcmp(b.buf, data, n) == 0 ? 0 : 1);
	}
	close(p[0]);
	assert_int_equal(vs_write_all(p[1], data, n), 0);
	close(p[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(vs_write_all(p[1], data, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(vs_write_all(-1, data, 0), 0);	/* nothing to do */
	free(data);
}

static void
test_err(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	char longs[3000];

	(void)state;
	errno = ENOENT;
	assert_int_equal(vs_err_sys(&err, "cannot open '%s'", "x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err.msg, "cannot open 'x': No such file or "
	    "directory");
	vs_err_prefix(&err, "snapshot '%s'", "s1");
	assert_string_equal(err.msg, "snapshot 's1': cannot open 'x': No such "
	    "file or directory");
	assert_int_equal(errno, ENOENT);
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	errno = EACCES;
	vs_err_sys(&err, "%s", longs);
	assert_int_equal(strlen(err.msg), VS_ERR_MAX - 1);
	assert_non_null(strstr(err.msg, ": Permission denied"));
	vs_err_prefix(&err, "%s", longs);
	assert_int_equal(strlen(err.msg), VS_ERR_MAX - 1);
	assert_int_equal(vs_err_set(NULL, 0, "x"), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_true(vs_valid_name("web1"));
	assert_true(vs_valid_name("a-b_c"));
	assert_false(vs_valid_name(""));
	assert_false(vs_valid_name("-x"));
	assert_false(vs_valid_name("Web"));
	assert_false(vs_valid_name("a/b"));
	assert_false(vs_valid_name(".."));
	assert_false(vs_valid_name("abcdefghijabcdefghijabcdefghijabc"));
	assert_true(vs_valid_vs_ip("10.1.2.3"));
	assert_false(vs_valid_vs_ip("127.0.0.1"));
	assert_false(vs_valid_vs_ip("10.1.2"));
	assert_false(vs_valid_vs_ip("10.1.2.256"));
	assert_false(vs_valid_vs_ip("0x0a.1.2.3"));
	assert_false(vs_valid_vs_ip("224.0.0.1"));
	assert_false(vs_valid_vs_ip("169.254.1.1"));
	assert_true(vs_valid_fqdn("www.example.com"));
	assert_true(vs_valid_fqdn("a"));
	assert_false(vs_valid_fqdn("a..b"));
	assert_false(vs_valid_fqdn("-a.b"));
	assert_false(vs_valid_fqdn("a-.b"));
	assert_false(vs_valid_fqdn("a_b.c"));
	assert_false(vs_valid_fqdn("a.b."));
	assert_true(vs_valid_username("admin"));
	assert_false(vs_valid_username("1abc"));
	assert_false(vs_valid_username("a:b"));
	assert_true(vs_valid_relpath("usr/bin/perl"));
	assert_true(vs_valid_relpath("a"));
	assert_true(vs_valid_relpath("..a/b..c/.d"));
	assert_false(vs_valid_relpath(""));
	assert_false(vs_valid_relpath("/etc/passwd"));
	assert_false(vs_valid_relpath("usr/"));
	assert_false(vs_valid_relpath("usr//bin"));
	assert_false(vs_valid_relpath("usr/../../etc"));
	assert_false(vs_valid_relpath("./usr"));
	assert_false(vs_valid_relpath("usr/."));
	assert_false(vs_valid_relpath(".."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_buf_read_fd),
		cmocka_unit_test(test_write_all),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
