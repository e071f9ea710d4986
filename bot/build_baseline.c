// SPDX-License-Identifier: GPL-2.0-only
/*
 * build_baseline: a failed build against its base's (build_baseline.h).
 *
 * The cache is one small JSON file per key under [build] cache_dir,
 * written atomically; a file that is not one this module wrote is a
 * miss, never an error, so a corrupt cache costs one build of the base.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "build_baseline.h"
#include "fileio.h"
#include "json.h"
#include "reason.h"
#include "verdict.h"

#define CACHE_VERSION 1
/* 1000 errors of at most ~3 KiB each, with room to spare. */
#define MAX_CACHE_BYTES (8 * 1024 * 1024)
/* The build log's own bound (build_step.c). */
#define MAX_LOG_BYTES (64ull << 20)
/* The new errors a reply shows, as build.c shows the first ones. */
#define MAX_SHOWN 20
#define MAX_FIRST_ERROR 1024

static void error_free(PcBaselineError *e)
{
	g_free(e->tool);
	g_free(e->file);
	g_free(e->message);
	g_free(e->code);
	g_free(e);
}

static GPtrArray *errors_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)error_free);
}

void pc_baseline_clear(PcBaseline *base)
{
	g_free(base->commit);
	g_free(base->verdict);
	g_free(base->config_rust);
	g_free(base->first_error);
	if (base->errors)
		g_ptr_array_unref(base->errors);
	memset(base, 0, sizeof(*base));
}

static const PcReason *find_reason(GPtrArray *reasons, const char *code)
{
	for (guint i = 0; reasons && i < reasons->len; i++) {
		const PcReason *r = reasons->pdata[i];

		if (!strcmp(r->code, code))
			return r;
	}
	return NULL;
}

PcBaselineNeed pc_baseline_need(const PcBuildResult *tip)
{
	if (g_strcmp0(tip->verdict, PC_VERDICT_FAIL))
		return PC_BASELINE_NONE;
	if (find_reason(tip->reasons, "build-failed"))
		return PC_BASELINE_BUILD;
	if (find_reason(tip->reasons, "rust-disabled"))
		return PC_BASELINE_CONFIGURE;
	if (tip->boot && !g_strcmp0(tip->boot->status, PC_VERDICT_FAIL) &&
	    tip->boot->reason && find_reason(tip->reasons, tip->boot->reason))
		return PC_BASELINE_BOOT;
	return PC_BASELINE_NONE;
}

static void key_add(GChecksum *sum, const char *field)
{
	/* A separator no field holds: "ab"+"c" is not "a"+"bc". */
	g_checksum_update(sum, (const guchar *)(field ? field : "\x01"), -1);
	g_checksum_update(sum, (const guchar *)"\x1f", 1);
}

static const char *need_name(PcBaselineNeed need)
{
	switch (need) {
	case PC_BASELINE_CONFIGURE:
		return "configure";
	case PC_BASELINE_BOOT:
		return "boot";
	default:
		return "build";
	}
}

char *pc_baseline_key(const char *commit, const PcBuildResult *tip,
		      PcBaselineNeed need)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *version = g_strdup_printf("%d", CACHE_VERSION);

	key_add(sum, version);
	key_add(sum, need_name(need));
	key_add(sum, commit);
	key_add(sum, tip->recipe);
	key_add(sum, tip->toolchain.rustc);
	key_add(sum, tip->toolchain.bindgen);
	key_add(sum, tip->toolchain.clang);
	key_add(sum, tip->toolchain.lld);
	key_add(sum, tip->kconfig);
	key_add(sum, tip->fragment);
	key_add(sum, tip->coverage);
	for (char **t = tip->targets; t && *t; t++)
		key_add(sum, *t);
	if (need == PC_BASELINE_BOOT && tip->boot) {
		g_autofree char *out =
			tip->boot->out_dir
				? g_path_get_basename(tip->boot->out_dir)
				: NULL;

		key_add(sum, tip->boot->config);
		key_add(sum, out);
		key_add(sum, tip->boot->accel);
	}
	return g_strdup(g_checksum_get_string(sum));
}

