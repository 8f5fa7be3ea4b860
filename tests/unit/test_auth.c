/* test_auth.c - the host secret file checks and the HMAC-SHA256
 * challenge-response (against an independent computation and a known
 * RFC 4231 vector), including the answers an attacker would try. */
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
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "hash.h"
#include "xmem.h"

#include "tmpdir.h"

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_auth");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

static char *
write_secret(const char *name, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void
test_secret_checks(void **state)
{
	struct vs_auth_secret s;
	struct vs_err err = VS_ERR_INIT;
	char *good = write_secret("good", "  0123456789abcdef0123\n", 0600);
	char *open = write_secret("open", "0123456789abcdef0123\n", 0644);
	char *grp = write_secret("grp", "0123456789abcdef0123\n", 0640);
	char *shrt = write_secret("short", "tooshort\n", 0600);
	char *lnk = xasprintf("%s/link", tmpdir);

	(void)state;
	assert_int_equal(vs_auth_secret_load(good, (uid_t)-1, &s, &err), 0);
	assert_int_equal(s.len, 20);	/* whitespace trimmed */
	assert_memory_equal(s.key, "0123456789abcdef0123", 20);
	assert_int_equal(vs_auth_secret_load(open, (uid_t)-1, &s, &err), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(err.msg, "0644"));
	assert_int_equal(vs_auth_secret_load(grp, (uid_t)-1, &s, &err), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(vs_auth_secret_load(shrt, (uid_t)-1, &s, &err), -1);
	assert_int_equal(errno, EINVAL);
	/* a symlink to a good secret is refused (O_NOFOLLOW) */
	assert_int_equal(symlink(good, lnk), 0);
	assert_int_equal(vs_auth_secret_load(lnk, (uid_t)-1, &s, &err), -1);
	/* the daemon demands root: a file of another owner fails */
	if (getuid() != 0) {
		assert_int_equal(vs_auth_secret_load(good, 0, &s, &err), -1);
		assert_int_equal(errno, EPERM);
	}
	vs_auth_secret_clear(&s);
	free(good);
	free(open);
	free(grp);
	free(shrt);
	free(lnk);
}

static void
test_create(void **state)
{
	struct vs_auth_secret s;
	struct vs_err err = VS_ERR_INIT;
	char *p = xasprintf("%s/new", tmpdir);
	struct stat st;

	(void)state;
	assert_int_equal(vs_auth_secret_create(p, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vs_auth_secret_load(p, (uid_t)-1, &s, &err), 0);
	assert_int_equal(s.len, 64);
	assert_int_equal(vs_auth_secret_create(p, &err), -1);
	assert_int_equal(errno, EEXIST);
	free(p);
}

static void
test_mac_independent(void **state)
{
	struct vs_auth_secret s = { 0 };
	unsigned char chal[VS_AUTH_CHAL_LEN], mac[VS_AUTH_MAC_LEN];
	unsigned char want[EVP_MAX_MD_SIZE], msg[16 + VS_AUTH_CHAL_LEN];
	unsigned int wl;
	char hex[2 * VS_AUTH_MAC_LEN + 1];

	(void)state;
	s.len = 20;
	memset(s.key, 0x0b, 20);
	assert_int_equal(vs_auth_challenge(chal), 0);
	assert_int_equal(vs_auth_mac(&s, chal, mac), 0);
	memcpy(msg, "freeVSD-auth-v1:", 16);
	memcpy(msg + 16, chal, sizeof(chal));
	HMAC(EVP_sha256(), s.key, 20, msg, sizeof(msg), want, &wl);
	assert_int_equal(wl, 32);
	assert_memory_equal(mac, want, 32);
	vs_hex(mac, sizeof(mac), hex);
	assert_int_equal(vs_auth_verify(&s, chal, hex), 1);
}

static void
test_rfc4231_vector(void **state)
{
	/* RFC 4231 test case 2 through our hex helpers and libcrypto */
	static const char want[] = "5bdcc146bf60754e6a042426089575c75a003f08"
	    "9d2739839dec58b964ec3843";
	unsigned char out[32];
	unsigned int l;
	char hex[65];

	(void)state;
	HMAC(EVP_sha256(), "Jefe", 4,
	    (const unsigned char *)"what do ya want for nothing?", 28, out, &l);
	vs_hex(out, 32, hex);
	assert_string_equal(hex, want);
}

static void
test_verify_attacks(void **state)
{
	struct vs_auth_secret s = { 0 }, other = { 0 };
	unsigned char chal[VS_AUTH_CHAL_LEN], chal2[VS_AUTH_CHAL_LEN];
	unsigned char mac[VS_AUTH_MAC_LEN];
	char hex[2 * VS_AUTH_MAC_LEN + 1], bad[2 * VS_AUTH_MAC_LEN + 2];
	size_t i;

	(void)state;
	s.len = other.len = 32;
	memset(s.key, 'k', 32);
	memset(other.key, 'K', 32);
	vs_auth_challenge(chal);
	vs_auth_challenge(chal2);
	assert_memory_not_equal(chal, chal2, sizeof(chal));
	vs_auth_mac(&s, chal, mac);
	vs_hex(mac, sizeof(mac), hex);
	assert_int_equal(vs_auth_verify(&s, chal, hex), 1);
	/* upper case hex is the same answer */
	for (i = 0; hex[i]; i++)
		bad[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	bad[i] = '\0';
	assert_int_equal(vs_auth_verify(&s, chal, bad), 1);
	/* a replayed answer to another challenge, a wrong key */
	assert_int_equal(vs_auth_verify(&s, chal2, hex), 0);
	assert_int_equal(vs_auth_verify(&other, chal, hex), 0);
	/* one bit off, truncated, longer, non-hex, empty */
	memcpy(bad, hex, sizeof(hex));
	bad[10] = bad[10] == '0' ? '1' : '0';
	assert_int_equal(vs_auth_verify(&s, chal, bad), 0);
	assert_int_equal(vs_auth_verify(&s, chal, "00"), 0);
	memcpy(bad, hex, 64);
	bad[64] = '0';
	bad[65] = '\0';
	assert_int_equal(vs_auth_verify(&s, chal, bad), 0);
	memcpy(bad, hex, sizeof(hex));
	bad[0] = 'g';
	assert_int_equal(vs_auth_verify(&s, chal, bad), 0);
	assert_int_equal(vs_auth_verify(&s, chal, ""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_secret_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test(test_mac_independent),
		cmocka_unit_test(test_rfc4231_vector),
		cmocka_unit_test(test_verify_attacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
