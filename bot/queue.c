// SPDX-License-Identifier: GPL-2.0-only
/*
 * queue: one job through its states, each committed before the step
 * that follows it:
 *
 *   received → ignored (with the reason)
 *            → queued → fetching → building → reporting → replied
 *                          └──────────┴─────────┴─► failed-infra
 *
 * A crash anywhere repeats at most the step it interrupted: fetching
 * and building start again (the fetch then finds its objects already in
 * the store), a rendered reply is sent, a sent one (the server's 250
 * recorded) never again. The one window left is between the server's
 * 250 and the commit that records it; a reply sent twice through it
 * has the same Message-ID, which archives collapse.
 */
#define G_LOG_DOMAIN "pullcheck-queue"

#include <signal.h>
#include <string.h>

#include "autocleanup.h"
#include "diskspace.h"
#include "job.h"
#include "mainline_watch.h"
#include "queue.h"
#include "reason.h"
#include "reply.h"
#include "result.h"
#include "retry.h"
#include "triage.h"

#define DAY_S (24 * 60 * 60)

static gint64 now_s(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* One line per event, with the job and its Message-ID on each. */
G_GNUC_PRINTF(2, 3)
static void job_log(const PcStoreJob *job, const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	g_message("job %" G_GINT64_FORMAT " <%s>: %s", job->id,
		  job->message_id, text);
}

/*
 * Tests stop the daemon dead (SIGKILL, as kill -9 would) right after a
 * named state is committed: PULLCHECK_TEST_STOP_AT=building.
 */
static void stop_point(const char *state)
{
	const char *at = g_getenv("PULLCHECK_TEST_STOP_AT");

	if (at && !strcmp(at, state)) {
		g_message("PULLCHECK_TEST_STOP_AT=%s: killing myself", state);
		raise(SIGKILL);
	}
}

const char *pc_queue_step_name(PcQueueStep step)
{
	switch (step) {
	case PC_QUEUE_FETCHING:
		return "fetching";
	case PC_QUEUE_BUILDING:
		return "building";
	case PC_QUEUE_SENDING:
		return "sending the reply";
	case PC_QUEUE_IDLE:
		break;
	}
	return "idle";
}

/* How long @step may take: the limit the configuration gives it. */
static guint step_limit(const PcQueue *q, PcQueueStep step)
{
	switch (step) {
	case PC_QUEUE_FETCHING:
		/*
		 * The store's lock (waited for up to [fetch] timeout),
		 * mainline (a refresh, or on an empty store its first
		 * fetch), then the pull request's own fetch.
		 */
		return 2 * q->config->fetch_timeout +
		       MAX(q->config->fetch_refresh_timeout,
			   q->config->fetch_mainline_timeout);
	case PC_QUEUE_BUILDING:
		return q->config->build_timeout;
	case PC_QUEUE_SENDING:
		/* A whole SMTP session: ten operations of [smtp] timeout. */
		return q->config->smtp_timeout * 10;
	case PC_QUEUE_IDLE:
		break;
	}
	return PC_QUEUE_STEP_S;
}

static void activity(PcQueue *q, gint64 id, PcQueueStep step)
{
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)step_limit(q, step) * G_USEC_PER_SEC;

	if (q->activity)
		q->activity(id, step, deadline, q->data);
}

static gboolean move(PcQueue *q, const PcStoreJob *job, const char *from,
		     const char *to, const char *reason, GError **error)
{
	if (!pc_store_transition(q->store, job->id, from, to, reason, error))
		return FALSE;
	job_log(job, "%s%s%s", to, reason ? ": " : "", reason ? reason : "");
	stop_point(to);
	return TRUE;
}

/* A transition refused because the job moved on (superseded): stop. */
static gboolean moved_on(GError *error)
{
	return g_error_matches(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE);
}

