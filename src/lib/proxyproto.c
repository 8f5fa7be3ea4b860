/* proxyproto.c - build and parse PROXY protocol v1/v2 headers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxyproto.h"
#include "banned.h"

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

int
vs_proxy_version_parse(const char *s)
{
	if (!strcmp(s, "v1") || !strcmp(s, "1"))
		return VS_PROXY_V1;
	if (!strcmp(s, "v2") || !strcmp(s, "2"))
		return VS_PROXY_V2;
	if (!strcmp(s, "none") || !strcmp(s, "off") || !strcmp(s, "no"))
		return VS_PROXY_NONE;
	return -1;
}

static int
build_v1(const struct sockaddr *src, const struct sockaddr *dst, char *out,
    size_t outsz)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned sp, dp;
	int n;

	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src;
		const struct sockaddr_in *d = (const void *)dst;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		inet_ntop(AF_INET, &d->sin_addr, b, sizeof(b));
		sp = ntohs(s->sin_port);
		dp = ntohs(d->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const void *)src;
		const struct sockaddr_in6 *d = (const void *)dst;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		inet_ntop(AF_INET6, &d->sin6_addr, b, sizeof(b));
		sp = ntohs(s->sin6_port);
		dp = ntohs(d->sin6_port);
	}
	n = snprintf(out, outsz, "PROXY %s %s %s %u %u\r\n",
	    src->sa_family == AF_INET ? "TCP4" : "TCP6", a, b, sp, dp);
	if (n < 0 || (size_t)n >= outsz) {
		errno = ENOSPC;
		return -1;
	}
	return n;
}

static int
build_v2(const struct sockaddr *src, const struct sockaddr *dst, char *out,
    size_t outsz)
{
	unsigned char *p = (unsigned char *)out;
	size_t alen = src->sa_family == AF_INET ? 12 : 36;

	if (outsz < 16 + alen) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(p, v2sig, 12);
	p[12] = 0x21;		/* version 2, PROXY command */
	p[13] = src->sa_family == AF_INET ? 0x11 : 0x21;	/* TCP over .. */
	p[14] = (unsigned char)(alen >> 8);
	p[15] = (unsigned char)alen;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src;
		const struct sockaddr_in *d = (const void *)dst;

		memcpy(p + 16, &s->sin_addr, 4);
		memcpy(p + 20, &d->sin_addr, 4);
		memcpy(p + 24, &s->sin_port, 2);
		memcpy(p + 26, &d->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s = (const void *)src;
		const struct sockaddr_in6 *d = (const void *)dst;

		memcpy(p + 16, &s->sin6_addr, 16);
		memcpy(p + 32, &d->sin6_addr, 16);
		memcpy(p + 48, &s->sin6_port, 2);
		memcpy(p + 50, &d->sin6_port, 2);
	}
	return (int)(16 + alen);
}

int
vs_proxy_build(enum vs_proxy_version version, const struct sockaddr *src,
    const struct sockaddr *dst, char *out, size_t outsz)
{
	if (src->sa_family != dst->sa_family ||
	    (src->sa_family != AF_INET && src->sa_family != AF_INET6)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	switch (version) {
	case VS_PROXY_V1:
		return build_v1(src, dst, out, outsz);
	case VS_PROXY_V2:
		return build_v2(src, dst, out, outsz);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* One address and port of a v1 line into ss; 0 or -1. */
static int
v1_addr(int af, const char *addr, const char *port,
    struct sockaddr_storage *ss)
{
	char *end;
	unsigned long p;

	/* ports: decimal, no sign, no leading zero (the spec's form) */
	if (!*port || (port[0] == '0' && port[1]) || strspn(port, "0123456789")
	    != strlen(port) || strlen(port) > 5)
		return -1;
	p = strtoul(port, &end, 10);
	if (p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)p);
		return inet_pton(AF_INET, addr, &s->sin_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)p);
		return inet_pton(AF_INET6, addr, &s->sin6_addr) == 1 ? 0 : -1;
	}
}

