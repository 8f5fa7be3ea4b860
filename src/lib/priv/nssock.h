/* nssock.h - sockets created inside another network namespace.
 *
 * A socket belongs to the network namespace its creator was in when it
 * called socket(2), for its whole life.  So a host daemon (vsredirect,
 * virtuald) that serves a VS enters the VS's pinned netns with setns(2),
 * creates the socket, and returns to its own netns at once: the process
 * never runs anything else inside the VS.  Needs CAP_SYS_ADMIN over both
 * namespaces (they are owned by the host user namespace).
 *
 * Not thread-safe against other threads of the caller doing the same with
 * a different namespace (setns acts on the calling thread); our daemons
 * are single-threaded.
 */
#ifndef VS_PRIV_NSSOCK_H
#define VS_PRIV_NSSOCK_H

#include "err.h"

/* Open the way back (our own netns) now, e.g. before dropping
 * privileges; vs_nssock() does it on first use otherwise. */
int vs_nssock_init(struct vs_err *err);

/*
 * socket(domain, type, proto) inside the netns nsfd (-1 = the caller's
 * own).  Returns the fd, or -1 with errno and err set.  If returning to
 * the caller's netns fails the process is in an unknown namespace: that
 * is fatal (abort), never silently continued.
 */
int vs_nssock(int nsfd, int domain, int type, int proto, struct vs_err *err);

/*
 * n sockets as vs_nssock() makes one, in a single excursion (a relay
 * keeps a few ready: entering a namespace costs more than the socket).
 * Returns how many were made (>= 1, fds[0..k)), or -1 if none.
 */
int vs_nssock_many(int nsfd, int domain, int type, int proto, int *fds,
    int n, struct vs_err *err);

/*
 * A TCP or UDP socket inside nsfd bound to ip:port (numeric IPv4 or
 * IPv6), SO_REUSEADDR, listening with backlog (TCP only; backlog < 0 =
 * don't listen).  type may carry SOCK_NONBLOCK; SOCK_CLOEXEC is added.
 */
int vs_nssock_listen(int nsfd, int type, const char *ip, int port,
    int backlog, struct vs_err *err);

/* 1 if fd is a network namespace (nsfs with type CLONE_NEWNET), else 0. */
int vs_nssock_is_netns(int fd);

#endif
