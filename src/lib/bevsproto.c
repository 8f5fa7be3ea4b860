/* bevsproto.c - checking and passing bevs's messages (bevsproto.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bevsproto.h"

static int
term_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("-_.+", s[i])))
			return 0;
	return 1;
}

int
vs_bevs_req_check(const struct vs_bevs_req *r, size_t len, char **argv,
    struct vs_err *err)
{
	size_t off = 0, i;

	if (len < offsetof(struct vs_bevs_req, argv) ||
	    r->magic != VS_BEVS_MAGIC)
		return vs_err_set(err, EPROTO, "malformed request");
	if (r->version != VS_BEVS_VERSION)
		return vs_err_set(err, EPROTO, "protocol version %u, this "
		    "vsd speaks %u: use the bevs of the same release",
		    (unsigned)r->version, VS_BEVS_VERSION);
	if ((r->flags & ~(uint32_t)(VS_BEVS_PTY | VS_BEVS_ARGV)) ||
	    r->argv_len > VS_BEVS_ARGV_MAX || len != VS_BEVS_REQ_LEN(r))
		return vs_err_set(err, EPROTO, "malformed request");
	if (!memchr(r->name, '\0', sizeof(r->name)) ||
	    !memchr(r->user, '\0', sizeof(r->user)) ||
	    !memchr(r->term, '\0', sizeof(r->term)))
		return vs_err_set(err, EPROTO, "malformed request");
	if (!vs_valid_name(r->name))
		return vs_err_set(err, EINVAL, "invalid VS name '%s'",
		    r->name);
	if (r->user[0] && !vs_valid_username(r->user))
		return vs_err_set(err, EINVAL, "invalid user name '%s'",
		    r->user);
	if (!term_ok(r->term))
		return vs_err_set(err, EINVAL, "invalid TERM value");
	if (!(r->flags & VS_BEVS_ARGV)) {
		if (r->argc || r->argv_len)
			return vs_err_set(err, EPROTO, "malformed request");
		return 0;
	}
	if (r->argc < 1 || r->argc > VS_BEVS_ARGC_MAX)
		return vs_err_set(err, E2BIG, "bad argument count %u",
		    (unsigned)r->argc);
	/* exactly argc NUL-terminated strings fill argv_len */
	for (i = 0; i < r->argc; i++) {
		const char *nul = memchr(r->argv + off, '\0',
		    r->argv_len - off);

		if (!nul)
			return vs_err_set(err, EPROTO, "malformed request");
		if (argv)
			argv[i] = (char *)r->argv + off;
		off = (size_t)(nul - r->argv) + 1;
	}
	if (off != r->argv_len || !r->argv[0])
		return vs_err_set(err, EPROTO, "malformed request");
	if (argv)
		argv[r->argc] = NULL;
	return 0;
}

int
vs_bevs_send(int sock, const struct vs_bevs_msg *m, const int *fds, int nfd)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (nfd < 0 || nfd > 3) {
		errno = EINVAL;
		return -1;
	}
	if (nfd) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfd * sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int
vs_bevs_recv(int sock, struct vs_bevs_msg *m, int *fds, int maxfd, int *nfd)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int got = 0, i, k, fd, bad = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
			if (got < maxfd)
				fds[got++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (n == 0 && got == 0)
		return 0;
	if (bad || n != (ssize_t)sizeof(*m) || m->magic != VS_BEVS_MAGIC ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !memchr(m->msg, '\0', sizeof(m->msg))) {
		for (i = 0; i < got; i++)
			close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	*nfd = got;
	return 1;
}

int
vs_bevs_exit_code(int errnum, int has_argv)
{
	if (errnum == ESRCH || errnum == EAGAIN)
		return 3;
	if (has_argv && errnum == ENOENT)
		return 127;
	if (has_argv && (errnum == EACCES || errnum == ENOEXEC ||
	    errnum == EISDIR))
		return 126;
	return 1;
}
