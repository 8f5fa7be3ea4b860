/* conf.h - the config language and vsd.conf.
 *
 * The language: one "keyword value..." statement per line, '#' starts a
 * comment outside quotes, "double quoted" words may hold spaces and the
 * escapes \" \\ \n \t, a lone '{' or '}' word opens or closes a block, and
 * `include "file"` reads another file in place (relative to the including
 * file, 8 levels deep at most).  Every error is reported as
 * "file:line: message" into an error buffer and parsing goes on, so one
 * run shows them all (OpenBSD parse.y style).  The same word splitter
 * serves the vsd line protocol (proto.c).
 *
 * vsd.conf: vs_conf_load() parses into a fresh struct vs_conf, validates
 * it, and returns it only when there was no error; the grammar is in
 * docs/vsd.conf.5.
 */
#ifndef VS_CONF_H
#define VS_CONF_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* ---- words ---------------------------------------------------------- */

struct vs_words {
	int argc;
	char **argv;		/* argc entries then NULL; point into store */
	size_t alloc;
	struct vs_buf store;
};

#define VS_WORDS_INIT { 0, NULL, 0, VS_BUF_INIT }

/*
 * Split line[0..len) into words.  Fails (-1, err set, w emptied) on an
 * unterminated quote, a NUL or other control byte, or more than maxwords
 * words.  A '#' outside quotes ends the line.
 */
int vs_words_split(struct vs_words *w, const char *line, size_t len,
    int maxwords, struct vs_err *err);
void vs_words_release(struct vs_words *w);

/* ---- generic file parsing ------------------------------------------- */

struct vs_conf_pos {
	const char *file;	/* as given (for messages) */
	int line;
	int nerr;		/* errors so far, across includes */
	struct vs_buf *errors;	/* "file:line: msg\n" appended per error */
};

/* Called for each statement; argc >= 1.  Return 0, or -1 after
 * vs_conf_error() (parsing continues either way). */
typedef int (*vs_conf_stmt_fn)(void *ctx, struct vs_conf_pos *pos,
    int argc, char **argv);

/*
 * Parse path, calling fn per statement.  Returns 0 when no error was
 * reported, -1 otherwise (pos-style messages in *errors).  A file that
 * cannot be opened is an error too.
 */
int vs_conf_parse_file(const char *path, vs_conf_stmt_fn fn, void *ctx,
    struct vs_buf *errors);

/* Same, from memory (name is used in messages; include is relative to
 * the current directory). */
int vs_conf_parse_mem(const char *name, const char *text, size_t len,
    vs_conf_stmt_fn fn, void *ctx, struct vs_buf *errors);

/* Report "file:line: msg"; returns -1. */
int vs_conf_error(struct vs_conf_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a decimal number in [min, max]; optional suffix k/M/G (x1024^n)
 * when allow_suffix.  Returns 0 or -1 (no message). */
int vs_conf_number(const char *tok, long long min, long long max,
    int allow_suffix, long long *v);

/* yes/no/on/off/true/false/1/0 -> 1/0; -1 if none of those. */
int vs_conf_bool(const char *tok);

/* ---- vsd.conf --------------------------------------------------------- */

/* The host's configuration directory: make's SYSCONFDIR + /vsd. */
#ifndef VSD_SYSCONFDIR
#define VSD_SYSCONFDIR "/etc"
#endif
#define VS_CONF_DIR	VSD_SYSCONFDIR "/vsd"
#define VS_CONF_DEFAULT	VS_CONF_DIR "/vsd.conf"

/* Resource limits of one VS.  0 means "no limit / kernel default". */
struct vs_limits {
	long long memory_mb;	/* memory.max (v2) / limit_in_bytes (v1) */
	long long pids;		/* pids.max */
	long long cpu_weight;	/* 1..10000 (v2 cpu.weight; v1 shares scaled) */
	long long cpu_percent;	/* quota in percent of one CPU */
	long long io_weight;	/* 1..10000, where the io controller exists */
};

/* Per-VS overrides from `vs NAME { ... }`; mask bit i = field i set. */
struct vs_override {
	char *name;
	struct vs_limits lim;
	unsigned mask;
};

struct vs_listen {
	char *addr;		/* numeric IPv4/IPv6 address */
	int port;
};

struct vs_redirect {
	int port;		/* privileged port on the VS's address */
	int target;		/* unprivileged port of the VS's daemon */
};

struct vs_conf {
	char *path;		/* file loaded, NULL when built-in defaults */
	char *state_root;	/* default /var/lib/vsd */
	char *skel_conf;	/* default: skel.conf beside vsd.conf */
	char *secret_file;	/* default /etc/vsd/secret */
	char *admin_group;	/* may use the unix socket and bevs through
				 * vsd: a group name or a decimal gid
				 * (peer.h resolves it); NULL = root only */
	char *instance;		/* 6 hex chars from state_root: names host
				 * objects (cgroups, veths) of this instance */
	long long uid_base, uid_stride, max_servers;
	struct vs_limits limits;
	struct vs_override *overrides;
	size_t n_overrides;
	struct vs_listen *listen;
	size_t n_listen;
	struct vs_redirect *redirects;
	size_t n_redirects;
	int gateway;		/* give VSs a default route via the host */
	int nat;		/* masquerade VS traffic leaving the host */
	char *host_addr;	/* host side of every VS veth (link-local) */
	int no_new_privs;	/* PR_SET_NO_NEW_PRIVS on every VS process
				 * (breaks set-id programs in VSs) */
	long long run_size_mb, tmp_size_mb;
	long long stop_timeout;		/* seconds before the cgroup is killed */
	long long max_clients, max_line, client_timeout;
	long long auth_fail_delay;	/* ms added per failed TCP auth */
	long long bevs_sessions;	/* bevs sessions through vsd at once */
	long long bevs_sessions_per_user;	/* ... per caller uid */
	long long snap_level, snap_threads;
	int snap_fifos;			/* restore may create FIFOs */
	int log_syslog;
};

/* The path to use: $VSD_CONF, else VS_CONF_DEFAULT. */
const char *vs_conf_default_path(void);

/*
 * Load a vsd.conf.  path NULL means vs_conf_default_path(); a missing file
 * at the *default* path yields the built-in defaults, a missing explicit
 * file is an error.  On success *conf is filled (caller releases it); on
 * failure *conf is untouched and *errors holds every message.
 */
int vs_conf_load(const char *path, int explicit_path, struct vs_conf *conf,
    struct vs_buf *errors);

/*
 * A daemon's SIGHUP: load path into a fresh struct and, only if it loads
 * cleanly, swap it into *running (state_root is kept: moving it needs a
 * restart).  Errors and the outcome are logged (log.h).  Returns 0 when
 * reloaded, -1 when the running config was kept.
 */
int vs_conf_reload(struct vs_conf *running, const char *path,
    int explicit_path);

/* Built-in defaults (state_root /var/lib/vsd ...). */
void vs_conf_defaults(struct vs_conf *conf);
void vs_conf_release(struct vs_conf *conf);

/* "state_root/sub" (heap).  sub: "skel", "vs", "state", "snapshots",
 * "run", or deeper "state/vs". */
char *vs_conf_dir(const struct vs_conf *conf, const char *sub);

/* The limits for VS name: global limits with its overrides applied. */
void vs_conf_limits_for(const struct vs_conf *conf, const char *name,
    struct vs_limits *out);

/* Write the effective config in vsd.conf syntax (for -n -v). */
void vs_conf_dump(const struct vs_conf *conf, struct vs_buf *out);

#endif
