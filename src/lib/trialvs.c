/* trialvs.c - a trial's dealings with its running VS (trialvs.h).
 *
 * Everything read here was written or is run by the VS: files are opened
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) and must be regular,
 * /proc text is parsed with caps on size, output of commands is capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atfile.h"
#include "priv/cgroup.h"
#include "runtime.h"
#include "trialvs.h"
#include "xmem.h"

#define TRIALVS_MAX_OUTPUT (1024 * 1024)	/* kept per command */

int
vs_trialvs_read(int rootfd, const char *path, struct vs_buf *out, size_t max)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = vs_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	return vs_buf_read_fd(out, fd, max) < 0 ? -1 : 0;
}

/* Read a small host file (/proc); missing = empty. */
static void
read_host_small(const char *path, struct vs_buf *out, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0)
		(void)vs_buf_read_fd(out, fd, max);
}

/* The command is our child (vs_run_spawn); its output comes through a
 * pipe, its end through a pidfd. */
int
vs_trialvs_exec(const struct vs_trialvs *v, char *const argv[],
    long long timeout_ms, struct vs_buf *out, int *code, struct vs_err *err)
{
	static char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin",
		"HOME=/root", "LANG=C", "LC_ALL=C", "TERM=dumb",
		"DEBIAN_FRONTEND=noninteractive", NULL,
	};
	struct vs_exec x;
	struct pollfd pfd[2];
	long long end = vs_report_now_ms() + timeout_ms, left;
	char buf[16384];
	int p[2], pidfd, st = 0, exited = 0, eof = 0;
	ssize_t r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vs_err_sys(err, "pipe");
	memset(&x, 0, sizeof(x));
	x.argv = argv;
	x.env = env;
	x.cwd = "/";
	x.fd_in = -1;
	x.fd_out = p[1];
	x.fd_err = p[1];
	pid = vs_run_spawn(v->conf, v->name, &x, NULL, err);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* read until the command exits; a daemon it left behind may keep
	 * the pipe open, so EOF is not the end */
	while (!exited) {
		left = end - vs_report_now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			*code = VS_TRIALVS_TIMEDOUT;
			break;
		}
		pfd[0] = (struct pollfd){ eof ? -1 : p[0], POLLIN, 0 };
		pfd[1] = (struct pollfd){ pidfd, POLLIN, 0 };
		if (poll(pfd, 2, pidfd < 0 ? (left < 50 ? (int)left : 50) :
		    (int)(left > 60000 ? 60000 : left)) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			r = read(p[0], buf, sizeof(buf));
			if (r <= 0)
				eof = 1;
			else if (out->len < TRIALVS_MAX_OUTPUT)
				vs_buf_add(out, buf, (size_t)r);
		}
		if ((pidfd >= 0 && pfd[1].revents) || (pidfd < 0 &&
		    waitpid(pid, &st, WNOHANG) == pid && (exited = 2)))
			exited = exited ? exited : 1;
	}
	if (exited != 2 && waitpid(pid, &st, 0) < 0)
		st = 0;
	if (exited) {
		/* what is already in the pipe, without waiting for EOF */
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		while (!eof && out->len < TRIALVS_MAX_OUTPUT &&
		    (r = read(p[0], buf, sizeof(buf))) > 0)
			vs_buf_add(out, buf, (size_t)r);
		*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (pidfd >= 0)
		close(pidfd);
	close(p[0]);
	return 0;
}

const char *
vs_trialvs_code_text(int code, char *buf, size_t size)
{
	if (code == VS_TRIALVS_TIMEDOUT)
		snprintf(buf, size, "timed out");
	else if (code >= 128)
		snprintf(buf, size, "killed by signal %d", code - 128);
	else
		snprintf(buf, size, "exit %d", code);
	return buf;
}

