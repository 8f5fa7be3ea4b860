/* test_vsrprivsep.c - vsredirect's privileged helper against a forged
 * event loop: requests of the wrong size, unknown operations, hostile
 * VS names, ports no rule redirects, a netns pin that is a symlink to
 * the host's namespace or a plain file.  Each must get an error reply
 * and never a descriptor.  (The helper's sources are vsredirect's, built
 * in here: they are not library code.)  No root needed: everything
 * refused is refused before a namespace is entered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../../src/vsredirect/privsep.c"
#include "../../src/vsredirect/rules.c"
#include "../../src/vsredirect/priv.c"
#include "../../src/vsredirect/knat.c"

#include "tmpdir.h"

static struct vsr_helper H;
static int sv[2] = { -1, -1 };

static void
put_file(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int
setup(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_rec r;
	char *p;

	(void)state;
	tmpdir_make("test_vsrpriv");
	memset(&H, 0, sizeof(H));
	tmpdir_conf(&H.conf);
	assert_int_equal(vs_state_init(&H.conf, &err), 0);
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "web1");
	r.number = 1;
	r.uid_base = 265536;
	r.uid_count = 65536;
	snprintf(r.ip, sizeof(r.ip), "10.9.0.1");
	snprintf(r.fqdn, sizeof(r.fqdn), "web1.test");
	snprintf(r.state, sizeof(r.state), "ready");
	assert_int_equal(vs_rec_save(&H.conf, &r, &err), 0);
	snprintf(r.name, sizeof(r.name), "bare");
	r.number = 2;
	snprintf(r.ip, sizeof(r.ip), "10.9.0.2");
	assert_int_equal(vs_rec_save(&H.conf, &r, &err), 0);
	p = xasprintf("%s/state/redirect", tmpdir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/run/netns", tmpdir);
	mkdir(p, 0755);
	free(p);
	put_file("state/redirect/web1", "redirect 80 to 8080\n");
	put_file("state/redirect/bare", "");	/* no rule at all */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sv), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	vs_conf_release(&H.conf);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Send buf to the helper's handler; return the reply's errnum, failing
 * the test if the reply carries a descriptor. */
static int
ask(const void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VSR_SOCKETS_MAX)];
	struct vsr_reply r;
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n;

	assert_int_equal(vsr_helper_handle(&H, buf, len, sv[1]), 0);
	n = recvmsg(sv[0], &mh, MSG_DONTWAIT);
	assert_int_equal(n, sizeof(r));
	assert_int_equal(r.kind, VSR_MSG_REPLY);
	assert_int_equal(mh.msg_controllen, 0);	/* no fd, ever */
	assert_int_equal(r.nfds, 0);
	if (r.errnum)
		assert_true(r.msg[0] != '\0');	/* says why */
	return r.errnum;
}

static struct vsr_req
req(enum vsr_op op, const char *name, int port)
{
	struct vsr_req q;

	memset(&q, 0, sizeof(q));
	q.op = op;
	q.port = (uint32_t)port;
	q.family = AF_INET;
	q.count = 1;
	snprintf(q.name, sizeof(q.name), "%s", name);
	return q;
}

static void
test_malformed(void **state)
{
	struct vsr_req q = req(VSR_OP_LISTEN, "web1", 80);
	char big[sizeof(q) + 8];

	(void)state;
	assert_int_equal(ask(&q, 3), EPROTO);
	assert_int_equal(ask(&q, sizeof(q) - 1), EPROTO);
	memset(big, 0, sizeof(big));
	memcpy(big, &q, sizeof(q));
	assert_int_equal(ask(big, sizeof(big)), EPROTO);
	q.op = 0;
	assert_int_equal(ask(&q, sizeof(q)), EPROTO);
	q.op = VSR_OP_MAX;
	assert_int_equal(ask(&q, sizeof(q)), EPROTO);
	q.op = 0xffffffffu;
	assert_int_equal(ask(&q, sizeof(q)), EPROTO);
}

