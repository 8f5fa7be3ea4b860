/* proto.c - the vsd line protocol: a bounded, incremental request parser
 * (lines, groups, data blocks) and the framing of answers.  The grammar
 * is in proto.h and docs/protocol.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "xmem.h"
#include "banned.h"

void
vs_proto_init(struct vs_proto *p, size_t max_line, size_t max_data,
    int (*is_cmd)(const char *word))
{
	memset(p, 0, sizeof(*p));
	p->max_line = max_line < 64 ? 64 : max_line;
	p->max_data = max_data;
	p->is_cmd = is_cmd;
	vs_buf_init(&p->in, 0);
	vs_buf_init(&p->cmd.data, 0);
	p->words = (struct vs_words)VS_WORDS_INIT;
}

void
vs_proto_release(struct vs_proto *p)
{
	vs_buf_release(&p->in);
	vs_buf_release(&p->cmd.data);
	vs_words_release(&p->words);
	memset(p, 0, sizeof(*p));
}

size_t
vs_proto_pending(const struct vs_proto *p)
{
	return p->in.len - p->off;
}

void
vs_proto_feed(struct vs_proto *p, const void *data, size_t len)
{
	/* drop what was parsed before growing, so the buffer stays small */
	if (p->off) {
		memmove(p->in.buf, p->in.buf + p->off, p->in.len - p->off);
		vs_buf_setlen(&p->in, p->in.len - p->off);
		p->off = 0;
	}
	vs_buf_add(&p->in, data, len);
}

static enum vs_proto_ev
fail(struct vs_proto *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum vs_proto_ev
fail(struct vs_proto *p, int code, const char *fmt, ...)
{
	va_list ap;

	p->err_code = code;
	va_start(ap, fmt);
	vsnprintf(p->err_msg, sizeof(p->err_msg), fmt, ap);
	va_end(ap);
	return VS_PROTO_ERROR;
}

static int
is_brace(const char *w)
{
	return (w[0] == '{' || w[0] == '}') && !w[1];
}

/* One line of a data block (without its newline). */
static enum vs_proto_ev
data_line(struct vs_proto *p, const char *l, size_t len)
{
	if (len == 1 && l[0] == '}') {
		p->state = 0;
		if (p->data_skip) {
			p->data_skip = 0;
			return VS_PROTO_NEED_MORE;	/* already reported */
		}
		return VS_PROTO_CMD;
	}
	if (p->data_skip)
		return VS_PROTO_NEED_MORE;
	if (len && l[0] == '\\') {
		l++;
		len--;
	}
	if (p->cmd.data.len + len + 1 > p->max_data) {
		p->data_skip = 1;
		vs_buf_release(&p->cmd.data);
		return fail(p, VS_PROTO_E_TOOBIG, "data block longer than %zu "
		    "bytes", p->max_data);
	}
	vs_buf_add(&p->cmd.data, l, len);
	vs_buf_addch(&p->cmd.data, '\n');
	return VS_PROTO_NEED_MORE;
}

/* One request line outside a data block. */
static enum vs_proto_ev
request_line(struct vs_proto *p, const char *l, size_t len)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_words *w = &p->words;
	int i, first = 0, last;

	if (vs_words_split(w, l, len, VS_PROTO_MAX_WORDS, &err) < 0)
		return fail(p, VS_PROTO_E_SYNTAX, "%s", err.msg);
	if (w->argc == 0)
		return VS_PROTO_NEED_MORE;
	last = w->argc - 1;
	if (w->argc == 1 && strcmp(w->argv[0], "EOF") == 0)
		return VS_PROTO_EOF;
	if (strcmp(w->argv[0], "}") == 0) {
		if (w->argc > 1)
			return fail(p, VS_PROTO_E_SYNTAX, "junk after '}'");
		if (!p->scope[0])
			return fail(p, VS_PROTO_E_SYNTAX, "'}' without '{'");
		p->scope[0] = '\0';
		return VS_PROTO_NEED_MORE;
	}
	snprintf(p->cmd.scope, sizeof(p->cmd.scope), "%s", p->scope);
	if (w->argc >= 2 && strcmp(w->argv[1], "{") == 0 &&
	    !(p->is_cmd && p->is_cmd(w->argv[0]))) {
		/* a group: `NAME {` or `NAME { cmd args }` */
		if (p->scope[0])
			return fail(p, VS_PROTO_E_SYNTAX, "groups do not nest "
			    "(already in '%s')", p->scope);
		if (!vs_valid_name(w->argv[0]))
			return fail(p, VS_PROTO_E_SYNTAX, "invalid server name "
			    "or unknown command '%.64s'", w->argv[0]);
		if (w->argc == 2) {
			snprintf(p->scope, sizeof(p->scope), "%s", w->argv[0]);
			return VS_PROTO_NEED_MORE;
		}
		if (w->argc < 4 || strcmp(w->argv[last], "}") != 0)
			return fail(p, VS_PROTO_E_SYNTAX, "unbalanced braces");
		snprintf(p->cmd.scope, sizeof(p->cmd.scope), "%s", w->argv[0]);
		first = 2;
		w->argv[last] = NULL;
		last--;
	}
	p->cmd.has_data = 0;
	if (last > first && strcmp(w->argv[last], "{") == 0) {
		p->cmd.has_data = 1;
		w->argv[last] = NULL;
		last--;
	}
	for (i = first; i <= last; i++)
		if (is_brace(w->argv[i]))
			return fail(p, VS_PROTO_E_SYNTAX, "unexpected '%s'",
			    w->argv[i]);
	p->cmd.argv = w->argv + first;
	p->cmd.argc = last - first + 1;
	if (p->cmd.has_data) {
		vs_buf_reset(&p->cmd.data);
		p->state = 1;
		return VS_PROTO_NEED_MORE;
	}
	return VS_PROTO_CMD;
}

