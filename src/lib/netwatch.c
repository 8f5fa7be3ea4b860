/* netwatch.c - find the VSs whose network namespace is pinned, and watch
 * for changes (see netwatch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "log.h"
#include "netwatch.h"
#include "priv/nssock.h"
#include "xmem.h"
#include "banned.h"

void
vs_netup_free(struct vs_netup *ups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ups[i].nsfd >= 0)
			close(ups[i].nsfd);
	free(ups);
}

int
vs_netup_scan(const struct vs_conf *conf, struct vs_netup **ups, size_t *n,
    struct vs_err *err)
{
	_cleanup_free_ char *nsdir = vs_conf_dir(conf, "run/netns");
	_cleanup_free_ struct vs_rec *recs = NULL;
	struct vs_netup *out = NULL;
	size_t nrec = 0, i, k = 0;
	_cleanup_close_ int dfd = -1;

	if (vs_rec_list(conf, &recs, &nrec, err) < 0)
		return -1;
	dfd = open(nsdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno != ENOENT)
			return vs_err_sys(err, "cannot open '%s'", nsdir);
		*ups = NULL;
		*n = 0;
		return 0;
	}
	out = xcalloc(nrec ? nrec : 1, sizeof(*out));
	for (i = 0; i < nrec; i++) {
		struct stat st;
		int fd;

		/* the pin is a bind mount of an nsfs inode: a plain file
		 * under it means a start or stop is half-way */
		fd = openat(dfd, recs[i].name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (!vs_nssock_is_netns(fd) || fstat(fd, &st) < 0) {
			close(fd);
			continue;
		}
		out[k].rec = recs[i];
		out[k].nsfd = fd;
		out[k].ns_dev = st.st_dev;
		out[k].ns_ino = st.st_ino;
		k++;
	}
	*ups = out;
	*n = k;
	return 0;
}

static int
ensure_dir(const struct vs_conf *conf, const char *sub, struct vs_err *err)
{
	_cleanup_free_ char *path = vs_conf_dir(conf, sub);
	/* as vsd makes them: state/ and the rights (state/priv) private */
	mode_t mode = strcmp(sub, "state") && strcmp(sub, "state/priv") ?
	    0755 : 0700;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return vs_err_sys(err, "cannot create '%s'", path);
	return 0;
}

int
vs_netwatch_open(const struct vs_conf *conf, const char *const *extra,
    struct vs_err *err)
{
	static const char *const base[] = { "run", "run/netns", "state",
		"state/vs", NULL };
	const char *const *lists[2] = { base, extra };
	int fd, i, j;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return vs_err_sys(err, "inotify_init1");
	for (i = 0; i < 2; i++) {
		for (j = 0; lists[i] && lists[i][j]; j++) {
			_cleanup_free_ char *path = NULL;

			if (ensure_dir(conf, lists[i][j], err) < 0)
				goto fail;
			if (!strcmp(lists[i][j], "run") ||
			    !strcmp(lists[i][j], "state"))
				continue;	/* only made, not watched */
			path = vs_conf_dir(conf, lists[i][j]);
			if (inotify_add_watch(fd, path, IN_CREATE | IN_DELETE |
			    IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
			    IN_ATTRIB | IN_ONLYDIR) < 0) {
				vs_err_sys(err, "cannot watch '%s'", path);
				goto fail;
			}
		}
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
vs_netwatch_drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	int any = 0;

	while (read(fd, buf, sizeof(buf)) > 0)
		any = 1;
	return any;
}
