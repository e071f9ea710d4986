// SPDX-License-Identifier: GPL-2.0-only
/*
 * reply: renders the verdict into a plain-text mail in the pull request's
 * thread.
 *
 * The templates see the job result as check --json prints it, flattened:
 * "fetch": {"tip_commit": ...} becomes fetch_tip_commit, an array of
 * objects becomes a list whose items have the objects' members, and an
 * array of strings becomes a string list. A few *_text values are
 * composed here where a template language would make them unreadable.
 */
#define G_LOG_DOMAIN "pullcheck-reply"

#include <string.h>
#include <tmpl-glib.h>

#include "autocleanup.h"
#include "build.h"
#include "buildlog.h"
#include "json.h"
#include "reason.h"
#include "reply.h"
#include "result.h"
#include "template.h"
#include "triage.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-reply-error-quark, pc_reply_error)

/* The members of a result's objects that a list item in a reply carries. */
static const char *const ITEM_PROPS[] = {
	"code", "severity", "text", "tool", "language", "file", "line",
	"column", "message", "excerpt", "indented", "path", "label",
};

/* How a severity reads in a reply. */
static const char *severity_label(const char *severity)
{
	if (!g_strcmp0(severity, "infra"))
		return "not checked";
	if (!g_strcmp0(severity, "unverified"))
		return "not verified";
	if (!g_strcmp0(severity, "info"))
		return "note";
	return severity;
}

static void scope_set_or_null(TmplScope *scope, const char *name,
			      const char *value)
{
	if (value)
		tmpl_scope_set_string(scope, name, value);
	else
		tmpl_scope_set_null(scope, name);
}

static char *node_to_string(JsonNode *node)
{
	if (!node || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	if (json_node_get_value_type(node) == G_TYPE_STRING)
		return g_strdup(json_node_get_string(node));
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
		return g_strdup(json_node_get_boolean(node) ? "yes" : "no");
	if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
		return g_strdup_printf("%.1f", json_node_get_double(node));
	return NULL;
}

/* Every line of @text, indented by @indent spaces. */
static char *indent_lines(const char *text, guint indent)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l; l++) {
		if (!**l && !l[1])
			break;
		g_string_append_printf(out, "%s%*s%s", out->len ? "\n" : "",
				       (int)indent, "", *l);
	}
	return g_string_free(out, FALSE);
}

/* A diagnostic's place as its tool gave it (buildlog.h); NULL: none. */
static char *diagnostic_where(JsonObject *obj)
{
	PcDiagnostic d = {
		.file = (char *)pc_json_get_string(obj, "file"),
		.line = (guint)CLAMP(pc_json_get_int(obj, "line"), 0, G_MAXUINT),
		.column = (guint)CLAMP(pc_json_get_int(obj, "column"), 0,
				       G_MAXUINT),
	};

	return pc_diagnostic_where(&d);
}

static PcTemplateItem *item_from_object(JsonObject *obj)
{
	PcTemplateItem *item = pc_template_item_new();
	const char *severity, *excerpt;

	for (guint i = 0; i < G_N_ELEMENTS(ITEM_PROPS); i++)
		pc_template_item_take(item, ITEM_PROPS[i], node_to_string(
			json_object_get_member(obj, ITEM_PROPS[i])));
	severity = pc_template_item_get(item, "severity");
	if (severity)
		pc_template_item_set(item, "label", severity_label(severity));
	pc_template_item_take(item, "where", diagnostic_where(obj));
	excerpt = pc_template_item_get(item, "excerpt");
	if (excerpt)
		pc_template_item_take(item, "indented",
				      indent_lines(excerpt, 4));
	return item;
}

static void scope_set_array(TmplScope *scope, const char *name, JsonArray *a)
{
	guint n = json_array_get_length(a);
	g_autofree char *text_name = g_strconcat(name, "_text", NULL);

	if (n && JSON_NODE_HOLDS_OBJECT(json_array_get_element(a, 0))) {
		g_autoptr(GListStore) store =
			g_list_store_new(PC_TYPE_TEMPLATE_ITEM);

		for (guint i = 0; i < n; i++) {
			g_autoptr(PcTemplateItem) item = item_from_object(
				json_array_get_object_element(a, i));

			g_list_store_append(store, item);
		}
		tmpl_scope_set_object(scope, name, store);
		tmpl_scope_set_string(scope, text_name, "yes");
		return;
	}
	{
		g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func(g_free);

		for (guint i = 0; i < n; i++)
			g_ptr_array_add(strv, node_to_string(
					json_array_get_element(a, i)));
		g_ptr_array_add(strv, NULL);
		tmpl_scope_set_strv(scope, name, (const char **)strv->pdata);
		if (n) {
			/* As a block: each item on a line, indented by two. */
			g_autofree char *joined = g_strjoinv(
				"\n  ", (char **)strv->pdata);
			g_autofree char *block = g_strconcat("  ", joined, NULL);

			tmpl_scope_set_string(scope, text_name, block);
		} else {
			tmpl_scope_set_null(scope, text_name);
		}
	}
}

