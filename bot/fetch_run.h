/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fetch_run: what fetch.c and fetch_checks.c share about one run, and
 * nobody else: the run's state and its helpers (fetch.c), and the checks
 * on what the fetch brought (fetch_checks.c). Not a public header.
 */
#ifndef PC_FETCH_RUN_H
#define PC_FETCH_RUN_H

#include <git2.h>
#include <glib.h>

#include "fetch.h"

G_BEGIN_DECLS

#define PC_FETCH_JOB_NS "refs/pullcheck/"
#define PC_FETCH_MAINLINE_NS PC_FETCH_JOB_NS "mainline/"
#define PC_FETCH_SEED_NS PC_FETCH_JOB_NS "seed/"
/* A mainline fetch's refs until it is known to be within its limits. */
#define PC_FETCH_FETCHED_NS PC_FETCH_SEED_NS "fetched/"

/* What one run knows; the result it fills is @out. */
typedef struct {
	const PcFetchOptions *opts;
	const char *job;
	const PcPullreq *pr;
	PcFetchResult *out;
	git_repository *repo;
	git_oid mainline; /* mainline's HEAD, peeled */
	git_oid tip;	  /* the ref, peeled to its commit */
	git_oid base;
	gboolean have_base;
	git_index *merged;   /* mainline and tip, merged in memory */
	git_oid merged_tree; /* their merge, when it does not conflict */
	gint64 lap;	     /* when the last step ended, for the debug log */
	int store_lock;	     /* the store's lock while the run holds it */
} PcFetchRun;

/* --- fetch.c ----------------------------------------------------------- */

/* A finding of the run, its text printf(@fmt, ...). */
void pc_fetch_add(PcFetchRun *r, const char *code, const char *severity,
		  const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* @oid in hex. (transfer full) */
char *pc_fetch_hex(const git_oid *oid);

/* Translates libgit2's last error, once, into @error. Returns FALSE. */
gboolean pc_fetch_git_fail(GError **error, PcFetchError code, const char *fmt,
			   ...) G_GNUC_PRINTF(3, 4);

/* The options' store, mainline URL and tree make sense; libgit2 is up. */
gboolean pc_fetch_check_options(const PcFetchOptions *opts, GError **error);

/* The store, created if missing. (transfer full) */
git_repository *pc_fetch_open_store(const char *path, GError **error);

/* --- fetch_git.c ------------------------------------------------------- */

/*
 * Fetches @opts->mainline_url with git itself, within @timeout seconds
 * and @max_bytes (0: none), with progress to @opts->on_progress; the
 * caller holds the store's lock. With @clone NULL, `git fetch` of its
 * heads and tags into the store's PC_FETCH_FETCHED_NS; else `git clone
 * --bare` into the directory @clone (the store's objects stand in for
 * what it need not download), for pc_fetch_take_clone(): a first fetch
 * so skips the walk of every object `git fetch` makes to check that
 * the pack is connected (20 s CPU and 517 MiB on the scale
 * repository), which index-pack already checked for a clone. Returns
 * the remote's HEAD branch ("refs/heads/x"), or NULL with @error (and
 * @clone removed). (transfer full)
 */
char *pc_fetch_git_mainline(const PcFetchOptions *opts, const char *clone,
			    guint timeout, guint64 max_bytes, GError **error);

/* Removes the directory @dir and all it holds, if it is there. */
void pc_fetch_git_remove_clone(const char *dir);

/*
 * One line of git's --progress output ("Receiving objects:  45% (1/2),
 * 1.00 MiB | ...", "Resolving deltas: ...") into @p; FALSE: not one.
 */
gboolean pc_fetch_git_progress_line(const char *line, PcFetchProgress *p);

/* --- fetch_seed.c ------------------------------------------------------ */

/*
 * The packs of the bare clone @clone, hard-linked (else copied) into
 * @store, and its heads and tags under PC_FETCH_FETCHED_NS.
 */
gboolean pc_fetch_take_clone(const PcFetchOptions *opts,
			     git_repository *store, const char *clone,
			     GError **error);

/* --- fetch_checks.c: in the order the run calls them ------------------- */

gboolean pc_fetch_commit_tree(PcFetchRun *r, const git_oid *id,
			      git_tree **tree);
/* The tag's signature into the result (tagsig.c does the checking). */
gboolean pc_fetch_check_signature(PcFetchRun *r, GError **error);
/* The tip's names and file sizes (worktree.c); FALSE with *@refused
 * when that is a finding, without when our side failed. */
gboolean pc_fetch_scan_tip(PcFetchRun *r, gboolean *refused, GError **error);
/* The mail's commits against what was fetched. */
void pc_fetch_check_mail(PcFetchRun *r);
/* The base, the commits and the diffstat since it. */
gboolean pc_fetch_stats(PcFetchRun *r, GError **error);
/* The merge with mainline, in memory. */
gboolean pc_fetch_check_merge(PcFetchRun *r, GError **error);
/* The tree to build (tip, or the merge) and its checkout. */
gboolean pc_fetch_build_tree(PcFetchRun *r, GError **error);

G_END_DECLS

#endif
