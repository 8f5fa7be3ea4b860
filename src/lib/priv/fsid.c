/* priv/fsid.c - per-thread filesystem ids with capabilities kept
 * (fsid.h).  Privilege phase: runs as host root inside a clone worker;
 * touches only the calling thread's credentials. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>

#include "priv/fsid.h"

static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

static int
caps_set(const struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capset, &h, d);
}

int
vs_fsid_enter(struct vs_fsid *s, uid_t uid, gid_t gid)
{
	struct __user_cap_data_struct d[2];

	memset(s, 0, sizeof(*s));
	if (caps_get(s->caps) < 0)
		return -1;
	/* setfsuid() returns the previous value and never fails visibly:
	 * read back to know */
	s->gid = (gid_t)setfsgid(gid);
	s->uid = (uid_t)setfsuid(uid);
	if ((uid_t)setfsuid((uid_t)-1) != uid ||
	    (gid_t)setfsgid((gid_t)-1) != gid)
		goto undo;
	memcpy(d, s->caps, sizeof(d));
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	if (caps_set(d) < 0)
		goto undo;
	s->active = 1;
	return 0;
undo:
	setfsuid(s->uid);
	setfsgid(s->gid);
	caps_set(s->caps);
	errno = EPERM;
	return -1;
}

void
vs_fsid_leave(struct vs_fsid *s)
{
	if (!s->active)
		return;
	setfsuid(s->uid);
	setfsgid(s->gid);
	caps_set(s->caps);
	s->active = 0;
}