size_t
vs_trialvs_processes(const struct vs_trialvs *v, struct vs_report *rep,
    enum vs_report_list_kind list)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf b = VS_BUF_INIT;
	pid_t *pids = NULL;
	size_t n = 0, i, k, found = 0;
	char path[64], *ns;
	long vspid;

	if (vs_cgroup_procs(v->conf, v->name, &pids, &n, &err) < 0) {
		vs_report_add(rep, list, "?", "cannot list: %s", err.msg);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (pids[i] == v->init_pid)
			continue;
		vs_buf_reset(&b);
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		read_host_small(path, &b, 8192);
		vspid = pids[i];
		/* NSpid: host ... innermost; the VS's view is the last */
		if ((ns = strstr(b.buf, "\nNSpid:"))) {
			char *e = strchr(ns + 1, '\n'), *sp;

			if (e)
				*e = '\0';
			sp = strrchr(ns, '\t');
			if (sp)
				vspid = strtol(sp + 1, NULL, 10);
		}
		vs_buf_reset(&b);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
		read_host_small(path, &b, 512);
		if (b.len == 0)
			continue;	/* exited meanwhile, or a kernel thread */
		for (k = 0; k < b.len; k++)
			if (b.buf[k] == '\0')
				b.buf[k] = ' ';
		vs_buf_rtrim(&b);
		snprintf(path, sizeof(path), "pid %ld", vspid);
		vs_report_add(rep, list, b.buf, "%s", path);
		found++;
	}
	free(pids);
	vs_buf_release(&b);
	return found;
}

/* The host reads the VS's sockets through its init's /proc/PID/net:
 * nothing runs in the VS for this. */
void
vs_trialvs_ports(const struct vs_trialvs *v, struct vs_report *rep,
    enum vs_report_list_kind list, int want_port, int want_udp, int *found)
{
	static const char *const files[] = { "tcp", "tcp6", "udp", "udp6" };
	struct vs_buf b = VS_BUF_INIT;
	char path[64], *line, *save = NULL;
	unsigned a, port, st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		int udp = files[i][0] == 'u';

		vs_buf_reset(&b);
		snprintf(path, sizeof(path), "/proc/%d/net/%s",
		    (int)v->init_pid, files[i]);
		read_host_small(path, &b, 1 << 20);
		save = NULL;
		for (line = strtok_r(b.buf, "\n", &save); line;
		    line = strtok_r(NULL, "\n", &save)) {
			char addr[40];

			if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*x:%*x %x",
			    addr, &port, &st) != 3)
				continue;
			if (st != (udp ? 0x07u : 0x0Au))
				continue;
			if (found) {
				if ((int)port == want_port && udp == want_udp)
					*found = 1;
				continue;
			}
			if (strlen(addr) == 8 && sscanf(addr, "%x", &a) == 1)
				snprintf(addr, sizeof(addr), "%u.%u.%u.%u",
				    a & 0xff, (a >> 8) & 0xff,
				    (a >> 16) & 0xff, a >> 24);
			else
				snprintf(addr, sizeof(addr), "[ipv6]");
			snprintf(path, sizeof(path), "%s %s:%u", files[i],
			    addr, port);
			vs_report_add(rep, list, path, NULL);
		}
	}
	vs_buf_release(&b);
}

/* One counter of a /proc/net/snmp-style table: a header line "Ip: A B"
 * followed by a value line "Ip: 1 2". */
static long long
snmp_field(const char *text, const char *table, const char *field)
{
	size_t tl = strlen(table);
	const char *h, *v, *p, *q;
	int col = -1, i = 0;

	for (h = text; (h = strstr(h, table)); h += tl) {
		if (h != text && h[-1] != '\n')
			continue;
		v = strchr(h, '\n');
		if (!v || strncmp(v + 1, table, tl) != 0)
			return -1;
		/* which column of the header is field */
		for (p = h + tl; *p && *p != '\n'; p = q) {
			while (*p == ' ')
				p++;
			for (q = p; *q && *q != ' ' && *q != '\n'; q++)
				;
			if ((size_t)(q - p) == strlen(field) &&
			    strncmp(p, field, (size_t)(q - p)) == 0) {
				col = i;
				break;
			}
			i++;
		}
		if (col < 0)
			return -1;
		for (p = v + 1 + tl, i = 0; *p && *p != '\n'; i++) {
			while (*p == ' ')
				p++;
			if (i == col)
				return strtoll(p, NULL, 10);
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
		return -1;
	}
	return -1;
}

long long
vs_trialvs_noroutes(const struct vs_trialvs *v)
{
	struct vs_buf b = VS_BUF_INIT;
	char path[64];
	long long n4, n6 = 0;
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/net/snmp", (int)v->init_pid);
	read_host_small(path, &b, 65536);
	n4 = snmp_field(b.buf, "Ip:", "OutNoRoutes");
	vs_buf_reset(&b);
	snprintf(path, sizeof(path), "/proc/%d/net/snmp6", (int)v->init_pid);
	read_host_small(path, &b, 65536);
	if ((p = strstr(b.buf, "Ip6OutNoRoutes")))
		n6 = strtoll(p + strlen("Ip6OutNoRoutes"), NULL, 10);
	vs_buf_release(&b);
	return n4 < 0 ? -1 : n4 + n6;
}
