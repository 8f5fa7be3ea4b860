/* rights.h - per-user rights of a VS and the programs they govern.
 *
 * Three pieces, one module:
 *
 * 1. The names.  A right is one of vs_rights_names[] (mod_priv's list);
 *    skel.conf's `rights NAME ...` must use one of them.
 *
 * 2. The host truth, state_root/state/priv/NAME: who holds which right,
 *    /etc/group's shape, one right a line ("perl:alice,bob").  Written by
 *    vsd's mod_priv only; no VS can reach it.
 *
 * 3. The rights list, state_root/state/skel/rights, written by `vsdskel
 *    build`/`update` beside the manifest: which skeleton files each right
 *    governs.  Text, one entry a line:
 *
 *        freevsd-rights 2
 *        RIGHT SHA256 PATH
 *
 *    SHA256 is the file's content hash (64 hex digits, the manifest's);
 *    PATH is relative to the skeleton root and escaped as in a manifest
 *    (manifest.h).  Only regular files the VS would otherwise share (hard
 *    links to the skeleton); a pattern that matched a symlink brought its
 *    target; every other name of a listed inode is listed too (perl and
 *    perl5.36.0 are one file), so no second name stays shared.
 *
 * Enforcement (vs_rights_apply) is lazy: a right is "governed" in a VS
 * while at least one ordinary user (uid VS_RIGHTS_UID_FIRST..._LAST in
 * the VS's /etc/passwd) lacks it.  Then each of its files is a per-VS
 * copy owned by the VS's root, group vsd-RIGHT (a system group in the
 * VS's /etc/group whose members are the users holding the right and
 * every system account), mode = the skeleton's minus every "other" bit.
 * When nobody lacks it, copies whose content is still the skeleton's go
 * back to being the skeleton's inode: a fresh VS stays all hard links.
 */
#ifndef VS_RIGHTS_H
#define VS_RIGHTS_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "manifest.h"
#include "skelconf.h"
#include "state.h"

#define VS_RIGHTS_N		8
#define VS_RIGHTS_UID_FIRST	1000	/* ordinary users (mod_user's range) */
#define VS_RIGHTS_UID_LAST	59999
#define VS_RIGHTS_GROUP_PREFIX	"vsd-"

extern const char *const vs_rights_names[VS_RIGHTS_N];

/* Index of right name in vs_rights_names, or -1. */
int vs_right_index(const char *name);

/* ---- the host truth: state_root/state/priv/NAME ---- */

struct vs_privtab {
	char **users[VS_RIGHTS_N];	/* heap strings */
	size_t n[VS_RIGHTS_N];
};

/* Load into *t (overwritten; release it even on failure).  A missing
 * file is no rights; lines naming unknown rights or bad user names are
 * dropped.  -1 with errno on a read error. */
int vs_privtab_load(const struct vs_conf *conf, const char *vs,
    struct vs_privtab *t);
int vs_privtab_has(const struct vs_privtab *t, int right, const char *user);
void vs_privtab_add(struct vs_privtab *t, int right, const char *user);
void vs_privtab_del(struct vs_privtab *t, int right, const char *user);
/* Every right a line, users sorted (sorts t in place). */
void vs_privtab_format(struct vs_privtab *t, struct vs_buf *out);
void vs_privtab_release(struct vs_privtab *t);

/* ---- the rights list: state_root/state/skel/rights ---- */

struct vs_rightpath {
	int right;			/* index in vs_rights_names */
	char *path;			/* heap, relative, unescaped */
	unsigned char sha256[VS_HASH_LEN];	/* the skeleton file's */
};

struct vs_rightlist {
	struct vs_rightpath *e;
	size_t n, alloc;
};

#define VS_RIGHTLIST_INIT { NULL, 0, 0 }
#define VS_RIGHTLIST_MAX  65536		/* entries */

void vs_rightlist_add(struct vs_rightlist *rl, int right, const char *path,
    const unsigned char sha256[VS_HASH_LEN]);
void vs_rightlist_release(struct vs_rightlist *rl);
/* Right governing path (relative), or -1. */
int vs_rightlist_find(const struct vs_rightlist *rl, const char *path);
void vs_rightlist_format(const struct vs_rightlist *rl, struct vs_buf *out);
/* Parse text (src names it in errors: "rights:3: unknown right 'x'";
 * a list of another version is refused: vsdskel update writes anew)
 * into an empty *rl; on failure *rl stays empty. */
int vs_rightlist_parse(const char *src, const char *text, size_t len,
    struct vs_rightlist *rl, struct vs_err *err);
/* _load: ENOENT when the skeleton was built before rights existed.
 * _save is atomic (tmp + fsync + rename). */
int vs_rightlist_load(int dirfd, const char *name, struct vs_rightlist *rl,
    struct vs_err *err);
int vs_rightlist_save(const struct vs_rightlist *rl, int dirfd,
    const char *name, struct vs_err *err);

/*
 * Which files of skeleton tree skelfd (manifest m, copy patterns copy)
 * the rights of sc govern, into an empty *rl.  Files the rule of
 * vs_skel_private() already gives each VS as its own copy, and whatever
 * /bin/sh, /usr/bin/sh or dash resolve to, are never governed: a line
 * for each goes to warnings.
 */
void vs_rightlist_build(const struct vs_manifest *m, int skelfd,
    const struct vs_skelconf *sc, const struct vs_globs *copy,
    struct vs_rightlist *rl, struct vs_buf *warnings);

/* Is pattern allowed in a `rights` line?  0 if it would govern /bin/sh,
 * /usr/bin/sh or dash (every daemon's and system()'s shell). */
int vs_rights_pattern_ok(const char *pat);

/* ---- enforcement inside a VS root ---- */

/*
 * Make VS rec's root match the host truth: the vsd-RIGHT lines of its
 * /etc/group and the governed copies (see the top of this file).
 * Idempotent: repairs whatever a crash left (each path is always either
 * the old inode or the new one; temporaries are removed).  Every path
 * under the root is hostile: directories are opened with
 * vs_open_beneath(), nothing is followed, files are replaced by rename
 * after checking that the entry is still the one judged.
 *
 * oldm (may be NULL): the previous skeleton's manifest during `vsdskel
 * update`: a governed copy with the old skeleton's content becomes a copy
 * of the new one.  Paths that cannot be governed (the VS replaced them
 * with a symlink or its own file, or its directory is a symlink) are
 * left alone and described, a line each, in problems (may be NULL).
 * The caller holds the VS's lock.  Returns the number of such paths, or
 * -1 with err (the VS's accounts or the skeleton unreadable).
 */
int vs_rights_apply(const struct vs_conf *conf, const struct vs_rec *rec,
    const struct vs_manifest *oldm, struct vs_buf *problems,
    struct vs_err *err);

/* vs_rights_apply() on every VS whose lock is free (vsd's start);
 * a line per VS with problems or errors goes to report. */
void vs_rights_apply_all(const struct vs_conf *conf, struct vs_buf *report);

#endif
