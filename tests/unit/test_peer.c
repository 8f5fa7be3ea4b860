/* test_peer.c - caller credentials and the "accepted on our socket" check
 * that keeps a compromised vsd front from passing off a socket of its own
 * making as a bevs client (peer.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "peer.h"
#include "xmem.h"

#include "tmpdir.h"

static char path[128], other[128];

static int
listen_at(const char *p, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int
connect_to(const char *p, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_peer");
	snprintf(path, sizeof(path), "%s/bevs.sock", tmpdir);
	snprintf(other, sizeof(other), "%s/vsd.sock", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static void
test_accepted(void **state)
{
	int l = listen_at(path, SOCK_SEQPACKET), c, a;
	struct vs_peer p = VS_PEER_INIT;

	(void)state;
	c = connect_to(path, SOCK_SEQPACKET);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(a >= 0);
	/* the real thing */
	assert_int_equal(vs_peer_accepted_on(a, SOCK_SEQPACKET, path), 1);
	assert_int_equal(vs_peer_get(a, &p, NULL), 0);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	assert_int_equal(p.pid, getpid());
	vs_peer_release(&p);
	/* the other path, the other type */
	assert_int_equal(vs_peer_accepted_on(a, SOCK_SEQPACKET, other), 0);
	assert_int_equal(vs_peer_accepted_on(a, SOCK_STREAM, path), 0);
	/* the connecting end: its peer is the listener (whoever called
	 * listen(): vsd's root front), so it must not pass */
	assert_int_equal(vs_peer_accepted_on(c, SOCK_SEQPACKET, path), 0);
	/* the listening socket itself: SO_PEERCRED gives the listener's
	 * credentials there too */
	assert_int_equal(vs_peer_accepted_on(l, SOCK_SEQPACKET, path), 0);
	close(a);
	close(c);
	close(l);
}

static void
test_forgeries(void **state)
{
	int sp[2], l, c, a, fd;

	(void)state;
	/* a socketpair */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(vs_peer_accepted_on(sp[0], SOCK_SEQPACKET, path), 0);
	assert_int_equal(vs_peer_accepted_on(sp[1], SOCK_SEQPACKET, path), 0);
	close(sp[0]);
	close(sp[1]);
	/* a connection accepted on another socket (vsd.sock) */
	l = listen_at(other, SOCK_SEQPACKET);
	c = connect_to(other, SOCK_SEQPACKET);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(vs_peer_accepted_on(a, SOCK_SEQPACKET, path), 0);
	close(a);
	close(c);
	close(l);
	/* not a socket at all; a TCP-less inet socket */
	fd = open("/dev/null", O_RDONLY);
	assert_int_equal(vs_peer_accepted_on(fd, SOCK_SEQPACKET, path), 0);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(vs_peer_accepted_on(fd, SOCK_STREAM, path), 0);
	close(fd);
	assert_int_equal(vs_peer_accepted_on(-1, SOCK_STREAM, path), 0);
}

static void
test_admin(void **state)
{
	struct vs_conf conf;
	gid_t groups[3] = { 10, 4242, 20 }, g = 0;
	struct vs_peer p = { 100, 1000, 1000, groups, 3 };

	(void)state;
	vs_conf_defaults(&conf);
	/* no admin_group: root only */
	assert_int_equal(vs_admin_gid(&conf, &g, NULL), 0);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	p.uid = 0;
	assert_int_equal(vs_peer_is_admin(&conf, &p), 1);
	p.uid = 1000;
	/* a decimal gid, among the groups */
	conf.admin_group = xstrdup("4242");
	assert_int_equal(vs_admin_gid(&conf, &g, NULL), 1);
	assert_int_equal(g, 4242);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 1);
	/* only an unrelated group */
	groups[1] = 4243;
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	/* as the gid */
	p.gid = 4242;
	assert_int_equal(vs_peer_is_admin(&conf, &p), 1);
	p.gid = 1000;
	/* a group name that does not exist: nobody */
	free(conf.admin_group);
	conf.admin_group = xstrdup("no-such-group-here");
	assert_int_equal(vs_admin_gid(&conf, &g, NULL), -1);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	/* a name: root's group exists everywhere */
	free(conf.admin_group);
	conf.admin_group = xstrdup("root");
	assert_int_equal(vs_admin_gid(&conf, &g, NULL), 1);
	assert_int_equal(g, 0);
	groups[0] = 0;
	assert_int_equal(vs_peer_is_admin(&conf, &p), 1);
	/* the uids vsd hands out never administer, whatever their groups:
	 * the front's (uid_base - 1), a VS's root, the last VS's last uid */
	p.uid = (uid_t)(conf.uid_base - 1);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	p.uid = (uid_t)(conf.uid_base + conf.uid_stride);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	p.uid = (uid_t)(conf.uid_base + conf.uid_stride *
	    (conf.max_servers + 1) - 1);
	assert_int_equal(vs_peer_is_admin(&conf, &p), 0);
	p.uid = (uid_t)(conf.uid_base + conf.uid_stride *
	    (conf.max_servers + 1));
	assert_int_equal(vs_peer_is_admin(&conf, &p), 1);
	vs_conf_release(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgeries, setup,
		    teardown),
		cmocka_unit_test(test_admin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
