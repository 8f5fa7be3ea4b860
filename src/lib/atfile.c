/* atfile.c - files under a hostile directory fd (atfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "atfile.h"
#include "buf.h"
#include "xmem.h"
#include "banned.h"

/* openat2 of path ("" is dirfd) with no symlink, magic link or mount
 * crossing anywhere, and resolve (BENEATH or IN_ROOT) for the rest */
static int
open_strict(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = resolve | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};

	return (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how,
	    sizeof(how));
}

int
vs_open_beneath(int dirfd, const char *path, int flags)
{
	return open_strict(dirfd, path, flags, RESOLVE_BENEATH);
}

int
vs_open_in_root(int rootfd, const char *path, int flags)
{
	while (*path == '/')
		path++;
	return open_strict(rootfd, path, flags, RESOLVE_IN_ROOT);
}

int
vs_open_parent_beneath(int dirfd, const char *path)
{
	const char *s = strrchr(path, '/');
	_cleanup_free_ char *p = s ? xstrndup(path, (size_t)(s - path)) :
	    xstrdup("");

	return vs_open_beneath(dirfd, p, O_RDONLY | O_DIRECTORY);
}

const char *
vs_path_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int
vs_write_file_at(int dirfd, const char *name, const char *data, size_t len,
    uid_t uid, gid_t gid, mode_t mode)
{
	char tmp[300];
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (vs_write_all(fd, data, len) < 0)
		goto fail;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	fsync(dirfd);
	return 0;
fail:
	e = errno;
	close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}

int
vs_replace_at(int dirfd, const char *tmp, const char *name,
    const struct stat *expect)
{
	struct stat st;
	int e;

	if (expect == NULL) {
		if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST) {
			(void)unlinkat(dirfd, tmp, 0);
			return 1;
		}
	} else if (renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) == 0) {
		if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (st.st_dev != expect->st_dev ||
		    st.st_ino != expect->st_ino)) {
			(void)renameat2(dirfd, tmp, dirfd, name,
			    RENAME_EXCHANGE);
			(void)unlinkat(dirfd, tmp, 0);
			return 1;
		}
		(void)unlinkat(dirfd, tmp, 0);
		return 0;
	}
	e = errno;
	(void)unlinkat(dirfd, tmp, 0);
	errno = e;
	return e == ENOENT ? 1 : -1;
}
