// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch_checks: what fetch.c's run checks once the ref is in the store
 * (fetch_run.h): the tag's signature, the tip's names and sizes, the
 * mail's commits, the base and the statistics, the merge with mainline,
 * and the tree to build with its checkout.
 */
#define G_LOG_DOMAIN "pullcheck-fetch"

#include <string.h>

#include "autocleanup-git.h"
#include "fetch_run.h"
#include "gitutil.h"
#include "tagsig.h"
#include "worktree.h"

#define MAX_LISTED 10 /* conflicting paths named in the reason's text */

/* --- the tag's signature (tagsig.c) ----------------------------------- */

static void set_signature(PcFetchRun *r, const char *verdict, char *signer)
{
	g_free(r->out->signature);
	r->out->signature = g_strdup(verdict);
	g_free(r->out->signer);
	r->out->signer = signer;
}

static void unsigned_tag(PcFetchRun *r)
{
	r->out->signed_ = PC_TRI_FALSE;
	set_signature(r, PC_FETCH_SIG_NONE, NULL);
	pc_fetch_add(r, "tag-unsigned", PC_SEVERITY_WARNING,
		     "%s is not a signed tag.", r->out->resolved_ref);
}

/* The tag's signature as the result's fields and findings. */
static void take_signature(PcFetchRun *r, PcTagsig *sig)
{
	const char *tag = r->out->resolved_ref;

	r->out->signed_ = PC_TRI_TRUE; /* unsigned_tag() says otherwise */
	switch (sig->status) {
	case PC_TAGSIG_NONE:
		unsigned_tag(r);
		break;
	case PC_TAGSIG_OTHER_KIND:
	case PC_TAGSIG_NO_KEYRING:
		set_signature(r, PC_FETCH_SIG_UNCHECKED, NULL);
		pc_fetch_add(
			r, "tag-signature-unchecked", PC_SEVERITY_INFO,
			"%s is signed, but %s.", tag,
			sig->status == PC_TAGSIG_OTHER_KIND
				? "not with OpenPGP, the only kind pullcheck verifies"
				: "pullcheck has no keyring to verify it with");
		break;
	case PC_TAGSIG_VERIFIED:
		set_signature(r, PC_FETCH_SIG_VERIFIED,
			      g_steal_pointer(&sig->signer));
		break;
	case PC_TAGSIG_UNKNOWN_KEY:
		set_signature(r, PC_FETCH_SIG_UNKNOWN_KEY, g_strdup(sig->fpr));
		pc_fetch_add(
			r, "tag-key-unknown", PC_SEVERITY_WARNING,
			"%s is signed by key %s, which is not in pullcheck's "
			"keyring.",
			tag, sig->fpr ? sig->fpr : "(unknown)");
		break;
	case PC_TAGSIG_BAD:
		set_signature(r, PC_FETCH_SIG_BAD, g_strdup(sig->fpr));
		pc_fetch_add(r, "tag-signature-bad", PC_SEVERITY_UNVERIFIED,
			     "The signature on %s does not verify: %s.", tag,
			     sig->why);
		break;
	}
}

static gboolean check_tag_object(PcFetchRun *r, const git_oid *id,
				 GError **error)
{
	g_autoptr(git_odb) odb = NULL;
	g_autoptr(git_odb_object) raw = NULL;
	g_autoptr(GError) local = NULL;
	PcTagsig sig;

	if (git_repository_odb(&odb, r->repo) < 0 ||
	    git_odb_read(&raw, odb, id) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot read tag %s",
					 r->out->tag_object);
	if (!pc_tagsig_check(git_odb_object_data(raw), git_odb_object_size(raw),
			     r->opts->keyring, &sig, &local)) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_SIGNATURE,
			    "%s: %s", r->out->resolved_ref, local->message);
		return FALSE;
	}
	take_signature(r, &sig);
	pc_tagsig_clear(&sig);
	return TRUE;
}

gboolean pc_fetch_check_signature(PcFetchRun *r, GError **error)
{
	git_oid id;

	if (!g_str_has_prefix(r->out->resolved_ref, "refs/tags/")) {
		set_signature(r, PC_FETCH_SIG_NONE, NULL);
		return TRUE;
	}
	if (!r->out->tag_object) {
		unsigned_tag(r); /* a lightweight tag */
		return TRUE;
	}
	git_oid_fromstr(&id, r->out->tag_object);
	return check_tag_object(r, &id, error);
}

