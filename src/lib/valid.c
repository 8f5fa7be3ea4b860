/* valid.c - name and address syntax. */
#include <string.h>
#include <arpa/inet.h>

#include "valid.h"

static int
lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
vs_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VS_NAME_MAX || !lower_or_digit(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!lower_or_digit(s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
vs_valid_username(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VS_USER_MAX)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!lower_or_digit(s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
vs_valid_vs_ip(const char *s)
{
	struct in_addr a;
	unsigned long h;
	size_t i, dots = 0;

	/* inet_pton accepts only dotted quads for AF_INET; still insist on
	 * digits and dots so no locale or libc variation sneaks in */
	for (i = 0; s[i]; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	if (dots != 3 || i > 15 || inet_pton(AF_INET, s, &a) != 1)
		return 0;
	h = ntohl(a.s_addr);
	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 16) == 0xa9fe ||
	    (h >> 28) >= 0xe || h == 0xffffffffUL)
		return 0;
	return 1;
}

int
vs_valid_fqdn(const char *s)
{
	size_t n = strlen(s), lab = 0, i;

	if (n == 0 || n > VS_FQDN_MAX)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (lab == 0 && c == '-')
			return 0;
		lab++;
	}
	return 1;
}

int
vs_valid_relpath(const char *p)
{
	const char *c = p;

	if (*p == '\0' || *p == '/')
		return 0;
	for (;;) {
		const char *end = strchrnul(c, '/');
		size_t len = (size_t)(end - c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return 0;	/* also a trailing or doubled '/' */
		if (*end == '\0')
			return 1;
		c = end + 1;
	}
}