/* --- errors ------------------------------------------------------------ */

/*
 * buildlog.c puts a diagnostic's code last, in brackets, the way clang
 * puts its -W flag: "mismatched types [E0308]". Split it off.
 */
static PcBaselineError *error_of(const PcDiagnostic *d)
{
	PcBaselineError *e = g_new0(PcBaselineError, 1);
	const char *msg = d->message ? d->message : "";
	gsize n = strlen(msg);
	const char *open = n ? g_strrstr(msg, " [") : NULL;

	e->tool = g_strdup(d->tool ? d->tool : "");
	e->file = g_strdup(d->file ? d->file : "");
	if (open && msg[n - 1] == ']' && open + 3 < msg + n &&
	    !memchr(open + 2, ' ', msg + n - 1 - (open + 2))) {
		e->message = g_strndup(msg, open - msg);
		e->code = g_strndup(open + 2, msg + n - 1 - (open + 2));
	} else {
		e->message = g_strdup(msg);
		e->code = g_strdup("");
	}
	return e;
}

static gboolean is_error(const PcDiagnostic *d)
{
	return !g_strcmp0(d->severity, "error");
}

GPtrArray *pc_baseline_errors(GPtrArray *diags)
{
	GPtrArray *errors = errors_new();

	for (guint i = 0; diags && i < diags->len; i++)
		if (is_error(diags->pdata[i]) &&
		    errors->len < PC_BASELINE_MAX_ERRORS)
			g_ptr_array_add(errors, error_of(diags->pdata[i]));
	return errors;
}

GPtrArray *pc_baseline_read_log(const char *log_path, const char *src_prefix)
{
	g_autoptr(GMappedFile) log = g_mapped_file_new(log_path, FALSE, NULL);
	g_autoptr(PcBuildlogParser) parser = NULL;
	PcDiagnostics diags = { 0 };
	GPtrArray *errors;

	if (!log)
		return NULL;
	parser = pc_buildlog_parser_new();
	pc_buildlog_parse(parser, g_mapped_file_get_contents(log),
			  MIN(g_mapped_file_get_length(log), MAX_LOG_BYTES),
			  src_prefix, PC_BUILDLOG_MAX_ITEMS, &diags);
	errors = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_diagnostic_free);
	for (guint i = 0; diags.items && i < diags.items->len; i++)
		if (is_error(diags.items->pdata[i]))
			g_ptr_array_add(errors,
					g_steal_pointer(&diags.items->pdata[i]));
	pc_diagnostics_clear(&diags);
	return errors;
}

/* --- the cache --------------------------------------------------------- */

static gboolean is_hex_key(const char *key)
{
	gsize n = key ? strlen(key) : 0;

	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isxdigit(key[i]))
			return FALSE;
	return n == 64;
}

static char *file_name(const char *key)
{
	return g_strconcat(key, ".json", NULL);
}