/* Puts @obj's members into @scope as PREFIX_member. */
static void scope_set_object(TmplScope *scope, const char *prefix,
			     JsonObject *obj)
{
	JsonObjectIter iter;
	const char *member;
	JsonNode *node;

	json_object_iter_init(&iter, obj);
	while (json_object_iter_next(&iter, &member, &node)) {
		g_autofree char *name = prefix ? g_strconcat(prefix, "_", member,
							     NULL)
					       : g_strdup(member);

		if (JSON_NODE_HOLDS_OBJECT(node)) {
			tmpl_scope_set_string(scope, name, "yes");
			scope_set_object(scope, name, json_node_get_object(node));
		} else if (JSON_NODE_HOLDS_ARRAY(node)) {
			scope_set_array(scope, name, json_node_get_array(node));
		} else {
			g_autofree char *value = node_to_string(node);

			if (value)
				tmpl_scope_set_string(scope, name, value);
			else
				tmpl_scope_set_null(scope, name);
		}
	}
}

static char *signature_text(JsonObject *result)
{
	const char *signer;
	const char *sig = pc_result_signature(result, &signer);

	if (!g_strcmp0(sig, "verified"))
		return g_strdup_printf("signed tag, good signature by %s",
				       signer ? signer : "a known key");
	if (!g_strcmp0(sig, "unknown-key"))
		return g_strdup_printf("signed tag, key %s not in the keyring",
				       signer ? signer : "(unknown)");
	if (!g_strcmp0(sig, "bad"))
		return g_strdup("signed tag, BAD signature");
	if (!g_strcmp0(sig, "unchecked"))
		return g_strdup("signed tag, not verified (no keyring set)");
	if (!sig)
		return g_strdup("not known: nothing was fetched");
	return g_strdup("not a signed tag");
}

static char *diffstat_text(JsonObject *result)
{
	gint64 n, ins, del;

	if (!pc_result_diffstat(result, &n, &ins, &del))
		return NULL;

	/* git's own wording, singulars included */
	return g_strdup_printf("%" G_GINT64_FORMAT " file%s changed, %"
			       G_GINT64_FORMAT " insertion%s(+), %"
			       G_GINT64_FORMAT " deletion%s(-)",
			       n, n == 1 ? "" : "s", ins, ins == 1 ? "" : "s",
			       del, del == 1 ? "" : "s");
}

/* RFC 3339 back into the form a mail's Date header has. */
static char *mail_date(const PcMail *mail)
{
	g_autoptr(GDateTime) dt = NULL;

	if (mail->date)
		dt = g_date_time_new_from_iso8601(mail->date, NULL);
	if (!dt)
		return g_strdup("(no date)");
	return g_date_time_format(dt, "%a, %-d %b %Y %H:%M:%S %z");
}

static void scope_set_fetch_texts(TmplScope *scope, JsonObject *result)
{
	g_autofree char *sig = NULL, *diffstat = NULL;

	if (!pc_result_fetched(result)) {
		tmpl_scope_set_null(scope, "fetch");
		return;
	}
	sig = signature_text(result);
	diffstat = diffstat_text(result);
	tmpl_scope_set_string(scope, "fetch_signature_text", sig);
	{
		gint64 n = pc_result_commits(result);
		g_autofree char *commits = g_strdup_printf(
			"%" G_GINT64_FORMAT " commit%s", n, n == 1 ? "" : "s");

		tmpl_scope_set_string(scope, "fetch_commits_text", commits);
	}
	if (diffstat)
		tmpl_scope_set_string(scope, "fetch_diffstat", diffstat);
	else
		tmpl_scope_set_null(scope, "fetch_diffstat");
}

/* "rustc 1.85.1 (4eb16... )" → "1.85.1": the first word with a digit. */
static char *short_version(const char *line)
{
	g_auto(GStrv) words = line ? g_strsplit(line, " ", -1) : NULL;

	for (char **w = words; w && *w; w++)
		if (g_ascii_isdigit(**w))
			return g_strdup(*w);
	return g_strdup(line ? line : "?");
}

