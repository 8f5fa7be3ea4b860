/* fcaps.h - file capabilities (security.capability) of a VS's files.
 *
 * A v2 capability xattr names no namespace root: the kernel takes it as
 * host root's and honours it on the host and in every user namespace
 * below (so a shared skeleton inode with one works in a VS).  A v3 one
 * carries the host uid of the root it is for ("rootid") and is honoured
 * only in that root's user namespace and below.  A VS's own copy of such
 * a program gets a v3 value naming the VS's root: it works in the VS,
 * and a file the VS owns never grants anything on the host.  Values are
 * in the kernel's on-disk layout (struct vfs_ns_cap_data, little-endian).
 */
#ifndef VS_FCAPS_H
#define VS_FCAPS_H

#include <stddef.h>
#include <stdint.h>

#define VS_FCAPS_XATTR	"security.capability"
#define VS_FCAPS_V3_LEN	24

/*
 * Translate capability value in (len bytes, v2 or v3; a v3 rootid is
 * relative to the VS: 0 = its root) into out, a v3 value for the VS whose
 * ids are [base, base + count).  Returns VS_FCAPS_V3_LEN, or -1 with
 * errno EINVAL (not a capability value) or EPERM (rootid outside the
 * VS).
 */
int vs_fcaps_shift(const void *in, size_t len, uint32_t base, uint32_t count,
    unsigned char out[VS_FCAPS_V3_LEN]);

/*
 * Give fd out the capabilities of fd in (a skeleton file, whose rootid
 * 0 is host root = the VS's root), shifted as above.  After any chown
 * of out: chown drops security.capability.  Returns 1 when set, 0 when
 * in has none, -1 with errno on failure.
 */
int vs_fcaps_copy(int in, int out, uint32_t base, uint32_t count);

#endif
