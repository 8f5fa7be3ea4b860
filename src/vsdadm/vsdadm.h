/* vsdadm.h - the command layer of vsdadm and the transport it uses.
 *
 * cmd_*.c parse a subcommand's arguments and print results; they reach
 * VSs only through struct vsdadm_ops, so routing vsdadm through vsd
 * later means adding a transport beside local.c, not touching commands.
 */
#ifndef VSDADM_H
#define VSDADM_H

#include "conf.h"
#include "err.h"
#include "journal.h"
#include "state.h"
#include "vsroot.h"

/* exit codes (vsdadm(8)) */
#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2
#define EX_TEMP		3

struct vsdadm_ops {
	int (*create)(const struct vs_conf *, const struct vs_create_req *,
	    struct vs_rec *, struct vs_create_stats *, struct vs_err *);
	int (*delete)(const struct vs_conf *, const char *, struct vs_err *);
	int (*list)(const struct vs_conf *, struct vs_rec **, size_t *,
	    struct vs_err *);
	int (*info)(const struct vs_conf *, const char *, struct vs_rec *,
	    struct vs_root_usage *, int *running, struct vs_err *);
	int (*reconcile)(const struct vs_conf *, struct vs_buf *,
	    struct vs_err *);
};

struct vsdadm {
	struct vs_conf conf;
	const struct vsdadm_ops *ops;
	int json;
};

extern const struct vsdadm_ops vsdadm_local;
extern const struct vsdadm_ops vsdadm_remote;	/* through vsd (remote.c) */

/* The host vsdadm_remote talks to: "localhost" (unix socket) or a TCP
 * host name. */
void vsdadm_set_host(const char *host);

/* Each command gets argv[0] = its own name. */
int cmd_create(struct vsdadm *a, int argc, char **argv);
int cmd_vs_create(struct vsdadm *a, int argc, char **argv);
int cmd_delete(struct vsdadm *a, int argc, char **argv);
int cmd_vs_delete(struct vsdadm *a, int argc, char **argv);
int cmd_list(struct vsdadm *a, int argc, char **argv);
int cmd_vs_list(struct vsdadm *a, int argc, char **argv);
int cmd_info(struct vsdadm *a, int argc, char **argv);
int cmd_reconcile(struct vsdadm *a, int argc, char **argv);
int cmd_raw(struct vsdadm *a, int argc, char **argv);
/* any other protocol command, sent as is (remote.c) */
int cmd_proto(struct vsdadm *a, int argc, char **argv);

/* Print err as "vsdadm: msg" and map errno to an exit code. */
int vsdadm_fail(const struct vs_err *err);
/* "vsdadm: msg" + usage hint; returns EX_USAGE. */
int vsdadm_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a number argument in [min, max] or complain (EX_USAGE). */
int vsdadm_number(const char *what, const char *s, long long min,
    long long max, long long *v);
/* The legacy forms' HOST argument: localhost, or a TCP host (not with
 * --local). */
int vsdadm_host(const char *host);
/* A record as JSON (an object), or as "key: value" lines. */
void vsdadm_rec_json(struct vs_buf *b, const struct vs_rec *r);

#endif
