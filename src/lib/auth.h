/* auth.h - challenge-response authentication of TCP clients of vsd.
 *
 * The host secret lives in a file (vsd.conf `secret_file`) that must be a
 * regular file owned by root (or, for a client, by the caller), with no
 * group or other permission bits, holding 16..4096 bytes; surrounding
 * whitespace is ignored.  The exchange (docs/protocol.md):
 *
 *   C: auth                  S: +OK challenge <64 hex digits>
 *   C: auth <64 hex digits>  S: +OK authenticated | -ERR 401 ...
 *
 * The response is HMAC-SHA256(secret, "freeVSD-auth-v1:" || challenge),
 * computed with OpenSSL's libcrypto and compared with CRYPTO_memcmp().
 * A challenge is 32 bytes from RAND_bytes() and is used once.
 */
#ifndef VS_AUTH_H
#define VS_AUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define VS_AUTH_CHAL_LEN	32
#define VS_AUTH_MAC_LEN		32
#define VS_AUTH_SECRET_MIN	16
#define VS_AUTH_SECRET_MAX	4096

struct vs_auth_secret {
	size_t len;
	unsigned char key[VS_AUTH_SECRET_MAX];
};

struct vs_client;

/*
 * Load and check the secret file.  owner: the uid the file must belong to
 * (0 for the daemon; a client accepts root or itself: pass (uid_t)-1).
 * Fails with EPERM (wrong owner or mode), EINVAL (size), or the open
 * error, naming the file in *err.
 */
int vs_auth_secret_load(const char *path, uid_t owner,
    struct vs_auth_secret *s, struct vs_err *err);

/* Wipe the key (OPENSSL_cleanse). */
void vs_auth_secret_clear(struct vs_auth_secret *s);

/* Create a new secret file of 32 random bytes in hex, mode 0600, owned by
 * the caller; fails with EEXIST if it exists. */
int vs_auth_secret_create(const char *path, struct vs_err *err);

/* Fill chal with random bytes.  -1 if the RNG fails. */
int vs_auth_challenge(unsigned char chal[VS_AUTH_CHAL_LEN]);

/* mac = HMAC-SHA256(secret, "freeVSD-auth-v1:" || chal). */
int vs_auth_mac(const struct vs_auth_secret *s,
    const unsigned char chal[VS_AUTH_CHAL_LEN],
    unsigned char mac[VS_AUTH_MAC_LEN]);

/* 1 if hexmac (64 hex digits, any case) is the right answer to chal,
 * 0 otherwise (including malformed input); constant time in the MAC. */
int vs_auth_verify(const struct vs_auth_secret *s,
    const unsigned char chal[VS_AUTH_CHAL_LEN], const char *hexmac);


/* Client side: run the exchange on a connected client (vsdclient.h). */
int vs_auth_client(struct vs_client *c, const struct vs_auth_secret *s,
    struct vs_err *err);

#endif
