/* daemons.c - the record of the on-demand daemons virtuald has running,
 * state_root/run/virtuald.daemons, one "PID START VS SERVICE" a line
 * (START: field 22 of /proc/PID/stat, so a reused pid is never taken for
 * a daemon).  A virtuald killed with -9 leaves its daemons running inside
 * their VSs, holding the sockets it needs again (and no longer stopped
 * when idle); the next virtuald stops them before it listens.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"
#include "virtuald.h"
#include "xmem.h"
#include "banned.h"

int
vd_daemons_save(const struct vs_conf *conf, const struct vd_daemon *d,
    size_t n)
{
	_cleanup_free_ char *path = xasprintf("%s/run/virtuald.daemons",
	    conf->state_root);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	FILE *f;
	size_t i;
	int bad;

	f = fopen(tmp, "we");
	if (!f)
		return -1;
	for (i = 0; i < n; i++)
		fprintf(f, "%d %llu %s %s\n", (int)d[i].pid, d[i].start,
		    d[i].vs, d[i].svc);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
vd_daemons_stop_stale(const struct vs_conf *conf)
{
	_cleanup_free_ char *path = xasprintf("%s/run/virtuald.daemons",
	    conf->state_root);
	char line[256], vs[VS_NAME_MAX + 2], svc[VD_NAME_MAX + 2];
	unsigned long long start;
	int pid, n = 0, k;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %llu %33s %33s", &pid, &start, vs,
		    svc) != 4 || pid <= 1 || start == 0)
			continue;
		if (vs_proc_start(pid) != start)
			continue;	/* gone, or the pid is someone else's */
		log_info("%s/%s: stopping daemon %d left by a previous "
		    "virtuald", vs, svc, pid);
		kill(pid, SIGKILL);
		n++;
		/* it holds the socket we bind next: wait until it is gone */
		for (k = 0; k < 100 && vs_proc_start(pid) == start; k++) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	fclose(f);
	unlink(path);
	return n;
}
