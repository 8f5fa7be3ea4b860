/* launch.c - the start-up child of a VS (phases in launch.h).
 *
 * Why this order: the mount, PID, UTS, IPC and network namespaces are
 * made while we are still host root, so they belong to the host's user
 * namespace.  The VS's root, root only in the user namespace made last,
 * therefore holds no capability over any of them: it cannot mount or
 * unmount anything, change its hostname, addresses, routes or firewall,
 * or bind ports below 1024; its /proc, /dev and /sys are ours.  Only
 * file ownership, signals and credentials work as root inside, through
 * the user namespace's uid map.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "priv/cgroup.h"
#include "priv/confine.h"
#include "priv/launch.h"
#include "xmem.h"

enum { MSG_MAP = 1, MSG_FAIL = 2 };

struct sync_msg {
	int kind;
	int errnum;
	char msg[VS_ERR_MAX];
};

static int
write_file(const char *path, const char *text, struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vs_err_sys(err, "open %s", path);
	if (write(fd, text, len) != (ssize_t)len)
		return vs_err_sys(err, "write %s", path);
	return 0;
}

int
vs_userns_map(pid_t pid, long long base, long long count, struct vs_err *err)
{
	char path[64], map[96];

	snprintf(map, sizeof(map), "0 %lld %lld\n", base, count);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (write_file(path, "allow", err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (write_file(path, map, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return write_file(path, map, err);
}

static int
child_main(const struct vs_launch *l, int sync, struct vs_err *err)
{
	struct sync_msg m = { .kind = MSG_MAP };
	sigset_t mask;
	char go;
	int nullfd;
	char grace[16];
	char *const argv[] = { "vsinit", "-t", grace, NULL };
	char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin:/run/vsd/bin",
		"HOME=/root", "container=freevsd", "TERM=dumb", NULL };

	snprintf(grace, sizeof(grace), "%d", l->grace);
	/* a monitor that dies during start-up takes us along */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return vs_err_sys(err, "set parent death signal");
	if (l->cgroup && vs_cgroup_attach(l->conf, l->rec->name, 0, err) < 0)
		return -1;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return vs_err_sys(err, "new cgroup namespace");
	if (l->netfd >= 0 && setns(l->netfd, CLONE_NEWNET) < 0)
		return vs_err_sys(err, "join network namespace");
	if (vs_fs_enter(&l->fs, err) < 0)
		return -1;
	if (sethostname(l->rec->fqdn, strlen(l->rec->fqdn)) < 0)
		return vs_err_sys(err, "set hostname '%s'", l->rec->fqdn);

	if (unshare(CLONE_NEWUSER) < 0)
		return vs_err_sys(err, "new user namespace");
	if (send(sync, &m, sizeof(m), 0) < 0)
		return vs_err_sys(err, "sync");
	if (recv(sync, &go, 1, 0) != 1)
		return vs_err_set(err, EPROTO, "user namespace was not mapped");
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresuid(0, 0, 0) < 0)
		return vs_err_sys(err, "become root of the VS");

	if (vs_confine(l->nnp, err) < 0)
		return -1;

	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0)
		return vs_err_sys(err, "open /dev/null");
	if (dup2(nullfd, 0) < 0 || dup2(l->logfd, 1) < 0 ||
	    dup2(l->logfd, 2) < 0)
		return vs_err_sys(err, "set up stdio");
	vs_confine_signals();
	/* PID 1 drops signals it has no handler for, even from the host;
	 * blocked ones stay pending across exec, so a stop that comes
	 * before vsinit has its signalfd is not lost */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPWR);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_SETMASK, &mask, NULL) < 0)
		return vs_err_sys(err, "block signals");
	/* nothing of the host but the exe fd (close-on-exec) survives */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return vs_err_sys(err, "close_range");
	syscall(SYS_execveat, l->exefd, "", argv, envp, AT_EMPTY_PATH);
	return vs_err_sys(err, "exec vsinit");
}

/* Does pid run the program of exefd (same inode)? */
static int
execd(pid_t pid, int exefd)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return stat(path, &a) == 0 && fstat(exefd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

pid_t
vs_launch(const struct vs_launch *l, struct vs_err *err)
{
	int sv[2], flags, status;
	struct sync_msg m;
	pid_t pid;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vs_err_sys(err, "socketpair");
	flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	if (l->netfd < 0)
		flags |= CLONE_NEWNET;
	/* raw clone: like fork(), the child runs on a copy of our stack */
	pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		vs_err_sys(err, "clone VS namespaces");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		struct vs_err cerr = VS_ERR_INIT;

		close(sv[0]);
		child_main(l, sv[1], &cerr);
		memset(&m, 0, sizeof(m));
		m.kind = MSG_FAIL;
		m.errnum = cerr.errnum ? cerr.errnum : EIO;
		memcpy(m.msg, cerr.msg, sizeof(m.msg));
		(void)!send(sv[1], &m, sizeof(m), 0);
		_exit(127);
	}
	close(sv[1]);
	for (;;) {
		n = recv(sv[0], &m, sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* EOF: exec'd (or died: see below) */
		if (m.kind == MSG_MAP) {
			if (vs_userns_map(pid, l->rec->uid_base,
			    l->rec->uid_count, err) < 0)
				goto kill;
			if (send(sv[0], "g", 1, 0) != 1) {
				vs_err_sys(err, "sync");
				goto kill;
			}
			continue;
		}
		m.msg[sizeof(m.msg) - 1] = '\0';
		vs_err_set(err, m.errnum, "%s", m.msg);
		goto reap;
	}
	close(sv[0]);
	/* EOF also comes from a child that died before exec, and it may
	 * not be a zombie yet when we look (its files close first): only
	 * a child whose /proc/PID/exe is vsinit has exec'd (the kernel
	 * switches exe before it closes close-on-exec fds).  A dying one
	 * would be taken for a running VS that then "stops" at once. */
	if (!execd(pid, l->exefd)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return vs_err_set(err, EIO, "VS start-up child died (status "
		    "0x%x)", status);
	}
	return pid;
kill:
	kill(pid, SIGKILL);
reap:
	n = errno;
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errno = n;
	return -1;
}
