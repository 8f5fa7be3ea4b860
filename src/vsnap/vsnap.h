/* vsnap.h - shared by vsnap's main.c and cmd_*.c. */
#ifndef VSNAP_H
#define VSNAP_H

#include "conf.h"
#include "err.h"
#include "snap.h"

#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2
#define EX_TEMP		3

struct vsnap {
	struct vs_conf conf;
	int json;
	int progress;		/* stderr is a tty and not --quiet */
};

int cmd_save(struct vsnap *, int, char **);
int cmd_list(struct vsnap *, int, char **);
int cmd_restore(struct vsnap *, int, char **);
int cmd_delete(struct vsnap *, int, char **);
int cmd_diff(struct vsnap *, int, char **);
int cmd_export(struct vsnap *, int, char **);
int cmd_import(struct vsnap *, int, char **);
int cmd_verify(struct vsnap *, int, char **);

/* Print "vsnap: msg" and the usage; returns EX_USAGE. */
int vsnap_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the error; returns EX_TEMP for a held lock, else EX_FAIL. */
int vsnap_fail(const struct vs_err *err);
/* Parse the options shared by restore/import/verify (--max-bytes,
 * --max-entries, --allow-fifo, ...) and -m/--full/-o of save; returns
 * optind or -1 (usage printed). */
int vsnap_opts(struct vsnap *v, int argc, char **argv, const char *allowed,
    struct vs_snap_opts *o);
/* End a progress line on the terminal. */
void vsnap_progress_done(struct vsnap *v);
/* The JSON members describing a snapshot (no braces): vs, id, created,
 * full, size, skel_id, message, and entries, bytes, skel_files once read
 * (verify).  list and verify print the same names. */
struct vs_buf;
void vsnap_info_json(struct vs_buf *b, const struct vs_snap_info *in);

#endif
