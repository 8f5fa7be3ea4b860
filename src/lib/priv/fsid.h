/* priv/fsid.h - create files as another owner without chown calls.
 *
 * vs_fsid_enter() switches the calling *thread's* filesystem uid and gid
 * (setfsuid/setfsgid: per thread, unlike setuid) so that every inode it
 * creates is born owned by (uid, gid), and re-raises the capabilities the
 * kernel drops from the effective set on that switch (CAP_DAC_OVERRIDE,
 * CAP_FOWNER, ...), which linking host-root files still needs.
 * vs_fsid_leave() restores the saved ids and capabilities.  Both affect
 * only the calling thread; a thread must leave before it ends.
 */
#ifndef VS_PRIV_FSID_H
#define VS_PRIV_FSID_H

#include <linux/capability.h>
#include <sys/types.h>

struct vs_fsid {
	uid_t uid;
	gid_t gid;
	struct __user_cap_data_struct caps[2];
	int active;
};

/* 0 on success; -1 (errno set) if the ids or capabilities could not be
 * switched, and then nothing changed. */
int vs_fsid_enter(struct vs_fsid *saved, uid_t uid, gid_t gid);
void vs_fsid_leave(struct vs_fsid *saved);

#endif
