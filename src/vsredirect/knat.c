/* knat.c - kernel-mode rules: the nftables table vsredirect keeps inside
 * each VS's network namespace.
 *
 *   table ip vsredirect
 *     chain notrack_in  raw            conntrack only the redirected
 *     chain notrack_out raw            connections (see below)
 *     chain prerouting  nat, dstnat    VS_IP:PORT -> VS_IP:TARGET for
 *                                      clients arriving over the veth
 *     chain connlimit   filter, input  reset a redirected connection
 *                                      beyond max_conns (ct count)
 *
 * The VS's own connections to its address are not redirected here:
 * they reach vsredirect's listener on VS_IP:PORT (every rule has one)
 * and are relayed, under the relay's limits.
 *
 * Why it is safe: the table lives in the VS's netns, so it never sees
 * the host's or another VS's packets, and every rule also matches the
 * VS's own address.  The netns belongs to the host user namespace: the
 * VS's root has no CAP_NET_ADMIN over it, so it can neither list nor
 * change the table (and cannot bind the privileged port either).  The
 * limit counts only connections this table redirected (`ct status
 * dnat` to a target port), not the daemon's direct clients nor relayed
 * ones.  Conntrack keeps the translation of an established connection
 * when the rule goes away, so replacing the table cuts nothing.
 *
 * Conntrack's table is shared by every namespace (nf_conntrack_max is
 * global), and installing NAT turns conntrack on in the VS's netns.  So
 * the raw chains leave every packet untracked but those of redirected
 * connections, and the helper sets nf_conntrack_tcp_loose to 0 there (a
 * stray ACK makes no entry): the only entries in the VS's netns are
 * its redirected connections from outside (at most max_conns live, and
 * short timeouts once closed), none of the VS's own making.
 *
 * The timeouts of a redirected connection (the helper sets the netns's
 * own nf_conntrack_tcp_timeout_* sysctls, which only these connections
 * use: vsr_knat_sysctls()): an idle established one is forgotten after
 * vsredirect's idle timeout (-i; the client's next packet then gets a
 * reset, as the relay would give it), a handshake after 10 s (a spoofed
 * SYN flood does not hold the per-VS limit for conntrack's 2 minutes), a
 * closed one after 2 s (no TIME_WAIT entries piling up at a VS's
 * connection rate).  (An nftables `ct timeout` object would say the same
 * per rule, but this kernel ignored its policy.)
 *
 * Input is trusted to be valid here (the address passed
 * vs_valid_vs_ip(), ports are numbers in range), so nothing from a
 * file can reach the script as text.
 */
#include <stdio.h>
#include <string.h>

#include "vsredirect.h"
#include "banned.h"

#define KNAT_RESET "table ip vsredirect {}\ndelete table ip vsredirect\n"

const char *
vsr_knat_flush(void)
{
	return KNAT_RESET;
}

static void
dnat_chain(struct vs_buf *out, const char *chain, const char *hook,
    const char *prio, const char *ip, const struct vsr_rules *rs)
{
	int i;

	vs_buf_addf(out, "  chain %s {\n"
	    "    type nat hook %s priority %s; policy accept;\n",
	    chain, hook, prio);
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].mode == VSR_KERNEL)
			vs_buf_addf(out, "    ip daddr %s tcp dport %d "
			    "dnat to %s:%d\n", ip, rs->r[i].port, ip,
			    rs->r[i].target);
	vs_buf_addf(out, "  }\n");
}

/* "{ 80, 443 }": the kernel rules' ports, or (targets) their targets,
 * each once (70 and 80 may share 8080) */
static void
port_set(struct vs_buf *out, const struct vsr_rules *rs, int targets)
{
	const char *sep = "";
	int i, j;

	vs_buf_addf(out, "{ ");
	for (i = 0; i < rs->n; i++) {
		int v = targets ? rs->r[i].target : rs->r[i].port;

		if (rs->r[i].mode != VSR_KERNEL)
			continue;
		for (j = 0; j < i; j++)
			if (rs->r[j].mode == VSR_KERNEL &&
			    (targets ? rs->r[j].target : rs->r[j].port) == v)
				break;
		if (j < i)
			continue;
		vs_buf_addf(out, "%s%d", sep, v);
		sep = ", ";
	}
	vs_buf_addf(out, " }");
}

/* name, value pairs, NULL-terminated; idle_s 0 = conntrack's 5 days */
void
vsr_knat_sysctls(int idle_s, char idle[16], const char *kv[21])
{
	static const char *const fixed[] = {
		"nf_conntrack_tcp_loose", "0",
		"nf_conntrack_tcp_timeout_syn_sent", "10",
		"nf_conntrack_tcp_timeout_syn_recv", "10",
		"nf_conntrack_tcp_timeout_fin_wait", "10",
		"nf_conntrack_tcp_timeout_close_wait", "10",
		"nf_conntrack_tcp_timeout_last_ack", "10",
		"nf_conntrack_tcp_timeout_time_wait", "2",
		"nf_conntrack_tcp_timeout_close", "2",
	};
	size_t i;

	snprintf(idle, 16, "%d", idle_s > 0 ? idle_s : 432000);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		kv[i] = fixed[i];
	kv[i++] = "nf_conntrack_tcp_timeout_established";
	kv[i++] = idle;
	kv[i] = NULL;
}

void
vsr_knat_script(const char *ip, const struct vsr_rules *rs, int max_conns,
    struct vs_buf *out)
{
	int i, k = 0;

	vs_buf_addf(out, "%s", KNAT_RESET);
	for (i = 0; i < rs->n; i++)
		k += rs->r[i].mode == VSR_KERNEL;
	if (!k)
		return;
	vs_buf_addf(out, "table ip vsredirect {\n");
	/* conntrack's table is one for the whole host: track only the
	 * connections redirected from outside, so that the VS cannot
	 * fill it with flows of its own (UDP, outgoing connections,
	 * direct clients, connections to itself; a non-SYN packet of an
	 * unknown flow makes no entry either, nf_conntrack_tcp_loose is 0
	 * in the VS's netns: sysctls).  lo carries only the VS's own
	 * traffic, untracked since the output chain */
	vs_buf_addf(out, "  chain notrack_in {\n"
	    "    type filter hook prerouting priority raw; policy accept;\n"
	    "    iifname \"lo\" return\n"
	    "    ip daddr %s tcp dport ", ip);
	port_set(out, rs, 0);
	vs_buf_addf(out, " return\n"
	    "    notrack\n"
	    "  }\n"
	    "  chain notrack_out {\n"
	    "    type filter hook output priority raw; policy accept;\n"
	    "    oifname \"lo\" notrack\n"
	    "    ip saddr %s tcp sport ", ip);
	port_set(out, rs, 1);
	/* the daemon's answers to redirected clients; a SYN from a target
	 * port opens a connection of the VS's own */
	vs_buf_addf(out, " tcp flags & (syn | ack) != syn return\n"
	    "    notrack\n"
	    "  }\n");
	dnat_chain(out, "prerouting", "prerouting", "dstnat", ip, rs);
	/* the counting sees each connection once, after DNAT, before the
	 * socket: filter at input */
	vs_buf_addf(out, "  chain connlimit {\n"
	    "    type filter hook input priority filter; policy accept;\n"
	    "    iifname != \"lo\" ip daddr %s tcp dport ", ip);
	port_set(out, rs, 1);
	vs_buf_addf(out, " ct status dnat ct state new "
	    "ct count over %d reject with tcp reset\n"
	    "  }\n"
	    "}\n", max_conns);
}
