/* net.c - a VS's network: its netns (created here, so it belongs to the
 * host user namespace), the pin that keeps it alive, the veth pair, the
 * addresses and routes on both sides (rtnetlink), and the optional NAT
 * (an nftables set of masqueraded VS addresses).
 *
 * Order of vs_net_create(), and why:
 *   1. clean leftovers of an earlier run (a crash may leave any of them);
 *   2. unshare(CLONE_NEWNET) in this thread, bind-mount it to the pin,
 *      open a netlink socket there, setns() back: no helper process;
 *   3. lo up inside (a new netns has it down);
 *   4. veth created from the host with its peer born inside the netns, so
 *      no moment exists where "eth0" is a host interface;
 *   5. addresses, links up, then routes (the kernel refuses a route over
 *      a link that is down).
 * Every step after 2 is undone by vs_net_destroy() on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/magic.h>

#include "log.h"
#include "valid.h"
#include "xmem.h"
#include "priv/net.h"
#include "priv/nft.h"
#include "banned.h"

#define NL_BUF		8192
#define NL_DUMP_BUF	(64 * 1024)
#define VS_IFNAME	"eth0"

/* ---- a minimal rtnetlink client ------------------------------------- */

struct nlmsg {
	union {
		struct nlmsghdr h;
		char buf[NL_BUF];
	} u;
};

static int
nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Start a request: header then the fixed family struct (hdr, hlen). */
static void
nl_init(struct nlmsg *m, int type, int flags, const void *hdr, size_t hlen)
{
	memset(m, 0, sizeof(*m));
	m->u.h.nlmsg_len = NLMSG_LENGTH(hlen);
	m->u.h.nlmsg_type = type;
	m->u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&m->u.h), hdr, hlen);
}

static struct rtattr *
nl_put(struct nlmsg *m, int type, const void *data, size_t len)
{
	struct rtattr *a;
	size_t at = NLMSG_ALIGN(m->u.h.nlmsg_len);

	/* requests here are small and fixed: overflow is a bug */
	if (at + RTA_SPACE(len) > sizeof(m->u.buf))
		abort();
	a = (struct rtattr *)(m->u.buf + at);
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->u.h.nlmsg_len = at + RTA_ALIGN(a->rta_len);
	return a;
}

static void
nl_put_str(struct nlmsg *m, int type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

static void
nl_put_u32(struct nlmsg *m, int type, unsigned v)
{
	nl_put(m, type, &v, sizeof(v));
}

/* Append len bytes without an attribute header (a nested ifinfomsg). */
static void
nl_raw(struct nlmsg *m, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(m->u.h.nlmsg_len);

	if (at + NLMSG_ALIGN(len) > sizeof(m->u.buf))
		abort();
	memcpy(m->u.buf + at, data, len);
	m->u.h.nlmsg_len = at + NLMSG_ALIGN(len);
}

static struct rtattr *
nl_nest(struct nlmsg *m, int type)
{
	return nl_put(m, type, NULL, 0);
}

static void
nl_nest_end(struct nlmsg *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(m->u.buf + m->u.h.nlmsg_len -
	    (char *)nest);
}

/* Send m and read the kernel's ack.  Returns 0 or -1 with errno = the
 * kernel's error. */
static int
nl_talk(int fd, struct nlmsg *m)
{
	static unsigned seq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char rbuf[NL_BUF];
	ssize_t n;

	m->u.h.nlmsg_seq = ++seq;
	if (sendto(fd, m->u.buf, m->u.h.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0)
		return -1;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			struct nlmsgerr *e;

			if (h->nlmsg_seq != m->u.h.nlmsg_seq ||
			    h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = NLMSG_DATA(h);
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

/* ---- link, address and route requests ------------------------------- */

static int
link_set(int fd, int index, unsigned flags, unsigned change,
    const char *alias)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index,
	    .ifi_flags = flags, .ifi_change = change };
	struct nlmsg m;

	nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (alias)
		nl_put_str(&m, IFLA_IFALIAS, alias);
	return nl_talk(fd, &m);
}

static int
link_del(int fd, int index)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
	struct nlmsg m;

	nl_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	return nl_talk(fd, &m);
}

/* veth "name" in fd's netns, its peer "peer" born in netns nsfd */
static int
veth_add(int fd, const char *name, const char *peer, int nsfd)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *pinfo;
	struct nlmsg m;

	nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_put_str(&m, IFLA_IFNAME, name);
	info = nl_nest(&m, IFLA_LINKINFO);
	nl_put_str(&m, IFLA_INFO_KIND, "veth");
	data = nl_nest(&m, IFLA_INFO_DATA);
	pinfo = nl_nest(&m, VETH_INFO_PEER);
	/* the peer's attributes follow its own struct ifinfomsg */
	nl_raw(&m, &ifi, sizeof(ifi));
	nl_put_str(&m, IFLA_IFNAME, peer);
	nl_put_u32(&m, IFLA_NET_NS_FD, (unsigned)nsfd);
	nl_nest_end(&m, pinfo);
	nl_nest_end(&m, data);
	nl_nest_end(&m, info);
	return nl_talk(fd, &m);
}