/* --- the mail's commits, the base and the statistics ------------------- */

/* @given may be abbreviated, as in a hand-written mail. */
static gboolean same_id(const char *full, const char *given)
{
	size_t n = strlen(given);

	return n >= 4 && n <= GIT_OID_HEXSZ &&
	       !g_ascii_strncasecmp(full, given, n);
}

void pc_fetch_check_mail(PcFetchRun *r)
{
	const PcPullreq *pr = r->pr;

	if (pr->end_commit && !same_id(r->out->tip_commit, pr->end_commit))
		pc_fetch_add(
			r, "tip-mismatch", PC_SEVERITY_UNVERIFIED,
			"%s points to %s, but the mail says %s: was it changed "
			"after the mail was sent?",
			r->out->resolved_ref, r->out->tip_commit,
			pr->end_commit);
	if (pr->tag_commit && r->out->tag_object &&
	    !same_id(r->out->tag_object, pr->tag_commit))
		pc_fetch_add(
			r, "tag-mismatch", PC_SEVERITY_UNVERIFIED,
			"The tag object of %s is %s, but the mail says %s: was it "
			"re-created after the mail was sent?",
			r->out->resolved_ref, r->out->tag_object,
			pr->tag_commit);
}

static gboolean lookup_commit_prefix(PcFetchRun *r, const char *hexid,
				     git_oid *out)
{
	g_autoptr(git_object) obj = NULL;
	git_oid prefix;
	size_t n = strlen(hexid);

	if (git_oid_fromstrn(&prefix, hexid, n) < 0 ||
	    git_object_lookup_prefix(&obj, r->repo, &prefix, n,
				     GIT_OBJECT_COMMIT) < 0)
		return FALSE;
	git_oid_cpy(out, git_object_id(obj));
	return TRUE;
}

static void base_from_mail(PcFetchRun *r)
{
	const char *given = r->pr->base_commit;
	git_oid id;

	if (!lookup_commit_prefix(r, given, &id)) {
		pc_fetch_add(
			r, "base-unknown", PC_SEVERITY_WARNING,
			"The base commit %s the mail names is neither in mainline "
			"nor in the history of %s.",
			given, r->out->resolved_ref);
		return;
	}
	if (!git_oid_equal(&id, &r->tip) &&
	    git_graph_descendant_of(r->repo, &r->tip, &id) != 1) {
		pc_fetch_add(
			r, "base-not-ancestor", PC_SEVERITY_UNVERIFIED,
			"The base commit %s the mail names is not an ancestor of "
			"%s (%s).",
			given, r->out->resolved_ref, r->out->tip_commit);
		return;
	}
	git_oid_cpy(&r->base, &id);
	r->have_base = r->out->base_from_mail = TRUE;
}

/* The mail's base if it is one, else where the tip left mainline. */
static void find_base(PcFetchRun *r)
{
	if (r->pr->base_commit)
		base_from_mail(r);
	if (r->have_base)
		return;
	if (git_merge_base(&r->base, r->repo, &r->tip, &r->mainline) < 0) {
		pc_fetch_add(r, "base-unknown", PC_SEVERITY_WARNING,
			     "%s shares no history with mainline.",
			     r->out->resolved_ref);
		return;
	}
	r->have_base = TRUE;
}

static gboolean count_commits(PcFetchRun *r, GError **error)
{
	g_autoptr(git_revwalk) walk = NULL;
	git_oid id;
	int rc;

	if (git_revwalk_new(&walk, r->repo) < 0 ||
	    git_revwalk_push(walk, &r->tip) < 0 ||
	    git_revwalk_hide(walk, &r->base) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot walk the history of %s",
					 r->out->tip_commit);
	r->out->commits = 0;
	while ((rc = git_revwalk_next(&id, walk)) == 0)
		r->out->commits++;
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot walk the history of %s",
					 r->out->tip_commit);
	return TRUE;
}

gboolean pc_fetch_commit_tree(PcFetchRun *r, const git_oid *id, git_tree **tree)
{
	g_autoptr(git_commit) commit = NULL;

	return git_commit_lookup(&commit, r->repo, id) == 0 &&
	       git_commit_tree(tree, commit) == 0;
}

