/* accounts.c - per-VS passwd, shadow, hostname and hosts (accounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "atfile.h"
#include "accounts.h"
#include "buf.h"
#include "xmem.h"
#include "banned.h"

#define ACC_MAX (4 << 20)	/* an /etc/passwd larger than this is hostile */

struct owner {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static int
open_etc(int rootfd, const struct vs_rec *rec, struct vs_err *err)
{
	int fd;

	fd = vs_open_beneath(rootfd, "etc", O_RDONLY | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(rootfd, "etc", 0755) < 0 ||
		    fchownat(rootfd, "etc", (uid_t)rec->uid_base,
		    (gid_t)rec->uid_base, AT_SYMLINK_NOFOLLOW) < 0)
			return vs_err_sys(err, "cannot create 'etc'");
		fd = vs_open_beneath(rootfd, "etc", O_RDONLY | O_DIRECTORY);
	}
	if (fd < 0)
		return vs_err_sys(err, "cannot open 'etc'");
	return fd;
}

/* Read etc/name if it is a regular file; its owner (if in the VS's
 * range) and mode go to *o.  A missing file, or anything but a regular
 * file, reads as empty. */
static int
read_old(int etc, const char *name, const struct vs_rec *rec,
    struct vs_buf *out, struct owner *o, struct vs_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(etc, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP || errno == ENXIO)
			return 0;
		return vs_err_sys(err, "cannot open 'etc/%s'", name);
	}
	if (fstat(fd, &st) < 0)
		return vs_err_sys(err, "cannot stat 'etc/%s'", name);
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_uid >= rec->uid_base &&
	    st.st_uid < rec->uid_base + rec->uid_count &&
	    st.st_gid >= rec->uid_base &&
	    st.st_gid < rec->uid_base + rec->uid_count) {
		o->uid = st.st_uid;
		o->gid = st.st_gid;
	}
	o->mode = st.st_mode & 0777;
	if (vs_buf_read_fd(out, fd, ACC_MAX) < 0)
		return vs_err_sys(err, "cannot read 'etc/%s'", name);
	return 0;
}

static int
write_new(int etc, const char *name, const struct vs_buf *data,
    const struct owner *o, struct vs_err *err)
{
	char tmp[64];
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.vsd-%d", name, (int)getpid());
	unlinkat(etc, tmp, 0);
	fd = openat(etc, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return vs_err_sys(err, "cannot create 'etc/%s'", tmp);
	if (vs_write_all(fd, data->buf, data->len) < 0)
		goto fail;
	if (fchown(fd, o->uid, o->gid) < 0 || fchmod(fd, o->mode) < 0)
		goto fail;
	close(fd);
	if (renameat(etc, tmp, etc, name) < 0) {
		vs_err_sys(err, "cannot replace 'etc/%s'", name);
		unlinkat(etc, tmp, 0);
		return -1;
	}
	return 0;
fail:
	vs_err_sys(err, "cannot write 'etc/%s'", name);
	close(fd);
	unlinkat(etc, tmp, 0);
	return -1;
}

/* Field i (0-based) of a colon-separated line, as [*s, *e). */
static int
field(const char *line, const char *end, int i, const char **s,
    const char **e)
{
	const char *p = line;

	while (i-- > 0) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return 0;
		p++;
	}
	*s = p;
	*e = memchr(p, ':', (size_t)(end - p));
	if (!*e)
		*e = end;
	return 1;
}

/*
 * Rewrite a passwd or shadow text: the uid-0 "root" line is emitted twice,
 * first renamed "admin" (for passwd with home /root), then as is; any
 * other "admin" line is dropped (the name is the VS administrator's).
 * Without a root line, default lines are added.
 */
