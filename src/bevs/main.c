/* bevs - "become VS": a shell or a command inside a running VS.
 *
 * Host root enters the VS itself (vs_run_spawn()); bevs is never set-uid,
 * so anyone else asks vsd, over state_root/run/bevs.sock: vsd's root
 * executor checks from the kernel that we are a member of admin_group and
 * runs the command through the same vs_run_spawn() (bevsproto.h, and
 * src/vsd/session.c).  Interactive use gets a new pty from the VS's own
 * devpts and a new session inside, so nothing in the VS ever holds the
 * caller's terminal: TIOCSTI and friends can only reach the VS's pty.
 * Without a pty, any of our stdio that is a terminal is relayed through a
 * pipe for the same reason; root hands pipes and files over as they are,
 * through vsd everything is relayed (a caller's fd never enters a VS).
 * The command's exit status is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bevsproto.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "runtime.h"
#include "state.h"
#include "valid.h"
#include "xmem.h"

static const char usage_text[] =
    "usage: bevs [-c file] [-u user] [-t | -T] name [command [arg ...]]\n";

static struct termios saved_tio;
static int tio_saved;
static volatile sig_atomic_t got_winch, got_sig;

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
restore_tty(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
}

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_sig = sig;
}

/* Host root enters by itself (0); members of admin_group go through vsd
 * (1), which decides; without an admin_group, anyone else is refused. */
static int
check_caller(const struct vs_conf *conf)
{
	if (geteuid() == 0)
		return 0;
	if (conf->admin_group)
		return 1;
	log_warnx("permission denied: only root may enter a VS "
	    "(admin_group is not set in '%s')", conf->path ? conf->path :
	    "vsd.conf");
	return -1;
}

/* Copy once from -> to; 0 when from is done. */
static int
pump(int from, int to)
{
	char buf[8192];
	ssize_t n, off = 0, w;

	n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	while (off < n) {
		w = write(to, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 1;	/* our reader is gone: drop */
		off += w;
	}
	return 1;
}

static void
install_signals(int pty)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!pty)
		sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* One message of the vsd session: 1 when the session is over (*status
 * from its EXITED message, or *lost set when the connection broke
 * without one), 0 for a message that is not for us. */
static int
session_status(int sock, int *status, int *lost)
{
	struct vs_bevs_msg m;
	int fds[3], nfd = 0, rc;

	rc = vs_bevs_recv(sock, &m, fds, 3, &nfd);
	while (nfd > 0)
		close(fds[--nfd]);
	if (rc == 1 && m.kind == VS_BEVS_EXITED) {
		*status = m.value;
		return 1;
	}
	if (rc == 1)
		return 0;	/* not for us: ignore */
	*lost = 1;
	return 1;
}

