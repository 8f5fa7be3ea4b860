/* vsd.h - internals of the management daemon shared by its files:
 * control.c (sockets, clients, the event loop), cmd.c (the command table
 * and who may run what), priv.c (running an operation in a worker
 * process), mod_*.c (the protocol's modules). */
#ifndef VSD_H
#define VSD_H

#include <stdint.h>
#include <sys/types.h>

#include "atfile.h"
#include "buf.h"
#include "conf.h"
#include "state.h"
#include "valid.h"

/* Who is calling: decided by the listener and the kernel (SO_PEERCRED),
 * never by the request. */
enum vsd_role {
	VSD_NONE	= 0,		/* TCP, not authenticated yet */
	VSD_LOCAL	= 1u << 0,	/* any other host user (unix socket) */
	VSD_ADMIN	= 1u << 1,	/* host root, admin group, TCP+auth */
	VSD_VSADMIN	= 1u << 2,	/* uid 0 of a VS, on its own socket */
	VSD_VSUSER	= 1u << 3,	/* another uid of a VS, its socket */
};

#define VSD_ANY_VS	(VSD_VSADMIN | VSD_VSUSER)

struct vsd_caller {
	enum vsd_role role;
	uid_t uid;			/* host uid; VS uid for VS roles */
	uid_t host_uid;			/* as the kernel reported it */
	char vs[VS_NAME_MAX + 1];	/* the VS of a VS socket */
	char peer[80];			/* for the log: "uid 0", "127.0.0.1:4711" */
};

/* One command to execute.  Handlers write exactly one answer to out. */
struct vsd_req {
	const struct vs_conf *conf;
	const struct vsd_caller *who;
	const char *vs;			/* target VS, NULL if the command has none */
	int argc;			/* operands after the VS name */
	char **argv;
	const struct vs_buf *data;	/* data block, NULL if none */
	struct vs_buf *out;
};

typedef void (*vsd_cmd_fn)(struct vsd_req *r);

enum vsd_mode {
	VSD_INLINE,	/* quick and read-only: runs in the event loop */
	VSD_WORKER,	/* runs in a worker process, serialised per VS */
	VSD_LOCKED,	/* the same, holding the VS's lock (state.h) too:
			 * serialised with other tools (vsdadm --local, vsnap) */
};

struct vsd_cmd {
	const char *name;
	const char *module;
	int takes_vs;		/* first operand is the VS (or the group's) */
	int min, max;		/* operands after the VS name */
	int data;		/* 1: needs a data block */
	unsigned who;		/* roles allowed (enum vsd_role bits) */
	enum vsd_mode mode;
	vsd_cmd_fn fn;
	const char *usage;	/* operands, for help and errors */
};

/* cmd.c */
const struct vsd_cmd *vsd_cmd_find(const char *name);
int vsd_cmd_is(const char *word);
const struct vsd_cmd *vsd_cmd_table(size_t *n);

/*
 * The front (control.c, unprivileged) and the executor (priv.c, root)
 * talk over a SOCK_SEQPACKET pair.  The front sends one fixed-size
 * struct vsd_xreq per command, with SCM_RIGHTS: for a command that runs
 * in a worker the write end of a pipe for the answer, and, if the command
 * has a data block, a memfd holding it (the executor reads it once,
 * bounded, then checks what it read).  The executor re-checks every
 * field and runs the command.  Answers of quick (inline) commands and of
 * the internal operations come back in the done messages themselves,
 * struct vsd_xdone followed by up to VSD_X_CHUNK bytes, `more` set on all
 * but the last; a worker's answer goes into its pipe, and a done message
 * without payload says it is complete.
 */
/* The front runs as uid and gid uid_base - 1: just below the VSs'
 * ranges, an id no account and no other daemon uses (vsd refuses VS
 * ranges that overlap host accounts), so nothing else on the host can
 * write where the front keeps the VS sockets.  Not "nobody", which many
 * daemons share. */
#define VSD_FRONT_ID(conf)	((uid_t)((conf)->uid_base - 1))

#define VSD_X_MAGIC	0x78647376u	/* "vsdx" */
#define VSD_X_ARGS	32		/* operands */
#define VSD_X_ARGLEN	1024		/* bytes of one operand, NUL included */
#define VSD_X_DATA_MAX	(1 << 20)

enum vsd_xop {
	VSD_XOP_SYNC = -1,	/* answer: "NAME UID_BASE UID_COUNT IP" lines;
				 * also makes run/vs/NAME/ for the front */
	VSD_XOP_SECRET = -2,	/* answer: "+OK HEX" secret or "-ERR ..." */
	VSD_XOP_RELOAD = -3,	/* re-read vsd.conf, then as SECRET */
	VSD_XOP_BEVS = -4,	/* SCM_RIGHTS: a connection accepted on
				 * run/bevs.sock, handed over unread; no
				 * answer (session.c talks to the client) */
};

