/* netsvc-sockd - an on-demand daemon for the virtuald tests (runs
 * inside a VS, linked statically, so the VS needs no shell or libc).
 *
 * netsvc-sockd: socket-activated.  Refuses to run unless LISTEN_PID is
 * its own pid and LISTEN_FDS is 1, as sd_listen_fds() would; then on
 * fd 3 answers every TCP connection with "sockd pid=P uid=U" and closes
 * it, or every UDP datagram with "sockd pid=P uid=U got=PAYLOAD".
 *
 * netsvc-sockd stdio: inetd's udp wait.  Standard input must be the
 * datagram socket; answers each datagram read on fd 0 with
 * "stdio pid=P uid=U got=PAYLOAD" sent through fd 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

static void
serve_dgram(int in, int out, const char *tag)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char msg[512], buf[600];
	ssize_t n;
	int len;

	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(in, msg, sizeof(msg) - 1, 0,
		    (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		msg[n] = '\0';
		len = snprintf(buf, sizeof(buf), "%s pid=%d uid=%d got=%s",
		    tag, (int)getpid(), (int)getuid(), msg);
		if (sendto(out, buf, (size_t)len, 0, (struct sockaddr *)&peer,
		    plen) < 0)
			perror("sockd: sendto");
	}
}

int
main(int argc, char **argv)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char buf[128];
	int c, n, type = 0;
	socklen_t tl = sizeof(type);

	if (argc > 1 && !strcmp(argv[1], "stdio")) {
		if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
		    type != SOCK_DGRAM || pid || fds) {
			fprintf(stderr, "sockd: stdin is no datagram socket\n");
			return 1;
		}
		serve_dgram(0, 1, "stdio");
	}
	if (!pid || atoi(pid) != (int)getpid() || !fds || strcmp(fds, "1")) {
		fprintf(stderr, "sockd: not socket-activated (LISTEN_PID=%s, "
		    "pid %d, LISTEN_FDS=%s)\n", pid ? pid : "", (int)getpid(),
		    fds ? fds : "");
		return 1;
	}
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_DGRAM)
		serve_dgram(3, 3, "sockd");
	for (;;) {
		c = accept(3, NULL, NULL);
		if (c < 0)
			continue;
		n = snprintf(buf, sizeof(buf), "sockd pid=%d uid=%d\n",
		    (int)getpid(), (int)getuid());
		if (write(c, buf, (size_t)n) < 0)
			perror("sockd: write");
		close(c);
	}
}
