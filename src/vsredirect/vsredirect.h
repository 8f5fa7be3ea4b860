/* vsredirect.h - internal interfaces of vsredirect. */
#ifndef VSREDIRECT_H
#define VSREDIRECT_H

#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "proxyproto.h"
#include "valid.h"

#define VSR_MAX_RULES	64

/*
 * How a rule is served.  Every rule has vsredirect's listener and the
 * epoll+splice relay (relay.h) behind it.  kernel: an nftables DNAT
 * inside the VS's netns (knat.c, installed by the helper) takes the
 * clients arriving from outside first; their TCP is not relayed at all
 * and the VS's daemon sees their own address; the listener gets only
 * the VS's own connections.  relay: the listener gets everything;
 * needed for a PROXY header.
 */
enum vsr_mode {
	VSR_KERNEL,
	VSR_RELAY,
};

struct vsr_rule {
	int port;			/* privileged port on the VS's address */
	int target;			/* unprivileged port of its daemon */
	enum vs_proxy_version proxy;
	enum vsr_mode mode;
};

struct vsr_rules {
	struct vsr_rule r[VSR_MAX_RULES];
	int n;
	int max_conns;			/* per-VS limit; 0 = the global one */
};

/*
 * The rules of VS name: conf's `redirect` lines (with proxy as their
 * PROXY header), replaced by the list in vsd's state/apache/NAME when
 * that exists (mod_apache), then changed by state/redirect/NAME
 * (rules.c).  Missing files are no error.  A rule's mode is its own
 * `mode`, else relay if it sends a PROXY header, else the file's `mode`,
 * else mode; mode VSR_RELAY (vsredirect -R) makes every rule relay.  On
 * error *errors has "file:line: msg" lines and *out is untouched.
 */
int vsr_rules_load(const struct vs_conf *conf, const char *name,
    enum vs_proxy_version proxy, enum vsr_mode mode, struct vsr_rules *out,
    struct vs_buf *errors);

/* Make every rule of rs a relay rule. */
void vsr_rules_relay_all(struct vsr_rules *rs);

/* knat.c: kernel-mode rules as nftables scripts for a VS's netns */

/*
 * The script that makes the netns of the VS at ip hold exactly the
 * kernel-mode rules of rs (none: the table is deleted), limiting
 * connections redirected from outside to max_conns at once.  One
 * transaction: replaces what is there atomically.  ip must have passed
 * vs_valid_vs_ip() (it is written into the script).
 */
void vsr_knat_script(const char *ip, const struct vsr_rules *rs,
    int max_conns, struct vs_buf *out);

/*
 * The conntrack sysctls (net.netfilter.NAME) the VS's netns gets with
 * its table, as NAME, VALUE pairs in kv, NULL-terminated: no loose
 * pickup, short handshake and close timeouts, and an established
 * connection forgotten after idle_s seconds (0: conntrack's 5 days).
 * idle is storage for that number.
 */
void vsr_knat_sysctls(int idle_s, char idle[16], const char *kv[21]);

/* The script that removes whatever vsr_knat_script() installed. */
const char *vsr_knat_flush(void);

/* priv.c: become user, keeping exactly the n capabilities of keep
 * (n = 0: none at all, bounding set empty); no_new_privs. */
void vsr_raise_nofile(void);
int vsr_drop_privileges(const char *user, const int *keep, int n,
    struct vs_err *err);

/*
 * privsep.c: the privileged helper and the event loop's side of it.
 *
 * The helper is forked at start-up; it alone keeps CAP_SYS_ADMIN (setns),
 * CAP_NET_BIND_SERVICE and CAP_DAC_READ_SEARCH (and CAP_NET_ADMIN for
 * kernel mode).  It reads every file (vsd.conf, VS records, rule files,
 * netns pins), makes every socket that must be born in a VS's netns and
 * installs each VS's kernel-mode table (from the rules it reads itself:
 * the loop only says which VS); the event loop, which parses
 * network input, keeps no capability and reads no file.  They talk over
 * a SOCK_SEQPACKET socketpair: fixed-size requests, answers with fds
 * passed by SCM_RIGHTS.  The loop names a VS, never a path; the helper
 * re-checks every field and re-reads the VS's record and rules for each
 * request (so a listener is only ever made for a port a rule redirects,
 * on the VS's own address from its record).
 */
