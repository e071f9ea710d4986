/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fetch: get what a pull request names into one shared object store,
 * check it against the mail and against mainline, and check out the tree
 * to build. libgit2 for git, GPGME for signed tags; git itself only for
 * `pullcheck mainline` and a job's first mainline fetch, from the
 * operator's URL (fetch_git.c).
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

/* Where a fetch is, for a person watching (pullcheck mainline). */
typedef enum {
	PC_FETCH_PHASE_CONNECT,	/* connecting, listing the refs */
	PC_FETCH_PHASE_RECEIVE,	/* receiving the pack */
	PC_FETCH_PHASE_INDEX,	/* resolving its deltas (indexing) */
	PC_FETCH_PHASE_DONE,
} PcFetchPhase;

typedef struct {
	PcFetchPhase phase;
	guint64 objects, total_objects;	/* received, announced */
	guint64 deltas, total_deltas;	/* resolved, in the pack */
	guint64 bytes;			/* received */
	double elapsed_s;
} PcFetchProgress;

typedef void (*PcFetchProgressFunc)(const PcFetchProgress *progress,
				    gpointer data);

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
	/* The first mainline fetch; 0: @timeout, @max_bytes. */
	guint mainline_timeout;
	guint64 mainline_max_bytes;
	/* The refresh of mainline before each run; 0: @timeout. */
	guint refresh_timeout;
	/*
	 * A repository on this machine to fetch the pull request's ref from
	 * instead of its URL (check --repo: the user's own choice, never a
	 * mail's); NULL: the URL.
	 */
	const char *local_repo;
	PcFetchProgressFunc on_progress;	/* mainline fetches; NULL: none */
	gpointer progress_data;
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
	char *mainline_commit;	/* hex: mainline's HEAD, as this run used it */
	char *mainline_date;	/* its committer date, RFC 3339 */
	char *mainline_fetched_at;	/* RFC 3339: its last successful fetch */
	gboolean mainline_refreshed;	/* this run fetched it anew */
	char *base_name;	/* the base as a tag ("v6.12") or a short id */
	guint behind_mainline;	/* commits in base..mainline */
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
 * store if needed, bounded by @opts->mainline_timeout and
 * mainline_max_bytes (the kernel's whole history is some 5 GB), with
 * progress to @opts->on_progress, through git (fetch_git.c); stopped
 * by a limit, it leaves mainline as it was. `pullcheck mainline` calls
 * it; a run does the same when the store has no mainline yet, and
 * otherwise refreshes mainline with libgit2 within
 * @opts->refresh_timeout.
 */
gboolean pc_fetch_prime_mainline(const PcFetchOptions *opts, GError **error);

/*
 * Puts the objects of a repository the operator already has into the
 * store, under refs/pullcheck/seed/, so that the next mainline fetch
 * only asks for what they lack: @clone, a local repository (its packs
 * and loose objects are copied, hard-linked where the file system
 * allows), or @bundle, a git bundle file (its pack is indexed into the
 * store). Exactly one of the two. Refused: a shallow clone, one that
 * borrows objects (objects/info/alternates), a bundle that needs
 * commits first. The seed refs go when mainline has been fetched.
 * *@refs, if not NULL: how many refs the seed brought.
 */
gboolean pc_fetch_seed_mainline(const PcFetchOptions *opts, const char *clone,
				const char *bundle, guint *refs,
				GError **error);

/*
 * Mainline as the store has it: HEAD's commit (hex), its date and when
 * it was last fetched (RFC 3339), each NULL when unknown. FALSE: no
 * mainline in the store (not an error), or @error.
 */
gboolean pc_fetch_mainline_info(const PcFetchOptions *opts, char **commit,
				char **date, char **fetched_at,
				GError **error);

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

/*
 * Checks out @commit (40 hex digits: a commit the store already holds,
 * such as the base_commit of an earlier pc_fetch_run) into
 * @opts->worktree, with the refusals of worktree.h, and appends its .rs
 * files to @rust_files. For the build of a pull request's base, in the
 * same worktree as its tip: only the paths that differ are written, so
 * their mtimes tell make what to rebuild in the output the two share.
 * FALSE with @error (PC_WORKTREE_ERROR for a tree refused).
 */
gboolean pc_fetch_checkout(const PcFetchOptions *opts, const char *commit,
			   GPtrArray *rust_files, GError **error);

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