/* Reads the stored message of @job into @run. */
static gboolean read_job(PcQueue *q, const PcStoreJob *job, PcJobRun *run,
			 GError **error)
{
	g_autoptr(GBytes) raw = pc_store_get_raw(q->store, job->id, error);
	g_autoptr(GMimeMessage) message = NULL;

	memset(run, 0, sizeof(*run));
	if (!raw)
		return FALSE;
	/*
	 * Bounded when it was taken in; a cap lowered since must not turn
	 * a stored job into an unreadable one.
	 */
	message = pc_mail_parse_message(g_bytes_get_data(raw, NULL),
					g_bytes_get_size(raw), G_MAXSIZE,
					error);
	if (!message) {
		g_prefix_error(error, "the stored message: ");
		return FALSE;
	}
	if (!pc_job_read(q->config, message, PC_MAIL_NONE, run, error))
		return FALSE;
	run->store_id = job->id;
	if (job->recheck_by) {
		/*
		 * "I pushed the fix to the same tag": the ref is checked as
		 * it is now, not against the commit the mail names; the
		 * reply says so.
		 */
		run->recheck_by = g_strdup(job->recheck_by);
		run->recheck_key = g_strdup(job->body_sha256);
		/*
		 * Its refs and log are its own, under the key of its row,
		 * which `pullcheck maintain` keeps while it is open.
		 */
		run->recheck_of = run->key;
		run->key = pc_result_job_key(job->message_id,
					     job->body_sha256);
		g_clear_pointer(&run->pr.end_commit, g_free);
		g_clear_pointer(&run->pr.tag_commit, g_free);
	}
	return TRUE;
}

/*
 * The outcome's keyword on the message: from @result (the job result),
 * else, for a job stored before results had an outcome, its verdict.
 */
static void set_keyword(PcQueue *q, const PcStoreJob *job, JsonObject *result)
{
	g_autoptr(JsonObject) stored = NULL;
	g_autoptr(GError) error = NULL;
	const char *outcome;

	if (!result)
		result = stored = pc_result_parse(job->result_json);
	outcome = result ? pc_outcome_token(pc_result_outcome(result))
			 : job->verdict;
	if (!q->source || !job->source || !outcome)
		return;
	if (!q->source->ops->set_verdict(q->source, job->source, outcome,
					 &error))
		job_log(job, "the verdict keyword was not set on %s: %s",
			job->source, error->message);
}

/*
 * Why a mail gets no job, from the mail alone: not a pull request, or
 * one of triage.c's never-reply rules. NULL: it gets one. Asked when the
 * mail is taken in and again for a job recorded but not yet triaged.
 * (transfer full)
 */
static char *no_job(const PcQueue *q, const PcJobRun *run)
{
	g_auto(GStrv) top = NULL;

	if (!strcmp(run->verdict, PC_VERDICT_NOT_PR))
		return g_strdup_printf("not a pull request: %s", run->pr.reason);
	if (!strcmp(q->config->reply_other, "none") &&
	    !*(top = pc_triage_top_level(q->config, &run->mail)))
		return g_strdup("not addressed to a [reply] top_level "
				"recipient, and [reply] other = none");
	return pc_triage_refusal(q->config, &run->mail);
}

/*
 * The reply limits, decided in one place: replies to @sender in the last
 * 24 h, and (with a @verdict) a reply of that verdict already in
 * @thread. Asked before any work and again just before sending, since
 * other replies may have gone out meanwhile. *@why NULL: no limit holds.
 */
static gboolean reply_limited(PcQueue *q, const char *sender,
			      const char *thread, const char *verdict,
			      char **why, GError **error)
{
	gboolean answered = FALSE;
	guint sent = 0;

	*why = NULL;
	if (verdict && !pc_store_thread_has_reply(q->store, thread, verdict,
						  &answered, error))
		return FALSE;
	if (answered) {
		*why = g_strdup_printf("this thread already had a \"%s\" "
				       "reply", verdict);
		return TRUE;
	}
	if (sender && !pc_store_count_replies(q->store, sender,
					      now_s() - DAY_S, &sent, error))
		return FALSE;
	if (sent >= q->config->reply_max_per_sender_per_day)
		*why = g_strdup_printf("%u replies to this sender in 24 h "
				       "([reply] max_per_sender_per_day)",
				       sent);
	return TRUE;
}

/* received → queued or ignored: the rules that need no fetch. */
static gboolean triage(PcQueue *q, const PcStoreJob *job, const PcJobRun *run,
		       GError **error)
{
	g_autofree char *refusal = no_job(q, run);
	g_auto(GStrv) top = pc_triage_top_level(q->config, &run->mail);
	guint superseded = 0;

	/* Only a policy reply counts against the sender's limit. */
	if (!refusal && *top &&
	    !reply_limited(q, run->mail.from_addr, NULL, NULL, &refusal,
			   error))
		return FALSE;
	if (refusal)
		return move(q, job, PC_STATE_RECEIVED, PC_STATE_IGNORED,
			    refusal, error);
	if (!move(q, job, PC_STATE_RECEIVED, PC_STATE_QUEUED, NULL, error))
		return FALSE;
	if (!pc_store_supersede(q->store, job->thread, job->topic,
				job->from_addr, job->repo, job->id, &superseded,
				error))
		return FALSE;
	if (superseded)
		job_log(job, "supersedes %u earlier request%s from %s for %s",
			superseded, superseded == 1 ? "" : "s", job->from_addr,
			job->repo);
	return TRUE;
}

