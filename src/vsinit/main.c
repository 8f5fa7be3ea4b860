/* vsinit - PID 1 inside a VS.
 *
 * Reads the VS's own service list (/etc/vsd/services, format in
 * vsinit(8)), starts each service as its user in a session of its own,
 * reaps every zombie of the VS, restarts services by their policy (with a
 * back-off for ones that die young), and on SIGTERM stops them in reverse
 * order within a grace period, kills what is left and exits.  SIGHUP
 * stops the services the same way, re-reads the list and starts them
 * again (rebootvs).  Messages go to stdout/stderr, which the host's
 * monitor copies into state_root/run/NAME.log.
 *
 * vsinit runs as the VS's root, confined like any VS process: it trusts
 * nothing more than the VS's root does, and files it reads are the VS's.
 * It is linked statically and exec'd from a host fd, so it needs nothing
 * from the VS's own libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "valid.h"
#include "xmem.h"

#define SERVICES_FILE	"/etc/vsd/services"
#define MAX_SERVICES	128
#define MAX_BACKOFF	60

enum restart { RESTART_NEVER, RESTART_ON_FAILURE, RESTART_ALWAYS };

struct svc {
	char name[VS_NAME_MAX + 1];
	char user[VS_USER_MAX + 1];
	enum restart restart;
	char **argv;
	pid_t pid;		/* running, 0 if not */
	time_t started;
	time_t next;		/* restart due at, 0 = none */
	int backoff;
};

static struct svc svcs[MAX_SERVICES];
static int nsvcs;
static const char *svc_file = SERVICES_FILE;
static int sigfd = -1;

static long long
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the service file ---------------------------------------------- */

struct parse_ctx {
	struct svc *out;
	int n;
};

static int
parse_stmt(void *vctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct parse_ctx *c = vctx;
	struct svc *s;
	int i;

	if (argc < 4)
		return vs_conf_error(pos, "expected: NAME USER RESTART "
		    "COMMAND [ARG...]");
	if (!vs_valid_name(argv[0]))
		return vs_conf_error(pos, "invalid service name '%s'",
		    argv[0]);
	if (!vs_valid_username(argv[1]))
		return vs_conf_error(pos, "invalid user name '%s'", argv[1]);
	for (i = 0; i < c->n; i++)
		if (strcmp(c->out[i].name, argv[0]) == 0)
			return vs_conf_error(pos, "service '%s' defined twice",
			    argv[0]);
	if (c->n >= MAX_SERVICES)
		return vs_conf_error(pos, "more than %d services",
		    MAX_SERVICES);
	s = &c->out[c->n];
	memset(s, 0, sizeof(*s));
	if (strcmp(argv[2], "always") == 0)
		s->restart = RESTART_ALWAYS;
	else if (strcmp(argv[2], "on-failure") == 0)
		s->restart = RESTART_ON_FAILURE;
	else if (strcmp(argv[2], "never") == 0)
		s->restart = RESTART_NEVER;
	else
		return vs_conf_error(pos, "restart policy must be always, "
		    "on-failure or never, not '%s'", argv[2]);
	if (argv[3][0] != '/')
		return vs_conf_error(pos, "command '%s' must be an absolute "
		    "path", argv[3]);
	snprintf(s->name, sizeof(s->name), "%s", argv[0]);
	snprintf(s->user, sizeof(s->user), "%s", argv[1]);
	s->argv = xcalloc(argc - 2, sizeof(char *));
	for (i = 3; i < argc; i++)
		s->argv[i - 3] = xstrdup(argv[i]);
	s->backoff = 1;
	c->n++;
	return 0;
}

static void
free_services(struct svc *v, int n)
{
	int i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; v[i].argv && v[i].argv[k]; k++)
			free(v[i].argv[k]);
		free(v[i].argv);
		v[i].argv = NULL;
	}
}

/* Load the list; a missing file is an empty list, a broken one is
 * reported line by line and keeps nothing of it. */
static int
load_services(struct svc *out, int *n)
{
	struct parse_ctx c = { out, 0 };
	struct vs_buf errors = VS_BUF_INIT;
	int rc;

	if (access(svc_file, F_OK) < 0 && errno == ENOENT) {
		*n = 0;
		return 0;
	}
	rc = vs_conf_parse_file(svc_file, parse_stmt, &c, &errors);
	if (rc < 0) {
		vs_buf_rtrim(&errors);
		log_warnx("%s", errors.buf);
		free_services(out, c.n);
		vs_buf_release(&errors);
		return -1;
	}
	*n = c.n;
	return 0;
}