/* The versions known, "rustc 1.85.1, clang 19.1.7"; NULL for none. */
static char *toolchain_text(JsonObject *result)
{
	const char *const *tools = pc_result_tools();
	GString *out = g_string_new(NULL);

	for (gsize i = 0; tools[i]; i++) {
		const char *line = pc_result_tool_version(result, tools[i]);
		g_autofree char *v = NULL;

		if (!line)
			continue;	/* nothing to list that was not looked up */
		v = short_version(line);
		g_string_append_printf(out, "%s%s %s", out->len ? ", " : "",
				       tools[i], v);
	}
	if (!out->len) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static char *duration_text(double seconds)
{
	guint s = seconds + 0.5;

	if (s < 60)
		return g_strdup_printf("%us", s);
	if (s < 3600)
		return g_strdup_printf("%um%02us", s / 60, s % 60);
	return g_strdup_printf("%uh%02um", s / 3600, s % 3600 / 60);
}

/* What the build covered, for the "built" line: never more than ran. */
static char *scope_text(JsonObject *result)
{
	PcCoverage ran;
	const char *coverage;

	pc_result_ran(result, &ran);
	coverage = pc_coverage_name(&ran);
	if (!g_strcmp0(ran.recipe, "command"))
		return g_strdup("the build command of [build] recipe = command; "
				"no kernel build");
	if (!strcmp(coverage, PC_COVERAGE_FULL))
		return g_strdup("full: make all (vmlinux, every module, "
				"modpost)");
	if (!strcmp(coverage, PC_COVERAGE_RUST))
		return g_strdup("fast stage: prepare, rust/, the Rust objects "
				"and the objects the changes touch; the full "
				"build was not run");
	return g_strdup("none: no build stage ran to its end");
}

/*
 * [build] kconfig = boot is no make target a maintainer knows: name the
 * bootable config the boot object says was used.
 */
static void scope_set_boot_kconfig(TmplScope *scope, JsonObject *result)
{
	const char *kconfig = pc_json_get_string(
		pc_json_get_object(result, "build"), "kconfig");
	const char *config = pc_json_get_string(
		pc_json_get_object(result, "boot"), "config");

	if (g_strcmp0(kconfig, PC_BUILD_KCONFIG_BOOT))
		return;
	tmpl_scope_set_string(scope, "build_kconfig",
			      !g_strcmp0(config, "defconfig")
				      ? "bootable defconfig"
			      : !g_strcmp0(config, "small")
				      ? "bootable small config"
				      : "bootable config of [boot]");
}

static void scope_set_build_texts(TmplScope *scope, JsonObject *result)
{
	g_autofree char *tools = NULL, *dur = NULL, *what = NULL;
	g_autofree char *shown = NULL, *tree = NULL;
	const char *kind, *commit;

	if (!pc_result_built(result))
		return;
	tools = toolchain_text(result);
	dur = duration_text(pc_result_duration(result));
	what = scope_text(result);
	shown = g_strdup_printf("%u", pc_result_diagnostics_shown(result));
	kind = pc_result_tree(result, &commit);
	tree = g_strdup_printf("%s %s", kind ?: "tip", commit ?: "");
	scope_set_or_null(scope, "build_toolchain_text", tools);
	tmpl_scope_set_string(scope, "build_duration_text", dur);
	tmpl_scope_set_string(scope, "build_scope_text", what);
	tmpl_scope_set_string(scope, "build_diagnostics_shown", shown);
	tmpl_scope_set_string(scope, "build_tree", tree);
	scope_set_or_null(scope, "build_merge",
			  !g_strcmp0(kind, "merge") ? "yes" : NULL);
	scope_set_boot_kconfig(scope, result);
}

/*
 * The boot's line in "What was checked" (without the result's "boot: "),
 * and for a failed boot the console excerpt, indented by two.
 */
static void scope_set_boot_texts(TmplScope *scope, JsonObject *result)
{
	g_autofree char *line = pc_result_boot_line(result);
	JsonObject *boot = pc_json_get_object(result, "boot");
	const char *excerpt = pc_json_get_string(boot, "console_excerpt");
	g_auto(GStrv) lines = NULL;
	g_autofree char *joined = NULL, *block = NULL;

	if (!line)
		return;
	tmpl_scope_set_string(scope, "boot_line",
			      g_str_has_prefix(line, "boot: ")
				      ? line + strlen("boot: ") : line);
	if (g_strcmp0(pc_result_boot_status(result), PC_VERDICT_FAIL))
		return;
	tmpl_scope_set_string(scope, "boot_failed", "yes");
	if (!excerpt || !*excerpt)
		return;
	lines = g_strsplit(excerpt, "\n", -1);
	if (lines[0] && g_strv_length(lines) > 1 &&
	    !*lines[g_strv_length(lines) - 1]) {
		g_free(lines[g_strv_length(lines) - 1]);
		lines[g_strv_length(lines) - 1] = NULL;
	}
	joined = g_strjoinv("\n  ", lines);
	block = g_strconcat("  ", joined, NULL);
	tmpl_scope_set_string(scope, "boot_excerpt_text", block);
}

/*
 * The links to the report's pages for this job, under [report] base_url:
 * the dashboard entry, the build log and the .config built, as
 * `pullcheck report` names them (index.html#job-ID, logs/ID.log,
 * logs/ID.config). Only the daemon's jobs have an ID, and only a build
 * leaves a log; without base_url there are no links, rather than dead
 * ones.
 */
static void scope_set_links(TmplScope *scope, const PcConfig *config,
			    JsonObject *result)
{
	gint64 id = pc_json_get_int(result, "store_id");
	g_autofree char *base = NULL, *log = NULL, *conf = NULL, *dash = NULL;
	gsize len;

	if (config->report_base_url && id > 0) {
		base = g_strdup(config->report_base_url);
		len = strlen(base);
		while (len && base[len - 1] == '/')
			base[--len] = '\0';
		dash = g_strdup_printf("%s/index.html#job-%" G_GINT64_FORMAT,
				       base, id);
		if (pc_result_built(result))
			log = g_strdup_printf("%s/logs/%" G_GINT64_FORMAT ".log",
					      base, id);
		if (pc_result_built(result) &&
		    !g_strcmp0(pc_result_recipe(result), "kernel"))
			conf = g_strdup_printf("%s/logs/%" G_GINT64_FORMAT
					       ".config", base, id);
	}
	scope_set_or_null(scope, "links", dash ? "yes" : NULL);
	scope_set_or_null(scope, "link_dashboard", dash);
	scope_set_or_null(scope, "link_log", log);
	scope_set_or_null(scope, "link_config", conf);
}

/* What the reply says of who runs the bot and where its pages are. */
static void scope_set_config(TmplScope *scope, const PcConfig *config,
			     JsonObject *result)
{
	scope_set_or_null(scope, "contact", config->reply_contact);
	scope_set_or_null(scope, "recheck_allowed",
			  config->reply_max_rechecks_per_day ? "yes" : NULL);
	scope_set_links(scope, config, result);
}

/*
 * What the reply shows of the fetch beyond the quoted URL line: the
 * URL fetched only when it is not the one quoted (fetch_url_shown), and
 * the base as 12 hex digits (fetch_base_short).
 */
static void scope_set_fetch_shown(TmplScope *scope, const PcPullreq *pr,
				  JsonObject *result)
{
	JsonObject *fetch = pc_json_get_object(result, "fetch");
	const char *url = fetch ? pc_json_get_string(fetch, "url") : NULL;
	const char *base = fetch ? pc_json_get_string(fetch, "base_commit")
				 : NULL;
	g_autofree char *base_short = base ? g_strndup(base, 12) : NULL;

	scope_set_or_null(scope, "fetch_url_shown",
			  url && g_strcmp0(url, pr->repo_url) ? url : NULL);
	scope_set_or_null(scope, "fetch_base_short", base_short);
}

/*
 * "pullcheck fetched 6 times over 30m00s before this reply": a ref not
 * found, or a fetch that failed, is tried again over [fetch]
 * retry_window before anyone is told. NULL for a single fetch.
 */
static char *retried_text(JsonObject *result)
{
	JsonObject *fetch = pc_json_get_object(result, "fetch");
	gint64 tries = pc_json_get_int(fetch, "tries");
	g_autofree char *over = NULL;

	if (tries < 2)
		return NULL;
	over = duration_text(pc_json_get_int(fetch, "tried_s"));
	return g_strdup_printf("pullcheck fetched %" G_GINT64_FORMAT " times "
			       "over %s before this reply%s", tries, over,
			       !g_strcmp0(pc_result_cause_code(result),
					  "ref-not-found")
				       ? ",\nas a mirror may lag minutes behind "
					 "a push."
				       : ".");
}

/* The words of the outcome, from verdict.c's one table. */
static void scope_set_outcome(TmplScope *scope, const PcConfig *config,
			      JsonObject *result)
{
	PcOutcome outcome = pc_result_outcome(result);
	PcCoverage ran;
	gboolean built = pc_result_ran(result, &ran);
	g_autofree char *headline = pc_outcome_headline(
		outcome, built ? &ran : NULL,
		(const char *const *)config->build_command);
	g_autofree char *retried = retried_text(result);

	tmpl_scope_set_string(scope, "outcome", pc_outcome_token(outcome));
	tmpl_scope_set_string(scope, "outcome_label",
			      pc_outcome_label(outcome));
	tmpl_scope_set_string(scope, "headline", headline);
	if (retried)
		tmpl_scope_set_string(scope, "retried_text", retried);
}

/* What the mail itself says, beside what the fetch found. */
static void scope_set_mail_facts(TmplScope *scope, const PcPullreq *pr)
{
	const struct {
		const char *name, *value;
	} facts[] = {
		{ "mail_ref", pr->ref }, { "mail_end_commit", pr->end_commit },
		{ "mail_tag_commit", pr->tag_commit },
		{ "mail_base_commit", pr->base_commit },
	};

	for (guint i = 0; i < G_N_ELEMENTS(facts); i++)
		if (facts[i].value)
			tmpl_scope_set_string(scope, facts[i].name,
					      facts[i].value);
}

/* Names a template may test with {{if}} whatever the result holds. */
static const char *const ALWAYS[] = {
	"fetch", "build", "reasons_text", "build_diagnostics_text",
	"build_reproduce_text", "fetch_resolved_ref", "fetch_tip_commit",
	"fetch_base_commit", "fetch_diffstat", "recheck_by", "build_merge",
	"build_config_rust", "build_toolchain_text", "fetch_tag_object",
	"build_kconfig", "retried_text", "mail_ref", "mail_end_commit",
	"mail_tag_commit", "mail_base_commit", "boot_line", "boot_failed",
	"boot_excerpt_text", "boot_accel", "boot_reproduce_text",
};

static TmplScope *make_scope(const PcConfig *config, const PcMail *mail,
			     const PcPullreq *pr, JsonObject *result,
			     PcReplyAudience audience)
{
	TmplScope *scope = tmpl_scope_new();
	g_autofree char *date = mail_date(mail);
	g_autofree char *url_line = NULL;
	const char *cause = pc_result_cause(result);
	g_autofree char *first = pc_outcome_fill(cause ? cause : "");

	for (guint i = 0; i < G_N_ELEMENTS(ALWAYS); i++)
		tmpl_scope_set_null(scope, ALWAYS[i]);
	scope_set_object(scope, NULL, result);
	scope_set_fetch_texts(scope, result);
	scope_set_build_texts(scope, result);
	scope_set_boot_texts(scope, result);
	scope_set_outcome(scope, config, result);
	scope_set_mail_facts(scope, pr);
	url_line = g_strjoin(" ", pr->repo_url ? pr->repo_url : "(no URL)",
			     pr->ref, NULL);
	scope_set_fetch_shown(scope, pr, result);
	tmpl_scope_set_string(scope, "url_line", url_line);
	tmpl_scope_set_string(scope, "mail_date", date);
	tmpl_scope_set_string(scope, "mail_subject", mail->subject);
	tmpl_scope_set_string(scope, "mail_from", mail->from);
	tmpl_scope_set_string(scope, "first_reason", first);
	if (audience == PC_REPLY_OPERATOR)
		tmpl_scope_set_string(scope, "to_operator", "yes");
	else
		tmpl_scope_set_null(scope, "to_operator");
	scope_set_config(scope, config, result);
	return scope;
}

/*
 * The template of @outcome: its verdict's (pass.txt says which pass in
 * its headline), but unverified.txt for a pull request not as sent.
 */
static const char *template_name(PcOutcome outcome)
{
	if (outcome == PC_OUTCOME_UNVERIFIED)
		return PC_OUTCOME_TOKEN_UNVERIFIED;
	return pc_verdict_name(pc_outcome_verdict(outcome));
}

static char *render(const PcConfig *config, PcOutcome outcome,
		    TmplScope *scope, GError **error)
{
	const char *base = template_name(outcome);
	g_autofree char *name = g_strconcat(base ? base : "(none)", ".txt",
					    NULL);
	g_autoptr(TmplTemplate) tmpl = pc_template_load(
		config->reply_templates, name, PC_TEMPLATE_REPLACE, error);

	if (!tmpl) {
		g_prefix_error(error, "reply template ");
		return NULL;
	}
	return tmpl_template_expand_string(tmpl, scope, error);
}

char *pc_reply_from_domain(const PcConfig *config)
{
	const char *at = strrchr(config->reply_from, '@');
	GString *out = g_string_new(NULL);

	for (const char *p = at ? at + 1 : ""; *p && *p != '>'; p++)
		if (g_ascii_isalnum(*p) || *p == '.' || *p == '-')
			g_string_append_c(out, g_ascii_tolower(*p));
	if (!out->len)
		g_string_append(out, "pullcheck.invalid");
	return g_string_free(out, FALSE);
}

char *pc_reply_message_id(const PcConfig *config, const PcMail *mail,
			  const char *verdict, const char *tip)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *domain = pc_reply_from_domain(config);
	char hex[25];

	/* NUL-separated so that no two different inputs run together. */
	g_checksum_update(sum, (const guchar *)(mail->message_id ? mail->message_id
								: ""), -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)mail->body_sha256, -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)verdict, -1);
	g_checksum_update(sum, (const guchar *)"", 1);
	g_checksum_update(sum, (const guchar *)(tip ? tip : ""), -1);
	g_strlcpy(hex, g_checksum_get_string(sum), sizeof(hex));
	return g_strdup_printf("pullcheck-%s@%s", hex, domain);
}

