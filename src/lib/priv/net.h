/* net.h - a VS's network: its netns, veth pair, addresses and routes.
 *
 * The network namespace of a VS is created by the host (owned by the host
 * user namespace), so the VS's root, which is root only in its own user
 * namespace, cannot change its addresses, routes or firewall.  It is
 * pinned by a bind mount at state_root/run/netns/NAME (never under the
 * host's /run/netns).  Inside: lo up, and unless VS_NET_NONE, "eth0" with
 * the VS's IP/32, a route to conf->host_addr on eth0 and, with `gateway
 * yes`, a default route via host_addr.  Host side: "vh<instance><number>"
 * (alias "freevsd:<instance>:<name>") carrying host_addr/32, and a host
 * route VS-IP/32 dev vh... src host_addr (exclusive: an address already
 * routed on the host is refused).  With `nat yes` the VS's address is
 * masqueraded by an nftables table "freevsd-<instance>-<name>" (needs
 * nft), which also drops forwarding into other VS veths.
 *
 * Links, addresses and routes are made over rtnetlink.  Callers hold the
 * VS lock (state.h).  0 / fd on success, -1 with errno and *err set.
 */
#ifndef VS_PRIV_NET_H
#define VS_PRIV_NET_H

#include "conf.h"
#include "err.h"
#include "state.h"

#define VS_NET_NONE	0x1	/* loopback only (vstry): no veth, no IP */

/* Host-side interface name of VS number n: "vh<instance><n>" (<= 15). */
int vs_net_host_ifname(const struct vs_conf *conf, long long number,
    char out[16]);

/*
 * Build the VS's network for rec (name, number, ip).  Leftovers of an
 * earlier run (pin, veth, nat rule) are removed first, so this also
 * repairs a crashed start; do not call it while the VS runs.  On failure
 * everything made so far is undone.
 */
int vs_net_create(const struct vs_conf *conf, const struct vs_rec *rec,
    unsigned flags, struct vs_err *err);

/* O_RDONLY|O_CLOEXEC fd of the VS's netns (for setns(fd, CLONE_NEWNET));
 * ENOENT when it has none. */
int vs_net_open(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

/*
 * Remove the VS's network: host veth (found by its alias, so no record is
 * needed), nat rule, pin.  Idempotent; also cleans a half-made create.
 * The netns itself goes away when its last process is gone.
 */
int vs_net_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err);

#endif