/* ---- running a service ----------------------------------------------- */

static int
user_ids(const char *name, uid_t *uid, gid_t *gid, gid_t *groups,
    int *ngroups, char *home, size_t homelen)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	struct group *gr;
	int found = 0, max = *ngroups;

	if (!f)
		return -1;
	while ((pw = fgetpwent(f)) != NULL)
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			snprintf(home, homelen, "%s", pw->pw_dir ? pw->pw_dir :
			    "/");
			found = 1;
			break;
		}
	fclose(f);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	*ngroups = 0;
	groups[(*ngroups)++] = *gid;
	f = fopen("/etc/group", "re");
	while (f && (gr = fgetgrent(f)) != NULL && *ngroups < max) {
		char **m;

		for (m = gr->gr_mem; m && *m; m++)
			if (strcmp(*m, name) == 0 && gr->gr_gid != *gid) {
				groups[(*ngroups)++] = gr->gr_gid;
				break;
			}
	}
	if (f)
		fclose(f);
	return 0;
}

extern char **environ;

static void __attribute__((noreturn))
service_child(const struct svc *s)
{
	char home[256], *env[8];
	gid_t groups[64];
	int ngroups = 64, fd;
	uid_t uid;
	gid_t gid;
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (user_ids(s->user, &uid, &gid, groups, &ngroups, home,
	    sizeof(home)) < 0) {
		log_warn("service %s: user '%s'", s->name, s->user);
		_exit(126);
	}
	if (setgroups(ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		log_warn("service %s: become user '%s'", s->name, s->user);
		_exit(126);
	}
	if (chdir(home) < 0 && chdir("/") < 0)
		_exit(126);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	env[0] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin:/run/vsd/bin";
	env[1] = xasprintf("HOME=%s", home);
	env[2] = xasprintf("USER=%s", s->user);
	env[3] = xasprintf("LOGNAME=%s", s->user);
	env[4] = "container=freevsd";
	env[5] = NULL;
	environ = env;
	execv(s->argv[0], s->argv);
	log_warn("service %s: exec '%s'", s->name, s->argv[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

static void
start_service(struct svc *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("service %s: fork", s->name);
		s->next = time(NULL) + s->backoff;
		return;
	}
	if (pid == 0)
		service_child(s);
	s->pid = pid;
	s->started = time(NULL);
	s->next = 0;
	log_info("started service %s (pid %d)", s->name, (int)pid);
}

/* A child ended: note it; schedule a restart unless stopping. */
static void
child_ended(pid_t pid, int status, int stopping)
{
	time_t now = time(NULL);
	char how[64];
	int i, failed;

	for (i = 0; i < nsvcs; i++)
		if (svcs[i].pid == pid)
			break;
	if (i == nsvcs)
		return;		/* an orphan we adopted: just reaped */
	svcs[i].pid = 0;
	failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "killed by signal %d",
		    WTERMSIG(status));
	if (stopping ||
	    svcs[i].restart == RESTART_NEVER ||
	    (svcs[i].restart == RESTART_ON_FAILURE && !failed)) {
		log_info("service %s (pid %d) %s", svcs[i].name, (int)pid,
		    how);
		return;
	}
	/* died young: back off (1, 2, 4 ... 60 s); ran long: restart soon */
	if (now - svcs[i].started < 10) {
		svcs[i].next = now + svcs[i].backoff;
		if (svcs[i].backoff < MAX_BACKOFF)
			svcs[i].backoff = svcs[i].backoff * 2 > MAX_BACKOFF ?
			    MAX_BACKOFF : svcs[i].backoff * 2;
	} else {
		svcs[i].backoff = 1;
		svcs[i].next = now + 1;
	}
	log_info("service %s (pid %d) %s; restart in %lld s", svcs[i].name,
	    (int)pid, how, (long long)(svcs[i].next - now));
}

static void
reap(int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_ended(pid, status, stopping);
}

/* Wait for SIGCHLD (or any signal) up to ms; reap. */
static void
wait_children(long long ms, int stopping)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (ms < 0)
		ms = 0;
	if (poll(&p, 1, (int)ms) > 0)
		while (read(sigfd, &si, sizeof(si)) == sizeof(si))
			;
	reap(stopping);
}

/* Stop every service, last first, within grace seconds overall; what
 * does not stop in time is killed with its whole session. */
static void
stop_services(int grace)
{
	long long deadline = mono_now() + (long long)grace * 1000;
	int i;

	for (i = nsvcs - 1; i >= 0; i--) {
		svcs[i].next = 0;
		if (!svcs[i].pid)
			continue;
		log_info("stopping service %s (pid %d)", svcs[i].name,
		    (int)svcs[i].pid);
		kill(-svcs[i].pid, SIGTERM);
		kill(svcs[i].pid, SIGTERM);
		while (svcs[i].pid && mono_now() < deadline)
			wait_children(deadline - mono_now(), 1);
		if (svcs[i].pid) {
			log_warnx("service %s (pid %d) did not stop in time: "
			    "killed", svcs[i].name, (int)svcs[i].pid);
			kill(-svcs[i].pid, SIGKILL);
			kill(svcs[i].pid, SIGKILL);
			while (svcs[i].pid)
				wait_children(1000, 1);
		}
	}
}

static void
start_due(void)
{
	time_t now = time(NULL);
	int i;

	for (i = 0; i < nsvcs; i++)
		if (!svcs[i].pid && svcs[i].next && svcs[i].next <= now)
			start_service(&svcs[i]);
}

static void
start_all(void)
{
	int i;

	for (i = 0; i < nsvcs; i++)
		start_service(&svcs[i]);
}

static long long
next_timeout(void)
{
	time_t now = time(NULL), first = 0;
	int i;

	for (i = 0; i < nsvcs; i++)
		if (!svcs[i].pid && svcs[i].next &&
		    (!first || svcs[i].next < first))
			first = svcs[i].next;
	if (!first)
		return -1;
	return first <= now ? 0 : (long long)(first - now) * 1000;
}

static void
reload(int grace)
{
	struct svc *fresh = xcalloc(MAX_SERVICES, sizeof(*fresh));
	int n;

	log_info("SIGHUP: restarting services");
	stop_services(grace);
	if (load_services(fresh, &n) < 0) {
		log_warnx("%s is broken: services restarted from the list "
		    "read before", svc_file);
		free(fresh);
	} else {
		free_services(svcs, nsvcs);
		memcpy(svcs, fresh, n * sizeof(*fresh));
		nsvcs = n;
		free(fresh);
	}
	start_all();
}

static void __attribute__((noreturn))
shutdown_vs(int grace, int sig)
{
	log_info("%s: stopping %d service(s)", strsignal(sig), nsvcs);
	stop_services(grace);
	/* whatever else runs in the VS (bevs sessions, strays) */
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	log_info("all stopped");
	exit(0);
}

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: vsinit [-n] [-t grace] [-f file]\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, grace = 8, check = 0;
	long long v;
	sigset_t set;

	log_init("vsinit", 1, 0);
	while ((c = getopt_long(argc, argv, "f:hnt:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			svc_file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 't':
			if (vs_conf_number(optarg, 0, 3600, 0, &v) < 0)
				usage(2);
			grace = (int)v;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (check) {
		/* a VS without a services file is fine at run time, but a
		 * file named for checking must exist */
		if (access(svc_file, R_OK) < 0) {
			log_warn("cannot read '%s'", svc_file);
			return 1;
		}
		if (load_services(svcs, &nsvcs) < 0)
			return 1;
		printf("%s: %d service(s) OK\n", svc_file, nsvcs);
		return 0;
	}
	if (getpid() != 1)
		fatalx("must run as PID 1 of a VS (use -n to check a file)");
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* whatever our starter ignored: SIGCHLD must not be (children
	 * would be reaped behind our back) */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);	/* a closed log must not kill PID 1 */
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPWR);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		fatal("signalfd");

	if (load_services(svcs, &nsvcs) < 0)
		log_warnx("no services started");
	log_info("ready: %d service(s)", nsvcs);
	start_all();
	for (;;) {
		struct pollfd p = { .fd = sigfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int term = 0, hup = 0;

		if (poll(&p, 1, (int)next_timeout()) > 0) {
			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					hup = 1;
				else if (si.ssi_signo != SIGCHLD)
					term = (int)si.ssi_signo;
			}
		}
		reap(0);
		if (term)
			shutdown_vs(grace, term);
		if (hup)
			reload(grace);
		start_due();
	}
}
