// SPDX-License-Identifier: GPL-2.0-only
/*
 * job: parse, fetch, build, verdict, reply — one step after the other,
 * each a plain call on plain data. No step calls another.
 *
 * Verdicts are three, never two. A finding of severity "error" means
 * the pull request does not meet the policy (fail); "infra" means our
 * side could not tell (could not check). Only a build that ran and
 * passed, with CONFIG_RUST=y really in its .config, is a pass.
 */
#define G_LOG_DOMAIN "pullcheck-job"

#include <glib/gstdio.h>
#include <string.h>

#include "build_baseline.h"
#include "fileio.h"
#include "job.h"
#include "reason.h"
#include "reply.h"
#include "result_writer.h"
#include "retry.h"

/*
 * Fetch findings that say nothing about the pull request itself: the
 * URL is outside what this installation may fetch, the network failed,
 * or the fetch outgrew this installation's limits. They make the
 * verdict "could not check".
 */
static const char *const UNCHECKABLE[] = { "url-not-allowed", "fetch-failed",
					   "fetch-limit", NULL };

/* allmodconfig's .config is about 300 KiB; one past this is no kernel's. */
#define PC_JOB_CONFIG_MAX_BYTES (4 << 20)

static void take_reasons(GPtrArray *into, GPtrArray *from)
{
	for (guint i = 0; from && i < from->len; i++) {
		const PcReason *r = from->pdata[i];
		const char *severity = r->severity;

		if (g_strv_contains(UNCHECKABLE, r->code))
			severity = PC_SEVERITY_INFRA;
		pc_reasons_add(into, r->code, severity, "%s", r->text);
	}
}

static void set_verdict(PcJobRun *run, const char *verdict)
{
	g_free(run->verdict);
	run->verdict = g_strdup(verdict);
}

/*
 * The worst finding decides: any error fails; a pull request that is
 * not as its mail says (unverified), or any infra finding, is unchecked
 * (the result's outcome tells the two apart). The reply names the same
 * finding as the cause.
 */
static const char *verdict_of(GPtrArray *reasons)
{
	const PcReason *worst = pc_reasons_worst(reasons);
	const char *severity = worst ? worst->severity : NULL;

	if (!g_strcmp0(severity, PC_SEVERITY_ERROR))
		return PC_VERDICT_FAIL;
	if (!g_strcmp0(severity, PC_SEVERITY_UNVERIFIED) ||
	    !g_strcmp0(severity, PC_SEVERITY_INFRA))
		return PC_VERDICT_UNCHECKED;
	return NULL;
}

char *pc_job_store_path(const PcConfig *config)
{
	return g_build_filename(config->state_dir, "git", NULL);
}

static gboolean fetch_step(const PcConfig *config,
			   const PcJobOptions *options, PcJobRun *run)
{
	PcFetchOptions opts;
	g_autofree char *store = pc_job_store_path(config);
	g_autofree char *name = g_strconcat("tree-", config->fetch_tree, NULL);
	g_autofree char *worktree = g_build_filename(config->build_cache_dir,
						     name, NULL);
	g_autoptr(GError) error = NULL;

	pc_fetch_options_init(&opts, config);
	opts.store = store;
	opts.worktree = worktree;
	opts.local_repo = options->local_repo;
	opts.on_progress = options->on_mainline;
	opts.progress_data = options->on_mainline_data;
	run->fetched = TRUE;
	if (!pc_fetch_run(&opts, run->key, &run->pr, &run->fetch, &error))
		pc_reasons_add(run->reasons, "fetch-infra", PC_SEVERITY_INFRA,
			       "%s", error->message);
	take_reasons(run->reasons, run->fetch.reasons);
	return !verdict_of(run->reasons);
}

/* The worst finding of @result, in words, for why its base is unusable. */
static char *worst_text(const PcBuildResult *result)
{
	const PcReason *worst = pc_reasons_worst(result->reasons);

	return g_strdup(worst ? worst->text : "its build was not checked");
}