static int
addr_add(int fd, int index, struct in_addr a, int scope)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 32,
	    .ifa_scope = (unsigned char)scope, .ifa_index = (unsigned)index };
	struct nlmsg m;

	nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa,
	    sizeof(ifa));
	nl_put(&m, IFA_LOCAL, &a, sizeof(a));
	nl_put(&m, IFA_ADDRESS, &a, sizeof(a));
	return nl_talk(fd, &m);
}

/* dst/len via (gw, or on-link when gw is NULL) dev index, source src;
 * excl: fail with EEXIST where a route to dst/len exists already */
static int
route_add(int fd, struct in_addr dst, int len, const struct in_addr *gw,
    int index, const struct in_addr *src, int excl)
{
	struct rtmsg rt = { .rtm_family = AF_INET,
	    .rtm_dst_len = (unsigned char)len, .rtm_table = RT_TABLE_MAIN,
	    .rtm_protocol = RTPROT_STATIC, .rtm_type = RTN_UNICAST,
	    .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK };
	struct nlmsg m;

	nl_init(&m, RTM_NEWROUTE, NLM_F_CREATE | (excl ? NLM_F_EXCL :
	    NLM_F_REPLACE), &rt, sizeof(rt));
	if (len)
		nl_put(&m, RTA_DST, &dst, sizeof(dst));
	if (gw)
		nl_put(&m, RTA_GATEWAY, gw, sizeof(*gw));
	if (src)
		nl_put(&m, RTA_PREFSRC, src, sizeof(*src));
	nl_put_u32(&m, RTA_OIF, (unsigned)index);
	return nl_talk(fd, &m);
}

/*
 * The indexes (at most max) of the links whose alias is alias.  A dump
 * cannot be interleaved with other requests on one socket, so the
 * matches are collected first and acted on afterwards.
 */
static int
links_with_alias(int fd, const char *alias, int *out, size_t max,
    size_t *nout)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	/* the kernel fills dump messages up to 32 KiB: a smaller buffer
	 * would truncate them (MSG_TRUNC) on a host with many links */
	_cleanup_free_ char *rbuf = xmalloc(NL_DUMP_BUF);
	struct nlmsg m;
	size_t k = 0;
	ssize_t n;

	nl_init(&m, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	m.u.h.nlmsg_flags &= ~NLM_F_ACK;
	m.u.h.nlmsg_seq = 0x7f000001u;
	if (send(fd, m.u.buf, m.u.h.nlmsg_len, 0) < 0)
		return -1;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, rbuf, NL_DUMP_BUF, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *r;
			struct rtattr *a;
			int alen;

			if (h->nlmsg_seq != m.u.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				*nout = k;
				return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				errno = -e->error;
				return -1;
			}
			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			r = NLMSG_DATA(h);
			alen = (int)IFLA_PAYLOAD(h);
			for (a = IFLA_RTA(r); RTA_OK(a, alen);
			    a = RTA_NEXT(a, alen)) {
				if (a->rta_type != IFLA_IFALIAS)
					continue;
				if (strncmp(RTA_DATA(a), alias,
				    RTA_PAYLOAD(a)) == 0 &&
				    strlen(alias) + 1 == RTA_PAYLOAD(a) &&
				    k < max)
					out[k++] = r->ifi_index;
			}
		}
	}
}

/* ---- names and paths -------------------------------------------------- */

