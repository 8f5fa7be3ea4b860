/* clone.h - build a VS root from the skeleton with hard links.
 *
 * A plan says, for every skeleton entry, what a VS gets: its own
 * directory, a hard link to the skeleton inode (files and symlinks), a
 * per-VS copy, its own symlink, or nothing (device nodes, fifos, sockets:
 * the runtime gives each VS its /dev).  A symlink is linked when root
 * owns it and its directory is not sticky (skelconf.h says why that is
 * safe); a regular file becomes a per-VS copy when it
 *   - has a set-id bit (the kernel ignores them for an unmapped owner),
 *   - is not world-readable (it would be unreadable inside the VS),
 *   - is owned by a host user or group other than root,
 *   - is empty, or looks like a lock file (*.lock, *.lck, LOCK),
 *   - matches a pattern of state_root/state/skel/copy (one fnmatch glob
 *     a line, FNM_PATHNAME, relative to the root with or without a
 *     leading '/'; a pattern matching a directory covers all beneath).
 * Everything else is linked.  Owners move into the VS's range (host uid
 * u -> base + u, u beyond the range -> base); directories regain their
 * owner write bit (sticky ones, like /tmp, their world write bits), and
 * copies their owner write bit, which the skeleton strips.
 *
 * The plan comes from the skeleton manifest when vsdskel wrote one
 * (no per-file stat at all), else from a walk of the skeleton.  A plan
 * made from a manifest is cached beside it as clone.plan (keyed by the
 * manifest's and the copy file's inode, size and mtime), so the next
 * plan costs a read instead of a parse.  The
 * skeleton is trusted host data (root-owned, written only by vsdskel);
 * the destination must be a fresh empty directory.
 *
 * Executing a plan costs one linkat() per shared file and a handful of
 * calls per directory; directories are spread over worker threads.
 */
#ifndef VS_CLONE_H
#define VS_CLONE_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct vs_clone_plan;

/*
 * Plan a clone of the skeleton open at skelfd.  manifest_path (may be
 * NULL) names the skeleton manifest; copy_path (may be NULL) the copy
 * patterns.  Missing files are fine: the plan then comes from a walk.
 */
int vs_clone_plan_new(int skelfd, const char *manifest_path,
    const char *copy_path, struct vs_clone_plan **out, struct vs_err *err);
void vs_clone_plan_free(struct vs_clone_plan *plan);

/* "cache", "manifest" or "walk": where the plan came from. */
const char *vs_clone_plan_source(const struct vs_clone_plan *plan);

/* linked: regular files linked; symlinks: all symlinks, linked or own */
struct vs_clone_stats {
	uint64_t dirs, linked, copied, symlinks, skipped;
};

/*
 * Fill the empty directory dstfd from the skeleton at skelfd following
 * plan, with owners shifted to [uid_base, uid_base + uid_count).  dstfd
 * should be mode 0700 owned by host root: the root directory gets its
 * final mode and owner last, so no process of the VS's uids can enter
 * the tree while it is built with name-based calls.
 * workers: threads (0 = one per CPU, at most 4).  On failure the
 * partial tree is left for the caller to remove.
 */
int vs_clone_run(const struct vs_clone_plan *plan, int skelfd, int dstfd,
    uid_t uid_base, uid_t uid_count, int workers,
    struct vs_clone_stats *stats, struct vs_err *err);

/*
 * Grow the process's fd table to what vs_clone_run() may hold (it hands
 * directory fds between workers).  Growing it while threads share it
 * waits for an RCU grace period each time (64, 128, 256, 512...: several
 * ms on a busy machine); call this before starting other threads.
 * vs_clone_run() calls it too.  Best effort, never fails.
 */
void vs_clone_reserve_fds(void);

#endif
