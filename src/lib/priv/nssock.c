/* nssock.c - create sockets inside a VS's network namespace (setns and
 * straight back).  Privileged: needs CAP_SYS_ADMIN (see nssock.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "log.h"
#include "priv/nssock.h"
#include "banned.h"

/* Our own netns, opened once: the way back after each excursion. */
static int self_ns = -1;

int
vs_nssock_is_netns(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

int
vs_nssock_init(struct vs_err *err)
{
	if (self_ns < 0) {
		self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self_ns < 0)
			return vs_err_sys(err, "open /proc/self/ns/net");
	}
	return 0;
}

int
vs_nssock_many(int nsfd, int domain, int type, int proto, int *fds, int n,
    struct vs_err *err)
{
	int k = 0, saved = 0;

	if (nsfd >= 0) {
		if (vs_nssock_init(err) < 0)
			return -1;
		if (setns(nsfd, CLONE_NEWNET) < 0)
			return vs_err_sys(err, "enter network namespace");
	}
	for (k = 0; k < n; k++) {
		fds[k] = socket(domain, type | SOCK_CLOEXEC, proto);
		if (fds[k] < 0) {
			saved = errno;
			break;
		}
	}
	if (nsfd >= 0 && setns(self_ns, CLONE_NEWNET) < 0) {
		/* running on in a VS's namespace would be a security bug */
		log_warn("cannot return to the host network namespace");
		abort();
	}
	if (k == 0) {
		errno = saved;
		return vs_err_sys(err, nsfd >= 0 ? "socket in network namespace"
		    : "socket");
	}
	return k;
}

int
vs_nssock(int nsfd, int domain, int type, int proto, struct vs_err *err)
{
	int fd;

	if (vs_nssock_many(nsfd, domain, type, proto, &fd, 1, err) < 0)
		return -1;
	return fd;
}

int
vs_nssock_listen(int nsfd, int type, const char *ip, int port, int backlog,
    struct vs_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		len = sizeof(*s);
	} else if (inet_pton(AF_INET6, ip,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		len = sizeof(*s);
	} else {
		return vs_err_set(err, EINVAL, "'%s' is not an IP address", ip);
	}
	fd = vs_nssock(nsfd, ss.ss_family, type, 0, err);
	if (fd < 0)
		return -1;
	/* IP_FREEBIND: the VS's address may be added to its eth0 just
	 * after the namespace is pinned; bind anyway, it works once there */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, ss.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	    ss.ss_family == AF_INET ? IP_FREEBIND : IPV6_FREEBIND, &on,
	    sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0) {
		vs_err_sys(err, "bind %s:%d", ip, port);
		close(fd);
		return -1;
	}
	if (backlog >= 0 && listen(fd, backlog) < 0) {
		vs_err_sys(err, "listen %s:%d", ip, port);
		close(fd);
		return -1;
	}
	return fd;
}