/*
 * "Re: " and the pull request's subject, as GMime decoded it: an RFC
 * 2047 word may hold a line break or another control character, and
 * none may reach the reply's header. Each run of them becomes a space.
 */
static char *reply_subject(const char *subject)
{
	GString *out = g_string_new(NULL);
	gboolean gap = FALSE;

	if (!subject)
		subject = "your pull request";
	if (g_ascii_strncasecmp(subject, "re:", 3))
		g_string_append(out, "Re: ");
	for (const char *p = subject; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			gap = TRUE;
			continue;
		}
		if (gap && out->len && out->str[out->len - 1] != ' ')
			g_string_append_c(out, ' ');
		gap = FALSE;
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static gboolean is_list(const PcConfig *config, const char *addr)
{
	for (char **p = config->reply_cc_lists; p && *p; p++)
		if (g_pattern_match_simple(*p, addr))
			return TRUE;
	return FALSE;
}

/*
 * A could-not-check whose cause is the pull request as sent: a URL this
 * installation does not fetch from, or none it can use, or a base that
 * already fails (or has CONFIG_RUST off, or does not boot) the way its
 * tip does, which the sender chose and may not know about
 * (build_baseline.h). The sender can do something about those; every
 * other could-not-check is ours.
 */
static const char *const SENDER_SIDE[] = { "url-not-allowed",
					   "url-not-fetchable", "base-broken",
					   "base-rust-disabled",
					   "base-boot-broken", NULL };

/*
 * Our own could-not-check: the cause is an infra finding of ours. A
 * pull request that could not be verified as sent (outcome unverified)
 * is the sender's to put right, and goes to the sender.
 */
static gboolean our_side(JsonObject *result)
{
	const char *code = pc_result_cause_code(result);

	return pc_result_outcome(result) == PC_OUTCOME_UNCHECKED &&
	       !(code && g_strv_contains(SENDER_SIDE, code));
}

PcReplyAudience pc_reply_audience(const PcConfig *config, const PcMail *mail,
				  JsonObject *result, char **why)
{
	g_auto(GStrv) top = NULL;
	PcReplyAudience audience = PC_REPLY_SENDER;
	const char *reason = NULL;

	if (pc_verdict_parse(pc_result_verdict(result)) ==
	    PC_VERDICT_IS_NOT_PR) {
		audience = PC_REPLY_NOBODY;
		reason = "not a pull request";
	} else if (our_side(result)) {
		audience = config->reply_contact ? PC_REPLY_OPERATOR
						 : PC_REPLY_NOBODY;
		reason = config->reply_contact
				 ? "could not check on our side: to [reply] "
				   "contact only"
				 : "could not check on our side, and [reply] "
				   "contact is not set: the digest and the "
				   "dashboard only";
	} else if (!*(top = pc_triage_top_level(config, mail))) {
		audience = PC_REPLY_NOBODY;
		reason = "not addressed to a [reply] top_level recipient: "
			 "checked for the feed and the dashboard, no mail";
	}
	if (why)
		*why = g_strdup(reason);
	return audience;
}

/* [reply] contact's bare address, lower case; NULL if it has none. */
static char *contact_address(const PcConfig *config)
{
	g_autoptr(InternetAddressList) list = config->reply_contact
		? internet_address_list_parse(NULL, config->reply_contact)
		: NULL;
	InternetAddress *a = list && internet_address_list_length(list)
				     ? internet_address_list_get_address(list, 0)
				     : NULL;
	g_autofree char *addr = NULL;

	if (!a || !INTERNET_ADDRESS_IS_MAILBOX(a))
		return NULL;
	addr = g_ascii_strdown(internet_address_mailbox_get_addr(
				       INTERNET_ADDRESS_MAILBOX(a)), -1);
	return pc_mail_address_ok(addr) ? g_steal_pointer(&addr) : NULL;
}

static void add_once(GPtrArray *out, const char *addr)
{
	if (!g_ptr_array_find_with_equal_func(out, addr, g_str_equal, NULL))
		g_ptr_array_add(out, g_strdup(addr));
}

/*
 * The reply's To (@to) and Cc (@cc), by audience; *@n_to says how many
 * of the list are To. FALSE with PC_REPLY_ERROR_ADDRESS when there is
 * no address to send to.
 */
static gboolean recipients(const PcConfig *config, const PcMail *mail,
			   JsonObject *result, GPtrArray *out, guint *n_to,
			   GError **error)
{
	PcReplyAudience audience = pc_reply_audience(config, mail, result,
						     NULL);
	g_autofree char *contact = NULL;

	*n_to = 0;
	if (audience == PC_REPLY_NOBODY)
		return TRUE;
	if (audience == PC_REPLY_OPERATOR) {
		if (!(contact = contact_address(config))) {
			g_set_error(error, PC_REPLY_ERROR,
				    PC_REPLY_ERROR_ADDRESS,
				    "[reply] contact is not an address: %s",
				    config->reply_contact);
			return FALSE;
		}
		add_once(out, contact);
		*n_to = 1;
		return TRUE;
	}
	/* pc_mail checks them as it reads; PcMail may come from elsewhere. */
	if (!pc_mail_address_ok(mail->from_addr)) {
		g_set_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS,
			    "the pull request has no From address a reply "
			    "can go to");
		return FALSE;
	}
	add_once(out, mail->from_addr);
	if (pc_verdict_parse(pc_result_verdict(result)) == PC_VERDICT_IS_FAIL) {
		g_auto(GStrv) top = pc_triage_top_level(config, mail);

		for (char **a = top; *a; a++)
			add_once(out, *a);
	}
	*n_to = out->len;
	for (char **a = mail->to_cc; a && *a; a++)
		if (is_list(config, *a) && pc_mail_address_ok(*a))
			add_once(out, *a);
	return TRUE;
}

