/* vsfs.c - mounts of a VS and the pivot_root into them (see vsfs.h).
 *
 * Phase: mount namespace, as host root, before the user namespace.
 * Everything is built with the new mount API (fsopen/fsmount/move_mount,
 * open_tree/mount_setattr): every mount target is an fd that was resolved
 * inside the VS root without following symlinks, so a VS that made /proc
 * a symlink to somewhere else only breaks its own start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "atfile.h"
#include "priv/vsfs.h"
#include "xmem.h"

/* dir/name as an O_PATH directory fd, created (owned by owner) if
 * missing; name resolved inside dirfd, no symlinks, no mount crossing. */
static int
open_mountpoint(int dirfd, const char *name, long long owner,
    struct vs_err *err)
{
	int fd;

	fd = vs_open_in_root(dirfd, name, O_PATH | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return vs_err_sys(err, "create /%s", name);
		if (owner >= 0 && fchownat(dirfd, name, owner, owner,
		    AT_SYMLINK_NOFOLLOW) < 0)
			return vs_err_sys(err, "chown /%s", name);
		fd = vs_open_in_root(dirfd, name, O_PATH | O_DIRECTORY);
	}
	if (fd < 0)
		return vs_err_sys(err, "open mount point /%s", name);
	return fd;
}

/*
 * Mount a new fstype instance at dirfd/name.  opts: "key=value" or "flag"
 * strings, NULL-terminated.  Returns an fd of the new mount's root.
 */
static int
mount_new(int dirfd, const char *name, long long owner, const char *fstype,
    const char *const *opts, unsigned attrs, struct vs_err *err)
{
	_cleanup_close_ int fs = -1, target = -1;
	int mnt, i;

	target = open_mountpoint(dirfd, name, owner, err);
	if (target < 0)
		return -1;
	fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return vs_err_sys(err, "fsopen %s for /%s", fstype, name);
	for (i = 0; opts && opts[i]; i++) {
		const char *eq = strchr(opts[i], '=');
		int rc;

		if (eq) {
			_cleanup_free_ char *key = xstrndup(opts[i],
			    eq - opts[i]);
			rc = fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			rc = fsconfig(fs, FSCONFIG_SET_FLAG, opts[i], NULL, 0);
		}
		if (rc < 0)
			return vs_err_sys(err, "%s option '%s' for /%s",
			    fstype, opts[i], name);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return vs_err_sys(err, "create %s for /%s", fstype, name);
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		return vs_err_sys(err, "fsmount %s for /%s", fstype, name);
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		vs_err_sys(err, "mount %s on /%s", fstype, name);
		close(mnt);
		return -1;
	}
	return mnt;
}

/* Bind host file or directory src at dirfd/name (created), with attrs. */
static int
bind_host(int dirfd, const char *name, const char *src, int isdir,
    unsigned attrs, struct vs_err *err)
{
	_cleanup_close_ int tree = -1, target = -1;
	struct mount_attr a = { .attr_set = attrs };

	tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		return vs_err_sys(err, "open '%s'", src);
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return vs_err_sys(err, "set attributes of '%s'", src);
	if (isdir) {
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return vs_err_sys(err, "create mount point %s", name);
		target = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	} else {
		target = openat(dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW |
		    O_CLOEXEC, 0444);
	}
	if (target < 0)
		return vs_err_sys(err, "open mount point %s", name);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return vs_err_sys(err, "bind '%s' on %s", src, name);
	return 0;
}

