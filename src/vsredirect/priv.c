/* priv.c - vsredirect's privilege drop after start-up.
 *
 * Phases (as in bubblewrap): raise RLIMIT_NOFILE while still root; clear
 * the bounding set but for the set below; keep capabilities across
 * setuid; switch to the unprivileged user; reduce permitted/effective to
 * the set below (inheritable empty); clear ambient; PR_SET_NO_NEW_PRIVS;
 * read back.
 *
 * What is kept, and why:
 *   CAP_SYS_ADMIN        setns(2) into the netns of a VS that starts
 *                        later (and back); also needed for each upstream
 *                        socket, which is created inside the VS's netns
 *   CAP_NET_BIND_SERVICE bind ports < 1024 inside those namespaces
 *   CAP_DAC_READ_SEARCH  read state_root/state (mode 0700, host root)
 * Everything else goes: no file writes as root, no chown, no kill of
 * other users' processes, no module loading, no ptrace.  Being uid
 * "nobody" (not 0) also means no file is ours by owner.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "err.h"
#include "log.h"
#include "vsredirect.h"
#include "banned.h"

static const cap_value_t keep[] = {
	CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE, CAP_DAC_READ_SEARCH
};

void
vsr_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

int
vsr_drop_privileges(const char *user, struct vs_err *err)
{
	struct passwd *pw;
	cap_t caps;
	cap_value_t c;
	int ok;

	if (geteuid() != 0)
		return 0;	/* nothing to drop (tests as non-root) */
	pw = getpwnam(user);
	if (!pw)
		return vs_err_set(err, ENOENT, "unknown user '%s'", user);
	/* the bounding set first: dropping needs CAP_SETPCAP, gone below */
	for (c = 0; c <= CAP_LAST_CAP; c++) {
		size_t i;
		int kept = 0;

		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			kept |= keep[i] == c;
		if (!kept && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return vs_err_sys(err, "drop capability %d", c);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return vs_err_sys(err, "PR_SET_KEEPCAPS");
	if (setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return vs_err_sys(err, "cannot become '%s'", user);
	caps = cap_init();
	if (!caps)
		return vs_err_sys(err, "cap_init");
	ok = cap_set_flag(caps, CAP_PERMITTED, (int)(sizeof(keep) /
	    sizeof(keep[0])), keep, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_EFFECTIVE, (int)(sizeof(keep) /
	    sizeof(keep[0])), keep, CAP_SET) == 0 &&
	    cap_set_proc(caps) == 0;
	cap_free(caps);
	if (!ok)
		return vs_err_sys(err, "cap_set_proc");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return vs_err_sys(err, "clear ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vs_err_sys(err, "PR_SET_NO_NEW_PRIVS");
	/* read back */
	if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0)
		return vs_err_set(err, EPERM, "still root after dropping");
	log_debug("%s: now uid %d with sys_admin, net_bind_service, "
	    "dac_read_search", __func__, (int)pw->pw_uid);
	return 0;
}
