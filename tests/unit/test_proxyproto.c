/* test_proxyproto.c - PROXY v1/v2 headers: round trips, partial input,
 * hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxyproto.h"

static void
sin4(struct sockaddr_in *s, const char *ip, int port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &s->sin_addr), 1);
}

static void
sin6(struct sockaddr_in6 *s, const char *ip, int port)
{
	memset(s, 0, sizeof(*s));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
}

static void
test_v1_v4(void **state)
{
	struct sockaddr_in a, b;
	struct sockaddr_storage s, d;
	enum vs_proxy_version v;
	char h[VS_PROXY_HDR_MAX];
	int n, k;

	(void)state;
	sin4(&a, "10.1.2.3", 51000);
	sin4(&b, "10.9.9.9", 80);
	n = vs_proxy_build(VS_PROXY_V1, (void *)&a, (void *)&b, h, sizeof(h));
	assert_int_equal(n, (int)strlen("PROXY TCP4 10.1.2.3 10.9.9.9 51000 80\r\n"));
	assert_memory_equal(h, "PROXY TCP4 10.1.2.3 10.9.9.9 51000 80\r\n", n);
	/* every proper prefix asks for more */
	for (k = 0; k < n; k++)
		assert_int_equal(vs_proxy_parse(h, (size_t)k, &v, &s, &d), 0);
	assert_int_equal(vs_proxy_parse(h, (size_t)n, &v, &s, &d), n);
	assert_int_equal(v, VS_PROXY_V1);
	assert_memory_equal(&((struct sockaddr_in *)&s)->sin_addr, &a.sin_addr, 4);
	assert_int_equal(((struct sockaddr_in *)&s)->sin_port, a.sin_port);
	assert_int_equal(((struct sockaddr_in *)&d)->sin_port, b.sin_port);
}

static void
test_v1_v6_and_v2(void **state)
{
	struct sockaddr_in6 a, b;
	struct sockaddr_in c, e;
	struct sockaddr_storage s, d;
	enum vs_proxy_version v;
	char h[VS_PROXY_HDR_MAX];
	int n, k;

	(void)state;
	sin6(&a, "fd00::1", 1);
	sin6(&b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	n = vs_proxy_build(VS_PROXY_V1, (void *)&a, (void *)&b, h, sizeof(h));
	assert_true(n > 0 && n <= 107);
	assert_int_equal(vs_proxy_parse(h, (size_t)n, &v, &s, &d), n);
	assert_memory_equal(&((struct sockaddr_in6 *)&d)->sin6_addr,
	    &b.sin6_addr, 16);

	n = vs_proxy_build(VS_PROXY_V2, (void *)&a, (void *)&b, h, sizeof(h));
	assert_int_equal(n, 52);
	for (k = 0; k < n; k++)
		assert_int_equal(vs_proxy_parse(h, (size_t)k, &v, &s, &d), 0);
	assert_int_equal(vs_proxy_parse(h, (size_t)n, &v, &s, &d), 52);
	assert_int_equal(v, VS_PROXY_V2);
	assert_memory_equal(&((struct sockaddr_in6 *)&s)->sin6_addr,
	    &a.sin6_addr, 16);

	sin4(&c, "192.0.2.7", 4242);
	sin4(&e, "10.0.0.1", 443);
	n = vs_proxy_build(VS_PROXY_V2, (void *)&c, (void *)&e, h, sizeof(h));
	assert_int_equal(n, 28);
	assert_int_equal(vs_proxy_parse(h, (size_t)n + 5, &v, &s, &d), 28);
	assert_int_equal(((struct sockaddr_in *)&s)->sin_port, htons(4242));
	/* mixed families and too small buffers are refused */
	assert_int_equal(vs_proxy_build(VS_PROXY_V2, (void *)&c, (void *)&a,
	    h, sizeof(h)), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(vs_proxy_build(VS_PROXY_V1, (void *)&c, (void *)&e,
	    h, 10), -1);
	assert_int_equal(errno, ENOSPC);
}

static void
test_hostile(void **state)
{
	static const char *bad[] = {
		"GET / HTTP/1.0\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",		/* no CR */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
		"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
		"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.444 5.6.7.8 1 2\r\n",
	};
	struct sockaddr_storage s, d;
	enum vs_proxy_version v = VS_PROXY_NONE;
	char big[300];
	unsigned char v2[28] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a,
	    0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(vs_proxy_parse(bad[i], strlen(bad[i]), &v,
		    &s, &d), -1);
		assert_int_equal(errno, EPROTO);
	}
	assert_int_equal(v, VS_PROXY_NONE);	/* untouched on failure */
	/* a v1 line without an end within 107 bytes is refused, not awaited */
	memset(big, 'A', sizeof(big));
	memcpy(big, "PROXY ", 6);
	assert_int_equal(vs_proxy_parse(big, sizeof(big), &v, &s, &d), -1);
	/* an embedded NUL */
	assert_int_equal(vs_proxy_parse("PROXY TCP4 1.2\0.3.4 5.6.7.8 1 2\r\n",
	    33, &v, &s, &d), -1);
	/* v2: unknown version, command, family; short address block */
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), 28);
	v2[12] = 0x31;
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), -1);
	v2[12] = 0x2f;
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), -1);
	v2[12] = 0x21;
	v2[13] = 0x51;
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), -1);
	v2[13] = 0x21;		/* IPv6 needs 36 bytes, block has 12 */
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), -1);
	/* LOCAL and UNKNOWN carry no addresses */
	v2[12] = 0x20;
	assert_int_equal(vs_proxy_parse(v2, 28, &v, &s, &d), 28);
	assert_int_equal(s.ss_family, AF_UNSPEC);
	assert_int_equal(vs_proxy_parse("PROXY UNKNOWN\r\n", 15, &v, &s, &d), 15);
	assert_int_equal(vs_proxy_version_parse("v2"), VS_PROXY_V2);
	assert_int_equal(vs_proxy_version_parse("none"), VS_PROXY_NONE);
	assert_int_equal(vs_proxy_version_parse("v3"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_v4),
		cmocka_unit_test(test_v1_v6_and_v2),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
