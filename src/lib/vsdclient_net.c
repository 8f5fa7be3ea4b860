/* vsdclient_net.c - TCP connections of the vsd client (vsdclient.h);
 * apart from vsdclient.c so that the tools linked statically into a VS
 * never pull in the resolver. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "vsdclient.h"
#include "banned.h"

int
vs_client_connect_tcp(struct vs_client *c, const char *host, int port,
    struct vs_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char ports[16];
	int fd = -1, r, saved = 0;

	snprintf(ports, sizeof(ports), "%d", port);
	r = getaddrinfo(host, ports, &hints, &res);
	if (r != 0)
		return vs_err_set(err, r == EAI_AGAIN ? EAGAIN : ENOENT,
		    "cannot resolve '%s': %s", host, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			int one = 1;	/* request lines go out at once */

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = saved ? saved : ECONNREFUSED;
		return vs_err_sys(err, "cannot connect to vsd at %s port %d",
		    host, port);
	}
	c->fd = fd;
	if (vs_client_greet(c, err) < 0) {
		vs_err_prefix(err, "%s port %d", host, port);
		vs_client_close(c);
		return -1;
	}
	return 0;
}

