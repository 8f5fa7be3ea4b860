/* test_relay.c - the relay engine on loopback: integrity of a large
 * transfer, half-close both ways, resets passed on, back-pressure, PROXY
 * headers, limits, connect failures and idle timeouts.  The relay runs
 * in a forked child; the test is client and server at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "relay.h"

static int srv = -1;		/* the "VS daemon" listening socket */
static struct sockaddr_in srv_addr, relay_addr;
static pid_t relay_pid = -1;
static int relay_spare_fds;	/* > 0: the relay gets only this many more */

/* RLIMIT_NOFILE = the descriptors open now + spare. */
static void
limit_fds(int spare)
{
	struct rlimit rl;
	DIR *d = opendir("/proc/self/fd");
	int n = -1;		/* not counting d's own */

	if (!d)
		_exit(1);
	while (readdir(d))
		n++;
	closedir(d);
	rl.rlim_cur = rl.rlim_max = (rlim_t)(n - 2 + spare);	/* . and .. */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		_exit(1);
}

static int
listen_any(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

/* Fork a relay from a fresh port to target with these options. */
static void
start_relay(const struct vs_relay_opts *o, int group_max,
    enum vs_proxy_version proxy, const struct sockaddr_in *target)
{
	int lfd = listen_any(&relay_addr);

	relay_pid = fork();
	assert_true(relay_pid >= 0);
	if (relay_pid == 0) {
		struct vs_relay *r = vs_relay_new(o, NULL);
		struct vs_relay_group *g;

		close(srv);
		if (!r)
			_exit(1);
		g = vs_relay_group_new(r, "test", group_max, -1);
		if (!vs_relay_listen(r, g, lfd, (const void *)target,
		    sizeof(*target), proxy))
			_exit(1);
		vs_relay_group_put(g);
		if (relay_spare_fds > 0)
			limit_fds(relay_spare_fds);
		for (;;)
			vs_relay_poll(r, -1);
	}
	close(lfd);
}

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	srv = listen_any(&srv_addr);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (relay_pid > 0) {
		kill(relay_pid, SIGKILL);
		waitpid(relay_pid, NULL, 0);
		relay_pid = -1;
	}
	relay_spare_fds = 0;
	close(srv);
	return 0;
}

static int
dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&relay_addr,
	    sizeof(relay_addr)), 0);
	return fd;
}

static int
accept_srv(void)
{
	int fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void
write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		assert_true(k > 0);
		p = (const char *)p + k;
		n -= (size_t)k;
	}
}

/* Read until EOF; returns the bytes read (buffer may be NULL: count). */
static ssize_t
read_all(int fd, char *buf, size_t max)
{
	char tmp[65536];
	size_t got = 0;
	ssize_t k;

	for (;;) {
		k = read(fd, buf ? buf + got : tmp, buf ? max - got :
		    sizeof(tmp));
		if (k < 0)
			return -1;
		if (k == 0)
			return (ssize_t)got;
		got += (size_t)k;
		if (buf && got == max)
			return (ssize_t)got;
	}
}

static uint64_t
mix(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static void
fill(unsigned char *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = (unsigned char)(seed >> 56);
	}
}

static const struct vs_relay_opts defopts = { 0, 2000, 0, 0 };

/* 48 MiB each way at once (both pipes busy), checksummed; then a
 * half-close in each direction keeps the other one open. */
