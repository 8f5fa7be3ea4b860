/* vsdskel.h - internal interfaces of the vsdskel program: the plan of what
 * to copy, the copy engine, the state of the skeleton, and relinking. */
#ifndef VSDSKEL_H
#define VSDSKEL_H

#include <stddef.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "manifest.h"
#include "rights.h"
#include "skelconf.h"

/* global options (main.c) */
struct skel_opts {
	const char *conf_path;
	int explicit_conf;
	int quiet, verbose, json;
	const char *from_dir;		/* --from */
	const char *from_archive;	/* --from-archive */
	const char *skel_conf;		/* --skel-conf, else conf's */
	int force;
};

/* ---- plan.c: what goes into a skeleton ---------------------------- */

struct plan_ent {
	char *path;		/* relative to the source root, canonical */
	struct stat st;		/* lstat in the source */
	char *content;		/* generated content (heap) instead of the
				 * source file's, or NULL */
	size_t content_len;
};

struct plan {
	struct plan_ent *e;
	size_t n, alloc;
	long long bytes;	/* regular file bytes */
	size_t files;		/* non-directories */
	size_t skipped;		/* devices, sockets, FIFOs left out */
	size_t packages;	/* dpkg packages taken */
};

void plan_release(struct plan *p);
/* Host build: the packages (with dependencies), take patterns, empty
 * directories, minus exclude, from the tree at srcfd (normally "/"). */
int plan_host(struct plan *p, int srcfd, const struct vs_skelconf *sc,
    struct vs_err *err);
/* --from DIR: the whole tree at srcfd minus exclude (empty dirs kept
 * empty). */
int plan_tree(struct plan *p, int srcfd, const struct vs_skelconf *sc,
    struct vs_err *err);

/* ---- progress.c ------------------------------------------------------ */

struct progress {
	int on;			/* drawing on a terminal */
	const char *what;
	size_t files, files_total;
	long long bytes, bytes_total;
	double start, last;
};

void progress_start(struct progress *pr, int enabled, const char *what,
    size_t files_total, long long bytes_total);
void progress_add(struct progress *pr, size_t files, long long bytes);
void progress_done(struct progress *pr);
double now_seconds(void);

/* ---- copy.c: building a skeleton tree --------------------------------- */

/*
 * Copy the plan from srcfd into the empty directory dstfd: modes without
 * write bits, owners, xattrs, symlinks, mtimes.  Fills *m (source modes,
 * content hashes, dev/ino of the new inodes).
 */
int copy_plan(const struct plan *p, int srcfd, int dstfd,
    struct progress *pr, struct vs_manifest *m, struct vs_err *err);

/* 1 if the skeleton keeps xattr name (user.*, capabilities, labels). */
int xattr_keep(const char *name);

/* Finish an entry created in the skeleton by someone else (archive.c):
 * set owner, mode & ~0222 and mtime on fd (or on name in dirfd for
 * symlinks). */
int seal_entry(int dirfd, const char *name, int fd, char type, uid_t uid,
    gid_t gid, mode_t mode, long long mtime, struct vs_err *err);

/* ---- archive.c --------------------------------------------------------- */

int build_from_archive(const char *path, int dstfd,
    const struct vs_skelconf *sc, int progress_on, struct vs_manifest *m,
    size_t *skipped, struct vs_err *err);

/* ---- skel.c: the skeleton's place in the state root ------------------ */

struct skel_state {
	struct vs_conf conf;
	int rootfd;		/* state_root */
	int statefd;		/* state_root/state/skel */
	int lockfd;		/* the global lock */
};

/* Load vsd.conf, create state dirs, take the global lock. */
int skel_state_open(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err);
void skel_state_close(struct skel_state *s);

/* Build a new skeleton tree at state_root/NAME (a fresh directory) from
 * the source the options name; writes nothing else.  *m, *copy and
 * *rights (the files each right governs, rights.h) are filled for the
 * caller to save. */
int skel_build_tree(struct skel_state *s, const struct skel_opts *o,
    const char *name, struct vs_manifest *m, struct vs_globs *copy,
    struct vs_rightlist *rights, struct vs_err *err);

/* Write manifest.new, copy.new, rights.new into state/skel. */
int skel_save_new(struct skel_state *s, const struct vs_manifest *m,
    const struct vs_globs *copy, const struct vs_rightlist *rights,
    struct vs_err *err);
/* Write id from the current manifest. */
int skel_commit_new(struct skel_state *s, struct vs_err *err);

/* Crash-safe swap of skel.new into place (see skel.c). */
int skel_pending_begin(struct skel_state *s, const char *op,
    struct vs_err *err);
int skel_pending_read(struct skel_state *s, char *op, size_t oplen,
    unsigned long long *ino, struct vs_err *err);
int skel_swap(struct skel_state *s, unsigned long long new_ino,
    struct vs_err *err);
int skel_pending_end(struct skel_state *s, struct vs_err *err);
int skel_clean_leftovers(struct skel_state *s, struct vs_err *err);

/* Remove a directory tree under dirfd (no symlinks followed, no other
 * mounts entered).  ENOENT is success. */
int rmtree_at(int dirfd, const char *name, struct vs_err *err);

/* Check the skeleton tree against its manifest; prints problems; returns
 * number of problems, -1 on error. */
int skel_check(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err);

/* ---- relink.c ------------------------------------------------------------ */

int skel_update(struct skel_state *s, const struct skel_opts *o,
    struct vs_err *err);

/* ---- commands ---------------------------------------------------------- */

int cmd_build(struct skel_opts *o, int argc, char **argv);
int cmd_update(struct skel_opts *o, int argc, char **argv);
int cmd_check(struct skel_opts *o, int argc, char **argv);

#endif
