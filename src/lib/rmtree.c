/* rmtree.c - remove a hostile tree without leaving it (rules in rmtree.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>

#include "atfile.h"
#include "rmtree.h"
#include "xmem.h"
#include "banned.h"

#define RMTREE_PASSES	65536
#define RMTREE_WORKERS	4

struct rm {
	int topfd;		/* the tree's top directory, while it is read */
	unsigned long moved;	/* subtrees moved up (unique names; atomic) */
	uint64_t removed;	/* atomic: workers share it */
};

/* A subtree at the depth limit moves up into the top directory, where a
 * later pass removes it: however deep a hostile VS nests directories, the
 * removal needs neither more fds nor more stack, and still finishes. */
static int
move_up(struct rm *x, int dfd, const char *n, struct vs_err *err)
{
	char to[64];
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		snprintf(to, sizeof(to), ".rmtree-%lu",
		    __atomic_fetch_add(&x->moved, 1, __ATOMIC_RELAXED));
		if (renameat2(dfd, n, x->topfd, to, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	return vs_err_sys(err, "cannot move deep directory '%s' up", n);
}

static int rm_dir(struct rm *x, int pfd, const char *name, int depth,
    struct vs_err *err);

/* Remove everything in pfd/name (one pass). */
static int
rm_entries(struct rm *x, int pfd, const char *name, int depth,
    struct vs_err *err)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	fd = vs_open_beneath(pfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (errno == EXDEV)
			return vs_err_set(err, EXDEV, "'%s' is a mount point, "
			    "not removing it", name);
		return vs_err_sys(err, "cannot open '%s'", name);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vs_err_sys(err, "cannot read '%s'", name);
	}
	if (depth == 0)
		x->topfd = fd;
	for (;;) {
		const char *n;
		int isdir;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = vs_err_sys(err, "cannot read '%s'", name);
			break;
		}
		n = de->d_name;
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		isdir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			isdir = S_ISDIR(st.st_mode);
		}
		if (!isdir) {
			/* unlinkat never follows: a symlink goes, not its
			 * target */
			if (unlinkat(dirfd(d), n, 0) == 0) {
				__atomic_add_fetch(&x->removed, 1,
				    __ATOMIC_RELAXED);
				continue;
			}
			if (errno == ENOENT)
				continue;
			if (errno != EISDIR) {
				rc = vs_err_sys(err, "cannot remove '%s/%s'",
				    name, n);
				break;
			}
		}
		if (depth + 1 >= VS_RMTREE_MAXDEPTH)
			rc = move_up(x, dirfd(d), n, err);
		else if (rm_dir(x, dirfd(d), n, depth + 1, err) < 0)
			rc = vs_err_prefix(err, "%s", name);
		if (rc < 0)
			break;
	}
	if (depth == 0)
		x->topfd = -1;
	/* close before rmdir: a directory removed while still open is
	 * freed at close, which on ext4 costs ~5x more (measured) */
	closedir(d);
	return rc;
}

static int
rm_dir(struct rm *x, int pfd, const char *name, int depth,
    struct vs_err *err)
{
	int pass;

	/* more than one pass only when entries appeared meanwhile, e.g.
	 * deep subtrees moved up into the top directory */
	for (pass = 0; pass < RMTREE_PASSES; pass++) {
		if (rm_entries(x, pfd, name, depth, err) < 0)
			return -1;
		/* as host root, modes of the VS's directories do not stop
		 * us */
		if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			__atomic_add_fetch(&x->removed, 1, __ATOMIC_RELAXED);
			return 0;
		}
		if (errno != ENOTEMPTY && errno != EEXIST)
			return vs_err_sys(err, "cannot remove '%s'", name);
	}
	return vs_err_set(err, ENOTEMPTY, "'%s' keeps filling up", name);
}

/* ---- in parallel ---------------------------------------------------------
 *
 * Unlinking is kernel work on one directory at a time, so a big tree goes
 * faster on several CPUs: the subtrees two levels down (usr/share,
 * usr/lib, var/lib...) are removed by worker threads, each with the same
 * fd-relative walk; the levels above, and whatever a worker could not
 * remove, are left to the single-threaded passes that follow. */

