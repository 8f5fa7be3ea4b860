/* clonefloor.c - the floor under a VS create, for ci/bench.d/20-create.sh:
 * only the mkdirat() and linkat() calls a hard-linked copy of a tree
 * cannot avoid, on worker threads that hand directory fds to each other
 * as clone.c does.  Everything that is not a directory is linked (no
 * per-VS copies, owners or modes: less than a VS needs), so a create
 * can approach this time but not beat it with the same syscalls.
 *
 *   clonefloor SKEL PARENT NAME THREADS
 *   clonefloor -s
 *
 * The tree is listed first (untimed); then PARENT/NAME is built and the
 * build's wall time is printed in ms.  -s prints the cost of entering
 * the kernel on this machine (ns per getppid()): cp -al makes ~3.9
 * syscalls per entry and a create ~1.2, so how they compare depends on
 * it as much as on the filesystem.  Not part of the product.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct dir {
	char *name;
	size_t ent_first, ent_n;	/* in ents */
	size_t sub_first, sub_n;	/* in subs */
};

static struct dir *dirs;
static size_t ndirs, adirs;
static char **ents;
static size_t nents, aents;
static size_t *subs;
static size_t nsubs, asubs;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static size_t *stack, nstack, busy;
static int *sfd, *dfd, failed;

static void *
grow(void *p, size_t *alloc, size_t need, size_t size)
{
	if (need <= *alloc)
		return p;
	*alloc = need * 2;
	p = realloc(p, *alloc * size);
	if (!p) {
		perror("clonefloor");
		exit(1);
	}
	return p;
}

/* List directory fd (index di): entries first, then subdirectories. */
static void
list(int fd, size_t di)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	size_t first, i, n;

	if (!d) {
		perror("clonefloor: fdopendir");
		exit(1);
	}
	dirs[di].ent_first = nents;
	first = ndirs;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			dirs = grow(dirs, &adirs, ndirs + 1, sizeof(*dirs));
			memset(&dirs[ndirs], 0, sizeof(*dirs));
			dirs[ndirs++].name = strdup(de->d_name);
		} else if (de->d_type == DT_REG || de->d_type == DT_LNK) {
			ents = grow(ents, &aents, nents + 1, sizeof(*ents));
			ents[nents++] = strdup(de->d_name);
		}
	}
	dirs[di].ent_n = nents - dirs[di].ent_first;
	n = ndirs - first;
	dirs[di].sub_first = nsubs;
	dirs[di].sub_n = n;
	subs = grow(subs, &asubs, nsubs + n, sizeof(*subs));
	for (i = 0; i < n; i++)
		subs[nsubs++] = first + i;
	for (i = 0; i < n; i++) {
		int c = openat(dirfd(d), dirs[first + i].name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (c < 0) {
			perror(dirs[first + i].name);
			exit(1);
		}
		list(c, first + i);
	}
	closedir(d);
}

static int
build(size_t di)
{
	size_t i;
	int s = sfd[di], d = dfd[di];

	for (i = 0; i < dirs[di].ent_n; i++) {
		const char *n = ents[dirs[di].ent_first + i];

		if (linkat(s, n, d, n, 0) < 0) {
			perror(n);
			return -1;
		}
	}
	for (i = 0; i < dirs[di].sub_n; i++) {
		size_t c = subs[dirs[di].sub_first + i];

		if (mkdirat(d, dirs[c].name, 0755) < 0) {
			perror(dirs[c].name);
			return -1;
		}
		sfd[c] = openat(s, dirs[c].name, O_PATH | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		dfd[c] = openat(d, dirs[c].name, O_PATH | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sfd[c] < 0 || dfd[c] < 0) {
			perror(dirs[c].name);
			return -1;
		}
	}
	if (di != 0) {
		close(s);
		close(d);
	}
	return 0;
}

static void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		size_t di;
		int rc;

		while (!failed && nstack == 0 && busy > 0)
			pthread_cond_wait(&cv, &mu);
		if (failed || nstack == 0)
			break;
		di = stack[--nstack];
		busy++;
		pthread_mutex_unlock(&mu);
		rc = build(di);
		pthread_mutex_lock(&mu);
		busy--;
		if (rc < 0)
			failed = 1;
		else {
			memcpy(stack + nstack, subs + dirs[di].sub_first,
			    dirs[di].sub_n * sizeof(*stack));
			nstack += dirs[di].sub_n;
		}
		pthread_cond_broadcast(&cv);
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ns per syscall: the fastest of 5 runs of 200,000 getppid() */
static double
syscall_ns(void)
{
	double best = 0;
	int r, i;

	for (r = 0; r < 5; r++) {
		double t0 = now_ms(), t;

		for (i = 0; i < 200000; i++)
			syscall(SYS_getppid);
		t = (now_ms() - t0) * 1e6 / 200000;
		if (r == 0 || t < best)
			best = t;
	}
	return best;
}

int
main(int argc, char **argv)
{
	pthread_t tid[16];
	struct rlimit rl = { 1024, 1024 };
	int skel, parent, i, nthreads, started = 0, hi;
	double t0, t1;

	if (argc == 2 && strcmp(argv[1], "-s") == 0) {
		printf("%.0f\n", syscall_ns());
		return 0;
	}
	if (argc != 5 || (nthreads = atoi(argv[4])) < 1 || nthreads > 16) {
		fprintf(stderr, "usage: clonefloor SKEL PARENT NAME THREADS\n");
		return 2;
	}
	skel = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	parent = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (skel < 0 || parent < 0) {
		perror("clonefloor: open");
		return 1;
	}
	dirs = grow(NULL, &adirs, 1, sizeof(*dirs));
	memset(dirs, 0, sizeof(*dirs));
	ndirs = 1;
	list(dup(skel), 0);
	stack = malloc(ndirs * sizeof(*stack));
	sfd = malloc(ndirs * sizeof(*sfd));
	dfd = malloc(ndirs * sizeof(*dfd));
	/* two fds per pending directory, no budget (clone.c has one):
	 * raise the limit, and grow the fd table now, as clone.c does, not
	 * while threads share it */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	hi = fcntl(skel, F_DUPFD_CLOEXEC, ndirs * 2 < rl.rlim_cur ?
	    (int)(ndirs * 2) : 1000);
	if (hi >= 0)
		close(hi);

	t0 = now_ms();
	if (mkdirat(parent, argv[3], 0700) < 0) {
		perror(argv[3]);
		return 1;
	}
	sfd[0] = skel;
	dfd[0] = openat(parent, argv[3], O_PATH | O_DIRECTORY | O_CLOEXEC);
	stack[nstack++] = 0;
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&tid[started], NULL, worker, NULL) == 0)
			started++;
	worker(NULL);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	t1 = now_ms();
	if (failed)
		return 1;
	printf("%.3f\n", t1 - t0);
	return 0;
}