struct vsd_xreq {
	uint32_t magic;
	uint32_t id;
	int32_t cmd;			/* index in the table, or enum vsd_xop */
	uint32_t role;			/* one enum vsd_role bit */
	uint32_t uid;			/* VS uid for VS roles */
	uint32_t has_pipe;		/* SCM_RIGHTS: the answer pipe first */
	uint32_t has_data;		/* then a memfd with the data block */
	uint32_t has_conn;		/* VSD_XOP_BEVS: the connection */
	char vs[VS_NAME_MAX + 1];	/* target, "" if none */
	char caller_vs[VS_NAME_MAX + 1];	/* VS of a VS socket, or "" */
	uint32_t argc;
	char argv[VSD_X_ARGS][VSD_X_ARGLEN];
};

#define VSD_X_CHUNK	32768

struct vsd_xdone {
	uint32_t magic;
	uint32_t id;
	int32_t status;			/* wait status of a worker, 0 inline */
	uint32_t more;			/* more chunks of this answer follow */
	uint32_t len;			/* payload bytes after this header */
};

/* priv.c: the executor's loop (returns the daemon's exit code), and
 * dropping the front's privileges. */
int vsd_exec_main(struct vs_conf *conf, const char *conf_path,
    int explicit_conf, int chan, pid_t front);
int vsd_drop_privileges(uid_t uid, struct vs_err *err);

/* control.c: the front.  Serve until SIGTERM; readyfd (or -1) gets one
 * byte once listening. */
int vsd_control_run(struct vs_conf *conf, const char *conf_path,
    int explicit_conf, int chan, int readyfd);

/* session.c (executor): bevs through vsd.  vsd_session_accept() takes a
 * connection of run/bevs.sock (closes it in any case): checks it is one,
 * reads the caller's credentials from the kernel, refuses or forks the
 * session process; vsd_session_reaped() is 1 when pid was a session (its
 * slot is free again). */
#define VSD_BEVS_SOCK	"run/bevs.sock"
void vsd_session_accept(const struct vs_conf *conf, int fd);
int vsd_session_reaped(pid_t pid);
/* The caller rule and the refusal, also the front's pre-filter: a
 * non-admin's connection is refused there and never costs the executor
 * (any local user can connect to bevs.sock).  vsd_session_refuse_caller()
 * logs at most one refusal a second (the rest are counted) and closes fd. */
int vsd_session_caller_ok(const struct vs_conf *conf, int fd);
void vsd_session_refuse_caller(const struct vs_conf *conf, int fd);

/* Helpers for handlers (cmd.c). */
void vsd_err_answer(struct vsd_req *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vsd_ok_answer(struct vsd_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Load the target VS's record; answers 404 and returns -1 if missing. */
int vsd_load_vs(struct vsd_req *r, struct vs_rec *rec);
/* Open the target VS's root directory (O_DIRECTORY|O_NOFOLLOW); answers
 * and returns -1 on failure. */
int vsd_open_root(struct vsd_req *r, const struct vs_rec *rec);

/* Modules. */
void mod_vs_create(struct vsd_req *r);
void mod_vs_delete(struct vsd_req *r);
void mod_vs_list(struct vsd_req *r);
void mod_vs_info(struct vsd_req *r);
void mod_vs_start(struct vsd_req *r);
void mod_vs_stop(struct vsd_req *r);
void mod_vs_restart(struct vsd_req *r);
void mod_vs_reboot(struct vsd_req *r);
void mod_vs_reconcile(struct vsd_req *r);
void mod_snap_save(struct vsd_req *r);
void mod_snap_list(struct vsd_req *r);
void mod_snap_diff(struct vsd_req *r);
void mod_snap_restore(struct vsd_req *r);
void mod_snap_delete(struct vsd_req *r);
void mod_user_add(struct vsd_req *r);
void mod_user_del(struct vsd_req *r);
void mod_user_list(struct vsd_req *r);
void mod_user_passwd(struct vsd_req *r);
void mod_priv_setrights(struct vsd_req *r);
void mod_priv_listrights(struct vsd_req *r);
void mod_quota_set(struct vsd_req *r);
void mod_quota_get(struct vsd_req *r);
void mod_apache_get(struct vsd_req *r);
void mod_apache_name(struct vsd_req *r);
void mod_apache_redirect(struct vsd_req *r);
void mod_sendmail_get(struct vsd_req *r);
void mod_sendmail_set(struct vsd_req *r);

/* mod_priv.c: vs_rights_apply() to the VS after a change of rights or
 * users (the caller holds the VS's lock: VSD_LOCKED).  0, or -1 with
 * why (reset first) saying in one line what is not enforced. */
int vsd_rights_enforce(struct vsd_req *r, const struct vs_rec *rec,
    struct vs_buf *why);

/* mod_user.c: name of VS uid in the VS's /etc/passwd (buf of
 * VS_USER_MAX+1), or -1. */
int vsd_vs_username(const struct vs_conf *conf, const struct vs_rec *rec,
    uid_t vsuid, char *buf);
/* uid of user in the VS's /etc/passwd; -1 (ENOENT) if none. */
int vsd_vs_user_uid(const struct vs_conf *conf, const struct vs_rec *rec,
    const char *user, long long *uid);

#endif