struct task {
	char *parent;		/* a directory of the top one */
	char *name;		/* a directory in it */
};

struct pool {
	struct rm *x;
	struct task *t;
	size_t n, next;		/* next: atomic */
};

static void *
rm_worker(void *arg)
{
	struct pool *p = arg;
	struct vs_err err = VS_ERR_INIT;
	size_t i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) <
	    p->n) {
		int pfd = vs_open_beneath(p->x->topfd, p->t[i].parent,
		    O_RDONLY | O_DIRECTORY), rc;

		if (pfd < 0)
			continue;	/* gone or replaced: the passes see */
		/* start near the depth limit: a worker holds at most 64
		 * directories open (4 workers at 256 each could meet
		 * EMFILE); deeper subtrees move up for the passes */
		rc = rm_dir(p->x, pfd, p->t[i].name, VS_RMTREE_MAXDEPTH - 64,
		    &err);
		close(pfd);
		/* a failure (a mount point, a tree changing under us) stops
		 * the workers; the passes meet it again and report it */
		if (rc < 0)
			__atomic_store_n(&p->next, p->n, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The directories two levels below topfd, as tasks; files on the way are
 * left for the passes.  Failures only mean less parallel work. */
static void
collect(int topfd, struct pool *p)
{
	size_t alloc = 0;
	int tfd = dup(topfd);
	DIR *top = tfd >= 0 ? fdopendir(tfd) : NULL;
	struct dirent *de;

	if (!top) {
		if (tfd >= 0)
			close(tfd);
		return;
	}
	while ((de = readdir(top))) {
		DIR *d;
		struct dirent *ce;
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;	/* ".", "..", and hidden ones: passes */
		fd = vs_open_beneath(dirfd(top), de->d_name,
		    O_RDONLY | O_DIRECTORY);
		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((ce = readdir(d))) {
			if (ce->d_type != DT_DIR || !strcmp(ce->d_name, ".") ||
			    !strcmp(ce->d_name, ".."))
				continue;
			xgrow(&p->t, sizeof(*p->t), p->n + 1, &alloc);
			p->t[p->n].parent = xstrdup(de->d_name);
			p->t[p->n].name = xstrdup(ce->d_name);
			p->n++;
		}
		closedir(d);
	}
	closedir(top);
}

static void
rm_parallel(struct rm *x, int dirfd, const char *name)
{
	struct pool p;
	pthread_t tid[RMTREE_WORKERS];
	int topfd, workers = get_nprocs(), i, started = 0;
	size_t j;

	if (workers < 2)
		return;
	if (workers > RMTREE_WORKERS)
		workers = RMTREE_WORKERS;
	topfd = vs_open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY);
	if (topfd < 0)
		return;		/* the passes report why */
	memset(&p, 0, sizeof(p));
	p.x = x;
	collect(topfd, &p);
	if (p.n >= 2) {
		x->topfd = topfd;
		for (i = 1; i < workers; i++)
			if (pthread_create(&tid[started], NULL, rm_worker,
			    &p) == 0)
				started++;
		rm_worker(&p);
		for (i = 0; i < started; i++)
			pthread_join(tid[i], NULL);
		x->topfd = -1;
	}
	for (j = 0; j < p.n; j++) {
		free(p.t[j].parent);
		free(p.t[j].name);
	}
	free(p.t);
	close(topfd);
}

int
vs_rmtree(int dirfd, const char *name, uint64_t *removed, struct vs_err *err)
{
	struct rm x = { -1, 0, 0 };
	struct stat st;
	int rc = 0;

	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return vs_err_set(err, EINVAL, "refusing to remove '%s'", name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return vs_err_sys(err, "cannot stat '%s'", name);
	}
	if (S_ISDIR(st.st_mode)) {
		rm_parallel(&x, dirfd, name);
		rc = rm_dir(&x, dirfd, name, 0, err);
	} else if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
		rc = vs_err_sys(err, "cannot remove '%s'", name);
	} else {
		x.removed = 1;
	}
	if (removed)
		*removed += x.removed;
	return rc;
}
