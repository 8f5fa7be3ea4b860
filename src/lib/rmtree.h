/* rmtree.h - remove a hostile tree.
 *
 * vs_rmtree() removes dirfd/name and everything beneath it, fd-relative:
 * it never follows a symlink (a symlink is unlinked, not entered), never
 * crosses a mount point (openat2 RESOLVE_NO_XDEV: a mount inside the
 * tree makes it fail with EXDEV, leaving the mount and its parents in
 * place).  However deep the tree, it needs at most VS_RMTREE_MAXDEPTH
 * open directories: deeper subtrees are moved up into the top directory
 * (as ".rmtree-N") and removed in a later pass, so a VS cannot make its
 * own deletion fail by nesting.  Removing what does not exist succeeds.
 * Meant for host root, whom the modes of a VS's directories do not stop.
 * The subtrees two levels down are removed by up to 4 threads (one per
 * CPU) first, with the same rules; the caller's thread then finishes.
 */
#ifndef VS_RMTREE_H
#define VS_RMTREE_H

#include <stdint.h>

#include "err.h"

#define VS_RMTREE_MAXDEPTH	256

int vs_rmtree(int dirfd, const char *name, uint64_t *removed,
    struct vs_err *err);

#endif