/* Mail that cannot be a job: recorded as ignored under the source's id. */
static gboolean take_unreadable(PcQueue *q, const PcSourceMessage *msg,
				const char *why, GError **error)
{
	g_autofree char *key = g_strdup_printf("source:%s", msg->id);
	g_autofree char *hash = msg->raw
		? g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, msg->raw)
		: g_strdup_printf("size:%" G_GUINT64_FORMAT, msg->size);
	PcStoreJob job = { .message_id = key, .body_sha256 = hash,
			   .source = (char *)msg->id, .state = PC_STATE_IGNORED,
			   .reason = (char *)why };
	gint64 id;
	gboolean is_new;

	if (!pc_store_add_job(q->store, &job, &id, &is_new, error))
		return FALSE;
	if (is_new)
		g_message("job %" G_GINT64_FORMAT " (%s): ignored: %s", id,
			  msg->id, why);
	return q->source->ops->ack(q->source, msg->id, error);
}

/* --- a re-check asked by mail ------------------------------------------ */

/*
 * The Message-IDs a re-check may be about, nearest first: In-Reply-To,
 * then References from the last. (transfer container)
 */
static const char **thread_ids(const PcMail *mail)
{
	GPtrArray *out = g_ptr_array_new();
	guint n = mail->references ? g_strv_length(mail->references) : 0;

	if (mail->in_reply_to)
		g_ptr_array_add(out, mail->in_reply_to);
	while (n--)
		g_ptr_array_add(out, mail->references[n]);
	g_ptr_array_add(out, NULL);
	return (const char **)g_ptr_array_free(out, FALSE);
}

/* A merge acknowledgement: its pull request was pulled (the digest). */
static gboolean mark_pulled(PcQueue *q, const PcJobRun *run, GError **error)
{
	g_autofree const char **ids = thread_ids(&run->mail);
	guint count;

	if (!pc_store_mark_pulled(q->store, ids, now_s(), &count, error))
		return FALSE;
	if (count)
		g_message("<%s>: says the pull request of its thread was "
			  "merged: marked pulled", run->mail.message_id
							? run->mail.message_id
							: run->key);
	return TRUE;
}

/* Mail recorded as ignored, with @why, under its own Message-ID. */
static gboolean take_ignored(PcQueue *q, const PcSourceMessage *msg,
			     const PcJobRun *run, const char *why,
			     GError **error)
{
	PcStoreJob row = {
		.message_id = run->mail.message_id ? run->mail.message_id
						   : run->key,
		.body_sha256 = (char *)run->mail.body_sha256,
		.source = (char *)msg->id,
		.subject = run->mail.subject,
		.from_addr = run->mail.from_addr,
		.thread = (char *)pc_triage_thread(&run->mail),
		.state = PC_STATE_IGNORED,
		.reason = (char *)why,
	};
	gint64 id;
	gboolean is_new;

	if (!pc_store_add_job(q->store, &row, &id, &is_new, error))
		return FALSE;
	if (is_new)
		g_message("job %" G_GINT64_FORMAT " <%s>: ignored: %s", id,
			  row.message_id, why);
	return q->source->ops->ack(q->source, msg->id, error);
}

/*
 * Whether the re-check @run asks for is refused (*@why), else the job
 * of the pull request it is about (*@orig). The sender is matched by
 * address only: a convenience, not authentication (pullcheck(1)).
 */
