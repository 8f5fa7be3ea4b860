/* test_log.c - log.h on stderr: prefix, levels, errno text, fatal exits. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Run fn with stderr redirected; return what it wrote. */
static char *
capture(void (*fn)(void))
{
	struct vs_buf b = VS_BUF_INIT;
	int p[2], saved;

	assert_int_equal(pipe(p), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_true(vs_buf_read_fd(&b, p[0], 1 << 16) >= 0);
	close(p[0]);
	return vs_buf_detach(&b, NULL);
}

static void
emit_levels(void)
{
	log_init("/usr/sbin/vstest", 1, 0);
	log_debug("%s: hidden", __func__);
	log_info("info %d", 1);
	log_warnx("warn %s", "x");
	errno = ENOENT;
	log_warn("cannot open '%s'", "f");
	log_setverbose(1);
	log_debug("shown");
}

static void
test_levels(void **state)
{
	char *out = capture(emit_levels);

	(void)state;
	assert_string_equal(out,
	    "vstest: info 1\n"
	    "vstest: warn x\n"
	    "vstest: cannot open 'f': No such file or directory\n"
	    "vstest: shown\n");
	assert_string_equal(log_progname(), "vstest");
	assert_int_equal(log_getverbose(), 1);
	free(out);
}

static void
test_warn_keeps_errno(void **state)
{
	(void)state;
	log_init("t", 1, 0);
	errno = EACCES;
	(void)!freopen("/dev/null", "w", stderr);
	log_warn("x");
	assert_int_equal(errno, EACCES);
}

static void
test_fatal_exits(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		log_init("t", 1, 0);
		fatalx("boom");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_fatal_exits),
		cmocka_unit_test(test_warn_keeps_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
