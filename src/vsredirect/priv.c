/* priv.c - vsredirect's privilege drop after start-up, for both of its
 * processes (privsep.c says which keeps what).
 *
 * Phases (as in bubblewrap): raise RLIMIT_NOFILE while still root; clear
 * the bounding set but for the kept set; keep capabilities across
 * setuid; switch to the unprivileged user; reduce permitted/effective to
 * the kept set (inheritable empty); clear ambient; PR_SET_NO_NEW_PRIVS;
 * read back.  Being uid "nobody" (not 0) also means no file is ours by
 * owner.
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
vsr_drop_privileges(const char *user, const int *keep, int n,
    struct vs_err *err)
{
	struct passwd *pw;
	cap_t caps;
	cap_value_t c, kv[8];
	int ok, i;

	if (geteuid() != 0)
		return 0;	/* nothing to drop (tests as non-root) */
	pw = getpwnam(user);
	if (!pw)
		return vs_err_set(err, ENOENT, "unknown user '%s'", user);
	/* the bounding set first: dropping needs CAP_SETPCAP, gone below */
	if (n < 0 || n > (int)(sizeof(kv) / sizeof(kv[0])))
		return vs_err_set(err, EINVAL, "too many capabilities to keep");
	for (i = 0; i < n; i++)
		kv[i] = keep[i];
	for (c = 0; c < 64; c++) {	/* EINVAL past the kernel's last */
		int kept = 0;

		for (i = 0; i < n; i++)
			kept |= kv[i] == c;
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
	ok = (n == 0 || (cap_set_flag(caps, CAP_PERMITTED, n, kv,
	    CAP_SET) == 0 && cap_set_flag(caps, CAP_EFFECTIVE, n, kv,
	    CAP_SET) == 0)) && cap_set_proc(caps) == 0;
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
	caps = cap_get_proc();
	if (!caps)
		return vs_err_sys(err, "cap_get_proc");
	for (c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		int kept = 0;

		for (i = 0; i < n; i++)
			kept |= kv[i] == c;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 &&
		    v == CAP_SET && !kept) {
			cap_free(caps);
			return vs_err_set(err, EPERM, "capability %d still "
			    "permitted after dropping", c);
		}
	}
	cap_free(caps);
	log_debug("%s: now uid %d with %d capabilities", __func__,
	    (int)pw->pw_uid, n);
	return 0;
}
