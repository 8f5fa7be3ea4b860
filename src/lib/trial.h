/* trial.h - a disposable trial of .rpm or .deb packages (vstry).
 *
 * vs_trial_run() does, filling a struct vs_report as it goes:
 *   1. create a disposable VS from the skeleton (vsroot.h) and start it
 *      with loopback only unless the recipe asks for network (runtime.h);
 *   2. copy the packages into it, fd-relative, as files of the VS's root;
 *   3. record the tree, users and groups (treediff.h);
 *   4. install the packages inside the VS as its root (rpm / dpkg run
 *      through vs_run_spawn: the VS's namespaces, cgroup, capabilities and
 *      seccomp filter; no scriptlet ever runs as host root);
 *   5. record again; verify (rpm -V, dpkg --verify); run the recipe's checks
 *      within its time budget;
 *   6. remove the packages, record what is left;
 *   7. stop and delete the VS (unless kept).
 * The whole trial is journaled (op "trial", see journal.h) under a lock
 * of its own, so a trial killed at any point is undone by the next
 * vs_reconcile(): vs_trial_repair() stops and deletes its VS.
 *
 * Must run as host root, single-threaded (it forks through runtime.h).
 */
#ifndef VS_TRIAL_H
#define VS_TRIAL_H

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "journal.h"
#include "recipe.h"
#include "report.h"

#define VS_TRIAL_PREFIX	"try-"	/* names of trial VSs */

struct vs_trial_opts {
	const struct vs_recipe *recipe;	/* required */
	char *const *packages;	/* host paths; NULL = the recipe's */
	int keep;		/* keep the VS (running) after the trial */
	int keep_on_fail;	/* keep it when the verdict is not "pass" */
	int nodeps;		/* never check dependencies */
};

/*
 * Run one trial.  Returns 0 when the trial ran to the end (its verdict is
 * vs_report_verdict(rep)), -1 when it could not run (err says why; rep
 * holds what was done so far and rep->error the same message).  When the
 * VS is kept, rep->vs names it and rep->kept is 1.
 */
int vs_trial_run(const struct vs_conf *conf, const struct vs_trial_opts *o,
    struct vs_report *rep, struct vs_err *err);

/* Stop and delete a kept trial VS (after --keep or --shell-on-fail). */
int vs_trial_discard(const struct vs_conf *conf, const char *vs,
    struct vs_err *err);

/* Journal repair of op "trial": stop and delete the trial's VS (only if
 * its record says disposable). */
int vs_trial_repair(const struct vs_conf *conf,
    const struct vs_journal_entry *e, struct vs_buf *report,
    struct vs_err *err);

/* Package type of an open file by its magic: 'r' rpm, 'd' deb, 0 other. */
int vs_trial_pkg_type(int fd);

#endif
