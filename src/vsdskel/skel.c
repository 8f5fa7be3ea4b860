/* skel.c - the skeleton's place in the state root: building a new tree
 * beside the current one, swapping it in atomically, recovering from a
 * crash at any step, removing trees, and checking the tree against its
 * manifest.
 *
 * Files (state_root/state/skel/): manifest, copy, rights, id; during a
 * swap also pending ("op OP\nnew-ino N\n": the skel.new root inode, which
 * tells whether the exchange happened), manifest.new, copy.new,
 * rights.new, manifest.old, copy.old.
 * Trees (state_root/): skel, skel.new (being built or swapped in),
 * skel.old (the previous tree, kept until every VS is relinked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fswalk.h"
#include "rmtree.h"
#include "log.h"
#include "state.h"
#include "vsdskel.h"
#include "xmem.h"
#include "banned.h"

int
skel_state_open(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err)
{
	struct vs_buf errors = VS_BUF_INIT;

	memset(s, 0, sizeof(*s));
	s->rootfd = s->statefd = s->lockfd = -1;
	if (vs_conf_load(o->conf_path, o->explicit_conf, &s->conf,
	    &errors) < 0) {
		vs_buf_rtrim(&errors);
		vs_err_set(err, EINVAL, "%s", errors.buf);
		vs_buf_release(&errors);
		return -1;
	}
	vs_buf_release(&errors);
	if (vs_state_init(&s->conf, err) < 0)
		goto fail;
	s->rootfd = open(s->conf.state_root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (s->rootfd < 0) {
		vs_err_sys(err, "cannot open '%s'", s->conf.state_root);
		goto fail;
	}
	if (mkdirat(s->rootfd, "state/skel", 0700) < 0 && errno != EEXIST) {
		vs_err_sys(err, "cannot create '%s/state/skel'",
		    s->conf.state_root);
		goto fail;
	}
	s->statefd = openat(s->rootfd, "state/skel", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (s->statefd < 0) {
		vs_err_sys(err, "cannot open '%s/state/skel'",
		    s->conf.state_root);
		goto fail;
	}
	s->lockfd = vs_state_lock(&s->conf, "global", 1, err);
	if (s->lockfd < 0 && errno == EWOULDBLOCK) {
		log_info("waiting for the lock of '%s'", s->conf.state_root);
		s->lockfd = vs_state_lock(&s->conf, "global", 0, err);
	}
	if (s->lockfd < 0)
		goto fail;
	return 0;
fail:
	skel_state_close(s);
	return -1;
}

void
skel_state_close(struct skel_state *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->statefd >= 0)
		close(s->statefd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->lockfd = s->statefd = s->rootfd = -1;
	vs_conf_release(&s->conf);
}

/* ---- removing trees -------------------------------------------------- */

/* vs_rmtree: any depth (a skeleton that an older vsdskel built from a
 * deep archive could not be removed, and its skel.new stopped every
 * later run: 711); a mount point stops it */
int
rmtree_at(int dirfd, const char *name, struct vs_err *err)
{
	return vs_rmtree(dirfd, name, NULL, err);
}

/* ---- building --------------------------------------------------------- */

static int
load_skelconf(const struct skel_state *s, const struct skel_opts *o,
    struct vs_skelconf *sc, struct vs_err *err)
{
	const char *path = o->skel_conf ? o->skel_conf : s->conf.skel_conf;
	struct vs_buf errors = VS_BUF_INIT;

	if (vs_skelconf_load(path, sc, &errors) < 0) {
		vs_buf_rtrim(&errors);
		vs_err_set(err, EINVAL, "%s", errors.buf);
		vs_buf_release(&errors);
		return -1;
	}
	return 0;
}

int
skel_build_tree(struct skel_state *s, const struct skel_opts *o,
    const char *name, struct vs_manifest *m, struct vs_globs *copy,
    struct vs_rightlist *rights, struct vs_err *err)
{
	struct vs_skelconf sc = VS_SKELCONF_INIT;
	struct plan p = { 0 };
	struct progress pr;
	size_t skipped = 0, i, nfiles = 0;
	long long bytes = 0;
	double t0 = now_seconds();
	int dst = -1, src = -1, rc = -1;

