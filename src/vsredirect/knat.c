/* knat.c - kernel-mode rules: the nftables table vsredirect keeps inside
 * each VS's network namespace.
 *
 *   table ip vsredirect
 *     chain prerouting  nat, dstnat    VS_IP:PORT -> VS_IP:TARGET
 *                                      (clients arriving over the veth)
 *     chain output      nat, -100      the same for the VS's own
 *                                      connections to its address
 *     chain connlimit   filter, input  reset a redirected connection
 *                                      beyond max_conns (ct count; the
 *                                      VS's own, over lo, do not count)
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

void
vsr_knat_script(const char *ip, const struct vsr_rules *rs, int max_conns,
    struct vs_buf *out)
{
	int i, j, k = 0;
	const char *sep = "";

	vs_buf_addf(out, "%s", KNAT_RESET);
	for (i = 0; i < rs->n; i++)
		k += rs->r[i].mode == VSR_KERNEL;
	if (!k)
		return;
	vs_buf_addf(out, "table ip vsredirect {\n");
	dnat_chain(out, "prerouting", "prerouting", "dstnat", ip, rs);
	dnat_chain(out, "output", "output", "-100", ip, rs);
	/* the counting sees each connection once, after DNAT, before the
	 * socket: filter at input */
	vs_buf_addf(out, "  chain connlimit {\n"
	    "    type filter hook input priority filter; policy accept;\n"
	    "    iifname != \"lo\" ip daddr %s tcp dport { ", ip);
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].mode != VSR_KERNEL)
			continue;
		for (j = 0; j < i; j++)	/* 70 and 80 may share 8080 */
			if (rs->r[j].mode == VSR_KERNEL &&
			    rs->r[j].target == rs->r[i].target)
				break;
		if (j < i)
			continue;
		vs_buf_addf(out, "%s%d", sep, rs->r[i].target);
		sep = ", ";
	}
	vs_buf_addf(out, " } ct status dnat ct state new "
	    "ct count over %d reject with tcp reset\n"
	    "  }\n"
	    "}\n", max_conns);
}
