/* virtuald.h - internal interfaces of virtuald. */
#ifndef VIRTUALD_H
#define VIRTUALD_H

#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "valid.h"

#define VD_MAX_SERVICES	64
#define VD_MAX_ARGS	32
#define VD_NAME_MAX	32

enum vd_mode {
	VD_NOWAIT,	/* one program per connection, connection on 0/1/2 */
	VD_WAIT,	/* on demand: one daemon gets the listening socket */
};

enum vd_proto { VD_TCP, VD_UDP };

/* How a wait service's daemon gets the socket. */
enum vd_pass {
	VD_PASS_DEFAULT,	/* TCP: fd3, UDP: stdio */
	VD_PASS_FD3,		/* fd 3, LISTEN_FDS=1, LISTEN_PID (systemd) */
	VD_PASS_STDIO,		/* stdin and stdout (inetd) */
};

struct vd_service {
	char name[VD_NAME_MAX + 1];
	int port;
	enum vd_proto proto;
	enum vd_mode mode;
	enum vd_pass pass;	/* wait only; resolved: never DEFAULT */
	char user[VS_USER_MAX + 1];
	char *argv[VD_MAX_ARGS + 1];	/* program then args; heap */
	int login;		/* the user needs the VS's login right */
	int max_conns;		/* nowait: programs at once; 0 = default */
	int rate;		/* nowait: new connections per minute; 0 = none */
	int idle;		/* wait: stop the daemon after this many s idle */
};

struct vd_table {
	struct vd_service s[VD_MAX_SERVICES];
	int n;
	int max_conns;		/* all services of the VS; 0 = default */
};

/*
 * The service table of VS name: state_root/state/services/NAME (see
 * docs/virtuald-services.5).  A missing file is an empty table.  On
 * error *errors has "file:line: msg" lines and *t is untouched.
 */
int vd_table_load(const struct vs_conf *conf, const char *name,
    struct vd_table *t, struct vs_buf *errors);
void vd_table_release(struct vd_table *t);
/* 1 when a and b describe the same service (listener can be kept). */
int vd_service_same(const struct vd_service *a, const struct vd_service *b);

/* 1 if user has right in state_root/state/priv/NAME, 0 if not, -1 on
 * error (errno). */
int vd_has_right(const struct vs_conf *conf, const char *vs,
    const char *right, const char *user);

/* daemons.c: the on-demand daemons running, kept in
 * state_root/run/virtuald.daemons for the next virtuald after a crash */
struct vd_daemon {
	pid_t pid;
	unsigned long long start;	/* vs_proc_start() */
	char vs[VS_NAME_MAX + 1];
	char svc[VD_NAME_MAX + 1];
};

/* Field 22 of /proc/PID/stat (start time); 0 if gone or a zombie. */
/* Replace the record with d[0..n); -1 with errno on failure. */
int vd_daemons_save(const struct vs_conf *conf, const struct vd_daemon *d,
    size_t n);
/* Kill the daemons a previous virtuald recorded that still run (same
 * pid and start time), wait until they are gone, remove the record.
 * Returns how many were stopped. */
int vd_daemons_stop_stale(const struct vs_conf *conf);

#endif