	if (load_skelconf(s, o, &sc, err) < 0)
		return -1;
	if (rmtree_at(s->rootfd, name, err) < 0)
		goto out;
	if (mkdirat(s->rootfd, name, 0700) < 0) {
		vs_err_sys(err, "cannot create '%s/%s'", s->conf.state_root,
		    name);
		goto out;
	}
	dst = openat(s->rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dst < 0) {
		vs_err_sys(err, "cannot open '%s/%s'", s->conf.state_root,
		    name);
		goto out;
	}
	if (o->from_archive) {
		if (build_from_archive(o->from_archive, dst, &sc, !o->quiet,
		    m, &skipped, err) < 0)
			goto out;
	} else {
		const char *from = o->from_dir ? o->from_dir : "/";

		src = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (src < 0) {
			vs_err_sys(err, "cannot open '%s'", from);
			goto out;
		}
		if ((o->from_dir ? plan_tree(&p, src, &sc, err) :
		    plan_host(&p, src, &sc, err)) < 0)
			goto out;
		skipped = p.skipped;
		progress_start(&pr, !o->quiet, "copying", p.files, p.bytes);
		rc = copy_plan(&p, src, dst, &pr, m, err);
		progress_done(&pr);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	/* host root's alone: no host user may reach its set-id programs
	 * (state.c); no write bit, as everywhere in it */
	if (fchown(dst, 0, 0) < 0 || fchmod(dst, 0500) < 0) {
		vs_err_sys(err, "cannot seal '%s/%s'", s->conf.state_root,
		    name);
		vs_manifest_release(m);
		goto out;
	}
	if (syncfs(dst) < 0) {
		vs_err_sys(err, "cannot sync '%s/%s'", s->conf.state_root,
		    name);
		vs_manifest_release(m);
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		if (m->e[i].type != 'd')
			nfiles++;
		if (m->e[i].type == 'f')
			bytes += m->e[i].size;
	}
	if (!o->quiet && !o->json) {
		log_info("built skeleton: %zu entries (%zu files, %.1f MiB) "
		    "in %.1f s", m->n, nfiles, bytes / 1048576.0,
		    now_seconds() - t0);
		if (p.packages)
			log_info("%zu dpkg packages with dependencies",
			    p.packages);
		if (skipped)
			log_info("%zu devices, sockets or FIFOs left out",
			    skipped);
	}
	for (i = 0; i < sc.copy.n; i++)
		vs_globs_add(copy, sc.copy.pat[i]);
	{
		struct vs_buf warn = VS_BUF_INIT;
		char *l, *nl;

		vs_rightlist_build(m, dst, &sc, copy, rights, &warn);
		for (l = warn.buf; *l && !o->quiet; l = nl + 1) {
			nl = strchrnul(l, '\n');
			log_warnx("%.*s", (int)(nl - l), l);
			if (!*nl)
				break;
		}
		vs_buf_release(&warn);
	}
	rc = 0;
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	plan_release(&p);
	vs_skelconf_release(&sc);
	return rc;
}

/* ---- the swap --------------------------------------------------------- */

int
skel_save_new(struct skel_state *s, const struct vs_manifest *m,
    const struct vs_globs *copy, const struct vs_rightlist *rights,
    struct vs_err *err)
{
	if (vs_manifest_save(m, s->statefd, "manifest.new", err) < 0 ||
	    vs_globs_save(copy, s->statefd, "copy.new", err) < 0 ||
	    vs_rightlist_save(rights, s->statefd, "rights.new", err) < 0)
		return -1;
	return 0;
}

static int
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
write_small(int dirfd, const char *name, const char *text,
    struct vs_err *err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
	size_t len = strlen(text);
	int fd;

	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return vs_err_sys(err, "cannot create '%s'", tmp);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		vs_err_sys(err, "cannot write '%s'", tmp);
		close(fd);
		return -1;
	}
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		return vs_err_sys(err, "cannot rename '%s'", tmp);
	(void)fsync(dirfd);
	return 0;
}