char **pc_reply_recipients(const PcConfig *config, const PcMail *mail,
			   JsonObject *result, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	guint n_to;

	if (!recipients(config, mail, result, out, &n_to, error))
		return NULL;
	g_ptr_array_set_free_func(out, NULL);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

static gboolean set_addresses(GMimeMessage *msg, const PcConfig *config,
			      const PcMail *mail, JsonObject *result,
			      GError **error)
{
	InternetAddressList *from = internet_address_list_parse(
		NULL, config->reply_from);
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func(g_free);
	guint n_to;

	if (!from) {
		g_set_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS,
			    "[reply] from is not an address: %s",
			    config->reply_from);
		return FALSE;
	}
	internet_address_list_append(g_mime_message_get_from(msg), from);
	g_object_unref(from);
	if (!recipients(config, mail, result, rcpts, &n_to, error))
		return FALSE;
	if (!rcpts->len) {
		g_set_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS,
			    "this verdict gets no reply");
		return FALSE;
	}
	for (guint i = 0; i < rcpts->len; i++)
		g_mime_message_add_mailbox(msg, i < n_to ? GMIME_ADDRESS_TYPE_TO
							 : GMIME_ADDRESS_TYPE_CC,
					   NULL, rcpts->pdata[i]);
	return TRUE;
}

