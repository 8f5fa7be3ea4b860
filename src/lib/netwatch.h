/* netwatch.h - which VSs are up on the network now, for the host daemons
 * that serve them (vsredirect, virtuald).
 *
 * A VS is "up" when it has a record (state.h) and its network namespace
 * is pinned at state_root/run/netns/NAME (priv/net.h).  A namespace is
 * identified by its nsfs inode, so a VS that restarted (new namespace
 * under the same pin) is told apart from one that kept running.
 *
 * Changes are noticed by inotify on run/netns, state/vs and any extra
 * state directories (a pin is created before it is mounted over, so a
 * daemon rescans shortly after an event), and by a periodic rescan as a
 * safety net (bind mounts themselves raise no inotify event).
 */
#ifndef VS_NETWATCH_H
#define VS_NETWATCH_H

#include <sys/types.h>

#include "conf.h"
#include "err.h"
#include "state.h"

struct vs_netup {
	struct vs_rec rec;
	int nsfd;		/* O_RDONLY|O_CLOEXEC netns fd, caller owns */
	dev_t ns_dev;
	ino_t ns_ino;
};

/*
 * Every VS that is up, sorted by name.  *ups is heap; the caller closes
 * each nsfd it does not keep (vs_netup_free() closes those still >= 0).
 * A record that cannot be read is skipped with a warning.
 */
int vs_netup_scan(const struct vs_conf *conf, struct vs_netup **ups,
    size_t *n, struct vs_err *err);
void vs_netup_free(struct vs_netup *ups, size_t n);

/*
 * An inotify fd (non-blocking, cloexec) watching run/netns, state/vs and
 * each state_root-relative directory in extra (NULL-terminated; may be
 * NULL).  Missing directories are created (0755; state and state/priv 0700, as
 * vsd makes them).
 * Read and discard its events, then rescan.
 */
int vs_netwatch_open(const struct vs_conf *conf, const char *const *extra,
    struct vs_err *err);
/* Drain pending events; returns 1 if there were any. */
int vs_netwatch_drain(int fd);

#endif