static void list_changed(PcFetchRun *r, git_diff *diff)
{
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		g_ptr_array_add(r->out->changed_files,
				g_strdup(d->new_file.path));
		if (strcmp(d->old_file.path, d->new_file.path))
			g_ptr_array_add(r->out->changed_files,
					g_strdup(d->old_file.path));
	}
}

/* As git request-pull shows it: git diff -M --stat base..tip. */
static gboolean diffstat(PcFetchRun *r, GError **error)
{
	g_autoptr(git_tree) old = NULL, new = NULL;
	g_autoptr(git_diff) diff = NULL;
	g_autoptr(git_diff_stats) stats = NULL;
	git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;

	find.flags = GIT_DIFF_FIND_RENAMES;
	if (!pc_fetch_commit_tree(r, &r->base, &old) ||
	    !pc_fetch_commit_tree(r, &r->tip, &new) ||
	    pc_git_diff_trees(&diff, r->repo, old, new, 0) < 0 ||
	    git_diff_find_similar(diff, &find) < 0 ||
	    git_diff_get_stats(&stats, diff) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot diff %s against its base",
					 r->out->tip_commit);
	r->out->files_changed = git_diff_stats_files_changed(stats);
	r->out->insertions = git_diff_stats_insertions(stats);
	r->out->deletions = git_diff_stats_deletions(stats);
	list_changed(r, diff);
	return TRUE;
}

/* The base as a person names it: mainline's tag on it, else its id. */
static char *name_base(PcFetchRun *r)
{
	g_autoptr(git_reference_iterator) it = NULL;
	git_reference *ref;
	char *name = NULL;

	if (git_reference_iterator_glob_new(&it, r->repo,
					    PC_FETCH_MAINLINE_NS "tags/*") < 0)
		return NULL;
	while (!name && git_reference_next(&ref, it) == 0) {
		g_autoptr(git_object) commit = NULL;

		if (git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) == 0 &&
		    git_oid_equal(git_object_id(commit), &r->base))
			name = g_strdup(git_reference_name(ref) +
					strlen(PC_FETCH_MAINLINE_NS "tags/"));
		git_reference_free(ref);
	}
	return name ? name : g_strndup(r->out->base_commit, 12);
}

/*
 * How far the base is behind mainline: a pull request based on the last
 * release while mainline is at -rc3 is checked against its own base, and
 * the reply says how old that base is.
 */
static gboolean count_behind(PcFetchRun *r, GError **error)
{
	g_autoptr(git_revwalk) walk = NULL;
	git_oid id;
	int rc;

	if (!git_oid_equal(&r->base, &r->mainline) &&
	    git_graph_descendant_of(r->repo, &r->mainline, &r->base) != 1)
		return TRUE;	/* not in mainline: nothing to count */
	if (git_revwalk_new(&walk, r->repo) < 0 ||
	    git_revwalk_push(walk, &r->mainline) < 0 ||
	    git_revwalk_hide(walk, &r->base) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot walk mainline's history");
	while ((rc = git_revwalk_next(&id, walk)) == 0)
		r->out->behind_mainline++;
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot walk mainline's history");
	r->out->base_name = name_base(r);
	if (r->out->behind_mainline)
		pc_fetch_add(r, "behind-mainline", PC_SEVERITY_INFO,
			     "Based on %s, %u commit%s behind mainline "
			     "(%.12s); the commits and the diffstat are "
			     "counted from that base.",
			     r->out->base_name, r->out->behind_mainline,
			     r->out->behind_mainline == 1 ? "" : "s",
			     r->out->mainline_commit);
	return TRUE;
}

gboolean pc_fetch_stats(PcFetchRun *r, GError **error)
{
	find_base(r);
	if (!r->have_base)
		return TRUE;
	r->out->base_commit = pc_fetch_hex(&r->base);
	return count_commits(r, error) && diffstat(r, error) &&
	       count_behind(r, error);
}

/* --- the merge with mainline ------------------------------------------- */

static void list_conflicts(PcFetchRun *r)
{
	g_autoptr(git_index_conflict_iterator) it = NULL;
	g_autoptr(GString) names = g_string_new(NULL);
	const git_index_entry *anc, *ours, *theirs;
	GPtrArray *paths = r->out->merge_conflicts;

	if (git_index_conflict_iterator_new(&it, r->merged) < 0)
		return;
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0)
		g_ptr_array_add(paths, g_strdup(ours	 ? ours->path
						: theirs ? theirs->path
							 : anc->path));
	for (guint i = 0; i < paths->len && i < MAX_LISTED; i++)
		g_string_append_printf(names, "%s%s", i ? ", " : "",
				       (char *)paths->pdata[i]);
	if (paths->len > MAX_LISTED)
		g_string_append_printf(names, " and %u more",
				       paths->len - MAX_LISTED);
	/*
	 * With tree = merge the merge is what this installation builds:
	 * building the tip in its place would check a tree nobody will
	 * get, so nothing is built and the verdict says so.
	 */
	if (!g_strcmp0(r->opts->tree, PC_FETCH_TREE_MERGE))
		pc_fetch_add(r, "merge-conflict", PC_SEVERITY_INFRA,
			     "Merging %s into mainline (%.12s) conflicts in "
			     "%u file%s: %s. pullcheck builds the merge, so "
			     "nothing was built.",
			     r->out->resolved_ref, r->out->mainline_commit,
			     paths->len, paths->len == 1 ? "" : "s",
			     names->str);
	else
		pc_fetch_add(r, "merge-conflict", PC_SEVERITY_WARNING,
			     "Merging %s into mainline (%.12s) conflicts in "
			     "%u file%s: %s.",
			     r->out->resolved_ref, r->out->mainline_commit,
			     paths->len, paths->len == 1 ? "" : "s",
			     names->str);
}