/*
 * In-Reply-To and References from the mail's own IDs. pc_mail takes them
 * from the raw header and leaves out the ones with a line break, a blank
 * or a bracket; they are checked again here because a PcMail may come
 * from elsewhere, and an ID copied into a header is a header injection.
 */
static void set_thread(GMimeMessage *msg, const PcMail *mail)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GString *refs = g_string_new(NULL);

	for (char **r = mail->references; r && *r; r++)
		if (pc_mail_message_id_ok(*r))
			g_string_append_printf(refs, "%s<%s>",
					       refs->len ? " " : "", *r);
	if (pc_mail_message_id_ok(mail->message_id)) {
		g_autofree char *id = g_strdup_printf("<%s>", mail->message_id);

		g_string_append_printf(refs, "%s%s", refs->len ? " " : "", id);
		g_mime_object_set_header(obj, "In-Reply-To", id, NULL);
	}
	if (refs->len)
		g_mime_object_set_header(obj, "References", refs->str, NULL);
	g_string_free(refs, TRUE);
}

/*
 * The last guard before a reply leaves: every header as GMime will write
 * it, where a line break may only be a fold (followed by a blank) and no
 * other control character may stand. A mail that got past the checks
 * above gets an error, not a reply with its headers in it.
 */
static gboolean headers_clean(GMimeMessage *msg, GError **error)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = g_mime_header_list_get_count(list);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *v = g_mime_header_get_raw_value(h);

		for (const char *p = v ? v : ""; *p; p++) {
			gboolean fold = (*p == '\n' && (p[1] == ' ' ||
							 p[1] == '\t')) ||
					(*p == '\r' && p[1] == '\n');
			gboolean last = *p == '\n' && !p[1];

			if (((guchar)*p < 0x20 && *p != '\t' && !fold &&
			     !last) || *p == 0x7f) {
				g_set_error(error, PC_REPLY_ERROR,
					    PC_REPLY_ERROR_HEADER,
					    "the reply's %s header would hold a "
					    "control character (U+%04X): not "
					    "sent", g_mime_header_get_name(h),
					    (guchar)*p);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* A kconfig name as a header atom: letters, digits, "_", "-", ".". */
static gboolean is_atom(const char *s)
{
	return s && *s && strlen(s) < 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_-.") == strlen(s);
}

/*
 * X-Pullcheck-Verdict carries the outcome's token: "pass" only for a
 * pass of the policy build, so a filter on it can trust it; coverage
 * and kconfig say what ran, for filters that want the rest.
 */
static void set_verdict_headers(GMimeMessage *msg, JsonObject *result,
				PcOutcome outcome, const char *tip)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	const char *scope = pc_result_scope(result);
	PcCoverage ran;

	pc_result_ran(result, &ran);
	g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated",
				 NULL);
	g_mime_object_set_header(obj, "X-Pullcheck-Verdict",
				 pc_outcome_token(outcome), NULL);
	g_mime_object_set_header(obj, "X-Pullcheck-Coverage",
				 pc_coverage_name(&ran), NULL);
	if (!g_strcmp0(ran.recipe, "kernel") && is_atom(ran.kconfig))
		g_mime_object_set_header(obj, "X-Pullcheck-Kconfig",
					 ran.kconfig, NULL);
	g_mime_object_set_header(obj, "X-Pullcheck-Scope",
				 scope ? scope : "none", NULL);
	g_mime_object_set_header(obj, "X-Pullcheck-Boot",
				 is_atom(pc_result_boot_status(result))
					 ? pc_result_boot_status(result)
					 : "not-run", NULL);
	g_mime_object_set_header(obj, "X-Pullcheck-Tip", tip ? tip : "unknown",
				 NULL);
}