/* A string member of at most @max bytes; FALSE for another type. */
static gboolean get_string(JsonObject *o, const char *name, gboolean nullable,
			   gsize max, char **out)
{
	JsonNode *node = json_object_get_member(o, name);
	const char *s;

	*out = NULL;
	if (!node)
		return FALSE;
	if (JSON_NODE_HOLDS_NULL(node))
		return nullable;
	if (!JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return FALSE;
	s = json_node_get_string(node);
	if (strlen(s) > max)
		return FALSE;
	*out = g_strdup(s);
	return TRUE;
}

static gboolean load_errors(JsonArray *a, GPtrArray *errors)
{
	guint n = a ? json_array_get_length(a) : 0;

	if (!a || n > PC_BASELINE_MAX_ERRORS)
		return FALSE;
	for (guint i = 0; i < n; i++) {
		JsonNode *node = json_array_get_element(a, i);
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(node)
					? json_node_get_object(node) : NULL;
		PcBaselineError *e = g_new0(PcBaselineError, 1);

		g_ptr_array_add(errors, e);
		if (!o ||
		    !get_string(o, "tool", FALSE, 32, &e->tool) ||
		    !get_string(o, "file", FALSE, PC_BUILDLOG_MAX_FILE, &e->file) ||
		    !get_string(o, "message", FALSE, PC_BUILDLOG_MAX_MESSAGE,
				&e->message) ||
		    !get_string(o, "code", FALSE, PC_BUILDLOG_MAX_MESSAGE,
				&e->code))
			return FALSE;
	}
	return TRUE;
}

static gboolean load_object(JsonObject *o, const char *key, PcBaseline *out)
{
	g_autofree char *stored_key = NULL;
	JsonNode *errors = json_object_get_member(o, "errors");

	out->errors = errors_new();
	return json_object_get_int_member_with_default(o, "version", 0) ==
		       CACHE_VERSION &&
	       get_string(o, "key", FALSE, 64, &stored_key) &&
	       !strcmp(stored_key, key) &&
	       get_string(o, "commit", FALSE, 64, &out->commit) &&
	       get_string(o, "verdict", FALSE, 32, &out->verdict) &&
	       (!strcmp(out->verdict, PC_VERDICT_PASS) ||
		!strcmp(out->verdict, PC_VERDICT_FAIL) ||
		!strcmp(out->verdict, PC_VERDICT_UNCHECKED)) &&
	       get_string(o, "config_rust", TRUE, 64, &out->config_rust) &&
	       get_string(o, "first_error", TRUE, MAX_FIRST_ERROR,
			  &out->first_error) &&
	       errors && JSON_NODE_HOLDS_ARRAY(errors) &&
	       load_errors(json_node_get_array(errors), out->errors);
}

gboolean pc_baseline_load(const char *dir, const char *key, PcBaseline *out)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL, *text = NULL;
	JsonNode *root;
	gsize len;

	memset(out, 0, sizeof(*out));
	if (!is_hex_key(key))
		return FALSE;
	name = file_name(key);
	if (!pc_fileio_read_below(dir, name, MAX_CACHE_BYTES, &text, &len,
				  &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("the base's cached build %s/%s is not "
				  "read: %s", dir, name, error->message);
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, text, len, &error) ||
	    !(root = json_parser_get_root(parser)) ||
	    !JSON_NODE_HOLDS_OBJECT(root) ||
	    !load_object(json_node_get_object(root), key, out)) {
		g_warning("the base's cached build %s/%s is not one pullcheck "
			  "wrote%s%s; it is built again", dir, name,
			  error ? ": " : "", error ? error->message : "");
		pc_baseline_clear(out);
		return FALSE;
	}
	out->cached = TRUE;
	return TRUE;
}

static gboolean worth_keeping(const PcBaseline *base)
{
	return !g_strcmp0(base->verdict, PC_VERDICT_PASS) ||
	       !g_strcmp0(base->verdict, PC_VERDICT_FAIL) || base->config_rust;
}

static char *to_json(const char *key, const PcBaseline *base)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	pc_json_add_int(b, "version", CACHE_VERSION);
	pc_json_add_string(b, "key", key);
	pc_json_add_string(b, "commit", base->commit);
	pc_json_add_string(b, "verdict", base->verdict);
	pc_json_add_string(b, "config_rust", base->config_rust);
	pc_json_add_string(b, "first_error", base->first_error);
	json_builder_set_member_name(b, "errors");
	json_builder_begin_array(b);
	for (guint i = 0; base->errors && i < base->errors->len; i++) {
		const PcBaselineError *e = base->errors->pdata[i];

		json_builder_begin_object(b);
		pc_json_add_string(b, "tool", e->tool);
		pc_json_add_string(b, "file", e->file);
		pc_json_add_string(b, "message", e->message);
		pc_json_add_string(b, "code", e->code);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

gboolean pc_baseline_save(const char *dir, const char *key,
			  const PcBaseline *base, GError **error)
{
	g_autofree char *name = NULL, *path = NULL, *text = NULL;

	if (!worth_keeping(base))
		return TRUE;
	if (!is_hex_key(key) || !base->commit || !base->verdict) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "not a base build to keep in the cache");
		return FALSE;
	}
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	name = file_name(key);
	path = g_build_filename(dir, name, NULL);
	text = to_json(key, base);
	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT, 0644,
					error);
}

