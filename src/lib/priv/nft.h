/* nft.h - run an nftables script, on the host or inside a VS's netns.
 *
 * One `nft -f -` per call: a script is one kernel transaction, so a
 * "table {}; delete table; table { ... }" script replaces a table
 * atomically (no moment without rules, nothing half-applied on error).
 * Used by net.c (`nat yes`, host netns) and vsredirect's kernel mode
 * (inside each VS's netns, which the host user namespace owns: the VS's
 * root has no capability over it, so it can neither read nor change
 * what is installed there).
 */
#ifndef VS_PRIV_NFT_H
#define VS_PRIV_NFT_H

#include "err.h"

/*
 * Run script with `nft -f -` in a child process that first enters the
 * network namespace nsfd (-1 = stay in the caller's).  The caller needs
 * CAP_SYS_ADMIN to enter nsfd and CAP_NET_ADMIN (in its permitted set);
 * a caller that is not uid 0 hands nft CAP_NET_ADMIN and nothing else as
 * an ambient capability.  Waits for nft, at most 10 s (then kills it).
 * Returns 0, or -1 with errno (ENOENT: no nft; EIO: nft failed, err has
 * nft's first line of complaint; ETIMEDOUT) and err set.  The script is
 * handed over in a memfd: no pipe to block on, no SIGPIPE.
 */
int vs_nft_run(int nsfd, const char *script, struct vs_err *err);

/*
 * Write each value to /proc/sys/net/netfilter/NAME as seen from the
 * network namespace nsfd (a child process enters it; the same privileges
 * as vs_nft_run()).  kv: NAME, VALUE, ..., NULL; NAME is [a-z0-9_] only.
 * Stops at the first failure.  0, or -1 with errno and err naming it.
 */
int vs_nft_sysctls(int nsfd, const char *const *kv, struct vs_err *err);

#endif