static void
test_hostile_names(void **state)
{
	static const char *const bad[] = {
		"", "..", "../web1", "web1/../../etc", "/etc/passwd",
		"web1\n", "WEB1", "-web1", "we b1", NULL
	};
	struct vsr_req q;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		q = req(VSR_OP_LISTEN, bad[i], 80);
		assert_int_equal(ask(&q, sizeof(q)), EINVAL);
		q = req(VSR_OP_SOCKETS, bad[i], 0);
		assert_int_equal(ask(&q, sizeof(q)), EINVAL);
		q = req(VSR_OP_KNAT, bad[i], 0);
		assert_int_equal(ask(&q, sizeof(q)), EINVAL);
		q = req(VSR_OP_KNAT_FLUSH, bad[i], 0);
		assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	}
	/* no NUL inside the field: must not be read past it */
	q = req(VSR_OP_LISTEN, "web1", 80);
	memset(q.name, 'a', sizeof(q.name));
	assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	/* a well-formed name of no VS */
	q = req(VSR_OP_LISTEN, "ghost", 80);
	assert_int_equal(ask(&q, sizeof(q)), ENOENT);
	q = req(VSR_OP_KNAT, "ghost", 0);
	assert_int_equal(ask(&q, sizeof(q)), ENOENT);
}

static void
test_ports(void **state)
{
	static const uint32_t bad[] = { 0, 1024, 8080, 65535, 65536,
	    0x80000050u };
	struct vsr_req q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = req(VSR_OP_LISTEN, "web1", 0);
		q.port = bad[i];
		assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	}
	/* privileged, but no rule of web1 redirects it */
	q = req(VSR_OP_LISTEN, "web1", 22);
	assert_int_equal(ask(&q, sizeof(q)), EPERM);
	q = req(VSR_OP_LISTEN, "bare", 80);
	assert_int_equal(ask(&q, sizeof(q)), EPERM);
}

static void
test_sockets_args(void **state)
{
	struct vsr_req q = req(VSR_OP_SOCKETS, "web1", 0);

	(void)state;
	q.family = AF_UNIX;
	assert_int_equal(ask(&q, sizeof(q)), EAFNOSUPPORT);
	q.family = AF_PACKET;
	assert_int_equal(ask(&q, sizeof(q)), EAFNOSUPPORT);
	q.family = AF_INET;
	q.count = 0;
	assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	q.count = VSR_SOCKETS_MAX + 1;
	assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	q.count = 0xffffffffu;
	assert_int_equal(ask(&q, sizeof(q)), EINVAL);
	/* a VS without any redirected port gets no socket in its netns */
	q = req(VSR_OP_SOCKETS, "bare", 0);
	assert_int_equal(ask(&q, sizeof(q)), EPERM);
}

/* The pin is host-owned, but if something planted a symlink there (to
 * the host's own namespace), the helper must not follow it. */
static void
test_pin_symlink(void **state)
{
	char *pin = xasprintf("%s/run/netns/web1", tmpdir);
	struct vsr_req q;

	(void)state;
	assert_int_equal(symlink("/proc/self/ns/net", pin), 0);
	q = req(VSR_OP_LISTEN, "web1", 80);
	assert_int_equal(ask(&q, sizeof(q)), ELOOP);
	q = req(VSR_OP_SOCKETS, "web1", 0);
	assert_int_equal(ask(&q, sizeof(q)), ELOOP);
	/* nft must never run in the host's namespace for a VS */
	q = req(VSR_OP_KNAT, "web1", 0);
	assert_int_equal(ask(&q, sizeof(q)), ELOOP);
	q = req(VSR_OP_KNAT_FLUSH, "web1", 0);
	assert_int_equal(ask(&q, sizeof(q)), ELOOP);
	unlink(pin);
	/* a pin whose namespace mount is gone: a plain file */
	put_file("run/netns/web1", "");
	q = req(VSR_OP_LISTEN, "web1", 80);
	assert_int_equal(ask(&q, sizeof(q)), ENOENT);
	free(pin);
}