/*
 * Lines a maintainer reads stay under 80 columns: a long line breaks at
 * its last space before column 78 and goes on indented four more than it
 * began. Quoted lines ("> "), commands ("$ ") and code frames are left
 * whole, to stay exact and copyable; so is a word too long for any line.
 */
/* A compiler's code frame ("294 |  let x", "    |  ^^^"): never wrapped. */
static gboolean is_code_frame(const char *trimmed)
{
	const char *bar = strchr(trimmed, '|');

	return bar && bar - trimmed < 8 &&
	       strspn(trimmed, "0123456789 ") == (gsize)(bar - trimmed);
}

static void wrap_line(GString *out, const char *line)
{
	const char *trimmed = line + strspn(line, " ");
	gsize hang = (trimmed - line) + 4;
	gsize room = 79;	/* columns left for @line on this output line */
	gsize floor = trimmed - line;	/* never break inside the indent */

	if (g_utf8_strlen(line, -1) < 80 || g_str_has_prefix(trimmed, "> ") ||
	    g_str_has_prefix(trimmed, "$ ") || is_code_frame(trimmed)) {
		g_string_append(out, line);
		return;
	}
	/* "  label       value": go on under the value. */
	{
		const char *word_end = trimmed + strcspn(trimmed, " ");

		if (g_str_has_prefix(word_end, "  ")) {
			gsize col = word_end + strspn(word_end, " ") - line;

			if (col < 40)
				hang = col;
		}
	}
	while ((gsize)g_utf8_strlen(line, -1) > room) {
		const char *space = g_utf8_offset_to_pointer(line, room);

		while (space > line + floor && *space != ' ')
			space--;
		if (space <= line + floor)
			break;
		g_string_append_len(out, line, space - line);
		g_string_append_printf(out, "\n%*s", (int)hang, "");
		line = space + 1;
		room = 79 - hang;
		floor = 0;
	}
	g_string_append(out, line);
}

