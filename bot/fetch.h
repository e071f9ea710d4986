/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fetch: get what a pull request names into one shared object store,
 * check it against the mail and against mainline, and check out the tree
 * to build. libgit2 for git, GPGME for signed tags; no git subprocess.
 *
 * The store is one bare repository for every job. Mainline lives under
 * refs/pullcheck/mainline/, each job under refs/pullcheck/<job>/, so a
 * pull request only transfers the objects mainline does not have.
 *
 * Every network operation is bounded in time and bytes, including a
 * server that accepts the connection and then never answers, and every
 * request, a redirect's too, must go to a URL the allow list names: see
 * stream.h.
 */
#ifndef PC_FETCH_H
#define PC_FETCH_H

#include <glib.h>

#include "config.h"
#include "pullreq.h"
#include "reason.h"

G_BEGIN_DECLS

#define PC_FETCH_ERROR (pc_fetch_error_quark())
GQuark pc_fetch_error_quark(void);

typedef enum {
	PC_FETCH_ERROR_INVALID,	/* the caller's arguments (job id, options) */
	PC_FETCH_ERROR_STORE,	/* the object store: open, create, write */
	PC_FETCH_ERROR_MAINLINE,	/* mainline could not be fetched */
	PC_FETCH_ERROR_WORKTREE,	/* the checkout of the tree to build */
	PC_FETCH_ERROR_SIGNATURE,	/* GPGME or gpg itself failed */
} PcFetchError;

#define PC_FETCH_TREE_TIP "tip"
#define PC_FETCH_TREE_MERGE "merge"

/* PcFetchResult.signature */
#define PC_FETCH_SIG_VERIFIED "verified"	/* good, by a key in the keyring */
#define PC_FETCH_SIG_UNKNOWN_KEY "unknown-key"	/* signed; key not in the keyring */
#define PC_FETCH_SIG_BAD "bad"			/* does not verify */
#define PC_FETCH_SIG_NONE "none"		/* not signed, or not a tag */
#define PC_FETCH_SIG_UNCHECKED "unchecked"	/* signed; no keyring configured */

/*
 * What a fetch may do. All borrowed; the caller keeps them alive for the
 * call. pc_fetch_options_init() fills everything but the two paths from
 * the [fetch] section.
 */
typedef struct {
	const char *store;	/* bare repository, created if missing */
	/* The persistent checkout (worktree.h); NULL for none. */
	const char *worktree;
	const char *const *allow_urls;	/* URL prefixes, NULL-terminated */
	guint timeout;		/* seconds, for each fetch as a whole */
	guint64 max_bytes;	/* for each fetch */
	guint64 max_file_bytes;	/* the checkout's largest file; 0: none */
	guint64 max_tree_bytes;	/* the checkout's files together; 0: none */
	const char *keyring;	/* GNUPGHOME-like directory; NULL: none */
	const char *ca_file;	/* https: PEM CAs; NULL: the system's */
	const char *tree;	/* PC_FETCH_TREE_TIP | PC_FETCH_TREE_MERGE */
	const char *mainline_url;
} PcFetchOptions;

/*
 * One fetch and its checks. Plain data, every string owned; NULL where
 * nothing is known (the fetch failed before it could be learnt).
 */
typedef struct {
	char *url;		/* normalised: what was (or would be) fetched */
	char *ref;		/* as the mail wrote it; NULL: the remote's HEAD */
	char *resolved_ref;	/* full name on the remote, e.g. refs/tags/x */
	char *tip_commit;	/* hex, the ref peeled to its commit */
	char *tag_object;	/* hex, for an annotated tag */
	PcTri signed_;		/* NULL: not a tag; FALSE: an unsigned tag */
	char *signature;	/* PC_FETCH_SIG_*; NULL: the fetch failed */
	char *signer;		/* "FINGERPRINT User <mail>"; NULL if none */
	char *base_commit;	/* hex: the mail's, else the merge-base */
	gboolean base_from_mail;
	guint commits;		/* base..tip */
	guint files_changed, insertions, deletions;
	GPtrArray *merge_conflicts;	/* char*: paths; NULL-terminated */
	char *mainline_commit;	/* hex: what the merge check merged into */
	char *tree_kind;	/* PC_FETCH_TREE_*: what was checked out */
	char *tree_commit;	/* hex: the commit checked out */
	char *worktree;
	GPtrArray *changed_files;	/* char*: base..tip; NULL-terminated */
	/* char*: every .rs file of the tree checked out; NULL-terminated */
	GPtrArray *rust_files;
	GPtrArray *reasons;	/* PcReason* */
	/* Our side failed (store, disk, mainline): the check did not run. */
	gboolean infra_failure;
	guint64 received_bytes;	/* read from the network for the ref */
	double fetch_s;		/* the network part: connect, list, download */
	double duration_s;	/* all of it, checkout included */
} PcFetchResult;

/* Fills @opts from @config's [fetch] section; the paths stay NULL. */
void pc_fetch_options_init(PcFetchOptions *opts, const PcConfig *config);

/*
 * Fetches @opts->mainline_url into the store's refs/pullcheck/mainline/
 * (heads, tags, and HEAD as the remote's default branch), creating the
 * store if needed. The daemon calls it now and then; pc_fetch_run()
 * calls it only when the store has no mainline yet. It is bounded by
 * @opts->timeout and max_bytes like any fetch: the first fetch of the
 * kernel's whole history (some 5 GB) needs larger ones than a pull
 * request does, so prime with options of its own before the first job.
 */
gboolean pc_fetch_prime_mainline(const PcFetchOptions *opts, GError **error);

/*
 * Fetches what @pr names as job @job_id (letters, digits, '.', '_', '-')
 * and fills @out, which must be zeroed or cleared. Policy findings are
 * reasons in @out. FALSE (with @error, and @out->infra_failure set and
 * filled as far as it got) when our side failed and nothing could be
 * concluded about the pull request.
 */
gboolean pc_fetch_run(const PcFetchOptions *opts, const char *job_id,
		      const PcPullreq *pr, PcFetchResult *out, GError **error);
void pc_fetch_result_clear(PcFetchResult *result);

/* A job key as job.c makes them (result.h): the form of a job's id. */
#define PC_FETCH_JOB_KEY_LEN 16

/*
 * The store's lock, "<store>.lock": a fetch holds it from its first
 * write to its checkout, `maintain` while it prunes and repacks. Waits
 * for another holder up to @wait_s seconds. The descriptor for
 * pc_fetch_unlock(), or -1 with @error.
 */
int pc_fetch_lock(const PcFetchOptions *opts, guint wait_s, GError **error);
void pc_fetch_unlock(int lock);

/*
 * Deletes refs/pullcheck/@job_id/ under the store's lock (waiting up to
 * @opts->timeout for it); the objects go at the next gc. *@deleted: how
 * many refs. A store that does not exist has nothing to forget.
 */
gboolean pc_fetch_forget(const PcFetchOptions *opts, const char *job_id,
			 guint *deleted, GError **error);

typedef struct {
	guint jobs;	/* jobs whose refs were deleted */
	guint refs;	/* refs deleted */
	guint jobs_kept;	/* jobs in the keep set that had refs */
} PcFetchPruned;

/*
 * Deletes the refs of every job whose id (a job key, 16 hex digits) is
 * not in @keep (char* → anything; NULL: none kept). Mainline's refs and
 * any name not shaped like a job key stay. The caller holds the store's
 * lock (pc_fetch_lock).
 */
gboolean pc_fetch_prune_jobs(const PcFetchOptions *opts, GHashTable *keep,
			     PcFetchPruned *out, GError **error);

G_END_DECLS

#endif