/* The tree of @id into r->merged_tree. */
static gboolean tree_of(PcFetchRun *r, const git_oid *id)
{
	g_autoptr(git_commit) commit = NULL;

	if (git_commit_lookup(&commit, r->repo, id) < 0)
		return FALSE;
	git_oid_cpy(&r->merged_tree, git_commit_tree_id(commit));
	return TRUE;
}

/*
 * When one side contains the other the merge is that side's tree, with
 * nothing to conflict: no need for libgit2 to build an index of the
 * whole merged tree (a tenth of a second for the kernel).
 */
static int merge_trivially(PcFetchRun *r)
{
	if (git_oid_equal(&r->mainline, &r->tip) ||
	    git_graph_descendant_of(r->repo, &r->mainline, &r->tip) == 1) {
		pc_fetch_add(r, "already-merged", PC_SEVERITY_INFO,
			     "%s (%.12s) is already in mainline.",
			     r->out->resolved_ref, r->out->tip_commit);
		return tree_of(r, &r->mainline) ? 1 : -1;
	}
	if (git_graph_descendant_of(r->repo, &r->tip, &r->mainline) == 1)
		return tree_of(r, &r->tip) ? 1 : -1;
	return 0;
}

gboolean pc_fetch_check_merge(PcFetchRun *r, GError **error)
{
	g_autoptr(git_commit) ours = NULL, theirs = NULL;
	git_merge_options mo = GIT_MERGE_OPTIONS_INIT;
	int trivial;

	trivial = merge_trivially(r);
	if (trivial > 0)
		return TRUE;
	if (trivial < 0 ||
	    git_commit_lookup(&ours, r->repo, &r->mainline) < 0 ||
	    git_commit_lookup(&theirs, r->repo, &r->tip) < 0 ||
	    git_merge_commits(&r->merged, r->repo, ours, theirs, &mo) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot merge %s into mainline",
					 r->out->tip_commit);
	if (git_index_has_conflicts(r->merged))
		list_conflicts(r);
	else if (git_index_write_tree_to(&r->merged_tree, r->merged, r->repo) <
		 0)
		return pc_fetch_git_fail(
			error, PC_FETCH_ERROR_STORE,
			"cannot write the merge with mainline");
	return TRUE;
}

