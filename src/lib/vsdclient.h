/* vsdclient.h - the client side of the vsd protocol (proto.h): connect,
 * read the greeting, send commands, read framed answers.  Used by vsdadm
 * and by the tools inside a VS (setrights, listrights, rebootvs), which
 * link statically: this module needs nothing but libc (TCP authentication
 * is auth.h's vs_auth_client(); TCP connect is in vsdclient_net.c).
 *
 * Blocking I/O with a timeout per answer.  Not thread-safe.
 */
#ifndef VS_VSDCLIENT_H
#define VS_VSDCLIENT_H

#include "buf.h"
#include "err.h"

#define VS_CLIENT_MAX_ANSWER	(64 << 20)	/* bytes of one answer */

struct vs_client {
	int fd;
	int timeout_ms;		/* per answer; default 600 s */
	struct vs_buf in;	/* received, not yet consumed */
	struct vs_buf greeting;	/* the server's first line */
};

#define VS_CLIENT_INIT { -1, 600000, VS_BUF_INIT, VS_BUF_INIT }

struct vs_answer {
	int ok;			/* 1: +OK, 0: -ERR */
	int code;		/* -ERR code, 0 for +OK */
	struct vs_buf text;	/* status text after "+OK " / "-ERR N " */
	int has_body;
	struct vs_buf body;	/* data lines, unstuffed, '\n' after each */
};

#define VS_ANSWER_INIT { 0, 0, VS_BUF_INIT, 0, VS_BUF_INIT }

void vs_answer_release(struct vs_answer *a);

/* Connect and read the greeting (which must start with "+OK ").  Errors
 * name the socket or host; errno ECONNREFUSED/ENOENT/ETIMEDOUT mean the
 * daemon is not reachable (exit code 3 for tools). */
int vs_client_connect_unix(struct vs_client *c, const char *path,
    struct vs_err *err);
int vs_client_connect_tcp(struct vs_client *c, const char *host, int port,
    struct vs_err *err);
void vs_client_close(struct vs_client *c);

/* Read the greeting on a connected c->fd (done by the connect calls). */
int vs_client_greet(struct vs_client *c, struct vs_err *err);

/* Inside a VS: $VSD_SOCKET, else /run/vsd.sock, else /run/vsd/vsd.sock. */
int vs_client_connect_vs(struct vs_client *c, struct vs_err *err);

/* Exit code for a tool (0 ok, 1 failed/refused, 2 bad request (400),
 * 3 temporary: 503/429 or no daemon) from an answer (NULL if none came)
 * or the transport's errno. */
int vs_client_exit_code(const struct vs_answer *a, int errnum);

/* Send raw bytes (a complete line or block). */
int vs_client_write(struct vs_client *c, const void *data, size_t len,
    struct vs_err *err);

/* Read one answer into *a (released first). */
int vs_client_read(struct vs_client *c, struct vs_answer *a,
    struct vs_err *err);

/*
 * Send one command: argv words quoted as needed, optional data block
 * (data may be NULL), optional group scope (NULL = none); then read its
 * answer.  Returns 0 when an answer was read (look at a->ok), -1 on a
 * transport error.
 */
int vs_client_cmd(struct vs_client *c, const char *scope, int argc,
    char *const *argv, const char *data, size_t datalen,
    struct vs_answer *a, struct vs_err *err);

/* Send `EOF` and read the sign-off. */
int vs_client_bye(struct vs_client *c, struct vs_err *err);

#endif