int
vs_net_host_ifname(const struct vs_conf *conf, long long number,
    char out[16])
{
	int n;

	if (number < 0) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(out, 16, "vh%s%lld", conf->instance, number);
	if (n < 0 || n >= 16) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static char *
pin_path(const struct vs_conf *conf, const char *name)
{
	return xasprintf("%s/run/netns/%s", conf->state_root, name);
}

static char *
alias_of(const struct vs_conf *conf, const char *name)
{
	return xasprintf("freevsd:%s:%s", conf->instance, name);
}

/* Write a sysctl of the calling thread's netns; absent files (a kernel
 * without IPv6) are fine. */
static void
sysctl_set(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		log_debug("%s: %s: %s", __func__, path, strerror(errno));
}

/* ---- NAT: one nftables table per NATed VS ----------------------------- */

/* The marker that says a NAT table may exist, so destroy knows to look
 * even after `nat` was switched off in vsd.conf. */
static char *
nat_marker(const struct vs_conf *conf, const char *name)
{
	return xasprintf("%s/run/netns/%s.nat", conf->state_root, name);
}

/*
 * Masquerade traffic from ip leaving through any interface but this
 * instance's VS veths, and never forward it into another VS's veth (with
 * forwarding on, the host would otherwise route VS to VS).  A table of its
 * own per VS makes removal one idempotent "delete table" that needs no
 * record.  Forwarding is enabled on the VS's veth only (IPv4 decides per
 * input interface), never host-wide: the host's uplink must forward too,
 * which is the admin's choice (docs/vsd.conf.5).
 */
static int
nat_add(const struct vs_conf *conf, const char *name, const char *ifname,
    const char *ip, struct vs_err *err)
{
	_cleanup_free_ char *script = NULL, *fwd = NULL, *mark = NULL;
	_cleanup_close_ int fd = -1;

	mark = nat_marker(conf, name);
	fd = open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vs_err_sys(err, "nat: cannot create '%s'", mark);
	script = xasprintf(
	    "table ip freevsd-%s-%s {}\n"
	    "delete table ip freevsd-%s-%s\n"
	    "table ip freevsd-%s-%s {\n"
	    "  chain forward {\n"
	    "    type filter hook forward priority filter; policy accept;\n"
	    "    iifname \"%s\" oifname \"vh*\" drop\n"
	    "  }\n"
	    "  chain postrouting {\n"
	    "    type nat hook postrouting priority srcnat; policy accept;\n"
	    "    ip saddr %s oifname != \"vh%s*\" masquerade\n"
	    "  }\n"
	    "}\n",
	    conf->instance, name, conf->instance, name, conf->instance, name,
	    ifname, ip, conf->instance);
	if (vs_nft_run(-1, script, err) < 0)
		return vs_err_prefix(err, "nat for %s", ip);
	fwd = xasprintf("/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	sysctl_set(fwd, "1");
	return 0;
}

static void
nat_del(const struct vs_conf *conf, const char *name)
{
	_cleanup_free_ char *mark = nat_marker(conf, name);
	_cleanup_free_ char *script = NULL;

	if (!conf->nat && access(mark, F_OK) < 0)
		return;
	script = xasprintf("delete table ip freevsd-%s-%s\n", conf->instance,
	    name);
	if (vs_nft_run(-1, script, NULL) < 0)
		log_debug("%s: no nat table for '%s'", __func__, name);
	unlink(mark);
}

/* ---- the interface ---------------------------------------------------- */

int
vs_net_open(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	_cleanup_free_ char *pin = NULL;
	struct statfs sf;
	int fd;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "network: invalid VS name '%s'",
		    name);
	pin = pin_path(conf, name);
	fd = open(pin, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vs_err_sys(err, "network of '%s': cannot open '%s'",
		    name, pin);
	/* a pin whose mount is gone is an empty file: not a netns */
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC) {
		close(fd);
		return vs_err_set(err, ENOENT, "network of '%s': '%s' is not "
		    "a network namespace (stale pin)", name, pin);
	}
	return fd;
}

static void
unpin(const char *pin)
{
	/* the pin may be mounted more than once after odd crashes */
	while (umount2(pin, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	if (unlink(pin) < 0 && errno != ENOENT)
		log_debug("%s: unlink %s: %s", __func__, pin, strerror(errno));
}

static int
del_link_named(int fd, const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);

	if (idx == 0)
		return 0;
	if (link_del(fd, (int)idx) < 0 && errno != ENODEV)
		return -1;
	return 0;
}

int
vs_net_destroy(const struct vs_conf *conf, const char *name,
    struct vs_err *err)
{
	_cleanup_free_ char *pin = NULL, *alias = NULL;
	_cleanup_close_ int fd = -1;
	struct vs_rec rec;
	int idx[16];
	size_t n = 0, i;

	if (!vs_valid_name(name))
		return vs_err_set(err, EINVAL, "network: invalid VS name '%s'",
		    name);
	fd = nl_open();
	if (fd < 0)
		return vs_err_sys(err, "network of '%s': netlink", name);
	/* deleting the host end takes eth0 with it, synchronously, whereas
	 * the netns itself dies asynchronously once unpinned and unused */
	alias = alias_of(conf, name);
	if (links_with_alias(fd, alias, idx, ARRAY_SIZE(idx), &n) < 0)
		return vs_err_sys(err, "network of '%s': cannot list links",
		    name);
	for (i = 0; i < n; i++)
		if (link_del(fd, idx[i]) < 0 && errno != ENODEV)
			return vs_err_sys(err, "network of '%s': cannot "
			    "delete link %d", name, idx[i]);
	/* a crash between creating the veth and naming it leaves one
	 * without alias: its name follows from the record */
	if (vs_rec_load(conf, name, &rec, NULL) == 0) {
		char ifname[16];

		if (vs_net_host_ifname(conf, rec.number, ifname) == 0 &&
		    del_link_named(fd, ifname) < 0)
			return vs_err_sys(err, "network of '%s': cannot "
			    "delete '%s'", name, ifname);
	}
	nat_del(conf, name);
	pin = pin_path(conf, name);
	unpin(pin);
	return 0;
}

/* Return the calling thread to the host netns; staying in the VS's one
 * would run everything after in the wrong network. */
static void
back_to(int orig)
{
	if (setns(orig, CLONE_NEWNET) < 0) {
		log_warn("cannot return to the host network namespace");
		abort();
	}
}

static int
parse_ip(const char *s, struct in_addr *a, const char *what,
    struct vs_err *err)
{
	if (inet_pton(AF_INET, s, a) != 1)
		return vs_err_set(err, EINVAL, "network: %s '%s' is not an "
		    "IPv4 address", what, s);
	return 0;
}

/* Steps 2-4 of the header comment, run inside the new netns. */
static int
build_inside(const char *pin, const char *ifname, int orig,
    const struct in_addr *ip, int *infd, int *eth_idx, struct vs_err *err)
{
	int fd;
	unsigned lo;

	if (mount("/proc/thread-self/ns/net", pin, NULL, MS_BIND, NULL) < 0)
		return vs_err_sys(err, "cannot pin the netns at '%s'", pin);
	fd = nl_open();
	if (fd < 0)
		return vs_err_sys(err, "netlink in the new netns");
	*infd = fd;
	lo = if_nametoindex("lo");
	if (lo == 0 || link_set(fd, (int)lo, IFF_UP, IFF_UP, NULL) < 0)
		return vs_err_sys(err, "cannot bring lo up");
	if (!ip)
		return 0;
	/* no IPv6 link-local on eth0: the VS talks to the host over the
	 * one address it is given, nothing else */
	sysctl_set("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	if (veth_add(fd, VS_IFNAME, ifname, orig) < 0)
		return vs_err_sys(err, "cannot create veth '%s'", ifname);
	*eth_idx = (int)if_nametoindex(VS_IFNAME);
	if (*eth_idx == 0)
		return vs_err_sys(err, "no %s after creating it", VS_IFNAME);
	if (addr_add(fd, *eth_idx, *ip, RT_SCOPE_UNIVERSE) < 0)
		return vs_err_sys(err, "cannot add the address to %s",
		    VS_IFNAME);
	if (link_set(fd, *eth_idx, IFF_UP, IFF_UP, NULL) < 0)
		return vs_err_sys(err, "cannot bring %s up", VS_IFNAME);
	return 0;
}

int
vs_net_create(const struct vs_conf *conf, const struct vs_rec *rec,
    unsigned flags, struct vs_err *err)
{
	_cleanup_free_ char *dir = NULL, *pin = NULL, *alias = NULL;
	_cleanup_free_ char *v6 = NULL;
	_cleanup_close_ int orig = -1, infd = -1, hostfd = -1, pfd = -1;
	struct in_addr ip = { 0 }, host = { 0 };
	int nonet = flags & VS_NET_NONE, eth = 0, hidx;
	char ifname[16] = "";

	if (!vs_valid_name(rec->name))
		return vs_err_set(err, EINVAL, "network: invalid VS name '%s'",
		    rec->name);
	if (!nonet) {
		if (!vs_valid_vs_ip(rec->ip))
			return vs_err_set(err, EINVAL, "network of '%s': '%s' "
			    "is not a usable VS address", rec->name, rec->ip);
		if (parse_ip(rec->ip, &ip, "address", err) < 0 ||
		    parse_ip(conf->host_addr, &host, "host_addr", err) < 0)
			return -1;
		if (vs_net_host_ifname(conf, rec->number, ifname) < 0)
			return vs_err_sys(err, "network of '%s': no interface "
			    "name for number %lld", rec->name, rec->number);
	}
	if (vs_net_destroy(conf, rec->name, err) < 0)
		return vs_err_prefix(err, "cleaning up");
	hostfd = nl_open();
	if (hostfd < 0)
		return vs_err_sys(err, "network of '%s': netlink", rec->name);
	if (ifname[0] && del_link_named(hostfd, ifname) < 0)
		return vs_err_sys(err, "network of '%s': cannot delete stale "
		    "'%s'", rec->name, ifname);
	dir = vs_conf_dir(conf, "run");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "cannot create '%s'", dir);
	free(dir);
	dir = vs_conf_dir(conf, "run/netns");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vs_err_sys(err, "cannot create '%s'", dir);
	pin = pin_path(conf, rec->name);
	pfd = open(pin, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0444);
	if (pfd < 0)
		return vs_err_sys(err, "cannot create '%s'", pin);
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return vs_err_sys(err, "cannot open the host netns");
	/* unshare() moves only this thread; back_to() returns it */
	if (unshare(CLONE_NEWNET) < 0) {
		vs_err_sys(err, "cannot create a network namespace");
		goto undo;
	}
	if (build_inside(pin, ifname, orig, nonet ? NULL : &ip, &infd, &eth,
	    err) < 0) {
		back_to(orig);
		goto undo;
	}
	back_to(orig);
	if (nonet)
		return 0;

	alias = alias_of(conf, rec->name);
	hidx = (int)if_nametoindex(ifname);
	if (hidx == 0) {
		vs_err_sys(err, "no '%s' after creating it", ifname);
		goto undo;
	}
	v6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	sysctl_set(v6, "1");
	if (link_set(hostfd, hidx, IFF_UP, IFF_UP, alias) < 0) {
		vs_err_sys(err, "cannot bring '%s' up", ifname);
		goto undo;
	}
	if (addr_add(hostfd, hidx, host, RT_SCOPE_LINK) < 0) {
		vs_err_sys(err, "cannot add %s to '%s'", conf->host_addr,
		    ifname);
		goto undo;
	}
	/* exclusive: never take over the route of another VS (or of
	 * anything else on the host) that has the same address */
	if (route_add(hostfd, ip, 32, NULL, hidx, &host, 1) < 0) {
		if (errno == EEXIST)
			vs_err_set(err, EEXIST, "address %s is already routed "
			    "on the host (another VS?)", rec->ip);
		else
			vs_err_sys(err, "cannot add the host route to %s",
			    rec->ip);
		goto undo;
	}
	if (route_add(infd, host, 32, NULL, eth, &ip, 0) < 0) {
		vs_err_sys(err, "cannot add the route to %s inside",
		    conf->host_addr);
		goto undo;
	}
	if (conf->gateway && route_add(infd, ip, 0, &host, eth, &ip, 0) < 0) {
		vs_err_sys(err, "cannot add the default route inside");
		goto undo;
	}
	if (conf->nat && nat_add(conf, rec->name, ifname, rec->ip, err) < 0)
		goto undo;
	return 0;

undo:
	{
		struct vs_err e2 = VS_ERR_INIT;
		int e = errno;

		vs_err_prefix(err, "network of '%s'", rec->name);
		if (vs_net_destroy(conf, rec->name, &e2) < 0)
			log_warnx("%s", e2.msg);
		errno = e;
		return -1;
	}
}
