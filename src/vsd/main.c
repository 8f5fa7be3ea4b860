/* main.c - vsd: options, configuration, the pid file lock, start-up
 * reconcile, daemonising; then control.c's event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "auth.h"
#include "journal.h"
#include "log.h"
#include "rights.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vsd [-dfnv] [-c FILE]\n"
	    "       vsd --gen-secret [-c FILE]\n"
	    "  -c FILE       configuration (default $VSD_CONF or %s)\n"
	    "  -d            debug: foreground, log to stderr, verbose\n"
	    "  -f            stay in the foreground (systemd)\n"
	    "  -n            check the configuration and exit\n"
	    "  -v            more verbose (with -n: print the configuration)\n"
	    "  --gen-secret  create the TCP secret file if it is missing\n"
	    "  -h, --help    this text; --version: the version\n",
	    VS_CONF_DEFAULT);
}

/* Exclusive lock on state_root/run/vsd.pid, held for the daemon's life:
 * `vsd.init status` tests the lock, so a stale pid file never lies. */
static int
lock_pidfile(const struct vs_conf *conf, char **pathp)
{
	char *path = vs_conf_dir(conf, "run/vsd.pid");
	char buf[32];
	int fd;
	ssize_t n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("cannot open '%s'", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_warnx("already running (pid %s, lock '%s')",
		    buf[0] ? buf : "?", path);
		close(fd);
		free(path);
		errno = EWOULDBLOCK;
		return -1;
	}
	*pathp = path;
	return fd;
}

static void
write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("cannot write the pid file");
}

/* Fork into the background; the parent exits 0 only once the child said
 * it is serving (or 1 with the child's start-up error in the log). */
static int
daemonize(int *readyfd)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		fatal("pipe");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("setsid");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	*readyfd = p[1];
	return 0;
}

/*
 * Two processes from here, as in OpenBSD's daemons: this one stays root
 * and becomes the executor (priv.c); its child becomes the front
 * (control.c), binds the sockets, then drops to VSD_FRONT_ID.  Each
 * dies with the other.  The pid file names the executor.
 */
static int
split(struct vs_conf *conf, const char *conf_path, int ready)
{
	const char *path = conf_path ? conf_path : vs_conf_default_path();
	uid_t id = VSD_FRONT_ID(conf);
	char *runvs = vs_conf_dir(conf, "run/vs");
	int sp[2];
	pid_t front;

	if (getpwuid(id))
		log_warnx("uid %u (uid_base - 1, the front's) belongs to '%s': "
		    "better leave it to vsd", (unsigned)id, getpwuid(id)->pw_name);
	/* the front makes the VS sockets in here; the executor the dirs */
	if ((mkdir(runvs, 0755) < 0 && errno != EEXIST) ||
	    chown(runvs, id, (gid_t)id) < 0)
		fatal("cannot prepare '%s'", runvs);
	free(runvs);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal("socketpair");
	if ((front = fork()) < 0)
		fatal("fork");
	if (front == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(sp[0]);
		return vsd_control_run(conf, path, conf_path != NULL, sp[1],
		    ready) == 0 ? 0 : 1;
	}
	close(sp[1]);
	if (ready >= 0)
		close(ready);	/* the front says when it serves */
	return vsd_exec_main(conf, path, conf_path != NULL, sp[0], front);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "gen-secret", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	struct vs_buf errs = VS_BUF_INIT, report = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_conf *conf = xcalloc(1, sizeof(*conf));
	const char *conf_path = NULL;
	int ch, check = 0, fg = 0, verbose = 0, gen = 0, pidfd, ready = -1;
	char *pidpath = NULL;

	while ((ch = getopt_long(argc, argv, "c:dfnvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': fg = 1; verbose = 1; break;
		case 'f': fg = 1; break;
		case 'n': check = 1; break;
		case 'v': verbose++; break;
		case 'G': gen = 1; break;
		case 'V': printf("vsd %s\n", VSD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("vsd", 1, verbose > 0);
	if (vs_conf_load(conf_path, conf_path != NULL, conf, &errs) < 0) {
		fprintf(stderr, "%s", errs.buf);
		fprintf(stderr, "vsd: configuration '%s' has errors\n",
		    conf_path ? conf_path : vs_conf_default_path());
		return 1;
	}
	if (check) {
		if (verbose > 1 || (verbose && !fg)) {
			vs_conf_dump(conf, &errs);
			fputs(errs.buf, stdout);
		}
		printf("configuration OK\n");
		return 0;
	}
	if (gen) {
		if (vs_auth_secret_create(conf->secret_file, &err) < 0) {
			fprintf(stderr, "vsd: %s\n", err.msg);
			return errno == EEXIST ? 0 : 1;
		}
		printf("vsd: created '%s'\n", conf->secret_file);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vsd: must run as root\n");
		return 1;
	}
	if (vs_state_init(conf, &err) < 0) {
		fprintf(stderr, "vsd: %s\n", err.msg);
		return 1;
	}
	if ((pidfd = lock_pidfile(conf, &pidpath)) < 0)
		return errno == EWOULDBLOCK ? 3 : 1;
	if (!fg)
		daemonize(&ready);
	log_init("vsd", fg && !conf->log_syslog, verbose > 0);
	write_pid(pidfd);
	/* finish or roll back what a crash (or kill -9) left half done */
	if (vs_reconcile(conf, &report, &err) < 0)
		log_warnx("reconcile: %s", err.msg);
	/* and each VS's governed programs to the rights' truth */
	vs_rights_apply_all(conf, &report);
	vs_buf_rtrim(&report);
	if (report.len)
		log_info("reconcile:\n%s", report.buf);
	vs_buf_release(&report);
	return split(conf, conf_path, ready);
}
