/* launch.h - create a VS's namespaces and exec its vsinit.
 *
 * Phases of the start-up child, in order (the comment at the top of
 * launch.c says why this order):
 *   1. clone(NEWNS | NEWPID | NEWUTS | NEWIPC [| NEWNET]) as host root:
 *      these namespaces belong to the host's user namespace;
 *   2. join the VS's cgroup, then unshare(NEWCGROUP);
 *   3. join the host-made network namespace (netfd);
 *   4. mounts and pivot_root (vsfs.h); hostname = FQDN;
 *   5. unshare(NEWUSER); the parent writes setgroups ("allow", on purpose:
 *      the maps are written by host root and cover the VS's whole range),
 *      uid_map and gid_map "0 BASE COUNT"; become uid/gid 0 of the VS;
 *   6. bounding set, ambient set, seccomp, caps (confine.h);
 *   7. clean environment, fds 0 = /dev/null, 1 and 2 = logfd, every other
 *      fd close-on-exec; execveat(vsinit fd opened before pivot_root).
 * A failing child sends {errno, message} over the sync socket and exits.
 */
#ifndef VS_PRIV_LAUNCH_H
#define VS_PRIV_LAUNCH_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"
#include "priv/vsfs.h"
#include "state.h"

struct vs_launch {
	const struct vs_conf *conf;
	const struct vs_rec *rec;
	struct vs_fs_spec fs;
	int netfd;		/* netns to join; -1: a new, empty one */
	int exefd;		/* vsinit, opened O_PATH on the host */
	int logfd;		/* vsinit's stdout and stderr */
	int nnp;		/* set no_new_privs */
	int cgroup;		/* join the VS's cgroup (vs_cgroup_attach) */
	int grace;		/* vsinit -t: seconds services get to stop */
};

/*
 * Start the VS's PID 1 (a child of the caller) and return its host pid
 * once vsinit has been exec'd; -1 with *err from the child on failure
 * (the child is reaped).
 */
pid_t vs_launch(const struct vs_launch *l, struct vs_err *err);

/* Write setgroups, uid_map and gid_map of pid: "0 base count". */
int vs_userns_map(pid_t pid, long long base, long long count,
    struct vs_err *err);

#endif