static gboolean recheck_refused(PcQueue *q, const PcJobRun *run,
				PcStoreJob **orig, char **why, GError **error)
{
	g_autofree const char **ids = thread_ids(&run->mail);
	const char *asker = run->mail.from_addr ? run->mail.from_addr : "";
	g_autoptr(GError) local = NULL;
	guint count = 0;

	*orig = NULL;
	*why = pc_triage_refusal(q->config, &run->mail);
	if (*why)
		return TRUE;
	*orig = pc_store_find_checked(q->store, ids, &local);
	if (local) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!*orig) {
		*why = g_strdup("asks for a re-check (\"pullcheck: recheck\"), "
				"but pullcheck keeps no pull request it "
				"checked in this thread");
		return TRUE;
	}
	if (g_ascii_strcasecmp(asker, (*orig)->from_addr ? (*orig)->from_addr
							  : "") &&
	    !pc_triage_is_top_level(q->config, asker)) {
		*why = g_strdup_printf("a re-check asked by %s, who is neither "
				       "the pull request's sender nor a "
				       "[reply] top_level recipient", asker);
		return TRUE;
	}
	if (!pc_store_count_rechecks(q->store, (*orig)->message_id,
				     now_s() - DAY_S, &count, error))
		return FALSE;
	if (count >= q->config->reply_max_rechecks_per_day)
		*why = g_strdup_printf("%u re-check%s of this pull request in "
				       "24 h ([reply] max_rechecks_per_day)",
				       count, count == 1 ? "" : "s");
	return TRUE;
}

/*
 * "pullcheck: recheck" in the thread of a pull request pullcheck
 * checked: a new job for the same pull request (its stored message, so
 * the same URL and ref, fetched again), keyed by the asking mail, so
 * that a second copy of it asks nothing more.
 */
static gboolean take_recheck(PcQueue *q, const PcSourceMessage *msg,
			     const PcJobRun *run, GError **error)
{
	g_autoptr(PcStoreJob) orig = NULL, job = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *why = NULL, *key = NULL;
	PcStoreJob row;
	PcJobRun pr;
	gint64 id;
	gboolean is_new, ok;

	if (!recheck_refused(q, run, &orig, &why, error))
		return FALSE;
	if (why)
		return take_ignored(q, msg, run, why, error);
	if (!(raw = pc_store_get_raw(q->store, orig->id, error)))
		return FALSE;
	g_checksum_update(sum, (const guchar *)(run->mail.message_id
							? run->mail.message_id
							: ""), -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)run->mail.body_sha256, -1);
	key = g_strconcat("recheck-", g_checksum_get_string(sum), NULL);
	row = (PcStoreJob){
		.message_id = orig->message_id, .body_sha256 = key,
		.source = (char *)msg->id, .subject = orig->subject,
		.from_addr = orig->from_addr, .thread = orig->thread,
		.topic = orig->topic, .repo = orig->repo,
		.state = PC_STATE_RECEIVED, .raw = raw,
		.recheck_by = run->mail.from_addr,
		.top_level = orig->top_level,
	};
	if (!pc_store_add_job(q->store, &row, &id, &is_new, error) ||
	    !q->source->ops->ack(q->source, msg->id, error))
		return FALSE;
	if (!is_new) {
		g_message("job %" G_GINT64_FORMAT " <%s>: a copy of the "
			  "re-check already recorded (%s): nothing to do", id,
			  orig->message_id, msg->id);
		return TRUE;
	}
	g_message("job %" G_GINT64_FORMAT " <%s>: a re-check of job %"
		  G_GINT64_FORMAT ", asked by %s", id, orig->message_id,
		  orig->id, run->mail.from_addr);
	stop_point(PC_STATE_RECEIVED);
	if (!(job = pc_store_get_job(q->store, id, error)))
		return FALSE;
	ok = read_job(q, job, &pr, error) && triage(q, job, &pr, error);
	pc_job_run_clear(&pr);
	return ok;
}

