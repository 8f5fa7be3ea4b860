/* confine.h - the last privilege phase before a VS program is exec'd:
 * capability bounding set, ambient set, seccomp filter, final caps.
 *
 * Called in a process that is already uid 0 of the VS's user namespace
 * (full capabilities there, none on the host).  Order (bubblewrap's
 * phases): vs_confine_bound() drops the bounding set to the VS set and
 * clears the ambient set; vs_confine_seccomp() loads the filter (needs
 * CAP_SYS_ADMIN in the VS's user namespace, which we still have, so the
 * VS keeps set-id programs working: see below); vs_confine_caps() leaves
 * exactly the VS set in permitted/effective (inheritable empty) and reads
 * it back.  A process that then changes to a non-zero uid loses them all
 * as usual.
 *
 * no_new_privs: off by default, because a VS is a whole system whose su,
 * passwd, ping... are per-VS set-id copies (DESIGN section 3); what a
 * set-id program can gain is bounded by the bounding set and the user
 * namespace.  conf `no_new_privs yes` turns it on for every VS process.
 */
#ifndef VS_PRIV_CONFINE_H
#define VS_PRIV_CONFINE_H

#include "err.h"

/* Bounding set = VS set; ambient set empty. */
int vs_confine_bound(struct vs_err *err);

/* Load the VS seccomp filter (applies to this thread and its children). */
int vs_confine_seccomp(struct vs_err *err);

/* Permitted = effective = VS set, inheritable empty; verified. */
int vs_confine_caps(struct vs_err *err);

/* PR_SET_NO_NEW_PRIVS. */
int vs_confine_nnp(struct vs_err *err);

/* Every signal back to its default action and unblocked: a VS program
 * must not inherit what its host-side parent (vsd, bevs) ignores or
 * blocks (an ignored SIGCHLD would even make vsinit's children vanish). */
void vs_confine_signals(void);

/* All four in order (nnp only when asked). */
int vs_confine(int nnp, struct vs_err *err);

/* For tests: is cap (CAP_*) in the VS set? is syscall name denied? */
int vs_confine_cap_kept(int cap);
int vs_confine_denied(const char *syscall_name);

#endif
