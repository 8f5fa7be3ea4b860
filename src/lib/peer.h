/* peer.h - who is on the other end of a local (AF_UNIX) socket, and may
 * that caller administer: root, or a member of vsd.conf's admin_group.
 *
 * The answer comes from the kernel only: SO_PEERCRED (uid, gid, pid) and
 * SO_PEERGROUPS (supplementary groups), both recorded when the peer
 * called connect() (or listen(), for the connecting side of a socket).
 * Never from anything the peer sends.  Membership therefore means "the
 * process had the group when it connected", the usual Unix rule: a user
 * added to the group in /etc/group is a member after the next login.
 */
#ifndef VS_PEER_H
#define VS_PEER_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"

struct vs_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups (heap), ngroups */
	size_t ngroups;
};

#define VS_PEER_INIT { 0, 0, 0, NULL, 0 }

/* Fill *p from the kernel for connected socket fd (release it after). */
int vs_peer_get(int fd, struct vs_peer *p, struct vs_err *err);
void vs_peer_release(struct vs_peer *p);

/*
 * 1 when fd is a connection accepted on the listening AF_UNIX socket of
 * type (SOCK_STREAM, SOCK_SEQPACKET) bound at path: connected, not itself
 * listening, its own address path (an accepted socket carries its
 * listener's).  Whoever hands over fd (vsd's front) cannot pass off a
 * socketpair, a connection of its own to some other daemon, or the
 * listening socket (whose SO_PEERCRED is whoever called listen()) as one.
 */
int vs_peer_accepted_on(int fd, int type, const char *path);

/*
 * The admin group's gid: admin_group is a group name (resolved on the
 * host, getgrnam) or a decimal gid.  1 with *gid set; 0 when no
 * admin_group is configured; -1 (ENOENT, *err) when the name is unknown.
 */
int vs_admin_gid(const struct vs_conf *conf, gid_t *gid, struct vs_err *err);

/* 1 when p is host root, or has the admin gid as its gid or among its
 * groups and is not a uid vsd hands out (its front's, a VS's: whatever
 * groups such a process holds, it is never an administrator); else 0. */
int vs_peer_is_admin(const struct vs_conf *conf, const struct vs_peer *p);

#endif