gboolean pc_queue_take(PcQueue *q, const PcSourceMessage *msg,
		       GError **error)
{
	g_autoptr(GMimeMessage) message = NULL;
	g_autoptr(GError) bad = NULL;
	g_autoptr(PcStoreJob) job = NULL;
	g_autofree char *topic = NULL, *repo = NULL, *why = NULL;
	g_auto(GStrv) top = NULL;
	PcStoreJob row = { 0 };
	PcJobRun run;
	gint64 id;
	gboolean is_new, ok;

	if (!msg->raw) {
		why = g_strdup_printf("%" G_GUINT64_FORMAT " bytes, over "
				      "[pullcheck] max_message_bytes",
				      msg->size);
		return take_unreadable(q, msg, why, error);
	}
	message = pc_mail_parse_message(g_bytes_get_data(msg->raw, NULL),
					g_bytes_get_size(msg->raw),
					q->config->max_message_bytes, NULL);
	if (!message)
		return take_unreadable(q, msg, "not a mail message", error);
	if (!pc_job_read(q->config, message, PC_MAIL_NONE, &run, &bad)) {
		pc_job_run_clear(&run);
		return take_unreadable(q, msg, bad->message, error);
	}
	/* A new pull request in a thread is one, whatever else it says. */
	if (!run.pr.is_pull_request && pc_triage_asks_recheck(&run.mail)) {
		ok = take_recheck(q, msg, &run, error);
		pc_job_run_clear(&run);
		return ok;
	}
	if (!run.pr.is_pull_request && pc_triage_merge_ack(&run.mail) &&
	    !mark_pulled(q, &run, error)) {
		pc_job_run_clear(&run);
		return FALSE;
	}
	/*
	 * What needs no store is decided before the message is recorded:
	 * mail that gets no job is one transaction, and its bytes are not
	 * kept.
	 */
	why = no_job(q, &run);
	top = pc_triage_top_level(q->config, &run.mail);
	topic = pc_triage_topic(run.mail.subject);
	repo = pc_triage_repository(run.pr.fetch_url);
	row = (PcStoreJob){
		.message_id = run.mail.message_id ? run.mail.message_id : run.key,
		.body_sha256 = run.mail.body_sha256,
		.source = (char *)msg->id,
		.subject = run.mail.subject,
		.from_addr = run.mail.from_addr,
		.thread = (char *)pc_triage_thread(&run.mail),
		.topic = topic,
		.repo = repo,
		.state = why ? PC_STATE_IGNORED : PC_STATE_RECEIVED,
		.reason = why,
		.raw = why ? NULL : msg->raw,
		.top_level = *top ? PC_STORE_TOP_LEVEL_YES : PC_STORE_TOP_LEVEL_NO,
	};
	ok = pc_store_add_job(q->store, &row, &id, &is_new, error);
	if (ok && is_new && why)
		g_message("job %" G_GINT64_FORMAT " <%s>: ignored: %s", id,
			  row.message_id, why);
	else if (ok && is_new)
		stop_point(PC_STATE_RECEIVED);
	ok = ok && q->source->ops->ack(q->source, msg->id, error);
	if (ok && !is_new)
		g_message("job %" G_GINT64_FORMAT " <%s>: a copy already "
			  "recorded (%s): nothing to do", id, row.message_id,
			  msg->id);
	if (ok && is_new && !why) {
		job = pc_store_get_job(q->store, id, error);
		ok = job && triage(q, job, &run, error);
	}
	pc_job_run_clear(&run);
	return ok;
}

gboolean pc_queue_recover(PcQueue *q, GError **error)
{
	guint count;

	if (!pc_store_recover(q->store, &count, error))
		return FALSE;
	if (count)
		g_message("%u job%s stopped in fetching or building: queued "
			  "again", count, count == 1 ? "" : "s");
	return TRUE;
}

static gint64 retry_at(const PcQueue *q, guint attempts)
{
	guint shift = MIN(attempts, 10);

	return now_s() + ((gint64)q->config->build_retry_delay << shift);
}

/*
 * The reply's envelope as stored with it. A reply stored before
 * envelopes were kept gets the same decision again, from the stored
 * mail. Never read back from the reply's own To and Cc.
 */
static char **reply_envelope(PcQueue *q, const PcStoreJob *job, GError **error)
{
	g_autoptr(JsonObject) result = NULL;
	PcJobRun run;
	char **rcpts = NULL;

	if (job->reply_rcpts)
		return g_strdupv(job->reply_rcpts);
	result = pc_result_parse(job->result_json);
	if (!result) {
		g_set_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS,
			    "the stored reply has no result to decide its "
			    "recipients from");
		return NULL;
	}
	if (read_job(q, job, &run, error))
		rcpts = pc_reply_recipients(q->config, &run.mail, result,
					    error);
	pc_job_run_clear(&run);
	return rcpts;
}

