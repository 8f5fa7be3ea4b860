/* atfile.h - a whole file replaced fd-relative and atomically. */
#ifndef VS_ATFILE_H
#define VS_ATFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace dirfd/name (name: one component) with len bytes of data: a
 * temporary ".name.PID" beside it (O_EXCL | O_NOFOLLOW: never through a
 * planted symlink), fchown/fchmod, fsync, rename, fsync of the directory.
 * 0, or -1 with errno set and nothing left behind.
 */
int vs_write_file_at(int dirfd, const char *name, const char *data,
    size_t len, uid_t uid, gid_t gid, mode_t mode);

#endif
