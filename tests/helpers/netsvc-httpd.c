/* netsvc-httpd - a minimal epoll HTTP/1.1 responder for the vsredirect
 * benchmark (ci/bench.d/70-redirect.sh): the server inside the VS must be
 * fast, or it and not the forwarder is measured.  Not installed.
 *
 *   netsvc-httpd IP PORT BODY_BYTES
 * Every request (any method, any path) gets "200 OK" with BODY_BYTES of
 * body; "Connection: close" in a request closes after the answer.
 * Prints "ready" when listening.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, memmem, strcasestr (also built alone) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

struct cl {
	int fd;
	int close_after;
	size_t hdr_left, body_left, hdr_off;
	char in[4096];
	size_t inlen;
};

static char hdr[256], *body;
static size_t hdrlen, bodylen;
static const size_t chunk = 1 << 20;

/* Push the current answer; 1 when finished, 0 when blocked, -1 error. */
static int
push(struct cl *c)
{
	while (c->hdr_left > 0) {
		ssize_t n = send(c->fd, hdr + c->hdr_off, c->hdr_left,
		    MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->hdr_off += (size_t)n;
		c->hdr_left -= (size_t)n;
	}
	while (c->body_left > 0) {
		size_t k = c->body_left < chunk ? c->body_left : chunk;
		ssize_t n = send(c->fd, body, k, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->body_left -= (size_t)n;
	}
	return 1;
}

static void
drop(int ep, struct cl *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, i, n;

	if (argc != 4) {
		fprintf(stderr, "usage: netsvc-httpd IP PORT BODY_BYTES\n");
		return 2;
	}
	bodylen = strtoull(argv[3], NULL, 10);
	body = malloc(chunk);
	memset(body, 'x', chunk);
	hdrlen = (size_t)snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %zu\r\nContent-Type: application/octet-stream"
	    "\r\n\r\n", bodylen);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0) {
		perror("netsvc-httpd: bind");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct cl *c = evs[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					ev.events = EPOLLIN | EPOLLOUT |
					    EPOLLRDHUP | EPOLLET;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			for (;;) {
				char *end;
				int rc = push(c);

				if (rc < 0)
					goto gone;
				if (rc == 0)
					break;
				if (c->close_after)
					goto gone;
				end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
				if (!end) {
					ssize_t k;

					if (c->inlen == sizeof(c->in))
						goto gone;
					k = read(c->fd, c->in + c->inlen,
					    sizeof(c->in) - c->inlen);
					if (k == 0 || (k < 0 && errno != EAGAIN))
						goto gone;
					if (k < 0)
						break;
					c->inlen += (size_t)k;
					continue;
				}
				end += 4;
				c->in[end - c->in - 1] = '\0';
				c->close_after = strcasestr(c->in,
				    "connection: close") != NULL;
				memmove(c->in, end, c->inlen -
				    (size_t)(end - c->in));
				c->inlen -= (size_t)(end - c->in);
				c->hdr_left = hdrlen;
				c->hdr_off = 0;
				c->body_left = bodylen;
			}
			continue;
gone:
			drop(ep, c);
		}
	}
}