/* --- the comparison ---------------------------------------------------- */

static char *describe(const PcDiagnostic *d)
{
	g_autofree char *where = pc_diagnostic_where(d);

	if (where && d->line)
		return g_strdup_printf("in %s code, %s:%u: %s", d->language,
				       d->file, d->line, d->message);
	if (where)	/* modpost: a module, no line in it */
		return g_strdup_printf("%s, in %s: %s", d->tool, where,
				       d->message);
	return g_strdup_printf("%s: %s", d->tool, d->message);
}

/* What follows "init/Kconfig: " in the rust-disabled reason. */
static char *rust_off_why(const PcBuildResult *result)
{
	const PcReason *r = find_reason(result->reasons, "rust-disabled");
	const char *at = r ? strstr(r->text, "init/Kconfig: ") : NULL;

	return at ? g_strdup(at) : r ? g_strdup(r->text) : NULL;
}

/*
 * At most MAX_FIRST_ERROR bytes, cut after the last whole UTF-8
 * character, so the cache reads back what was written.
 */
static void cut_first_error(PcBaseline *out)
{
	char *end;

	if (!out->first_error || strlen(out->first_error) <= MAX_FIRST_ERROR)
		return;
	end = out->first_error + MAX_FIRST_ERROR;
	g_utf8_validate(out->first_error, MAX_FIRST_ERROR, (const char **)&end);
	*end = '\0';
}

void pc_baseline_from_build(PcBaseline *out, const char *commit,
			    const PcBuildResult *result)
{
	g_autoptr(GPtrArray) diags = NULL;

	memset(out, 0, sizeof(*out));
	out->commit = g_strdup(commit);
	out->verdict = g_strdup(result->verdict);
	out->config_rust = g_strdup(result->config_rust);
	out->duration_s = result->duration_s;
	if (g_strcmp0(result->config_rust, "y") && result->config_rust)
		out->first_error = rust_off_why(result);
	diags = result->log_path ? pc_baseline_read_log(
					  result->log_path,
					  pc_build_log_prefix(result->recipe))
				 : NULL;
	for (guint i = 0; !out->first_error && diags && i < diags->len; i++)
		out->first_error = describe(diags->pdata[i]);
	for (guint i = 0; !out->first_error && result->diagnostics &&
			  i < result->diagnostics->len; i++)
		if (is_error(result->diagnostics->pdata[i]))
			out->first_error = describe(result->diagnostics->pdata[i]);
	cut_first_error(out);
	out->errors = pc_baseline_errors(diags ? diags : result->diagnostics);
}

void pc_baseline_from_boot(PcBaseline *out, const char *commit,
			   const PcBuildResult *result)
{
	const PcBootResult *boot = result->boot;

	memset(out, 0, sizeof(*out));
	out->commit = g_strdup(commit);
	out->verdict = g_strdup(boot && boot->status ? boot->status
						     : PC_VERDICT_UNCHECKED);
	out->duration_s = result->duration_s;
	if (!boot || g_strcmp0(boot->status, PC_VERDICT_PASS))
		out->first_error = g_strdup(boot && boot->text
						    ? boot->text
						    : "its boot was not checked");
	cut_first_error(out);
	out->errors = errors_new();
}

static void set_verdict(PcBuildResult *result, const char *verdict)
{
	g_free(result->verdict);
	result->verdict = g_strdup(verdict);
}

static void set_severity(GPtrArray *reasons, const char *code,
			 const char *severity)
{
	PcReason *r = (PcReason *)find_reason(reasons, code);

	if (!r)
		return;
	g_free(r->severity);
	r->severity = g_strdup(severity);
}

static PcBuildBaseline *record(PcBuildResult *tip, const PcBaseline *base)
{
	PcBuildBaseline *bl = g_new0(PcBuildBaseline, 1);

	bl->commit = g_strdup(base->commit);
	bl->verdict = g_strdup(base->verdict);
	bl->cached = base->cached;
	bl->duration_s = base->duration_s;
	bl->config_rust = g_strdup(base->config_rust);
	bl->first_error = g_strdup(base->first_error);
	g_clear_pointer(&tip->baseline, pc_build_baseline_free);
	tip->baseline = bl;
	return bl;
}

