/* fcaps.c - v2/v3 file capabilities for a VS (fcaps.h). */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include "fcaps.h"
#include "banned.h"

#define CAP_REV_MASK	0xff000000u
#define CAP_REV3	0x03000000u
#define CAP_V2_LEN	20

int
vs_fcaps_shift(const void *in, size_t len, uint32_t base, uint32_t count,
    unsigned char out[VS_FCAPS_V3_LEN])
{
	uint32_t magic, root = 0;

	if (len < CAP_V2_LEN) {
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, VS_FCAPS_V3_LEN);
	memcpy(out, in, CAP_V2_LEN);
	memcpy(&magic, out, 4);
	magic = le32toh(magic);
	if ((magic & CAP_REV_MASK) == CAP_REV3 && len >= VS_FCAPS_V3_LEN) {
		memcpy(&root, (const unsigned char *)in + CAP_V2_LEN, 4);
		root = le32toh(root);
	}
	if (root >= count) {
		errno = EPERM;
		return -1;
	}
	root = htole32(root + base);
	magic = htole32((magic & ~CAP_REV_MASK) | CAP_REV3);
	memcpy(out, &magic, 4);
	memcpy(out + CAP_V2_LEN, &root, 4);
	return VS_FCAPS_V3_LEN;
}

int
vs_fcaps_copy(int in, int out, uint32_t base, uint32_t count)
{
	unsigned char v[64], cap[VS_FCAPS_V3_LEN];
	ssize_t n = fgetxattr(in, VS_FCAPS_XATTR, v, sizeof(v));

	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? 0 : -1;
	if (vs_fcaps_shift(v, (size_t)n, base, count, cap) < 0 ||
	    fsetxattr(out, VS_FCAPS_XATTR, cap, sizeof(cap), 0) < 0)
		return -1;
	return 1;
}
