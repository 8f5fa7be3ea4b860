/* nft.c - run `nft -f -` with a script, optionally inside another network
 * namespace (priv: setns, capabilities).  See nft.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "priv/nft.h"
#include "xmem.h"
#include "banned.h"

#define NFT_TIMEOUT_MS	10000

/* In the child, before exec: only CAP_NET_ADMIN survives the exec of
 * nft by a non-root caller (ambient; no_new_privs does not stop it). */
static int
child_caps(void)
{
	cap_value_t na = CAP_NET_ADMIN;
	cap_t caps;
	int rc;

	if (geteuid() == 0)
		return 0;
	caps = cap_init();
	if (!caps)
		return -1;
	rc = cap_set_flag(caps, CAP_PERMITTED, 1, &na, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 1, &na, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_INHERITABLE, 1, &na, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0 ? -1 : 0;
	cap_free(caps);
	if (rc == 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
	    CAP_NET_ADMIN, 0, 0) < 0)
		rc = -1;
	return rc;
}

static void __attribute__((noreturn))
child(int nsfd, int in, int errw)
{
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (dup2(in, 0) < 0 || dup2(errw, 2) < 0 || nul < 0 || dup2(nul, 1) < 0)
		_exit(126);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
		dprintf(2, "cannot enter the network namespace: %s\n",
		    strerror(errno));
		_exit(126);
	}
	if (child_caps() < 0) {
		dprintf(2, "cannot keep CAP_NET_ADMIN: %s\n", strerror(errno));
		_exit(126);
	}
	/* the caller's PATH first (a root daemon's environment is its
	 * administrator's), then sbin, which a daemon's PATH may lack */
	execlp("nft", "nft", "-f", "-", (char *)NULL);
	execl("/usr/sbin/nft", "nft", "-f", "-", (char *)NULL);
	execl("/sbin/nft", "nft", "-f", "-", (char *)NULL);
	_exit(127);
}

/* nft's complaint: its first line (with the "/dev/stdin:3:5-9:" it
 * starts with, which says where in the script) */
static void
first_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl)
		*nl = '\0';
}

int
vs_nft_run(int nsfd, const char *script, struct vs_err *err)
{
	_cleanup_close_ int mfd = -1;
	int pfd[2], st = 0, left = NFT_TIMEOUT_MS, timed_out = 0;
	char msg[512];
	size_t got = 0;
	pid_t pid;
	size_t len = strlen(script);
	struct timespec t0, t1;

	mfd = memfd_create("nft-script", MFD_CLOEXEC);
	if (mfd < 0)
		return vs_err_sys(err, "nft: memfd_create");
	if (write(mfd, script, len) != (ssize_t)len ||
	    lseek(mfd, 0, SEEK_SET) < 0)
		return vs_err_sys(err, "nft: write script");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vs_err_sys(err, "nft: pipe");
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return vs_err_sys(err, "nft: fork");
	}
	if (pid == 0)
		child(nsfd, mfd, pfd[1]);
	close(pfd[1]);
	/* read nft's stderr until it closes it (exit), bounded in time */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char buf[512];
		ssize_t n;
		int r = poll(&p, 1, left);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof(msg) - 1) {
			size_t k = (size_t)n < sizeof(msg) - 1 - got ?
			    (size_t)n : sizeof(msg) - 1 - got;

			memcpy(msg + got, buf, k);
			got += k;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = NFT_TIMEOUT_MS - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
	}
	close(pfd[0]);
	msg[got] = '\0';
	first_line(msg);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vs_err_sys(err, "nft: waitpid");
	if (timed_out)
		return vs_err_set(err, ETIMEDOUT, "nft: no answer in %d s",
		    NFT_TIMEOUT_MS / 1000);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return vs_err_set(err, ENOENT, "nft: not found (install "
		    "nftables)");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return vs_err_set(err, EIO, "nft failed: %s", got ? msg :
		    "no message");
	return 0;
}

int
vs_nft_sysctls(int nsfd, const char *const *kv, struct vs_err *err)
{
	pid_t pid;
	int i, st;

	for (i = 0; kv[i]; i += 2)
		if (!kv[i + 1] || !*kv[i] || strspn(kv[i],
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(kv[i]))
			return vs_err_set(err, EINVAL, "invalid sysctl '%s'",
			    kv[i]);
	pid = fork();
	if (pid < 0)
		return vs_err_sys(err, "sysctl: fork");
	if (pid == 0) {
		/* /proc/sys/net is the opener's netns: enter first; the
		 * exit status is the index of the failing pair + 1 */
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
			_exit(255);
		for (i = 0; kv[i]; i += 2) {
			char path[128];
			size_t len = strlen(kv[i + 1]);
			int fd;

			snprintf(path, sizeof(path),
			    "/proc/sys/net/netfilter/%s", kv[i]);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, kv[i + 1], len) != (ssize_t)len)
				_exit(i / 2 + 1);
			close(fd);
		}
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return vs_err_sys(err, "sysctl: waitpid");
	if (!WIFEXITED(st))
		return vs_err_set(err, EIO, "sysctl: child killed");
	if (WEXITSTATUS(st) == 255)
		return vs_err_set(err, EPERM, "sysctl: cannot enter the "
		    "network namespace");
	if (WEXITSTATUS(st))
		return vs_err_set(err, EIO, "cannot set net.netfilter.%s",
		    kv[(WEXITSTATUS(st) - 1) * 2]);
	return 0;
}