static void unchecked(PcBuildResult *tip, const PcBaseline *base,
		      const char *why)
{
	pc_reasons_add(tip->reasons, "base-unchecked", PC_SEVERITY_INFRA,
		       "the base, %.12s, could not be built to tell this pull "
		       "request's errors from the base's: %s",
		       base->commit ? base->commit : "(unknown)",
		       why ? why : "its build could not be checked");
	set_severity(tip->reasons, "build-failed", PC_SEVERITY_INFO);
	set_severity(tip->reasons, "rust-disabled", PC_SEVERITY_INFO);
	set_verdict(tip, PC_VERDICT_UNCHECKED);
}

static void judge_config(PcBuildResult *tip, const PcBaseline *base)
{
	if (!strcmp(base->config_rust, "y"))
		return;	/* the pull request turns Rust off: its fail */
	set_severity(tip->reasons, "rust-disabled", PC_SEVERITY_INFO);
	pc_reasons_add(tip->reasons, "base-rust-disabled", PC_SEVERITY_INFRA,
		       "CONFIG_RUST is %s in the base, %.12s, too: this pull "
		       "request does not turn Rust off, and its Rust cannot "
		       "be built; %s", base->config_rust, base->commit,
		       base->first_error ? base->first_error
					 : "(the base's Kconfig says no more)");
	set_verdict(tip, PC_VERDICT_UNCHECKED);
}

/* The text of "build-failed" up to the first error build.c named. */
static char *failed_prefix(const PcReason *failed)
{
	const char *cut = strstr(failed->text, "; the first error");

	return cut ? g_strndup(failed->text, cut - failed->text)
		   : g_strdup(failed->text);
}

static PcDiagnostic *diagnostic_dup(const PcDiagnostic *d)
{
	PcDiagnostic *c = g_new0(PcDiagnostic, 1);

	*c = *d;
	c->file = g_strdup(d->file);
	c->message = g_strdup(d->message);
	c->excerpt = g_strdup(d->excerpt);
	return c;
}

/* The tip adds errors and has some of the base's: cite only the new. */
static void keep_new(PcBuildResult *tip, GPtrArray *shown, guint common,
		     guint added, const char *commit)
{
	PcReason *failed = (PcReason *)find_reason(tip->reasons,
						   "build-failed");
	const PcDiagnostic *d = shown->pdata[0];
	g_autofree char *prefix = failed ? failed_prefix(failed) : NULL;
	g_autofree char *first = describe(d);

	if (tip->diagnostics)
		g_ptr_array_unref(tip->diagnostics);
	tip->diagnostics = g_ptr_array_ref(shown);
	if (!failed)
		return;
	g_free(failed->text);
	failed->text = g_strdup_printf(
		"%s with %u error%s the base, %.12s, does not have (and %u it "
		"has too); the first new error, %s", prefix, added,
		added == 1 ? "" : "s", commit, common, first);
}

/* An error as one string: tool, file, message and code. (transfer full) */
static char *error_key(const PcBaselineError *e)
{
	return g_strjoin("\x1f", e->tool, e->file, e->message, e->code, NULL);
}

/* How many times the base has each error. (transfer full) */
static GHashTable *count_errors(const PcBaseline *base)
{
	GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal,
						   g_free, NULL);

	for (guint i = 0; base->errors && i < base->errors->len; i++) {
		char *key = error_key(base->errors->pdata[i]);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key));

		g_hash_table_insert(counts, key, GUINT_TO_POINTER(n + 1));
	}
	return counts;
}

/*
 * Whether @d is one of the base's errors not yet matched, which it then
 * uses up: the same mistake made once more, elsewhere in the same file,
 * is a new error, though no line number tells the two apart.
 */
