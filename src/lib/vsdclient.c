/* vsdclient.c - blocking client of the vsd line protocol: connect, greet,
 * send a command, read one framed answer (see proto.h for the framing). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto.h"
#include "vsdclient.h"
#include "xmem.h"
#include "banned.h"

void
vs_answer_release(struct vs_answer *a)
{
	vs_buf_release(&a->text);
	vs_buf_release(&a->body);
	a->ok = a->code = a->has_body = 0;
}

void
vs_client_close(struct vs_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	vs_buf_release(&c->in);
	vs_buf_release(&c->greeting);
}

/* Next line (without "\n" or "\r\n") into *line; waits up to the timeout. */
static int
read_line(struct vs_client *c, struct vs_buf *line, struct vs_err *err)
{
	for (;;) {
		char *nl = memchr(c->in.buf, '\n', c->in.len);
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		char tmp[65536];
		ssize_t n;
		int r;

		if (nl) {
			size_t l = (size_t)(nl - c->in.buf);

			vs_buf_reset(line);
			vs_buf_add(line, c->in.buf, l && nl[-1] == '\r' ?
			    l - 1 : l);
			memmove(c->in.buf, nl + 1, c->in.len - l - 1);
			vs_buf_setlen(&c->in, c->in.len - l - 1);
			return 0;
		}
		if (c->in.len > VS_CLIENT_MAX_ANSWER)
			return vs_err_set(err, EFBIG, "answer line too long");
		r = poll(&pfd, 1, c->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vs_err_sys(err, "poll");
		if (r == 0)
			return vs_err_set(err, ETIMEDOUT, "no answer from vsd "
			    "within %d s", c->timeout_ms / 1000);
		n = read(c->fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vs_err_sys(err, "cannot read from vsd");
		if (n == 0)
			return vs_err_set(err, ECONNRESET, "vsd closed the "
			    "connection");
		vs_buf_add(&c->in, tmp, (size_t)n);
	}
}

int
vs_client_read(struct vs_client *c, struct vs_answer *a, struct vs_err *err)
{
	struct vs_buf line = VS_BUF_INIT;
	const char *t;
	int rc = -1;

	vs_answer_release(a);
	if (read_line(c, &line, err) < 0)
		goto out;
	if (strncmp(line.buf, "+OK", 3) == 0 &&
	    (line.buf[3] == ' ' || !line.buf[3])) {
		a->ok = 1;
		t = line.buf + 3 + (line.buf[3] == ' ');
	} else if (strncmp(line.buf, "-ERR ", 5) == 0) {
		char *end;

		a->code = (int)strtol(line.buf + 5, &end, 10);
		t = *end == ' ' ? end + 1 : end;
	} else {
		vs_err_set(err, EPROTO, "malformed answer from vsd: '%.80s'",
		    line.buf);
		goto out;
	}
	vs_buf_adds(&a->text, t);
	if (a->ok && a->text.len >= 1 && a->text.buf[a->text.len - 1] == '{' &&
	    (a->text.len == 1 || a->text.buf[a->text.len - 2] == ' ')) {
		a->has_body = 1;
		vs_buf_setlen(&a->text, a->text.len - 1);
		vs_buf_rtrim(&a->text);
		for (;;) {
			if (read_line(c, &line, err) < 0)
				goto out;
			if (line.len == 1 && line.buf[0] == '}')
				break;
			t = line.buf;
			if (*t == '\\')
				t++;
			vs_buf_adds(&a->body, t);
			vs_buf_addch(&a->body, '\n');
			if (a->body.len > VS_CLIENT_MAX_ANSWER) {
				vs_err_set(err, EFBIG, "answer too long");
				goto out;
			}
		}
	}
	rc = 0;
out:
	vs_buf_release(&line);
	return rc;
}

int
vs_client_write(struct vs_client *c, const void *data, size_t len,
    struct vs_err *err)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vs_err_sys(err, "cannot write to vsd");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
vs_client_greet(struct vs_client *c, struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;

	if (vs_client_read(c, &a, err) < 0)
		return -1;
	if (!a.ok) {
		/* e.g. -ERR 429 too many clients */
		errno = a.code == VS_PROTO_E_LIMIT ? EAGAIN : ECONNREFUSED;
		vs_err_set(err, errno, "vsd refused: %s", a.text.buf);
		vs_answer_release(&a);
		return -1;
	}
	vs_buf_reset(&c->greeting);
	vs_buf_adds(&c->greeting, a.text.buf);
	vs_answer_release(&a);
	return 0;
}

int
vs_client_connect_unix(struct vs_client *c, const char *path,
    struct vs_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vs_err_set(err, ENAMETOOLONG, "socket path too long: "
		    "'%s'", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vs_err_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vs_err_sys(err, "cannot connect to vsd at '%s'", path);
		close(fd);
		return -1;
	}
	c->fd = fd;
	if (vs_client_greet(c, err) < 0) {
		vs_err_prefix(err, "'%s'", path);
		vs_client_close(c);
		return -1;
	}
	return 0;
}

int
vs_client_cmd(struct vs_client *c, const char *scope, int argc,
    char *const *argv, const char *data, size_t datalen,
    struct vs_answer *a, struct vs_err *err)
{
	struct vs_buf words = VS_BUF_INIT, req = VS_BUF_INIT;
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (i)
			vs_buf_addch(&words, ' ');
		vs_proto_quote(&words, argv[i]);
	}
	if (scope) {
		vs_proto_quote(&req, scope);
		/* a one-line group cannot carry a data block */
		vs_buf_adds(&req, data ? " {\n" : " { ");
	}
	vs_buf_add(&req, words.buf, words.len);
	if (data) {
		vs_buf_adds(&req, " {\n");
		vs_proto_stuff(&req, data, datalen);
		vs_buf_adds(&req, scope ? "}\n}\n" : "}\n");
	} else
		vs_buf_adds(&req, scope ? " }\n" : "\n");
	rc = vs_client_write(c, req.buf, req.len, err);
	vs_buf_release(&req);
	vs_buf_release(&words);
	if (rc < 0)
		return -1;
	return vs_client_read(c, a, err);
}

int
vs_client_bye(struct vs_client *c, struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	int rc;

	if (vs_client_write(c, "EOF\n", 4, err) < 0)
		return -1;
	rc = vs_client_read(c, &a, err);
	vs_answer_release(&a);
	return rc;
}

int
vs_client_connect_vs(struct vs_client *c, struct vs_err *err)
{
	static const char *paths[] = { "/run/vsd.sock", "/run/vsd/vsd.sock" };
	const char *env = getenv("VSD_SOCKET");
	size_t i;

	if (env && *env)
		return vs_client_connect_unix(c, env, err);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (access(paths[i], F_OK) < 0 && i + 1 < sizeof(paths) /
		    sizeof(paths[0]))
			continue;
		return vs_client_connect_unix(c, paths[i], err);
	}
	return -1;
}

int
vs_client_exit_code(const struct vs_answer *a, int errnum)
{
	if (a && a->ok)
		return 0;
	if (a && a->code) {
		if (a->code == VS_PROTO_E_SYNTAX)
			return 2;
		if (a->code == VS_PROTO_E_UNAVAIL || a->code == VS_PROTO_E_LIMIT)
			return 3;
		return 1;
	}
	/* no answer: the daemon is not there or went away */
	switch (errnum) {
	case ENOENT: case ECONNREFUSED: case ETIMEDOUT: case EAGAIN:
	case ECONNRESET: case EPIPE:
		return 3;
	default:
		return 1;
	}
}
