/* atfile.h - files under a directory fd that may be hostile (a VS's
 * tree): opened without ever leaving it, replaced atomically. */
#ifndef VS_ATFILE_H
#define VS_ATFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * openat2 of path below dirfd ("" is dirfd itself) that never leaves it:
 * no "..", no absolute path, no symlink and no magic link anywhere on the
 * way, no mount crossed (RESOLVE_BENEATH | NO_SYMLINKS | NO_MAGICLINKS |
 * NO_XDEV); O_NOFOLLOW and O_CLOEXEC are added to flags.
 */
int vs_open_beneath(int dirfd, const char *path, int flags);

/*
 * openat2 of path in a VS's tree whose root is rootfd: the same rules,
 * except that ".." and absolute paths resolve as if rootfd were "/"
 * (RESOLVE_IN_ROOT), so the VS's own absolute paths and symlink-free
 * "../" work and still cannot leave it.  "/" or "" is rootfd itself.
 * With O_PATH a trailing symlink itself is opened.
 */
int vs_open_in_root(int rootfd, const char *path, int flags);

/* The directory holding path below dirfd (O_RDONLY | O_DIRECTORY, by
 * vs_open_beneath's rules; a path without '/' gives dirfd's "."), and
 * path's last component. */
int vs_open_parent_beneath(int dirfd, const char *path);
const char *vs_path_base(const char *path);

/*
 * Replace dirfd/name (name: one component) with len bytes of data: a
 * temporary ".name.PID" beside it (O_EXCL | O_NOFOLLOW: never through a
 * planted symlink), fchown/fchmod, fsync, rename, fsync of the directory.
 * 0, or -1 with errno set and nothing left behind.
 */
int vs_write_file_at(int dirfd, const char *name, const char *data,
    size_t len, uid_t uid, gid_t gid, mode_t mode);

/*
 * Move the prepared entry dirfd/tmp to name.  Adding (expect NULL): only
 * if name is still free.  Replacing: exchange the two, then check that
 * what came out is the entry the caller judged (expect: its lstat); if
 * the tree's owner replaced it meanwhile, exchange back.  tmp is gone
 * afterwards in every case.  Returns 0 when put in place, 1 when the
 * other entry won (or name vanished), -1 with errno.
 */
struct stat;
int vs_replace_at(int dirfd, const char *tmp, const char *name,
    const struct stat *expect);

#endif
