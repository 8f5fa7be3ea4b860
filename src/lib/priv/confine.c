/* confine.c - capabilities and the seccomp filter of every VS process.
 *
 * Phases (see confine.h): bounding + ambient, seccomp, final caps, NNP.
 * The capability set is what a Unix system's root needs for its own files
 * and users; caps that only matter over host-owned objects (net admin,
 * sys admin, modules, time...) are dropped: inside the VS's user namespace
 * they would be useless anyway (the mount, network, UTS, IPC and PID
 * namespaces belong to the host's user namespace), and dropping them
 * keeps kernel code paths that check them unreachable.
 *
 * The seccomp filter follows the spirit of the common container default
 * profile as a deny list: key management, bpf, perf, kexec, module
 * loading, open_by_handle_at, userfaultfd, io_uring, mount calls, new user
 * namespaces, the TIOCSTI/TIOCLINUX ioctls (keystroke injection), clock
 * and swap control.  The new mount API and clone3 answer ENOSYS so that
 * libraries fall back to calls we can inspect (clone's flags; clone3's
 * flags live in memory seccomp cannot read).
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#include "priv/confine.h"
#include "xmem.h"

static const cap_value_t vs_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
	CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP,
	CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT, CAP_MKNOD,
	CAP_AUDIT_WRITE, CAP_SETFCAP,
};

/* EPERM: what a VS must never do. */
static const char *const deny_eperm[] = {
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
	"kexec_load", "kexec_file_load", "open_by_handle_at",
	"name_to_handle_at", "userfaultfd", "init_module", "finit_module",
	"delete_module", "iopl", "ioperm", "swapon", "swapoff", "reboot",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "acct",
	"lookup_dcookie", "syslog", "mount", "umount2", "pivot_root",
	"fanotify_init", "nfsservctl", "vm86", "vm86old", "uselib",
	"_sysctl", "quotactl_fd", "setdomainname", "sethostname",
};

/* ENOSYS: newer interfaces callers fall back from. */
static const char *const deny_enosys[] = {
	"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount",
	"mount_setattr", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "clone3", "open_tree_attr",
};

int
vs_confine_cap_kept(int cap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vs_caps); i++)
		if (vs_caps[i] == cap)
			return 1;
	return 0;
}

int
vs_confine_denied(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(deny_eperm); i++)
		if (strcmp(deny_eperm[i], name) == 0)
			return 1;
	for (i = 0; i < ARRAY_SIZE(deny_enosys); i++)
		if (strcmp(deny_enosys[i], name) == 0)
			return 1;
	return 0;
}

int
vs_confine_bound(struct vs_err *err)
{
	cap_value_t c;

	for (c = 0; c <= CAP_LAST_CAP; c++) {
		if (vs_confine_cap_kept(c))
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return vs_err_sys(err, "drop capability %s from the "
			    "bounding set", cap_to_name(c));
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return vs_err_sys(err, "clear ambient capabilities");
	return 0;
}

static int
add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    struct vs_err *err)
{
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* this kernel/libseccomp has no such call */
	rc = seccomp_rule_add(ctx, action, nr, 0);
	if (rc < 0 && rc != -EEXIST) {
		errno = -rc;
		return vs_err_sys(err, "seccomp rule for %s", name);
	}
	return 0;
}

int
vs_confine_seccomp(struct vs_err *err)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return vs_err_set(err, ENOMEM, "seccomp_init failed");
	/* libseccomp sets no_new_privs unless told not to; we load with
	 * CAP_SYS_ADMIN of the VS's user namespace instead (confine.h) */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0) {
		errno = -rc;
		vs_err_sys(err, "seccomp: keep no_new_privs off");
		goto fail;
	}
#ifdef __x86_64__
	/* the same rules for 32-bit programs (int 0x80); x32 stays killed
	 * by libseccomp's bad-architecture action */
	rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (rc < 0 && rc != -EEXIST) {
		errno = -rc;
		vs_err_sys(err, "seccomp: add x86 architecture");
		goto fail;
	}
#endif
	for (i = 0; i < ARRAY_SIZE(deny_eperm); i++)
		if (add_rule(ctx, SCMP_ACT_ERRNO(EPERM), deny_eperm[i], err))
			goto fail;
	for (i = 0; i < ARRAY_SIZE(deny_enosys); i++)
		if (add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), deny_enosys[i], err))
			goto fail;
	/* keystroke injection into a terminal, and the console ioctls */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	/* no nested user namespaces: they would hand the VS capabilities
	 * over new namespaces (mounts, netfilter...) and so kernel code
	 * that is unreachable from the VS's own, host-owned namespaces */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(unshare), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
	if (rc < 0) {
		errno = -rc;
		vs_err_sys(err, "seccomp argument rule");
		goto fail;
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		errno = -rc;
		vs_err_sys(err, "load seccomp filter");
		goto fail;
	}
	seccomp_release(ctx);
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}

int
vs_confine_caps(struct vs_err *err)
{
	cap_t want = cap_init(), got = NULL;
	int rc = -1;

	if (!want)
		return vs_err_sys(err, "cap_init");
	if (cap_set_flag(want, CAP_PERMITTED, ARRAY_SIZE(vs_caps), vs_caps,
	    CAP_SET) < 0 ||
	    cap_set_flag(want, CAP_EFFECTIVE, ARRAY_SIZE(vs_caps), vs_caps,
	    CAP_SET) < 0) {
		vs_err_sys(err, "cap_set_flag");
		goto out;
	}
	if (cap_set_proc(want) < 0) {
		vs_err_sys(err, "set capabilities");
		goto out;
	}
	/* read back: the kernel must now hold exactly this set */
	got = cap_get_proc();
	if (!got || cap_compare(want, got) != 0) {
		vs_err_set(err, EPERM, "capabilities did not take effect");
		goto out;
	}
	rc = 0;
out:
	cap_free(want);
	if (got)
		cap_free(got);
	return rc;
}

void
vs_confine_signals(void)
{
	/* the kernel's struct: glibc's sigaction() refuses its own two
	 * real-time signals (32, 33), which a parent may still ignore */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} ksa = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)	/* EINVAL for KILL, STOP */
		syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
vs_confine_nnp(struct vs_err *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vs_err_sys(err, "set no_new_privs");
	return 0;
}

int
vs_confine(int nnp, struct vs_err *err)
{
	if (vs_confine_bound(err) < 0 || vs_confine_seccomp(err) < 0 ||
	    vs_confine_caps(err) < 0)
		return -1;
	return nnp ? vs_confine_nnp(err) : 0;
}