static char *wrap_text(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_sized_new(strlen(text) + 64);

	for (char **l = lines; *l; l++) {
		wrap_line(out, *l);
		if (l[1])
			g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static GMimeTextPart *body_part(const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");

	g_mime_text_part_set_text(part, text);
	/*
	 * 7bit for ASCII, 8bit for the rest (a compiler's quotes are
	 * UTF-8): lines are short, and a list archive's plain-text view
	 * then shows the words, not quoted-printable's "=3D" and "=E2=80".
	 */
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_8BIT);
	return part;
}

GMimeMessage *pc_reply_build(const PcConfig *config, const PcMail *mail,
			     const PcPullreq *pr, JsonObject *result,
			     GError **error)
{
	PcOutcome outcome = pc_result_outcome(result);
	const char *tip = pc_result_tip(result);
	g_autoptr(TmplScope) scope = NULL;
	g_autofree char *rendered = NULL, *text = NULL, *why = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *subject = NULL, *id = NULL, *id_tip = NULL;
	g_autoptr(GMimeTextPart) part = NULL;
	const char *recheck_key;
	PcReplyAudience audience = pc_reply_audience(config, mail, result, &why);

	if (audience == PC_REPLY_NOBODY) {
		g_set_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS,
			    "no reply: %s", why);
		return NULL;
	}
	scope = make_scope(config, mail, pr, result, audience);
	rendered = render(config, outcome, scope, error);
	if (!rendered)
		return NULL;
	text = wrap_text(rendered);
	msg = g_mime_message_new(TRUE);
	if (!set_addresses(msg, config, mail, result, error))
		return NULL;
	subject = reply_subject(mail->subject);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, now);
	/* A re-check's reply is a new message, whatever its verdict. */
	recheck_key = pc_json_get_string(result, "recheck_key");
	id_tip = recheck_key ? g_strdup_printf("%s recheck %s", tip ? tip : "",
					       recheck_key)
			     : g_strdup(tip);
	id = pc_reply_message_id(config, mail, pc_outcome_token(outcome),
				 id_tip);
	g_mime_message_set_message_id(msg, id);
	set_thread(msg, mail);
	set_verdict_headers(msg, result, outcome, tip);
	part = body_part(text);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	if (!headers_clean(msg, error))
		return NULL;
	return g_steal_pointer(&msg);
}