static const struct {
	const char *name;
	unsigned major, minor;
} devnodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} devlinks[] = {
	{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* /dev: a tmpfs owned by the VS's root (it may add sockets like
 * /dev/log) holding only the device nodes we make: the VS cannot make
 * any (mknod needs CAP_MKNOD over the host's user namespace). */
static int
make_dev(int root, const struct vs_fs_spec *s, struct vs_err *err)
{
	_cleanup_close_ int dev = -1, pts = -1, shm = -1;
	char uid[32], gid[32], ptsgid[32], size[32];
	const char *devopts[] = { "mode=0755", "size=256k", "nr_inodes=256",
		uid, gid, NULL };
	const char *ptsopts[] = { "ptmxmode=0666", "mode=0620", ptsgid, NULL };
	const char *shmopts[] = { "mode=1777", size, uid, gid, NULL };
	size_t i;

	snprintf(uid, sizeof(uid), "uid=%lld", s->uid_base);
	snprintf(gid, sizeof(gid), "gid=%lld", s->uid_base);
	/* the tty group (5) of the VS, as a host gid */
	snprintf(ptsgid, sizeof(ptsgid), "gid=%lld", s->uid_base + 5);
	snprintf(size, sizeof(size), "size=%lldm", s->run_mb);

	dev = mount_new(root, "dev", s->uid_base, "tmpfs", devopts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (dev < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(devnodes); i++) {
		if (mknodat(dev, devnodes[i].name, S_IFCHR | 0666,
		    makedev(devnodes[i].major, devnodes[i].minor)) < 0)
			return vs_err_sys(err, "mknod /dev/%s",
			    devnodes[i].name);
		/* mknod honours the umask */
		if (fchmodat(dev, devnodes[i].name, 0666, 0) < 0)
			return vs_err_sys(err, "chmod /dev/%s",
			    devnodes[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(devlinks); i++)
		if (symlinkat(devlinks[i].target, dev, devlinks[i].name) < 0)
			return vs_err_sys(err, "symlink /dev/%s",
			    devlinks[i].name);
	/* a new devpts instance: ptys of this VS only */
	pts = mount_new(dev, "pts", -1, "devpts", ptsopts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (pts < 0)
		return vs_err_prefix(err, "dev");
	shm = mount_new(dev, "shm", -1, "tmpfs", shmopts, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (shm < 0)
		return vs_err_prefix(err, "dev");
	return 0;
}

/* Make the /run/vsd bind read-only once the tools are bound below it: the
 * directory belongs to vsd's unprivileged front (unmapped in the VS), and
 * read-only makes that independent of its ownership.  connect() to the
 * socket in it still works (sockets ignore read-only mounts). */
static int
run_vsd_readonly(int run, struct vs_err *err)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	_cleanup_close_ int fd = -1;

	fd = openat(run, "vsd", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "open /run/vsd");
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return vs_err_sys(err, "make /run/vsd read-only");
	return 0;
}

static int
make_run(int root, const struct vs_fs_spec *s, struct vs_err *err)
{
	_cleanup_close_ int run = -1, bin = -1;
	char uid[32], gid[32], size[32];
	const char *opts[] = { "mode=0755", size, uid, gid, NULL };
	size_t i;

	snprintf(uid, sizeof(uid), "uid=%lld", s->uid_base);
	snprintf(gid, sizeof(gid), "gid=%lld", s->uid_base);
	snprintf(size, sizeof(size), "size=%lldm", s->run_mb);
	run = mount_new(root, "run", s->uid_base, "tmpfs", opts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (run < 0)
		return -1;
	if (!s->vsd_dir)
		return 0;
	/* /run/vsd: the host's per-VS directory (vsd's socket for this VS
	 * and our tools), read-only for the VS; /run/vsd.sock points in */
	if (bind_host(run, "vsd", s->vsd_dir, 1, MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV, err) < 0)
		return vs_err_prefix(err, "/run/vsd");
	if (symlinkat("vsd/vsd.sock", run, "vsd.sock") < 0 ||
	    fchownat(run, "vsd.sock", s->uid_base, s->uid_base,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return vs_err_sys(err, "symlink /run/vsd.sock");
	if (!s->tools || !s->tools[0])
		return run_vsd_readonly(run, err);
	bin = openat(run, "vsd/bin", O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (bin < 0)
		return vs_err_sys(err, "open /run/vsd/bin");
	for (i = 0; s->tools[i]; i++) {
		const char *base = strrchr(s->tools[i], '/');

		base = base ? base + 1 : s->tools[i];
		if (bind_host(bin, base, s->tools[i], 0, MOUNT_ATTR_RDONLY |
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err) < 0)
			return vs_err_prefix(err, "/run/vsd/bin");
	}
	return run_vsd_readonly(run, err);
}

int
vs_fs_enter(const struct vs_fs_spec *s, struct vs_err *err)
{
	_cleanup_close_ int here = -1, root = -1, proc = -1, sys = -1, tmp = -1;
	struct stat a, b;
	struct mount_attr nodev = { .attr_set = MOUNT_ATTR_NODEV };
	char size[32], uid[32], gid[32];
	const char *tmpopts[] = { "mode=1777", size, uid, gid, NULL };
	const char *sysopts[] = { NULL };

	/* nothing we mount may propagate back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return vs_err_sys(err, "make / private");
	/* the VS root as a mount of its own (pivot_root needs one); not
	 * recursive, so nothing mounted below it on the host comes along;
	 * set-id stays on (per-VS set-id copies), device nodes off */
	here = open(s->root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (here < 0)
		return vs_err_sys(err, "open '%s'", s->root);
	if (fstat(here, &a) < 0 || fstat(s->rootfd, &b) < 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return vs_err_set(err, ESTALE, "'%s' changed during start",
		    s->root);
	root = open_tree(here, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_EMPTY_PATH);
	if (root < 0)
		return vs_err_sys(err, "clone VS root mount");
	if (mount_setattr(root, "", AT_EMPTY_PATH, &nodev, sizeof(nodev)) < 0)
		return vs_err_sys(err, "set nodev on VS root");
	if (move_mount(root, "", here, "", MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return vs_err_sys(err, "attach VS root mount");

	proc = mount_new(root, "proc", s->uid_base, "proc", NULL,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (proc < 0)
		return -1;
	sys = mount_new(root, "sys", s->uid_base, "sysfs", sysopts,
	    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	    MOUNT_ATTR_NOEXEC, err);
	if (sys < 0)
		return -1;
	if (make_dev(root, s, err) < 0 || make_run(root, s, err) < 0)
		return -1;
	snprintf(size, sizeof(size), "size=%lldm", s->tmp_mb);
	snprintf(uid, sizeof(uid), "uid=%lld", s->uid_base);
	snprintf(gid, sizeof(gid), "gid=%lld", s->uid_base);
	tmp = mount_new(root, "tmp", s->uid_base, "tmpfs", tmpopts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (tmp < 0)
		return -1;

	/* pivot_root(".", "."): the old root ends up on top of the new one
	 * and is detached at once, so no path leads back to the host */
	if (fchdir(root) < 0)
		return vs_err_sys(err, "enter VS root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return vs_err_sys(err, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return vs_err_sys(err, "detach old root");
	if (chdir("/") < 0)
		return vs_err_sys(err, "chdir /");
	return 0;
}