static void
test_transfer_and_halfclose(void **state)
{
	enum { CHUNK = 1 << 20, N = 48 };
	unsigned char *a = malloc(CHUNK), *b = malloc(CHUNK);
	uint64_t ha = 0xcbf29ce484222325ULL, hb = ha, ra = ha, rb = ha;
	int c, s, i;
	pid_t w, w2;
	char buf[16];

	(void)state;
	start_relay(&defopts, 0, VS_PROXY_NONE, &srv_addr);
	c = dial();
	s = accept_srv();
	for (i = 0; i < N; i++) {
		fill(a, CHUNK, (uint64_t)i);
		ha = mix(ha, a, CHUNK);
		fill(b, CHUNK, (uint64_t)i + 1000);
		hb = mix(hb, b, CHUNK);
	}
	w = fork();
	assert_true(w >= 0);
	if (w == 0) {		/* client -> server, then half-close */
		for (i = 0; i < N; i++) {
			fill(a, CHUNK, (uint64_t)i);
			write_all(c, a, CHUNK);
		}
		shutdown(c, SHUT_WR);
		_exit(0);
	}
	/* server -> client from a second child, while we read both */
	w2 = fork();
	assert_true(w2 >= 0);
	if (w2 == 0) {
		for (i = 0; i < N; i++) {
			fill(b, CHUNK, (uint64_t)i + 1000);
			write_all(s, b, CHUNK);
		}
		_exit(0);
	}
	{
		struct pollfd p[2] = { { s, POLLIN, 0 }, { c, POLLIN, 0 } };
		size_t ga = 0, gb = 0;
		int eof_s = 0;

		while (!eof_s || gb < (size_t)N * CHUNK) {
			assert_true(poll(p, 2, 10000) > 0);
			if (p[0].revents) {
				ssize_t k = read(s, a, CHUNK);

				assert_true(k >= 0);
				if (k == 0) {
					eof_s = 1;
					p[0].fd = -1;
				}
				ra = mix(ra, a, (size_t)k);
				ga += (size_t)k;
			}
			if (p[1].revents) {
				ssize_t k = read(c, b, CHUNK);

				assert_true(k > 0);
				rb = mix(rb, b, (size_t)k);
				gb += (size_t)k;
			}
		}
		assert_int_equal(ga, (size_t)N * CHUNK);
		assert_true(ra == ha);
		assert_true(rb == hb);
	}
	waitpid(w, NULL, 0);
	waitpid(w2, NULL, 0);
	/* the client half-closed: the server still talks, then closes */
	write_all(s, "after-eof", 9);
	shutdown(s, SHUT_WR);
	assert_int_equal(read_all(c, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "after-eof", 9);
	close(s);
	close(c);
	free(a);
	free(b);
}

/* The server half-closes first; the client can still send. */
static void
test_halfclose_server_first(void **state)
{
	char buf[16];
	int c, s;

	(void)state;
	start_relay(&defopts, 0, VS_PROXY_NONE, &srv_addr);
	c = dial();
	s = accept_srv();
	write_all(s, "bye", 3);
	shutdown(s, SHUT_WR);
	assert_int_equal(read_all(c, buf, sizeof(buf)), 3);	/* EOF seen */
	write_all(c, "still here", 10);
	shutdown(c, SHUT_WR);
	assert_int_equal(read_all(s, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "still here", 10);
	close(s);
	close(c);
}

static void
reset_close(int fd)
{
	struct linger lg = { 1, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(fd);
}

static void
test_resets(void **state)
{
	char buf[16];
	int c, s;

	(void)state;
	start_relay(&defopts, 0, VS_PROXY_NONE, &srv_addr);
	/* the server resets: the client must see a reset, not an EOF */
	c = dial();
	s = accept_srv();
	write_all(c, "x", 1);
	assert_int_equal(read(s, buf, 1), 1);
	reset_close(s);
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
	/* the client resets: the server sees it */
	c = dial();
	s = accept_srv();
	write_all(c, "y", 1);
	assert_int_equal(read(s, buf, 1), 1);
	reset_close(c);
	assert_int_equal(read(s, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ECONNRESET);
	close(s);
}

/* A receiver that never reads: the relay holds a bounded amount. */
static void
test_backpressure(void **state)
{
	static char chunk[65536];
	size_t sent = 0;
	int c, s, idle = 0;

	(void)state;
	start_relay(&defopts, 0, VS_PROXY_NONE, &srv_addr);
	c = dial();
	s = accept_srv();
	while (idle < 5 && sent < (256u << 20)) {
		ssize_t k = send(c, chunk, sizeof(chunk), MSG_DONTWAIT);

		if (k > 0) {
			sent += (size_t)k;
			idle = 0;
		} else {
			assert_int_equal(errno, EAGAIN);
			idle++;
			usleep(50000);
		}
	}
	/* socket buffers of both connections plus one 64 KiB pipe; an
	 * unbounded relay would swallow all 256 MiB */
	assert_true(sent < (64u << 20));
	/* and everything held arrives once the server reads */
	shutdown(c, SHUT_WR);
	assert_int_equal(read_all(s, NULL, 0), (ssize_t)sent);
	close(s);
	close(c);
}

static void
check_proxy(enum vs_proxy_version ver)
{
	struct sockaddr_storage src, dst;
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	enum vs_proxy_version v;
	char buf[256];
	int c, s, n, got = 0;

	start_relay(&defopts, 0, ver, &srv_addr);
	c = dial();
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &len), 0);
	s = accept_srv();
	write_all(c, "hello", 5);
	while ((n = vs_proxy_parse(buf, (size_t)got, &v, &src, &dst)) == 0) {
		ssize_t k = read(s, buf + got, sizeof(buf) - (size_t)got);

		assert_true(k > 0);
		got += (int)k;
	}
	assert_true(n > 0);
	assert_int_equal(v, ver);
	assert_int_equal(src.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&src)->sin_port, me.sin_port);
	assert_int_equal(((struct sockaddr_in *)&dst)->sin_port,
	    relay_addr.sin_port);
	while (got - n < 5) {
		ssize_t k = read(s, buf + got, sizeof(buf) - (size_t)got);

		assert_true(k > 0);
		got += (int)k;
	}
	assert_memory_equal(buf + n, "hello", 5);
	close(s);
	close(c);
}

static void
test_proxy_v1(void **state)
{
	(void)state;
	check_proxy(VS_PROXY_V1);
}

static void
test_proxy_v2(void **state)
{
	(void)state;
	check_proxy(VS_PROXY_V2);
}

/* Over the group limit a connection is reset at once; a slot freed is
 * usable again. */
static void
test_limit(void **state)
{
	char buf[4];
	int c1, c2, c3, s1, s2;

	(void)state;
	start_relay(&defopts, 2, VS_PROXY_NONE, &srv_addr);
	c1 = dial();
	s1 = accept_srv();
	c2 = dial();
	s2 = accept_srv();
	c3 = dial();
	assert_true(read(c3, buf, sizeof(buf)) <= 0);	/* reset or EOF */
	close(c3);
	close(s1);
	assert_int_equal(read(c1, buf, sizeof(buf)), 0);
	close(c1);
	usleep(100000);
	c3 = dial();
	s1 = accept_srv();
	write_all(c3, "ok", 2);
	assert_int_equal(read(s1, buf, sizeof(buf)), 2);
	close(c2);
	close(c3);
	close(s1);
	close(s2);
}

/* Nobody listens upstream: the client gets a reset. */
static void
test_connect_refused(void **state)
{
	struct sockaddr_in dead;
	char buf[4];
	int fd, c;

	(void)state;
	fd = listen_any(&dead);
	close(fd);		/* a port with nobody behind it */
	start_relay(&defopts, 0, VS_PROXY_NONE, &dead);
	c = dial();
	assert_int_equal(read(c, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ECONNRESET);
	close(c);
}

static void
test_idle_timeout(void **state)
{
	struct vs_relay_opts o = defopts;
	char buf[4];
	int c, s;

	(void)state;
	o.idle_timeout_ms = 300;
	start_relay(&o, 0, VS_PROXY_NONE, &srv_addr);
	c = dial();
	s = accept_srv();
	write_all(c, "a", 1);
	assert_int_equal(read(s, buf, 1), 1);
	/* traffic resets the clock ... */
	usleep(200000);
	write_all(s, "b", 1);
	assert_int_equal(read(c, buf, 1), 1);
	usleep(200000);
	write_all(c, "c", 1);
	assert_int_equal(read(s, buf, 1), 1);
	/* ... silence closes both sides */
	assert_int_equal(read(s, buf, 1), 0);
	assert_true(read(c, buf, 1) <= 0);
	close(s);
	close(c);
}

/* Out of descriptors: a connection that has data to pass while a flood
 * holds every descriptor is not reset; it waits (the flood's ends need
 * no pipe) and its data arrives once the flood is gone. */
static void
test_out_of_fds(void **state)
{
	enum { FLOOD = 24 };
	int fl[FLOOD], fs[FLOOD], a, sa, i, nf = 0;
	struct pollfd pf = { 0 };
	char buf[8];

	(void)state;
	relay_spare_fds = 8;
	start_relay(&defopts, 0, VS_PROXY_NONE, &srv_addr);
	a = dial();
	sa = accept_srv();
	for (i = 0; i < FLOOD; i++)
		fl[i] = dial();		/* the backlog takes what waits */
	pf.fd = srv;
	pf.events = POLLIN;
	while (poll(&pf, 1, 500) == 1)
		fs[nf++] = accept_srv();
	assert_true(nf < FLOOD);	/* the relay did run out */
	write_all(a, "hello", 5);
	pf.fd = a;
	assert_int_equal(poll(&pf, 1, 300), 0);	/* not reset, waiting */
	for (i = 0; i < FLOOD; i++)
		close(fl[i]);
	for (i = 0; i < nf; i++)
		close(fs[i]);
	pf.fd = sa;
	assert_int_equal(poll(&pf, 1, 5000), 1);
	assert_int_equal(read(sa, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	write_all(sa, "back", 4);
	assert_int_equal(read(a, buf, sizeof(buf)), 4);
	close(a);
	close(sa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transfer_and_halfclose,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_halfclose_server_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proxy_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_out_of_fds, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
