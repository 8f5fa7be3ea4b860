/* proxyproto.h - the PROXY protocol header (HAProxy's spec, v1 and v2).
 *
 * A relay that sends a PROXY header as the first bytes of its upstream
 * connection lets the server learn the real client address.  Only the
 * TCP over IPv4/IPv6 forms are built; the parser also accepts v1
 * "UNKNOWN" and v2 LOCAL (then the addresses are left AF_UNSPEC).
 * Neither function allocates; both are safe after fork.
 */
#ifndef VS_PROXYPROTO_H
#define VS_PROXYPROTO_H

#include <stddef.h>
#include <sys/socket.h>

enum vs_proxy_version {
	VS_PROXY_NONE = 0,
	VS_PROXY_V1 = 1,
	VS_PROXY_V2 = 2,
};

/* v1 is at most 107 bytes, v2 with IPv6 addresses 52. */
#define VS_PROXY_HDR_MAX	108

/*
 * Write the header for a connection from src (the client) to dst (the
 * address it connected to) into out.  Both must be AF_INET, or both
 * AF_INET6.  Returns the length, or -1 with errno EAFNOSUPPORT (mixed or
 * other families), EINVAL (version), ENOSPC (outsz too small).
 */
int vs_proxy_build(enum vs_proxy_version version, const struct sockaddr *src,
    const struct sockaddr *dst, char *out, size_t outsz);

/*
 * Parse a header at the start of buf[0..len).  Returns the header length
 * (the payload starts there), 0 if more bytes are needed, or -1 with errno
 * EPROTO when buf does not start with a valid header.  *version, *src and
 * *dst are written only on success.
 */
int vs_proxy_parse(const void *buf, size_t len, enum vs_proxy_version *version,
    struct sockaddr_storage *src, struct sockaddr_storage *dst);

/* "v1"/"1", "v2"/"2", "none"/"off" -> version; -1 if none of those. */
int vs_proxy_version_parse(const char *s);

#endif
