/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * worktree: the persistent checkout of the tree to build, kept beside
 * the store and brought from one job's tree to the next by writing only
 * the paths that differ, so kbuild rebuilds only what they touch.
 *
 * The tree comes from a repository nobody here trusts. Before a byte is
 * written, every tree object to be checked out is read and refused if it
 * holds a name git itself would not check out (".", "..", a slash, ".git"
 * in any case or file-system alias, a control character), the same name
 * twice, a file larger than max_file_bytes, or more than max_tree_bytes
 * in all. The writes themselves go through directory file descriptors
 * opened one component at a time with O_NOFOLLOW, so nothing is ever
 * written through a symbolic link, whatever the worktree holds.
 */
#ifndef PC_WORKTREE_H
#define PC_WORKTREE_H

#include <git2.h>
#include <glib.h>

G_BEGIN_DECLS

#define PC_WORKTREE_ERROR (pc_worktree_error_quark())
GQuark pc_worktree_error_quark(void);

typedef enum {
	PC_WORKTREE_ERROR_FAILED,	/* our side: the disk, the store */
	PC_WORKTREE_ERROR_UNSAFE,	/* the tree holds a path not to write */
	PC_WORKTREE_ERROR_TOO_LARGE,	/* a file or the whole, over a limit */
} PcWorktreeError;

/* All borrowed; the caller keeps them alive for the call. */
typedef struct {
	/*
	 * The checkout. Beside it: "<dir>.index", libgit2's index of the
	 * last full checkout, and "<dir>.tree", the record of the tree it
	 * holds. Only pullcheck may write in it; after touching it by
	 * other means, delete the record. One job at a time per worktree.
	 */
	const char *dir;
	const char *store;	/* the bare repository holding the tree */
	guint64 max_file_bytes;	/* the largest blob; 0: no limit */
	guint64 max_tree_bytes;	/* every blob together; 0: no limit */
} PcWorktreeOptions;

/*
 * Checks out @commit's tree into @opts->dir and appends its .rs files,
 * sorted, to @rust_files (char*, freed by the array). On a tree that is
 * unsafe or too large, FALSE with PC_WORKTREE_ERROR_UNSAFE or _TOO_LARGE
 * and one sentence naming the path; nothing was written then.
 */
gboolean pc_worktree_checkout(const PcWorktreeOptions *opts,
			      const git_oid *commit, GPtrArray *rust_files,
			      GError **error);

/*
 * The same refusals, for one file or name, without a checkout: @tree is
 * read where it differs from @known, a tree already trusted (mainline's;
 * NULL: all of it). The total is not known this way; the checkout
 * checks it.
 */
gboolean pc_worktree_check_tree(git_repository *repo,
				const PcWorktreeOptions *opts,
				const git_tree *known, const git_tree *tree,
				GError **error);

/*
 * Why git would not check out an entry called @name here, or NULL when
 * it would. (transfer none: a static string)
 */
const char *pc_worktree_check_name(const char *name);

G_END_DECLS

#endif