/* Record that skel.new is complete and about to be swapped in. */
int
skel_pending_begin(struct skel_state *s, const char *op, struct vs_err *err)
{
	_cleanup_free_ char *text = NULL;
	struct stat st;

	if (fstatat(s->rootfd, "skel.new", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vs_err_sys(err, "cannot stat 'skel.new'");
	text = xasprintf("op %s\nnew-ino %llu\n", op,
	    (unsigned long long)st.st_ino);
	return write_small(s->statefd, "pending", text, err);
}

/* Read pending: op into opbuf, ino.  0 if present, 1 if absent. */
int
skel_pending_read(struct skel_state *s, char *op, size_t oplen,
    unsigned long long *ino, struct vs_err *err)
{
	struct vs_buf b = VS_BUF_INIT;
	char o[32];
	int fd, rc = 0;

	fd = openat(s->statefd, "pending", O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : vs_err_sys(err, "cannot open "
		    "'pending'");
	if (vs_buf_read_fd(&b, fd, 4096) < 0 ||
	    sscanf(b.buf, "op %31s\nnew-ino %llu", o, ino) != 2)
		rc = vs_err_set(err, EINVAL, "'%s/state/skel/pending' is "
		    "corrupt", s->conf.state_root);
	else
		snprintf(op, oplen, "%s", o);
	close(fd);
	vs_buf_release(&b);
	return rc;
}

/*
 * Carry out the swap recorded in pending, from wherever a crash stopped
 * it: exchange skel and skel.new (unless the skel root is already the new
 * inode), move the previous tree to skel.old, then the manifests.  Every
 * step checks whether it was done, so running it again is harmless.
 */
int
skel_swap(struct skel_state *s, unsigned long long new_ino,
    struct vs_err *err)
{
	struct stat st;

	if (fstatat(s->rootfd, "skel", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return vs_err_sys(err, "cannot stat 'skel'");
		if (renameat(s->rootfd, "skel.new", s->rootfd, "skel") < 0)
			return vs_err_sys(err, "cannot rename 'skel.new'");
	} else if (st.st_ino != new_ino) {
		if (exists_at(s->rootfd, "skel.old"))
			return vs_err_set(err, EEXIST, "'%s/skel.old' is in "
			    "the way", s->conf.state_root);
		if (renameat2(s->rootfd, "skel.new", s->rootfd, "skel",
		    RENAME_EXCHANGE) < 0)
			return vs_err_sys(err, "cannot exchange 'skel.new' "
			    "and 'skel'");
	}
	(void)fsync(s->rootfd);
	if (exists_at(s->rootfd, "skel.new") &&
	    renameat(s->rootfd, "skel.new", s->rootfd, "skel.old") < 0)
		return vs_err_sys(err, "cannot rename 'skel.new' to 'skel.old'");
	if (exists_at(s->statefd, "manifest.new")) {
		if (exists_at(s->statefd, "manifest") &&
		    !exists_at(s->statefd, "manifest.old") &&
		    renameat(s->statefd, "manifest", s->statefd,
		    "manifest.old") < 0)
			return vs_err_sys(err, "cannot rename 'manifest'");
		if (renameat(s->statefd, "manifest.new", s->statefd,
		    "manifest") < 0)
			return vs_err_sys(err, "cannot rename 'manifest.new'");
	}
	if (exists_at(s->statefd, "copy.new")) {
		if (exists_at(s->statefd, "copy") &&
		    !exists_at(s->statefd, "copy.old") &&
		    renameat(s->statefd, "copy", s->statefd, "copy.old") < 0)
			return vs_err_sys(err, "cannot rename 'copy'");
		if (renameat(s->statefd, "copy.new", s->statefd, "copy") < 0)
			return vs_err_sys(err, "cannot rename 'copy.new'");
	}
	/* the rights list needs no .old: update compares copies with the
	 * old manifest's hashes */
	if (exists_at(s->statefd, "rights.new") &&
	    renameat(s->statefd, "rights.new", s->statefd, "rights") < 0)
		return vs_err_sys(err, "cannot rename 'rights.new'");
	(void)fsync(s->statefd);
	return skel_commit_new(s, err);
}

/* Write id from the current manifest. */
int
skel_commit_new(struct skel_state *s, struct vs_err *err)
{
	struct vs_manifest m = VS_MANIFEST_INIT;
	char id[VS_HASH_HEXLEN + 2];

	if (vs_manifest_load(s->statefd, "manifest", &m, err) < 0)
		return -1;
	if (vs_manifest_id(&m, id, err) < 0) {
		vs_manifest_release(&m);
		return -1;
	}
	vs_manifest_release(&m);
	id[VS_HASH_HEXLEN] = '\n';
	id[VS_HASH_HEXLEN + 1] = '\0';
	return write_small(s->statefd, "id", id, err);
}

/* Last step: drop the previous tree and manifest, then pending. */
int
skel_pending_end(struct skel_state *s, struct vs_err *err)
{
	if (rmtree_at(s->rootfd, "skel.old", err) < 0)
		return -1;
	if (unlinkat(s->statefd, "manifest.old", 0) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove 'manifest.old'");
	if (unlinkat(s->statefd, "copy.old", 0) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove 'copy.old'");
	if (unlinkat(s->statefd, "pending", 0) < 0 && errno != ENOENT)
		return vs_err_sys(err, "cannot remove 'pending'");
	(void)fsync(s->statefd);
	return 0;
}

/* With no pending swap, what a crash left of a build is garbage. */
int
skel_clean_leftovers(struct skel_state *s, struct vs_err *err)
{
	if (rmtree_at(s->rootfd, "skel.new", err) < 0 ||
	    rmtree_at(s->rootfd, "skel.old", err) < 0)
		return -1;
	(void)unlinkat(s->statefd, "manifest.new", 0);
	(void)unlinkat(s->statefd, "copy.new", 0);
	(void)unlinkat(s->statefd, "rights.new", 0);
	(void)unlinkat(s->statefd, "manifest.old", 0);
	(void)unlinkat(s->statefd, "copy.old", 0);
	return 0;
}

/* ---- check -------------------------------------------------------------- */

struct check_ctx {
	const struct skel_opts *o;
	int problems;
	struct vs_buf json;
};

static void
problem(struct check_ctx *c, const char *path, const char *what,
    const char *detail)
{
	c->problems++;
	if (c->o->json) {
		if (c->json.len)
			vs_buf_addch(&c->json, ',');
		vs_buf_adds(&c->json, "{\"path\":");
		vs_buf_add_json_str(&c->json, path);
		vs_buf_adds(&c->json, ",\"problem\":");
		vs_buf_add_json_str(&c->json, what);
		vs_buf_adds(&c->json, ",\"detail\":");
		vs_buf_add_json_str(&c->json, detail);
		vs_buf_addch(&c->json, '}');
	} else {
		struct vs_buf esc = VS_BUF_INIT;

		vs_manifest_escape(&esc, path);
		printf("%-10s /%s%s%s\n", what, esc.buf, *detail ? " " : "",
		    detail);
		vs_buf_release(&esc);
	}
}

static int
check_cb(void *ctx, const struct vs_mentry *want, const struct vs_mentry *got,
    unsigned what)
{
	struct check_ctx *c = ctx;
	struct vs_buf d = VS_BUF_INIT;

	if (want == NULL) {
		problem(c, got->path, "unexpected", "(not in the manifest)");
		return 0;
	}
	if (got == NULL) {
		problem(c, want->path, "missing", "");
		return 0;
	}
	/* the tree carries the manifest's mode without write bits */
	if ((what & VS_MDIFF_MODE) && got->type != 'l' &&
	    got->mode == (want->mode & ~0222))
		what &= ~VS_MDIFF_MODE;
	if (got->type == 'l')
		what &= ~VS_MDIFF_MODE;
	if (what == 0)
		return 0;
	vs_buf_adds(&d, "(");
	vs_mdiff_describe(what, &d);
	if (what & VS_MDIFF_MODE)
		vs_buf_addf(&d, ": %04o, manifest %04o", (unsigned)got->mode,
		    (unsigned)want->mode);
	if (what & VS_MDIFF_OWNER)
		vs_buf_addf(&d, ": %lu:%lu, manifest %lu:%lu",
		    (unsigned long)got->uid, (unsigned long)got->gid,
		    (unsigned long)want->uid, (unsigned long)want->gid);
	vs_buf_adds(&d, ")");
	problem(c, got->path, "modified", d.buf);
	vs_buf_release(&d);
	return 0;
}

int
skel_check(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err)
{
	struct vs_manifest want = VS_MANIFEST_INIT, got = VS_MANIFEST_INIT;
	struct check_ctx c = { o, 0, VS_BUF_INIT };
	struct stat st;
	size_t i;
	int fd;

	if (vs_manifest_load(s->statefd, "manifest", &want, err) < 0) {
		if (errno == ENOENT)
			vs_err_set(err, ENOENT, "no skeleton in '%s' (run "
			    "'vsdskel build')", s->conf.state_root);
		return -1;
	}
	fd = openat(s->rootfd, "skel", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		vs_manifest_release(&want);
		return vs_err_sys(err, "cannot open '%s/skel'",
		    s->conf.state_root);
	}
	if (vs_manifest_build(fd, 0, &got, err) < 0) {
		close(fd);
		vs_manifest_release(&want);
		return vs_err_prefix(err, "'%s/skel'", s->conf.state_root);
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 0222))
		problem(&c, "", "writable", "(skeleton root)");
	close(fd);
	for (i = 0; i < got.n; i++) {
		const struct vs_mentry *e = &got.e[i];

		if (e->type != 'l' && (e->mode & 0222)) {
			char d[32];

			snprintf(d, sizeof(d), "(mode %04o)",
			    (unsigned)e->mode);
			problem(&c, e->path, "writable", d);
		}
	}
	vs_manifest_diff(&want, &got, ~0u, check_cb, &c);
	if (o->json)
		printf("{\"ok\":%s,\"entries\":%zu,\"problems\":[%s]}\n",
		    c.problems ? "false" : "true", want.n, c.json.buf);
	vs_buf_release(&c.json);
	vs_manifest_release(&want);
	vs_manifest_release(&got);
	return c.problems;
}
