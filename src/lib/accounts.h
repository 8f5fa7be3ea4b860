/* accounts.h - the per-VS identity files written into a new VS root.
 *
 * In a VS, uid 0 is named "admin" (home /root) with "root" kept as a
 * second name for the same uid, so tools that look either name up work.
 * vs_accounts_write() rewrites etc/passwd, etc/shadow (both names, the
 * admin's password locked until set), keeps etc/group, and writes
 * etc/hostname (the FQDN) and etc/hosts (loopback plus the VS's address).
 * Every file is written fd-relative below rootfd: etc is opened with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, each file is written to a fresh
 * temporary (O_EXCL|O_NOFOLLOW) and renamed over the old name, so a
 * symlink planted in the tree is replaced, never followed.  Ownership of
 * a replaced file is kept if it lies in the VS's range, otherwise it
 * becomes the VS's root.
 */
#ifndef VS_ACCOUNTS_H
#define VS_ACCOUNTS_H

#include "err.h"
#include "state.h"

int vs_accounts_write(int rootfd, const struct vs_rec *rec,
    struct vs_err *err);

#endif