static void
rewrite(const struct vs_buf *in, int shadow, struct vs_buf *out)
{
	const char *p = in->buf, *end = in->buf + in->len;
	int have_root = 0;
	struct vs_buf rest = VS_BUF_INIT;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s, *e;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		size_t nlen = colon ? (size_t)(colon - p) : 0;

		if (nlen == 5 && memcmp(p, "admin", 5) == 0) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (!have_root && nlen == 4 && memcmp(p, "root", 4) == 0 &&
		    (shadow || (field(p, le, 2, &s, &e) && e - s == 1 &&
		    *s == '0'))) {
			have_root = 1;
			vs_buf_adds(out, "admin");
			if (shadow) {
				vs_buf_add(out, p + 4, (size_t)(le - p - 4));
			} else {
				/* admin:x:0:0:GECOS:/root:SHELL */
				const char *sh, *she;

				if (!field(p, le, 6, &sh, &she)) {
					sh = "/bin/sh";
					she = sh + 7;
				}
				vs_buf_adds(out, ":x:0:0:VS administrator:/root:");
				vs_buf_add(out, sh, (size_t)(she - sh));
			}
			vs_buf_addch(out, '\n');
			vs_buf_add(out, p, (size_t)(le - p));
			vs_buf_addch(out, '\n');
		} else if (le > p) {
			vs_buf_add(&rest, p, (size_t)(le - p));
			vs_buf_addch(&rest, '\n');
		}
		p = nl ? nl + 1 : end;
	}
	if (!have_root) {
		if (shadow)
			vs_buf_adds(out, "admin:*:19000:0:99999:7:::\n"
			    "root:*:19000:0:99999:7:::\n");
		else
			vs_buf_adds(out, "admin:x:0:0:VS administrator:/root:"
			    "/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n");
	}
	vs_buf_add(out, rest.buf, rest.len);
	vs_buf_release(&rest);
}

static int
redo(int etc, const char *name, const struct vs_rec *rec, int shadow,
    struct vs_err *err)
{
	struct vs_buf in = VS_BUF_INIT, out = VS_BUF_INIT;
	struct owner o = { (uid_t)rec->uid_base, (gid_t)rec->uid_base,
	    shadow ? 0640 : 0644 };
	int rc;

	rc = read_old(etc, name, rec, &in, &o, err);
	if (rc == 0) {
		o.mode |= S_IWUSR;	/* a skeleton file had no write bits */
		if (shadow)
			o.mode &= 0660;	/* never world-readable */
		rewrite(&in, shadow, &out);
		rc = write_new(etc, name, &out, &o, err);
	}
	vs_buf_release(&in);
	vs_buf_release(&out);
	return rc;
}

int
vs_accounts_write(int rootfd, const struct vs_rec *rec, struct vs_err *err)
{
	_cleanup_close_ int etc = -1;
	struct vs_buf b = VS_BUF_INIT;
	struct owner o = { (uid_t)rec->uid_base, (gid_t)rec->uid_base, 0644 };
	const char *dot = strchr(rec->fqdn, '.');
	int rc;

	etc = open_etc(rootfd, rec, err);
	if (etc < 0)
		return -1;
	if (redo(etc, "passwd", rec, 0, err) < 0 ||
	    redo(etc, "shadow", rec, 1, err) < 0)
		return -1;
	vs_buf_addf(&b, "%s\n", rec->fqdn);
	rc = write_new(etc, "hostname", &b, &o, err);
	vs_buf_reset(&b);
	if (rc == 0) {
		vs_buf_addf(&b, "127.0.0.1\tlocalhost\n"
		    "::1\tlocalhost ip6-localhost ip6-loopback\n");
		if (rec->ip[0])
			vs_buf_addf(&b, "%s\t%s", rec->ip, rec->fqdn);
		if (rec->ip[0] && dot)
			vs_buf_addf(&b, " %.*s", (int)(dot - rec->fqdn),
			    rec->fqdn);
		if (rec->ip[0])
			vs_buf_addch(&b, '\n');
		rc = write_new(etc, "hosts", &b, &o, err);
	}
	vs_buf_release(&b);
	return rc;
}