/* Forward a signal we got to the command: ourselves, or through vsd. */
static void
forward_signal(pid_t pid, int sock, int sig)
{
	struct vs_bevs_msg m;

	if (pid > 0) {
		kill(pid, sig);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.magic = VS_BEVS_MAGIC;
	m.kind = VS_BEVS_SIGNAL;
	m.value = sig;
	(void)!vs_bevs_send(sock, &m, NULL, 0);
}

/*
 * Relay until the command ends: our child pid, or (pid 0) the vsd session
 * on sock, which sends its status.  in[i]/out[i]: pairs to copy (-1 =
 * none); the pty master or our pipes.  After the command exited, whatever
 * is still buffered is drained for up to 200 ms (a background process
 * inside may keep the pty or pipe open: we do not wait for it).
 */
static int
relay_loop(pid_t pid, int sock, int in_from, int in_to, int out_from[2],
    int out_to[2])
{
	int pidfd = pid > 0 ? pidfd_open(pid, 0) : sock;
	int status = 0, done = 0, lost = 0, i;

	while (!done || out_from[0] >= 0 || out_from[1] >= 0) {
		struct pollfd p[4] = {
			{ .fd = in_from, .events = POLLIN },
			{ .fd = out_from[0], .events = POLLIN },
			{ .fd = out_from[1], .events = POLLIN },
			{ .fd = done ? -1 : pidfd, .events = POLLIN },
		};
		int rc = poll(p, 4, done ? 200 : -1);

		if (got_sig && !done) {
			/* an interactive shell ignores SIGTERM: a pty user
			 * going away is a hangup */
			forward_signal(pid, sock, in_to >= 0 && isatty(in_to) ?
			    SIGHUP : got_sig);
			got_sig = 0;
		}
		if (got_winch && in_to >= 0 && isatty(0)) {
			struct winsize ws;

			got_winch = 0;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(in_to, TIOCSWINSZ, &ws);
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;		/* drained (or poll failed) */
		if (p[0].revents && !pump(in_from, in_to)) {
			/* end of our input: a pipe reader sees EOF when we
			 * close it, a pty's reader when we type ^D */
			if (in_to >= 0 && isatty(in_to))
				(void)!write(in_to, "\004", 1);
			else if (in_to >= 0)
				close(in_to);
			in_from = -1;
		}
		for (i = 0; i < 2; i++)
			if (p[1 + i].revents && !pump(out_from[i], out_to[i]))
				out_from[i] = -1;
		if (p[3].revents && pid > 0) {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			done = 1;
		} else if (p[3].revents)
			done = session_status(sock, &status, &lost);
	}
	if (!done && pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	while (!done && pid <= 0 && !lost)	/* the status still to come */
		done = session_status(sock, &status, &lost);
	if (lost) {
		log_warnx("vsd ended the session without the command's exit "
		    "status (vsd stopped?)");
		return 1;
	}
	return exit_code(status);
}

/* Our terminal raw while a pty relays it (restored at exit). */
static void
raw_tty(int master)
{
	struct winsize ws;
	struct termios raw;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	if (tcgetattr(0, &saved_tio) == 0) {
		tio_saved = 1;
		atexit(restore_tty);
		raw = saved_tio;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
	}
}

/* The request for vsd; -1 when argv does not fit. */
static int
build_request(struct vs_bevs_req *r, const char *name, const char *user,
    char *const *argv, int pty)
{
	const char *term = getenv("TERM");
	struct winsize ws;
	size_t len, i;

	memset(r, 0, offsetof(struct vs_bevs_req, argv));
	r->magic = VS_BEVS_MAGIC;
	r->version = VS_BEVS_VERSION;
	r->flags = (pty ? VS_BEVS_PTY : 0) | (argv ? VS_BEVS_ARGV : 0);
	if (pty && ioctl(0, TIOCGWINSZ, &ws) == 0) {
		r->rows = ws.ws_row;
		r->cols = ws.ws_col;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->user, sizeof(r->user), "%s", user ? user : "");
	/* vsd checks the charset; a TERM it would refuse is left out */
	if (pty && term && strlen(term) < sizeof(r->term) &&
	    strspn(term, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.+") == strlen(term))
		memcpy(r->term, term, strlen(term) + 1);
	for (i = 0; argv && argv[i]; i++) {
		len = strlen(argv[i]) + 1;
		if (i >= VS_BEVS_ARGC_MAX ||
		    len > VS_BEVS_ARGV_MAX - r->argv_len)
			return -1;
		memcpy(r->argv + r->argv_len, argv[i], len);
		r->argv_len += (uint32_t)len;
		r->argc++;
	}
	return 0;
}

/*
 * Not root: ask vsd to run it (bevsproto.h).  We get back the pty master,
 * or the ends of the command's three pipes, and relay our stdio to them.
 */
static int
via_vsd(const struct vs_conf *conf, const char *name, const char *user,
    char *const *argv, int pty)
{
	static struct vs_bevs_req req;
	_cleanup_free_ char *path = vs_conf_dir(conf, "run/bevs.sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vs_bevs_msg m;
	int sock, fds[3], nfd = 0, rc, i, ok;
	int out_from[2] = { -1, -1 }, out_to[2] = { 1, 2 };
	struct stat st;

	if (!vs_valid_name(name)) {
		log_warnx("invalid VS name '%s'", name);
		return 1;
	}
	if (build_request(&req, name, user, argv, pty) < 0) {
		log_warnx("argument list too long for vsd (%d arguments, %d "
		    "bytes at most)", VS_BEVS_ARGC_MAX, VS_BEVS_ARGV_MAX);
		return 1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("socket path '%s' too long", path);
		return 1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_warn("vsd is not running (cannot connect to '%s')", path);
		return 3;
	}
	/* a refusal may already wait for us, with the socket closed: read
	 * it whatever send says (EPIPE); a first ECONNRESET only means vsd
	 * closed before reading our request, the answer comes next */
	if (send(sock, &req, VS_BEVS_REQ_LEN(&req), MSG_NOSIGNAL) < 0 &&
	    errno != EPIPE && errno != ECONNRESET) {
		log_warn("cannot send the request to vsd");
		return 3;
	}
	rc = vs_bevs_recv(sock, &m, fds, 3, &nfd);
	if (rc < 0 && errno == ECONNRESET)
		rc = vs_bevs_recv(sock, &m, fds, 3, &nfd);
	if (rc == 0) {
		log_warnx("vsd closed the connection; try again");
		return 3;
	}
	if (rc < 0) {
		log_warn("cannot read vsd's answer");
		return 1;
	}
	if (m.kind == VS_BEVS_FAILED) {
		while (nfd > 0)
			close(fds[--nfd]);
		log_warnx("%s", m.msg);
		return m.code == 3 || m.code == 126 || m.code == 127 ?
		    m.code : 1;
	}
	/* exactly what we asked for, nothing else: a pty master or pipes */
	ok = m.kind == VS_BEVS_STARTED && nfd == (pty ? 1 : 3) &&
	    m.value == nfd;
	for (i = 0; ok && i < nfd; i++)
		ok = fstat(fds[i], &st) == 0 &&
		    (pty ? S_ISCHR(st.st_mode) && isatty(fds[i]) :
		    S_ISFIFO(st.st_mode));
	if (!ok) {
		while (nfd > 0)
			close(fds[--nfd]);
		log_warnx("unexpected answer from vsd");
		return 1;
	}
	if (pty) {
		raw_tty(fds[0]);
		out_from[0] = fds[0];
		return relay_loop(0, sock, 0, fds[0], out_from, out_to);
	}
	out_from[0] = fds[1];
	out_from[1] = fds[2];
	return relay_loop(0, sock, 0, fds[0], out_from, out_to);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfile = NULL, *name;
	struct vs_buf errors = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_exec x;
	struct vs_conf conf;
	struct vs_rec rec;
	int c, pty = -1, master = -1, rc;
	struct winsize ws;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int out_from[2] = { -1, -1 }, out_to[2] = { 1, 2 }, in_to = -1;
	pid_t pid;

	log_init("bevs", 1, 0);
	memset(&x, 0, sizeof(x));
	/* options end at the VS name: the command keeps its own */
	while ((c = getopt_long(argc, argv, "+c:htTu:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfile = optarg;
			break;
		case 'u':
			x.user = optarg;
			break;
		case 't':
			pty = 1;
			break;
		case 'T':
			pty = 0;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind >= argc)
		usage(2);
	name = argv[optind++];
	if (vs_conf_load(cfile, cfile != NULL, &conf, &errors) < 0) {
		vs_buf_rtrim(&errors);
		fprintf(stderr, "%s\n", errors.buf);
		return 1;
	}
	if ((rc = check_caller(&conf)) < 0)
		return 1;
	if (pty < 0)
		pty = isatty(0) && isatty(1);
	if (rc == 1) {
		install_signals(pty);
		return via_vsd(&conf, name, x.user, optind < argc ?
		    argv + optind : NULL, pty);
	}
	if (vs_rec_load(&conf, name, &rec, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	x.argv = optind < argc ? argv + optind : NULL;
	x.pty = pty;
	if (pty && ioctl(0, TIOCGWINSZ, &ws) == 0) {
		x.rows = ws.ws_row;
		x.cols = ws.ws_col;
	}
	x.fd_in = 0;
	x.fd_out = 1;
	x.fd_err = 2;
	if (!pty) {
		/* a terminal of ours is never handed in: relay it */
		if (isatty(0)) {
			if (pipe2(pin, O_CLOEXEC) < 0)
				fatal("pipe");
			x.fd_in = pin[0];
			in_to = pin[1];
		}
		if (isatty(1)) {
			if (pipe2(pout, O_CLOEXEC) < 0)
				fatal("pipe");
			x.fd_out = pout[1];
			out_from[0] = pout[0];
		}
		if (isatty(2)) {
			if (pipe2(perr, O_CLOEXEC) < 0)
				fatal("pipe");
			x.fd_err = perr[1];
			out_from[1] = perr[0];
		}
	}

	install_signals(pty);
	pid = vs_run_spawn(&conf, name, &x, &master, &err);
	if (pid < 0) {
		log_warnx("%s", err.msg);
		/* shell conventions: 127 command not found, 126 found but
		 * not executable; 3 the VS is not running; 1 anything else */
		return vs_bevs_exit_code(err.errnum, x.argv != NULL);
	}
	if (pty) {
		raw_tty(master);
		out_from[0] = master;
		rc = relay_loop(pid, -1, 0, master, out_from, out_to);
		close(master);
		return rc;
	}
	/* our ends only: the VS's ends live in the command now */
	if (pin[0] >= 0)
		close(pin[0]);
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[1] >= 0)
		close(perr[1]);
	return relay_loop(pid, -1, in_to >= 0 ? 0 : -1, in_to, out_from,
	    out_to);
}