enum vsr_op {
	VSR_OP_SCAN = 1,	/* -> a VSINFO per VS up, then a REPLY */
	VSR_OP_LISTEN,		/* name, port, ns: -> REPLY + listening fd */
	VSR_OP_SOCKETS,		/* name, family, count, ns: -> REPLY + fds */
	VSR_OP_RELOAD,		/* re-read vsd.conf (SIGHUP) -> REPLY */
	VSR_OP_KNAT,		/* name, ns: install NAME's kernel-mode
				 * rules in its netns (knat.c) -> REPLY */
	VSR_OP_KNAT_FLUSH,	/* name, ns: remove them (exit) -> REPLY */
	VSR_OP_MAX
};

#define VSR_SOCKETS_MAX	16	/* fds per SOCKETS answer */

struct vsr_req {
	uint32_t op;
	uint32_t port;		/* LISTEN: a rule's privileged port */
	int32_t family;		/* SOCKETS: AF_INET or AF_INET6 */
	uint32_t count;		/* SOCKETS: 1..VSR_SOCKETS_MAX */
	uint64_t ns_dev, ns_ino;	/* the namespace the loop knows */
	char name[VS_NAME_MAX + 1];	/* LISTEN, SOCKETS, KNAT*: the VS */
};

enum { VSR_MSG_REPLY = 1, VSR_MSG_VSINFO };

struct vsr_reply {
	uint32_t kind;		/* VSR_MSG_REPLY */
	int32_t errnum;		/* 0 = done */
	uint32_t nfds;		/* fds passed with this message */
	char msg[256];		/* errnum != 0: what failed */
};

struct vsr_vsinfo {
	uint32_t kind;		/* VSR_MSG_VSINFO */
	int32_t rules_ok;	/* 0: rules unreadable, msg says why */
	uint64_t ns_dev, ns_ino;
	char name[VS_NAME_MAX + 1];
	char ip[16];
	struct vsr_rules rules;
	char msg[256];
};

/* The helper's state: its own copy of the configuration. */
struct vsr_helper {
	struct vs_conf conf;
	const char *conf_path;
	int explicit;
	enum vs_proxy_version proxy;
	enum vsr_mode mode;	/* VSR_RELAY: -R, no nft, no CAP_NET_ADMIN */
	int max_per_vs;		/* -M: kernel mode's limit if a VS sets none */
	int foreground;		/* -d: logs to stderr, not syslog */
	int idle_s;		/* -i: kernel mode's idle timeout */
};

/*
 * Fork the helper (call as root, before dropping privileges).  It runs
 * helper_main: drops to user with the three capabilities above (and
 * CAP_NET_ADMIN unless h->mode is VSR_RELAY: kernel mode), serves
 * requests until the socket closes (the loop ended), then exits.  Returns
 * the loop's end of the socket (close-on-exec), or -1.  *pid gets the
 * helper's pid.
 */
int vsr_helper_start(struct vsr_helper *h, const char *user, pid_t *pid,
    struct vs_err *err);

/*
 * Handle one request of len bytes in buf, answering on sock.  Hostile
 * input (wrong size, unknown op, bad name, a port no rule redirects, a
 * netns that is not the VS's) gets an error REPLY and no fd.  Returns 0,
 * or -1 if the answer could not be sent.  (Exposed for the unit test.)
 */
int vsr_helper_handle(struct vsr_helper *h, const void *buf, size_t len,
    int sock);

/* The loop's side: each call is one request and its answer.  If the
 * helper is gone they log it and exit(1): the daemon cannot go on. */
int vsr_priv_scan(int sock, struct vsr_vsinfo **out, size_t *n,
    struct vs_err *err);
int vsr_priv_listen(int sock, const char *name, int port, uint64_t dev,
    uint64_t ino, struct vs_err *err);
int vsr_priv_sockets(int sock, const char *name, int family, uint64_t dev,
    uint64_t ino, int *fds, int n, struct vs_err *err);
int vsr_priv_reload(int sock, struct vs_err *err);
int vsr_priv_knat(int sock, const char *name, uint64_t dev, uint64_t ino,
    int flush, struct vs_err *err);

#endif
