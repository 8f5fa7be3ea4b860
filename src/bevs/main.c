/* bevs - "become VS": a shell or a command inside a running VS.
 *
 * For host root only (never installed set-uid).  Interactive use gets a
 * new pty from the VS's own devpts and a new session inside, so nothing
 * in the VS ever holds the caller's terminal: TIOCSTI and friends can
 * only reach the VS's pty.  Without a pty, any of our stdio that is a
 * terminal is relayed through a pipe for the same reason; pipes and files
 * are handed over as they are.  The command's exit status is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "runtime.h"
#include "state.h"
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

/* Host root may; anyone else is refused, naming the rule. */
static int
check_caller(const struct vs_conf *conf)
{
	if (geteuid() == 0)
		return 0;
	if (conf->admin_group) {
		struct group *g = getgrnam(conf->admin_group);
		gid_t groups[256];
		int n = getgroups(256, groups), i, member = 0;

		for (i = 0; g && i < n; i++)
			if (groups[i] == g->gr_gid)
				member = 1;
		if (g && getegid() == g->gr_gid)
			member = 1;
		if (member) {
			log_warnx("permission denied: bevs is never set-uid; "
			    "members of '%s' run it through sudo",
			    conf->admin_group);
			return -1;
		}
	}
	log_warnx("permission denied: only root%s%s%s may enter a VS",
	    conf->admin_group ? " and members of '" : "",
	    conf->admin_group ? conf->admin_group : "",
	    conf->admin_group ? "'" : "");
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

static int
exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/*
 * Relay until the command ends.  in[i]/out[i]: pairs to copy (-1 = none);
 * the pty master or our pipes.  After the command exited, whatever is
 * still buffered is drained for up to 200 ms (a background process inside
 * may keep the pty or pipe open: we do not wait for it).
 */
static int
relay_loop(pid_t pid, int in_from, int in_to, int out_from[2], int out_to[2])
{
	int pidfd = pidfd_open(pid, 0), status = 0, done = 0, i;

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
			kill(pid, in_to >= 0 && isatty(in_to) ? SIGHUP :
			    got_sig);
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
		if (p[3].revents) {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			done = 1;
		}
	}
	if (!done)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	return exit_code(status);
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
	struct sigaction sa;
	int c, pty = -1, master = -1, rc;
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
	if (check_caller(&conf) < 0)
		return 1;
	if (vs_rec_load(&conf, name, &rec, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	if (pty < 0)
		pty = isatty(0) && isatty(1);
	x.argv = optind < argc ? argv + optind : NULL;
	x.pty = pty;
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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!pty)
		sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid = vs_run_spawn(&conf, name, &x, &master, &err);
	if (pid < 0) {
		log_warnx("%s", err.msg);
		/* shell conventions: 127 command not found, 126 found but
		 * not executable; 3 the VS is not running; 1 anything else */
		if (err.errnum == ESRCH)
			return 3;
		if (x.argv && err.errnum == ENOENT)
			return 127;
		if (x.argv && (err.errnum == EACCES || err.errnum == ENOEXEC ||
		    err.errnum == EISDIR))
			return 126;
		return 1;
	}
	if (pty) {
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
		out_from[0] = master;
		rc = relay_loop(pid, 0, master, out_from, out_to);
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
	return relay_loop(pid, in_to >= 0 ? 0 : -1, in_to, out_from, out_to);
}
