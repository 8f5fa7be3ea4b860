/* vsprobe.c - attacks run inside a VS by the runtime tests (1xx).
 *
 * Built by make (build/tests/vsprobe, libc only) and copied into a VS,
 * whose skeleton carries the host's libc.  Each
 * subcommand tries one thing a VS must not be able to do and prints
 * "blocked: <errno text>" (exit 0) or "ESCAPED: <what>" (exit 1), so a
 * test reads as "the attack was blocked".  Subcommands that measure
 * (forkbomb, memhog) print numbers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <arpa/inet.h>

static int
verdict(long rc, const char *what)
{
	if (rc < 0) {
		printf("blocked: %s\n", strerror(errno));
		return 0;
	}
	printf("ESCAPED: %s\n", what);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "keyctl"))
		return verdict(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		    KEY_SPEC_SESSION_KEYRING, 1), "keyctl");
	if (!strcmp(c, "add_key"))
		return verdict(syscall(SYS_add_key, "user", "vsprobe", "x", 1,
		    KEY_SPEC_PROCESS_KEYRING), "add_key");
	if (!strcmp(c, "bpf")) {
		union bpf_attr a;

		memset(&a, 0, sizeof(a));
		a.map_type = BPF_MAP_TYPE_ARRAY;
		a.key_size = 4;
		a.value_size = 4;
		a.max_entries = 1;
		return verdict(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)),
		    "bpf map created");
	}
	if (!strcmp(c, "perf")) {
		struct perf_event_attr pa;

		memset(&pa, 0, sizeof(pa));
		pa.size = sizeof(pa);
		pa.type = PERF_TYPE_SOFTWARE;
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		return verdict(syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0),
		    "perf_event_open");
	}
	if (!strcmp(c, "mount-tmpfs"))
		return verdict(mount("none", "/tmp", "tmpfs", 0, NULL),
		    "mounted a tmpfs");
	if (!strcmp(c, "mount-ext4")) {
		/* a real filesystem from a block device node we make */
		if (mknod("/tmp/vsprobe-blk", S_IFBLK | 0600,
		    makedev(254, 0)) == 0)
			return verdict(0, "made a block device node");
		return verdict(mount("/dev/null", "/tmp", "ext4", MS_RDONLY,
		    NULL), "mounted ext4");
	}
	if (!strcmp(c, "fsopen"))
		return verdict(syscall(SYS_fsopen, "ext4", 0), "fsopen ext4");
	if (!strcmp(c, "remount-sys"))
		return verdict(mount(NULL, "/sys", NULL, MS_REMOUNT | MS_BIND,
		    NULL), "remounted /sys read-write");
	if (!strcmp(c, "umount-proc"))
		return verdict(umount2("/proc", MNT_DETACH), "unmounted /proc");
	if (!strcmp(c, "module")) {
		int fd = open("/dev/null", O_RDONLY);

		return verdict(syscall(SYS_finit_module, fd, "", 0),
		    "finit_module");
	}
	if (!strcmp(c, "userns"))
		return verdict(unshare(CLONE_NEWUSER), "new user namespace");
	if (!strcmp(c, "netns"))
		return verdict(unshare(CLONE_NEWNET), "new network namespace");
	if (!strcmp(c, "hostname"))
		return verdict(sethostname("evil", 4), "changed hostname");
	if (!strcmp(c, "bind80")) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
			.sin_port = htons(80) };
		int s = socket(AF_INET, SOCK_STREAM, 0);

		return verdict(bind(s, (struct sockaddr *)&sin, sizeof(sin)),
		    "bound port 80");
	}
	if (!strcmp(c, "bind8080")) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
			.sin_port = htons(8080) };
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			perror("bind 8080");
			return 1;
		}
		printf("bound 8080\n");
		return 0;
	}
	if (!strcmp(c, "setip") || !strcmp(c, "linkdown")) {
		struct ifreq ifr;
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s",
		    argc > 2 ? argv[2] : "eth0");
		if (!strcmp(c, "linkdown"))
			return verdict(ioctl(s, SIOCSIFFLAGS, &ifr),
			    "set link flags");
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, "10.254.254.254", &sin->sin_addr);
		return verdict(ioctl(s, SIOCSIFADDR, &ifr), "changed address");
	}
	if (!strcmp(c, "rawsock"))
		return verdict(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP),
		    "raw socket");
	if (!strcmp(c, "tiocsti")) {
		/* push into whatever terminal fd 0 is */
		const char *s = argc > 2 ? argv[2] : "echo INJECTED\n";
		long rc = 0;

		for (; *s && rc == 0; s++)
			rc = ioctl(0, TIOCSTI, s);
		return verdict(rc, "TIOCSTI injected input");
	}
	if (!strcmp(c, "handle")) {
		struct { unsigned int bytes; int type; unsigned char h[128]; }
		    fh = { 128, 0, { 0 } };
		int mnt;

		return verdict(syscall(SYS_name_to_handle_at, AT_FDCWD, "/",
		    &fh, &mnt, 0) < 0 && errno != EOPNOTSUPP ? -1 :
		    syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY),
		    "open_by_handle_at");
	}
	if (!strcmp(c, "userfaultfd"))
		return verdict(syscall(SYS_userfaultfd, 0), "userfaultfd");
	if (!strcmp(c, "chmod") && argc > 2)
		return verdict(chmod(argv[2], 0666), "chmod");
	if (!strcmp(c, "chown") && argc > 2)
		return verdict(chown(argv[2], 0, 0), "chown");
	if (!strcmp(c, "truncate") && argc > 2)
		return verdict(truncate(argv[2], 0), "truncate");
	if (!strcmp(c, "append") && argc > 2)
		return verdict(open(argv[2], O_WRONLY | O_APPEND), "open for "
		    "writing");
	if (!strcmp(c, "fds")) {
		/* every open fd but 0-2 and the one listing them */
		char path[64], target[256];
		int fd, n = 0;

		for (fd = 3; fd < 1024; fd++) {
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			len = readlink(path, target, sizeof(target) - 1);
			if (len < 0)
				continue;
			target[len] = '\0';
			printf("fd %d -> %s\n", fd, target);
			n++;
		}
		printf("%d extra fds\n", n);
		return n != 0;
	}
	if (!strcmp(c, "forkbomb")) {
		/* fork until refused; children wait; report how many */
		int n = 0, max = argc > 2 ? atoi(argv[2]) : 10000;
		pid_t pid;

		signal(SIGCHLD, SIG_DFL);
		while (n < max) {
			pid = fork();
			if (pid == 0) {
				pause();
				_exit(0);
			}
			if (pid < 0)
				break;
			n++;
		}
		printf("forked %d (%s)\n", n, n < max ? strerror(errno) :
		    "no limit hit");
		fflush(stdout);
		kill(0, SIGKILL);	/* us and our children */
		return 0;
	}
	if (!strcmp(c, "memhog")) {
		size_t mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 512, i;

		for (i = 0; i < mb; i++) {
			char *p = malloc(1 << 20);

			if (!p) {
				printf("malloc failed at %zu MiB\n", i);
				return 2;
			}
			memset(p, 1, 1 << 20);
		}
		printf("ESCAPED: allocated %zu MiB\n", mb);
		return 1;
	}
	fprintf(stderr, "usage: vsprobe ATTACK [ARG]\n");
	return 2;
}