/* -R: the helper has no CAP_NET_ADMIN and refuses kernel mode */
static void
test_knat_relay_only(void **state)
{
	struct vsr_req q = req(VSR_OP_KNAT, "web1", 0);

	(void)state;
	H.mode = VSR_RELAY;
	assert_int_equal(ask(&q, sizeof(q)), EPERM);
	q = req(VSR_OP_KNAT_FLUSH, "web1", 0);
	assert_int_equal(ask(&q, sizeof(q)), EPERM);
}

/* The script: kernel rules only, on the VS's address only, targets
 * once each in the limit; no kernel rule = the table is deleted. */
static void
test_knat_script(void **state)
{
	struct vsr_rules rs;
	struct vs_buf b = VS_BUF_INIT;

	(void)state;
	memset(&rs, 0, sizeof(rs));
	rs.n = 3;
	rs.r[0] = (struct vsr_rule){ 80, 8080, VS_PROXY_NONE, VSR_KERNEL };
	rs.r[1] = (struct vsr_rule){ 81, 8081, VS_PROXY_V1, VSR_RELAY };
	rs.r[2] = (struct vsr_rule){ 70, 8080, VS_PROXY_NONE, VSR_KERNEL };
	vsr_knat_script("10.9.0.1", &rs, 7, &b);
	assert_non_null(strstr(b.buf, "table ip vsredirect {}\n"
	    "delete table ip vsredirect\ntable ip vsredirect {\n"));
	/* only the redirected connections are tracked */
	assert_non_null(strstr(b.buf, "ip daddr 10.9.0.1 tcp dport { 80, 70 } "
	    "return\n    notrack\n"));
	assert_non_null(strstr(b.buf, "ip saddr 10.9.0.1 tcp sport { 8080 } "
	    "tcp flags & (syn | ack) != syn return\n    notrack\n"));
	assert_non_null(strstr(b.buf, "type nat hook prerouting priority "
	    "dstnat; policy accept;\n"
	    "    ip daddr 10.9.0.1 tcp dport 80 dnat to 10.9.0.1:8080\n"
	    "    ip daddr 10.9.0.1 tcp dport 70 dnat to 10.9.0.1:8080\n"));
	assert_null(strstr(b.buf, "dport 81 "));
	/* the VS's own connections: untracked, not redirected (relayed) */
	assert_non_null(strstr(b.buf, "oifname \"lo\" notrack\n"));
	assert_null(strstr(b.buf, "hook output priority -100"));
	assert_non_null(strstr(b.buf, "iifname != \"lo\" ip daddr 10.9.0.1 "
	    "tcp dport { 8080 } ct status dnat ct state new ct count over 7 "
	    "reject with tcp reset\n"));
	vs_buf_release(&b);
	vsr_rules_relay_all(&rs);
	vsr_knat_script("10.9.0.1", &rs, 7, &b);
	assert_string_equal(b.buf, vsr_knat_flush());
	vs_buf_release(&b);
}

/* The sysctls: names a sysctl can have, the idle timeout last */
static void
test_knat_sysctls(void **state)
{
	const char *kv[21];
	char idle[16];
	int i;

	(void)state;
	vsr_knat_sysctls(600, idle, kv);
	for (i = 0; kv[i]; i += 2) {
		assert_non_null(kv[i + 1]);
		assert_int_equal(strncmp(kv[i], "nf_conntrack_tcp_", 17), 0);
	}
	assert_int_equal(i, 18);
	assert_string_equal(kv[16], "nf_conntrack_tcp_timeout_established");
	assert_string_equal(kv[17], "600");
	assert_string_equal(kv[1], "0");		/* tcp_loose */
	vsr_knat_sysctls(0, idle, kv);
	assert_string_equal(kv[17], "432000");	/* conntrack's 5 days */
}

static void
test_scan_none(void **state)
{
	struct vsr_req q = req(VSR_OP_SCAN, "", 0);

	(void)state;
	/* no pin mounted: nobody is up, a bare final reply */
	assert_int_equal(ask(&q, sizeof(q)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockets_args, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pin_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_none, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_knat_relay_only, setup,
		    teardown),
		cmocka_unit_test(test_knat_script),
		cmocka_unit_test(test_knat_sysctls),
	};

	log_init("test_vsrprivsep", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