/* A real commit, so the merged tree can be named, built and reproduced. */
static gboolean merge_commit(PcFetchRun *r, git_oid *id, GError **error)
{
	g_autoptr(git_commit) ours = NULL, theirs = NULL;
	g_autoptr(git_tree) tree = NULL;
	g_autoptr(git_signature) sig = NULL;
	g_autoptr(git_reference) ref = NULL;
	g_autofree char *msg = NULL, *name = NULL;
	const git_commit *parents[2];

	if (git_tree_lookup(&tree, r->repo, &r->merged_tree) < 0 ||
	    git_commit_lookup(&ours, r->repo, &r->mainline) < 0 ||
	    git_commit_lookup(&theirs, r->repo, &r->tip) < 0 ||
	    git_signature_new(
		    &sig, "pullcheck", "pullcheck@localhost",
		    MAX(git_commit_time(ours), git_commit_time(theirs)), 0) < 0)
		return pc_fetch_git_fail(
			error, PC_FETCH_ERROR_STORE,
			"cannot write the merge with mainline");
	parents[0] = ours;
	parents[1] = theirs;
	msg = g_strdup_printf("Merge %s of %s\n", r->out->resolved_ref,
			      r->out->url);
	name = g_strdup_printf(PC_FETCH_JOB_NS "%s/merge", r->job);
	if (git_commit_create(id, r->repo, NULL, sig, sig, NULL, msg, tree, 2,
			      parents) < 0 ||
	    git_reference_create(&ref, r->repo, name, id, 1,
				 "pullcheck: merge") < 0)
		return pc_fetch_git_fail(
			error, PC_FETCH_ERROR_STORE,
			"cannot write the merge with mainline");
	return TRUE;
}

/* --- the tree's paths and sizes ----------------------------------------- */

static void worktree_options(const PcFetchRun *r, PcWorktreeOptions *wo)
{
	memset(wo, 0, sizeof(*wo));
	wo->dir = r->opts->worktree;
	wo->store = r->opts->store;
	wo->max_file_bytes = r->opts->max_file_bytes;
	wo->max_tree_bytes = r->opts->max_tree_bytes;
}

/*
 * A tree that cannot be written safely, or is over the limits, is the
 * pull request's: a finding that names the path, not a failure of ours
 * (and nothing to retry). FALSE when @local was something else.
 */
static gboolean refused_tree(PcFetchRun *r, const GError *local)
{
	g_autofree char *tip = pc_fetch_hex(&r->tip);

	if (local->domain != PC_WORKTREE_ERROR)
		return FALSE;
	if (local->code == PC_WORKTREE_ERROR_UNSAFE)
		pc_fetch_add(
			r, "tree-unsafe", PC_SEVERITY_INFRA,
			"The tree of %s cannot be checked out safely, so it was "
			"not built: %s.",
			tip, local->message);
	else if (local->code == PC_WORKTREE_ERROR_TOO_LARGE)
		pc_fetch_add(
			r, "tree-too-large", PC_SEVERITY_INFRA,
			"The tree of %s is larger than this installation checks "
			"out, so it was not built: %s.",
			tip, local->message);
	else
		return FALSE;
	return TRUE;
}

/*
 * Before anything reads the tip's files (the statistics, the merge, the
 * checkout): its names and file sizes, where it differs from mainline.
 * FALSE with *@refused when it got a finding, without when our side
 * failed (@error set).
 */
gboolean pc_fetch_scan_tip(PcFetchRun *r, gboolean *refused, GError **error)
{
	g_autoptr(git_tree) known = NULL, tip = NULL;
	g_autoptr(GError) local = NULL;
	PcWorktreeOptions wo;

	*refused = FALSE;
	worktree_options(r, &wo);
	if (!pc_fetch_commit_tree(r, &r->tip, &tip) ||
	    !pc_fetch_commit_tree(r, &r->mainline, &known))
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot read the tree to check");
	if (pc_worktree_check_tree(r->repo, &wo, known, tip, &local))
		return TRUE;
	*refused = refused_tree(r, local);
	if (!*refused)
		g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static gboolean checkout(PcFetchRun *r, const git_oid *id, GError **error)
{
	g_autoptr(GError) local = NULL;
	PcWorktreeOptions wo;

	worktree_options(r, &wo);
	if (pc_worktree_checkout(&wo, id, r->out->rust_files, &local)) {
		r->out->worktree = g_strdup(wo.dir);
		return TRUE;
	}
	if (refused_tree(r, local))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

gboolean pc_fetch_build_tree(PcFetchRun *r, GError **error)
{
	gboolean merge = !g_strcmp0(r->opts->tree, PC_FETCH_TREE_MERGE);
	git_oid id;

	git_oid_cpy(&id, &r->tip);
	if (merge && r->out->merge_conflicts->len)
		return TRUE;	/* a finding: nothing to build */
	if (merge && !merge_commit(r, &id, error))
		return FALSE;
	r->out->tree_kind =
		g_strdup(merge ? PC_FETCH_TREE_MERGE : PC_FETCH_TREE_TIP);
	r->out->tree_commit = pc_fetch_hex(&id);
	return !r->opts->worktree || checkout(r, &id, error);
}
