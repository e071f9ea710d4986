/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gitutil: what fetch.c and worktree.c both need from libgit2 and that
 * libgit2 does not give as such: its last error as one sentence, and a
 * tree-to-tree diff that reads only the subtrees that differ.
 */
#ifndef PC_GITUTIL_H
#define PC_GITUTIL_H

#include <git2.h>
#include <glib.h>

G_BEGIN_DECLS

/* libgit2's last error on this thread, or a fixed sentence. (transfer none) */
const char *pc_git_message(void);

/*
 * git_diff_tree_to_tree() with @flags, the same deltas, but fast on big
 * trees: libgit2 1.5 reads every subtree of both trees, even the equal
 * ones (50-90 ms for the kernel), unless a path list narrows it down.
 * So the paths that differ are found first, and the diff is asked for
 * exactly those. Returns libgit2's code.
 */
int pc_git_diff_trees(git_diff **diff, git_repository *repo, git_tree *a,
		      git_tree *b, uint32_t flags);

G_END_DECLS

#endif
