/* bevsproto.h - bevs through vsd: the messages on state_root/run/bevs.sock.
 *
 * A host user who is not root, but a member of vsd.conf's admin_group,
 * cannot enter a VS by itself (bevs is never set-uid).  It connects to
 * vsd's bevs socket (AF_UNIX, SOCK_SEQPACKET: one message per send) and
 * vsd's root executor, having read the caller's credentials from the
 * kernel, runs the command for it through the same vs_run_spawn() as
 * root's bevs.  The exchange:
 *
 *   bevs -> vsd   struct vs_bevs_req (the fixed part, then argv_len bytes)
 *   vsd -> bevs   VS_BEVS_STARTED with the fds by SCM_RIGHTS: the pty
 *                 master (one fd, VS_BEVS_PTY), or the write end of the
 *                 command's stdin pipe and the read ends of its stdout and
 *                 stderr pipes (three fds);
 *                 or VS_BEVS_FAILED (code = bevs's exit code, msg why)
 *   bevs -> vsd   VS_BEVS_SIGNAL (value = SIGHUP, SIGINT, SIGTERM or
 *                 SIGQUIT), any number of times: vsd forwards it
 *   vsd -> bevs   VS_BEVS_EXITED (value = the command's wait status)
 *
 * Closing the connection ends the session: the command's process group
 * gets SIGHUP, and whatever is left of its session SIGKILL after a grace.
 * Every field is checked by the receiver as if the sender lied.
 */
#ifndef VS_BEVSPROTO_H
#define VS_BEVSPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "valid.h"

#define VS_BEVS_MAGIC		0x73766562u	/* "bevs" */
#define VS_BEVS_VERSION		1
#define VS_BEVS_ARGV_MAX	32768	/* bytes of argv, NULs included */
#define VS_BEVS_ARGC_MAX	1024
#define VS_BEVS_TERM_MAX	64

#define VS_BEVS_PTY		0x1	/* a pty of the VS; else pipes */
#define VS_BEVS_ARGV		0x2	/* argv given; else the login shell */

struct vs_bevs_req {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint16_t rows, cols;		/* window size (VS_BEVS_PTY) */
	char name[VS_NAME_MAX + 1];
	char user[VS_USER_MAX + 1];	/* "" = the VS's root */
	char term[VS_BEVS_TERM_MAX];	/* "" = none */
	uint32_t argc;
	uint32_t argv_len;
	char argv[VS_BEVS_ARGV_MAX];	/* argc strings, each NUL-ended */
};

/* bytes of a request on the wire */
#define VS_BEVS_REQ_LEN(r)	(offsetof(struct vs_bevs_req, argv) + \
				 (r)->argv_len)

enum vs_bevs_kind {
	VS_BEVS_STARTED = 1,
	VS_BEVS_FAILED = 2,
	VS_BEVS_EXITED = 3,
	VS_BEVS_SIGNAL = 4,
};

struct vs_bevs_msg {
	uint32_t magic;
	uint32_t kind;			/* enum vs_bevs_kind */
	int32_t value;			/* wait status, signal, fd count */
	int32_t code;			/* FAILED: bevs's exit status */
	char msg[VS_ERR_MAX];		/* FAILED: "what failed: why" */
};

/*
 * Check a request received in len bytes: magic, version, flags, every
 * string NUL-terminated and well-formed (VS name, user name, TERM
 * charset), argc strings exactly filling argv_len.  Fills argv[] (argc+1
 * pointers into r->argv, NULL-terminated) when VS_BEVS_ARGV.  0 or -1
 * with err saying what is wrong.
 */
int vs_bevs_req_check(const struct vs_bevs_req *r, size_t len,
    char **argv, struct vs_err *err);

/* Send m with nfd fds (0..3); -1 with errno. */
int vs_bevs_send(int sock, const struct vs_bevs_msg *m, const int *fds,
    int nfd);

/*
 * Receive one message (blocking unless the socket is not); fds that come
 * with it are stored in fds[0..*nfd) (O_CLOEXEC; at most maxfd, any more
 * are closed).  1 when a well-formed message arrived, 0 at EOF, -1 on an
 * error or a malformed message (EPROTO; its fds closed).
 */
int vs_bevs_recv(int sock, struct vs_bevs_msg *m, int *fds, int maxfd,
    int *nfd);

/*
 * bevs's exit status for a failure to start the command (bevs(8)): 3
 * ESRCH (the VS is not running) and EAGAIN (busy); with a command, 127
 * ENOENT (not found) and 126 EACCES/ENOEXEC/EISDIR (cannot run it); 1
 * anything else.
 */
int vs_bevs_exit_code(int errnum, int has_argv);

#endif
