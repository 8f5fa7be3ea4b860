/* test_confine.c - the VS's capability set and seccomp filter
 * (priv/confine.c), and the user namespace map writes (priv/launch.c,
 * with open/write wrapped).  No root needed: the filter is loaded in a
 * forked child after PR_SET_NO_NEW_PRIVS, which any user may do. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/capability.h>
#include <termios.h>
#include <unistd.h>

#include "priv/confine.h"
#include "priv/launch.h"

/* ---- open/write wrapped: vs_userns_map's writes are recorded --------- */

static char written[8][128];
static char paths[8][64];
static int nwrites, nopens, fake_fd = 1000;

int __real_open(const char *path, int flags, ...);
ssize_t __real_write(int fd, const void *buf, size_t n);

int
__wrap_open(const char *path, int flags, ...)
{
	if (strncmp(path, "/proc/4242/", 11) != 0) {
		va_list ap;
		int mode;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
		return __real_open(path, flags, mode);
	}
	assert_true(flags & O_NOFOLLOW);
	snprintf(paths[nopens++ % 8], 64, "%s", path);
	return fake_fd;
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (fd != fake_fd)
		return __real_write(fd, buf, n);
	snprintf(written[nwrites++ % 8], 128, "%.*s", (int)n, (const char *)buf);
	return (ssize_t)n;
}

static void
userns_map_order(void **state)
{
	struct vs_err err = VS_ERR_INIT;

	(void)state;
	nwrites = nopens = 0;
	assert_int_equal(vs_userns_map(4242, 265536, 65536, &err), 0);
	assert_int_equal(nopens, 3);
	/* setgroups before gid_map (the kernel's rule), written explicitly */
	assert_string_equal(paths[0], "/proc/4242/setgroups");
	assert_string_equal(written[0], "allow");
	assert_string_equal(paths[1], "/proc/4242/uid_map");
	assert_string_equal(written[1], "0 265536 65536\n");
	assert_string_equal(paths[2], "/proc/4242/gid_map");
	assert_string_equal(written[2], "0 265536 65536\n");
}

/* ---- the capability set ---------------------------------------------- */

static void
caps_kept_and_dropped(void **state)
{
	(void)state;
	assert_true(vs_confine_cap_kept(CAP_CHOWN));
	assert_true(vs_confine_cap_kept(CAP_SETUID));
	assert_true(vs_confine_cap_kept(CAP_NET_BIND_SERVICE));
	assert_false(vs_confine_cap_kept(CAP_SYS_ADMIN));
	assert_false(vs_confine_cap_kept(CAP_NET_ADMIN));
	assert_false(vs_confine_cap_kept(CAP_SYS_MODULE));
	assert_false(vs_confine_cap_kept(CAP_SYS_PTRACE));
	assert_false(vs_confine_cap_kept(CAP_SYS_TIME));
	assert_false(vs_confine_cap_kept(CAP_BPF));
	assert_false(vs_confine_cap_kept(CAP_SYS_BOOT));
}

static void
denylist_names(void **state)
{
	const char *must[] = { "keyctl", "add_key", "request_key", "bpf",
		"perf_event_open", "kexec_load", "kexec_file_load",
		"open_by_handle_at", "userfaultfd", "init_module",
		"finit_module", "mount", "fsopen", "io_uring_setup", NULL };
	int i;

	(void)state;
	for (i = 0; must[i]; i++)
		assert_true(vs_confine_denied(must[i]));
	assert_false(vs_confine_denied("read"));
	assert_false(vs_confine_denied("setresuid"));
}

/* ---- the filter, loaded for real in a child --------------------------- */

static int
expect(long rc, int want_errno)
{
	return rc == -1 && errno == want_errno ? 0 : 1;
}

static void
filter_denies(void **state)
{
	int status, pfd[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vs_err err = VS_ERR_INIT;
		int bad = 0;
		char c = 'x';

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    vs_confine_seccomp(&err) < 0)
			_exit(100);
		bad |= expect(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		    KEY_SPEC_SESSION_KEYRING, 0), EPERM) << 0;
		bad |= expect(syscall(SYS_bpf, 0, NULL, 0), EPERM) << 1;
		bad |= expect(ioctl(pfd[0], TIOCSTI, &c), EPERM) << 2;
		bad |= expect(unshare(CLONE_NEWUSER), EPERM) << 3;
		bad |= expect(syscall(SYS_clone3, NULL, 0), ENOSYS) << 4;
		bad |= expect(syscall(SYS_fsopen, "ext4", 0), ENOSYS) << 5;
		bad |= expect(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0),
		    EPERM) << 6;
		bad |= expect(syscall(SYS_userfaultfd, 0), EPERM) << 7;
		bad |= expect(syscall(SYS_finit_module, -1, "", 0), EPERM) << 8;
		/* ordinary calls still work */
		bad |= (getpid() <= 0) << 9;
		bad |= (ioctl(pfd[0], FIONREAD, &status) < 0) << 10;
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(pfd[0]);
	close(pfd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(userns_map_order),
		cmocka_unit_test(caps_kept_and_dropped),
		cmocka_unit_test(denylist_names),
		cmocka_unit_test(filter_denies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