/* reporting → replied, or ignored by a limit, or deferred. */
static gboolean send_job(PcQueue *q, const PcStoreJob *job, GError **error)
{
	g_autoptr(GBytes) reply = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autoptr(GError) failed = NULL;
	g_autofree char *limited = NULL;

	if (!job->reply)	/* a verdict no one gets a mail about */
		return move(q, job, PC_STATE_REPORTING, PC_STATE_CHECKED,
			    job->reason, error);
	activity(q, job->id, PC_QUEUE_SENDING);
	/* A re-check answers again in a thread that had its verdict. */
	if (!reply_limited(q, job->from_addr, job->thread,
			   job->recheck_by ? NULL : job->verdict, &limited,
			   error))
		return FALSE;
	if (limited) {
		set_keyword(q, job, NULL);
		return move(q, job, PC_STATE_REPORTING, PC_STATE_IGNORED,
			    limited, error);
	}
	reply = g_bytes_new(job->reply, strlen(job->reply));
	rcpts = reply_envelope(q, job, &failed);
	if (rcpts && pc_outbox_send_reply(q->outbox,
					  (const char *const *)rcpts, reply,
					  &failed)) {
		if (!pc_store_mark_sent(q->store, job->id, error))
			return FALSE;
		job_log(job, "replied (%s) as <%s>", job->verdict,
			job->reply_message_id);
		stop_point(PC_STATE_REPLIED);
		return TRUE;
	}
	if (g_error_matches(failed, PC_OUTBOX_ERROR,
			    PC_OUTBOX_ERROR_TEMPORARY)) {
		guint wait = pc_source_backoff(job->attempts + 1);

		job_log(job, "the reply waits %u s: %s", wait, failed->message);
		return pc_store_defer(q->store, job->id, failed->message,
				      now_s() + wait, error);
	}
	job_log(job, "the outbox refused the reply, not retried: %s",
		failed->message);
	return move(q, job, PC_STATE_REPORTING, PC_STATE_FAILED_INFRA,
		    failed->message, error) &&
	       pc_store_defer(q->store, job->id, failed->message, G_MAXINT64,
			      error);
}

/* The verdict is known: render and record the reply, then send it. */
static gboolean report(PcQueue *q, const PcStoreJob *job, PcJobRun *run,
		       GError **error)
{
	g_autoptr(JsonObject) json = NULL;
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *result = NULL, *reply = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autoptr(PcStoreJob) fresh = NULL;

	json = pc_job_run_to_json(run);
	json_node_set_object(node, json);
	result = json_to_string(node, FALSE);
	if (!run->reply) {
		/* Recorded for the feed, the dashboard and the digest. */
		if (!pc_store_set_reply(q->store, job->id, run->verdict, result,
					NULL, NULL, NULL, error))
			return FALSE;
		set_keyword(q, job, json);
		return move(q, job, PC_STATE_REPORTING, PC_STATE_CHECKED,
			    run->no_reply, error);
	}
	reply = g_mime_object_to_string(GMIME_OBJECT(run->reply), NULL);
	/* The addresses the reply was made for: its To and Cc. */
	rcpts = pc_reply_recipients(q->config, &run->mail, json, error);
	if (!rcpts ||
	    !pc_store_set_reply(q->store, job->id, run->verdict, result,
				g_mime_message_get_message_id(run->reply),
				reply, (const char *const *)rcpts, error))
		return FALSE;
	job_log(job, "reporting: %s%s%s", run->verdict,
		run->no_reply ? ", " : "", run->no_reply ? run->no_reply : "");
	stop_point(PC_STATE_REPORTING);
	set_keyword(q, job, json);
	fresh = pc_store_get_job(q->store, job->id, error);
	return fresh && send_job(q, fresh, error);
}

/*
 * The disk guard: with less than [pullcheck] min_free_space free where
 * the next step writes, the job does not start it. It waits in
 * failed-infra, not counted as a try, and is looked at again after
 * [build] retry_delay; `status` shows the reason. *@waits: TRUE when
 * it waits now.
 */
static gboolean wait_for_space(PcQueue *q, const PcStoreJob *job,
			       const char *state, gboolean *waits,
			       GError **error)
{
	g_autofree char *why = pc_diskspace_short(q->config);

	*waits = why != NULL;
	if (!why)
		return TRUE;
	return move(q, job, state, PC_STATE_FAILED_INFRA, why, error) &&
	       pc_store_wait(q->store, job->id, why,
			     now_s() + q->config->build_retry_delay, error);
}

/*
 * The job's fetch and build are over for good (it has a verdict, or
 * never will): its refs go from the store. Committed first, so a crash
 * before this leaves refs that `pullcheck maintain` sweeps.
 */
static void forget_refs(const PcStoreJob *job, const PcConfig *config,
			const PcJobRun *run)
{
	g_autoptr(GError) error = NULL;
	guint n;

	if (!pc_job_forget(config, run, &n, &error))
		job_log(job, "its refs stay until pullcheck maintain: %s",
			error->message);
	else if (n)
		g_debug("job %" G_GINT64_FORMAT ": %u ref%s deleted", job->id,
			n, n == 1 ? "" : "s");
}

static void between_steps(PcQueue *q)
{
	if (q->between_steps)
		q->between_steps(q->data);
}

