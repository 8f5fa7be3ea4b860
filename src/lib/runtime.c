/* runtime.c - start, stop and status of a VS, commands inside it.
 * (Interface first; the implementation lands next.) */
#include <errno.h>

#include "runtime.h"

static int
notyet(struct vs_err *err)
{
	return vs_err_set(err, ENOSYS, "VS runtime: not available yet");
}

int
vs_run_start(const struct vs_conf *conf, const char *name, unsigned flags,
    struct vs_err *err)
{
	(void)conf; (void)name; (void)flags;
	return notyet(err);
}

int
vs_run_stop(const struct vs_conf *conf, const char *name, int timeout_s,
    struct vs_err *err)
{
	(void)conf; (void)name; (void)timeout_s;
	return notyet(err);
}

int
vs_run_restart(const struct vs_conf *conf, const char *name, unsigned flags,
    int timeout_s, struct vs_err *err)
{
	(void)conf; (void)name; (void)flags; (void)timeout_s;
	return notyet(err);
}

int
vs_run_status(const struct vs_conf *conf, const char *name,
    struct vs_run_status *st, struct vs_err *err)
{
	(void)conf; (void)name; (void)st;
	return notyet(err);
}

pid_t
vs_run_spawn(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *master, struct vs_err *err)
{
	(void)conf; (void)name; (void)x; (void)master;
	return notyet(err);
}

int
vs_run_exec(const struct vs_conf *conf, const char *name,
    const struct vs_exec *x, int *wstatus, struct vs_err *err)
{
	(void)conf; (void)name; (void)x; (void)wstatus;
	return notyet(err);
}

int
vs_run_signal_init(const struct vs_conf *conf, const char *name, int sig,
    struct vs_err *err)
{
	(void)conf; (void)name; (void)sig;
	return notyet(err);
}
