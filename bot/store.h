/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * store: the jobs and their states, in SQLite.
 *
 * Every state change is committed before the side effect that follows
 * it, so a crash anywhere loses nothing and repeats nothing that reached
 * the outside world.
 */
#ifndef PC_STORE_H
#define PC_STORE_H

#include <glib.h>

#include "jobstate.h"

G_BEGIN_DECLS

#define PC_STORE_ERROR (pc_store_error_quark())
GQuark pc_store_error_quark(void);

typedef enum {
	PC_STORE_ERROR_SQLITE,
	PC_STORE_ERROR_VERSION,	/* written by a newer pullcheck */
	PC_STORE_ERROR_STATE,	/* the job is not in the state named */
	PC_STORE_ERROR_MOVE,	/* a move jobstate.c's table does not have */
} PcStoreError;

typedef struct _PcStore PcStore;


/* Whether a pull request was addressed to a [reply] top_level recipient. */
typedef enum {
	PC_STORE_TOP_LEVEL_UNKNOWN,	/* recorded before it was kept */
	PC_STORE_TOP_LEVEL_NO,
	PC_STORE_TOP_LEVEL_YES,
} PcStoreTopLevel;

/* One row of the jobs table; plain data, every string owned. */
typedef struct {
	gint64 id;
	char *message_id;
	char *body_sha256;
	char *source;		/* where it came from: file, Maildir name, UID */
	char *subject;
	char *from_addr;
	char *thread;		/* Message-ID of the thread's root */
	char *topic;		/* the subject without Re:, tags' versions */
	char *repo;		/* the repository it names, for superseding */
	char *state;
	char *reason;		/* why ignored, or the last infra failure */
	char *verdict;		/* NULL until known */
	char *result_json;
	char *reply_message_id;
	char *reply;		/* the rendered RFC 5322 reply */
	char **reply_rcpts;	/* its envelope, as decided with it; NULL
				 * for a reply stored before it was kept */
	char *recheck_by;	/* a re-check: the address that asked by
				 * mail; NULL for a pull request's own job */
	PcStoreTopLevel top_level;	/* addressed to the top level? */
	gint64 pulled_at;	/* a merge acknowledgement came; 0: none */
	guint attempts;
	gint64 received_at;	/* Unix seconds */
	gint64 updated_at;
	gint64 next_attempt_at;	/* G_MAXINT64: never again */
	gint64 reply_sent_at;	/* 0 until the server said 250 */
	guint fetch_tries;	/* fetches deferred by [fetch] retry_window */
	gint64 fetch_since;	/* when the first of them failed; 0: none */
	GBytes *raw;		/* the message: written by add_job only */
} PcStoreJob;

void pc_store_job_clear(PcStoreJob *job);
void pc_store_job_free(PcStoreJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcStoreJob, pc_store_job_free)

/*
 * Opens an existing database for reading only: no migration, no lock
 * a writer waits for (WAL). For status and report beside the daemon.
 * (transfer full)
 */
PcStore *pc_store_open_readonly(const char *path, GError **error);

/* Where the job store lives: STATE/pullcheck.db. (transfer full) */
char *pc_store_path(const char *state_dir);

/* Opens or creates the database at @path, migrating it. (transfer full) */
PcStore *pc_store_open(const char *path, GError **error);
void pc_store_close(PcStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcStore, pc_store_close)

/*
 * Records a message. A second copy (same Message-ID and body hash) adds
 * nothing: *@is_new is then FALSE and *@id the existing job's.
 */
gboolean pc_store_add_job(PcStore *store, const PcStoreJob *job, gint64 *id,
			  gboolean *is_new, GError **error);

/*
 * Moves job @id from @from (NULL: any state) to @to, with an optional
 * @reason. Fails with PC_STORE_ERROR_STATE if the job is not in @from,
 * which is how two workers never take the same job.
 */
gboolean pc_store_transition(PcStore *store, gint64 id, const char *from,
			     const char *to, const char *reason,
			     GError **error);

/* (transfer full) NULL with no error when there is no such job. */
PcStoreJob *pc_store_get_job(PcStore *store, gint64 id, GError **error);

/* The oldest job in @state, in arrival order. (transfer full) */
PcStoreJob *pc_store_next_job(PcStore *store, const char *state,
			       GError **error);

/* Every job, newest first, at most @limit. (transfer full, PcStoreJob*) */
GPtrArray *pc_store_list_jobs(PcStore *store, guint limit, GError **error);

/*
 * The jobs received from @since up to but not including @until (Unix
 * seconds), newest first, at most @limit. A read only: it takes no
 * write lock, so it runs beside a working daemon. (transfer full, PcStoreJob*)
 */
GPtrArray *pc_store_list_jobs_received(PcStore *store, gint64 since,
				       gint64 until, guint limit,
				       GError **error);

/*
 * Stores the verdict, the result and the rendered reply with its
 * Message-ID and its envelope @reply_rcpts, and moves the job to
 * reporting, in one transaction: the reply exists before anything tries
 * to send it.
 */