/*
 * A ref not found or a fetch that failed, within [fetch] retry_window:
 * fetching → failed-infra, due again after the backoff, and TRUE.
 * FALSE when it is not such a fetch, or the window is over: then @run
 * says how often it was fetched, for the reply.
 */
static gboolean defer_fetch(PcQueue *q, const PcStoreJob *job, PcJobRun *run,
			    gboolean *ok, GError **error)
{
	const PcReason *cause = pc_retry_fetch_cause(run->reasons);
	gint64 now = now_s();
	gint64 since = job->fetch_since ? job->fetch_since : now;
	guint tries = job->fetch_tries + 1;
	g_autoptr(GError) local = NULL;
	g_autofree char *why = NULL;
	gint64 wait;

	run->fetch_tries = tries;
	run->fetch_tried_s = now - since;
	if (!cause || (wait = pc_retry_fetch_wait(q->config, tries,
						  now - since)) < 0)
		return FALSE;
	why = g_strdup_printf("%s (fetch %u; again in %" G_GINT64_FORMAT
			      " s, [fetch] retry_window)", cause->text, tries,
			      wait);
	*ok = move(q, job, PC_STATE_FETCHING, PC_STATE_FAILED_INFRA, why,
		   &local) &&
	      pc_store_defer_fetch(q->store, job->id, why, now + wait, since,
				   &local);
	if (!*ok && moved_on(local))
		*ok = TRUE;
	else if (!*ok)
		g_propagate_error(error, g_steal_pointer(&local));
	return TRUE;
}

/*
 * The store's "mainline" row, which the job's fetch of mainline kept up
 * to date, says why it stopped when it did not get to the end: the
 * refresh's finding, or the fetch's own failure.
 */
static void mainline_stopped(PcMainlineWatch *watch, const PcJobRun *run)
{
	const PcReason *stale = NULL, *infra = NULL;

	for (guint i = 0; run->fetch.reasons && i < run->fetch.reasons->len;
	     i++) {
		const PcReason *r = run->fetch.reasons->pdata[i];

		if (!strcmp(r->code, "mainline-stale"))
			stale = r;
	}
	for (guint i = 0; run->reasons && i < run->reasons->len; i++) {
		const PcReason *r = run->reasons->pdata[i];

		if (!strcmp(r->code, "fetch-infra"))
			infra = r;
	}
	if (stale)
		pc_mainline_watch_failed(watch, "mainline not brought up to "
					 "date", stale->text, TRUE);
	else
		pc_mainline_watch_failed(watch, "cannot fetch mainline",
					 infra ? infra->text
					       : "the job's fetch stopped",
					 TRUE);
}