/*
 * The base, built as the tip was: checked out by the fetch step into
 * the tip's worktree (only the paths that differ are written, so make
 * rebuilds just what they touch in the output the two share), then the
 * build step with the tip's targets and coverage. Fills @base; *@why
 * says why when the base could not be built.
 */
static void build_base(const PcConfig *config, const PcBuildSpec *tip_spec,
		       PcJobRun *run, const char *commit, PcBaselineNeed need,
		       PcBaseline *base, char **why)
{
	g_autofree char *store = pc_job_store_path(config);
	g_autofree char *log_path = g_strdup_printf("%s.base", tip_spec->log_path);
	g_autoptr(GPtrArray) rust_files =
		g_ptr_array_new_null_terminated(64, g_free, TRUE);
	g_autoptr(GError) error = NULL;
	PcBuildSpec spec = *tip_spec;
	PcFetchOptions opts;
	PcBuildResult result;

	pc_fetch_options_init(&opts, config);
	opts.store = store;
	opts.worktree = run->fetch.worktree;
	if (!pc_fetch_checkout(&opts, commit, rust_files, &error)) {
		base->commit = g_strdup(commit);
		base->verdict = g_strdup(PC_VERDICT_UNCHECKED);
		*why = g_strdup_printf("its checkout failed: %s",
				       error->message);
		return;
	}
	spec.log_path = log_path;
	spec.changed = NULL;
	spec.rust_files = (const char *const *)rust_files->pdata;
	spec.tip = commit;
	spec.mainline_url = NULL;
	spec.merged_into = NULL;
	spec.targets = (const char *const *)run->build.targets;
	spec.coverage = run->build.coverage;
	spec.configure_only = need == PC_BASELINE_CONFIGURE;
	spec.boot_only = need == PC_BASELINE_BOOT;
	if (!pc_build_run(&spec, &result, &error)) {
		base->commit = g_strdup(commit);
		base->verdict = g_strdup(PC_VERDICT_UNCHECKED);
		*why = g_strdup(error->message);
		pc_build_result_clear(&result);
		return;
	}
	if (need == PC_BASELINE_BOOT)
		pc_baseline_from_boot(base, commit, &result);
	else
		pc_baseline_from_build(base, commit, &result);
	*why = worst_text(&result);
	pc_build_result_clear(&result);
}

/*
 * What the tree built is compared with: the pull request's base (the
 * mail's "changes since" commit, else the merge-base with mainline); for
 * the tip merged into mainline, the commit it was merged into, whose
 * own errors are no more the pull request's.
 */
static const char *base_of(const PcJobRun *run)
{
	if (!g_strcmp0(run->fetch.tree_kind, PC_FETCH_TREE_MERGE))
		return run->fetch.mainline_commit;
	return run->fetch.base_commit;
}

/*
 * A failed build is compared with its base's, from the cache or built
 * now, so that only the pull request's own errors fail it
 * (build_baseline.h). A pass needs no base.
 */
static void baseline_step(const PcConfig *config, const PcBuildSpec *tip_spec,
			  PcJobRun *run)
{
	PcBaselineNeed need = pc_baseline_need(&run->build);
	const char *commit = base_of(run);
	g_autofree char *dir = NULL, *key = NULL, *why = NULL;
	g_autoptr(GPtrArray) tip_errors = NULL;
	g_autoptr(GError) error = NULL;
	PcBaseline base = { 0 };

	if (need == PC_BASELINE_NONE || !commit || !run->fetch.worktree)
		return;
	dir = g_build_filename(config->build_cache_dir, "baseline", NULL);
	key = pc_baseline_key(commit, &run->build, need);
	if (pc_baseline_load(dir, key, &base)) {
		g_message("job %s: the base %s, built before: %s", run->key,
			  commit, base.verdict);
	} else {
		g_message("job %s: the %s the base %s", run->key,
			  need == PC_BASELINE_BOOT ? "boot failed; booting"
						   : "build failed; building",
			  commit);
		build_base(config, tip_spec, run, commit, need, &base, &why);
		if (!pc_baseline_save(dir, key, &base, &error))
			g_warning("job %s: the base's build is not cached: %s",
				  run->key, error->message);
	}
	tip_errors = pc_baseline_read_log(run->build.log_path,
					  pc_build_log_prefix(run->build.recipe));
	pc_baseline_judge(&run->build, tip_errors, &base, why);
	pc_baseline_clear(&base);
}

