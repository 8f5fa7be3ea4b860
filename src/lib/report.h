/* report.h - the report of a vstry trial, and its four renderings.
 *
 * A report holds what a trial did and found: timed steps (create, install,
 * checks, remove, discard), checks with a status (the unit of pass/fail;
 * one JUnit testcase / TAP test each), and lists of findings (files added
 * outside the package, users added, processes still running...).  The
 * trial fills it; vs_report_human/json/junit/tap render it into a buffer.
 *
 * Every string given to the report is copied; text that came from inside
 * the VS (scriptlet output, file names) is kept as bytes and made safe at
 * rendering: control characters are escaped on a terminal, invalid UTF-8
 * becomes U+FFFD in JSON and XML, and long outputs are cut (the cut is
 * said).  Not thread-safe.
 */
#ifndef VS_REPORT_H
#define VS_REPORT_H

#include <stddef.h>

#include "buf.h"

enum vs_status {
	VS_ST_PASS = 0,
	VS_ST_FAIL,		/* a check failed: the verdict is "fail" */
	VS_ST_INFO,		/* reported, not a pass/fail matter */
	VS_ST_SKIP,
	VS_ST_ERROR,		/* could not run: the verdict is "error" */
};

/* The lists of findings, in report order. */
enum vs_report_list_kind {
	VS_RL_PACKAGES = 0,	/* packages tried: name -> file */
	VS_RL_MISSING_DEPS,	/* dependencies the VS lacks */
	VS_RL_PKG_FILES,	/* files changed that the package lists */
	VS_RL_OUTSIDE,		/* files changed outside the package's list */
	VS_RL_LEFTOVERS,	/* differences left after removal */
	VS_RL_USERS,		/* users added */
	VS_RL_GROUPS,		/* groups added */
	VS_RL_SETID,		/* set-uid / set-gid files added or changed */
	VS_RL_WORLD_WRITABLE,	/* world-writable files added or changed */
	VS_RL_PROCS_INSTALLED,	/* processes running after install */
	VS_RL_PROCS_REMOVED,	/* processes still running after removal */
	VS_RL_PORTS,		/* ports listening after install */
	VS_RL_COUNT
};

struct vs_report_item {
	char *name;		/* path, user, pid, port... */
	char *detail;		/* "added", "content,mode", "sleep 100"... */
};

struct vs_report_list {
	struct vs_report_item *items;
	size_t n, alloc;
	size_t dropped;		/* items beyond the cap, only counted */
};

struct vs_report_step {
	char *name;
	enum vs_status status;
	long long ms;
	char *message;		/* one line, or NULL */
	char *output;		/* captured output (scriptlets), or NULL */
	int exit_code;		/* of the command the step ran, -1 none */
};

struct vs_report_check {
	char *name;
	enum vs_status status;
	long long ms;
	char *message;		/* why it failed, or a short note */
	char *output;		/* captured output, or NULL */
};

struct vs_report {
	char *title;		/* recipe name */
	char *vs;		/* the disposable VS's name */
	char *error;		/* why the trial could not run, or NULL */
	int kept;		/* the VS was kept (--keep) */
	long long total_ms;
	struct vs_report_step *steps;
	size_t n_steps, alloc_steps;
	struct vs_report_check *checks;
	size_t n_checks, alloc_checks;
	struct vs_report_list lists[VS_RL_COUNT];
	int progress_fd;	/* >= 0: a tty to print a line per step on */
	long long step_t0;	/* internal: start of the open step (ms) */
};

void vs_report_init(struct vs_report *r, const char *title);
void vs_report_release(struct vs_report *r);

/* Monotonic milliseconds (for step timing). */
long long vs_report_now_ms(void);

/* Open a step (progress line on progress_fd) and close it; returns the
 * step's index.  _end sets the status, time, message (printf-like). */
size_t vs_report_step_begin(struct vs_report *r, const char *name);
void vs_report_step_end(struct vs_report *r, size_t step,
    enum vs_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Attach captured output (copied, cut beyond 64 KiB) and an exit code. */
void vs_report_step_output(struct vs_report *r, size_t step,
    const char *out, size_t len, int exit_code);

/* Add a check; returns its index. */
size_t vs_report_check(struct vs_report *r, const char *name,
    enum vs_status st, long long ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void vs_report_check_output(struct vs_report *r, size_t check,
    const char *out, size_t len);

/* Add a finding (lists are capped at 10000 items; the rest is counted). */
void vs_report_add(struct vs_report *r, enum vs_report_list_kind list,
    const char *name, const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Drop a list's items (a policy the recipe ignores). */
void vs_report_clear_list(struct vs_report *r, enum vs_report_list_kind list);

/* The verdict: 0 pass, 1 a check failed, 3 could not run (error set or
 * a check in error).  These are vstry's exit codes. */
int vs_report_verdict(const struct vs_report *r);
const char *vs_status_name(enum vs_status st);
const char *vs_report_list_key(enum vs_report_list_kind k);

/* Renderings.  human: color when color != 0. */
void vs_report_human(const struct vs_report *r, struct vs_buf *out,
    int color);
void vs_report_json(const struct vs_report *r, struct vs_buf *out);
void vs_report_junit(const struct vs_report *r, struct vs_buf *out);
void vs_report_tap(const struct vs_report *r, struct vs_buf *out);

#endif