/* queued → fetching → building → reporting, or failed-infra. */
static gboolean run_job(PcQueue *q, const PcStoreJob *job, GError **error)
{
	PcJobOptions options = {
		.build = TRUE,
		.cancellable = q->cancellable,
		.on_line = q->on_line,
		.on_line_data = q->data,
		.on_mainline = pc_mainline_watch_progress,
	};
	g_autoptr(PcMainlineWatch) watch =
		pc_mainline_watch_new(q->store, PC_MAINLINE_WATCH_LOG);
	g_autoptr(GError) local = NULL;
	const char *state = PC_STATE_FETCHING, *transient;
	PcJobRun run;
	gboolean ok = FALSE, waits, again = FALSE, fetched;

	if (!read_job(q, job, &run, &local)) {
		g_autofree char *why = g_strdup_printf(
			"the stored message cannot be read: %s", local->message);

		pc_job_run_clear(&run);
		return move(q, job, PC_STATE_QUEUED, PC_STATE_IGNORED, why,
			    error);
	}
	if (!wait_for_space(q, job, PC_STATE_QUEUED, &waits, error))
		goto out;
	if (waits) {
		ok = TRUE;
		goto out;
	}
	if (!move(q, job, PC_STATE_QUEUED, PC_STATE_FETCHING, NULL, error))
		goto out;
	activity(q, job->id, PC_QUEUE_FETCHING);
	between_steps(q);
	options.on_mainline_data = watch;
	if (q->on_mainline)
		pc_mainline_watch_set_text_func(watch, q->on_mainline, q->data);
	fetched = pc_job_fetch(q->config, &options, &run);
	mainline_stopped(watch, &run);
	if (!fetched) {
		if (defer_fetch(q, job, &run, &ok, error)) {
			again = TRUE;
			goto out;
		}
	} else {
		run.fetch_tries = job->fetch_tries + 1;
		run.fetch_tried_s = job->fetch_since ? now_s() - job->fetch_since
						     : 0;
		/* Its refs stay for the build that starts again. */
		if (!wait_for_space(q, job, PC_STATE_FETCHING, &waits, error))
			goto out;
		if (waits) {
			again = ok = TRUE;
			goto out;
		}
		if (!move(q, job, PC_STATE_FETCHING, PC_STATE_BUILDING, NULL,
			  &local)) {
			ok = moved_on(local);
			if (!ok)
				g_propagate_error(error, g_steal_pointer(&local));
			goto out;
		}
		state = PC_STATE_BUILDING;
		activity(q, job->id, PC_QUEUE_BUILDING);
		pc_job_build(q->config, &options, &run);
		if (g_cancellable_is_cancelled(q->cancellable)) {
			again = TRUE;
			ok = move(q, job, PC_STATE_BUILDING, PC_STATE_QUEUED,
				  "stopped with the daemon: the build starts "
				  "again next time", error);
			goto out;
		}
	}
	if (!pc_job_finish(q->config, &run, &local)) {
		ok = move(q, job, state, PC_STATE_FAILED_INFRA, local->message,
			  error) &&
		     pc_store_defer(q->store, job->id, local->message,
				    G_MAXINT64, error);
		goto out;
	}
	transient = pc_job_transient(&run);
	if (transient && job->attempts < q->config->build_retries) {
		const PcReason *r = pc_reasons_find(run.reasons,
						    PC_SEVERITY_INFRA);
		g_autofree char *why = g_strdup_printf(
			"%s (try %u of %u)", r ? r->text : transient,
			job->attempts + 1, q->config->build_retries + 1);

		again = TRUE;
		ok = move(q, job, state, PC_STATE_FAILED_INFRA, why, &local) &&
		     pc_store_defer(q->store, job->id, why,
				    retry_at(q, job->attempts), &local);
		if (!ok && moved_on(local))
			ok = TRUE;
		else if (!ok)
			g_propagate_error(error, g_steal_pointer(&local));
		goto out;
	}
	ok = report(q, job, &run, &local);
	if (!ok && moved_on(local)) {
		job_log(job, "superseded while it ran: no reply");
		ok = TRUE;
	} else if (!ok) {
		g_propagate_error(error, g_steal_pointer(&local));
	}
out:
	/* A store error leaves the refs too: the job's state is not known. */
	if (ok && !again)
		forget_refs(job, q->config, &run);
	activity(q, 0, PC_QUEUE_IDLE);
	pc_job_run_clear(&run);
	return ok;
}

/* The oldest job due in @state; FALSE only for a store error. */
static gboolean next(PcQueue *q, const char *state, PcStoreJob **job,
		     GError **error)
{
	g_autoptr(GError) local = NULL;

	*job = pc_store_next_job(q->store, state, &local);
	if (local) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

static gboolean triage_stored(PcQueue *q, const PcStoreJob *job, GError **error)
{
	g_autoptr(GError) local = NULL;
	PcJobRun run;
	gboolean ok;

	if (!read_job(q, job, &run, &local))
		ok = move(q, job, PC_STATE_RECEIVED, PC_STATE_IGNORED,
			  local->message, error);
	else
		ok = triage(q, job, &run, error);
	pc_job_run_clear(&run);
	return ok;
}

gboolean pc_queue_step(PcQueue *q, gboolean *did, GError **error)
{
	g_autoptr(PcStoreJob) job = NULL;

	*did = TRUE;
	/* Replies first: they are done work waiting to go out. */
	if (!next(q, PC_STATE_REPORTING, &job, error))
		return FALSE;
	if (job)
		return send_job(q, job, error);
	if (!next(q, PC_STATE_RECEIVED, &job, error))
		return FALSE;
	if (job)
		return triage_stored(q, job, error);
	if (!next(q, PC_STATE_FAILED_INFRA, &job, error))
		return FALSE;
	if (job)
		return move(q, job, PC_STATE_FAILED_INFRA, PC_STATE_QUEUED,
			    "trying again", error);
	if (!next(q, PC_STATE_QUEUED, &job, error))
		return FALSE;
	if (job)
		return run_job(q, job, error);
	*did = FALSE;
	return TRUE;
}

gint64 pc_queue_next_due(PcQueue *q)
{
	gint64 at = 0;

	if (!pc_store_next_due(q->store, &at, NULL))
		return 0;
	return at;
}
