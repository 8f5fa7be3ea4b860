/* rmtree.c - remove a hostile tree without leaving it (rules in rmtree.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "rmtree.h"
#include "xmem.h"
#include "banned.h"

#define RMTREE_PASSES	65536

/* Open dirfd/name as a directory, refusing symlinks and mount points. */
static int
open_dir(int dirfd, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

struct rm {
	int topfd;		/* the tree's top directory, while it is read */
	unsigned long moved;	/* subtrees moved up (for unique names) */
	uint64_t removed;
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
		snprintf(to, sizeof(to), ".rmtree-%lu", x->moved++);
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

	fd = open_dir(pfd, name);
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
				x->removed++;
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
			x->removed++;
			return 0;
		}
		if (errno != ENOTEMPTY && errno != EEXIST)
			return vs_err_sys(err, "cannot remove '%s'", name);
	}
	return vs_err_set(err, ENOTEMPTY, "'%s' keeps filling up", name);
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
