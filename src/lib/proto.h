/* proto.h - the vsd line protocol (freeVSD-compatible): request parsing
 * and answer framing, shared by the daemon and its clients.
 *
 * Requests are lines of words split by conf.h's vs_words_split() ("double
 * quoted" words may hold spaces; '#' starts a comment outside quotes).
 *   - `cmd args...`                    one command
 *   - `NAME {` ... `}`                 a group: every command inside acts on
 *                                      VS NAME (its name is not repeated)
 *   - `NAME { cmd args... }`           a group of one command on one line
 *   - `cmd args... {` ... `}`          a data block: the raw lines up to a
 *                                      lone `}` are the command's data; a
 *                                      data line starting with '\' loses
 *                                      that first '\' (so `\}` is a '}' line)
 *   - `EOF`                            end of input (the server signs off)
 * A two-word line `X {` is a data block when X is a command (the caller's
 * is_cmd() says), else a group.  Groups do not nest.
 *
 * Answers: one status line `+OK text` or `-ERR code text`; a status line
 * ending in " {" is followed by data lines and a lone `}` line, with the
 * same '\' stuffing, so a client always finds the end of an answer.
 *
 * Memory is bounded: a line longer than max_line is answered with an error
 * and skipped without being stored; a data block larger than max_data too.
 * The parser is not thread-safe; one per connection.
 */
#ifndef VS_PROTO_H
#define VS_PROTO_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "valid.h"

#define VS_PROTO_MAX_WORDS	32

/* -ERR codes (the numbers are part of the protocol, docs/protocol.md). */
enum {
	VS_PROTO_E_SYNTAX	= 400,	/* malformed line or arguments */
	VS_PROTO_E_AUTH		= 401,	/* authenticate first / auth failed */
	VS_PROTO_E_FORBIDDEN	= 403,	/* caller may not do this */
	VS_PROTO_E_NOTFOUND	= 404,	/* no such VS, user, name */
	VS_PROTO_E_CONFLICT	= 409,	/* exists already, running, busy */
	VS_PROTO_E_TOOBIG	= 413,	/* line or data block too long */
	VS_PROTO_E_LIMIT	= 429,	/* too many failures / clients */
	VS_PROTO_E_INTERNAL	= 500,	/* the operation failed */
	VS_PROTO_E_UNKNOWN	= 501,	/* unknown command */
	VS_PROTO_E_UNAVAIL	= 503,	/* not available now, try later */
};

enum vs_proto_ev {
	VS_PROTO_NEED_MORE = 0,	/* feed more input */
	VS_PROTO_CMD,		/* a command is in p->cmd */
	VS_PROTO_EOF,		/* `EOF` (or the input ended, see _finish) */
	VS_PROTO_ERROR,		/* p->err_code / p->err_msg; parsing goes on */
};

struct vs_proto_cmd {
	char scope[VS_NAME_MAX + 1];	/* group name, "" outside a group */
	int argc;			/* >= 1 */
	char **argv;			/* borrowed from the parser */
	int has_data;
	struct vs_buf data;		/* the data block, '\n' after each line */
};

struct vs_proto {
	size_t max_line, max_data;
	int (*is_cmd)(const char *word);
	struct vs_buf in;	/* received, not yet parsed */
	size_t off;		/* parsed up to here */
	int state;		/* see proto.c */
	int skipping;		/* inside an overlong line */
	int data_skip;		/* inside an oversized data block */
	char scope[VS_NAME_MAX + 1];
	struct vs_words words;
	struct vs_proto_cmd cmd;
	int err_code;
	char err_msg[256];
};

/* max_line >= 64; is_cmd may be NULL (every `X {` is then a group). */
void vs_proto_init(struct vs_proto *p, size_t max_line, size_t max_data,
    int (*is_cmd)(const char *word));
void vs_proto_release(struct vs_proto *p);

/* Append received bytes.  Buffered input stays below max_line plus what
 * one call adds, as long as the caller calls vs_proto_next() until it
 * returns VS_PROTO_NEED_MORE before feeding again. */
void vs_proto_feed(struct vs_proto *p, const void *data, size_t len);

/* Parse the next event; for VS_PROTO_CMD p->cmd is valid until the next
 * call.  Never fails otherwise. */
enum vs_proto_ev vs_proto_next(struct vs_proto *p);

/* Unparsed bytes held (for back-pressure decisions). */
size_t vs_proto_pending(const struct vs_proto *p);

/* ---- answers ------------------------------------------------------- */

void vs_proto_ok(struct vs_buf *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vs_proto_err(struct vs_buf *out, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* `+OK status {`, body lines stuffed, `}`.  body[0..len) is text; a
 * missing final newline is added. */
void vs_proto_block(struct vs_buf *out, const char *body, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Add body as data lines (stuffed) without the status or `}` lines. */
void vs_proto_stuff(struct vs_buf *out, const char *body, size_t len);

/* Append word w quoted for vs_words_split() when needed. */
void vs_proto_quote(struct vs_buf *out, const char *w);

/* A -ERR code for an errno value (ENOENT 404, EEXIST 409, ...). */
int vs_proto_errno_code(int errnum);

#endif
