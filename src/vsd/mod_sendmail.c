/* mod_sendmail.c - the protocol's mod_sendmail: the VS's mail aliases,
 * its own /etc/aliases (read and replaced fd-relative inside the root,
 * never through a symlink; the VS's mailer rebuilds its database). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atfile.h"
#include "proto.h"
#include "vsd.h"
#include "banned.h"

#define ALIASES_MAX	(1 << 20)

static int
open_etc(struct vsd_req *r, struct vs_rec *rec)
{
	int root, etc;

	if (vsd_load_vs(r, rec) < 0 || (root = vsd_open_root(r, rec)) < 0)
		return -1;
	etc = vs_open_in_root(root, "etc", O_RDONLY | O_DIRECTORY);
	close(root);
	if (etc < 0)
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot open /etc of "
		    "'%s': %s", r->vs, strerror(errno));
	return etc;
}

void
mod_sendmail_get(struct vsd_req *r)
{
	struct vs_buf b = VS_BUF_INIT;
	struct vs_rec rec;
	struct stat st;
	int etc, fd;

	if ((etc = open_etc(r, &rec)) < 0)
		return;
	fd = openat(etc, "aliases", O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	close(etc);
	if (fd < 0 && errno == ENOENT) {
		vs_proto_block(r->out, "", 0, "0 aliases of %s", r->vs);
		return;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    vs_buf_read_fd(&b, fd, ALIASES_MAX) < 0)
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read "
		    "/etc/aliases of '%s': %s", r->vs, fd < 0 || errno ?
		    strerror(errno) : "not a regular file");
	else
		vs_proto_block(r->out, b.buf, b.len, "aliases of %s", r->vs);
	if (fd >= 0)
		close(fd);
	vs_buf_release(&b);
}

/* `name: target, target...`, comments and blank lines; line numbers
 * count from 1 in the error. */
static int
check_aliases(const struct vs_buf *d, int *bad)
{
	size_t i = 0;
	int line = 0;

	while (i < d->len) {
		const char *l = d->buf + i, *nl = memchr(l, '\n', d->len - i);
		size_t len = nl ? (size_t)(nl - l) : d->len - i, k = 0;

		line++;
		i += len + 1;
		for (k = 0; k < len; k++)
			if ((unsigned char)l[k] < 0x20 && l[k] != '\t')
				goto fail;
		if (len == 0 || l[0] == '#')
			continue;
		for (k = 0; k < len && l[k] != ':'; k++)
			if (!(l[k] >= 'a' && l[k] <= 'z') &&
			    !(l[k] >= 'A' && l[k] <= 'Z') &&
			    !(l[k] >= '0' && l[k] <= '9') &&
			    !strchr("._+-", l[k]))
				goto fail;
		if (k == 0 || k == len || k + 1 == len)
			goto fail;
		continue;
fail:
		*bad = line;
		return -1;
	}
	return 0;
}

void
mod_sendmail_set(struct vsd_req *r)
{
	struct vs_rec rec;
	int etc, bad = 0;

	if (check_aliases(r->data, &bad) < 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "alias line %d is not "
		    "'name: target[, target...]'", bad);
		return;
	}
	if ((etc = open_etc(r, &rec)) < 0)
		return;
	if (vs_write_file_at(etc, "aliases", r->data->buf, r->data->len,
	    (uid_t)rec.uid_base, (gid_t)rec.uid_base, 0644) < 0)
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot write "
		    "/etc/aliases of '%s': %s", r->vs, strerror(errno));
	else
		vsd_ok_answer(r, "aliases of %s replaced", r->vs);
	close(etc);
}
