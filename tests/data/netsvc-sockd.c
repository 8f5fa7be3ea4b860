/* netsvc-sockd - a socket-activated daemon for the virtuald tests (runs
 * inside a VS, linked statically).  Refuses to run unless LISTEN_PID is
 * its own pid and LISTEN_FDS is 1, as sd_listen_fds() would; then
 * answers every connection on fd 3 with "sockd pid=P uid=U" and closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int
main(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char buf[128];
	int c, n;

	if (!pid || atoi(pid) != (int)getpid() || !fds || strcmp(fds, "1")) {
		fprintf(stderr, "sockd: not socket-activated (LISTEN_PID=%s, "
		    "pid %d, LISTEN_FDS=%s)\n", pid ? pid : "", (int)getpid(),
		    fds ? fds : "");
		return 1;
	}
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