static gboolean take_known(GHashTable *counts, const PcDiagnostic *d)
{
	PcBaselineError *e = error_of(d);
	g_autofree char *key = error_key(e);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key));

	error_free(e);
	if (!n)
		return FALSE;
	g_hash_table_replace(counts, g_steal_pointer(&key),
			     GUINT_TO_POINTER(n - 1));
	return TRUE;
}

static void judge_errors(PcBuildResult *tip, GPtrArray *tip_errors,
			 const PcBaseline *base, PcBuildBaseline *bl)
{
	GPtrArray *errs = tip_errors ? tip_errors : tip->diagnostics;
	g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_diagnostic_free);
	g_autoptr(GHashTable) counts = count_errors(base);

	for (guint i = 0; errs && i < errs->len; i++) {
		const PcDiagnostic *d = errs->pdata[i];

		if (!is_error(d))
			continue;
		if (take_known(counts, d)) {
			bl->errors_common++;
			continue;
		}
		bl->errors_new++;
		if (shown->len < MAX_SHOWN)
			g_ptr_array_add(shown, diagnostic_dup(d));
	}
	if (!bl->errors_common)
		return;	/* every error is the pull request's own */
	if (bl->errors_new) {
		keep_new(tip, shown, bl->errors_common, bl->errors_new,
			 base->commit);
		return;
	}
	set_severity(tip->reasons, "build-failed", PC_SEVERITY_INFO);
	pc_reasons_add(tip->reasons, "base-broken", PC_SEVERITY_INFRA,
		       "the base, %.12s, already fails: %s", base->commit,
		       base->first_error ? base->first_error
					 : "its build fails the same way");
	set_verdict(tip, PC_VERDICT_UNCHECKED);
}

/*
 * A failed boot against the base's: the base boots, so the failure is
 * the pull request's (its reason says so), or it does not, or it could
 * not be tried, and whether the pull request's tree boots is not known.
 */
static void judge_boot(PcBuildResult *tip, const PcBaseline *base,
		       gboolean usable, const char *why)
{
	const char *code = tip->boot->reason;
	PcReason *own = (PcReason *)find_reason(tip->reasons, code);
	char *text;

	if (usable && !strcmp(base->verdict, PC_VERDICT_PASS)) {
		text = g_strdup_printf("%s; the base, %.12s, boots to init "
				       "the same way",
				       own->text, base->commit);
		g_free(own->text);
		own->text = text;
		return;
	}
	set_severity(tip->reasons, code, PC_SEVERITY_INFO);
	if (usable)
		pc_reasons_add(
			tip->reasons, "base-boot-broken", PC_SEVERITY_INFRA,
			"the base, %.12s, already fails to boot, so "
			"whether this pull request boots is not known: %s",
			base->commit,
			base->first_error ? base->first_error
					  : "its boot fails too");
	else
		pc_reasons_add(tip->reasons, "base-unchecked",
			       PC_SEVERITY_INFRA,
			       "the base, %.12s, could not be booted to tell "
			       "whether this boot failure is the pull "
			       "request's: %s",
			       base->commit ? base->commit : "(unknown)",
			       why ? why : "its boot could not be checked");
	set_verdict(tip, PC_VERDICT_UNCHECKED);
}

void pc_baseline_judge(PcBuildResult *tip, GPtrArray *tip_errors,
		       const PcBaseline *base, const char *why)
{
	PcBaselineNeed need = pc_baseline_need(tip);
	PcBuildBaseline *bl = record(tip, base);
	gboolean usable = need == PC_BASELINE_CONFIGURE
				  ? base->config_rust != NULL
				  : !g_strcmp0(base->verdict, PC_VERDICT_PASS) ||
					    !g_strcmp0(base->verdict,
						       PC_VERDICT_FAIL);

	if (need == PC_BASELINE_NONE)
		return;
	if (need == PC_BASELINE_BOOT)
		judge_boot(tip, base, usable, why);
	else if (!usable)
		unchecked(tip, base, why);
	else if (need == PC_BASELINE_CONFIGURE)
		judge_config(tip, base);
	else
		judge_errors(tip, tip_errors, base, bl);
}
