/* skelconf.h - skel.conf (what the skeleton takes from the host) and the
 * rule that decides which skeleton files a VS gets as its own copy.
 *
 * skel.conf is in the config language of conf.h; grammar in
 * docs/skel.conf.5:
 *
 *     package NAME...          host dpkg packages, with their Depends and
 *                              Pre-Depends, all files they list
 *     take PATTERN...          host paths to take (absolute globs); the
 *                              word "include" is the language's own
 *                              include "file"
 *     empty PATTERN...         take these directories but none of their
 *                              content (/tmp, /proc, mount points)
 *     exclude PATTERN...       never taken (wins over package and take)
 *     copy PATTERN...          taken, but every VS gets its own copy
 *     rights NAME PATTERN...   programs that VS right NAME governs
 *
 * Patterns are absolute fnmatch(3) globs with FNM_PATHNAME ('*' does not
 * cross '/'); a pattern that matches a directory also matches everything
 * below it.  No pattern may contain a ".." component.
 */
#ifndef VS_SKELCONF_H
#define VS_SKELCONF_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "manifest.h"

struct vs_globs {
	char **pat;		/* heap strings, each starting with '/' */
	size_t n, alloc;
};

#define VS_GLOBS_INIT { NULL, 0, 0 }

/* Does path (absolute, or relative to the tree root as in a manifest)
 * match a pattern, itself or through one of its parent directories? */
int vs_globs_match(const struct vs_globs *g, const char *path);
void vs_globs_add(struct vs_globs *g, const char *pat);
void vs_globs_release(struct vs_globs *g);
/* Checks a pattern: absolute, no ".." or empty component, no control
 * bytes.  Returns 1 if usable. */
int vs_glob_valid(const char *pat);

/* The state/skel/copy file: one pattern a line.  _save is atomic
 * (tmp + fsync + rename); _load fills an empty g, refusing bad patterns
 * with "copy:3: bad pattern". */
int vs_globs_load(int dirfd, const char *name, struct vs_globs *g,
    struct vs_err *err);
int vs_globs_save(const struct vs_globs *g, int dirfd, const char *name,
    struct vs_err *err);

struct vs_skel_right {
	char *name;
	struct vs_globs globs;
};

struct vs_skelconf {
	char **packages;
	size_t n_packages, alloc_packages;
	struct vs_globs include;	/* the take list */
	struct vs_globs exclude, copy, empty;
	struct vs_skel_right *rights;
	size_t n_rights, alloc_rights;
};

#define VS_SKELCONF_INIT { NULL, 0, 0, VS_GLOBS_INIT, VS_GLOBS_INIT, \
	VS_GLOBS_INIT, VS_GLOBS_INIT, NULL, 0, 0 }

/* Parse path into an empty *sc.  On failure *sc stays empty and errors
 * holds every "file:line: message". */
int vs_skelconf_load(const char *path, struct vs_skelconf *sc,
    struct vs_buf *errors);
void vs_skelconf_release(struct vs_skelconf *sc);

/*
 * Must a VS get its own copy of skeleton entry e rather than a hard link?
 * Returns NULL if the skeleton inode may be shared, else the reason:
 * "directory", "set-id", "not world-readable", "not owned by root",
 * "empty", "lock file" (*.lock, *.lck, lock, LOCK), "copy pattern",
 * "special file", "symlink in a sticky directory".  The same rule as
 * clone.h's; vsdskel update applies it; copy may be NULL.
 *
 * Symlinks owned by root:root are shared like files, copy patterns or
 * not: nobody can change a symlink in place (its target is fixed at
 * creation; lchown and utimes of an inode whose owner is not mapped in
 * the VS are refused), so a VS can only unlink or replace it in its own
 * directory, as with a shared file.  The exception is a symlink in a
 * sticky directory (parent_mode & S_ISVTX, e.g. /tmp): the kernel's
 * protected_symlinks refuses to follow one there unless the follower or
 * the directory's owner owns it, and the VS owns the directory.
 * vs_skel_private() is vs_skel_private_in() with parent_mode 0.
 */
const char *vs_skel_private(const struct vs_mentry *e,
    const struct vs_globs *copy);
const char *vs_skel_private_in(const struct vs_mentry *e, mode_t parent_mode,
    const struct vs_globs *copy);

#endif
