/* enter.h - run a command inside a running VS (the work behind
 * vs_run_spawn; bevs and virtuald use it through runtime.h).
 *
 * Phases: fork; join the VS's cgroup; setns() into the VS's mount, UTS,
 * IPC, network, PID and cgroup namespaces (all owned by the host's user
 * namespace) through a pidfd of its vsinit, then into its user namespace;
 * become the VS's root; clone(CLONE_PARENT) so the command is a child of
 * the caller inside the VS's PID namespace; look the user up in the VS's
 * own /etc/passwd and /etc/group (parsed, never through NSS modules of
 * the VS); bounding set, seccomp filter, then either the VS root's caps
 * or the user's ids (which drop all caps); pty from the VS's devpts;
 * stdio; every other fd close-on-exec; exec.  The command is
 * non-dumpable until its exec, so nothing in the VS can ptrace it or open
 * its fds while it still holds host ones.
 */
#ifndef VS_PRIV_ENTER_H
#define VS_PRIV_ENTER_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"
#include "runtime.h"

/* initfd: pidfd of the VS's vsinit (verified by the caller). */
pid_t vs_enter_spawn(const struct vs_conf *conf, const char *name,
    int initfd, const struct vs_exec *x, int *master, struct vs_err *err);

#endif
