/* vs-cgnet - drives priv/cgroup.h and priv/net.h for the integration
 * tests (15x-19x) and the qemu guest.  Not installed.
 *
 *   vs-cgnet cg backend
 *   vs-cgnet cg create NAME [MEMORY_MB PIDS CPU_WEIGHT CPU_PERCENT IO_WEIGHT]
 *   vs-cgnet cg attach|procs|kill|destroy|usage NAME [PID]
 *   vs-cgnet cg run NAME CMD...     run CMD in the cgroup, exit with its status
 *   vs-cgnet net create NAME NUMBER IP|none
 *   vs-cgnet net destroy|open NAME
 *   vs-cgnet instance               print the config's instance tag
 *   vs-cgnet forkloop N             fork N sleepers, print how many forks
 *                                   worked ("forked K errno E"), kill them
 *   vs-cgnet hog MB                 allocate and touch MB MiB, then exit 0
 * The config comes from $VSD_CONF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "conf.h"
#include "log.h"
#include "state.h"
#include "priv/cgroup.h"
#include "priv/net.h"

static void
usage(void)
{
	fprintf(stderr, "usage: vs-cgnet cg backend|create|attach|procs|kill|"
	    "destroy|usage|run NAME ...\n"
	    "       vs-cgnet net create NAME NUMBER IP|none\n"
	    "       vs-cgnet net destroy|open NAME\n");
	exit(2);
}

static long long
num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end)
		usage();
	return v;
}

/* Bounded fork loop: the pids limit must stop it short of n. */
static int
forkloop(long long n)
{
	pid_t *kids = calloc((size_t)n, sizeof(*kids));
	long long k;
	int e = 0;

	if (!kids)
		return 1;
	for (k = 0; k < n; k++) {
		pid_t p = fork();

		if (p < 0) {
			e = errno;
			break;
		}
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		kids[k] = p;
	}
	printf("forked %lld errno %s\n", k, e ? strerrorname_np(e) : "0");
	fflush(stdout);
	while (k-- > 0) {
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	free(kids);
	return 0;
}

/* Touch mb MiB page by page: inside a smaller memory limit the OOM
 * killer must end it (SIGKILL) long before the loop finishes. */
static int
hog(long long mb)
{
	long long i;

	for (i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		size_t j;

		if (!p) {
			printf("malloc failed at %lld MiB\n", i);
			return 1;
		}
		for (j = 0; j < (1 << 20); j += 4096)
			p[j] = 1;
	}
	printf("allocated %lld MiB\n", mb);
	return 0;
}

static int
cg(struct vs_conf *c, int ac, char **av, struct vs_err *err)
{
	const char *op = av[0], *name = ac > 1 ? av[1] : NULL;

	if (strcmp(op, "backend") == 0) {
		printf("%s\n", vs_cgroup_backend_name(vs_cgroup_backend()));
		return 0;
	}
	if (!name)
		usage();
	if (strcmp(op, "create") == 0) {
		struct vs_limits l;

		if (ac == 2)
			return vs_cgroup_create(c, name, NULL, err);
		if (ac != 7)
			usage();
		l.memory_mb = num(av[2]);
		l.pids = num(av[3]);
		l.cpu_weight = num(av[4]);
		l.cpu_percent = num(av[5]);
		l.io_weight = num(av[6]);
		return vs_cgroup_create(c, name, &l, err);
	}
	if (strcmp(op, "attach") == 0 && ac == 3)
		return vs_cgroup_attach(c, name, (pid_t)num(av[2]), err);
	if (strcmp(op, "kill") == 0)
		return vs_cgroup_kill(c, name, err);
	if (strcmp(op, "destroy") == 0)
		return vs_cgroup_destroy(c, name, err);
	if (strcmp(op, "procs") == 0) {
		pid_t *p;
		size_t n, i;

		if (vs_cgroup_procs(c, name, &p, &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++)
			printf("%d\n", (int)p[i]);
		free(p);
		return 0;
	}
	if (strcmp(op, "usage") == 0) {
		struct vs_cgroup_usage u;

		if (vs_cgroup_usage(c, name, &u, err) < 0)
			return -1;
		printf("memory %lld\nmemory_max %lld\npids %lld\npids_max %lld\n"
		    "cpu_usec %lld\noom_kills %lld\n", u.memory_bytes,
		    u.memory_max, u.pids, u.pids_max, u.cpu_usec, u.oom_kills);
		return 0;
	}
	if (strcmp(op, "run") == 0 && ac > 2) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return vs_err_sys(err, "fork");
		if (pid == 0) {
			if (vs_cgroup_attach(c, name, 0, err) < 0) {
				fprintf(stderr, "vs-cgnet: %s\n", err->msg);
				_exit(125);
			}
			execvp(av[2], av + 2);
			fprintf(stderr, "vs-cgnet: %s: %s\n", av[2],
			    strerror(errno));
			_exit(127);
		}
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return vs_err_sys(err, "waitpid");
		exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	usage();
	return -1;
}

static int
net(struct vs_conf *c, int ac, char **av, struct vs_err *err)
{
	if (ac < 2)
		usage();
	if (strcmp(av[0], "create") == 0 && ac == 4) {
		struct vs_rec r;
		int none = strcmp(av[3], "none") == 0;

		memset(&r, 0, sizeof(r));
		snprintf(r.name, sizeof(r.name), "%s", av[1]);
		r.number = num(av[2]);
		snprintf(r.ip, sizeof(r.ip), "%s", none ? "" : av[3]);
		return vs_net_create(c, &r, none ? VS_NET_NONE : 0, err);
	}
	if (strcmp(av[0], "destroy") == 0 && ac == 2)
		return vs_net_destroy(c, av[1], err);
	if (strcmp(av[0], "open") == 0 && ac == 2) {
		int fd = vs_net_open(c, av[1], err);

		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	usage();
	return -1;
}

int
main(int argc, char **argv)
{
	struct vs_buf errors = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_conf c;
	int r;

	log_init("vs-cgnet", 1, getenv("VSD_DEBUG") ? 1 : 0);
	if (argc == 3 && strcmp(argv[1], "forkloop") == 0)
		return forkloop(num(argv[2]));
	if (argc == 3 && strcmp(argv[1], "hog") == 0)
		return hog(num(argv[2]));
	if (argc == 2 && strcmp(argv[1], "instance") == 0) {
		if (vs_conf_load(NULL, 0, &c, &errors) < 0) {
			fprintf(stderr, "%s", errors.buf);
			return 1;
		}
		printf("%s\n", c.instance);
		return 0;
	}
	if (argc < 3)
		usage();
	if (vs_conf_load(NULL, 0, &c, &errors) < 0) {
		fprintf(stderr, "%s", errors.buf);
		return 1;
	}
	if (vs_state_init(&c, &err) < 0) {
		fprintf(stderr, "vs-cgnet: %s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[1], "cg") == 0)
		r = cg(&c, argc - 2, argv + 2, &err);
	else if (strcmp(argv[1], "net") == 0)
		r = net(&c, argc - 2, argv + 2, &err);
	else
		usage();
	if (r < 0) {
		fprintf(stderr, "vs-cgnet: %s\n", err.msg);
		return 1;
	}
	vs_conf_release(&c);
	return 0;
}
