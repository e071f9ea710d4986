// SPDX-License-Identifier: GPL-2.0-only
/*
 * result: the job result's one writer and its readers. The writer gives
 * every member every time (null when unknown), so that a template can
 * test any of them; the readers expect nothing of what they read.
 */
#define G_LOG_DOMAIN "pullcheck-result"

#include <string.h>

#include "bootlog.h"
#include "buildlog.h"
#include "json.h"
#include "reason.h"
#include "result_writer.h"
#include "verdict.h"

/* --- the writer ------------------------------------------------------ */

static void add_strings(JsonBuilder *b, const char *name, GPtrArray *a)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; a && i < a->len; i++)
		json_builder_add_string_value(b, a->pdata[i]);
	json_builder_end_array(b);
}

static void add_strv(JsonBuilder *b, const char *name, char **v)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (char **s = v; s && *s; s++)
		json_builder_add_string_value(b, *s);
	json_builder_end_array(b);
}

static void add_reasons(JsonBuilder *b, GPtrArray *reasons)
{
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_array(b);
	for (guint i = 0; reasons && i < reasons->len; i++) {
		const PcReason *r = reasons->pdata[i];

		json_builder_begin_object(b);
		pc_json_add_string(b, "code", r->code);
		pc_json_add_string(b, "severity", r->severity);
		pc_json_add_string(b, "text", r->text);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void add_fetch(JsonBuilder *b, const PcFetchResult *f,
		      const PcResultParts *parts)
{
	json_builder_begin_object(b);
	pc_json_add_string(b, "url", f->url);
	pc_json_add_string(b, "ref", f->ref);
	pc_json_add_string(b, "resolved_ref", f->resolved_ref);
	pc_json_add_string(b, "tip_commit", f->tip_commit);
	pc_json_add_string(b, "tag_object", f->tag_object);
	json_builder_set_member_name(b, "signed");
	if (f->signed_ == PC_TRI_NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_boolean_value(b, f->signed_ == PC_TRI_TRUE);
	pc_json_add_string(b, "signature", f->signature);
	pc_json_add_string(b, "signer", f->signer);
	pc_json_add_string(b, "base_commit", f->base_commit);
	pc_json_add_int(b, "commits", f->commits);
	pc_json_add_int(b, "files_changed", f->files_changed);
	pc_json_add_int(b, "insertions", f->insertions);
	pc_json_add_int(b, "deletions", f->deletions);
	add_strings(b, "merge_conflicts", f->merge_conflicts);
	pc_json_add_string(b, "mainline_commit", f->mainline_commit);
	pc_json_add_string(b, "mainline_date", f->mainline_date);
	pc_json_add_string(b, "mainline_fetched_at", f->mainline_fetched_at);
	json_builder_set_member_name(b, "mainline_refreshed");
	json_builder_add_boolean_value(b, f->mainline_refreshed);
	pc_json_add_string(b, "base_name", f->base_name);
	pc_json_add_int(b, "behind_mainline", f->behind_mainline);
	pc_json_add_string(b, "tree", f->tree_kind);
	pc_json_add_string(b, "tree_commit", f->tree_commit);
	pc_json_add_int(b, "tries", MAX(parts->fetch_tries, 1));
	pc_json_add_int(b, "tried_s", parts->fetch_tried_s);
	json_builder_end_object(b);
}

static void add_diagnostics(JsonBuilder *b, GPtrArray *diags)
{
	json_builder_set_member_name(b, "diagnostics");
	json_builder_begin_array(b);
	for (guint i = 0; diags && i < diags->len; i++) {
		const PcDiagnostic *d = diags->pdata[i];

		json_builder_begin_object(b);
		pc_json_add_string(b, "tool", d->tool);
		pc_json_add_string(b, "severity", d->severity);
		pc_json_add_string(b, "language", d->language);
		pc_json_add_string(b, "file", d->file);
		pc_json_add_int(b, "line", d->line);
		pc_json_add_int(b, "column", d->column);
		pc_json_add_string(b, "message", d->message);
		pc_json_add_string(b, "excerpt", d->excerpt);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* build.baseline: the base's build a failed build was compared with. */
static void add_baseline(JsonBuilder *b, const PcBuildBaseline *bl)
{
	json_builder_set_member_name(b, "baseline");
	if (!bl) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	pc_json_add_string(b, "commit", bl->commit);
	pc_json_add_string(b, "verdict", bl->verdict);
	json_builder_set_member_name(b, "cached");
	json_builder_add_boolean_value(b, bl->cached);
	json_builder_set_member_name(b, "duration_s");
	json_builder_add_double_value(b, bl->duration_s);
	pc_json_add_string(b, "config_rust", bl->config_rust);
	pc_json_add_string(b, "first_error", bl->first_error);
	pc_json_add_int(b, "errors_common", bl->errors_common);
	pc_json_add_int(b, "errors_new", bl->errors_new);
	json_builder_end_object(b);
}

/* build.stages: [{name, ok, seconds, targets}], in the order they ran. */
static void add_stages(JsonBuilder *b, GPtrArray *stages)
{
	json_builder_set_member_name(b, "stages");
	json_builder_begin_array(b);
	for (guint i = 0; stages && i < stages->len; i++) {
		const PcBuildStage *s = stages->pdata[i];

		json_builder_begin_object(b);
		pc_json_add_string(b, "name", s->name);
		json_builder_set_member_name(b, "ok");
		json_builder_add_boolean_value(b, s->ok);
		json_builder_set_member_name(b, "seconds");
		json_builder_add_double_value(b, s->seconds);
		add_strv(b, "targets", s->targets);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void add_build(JsonBuilder *b, const PcBuildResult *r,
		      const PcFetchResult *f)
{
	json_builder_begin_object(b);
	pc_json_add_string(b, "verdict", r->verdict);
	add_reasons(b, r->reasons);
	pc_json_add_string(b, "recipe", r->recipe);
	pc_json_add_string(b, "scope", r->scope);
	pc_json_add_string(b, "coverage", r->coverage);
	pc_json_add_string(b, "kconfig", r->kconfig);
	pc_json_add_string(b, "tree", f ? f->tree_kind : NULL);
	pc_json_add_string(b, "tree_commit", f ? f->tree_commit : NULL);
	json_builder_set_member_name(b, "config");
	json_builder_begin_object(b);
	pc_json_add_string(b, "rust", r->config_rust);
	pc_json_add_string(b, "fragment", r->fragment);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "toolchain");
	json_builder_begin_object(b);
	pc_json_add_string(b, "rustc", r->toolchain.rustc);
	pc_json_add_string(b, "bindgen", r->toolchain.bindgen);
	pc_json_add_string(b, "clang", r->toolchain.clang);
	pc_json_add_string(b, "lld", r->toolchain.lld);
	json_builder_end_object(b);
	add_strv(b, "targets", r->targets);
	add_stages(b, r->stages);
	json_builder_set_member_name(b, "duration_s");
	json_builder_add_double_value(b, r->duration_s);
	json_builder_set_member_name(b, "make_s");
	json_builder_add_double_value(b, r->make_s);
	add_diagnostics(b, r->diagnostics);
	pc_json_add_int(b, "diagnostics_total", r->diagnostics_total);
	pc_json_add_string(b, "log_path", r->log_path);
	add_strv(b, "reproduce", r->reproduce);
	add_baseline(b, r->baseline);
	json_builder_end_object(b);
}

/*
 * The top-level "boot" (issue 16): status pass, fail, could-not-check
 * or not-run, and what the boot saw. Every member every time.
 */
static void add_boot(JsonBuilder *b, const PcBootResult *boot)
{
	json_builder_set_member_name(b, "boot");
	json_builder_begin_object(b);
	pc_json_add_string(b, "status", boot ? boot->status : "not-run");
	pc_json_add_string(b, "reason", boot ? boot->reason : NULL);
	pc_json_add_string(b, "text", boot ? boot->text : NULL);
	pc_json_add_string(b, "accel", boot ? boot->accel : NULL);
	pc_json_add_string(b, "accel_why", boot ? boot->accel_why : NULL);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_double_value(b, boot ? boot->seconds : 0);
	json_builder_set_member_name(b, "build_seconds");
	json_builder_add_double_value(b, boot ? boot->build_seconds : 0);
	pc_json_add_string(b, "kconfig", boot ? PC_BUILD_KCONFIG_BOOT : NULL);
	pc_json_add_string(b, "config", boot ? boot->config : NULL);
	pc_json_add_string(b, "out_dir", boot ? boot->out_dir : NULL);
	pc_json_add_string(b, "first_bad_line", boot ? boot->first_bad : NULL);
	pc_json_add_string(b, "console_excerpt", boot ? boot->excerpt : NULL);
	add_strv(b, "samples", boot ? boot->samples : NULL);
	pc_json_add_string(b, "console_path", boot ? boot->console_path : NULL);
	pc_json_add_string(b, "sandbox", boot ? boot->sandbox : NULL);
	add_strv(b, "reproduce", boot ? boot->reproduce : NULL);
	json_builder_end_object(b);
}

/* The outcome of what @parts hold: verdict.c's table decides. */
static const char *outcome_of(const PcResultParts *parts)
{
	const PcBuildResult *build = parts->build;
	const PcReason *cause = pc_reasons_worst(parts->reasons);
	PcCoverage ran = {
		.recipe = build ? build->recipe : NULL,
		.coverage = build ? build->coverage : NULL,
		.kconfig = build ? build->kconfig : NULL,
		.boot = build && build->boot ? build->boot->status : NULL,
		.boot_reason = build && build->boot ? build->boot->reason
						    : NULL,
	};

	return pc_outcome_token(pc_outcome_of(
		pc_verdict_parse(parts->verdict), build ? &ran : NULL,
		cause && !g_strcmp0(cause->severity, PC_SEVERITY_UNVERIFIED)));
}

JsonObject *pc_result_new(const PcResultParts *parts)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	pc_json_add_string(b, "message_id", parts->message_id);
	pc_json_add_string(b, "job", parts->key);
	pc_json_add_string(b, "verdict", parts->verdict);
	pc_json_add_string(b, "outcome", outcome_of(parts));
	add_reasons(b, parts->reasons);
	json_builder_set_member_name(b, "fetch");
	if (parts->fetch)
		add_fetch(b, parts->fetch, parts);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "build");
	if (parts->build)
		add_build(b, parts->build, parts->fetch);
	else
		json_builder_add_null_value(b);
	add_boot(b, parts->build ? parts->build->boot : NULL);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_object_ref(json_node_get_object(root));
}


/* --- the readers ----------------------------------------------------- */

JsonObject *pc_result_parse(const char *text)
{
	g_autoptr(JsonNode) root = text ? json_from_string(text, NULL) : NULL;

	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

char *pc_result_job_key(const char *message_id, const char *body_sha256)
{
	g_autofree char *in = g_strconcat(message_id ? message_id : "", "\n",
					  body_sha256, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
							     in, -1);

	return g_strndup(sum, 16);
}

const char *pc_result_verdict(JsonObject *result)
{
	return pc_json_get_string(result, "verdict");
}

static JsonObject *fetch_of(JsonObject *result)
{
	return pc_json_get_object(result, "fetch");
}

static JsonObject *build_of(JsonObject *result)
{
	return pc_json_get_object(result, "build");
}

gboolean pc_result_ran(JsonObject *result, PcCoverage *ran)
{
	JsonObject *build = build_of(result);

	memset(ran, 0, sizeof(*ran));
	if (!build)
		return FALSE;
	ran->recipe = pc_json_get_string(build, "recipe");
	ran->coverage = pc_json_get_string(build, "coverage");
	ran->kconfig = pc_json_get_string(build, "kconfig");
	ran->boot = pc_result_boot_status(result);
	if (ran->boot)
		ran->boot_reason = pc_json_get_string(
			pc_json_get_object(result, "boot"), "reason");
	/* Written before build.coverage was: the scope it mirrored. */
	if (!ran->coverage && !json_object_has_member(build, "coverage"))
		ran->coverage = !g_strcmp0(ran->recipe, "command")
					? PC_COVERAGE_COMMAND
					: pc_json_get_string(build, "scope");
	return TRUE;
}

/*
 * The finding that decided the verdict: the first of the highest
 * severity. NULL when there is none.
 */
static JsonObject *cause_reason(JsonObject *result)
{
	JsonArray *a = pc_json_get_array(result, "reasons");
	guint n = a ? json_array_get_length(a) : 0;
	JsonObject *cause = NULL;
	int best = -1;

	for (guint i = 0; i < n; i++) {
		JsonObject *r = pc_json_array_object(a, i);
		int rank = pc_severity_rank(pc_json_get_string(r, "severity"));

		if (rank > best) {
			best = rank;
			cause = r;
		}
	}
	return cause;
}

/* Whether the finding that decided the verdict is a verification one. */
static gboolean cause_unverified(JsonObject *result)
{
	return !g_strcmp0(pc_json_get_string(cause_reason(result), "severity"),
			  PC_SEVERITY_UNVERIFIED);
}

PcOutcome pc_result_outcome(JsonObject *result)
{
	PcOutcome stored = pc_outcome_parse(
		pc_json_get_string(result, "outcome"));
	PcVerdict verdict = pc_verdict_parse(pc_result_verdict(result));
	PcCoverage ran;
	gboolean built = pc_result_ran(result, &ran);

	/* Only an outcome of the verdict it sits beside. */
	if (stored != PC_OUTCOME_NONE && pc_outcome_verdict(stored) == verdict)
		return stored;
	return pc_outcome_of(verdict, built ? &ran : NULL,
			     cause_unverified(result));
}

const char *pc_result_cause(JsonObject *result)
{
	return pc_json_get_string(cause_reason(result), "text");
}

const char *pc_result_cause_code(JsonObject *result)
{
	return pc_json_get_string(cause_reason(result), "code");
}

/* "file:line: message", as a compiler says it; @brief: file's base name. */
static char *diag_text(JsonObject *d, gboolean brief)
{
	const char *file = pc_json_get_string(d, "file");
	const char *message = pc_json_get_string(d, "message");
	gint64 line = pc_json_get_int(d, "line");

	if (file && brief && strrchr(file, '/'))
		file = strrchr(file, '/') + 1;
	if (file && line > 0)
		return g_strdup_printf("%s:%" G_GINT64_FORMAT ": %s", file, line,
				       message ? message : "");
	if (file)
		return g_strdup_printf("%s: %s", file, message ? message : "");
	return message ? g_strdup(message) : NULL;
}

/* The first element of @a whose severity is @severity (NULL: any). */
static JsonObject *first_with(JsonArray *a, const char *severity)
{
	guint n = a ? json_array_get_length(a) : 0;

	for (guint i = 0; i < n; i++) {
		JsonObject *obj = pc_json_array_object(a, i);

		if (obj && (!severity ||
			    !g_strcmp0(pc_json_get_string(obj, "severity"),
				       severity)))
			return obj;
	}
	return NULL;
}

char *pc_result_first_error(JsonObject *result, const char *verdict,
			    gboolean brief)
{
	JsonArray *diags = pc_json_get_array(build_of(result), "diagnostics");
	JsonArray *reasons = pc_json_get_array(result, "reasons");
	JsonObject *obj;

	if ((obj = first_with(diags, "error")))
		return diag_text(obj, brief);
	if ((obj = first_with(reasons, PC_SEVERITY_ERROR)))
		return g_strdup(pc_json_get_string(obj, "text"));
	if (!g_strcmp0(verdict, PC_VERDICT_UNCHECKED) &&
	    ((obj = first_with(reasons, PC_SEVERITY_UNVERIFIED)) ||
	     (obj = first_with(reasons, PC_SEVERITY_INFRA)) ||
	     (obj = first_with(reasons, NULL))))
		return g_strdup(pc_json_get_string(obj, "text"));
	return NULL;
}

char *pc_result_first_diagnostic(JsonObject *result)
{
	JsonObject *diag = first_with(
		pc_json_get_array(build_of(result), "diagnostics"), NULL);

	return diag ? diag_text(diag, FALSE) : NULL;
}

gboolean pc_result_fetched(JsonObject *result)
{
	return fetch_of(result) != NULL;
}

const char *pc_result_tip(JsonObject *result)
{
	return pc_json_get_string(fetch_of(result), "tip_commit");
}

const char *pc_result_signature(JsonObject *result, const char **signer)
{
	*signer = pc_json_get_string(fetch_of(result), "signer");
	return pc_json_get_string(fetch_of(result), "signature");
}

gint64 pc_result_commits(JsonObject *result)
{
	return pc_json_get_int(fetch_of(result), "commits");
}

gboolean pc_result_diffstat(JsonObject *result, gint64 *files,
			    gint64 *insertions, gint64 *deletions)
{
	JsonObject *fetch = fetch_of(result);
	JsonNode *node = fetch ? json_object_get_member(fetch, "files_changed")
			       : NULL;

	if (!node || JSON_NODE_HOLDS_NULL(node) || !pc_result_tip(result))
		return FALSE;
	*files = json_node_get_int(node);
	*insertions = pc_json_get_int(fetch, "insertions");
	*deletions = pc_json_get_int(fetch, "deletions");
	return TRUE;
}

gboolean pc_result_built(JsonObject *result)
{
	return build_of(result) != NULL;
}

const char *pc_result_recipe(JsonObject *result)
{
	return pc_json_get_string(build_of(result), "recipe");
}

const char *pc_result_scope(JsonObject *result)
{
	return pc_json_get_string(build_of(result), "scope");
}

const char *pc_result_coverage(JsonObject *result)
{
	return pc_json_get_string(build_of(result), "coverage");
}

const char *pc_result_kconfig(JsonObject *result)
{
	return pc_json_get_string(build_of(result), "kconfig");
}

const char *pc_result_tree(JsonObject *result, const char **commit)
{
	*commit = pc_json_get_string(build_of(result), "tree_commit");
	return pc_json_get_string(build_of(result), "tree");
}

const char *const *pc_result_tools(void)
{
	static const char *const tools[] = { "rustc", "bindgen", "clang", "lld",
					     NULL };

	return tools;
}

const char *pc_result_tool_version(JsonObject *result, const char *tool)
{
	return pc_json_get_string(
		pc_json_get_object(build_of(result), "toolchain"), tool);
}

double pc_result_duration(JsonObject *result)
{
	JsonObject *build = build_of(result);

	return build ? json_object_get_double_member_with_default(
			       build, "duration_s", 0)
		     : 0;
}

guint pc_result_diagnostics_shown(JsonObject *result)
{
	JsonArray *a = pc_json_get_array(build_of(result), "diagnostics");

	return a ? json_array_get_length(a) : 0;
}

const char *pc_result_log_path(JsonObject *result)
{
	return pc_json_get_string(build_of(result), "log_path");
}

char *pc_result_reproduce(JsonObject *result)
{
	JsonArray *a = pc_json_get_array(build_of(result), "reproduce");
	guint n = a ? json_array_get_length(a) : 0;
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(a, i);

		if (json_node_get_value_type(node) == G_TYPE_STRING)
			g_string_append_printf(out, "%s%s", out->len ? "\n" : "",
					       json_node_get_string(node));
	}
	return out->len ? g_string_free(out, FALSE)
			: (g_string_free(out, TRUE), NULL);
}

const char *pc_result_boot_status(JsonObject *result)
{
	const char *status = pc_json_get_string(
		pc_json_get_object(result, "boot"), "status");

	return status && strcmp(status, "not-run") ? status : NULL;
}

char *pc_result_boot_line(JsonObject *result)
{
	JsonObject *boot = pc_json_get_object(result, "boot");
	const char *status = pc_result_boot_status(result);
	const char *accel = pc_json_get_string(boot, "accel");
	const char *how = !g_strcmp0(accel, "kvm")   ? "QEMU with KVM"
			  : !g_strcmp0(accel, "tcg") ? "QEMU with TCG"
						     : "QEMU";
	double seconds = boot ? json_object_get_double_member_with_default(
					boot, "seconds", 0)
			      : 0;

	if (!status)
		return NULL;
	if (!strcmp(status, PC_VERDICT_PASS))
		return g_strdup_printf("boot: pass (%s, %.0f s, the Rust "
				       "samples' init lines seen)", how,
				       seconds);
	if (!strcmp(status, PC_VERDICT_FAIL))
		return g_strdup_printf("boot: FAIL (%s): %s", how,
				       pc_bootlog_reason_words(
					       pc_json_get_string(boot, "reason")));
	return g_strdup_printf("boot: could not check (%s)",
			       pc_json_get_string(boot, "reason")
				       ? pc_json_get_string(boot, "reason")
				       : "our side");
}