enum vs_proto_ev
vs_proto_next(struct vs_proto *p)
{
	enum vs_proto_ev ev;

	for (;;) {
		char *l = p->in.buf + p->off;
		size_t avail = p->in.len - p->off, len;
		char *nl = memchr(l, '\n', avail);

		if (!nl) {
			if (avail <= p->max_line && !p->skipping)
				return VS_PROTO_NEED_MORE;
			/* an overlong line: forget it, keep forgetting up to
			 * its newline, report it once */
			vs_buf_reset(&p->in);
			p->off = 0;
			if (p->skipping)
				return VS_PROTO_NEED_MORE;
			p->skipping = 1;
			if (p->state == 1 && !p->data_skip) {
				p->data_skip = 1;
				vs_buf_release(&p->cmd.data);
			}
			return fail(p, VS_PROTO_E_TOOBIG, "line longer than %zu "
			    "bytes", p->max_line);
		}
		len = (size_t)(nl - l);
		p->off += len + 1;
		if (p->skipping) {
			p->skipping = 0;	/* the tail of an overlong line */
			continue;
		}
		if (len > p->max_line) {
			if (p->state == 1 && !p->data_skip) {
				p->data_skip = 1;
				vs_buf_release(&p->cmd.data);
			}
			return fail(p, VS_PROTO_E_TOOBIG, "line longer than %zu "
			    "bytes", p->max_line);
		}
		if (len && l[len - 1] == '\r')
			len--;
		if (p->state == 1)
			ev = data_line(p, l, len);
		else
			ev = request_line(p, l, len);
		if (ev != VS_PROTO_NEED_MORE)
			return ev;
	}
}

/* ---- answers ------------------------------------------------------- */

/* Status text is one line: control bytes become '?'. */
static void
add_status(struct vs_buf *out, const char *fmt, va_list ap)
{
	size_t start = out->len, i;

	vs_buf_vaddf(out, fmt, ap);
	for (i = start; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20 || out->buf[i] == 0x7f)
			out->buf[i] = '?';
}

void
vs_proto_ok(struct vs_buf *out, const char *fmt, ...)
{
	va_list ap;

	vs_buf_adds(out, "+OK ");
	va_start(ap, fmt);
	add_status(out, fmt, ap);
	va_end(ap);
	vs_buf_addch(out, '\n');
}

void
vs_proto_err(struct vs_buf *out, int code, const char *fmt, ...)
{
	va_list ap;

	vs_buf_addf(out, "-ERR %d ", code);
	va_start(ap, fmt);
	add_status(out, fmt, ap);
	va_end(ap);
	vs_buf_addch(out, '\n');
}

void
vs_proto_stuff(struct vs_buf *out, const char *body, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (body + i)) : len - i;

		if (l && (body[i] == '}' || body[i] == '\\'))
			vs_buf_addch(out, '\\');
		vs_buf_add(out, body + i, l);
		vs_buf_addch(out, '\n');
		i += l + 1;
	}
}

void
vs_proto_block(struct vs_buf *out, const char *body, size_t len,
    const char *fmt, ...)
{
	va_list ap;

	vs_buf_adds(out, "+OK ");
	va_start(ap, fmt);
	add_status(out, fmt, ap);
	va_end(ap);
	vs_buf_adds(out, " {\n");
	vs_proto_stuff(out, body, len);
	vs_buf_adds(out, "}\n");
}

void
vs_proto_quote(struct vs_buf *out, const char *w)
{
	const char *s;

	if (*w && !strpbrk(w, " \t\r\n\"#\\'") ) {
		for (s = w; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				break;
		if (!*s) {
			vs_buf_adds(out, w);
			return;
		}
	}
	vs_buf_addch(out, '"');
	for (s = w; *s; s++) {
		if (*s == '"' || *s == '\\')
			vs_buf_addch(out, '\\');
		if (*s == '\n')
			vs_buf_adds(out, "\\n");
		else if (*s == '\t')
			vs_buf_adds(out, "\\t");
		else
			vs_buf_addch(out, *s);
	}
	vs_buf_addch(out, '"');
}

int
vs_proto_errno_code(int errnum)
{
	switch (errnum) {
	case ENOENT: case ESRCH:
		return VS_PROTO_E_NOTFOUND;
	case EEXIST: case EBUSY: case ENOTEMPTY: case EALREADY:
		return VS_PROTO_E_CONFLICT;
	case EACCES: case EPERM:
		return VS_PROTO_E_FORBIDDEN;
	case EINVAL: case ENAMETOOLONG: case ERANGE: case E2BIG:
		return VS_PROTO_E_SYNTAX;
	case ENOSYS: case EAGAIN: case ETIMEDOUT: case ENOTCONN:
		return VS_PROTO_E_UNAVAIL;
	case ENOSPC: case EDQUOT: case EMFILE: case ENFILE:
		return VS_PROTO_E_LIMIT;
	default:
		return VS_PROTO_E_INTERNAL;
	}
}