static int
parse_v1(const char *buf, size_t len, struct sockaddr_storage *src,
    struct sockaddr_storage *dst)
{
	char line[108], *w[7], *save = NULL;
	const char *nl;
	size_t n;
	int nw = 0, af;

	n = len < 107 ? len : 107;
	nl = memchr(buf, '\n', n);
	if (!nl)
		return len < 107 ? 0 : -1;
	n = (size_t)(nl - buf) + 1;
	if (n < 8 || buf[n - 2] != '\r' || memchr(buf, '\0', n))
		return -1;
	memcpy(line, buf, n - 2);
	line[n - 2] = '\0';
	/* single spaces only: split by hand (strtok is banned) */
	for (char *p = line; nw < 7;) {
		w[nw++] = p;
		save = strchr(p, ' ');
		if (!save)
			break;
		*save = '\0';
		p = save + 1;
	}
	if (save || strcmp(w[0], "PROXY"))
		return -1;
	if (nw >= 2 && !strcmp(w[1], "UNKNOWN")) {
		memset(src, 0, sizeof(*src));
		memset(dst, 0, sizeof(*dst));
		return (int)n;
	}
	if (nw != 6)
		return -1;
	if (!strcmp(w[1], "TCP4"))
		af = AF_INET;
	else if (!strcmp(w[1], "TCP6"))
		af = AF_INET6;
	else
		return -1;
	if (v1_addr(af, w[2], w[4], src) < 0 || v1_addr(af, w[3], w[5], dst) < 0)
		return -1;
	return (int)n;
}

static int
parse_v2(const unsigned char *p, size_t len, struct sockaddr_storage *src,
    struct sockaddr_storage *dst)
{
	size_t alen;

	if (len < 16)
		return 0;
	if ((p[12] & 0xf0) != 0x20 || (p[12] & 0x0f) > 1)
		return -1;
	alen = (size_t)p[14] << 8 | p[15];
	if (len < 16 + alen)
		return 0;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if ((p[12] & 0x0f) == 0)	/* LOCAL: health check, no addresses */
		return (int)(16 + alen);
	if (p[13] == 0x11) {
		struct sockaddr_in *s = (void *)src, *d = (void *)dst;

		if (alen < 12)
			return -1;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, p + 16, 4);
		memcpy(&d->sin_addr, p + 20, 4);
		memcpy(&s->sin_port, p + 24, 2);
		memcpy(&d->sin_port, p + 26, 2);
	} else if (p[13] == 0x21) {
		struct sockaddr_in6 *s = (void *)src, *d = (void *)dst;

		if (alen < 36)
			return -1;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, p + 16, 16);
		memcpy(&d->sin6_addr, p + 32, 16);
		memcpy(&s->sin6_port, p + 48, 2);
		memcpy(&d->sin6_port, p + 50, 2);
	} else if (p[13] != 0x00) {
		return -1;
	}
	return (int)(16 + alen);
}

int
vs_proxy_parse(const void *buf, size_t len, enum vs_proxy_version *version,
    struct sockaddr_storage *src, struct sockaddr_storage *dst)
{
	struct sockaddr_storage s, d;
	const unsigned char *p = buf;
	size_t k = len < 12 ? len : 12;
	int n;

	if (len == 0)
		return 0;
	if (!memcmp(p, v2sig, k)) {
		if (len < 12)
			return 0;
		n = parse_v2(p, len, &s, &d);
		if (n > 0)
			*version = VS_PROXY_V2;
	} else if (!memcmp(p, "PROXY ", len < 6 ? len : 6)) {
		if (len < 6)
			return 0;
		n = parse_v1(buf, len, &s, &d);
		if (n > 0)
			*version = VS_PROXY_V1;
	} else {
		n = -1;
	}
	if (n < 0) {
		errno = EPROTO;
		return -1;
	}
	if (n > 0) {
		*src = s;
		*dst = d;
	}
	return n;
}
