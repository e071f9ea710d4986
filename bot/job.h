/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * job: one pull request through the steps — parse, fetch, build,
 * verdict, reply — each a plain function call. The state machine that
 * records each step in the store sits on top of this (watch); `check`
 * runs it once, in memory.
 */
#ifndef PC_JOB_H
#define PC_JOB_H

#include <gio/gio.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "build.h"
#include "config.h"
#include "fetch.h"
#include "mail.h"
#include "pullreq.h"
#include "reply.h"
#include "verdict.h"

G_BEGIN_DECLS

typedef struct {
	gboolean build;		/* FALSE: --no-build */
	GCancellable *cancellable;
	PcSandboxLineFunc on_line;	/* build progress */
	gpointer on_line_data;
	/*
	 * check --repo: fetch the pull request's ref from this repository
	 * on this machine instead of its URL; NULL: the URL.
	 */
	const char *local_repo;
	/*
	 * pc_job_check: a ref not found or a failed fetch is fetched again
	 * over [fetch] retry_window (not from a local_repo); each wait of
	 * @wait seconds after fetch @tries is told here first (may be NULL).
	 */
	void (*on_retry)(const PcReason *cause, guint tries, gint64 wait,
			 gpointer data);
	/*
	 * Where a fetch of mainline is (its first, which can take an hour,
	 * or its refresh before the pull request's fetch); NULL: not told.
	 */
	PcFetchProgressFunc on_mainline;
	gpointer on_mainline_data;
} PcJobOptions;

/* Everything one run learned. Plain data; cleared with pc_job_run_clear. */
typedef struct {
	char *key;		/* job key: hash of Message-ID and body */
	PcMail mail;
	PcPullreq pr;
	char *verdict;
	GPtrArray *reasons;	/* PcReason*: the job's own and its steps' */
	gboolean fetched;
	PcFetchResult fetch;
	guint fetch_tries;	/* fetches made, the caller's count; 0: one */
	gint64 fetch_tried_s;	/* seconds from the first to the last */
	gboolean built;
	PcBuildResult build;
	GMimeMessage *reply;	/* NULL for mail that gets none */
	PcReplyAudience audience;	/* who the reply is for */
	char *recheck_by;	/* a re-check asked by mail: who asked */
	char *recheck_key;	/* and the store's key of that re-check */
	char *recheck_of;	/* the job key of the pull request's own job */
	gint64 store_id;	/* the job's row in the store; 0: none (check) */
	char *no_reply;		/* why not the sender (pc_reply_audience) */
} PcJobRun;

/*
 * The steps one at a time, for the daemon, which records each in the
 * store before the next. pc_job_read parses (run->verdict is then
 * not-a-pull-request, or could-not-check until a later step says
 * more); pc_job_fetch returns FALSE when the fetch already decided the
 * verdict; pc_job_finish sets the verdict, decides who hears of it
 * (pc_reply_audience) and renders the reply for them, if anyone.
 */
gboolean pc_job_read(const PcConfig *config, GMimeMessage *message,
		     PcMailFlags flags, PcJobRun *run, GError **error);
gboolean pc_job_fetch(const PcConfig *config, const PcJobOptions *options,
		      PcJobRun *run);
void pc_job_build(const PcConfig *config, const PcJobOptions *options,
		  PcJobRun *run);
gboolean pc_job_finish(const PcConfig *config, PcJobRun *run,
		       GError **error);

/*
 * The job's end: deletes the refs its fetch left in the store
 * (refs/pullcheck/KEY/), waiting a few seconds at most for the store's
 * lock. The objects go at the next `pullcheck maintain`. A job that
 * fetched nothing has nothing to forget. *@deleted: refs deleted.
 */
gboolean pc_job_forget(const PcConfig *config, const PcJobRun *run,
		       guint *deleted, GError **error);

/* The object store every job fetches into: STATE/git. (transfer full) */
char *pc_job_store_path(const PcConfig *config);

/*
 * For a could-not-check verdict caused by something that may pass (the
 * network, the sandbox), the reason code; else NULL.
 */
const char *pc_job_transient(const PcJobRun *run);

/*
 * All the steps: reads @message and, if it is a pull request, fetches and builds what
 * it names and renders the reply. A ref not found or a failed fetch is
 * fetched again over [fetch] retry_window first, waiting in place
 * (options->on_retry says each wait). Policy failures and our own are
 * verdicts; FALSE is for a message that could not be read at all.
 */
gboolean pc_job_check(const PcConfig *config, GMimeMessage *message,
		      PcMailFlags flags, const PcJobOptions *options,
		      PcJobRun *run, GError **error);
void pc_job_run_clear(PcJobRun *run);

/*
 * The result as `check --json` prints it; a re-check's has recheck_by,
 * recheck_key and recheck_of (its pull request's job key) besides, and
 * the daemon's store_id, the row the report's pages name. (transfer full)
 */
JsonObject *pc_job_run_to_json(const PcJobRun *run);

G_END_DECLS

#endif
