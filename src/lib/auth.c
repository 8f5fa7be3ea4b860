/* auth.c - the host secret and the HMAC-SHA256 challenge-response of
 * vsd's TCP listener (protocol in auth.h and docs/protocol.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"
#include "buf.h"
#include "hash.h"
#include "vsdclient.h"
#include "xmem.h"
#include "banned.h"

#define AUTH_LABEL "freeVSD-auth-v1:"

void
vs_auth_secret_clear(struct vs_auth_secret *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

int
vs_auth_secret_load(const char *path, uid_t owner, struct vs_auth_secret *s,
    struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	unsigned char tmp[VS_AUTH_SECRET_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t a = 0, b;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return vs_err_sys(err, "cannot open secret file '%s'", path);
	if (fstat(fd, &st) < 0)
		return vs_err_sys(err, "cannot stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return vs_err_set(err, EPERM, "secret file '%s' is not a "
		    "regular file", path);
	if (owner == (uid_t)-1 ? (st.st_uid != 0 && st.st_uid != getuid()) :
	    st.st_uid != owner)
		return vs_err_set(err, EPERM, "secret file '%s' is owned by "
		    "uid %u, not by %s", path, (unsigned)st.st_uid,
		    owner == 0 ? "root" : "root or the caller");
	if (st.st_mode & 077)
		return vs_err_set(err, EPERM, "secret file '%s' has mode %04o: "
		    "group and others must have no access (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
	n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return vs_err_sys(err, "cannot read '%s'", path);
	b = (size_t)n;
	while (a < b && (tmp[a] == ' ' || tmp[a] == '\n' || tmp[a] == '\t' ||
	    tmp[a] == '\r'))
		a++;
	while (b > a && (tmp[b - 1] == ' ' || tmp[b - 1] == '\n' ||
	    tmp[b - 1] == '\t' || tmp[b - 1] == '\r'))
		b--;
	if (b - a < VS_AUTH_SECRET_MIN || (size_t)n > VS_AUTH_SECRET_MAX) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return vs_err_set(err, EINVAL, "secret file '%s' must hold "
		    "%d to %d bytes", path, VS_AUTH_SECRET_MIN,
		    VS_AUTH_SECRET_MAX);
	}
	s->len = b - a;
	memcpy(s->key, tmp + a, s->len);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

int
vs_auth_secret_create(const char *path, struct vs_err *err)
{
	unsigned char raw[32];
	char hex[2 * sizeof(raw) + 2];
	_cleanup_close_ int fd = -1;
	size_t len;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return vs_err_set(err, EIO, "random number generator failed");
	vs_hex(raw, sizeof(raw), hex);
	len = strlen(hex);
	hex[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0)
		return vs_err_sys(err, "cannot create secret file '%s'", path);
	if (write(fd, hex, len) != (ssize_t)len || fsync(fd) < 0) {
		vs_err_sys(err, "cannot write '%s'", path);
		unlink(path);
		return -1;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

int
vs_auth_challenge(unsigned char chal[VS_AUTH_CHAL_LEN])
{
	return RAND_bytes(chal, VS_AUTH_CHAL_LEN) == 1 ? 0 : -1;
}

int
vs_auth_mac(const struct vs_auth_secret *s,
    const unsigned char chal[VS_AUTH_CHAL_LEN],
    unsigned char mac[VS_AUTH_MAC_LEN])
{
	unsigned char msg[sizeof(AUTH_LABEL) - 1 + VS_AUTH_CHAL_LEN];
	unsigned int maclen = 0;

	memcpy(msg, AUTH_LABEL, sizeof(AUTH_LABEL) - 1);
	memcpy(msg + sizeof(AUTH_LABEL) - 1, chal, VS_AUTH_CHAL_LEN);
	if (!HMAC(EVP_sha256(), s->key, (int)s->len, msg, sizeof(msg), mac,
	    &maclen) || maclen != VS_AUTH_MAC_LEN)
		return -1;
	return 0;
}

int
vs_auth_verify(const struct vs_auth_secret *s,
    const unsigned char chal[VS_AUTH_CHAL_LEN], const char *hexmac)
{
	unsigned char want[VS_AUTH_MAC_LEN], got[VS_AUTH_MAC_LEN];
	int ok;

	if (vs_unhex(hexmac, got, sizeof(got)) < 0)
		return 0;
	if (vs_auth_mac(s, chal, want) < 0)
		return 0;
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

int
vs_auth_client(struct vs_client *c, const struct vs_auth_secret *s,
    struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	unsigned char chal[VS_AUTH_CHAL_LEN], mac[VS_AUTH_MAC_LEN];
	char hex[2 * VS_AUTH_MAC_LEN + 1];
	char *argv[2] = { "auth", hex };
	const char *t;
	int rc = -1;

	if (vs_client_cmd(c, NULL, 1, argv, NULL, 0, &a, err) < 0)
		return -1;
	t = a.text.buf;
	if (!a.ok || strncmp(t, "challenge ", 10) != 0 ||
	    vs_unhex(t + 10, chal, sizeof(chal)) < 0) {
		vs_err_set(err, a.ok ? EPROTO : EACCES, "authentication "
		    "refused: %s", t);
		goto out;
	}
	if (vs_auth_mac(s, chal, mac) < 0) {
		vs_err_set(err, EIO, "cannot compute HMAC");
		goto out;
	}
	vs_hex(mac, sizeof(mac), hex);
	if (vs_client_cmd(c, NULL, 2, argv, NULL, 0, &a, err) < 0)
		goto out;
	if (!a.ok) {
		vs_err_set(err, EACCES, "authentication failed: %s",
		    a.text.buf);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(hex, sizeof(hex));
	vs_answer_release(&a);
	return rc;
}