/*
 * The .config the build left, kept beside its log (LOG without ".log",
 * then ".config") for the report to publish: the next build overwrites
 * the output directory. Read without following a link: the tree's own
 * Makefile wrote there. None (recipe command) is no error.
 */
static void keep_config(const char *out, const char *log_path)
{
	g_autofree char *base = g_strndup(log_path, strlen(log_path) -
						      strlen(".log"));
	g_autofree char *path = g_strconcat(base, ".config", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	gsize len;

	if (!pc_fileio_read_below(out, ".config", PC_JOB_CONFIG_MAX_BYTES,
				  &text, &len, &error)) {
		g_unlink(path);
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_message("%s: not kept: %s", path, error->message);
		return;
	}
	if (!g_file_set_contents(path, text, len, &error))
		g_message("%s: not kept: %s", path, error->message);
}

static void build_step(const PcConfig *config, const PcJobOptions *options,
		       PcJobRun *run)
{
	g_autofree char *out = pc_build_out_dir(config, config->fetch_tree);
	g_autofree char *log = g_build_filename(config->build_cache_dir, "logs",
						NULL);
	g_autofree char *log_path = NULL;
	g_autoptr(GError) error = NULL;
	PcBuildSpec spec = {
		.config = config,
		.src = run->fetch.worktree,
		.out = out,
		.changed = run->fetch.changed_files
				   ? (const char *const *)run->fetch.changed_files->pdata
				   : NULL,
		.rust_files = run->fetch.rust_files
				      ? (const char *const *)run->fetch.rust_files->pdata
				      : NULL,
		.fetch_url = run->fetch.url,
		.ref = run->pr.ref,
		.tip = run->fetch.tip_commit,
		.mainline_url = config->fetch_mainline_url,
		.merged_into = !g_strcmp0(run->fetch.tree_kind,
					  PC_FETCH_TREE_MERGE)
				       ? run->fetch.mainline_commit : NULL,
		.on_line = options->on_line,
		.on_line_data = options->on_line_data,
		.cancellable = options->cancellable,
	};

	g_mkdir_with_parents(log, 0755);
	log_path = g_strdup_printf("%s/%s.log", log, run->key);
	spec.log_path = log_path;
	run->built = TRUE;
	if (!pc_build_run(&spec, &run->build, &error)) {
		pc_reasons_add(run->reasons,
			       g_error_matches(error, PC_BUILD_ERROR,
					       PC_BUILD_ERROR_NO_SPACE)
				       ? "no-space" : "build-setup",
			       PC_SEVERITY_INFRA, "%s", error->message);
		return;
	}
	/* The tip's .config, before a build of the base replaces it. */
	keep_config(out, log_path);
	baseline_step(config, &spec, run);
	take_reasons(run->reasons, run->build.reasons);
	if (!strcmp(run->build.verdict, PC_VERDICT_PASS) &&
	    !verdict_of(run->reasons))
		set_verdict(run, PC_VERDICT_PASS);
}

gboolean pc_job_read(const PcConfig *config, GMimeMessage *message,
		     PcMailFlags flags, PcJobRun *run, GError **error)
{
	g_autoptr(PcPullreqParser) parser = pc_pullreq_parser_new();

	memset(run, 0, sizeof(*run));
	run->pr.signed_tag = PC_TRI_NULL;
	run->reasons = pc_reasons_new();
	if (!pc_mail_init_from_message(&run->mail, message,
				       config->max_message_bytes,
				       flags | PC_MAIL_RECIPIENTS, error))
		return FALSE;
	run->key = pc_result_job_key(run->mail.message_id,
				     run->mail.body_sha256);
	pc_pullreq_parse(parser, &run->mail, &run->pr);
	if (!run->pr.is_pull_request) {
		set_verdict(run, PC_VERDICT_NOT_PR);
		pc_reasons_add(run->reasons, "not-a-pull-request",
			       PC_SEVERITY_INFO, "%s", run->pr.reason);
		return TRUE;
	}
	set_verdict(run, PC_VERDICT_UNCHECKED);
	/* Dropped, not copied into the reply's In-Reply-To (issue 11). */
	if (run->mail.message_id_error)
		pc_reasons_add(run->reasons, "message-id-refused",
			       PC_SEVERITY_WARNING,
			       "%s, so this reply cannot be threaded under "
			       "the pull request", run->mail.message_id_error);
	if (run->pr.reason)	/* a pull request, with a URL we cannot use */
		pc_reasons_add(run->reasons, "url-not-fetchable",
			       PC_SEVERITY_INFRA, "%s", run->pr.reason);
	return TRUE;
}

static gboolean fetch_from(const PcConfig *config,
			   const PcJobOptions *options, PcJobRun *run)
{
	if (verdict_of(run->reasons) || !fetch_step(config, options, run))
		return FALSE;
	if (!run->fetch.worktree) {
		pc_reasons_add(run->reasons, "no-worktree", PC_SEVERITY_INFRA,
			       "the fetch left no tree to build");
		return FALSE;
	}
	return TRUE;
}

gboolean pc_job_fetch(const PcConfig *config, const PcJobOptions *options,
		      PcJobRun *run)
{
	return fetch_from(config, options, run);
}

void pc_job_build(const PcConfig *config, const PcJobOptions *options,
		  PcJobRun *run)
{
	if (!options->build) {
		pc_reasons_add(run->reasons, "build-skipped", PC_SEVERITY_INFRA,
			       "the build was skipped (--no-build): the fetch "
			       "checks passed, but the policy needs a build");
		return;
	}
	build_step(config, options, run);
}

gboolean pc_job_finish(const PcConfig *config, PcJobRun *run, GError **error)
{
	g_autoptr(JsonObject) json = NULL;

	if (!strcmp(run->verdict, PC_VERDICT_NOT_PR))
		return TRUE;
	if (verdict_of(run->reasons))
		set_verdict(run, verdict_of(run->reasons));
	json = pc_job_run_to_json(run);
	g_clear_object(&run->reply);
	g_clear_pointer(&run->no_reply, g_free);
	run->audience = pc_reply_audience(config, &run->mail, json,
					  &run->no_reply);
	if (run->audience == PC_REPLY_NOBODY)
		return TRUE;
	run->reply = pc_reply_build(config, &run->mail, &run->pr, json, error);
	return run->reply != NULL;
}

/*
 * Our own failures that may go away by themselves: the sandbox, a build
 * root being replaced. Worth another try before the "could not check"
 * reply goes out. A failed fetch is tried again over [fetch]
 * retry_window instead (retry.c).
 */
static const char *const TRANSIENT[] = {
	"fetch-infra",	 "sandbox-failed", "build-setup", "toolchain-missing",
	"no-worktree", "config-missing", "no-space",	"base-unchecked", NULL
};

const char *pc_job_transient(const PcJobRun *run)
{
	if (g_strcmp0(run->verdict, PC_VERDICT_UNCHECKED))
		return NULL;
	for (guint i = 0; run->reasons && i < run->reasons->len; i++) {
		const PcReason *r = run->reasons->pdata[i];

		if (g_strv_contains(TRANSIENT, r->code))
			return r->code;
	}
	return NULL;
}

/* A forget waits this long for a fetch or `maintain` to let go. */
#define FORGET_WAIT_S 10

gboolean pc_job_forget(const PcConfig *config, const PcJobRun *run,
		       guint *deleted, GError **error)
{
	g_autofree char *store = pc_job_store_path(config);
	PcFetchOptions opts;

	*deleted = 0;
	if (!run->fetched || !run->key)
		return TRUE;
	pc_fetch_options_init(&opts, config);
	opts.store = store;
	opts.timeout = FORGET_WAIT_S;
	return pc_fetch_forget(&opts, run->key, deleted, error);
}

/* Nothing runs this job again: its refs go (maintain's otherwise). */
static void forget_now(const PcConfig *config, const PcJobRun *run)
{
	g_autoptr(GError) kept = NULL;
	guint n;

	if (!pc_job_forget(config, run, &n, &kept))
		g_message("job %s: its refs stay until pullcheck maintain: %s",
			  run->key, kept->message);
}

/*
 * Whole seconds since @first_us (monotonic microseconds), rounded down:
 * the window is over only once that many seconds have really passed.
 */
static gint64 seconds_since(gint64 first_us)
{
	return (g_get_monotonic_time() - first_us) / G_USEC_PER_SEC;
}

/*
 * Read and fetch, again while the fetch may yet work (retry.c), the
 * daemon's retries done in place: the run of the last fetch, with how
 * many there were; *@fetched as pc_job_fetch. FALSE: the message cannot
 * be read.
 */
static gboolean fetch_retrying(const PcConfig *config, GMimeMessage *message,
			       PcMailFlags flags, const PcJobOptions *options,
			       PcJobRun *run, gboolean *fetched,
			       GError **error)
{
	gint64 first_us = 0, wait;
	guint tries = 0;
	const PcReason *cause;

	for (;;) {
		if (!pc_job_read(config, message, flags, run, error))
			return FALSE;
		tries++;
		if ((*fetched = fetch_from(config, options, run)))
			break;
		first_us = first_us ? first_us : g_get_monotonic_time();
		cause = pc_retry_fetch_cause(run->reasons);
		if (options->local_repo || !cause ||
		    (wait = pc_retry_fetch_wait(config, tries,
						seconds_since(first_us))) < 0)
			break;
		if (options->on_retry)
			options->on_retry(cause, tries, wait,
					  options->on_line_data);
		forget_now(config, run);
		pc_job_run_clear(run);
		g_usleep(wait * G_USEC_PER_SEC);
	}
	run->fetch_tries = tries;
	run->fetch_tried_s = first_us ? seconds_since(first_us) : 0;
	return TRUE;
}

gboolean pc_job_check(const PcConfig *config, GMimeMessage *message,
		      PcMailFlags flags, const PcJobOptions *options,
		      PcJobRun *run, GError **error)
{
	gboolean fetched;

	if (!fetch_retrying(config, message, flags, options, run, &fetched,
			    error))
		return FALSE;
	if (fetched)
		pc_job_build(config, options, run);
	forget_now(config, run);
	return pc_job_finish(config, run, error);
}

JsonObject *pc_job_run_to_json(const PcJobRun *run)
{
	const PcResultParts parts = {
		.message_id = run->mail.message_id,
		.key = run->key,
		.verdict = run->verdict,
		.reasons = run->reasons,
		.fetch = run->fetched ? &run->fetch : NULL,
		.build = run->built ? &run->build : NULL,
		.fetch_tries = run->fetch_tries,
		.fetch_tried_s = run->fetch_tried_s,
	};
	JsonObject *result = pc_result_new(&parts);

	if (run->store_id)
		json_object_set_int_member(result, "store_id", run->store_id);

	if (run->recheck_by) {
		json_object_set_string_member(result, "recheck_by",
					      run->recheck_by);
		json_object_set_string_member(result, "recheck_key",
					      run->recheck_key);
		json_object_set_string_member(result, "recheck_of",
					      run->recheck_of);
	}
	return result;
}

void pc_job_run_clear(PcJobRun *run)
{
	g_free(run->key);
	pc_mail_clear(&run->mail);
	pc_pullreq_clear(&run->pr);
	g_free(run->verdict);
	if (run->reasons)
		g_ptr_array_unref(run->reasons);
	if (run->fetched)
		pc_fetch_result_clear(&run->fetch);
	if (run->built)
		pc_build_result_clear(&run->build);
	g_clear_object(&run->reply);
	g_free(run->no_reply);
	g_free(run->recheck_by);
	g_free(run->recheck_key);
	g_free(run->recheck_of);
	memset(run, 0, sizeof(*run));
}