gboolean pc_store_set_reply(PcStore *store, gint64 id, const char *verdict,
			    const char *result_json,
			    const char *reply_message_id, const char *reply,
			    const char *const *reply_rcpts, GError **error);

/* The server said 250: reporting → replied, counted for the sender. */
gboolean pc_store_mark_sent(PcStore *store, gint64 id, GError **error);

/* A step failed on our side: count it and set when to try again. */
gboolean pc_store_defer(PcStore *store, gint64 id, const char *reason,
			gint64 retry_at, GError **error);

/*
 * The job waits for something of ours (disk space) until @retry_at,
 * with @reason: like pc_store_defer, but not counted as a try.
 */
gboolean pc_store_wait(PcStore *store, gint64 id, const char *reason,
		       gint64 retry_at, GError **error);

/*
 * Drops the raw message of every finished job (not open: replied,
 * ignored, superseded) last changed before @before (Unix seconds). The
 * row, its verdict and its reply stay. *@count messages, *@bytes their
 * size.
 */
gboolean pc_store_drop_raw(PcStore *store, gint64 before, guint *count,
			   guint64 *bytes, GError **error);

/*
 * VACUUM, then a checkpoint that truncates the WAL: gives the pages of
 * dropped messages back to the file system. A reader beside it (status,
 * the daemon between writes) only waits.
 */
gboolean pc_store_vacuum(PcStore *store, GError **error);

/*
 * A fetch that may work later (a ref not there yet, a network failure):
 * counted in fetch_tries, not in attempts, with fetch_since set to
 * @since unless an earlier try set it, and tried again at @retry_at.
 */
gboolean pc_store_defer_fetch(PcStore *store, gint64 id, const char *reason,
			      gint64 retry_at, gint64 since, GError **error);

/* Replies sent to @sender since @since (Unix seconds). */
gboolean pc_store_count_replies(PcStore *store, const char *sender,
				gint64 since, guint *count, GError **error);

/* The message job @id was made from. (transfer full) */
GBytes *pc_store_get_raw(PcStore *store, gint64 id, GError **error);

/*
 * After a crash or a stop: jobs left in fetching or building go back
 * to queued, so their step starts again. *@count says how many.
 */
gboolean pc_store_recover(PcStore *store, guint *count, GError **error);

/*
 * A corrected pull request (job @newer) from @sender for the repository
 * @repo, in @thread or on the same @topic ([GIT PULL v2] after [GIT
 * PULL]): every older job of theirs there for the same repository that
 * has not replied yet becomes superseded. Without @sender or @repo,
 * nothing is.
 */
gboolean pc_store_supersede(PcStore *store, const char *thread,
			    const char *topic, const char *sender,
			    const char *repo, gint64 newer, guint *count,
			    GError **error);

/*
 * The job of the pull request a re-check asks about: the newest job,
 * not itself a re-check, with a verdict and its message kept, whose
 * Message-ID is the first of @message_ids that has one. NULL with no
 * error when pullcheck never checked any of them. (transfer full)
 */
PcStoreJob *pc_store_find_checked(PcStore *store,
				  const char *const *message_ids,
				  GError **error);

/*
 * A merge acknowledgement ("has been merged into") in the thread of
 * @message_ids (nearest first): the jobs with a verdict of the first
 * that has any are marked pulled at @at; *@count says how many.
 */
gboolean pc_store_mark_pulled(PcStore *store, const char *const *message_ids,
			      gint64 at, guint *count, GError **error);

/* The re-checks of the pull request @message_id received since @since. */
gboolean pc_store_count_rechecks(PcStore *store, const char *message_id,
				 gint64 since, guint *count, GError **error);

/* Whether @thread already had a reply with @verdict sent. */
gboolean pc_store_thread_has_reply(PcStore *store, const char *thread,
				   const char *verdict, gboolean *found,
				   GError **error);

/* The jobs not finished yet, oldest first. (transfer full, PcStoreJob*) */
GPtrArray *pc_store_list_open(PcStore *store, GError **error);

/* Jobs with a verdict, per verdict, decided since @since (Unix s). */
gboolean pc_store_count_verdicts(PcStore *store, gint64 since,
				 GHashTable *counts, GError **error);

/* When the next deferred job (a retry, a reply) is due; 0: none. */
gboolean pc_store_next_due(PcStore *store, gint64 *at, GError **error);

/* Jobs per state into @counts (char* → GUINT_TO_POINTER), owned keys. */
gboolean pc_store_count_states(PcStore *store, GHashTable *counts,
			       GError **error);

/* A value kept between runs, such as a source's UIDVALIDITY. */
gboolean pc_store_get_value(PcStore *store, const char *key, char **value,
			    GError **error);
gboolean pc_store_set_value(PcStore *store, const char *key,
			    const char *value, GError **error);

G_END_DECLS

#endif
