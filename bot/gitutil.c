// SPDX-License-Identifier: GPL-2.0-only
/* gitutil: libgit2's last error, and the quick tree diff (gitutil.h). */
#include <string.h>

#include "autocleanup-git.h"
#include "gitutil.h"

const char *pc_git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static gboolean add_all_paths(git_repository *repo, const git_tree *tree,
			      const char *prefix, GPtrArray *paths);

/* The path of entry @e under @prefix ("" or "dir/"). (transfer full) */
static char *entry_path(const char *prefix, const git_tree_entry *e)
{
	return g_strconcat(prefix, git_tree_entry_name(e), NULL);
}

/* Every file under the entry @e: a subtree added or removed whole. */
static gboolean add_entry_paths(git_repository *repo, const char *prefix,
				const git_tree_entry *e, GPtrArray *paths)
{
	g_autoptr(git_tree) sub = NULL;
	g_autofree char *path = entry_path(prefix, e);
	g_autofree char *under = NULL;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		g_ptr_array_add(paths, g_steal_pointer(&path));
		return TRUE;
	}
	under = g_strconcat(path, "/", NULL);
	return git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0 &&
	       add_all_paths(repo, sub, under, paths);
}

static gboolean add_all_paths(git_repository *repo, const git_tree *tree,
			      const char *prefix, GPtrArray *paths)
{
	for (size_t i = 0; i < git_tree_entrycount(tree); i++)
		if (!add_entry_paths(repo, prefix,
				     git_tree_entry_byindex(tree, i), paths))
			return FALSE;
	return TRUE;
}

static gboolean add_changed_paths(git_repository *repo, const git_tree *a,
				  const git_tree *b, const char *prefix,
				  GPtrArray *paths);

/* Two entries of the same name: equal, two subtrees to compare, or a file. */
static gboolean add_pair(git_repository *repo, const char *prefix,
			 const git_tree_entry *ea, const git_tree_entry *eb,
			 GPtrArray *paths)
{
	g_autoptr(git_tree) ta = NULL, tb = NULL;
	g_autofree char *under = NULL;

	if (git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
	    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
		return TRUE;
	if (git_tree_entry_type(ea) != GIT_OBJECT_TREE ||
	    git_tree_entry_type(eb) != GIT_OBJECT_TREE) {
		g_ptr_array_add(paths, entry_path(prefix, ea));
		return TRUE;
	}
	under = g_strconcat(prefix, git_tree_entry_name(ea), "/", NULL);
	return git_tree_lookup(&ta, repo, git_tree_entry_id(ea)) == 0 &&
	       git_tree_lookup(&tb, repo, git_tree_entry_id(eb)) == 0 &&
	       add_changed_paths(repo, ta, tb, under, paths);
}

/*
 * The files whose entries differ between @a and @b, reading only the
 * subtrees that differ. Both trees are in git's order, in which
 * git_tree_entry_cmp() merges them (a file "x" and a directory "x"
 * are two names: one removed, one added).
 */
static gboolean add_changed_paths(git_repository *repo, const git_tree *a,
				  const git_tree *b, const char *prefix,
				  GPtrArray *paths)
{
	size_t i = 0, j = 0, na = git_tree_entrycount(a);
	size_t nb = git_tree_entrycount(b);

	while (i < na || j < nb) {
		const git_tree_entry *ea = i < na ? git_tree_entry_byindex(a, i)
						  : NULL;
		const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(b, j)
						  : NULL;
		int cmp = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb);
		gboolean ok;

		if (cmp == 0)
			ok = add_pair(repo, prefix, ea, eb, paths);
		else
			ok = add_entry_paths(repo, prefix, cmp < 0 ? ea : eb,
					     paths);
		i += cmp <= 0;
		j += cmp >= 0;
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

int pc_git_diff_trees(git_diff **diff, git_repository *repo, git_tree *a,
		      git_tree *b, uint32_t flags)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

	if (!add_changed_paths(repo, a, b, "", paths))
		return -1;
	opts.flags = flags | GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	opts.pathspec.strings = (char **)paths->pdata;
	opts.pathspec.count = paths->len;
	/* An empty path list would mean every path. */
	if (!paths->len)
		return git_diff_tree_to_tree(diff, repo, NULL, NULL, &opts);
	return git_diff_tree_to_tree(diff, repo, a, b, &opts);
}
