// SPDX-License-Identifier: GPL-2.0-only
/*
 * report_rows: the pull requests of a time as the report shows them,
 * read from the job store (its result and its stored reply), and the
 * text helpers every part of the report shares.
 *
 * Everything shown comes from mail, which is hostile input. Every string
 * is made valid UTF-8 without the control characters XML forbids, then
 * escaped here, in C, before the template sees it: a template (the
 * operator's own too) prints values as they are and cannot forget to
 * escape one.
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include <string.h>

#include "autocleanup.h"
#include "json.h"
#include "mail.h"
#include "report_parts.h"
#include "verdict.h"
#include "result.h"

#define LORE_URL "https://lore.kernel.org/r/"
/* Bounds, so that a flood of mail makes a long page, not a huge one. */
#define MAX_JOBS 5000

/*
 * The report's sections, one per outcome, in the order a maintainer
 * triages: a partial pass or a command's is never counted with the
 * policy's pass. The last holds the jobs with no verdict yet.
 */
static const PcOutcome SECTIONS[] = {
	PC_OUTCOME_FAIL,	 PC_OUTCOME_UNVERIFIED,	  PC_OUTCOME_UNCHECKED,
	PC_OUTCOME_PASS_PARTIAL, PC_OUTCOME_PASS_COMMAND, PC_OUTCOME_PASS,
	PC_OUTCOME_NONE,
};
G_STATIC_ASSERT(G_N_ELEMENTS(SECTIONS) == PC_REPORT_N_SECTIONS);

const char *pc_report_section_verdict(guint section)
{
	return pc_outcome_token(SECTIONS[section]);
}

const char *pc_report_section_name(guint section)
{
	const char *verdict = pc_report_section_verdict(section);

	return verdict ? verdict : "in-progress";
}

const char *pc_report_section_label(guint section)
{
	return pc_outcome_label(SECTIONS[section]);
}

const char *pc_report_section_note(guint section)
{
	return pc_outcome_note(SECTIONS[section]);
}

gboolean pc_report_section_always(guint section)
{
	PcOutcome o = SECTIONS[section];

	return o == PC_OUTCOME_FAIL || o == PC_OUTCOME_UNCHECKED ||
	       o == PC_OUTCOME_PASS;
}

static void row_free(PcReportRow *row)
{
	g_free(row->key);
	g_free(row->tip);
	g_free(row->scope);
	g_free(row->summary);
	g_free(row->boot);
	g_free(row->brief);
	g_free(row->first_error);
	g_free(row->brief_error);
	g_free(row->first_diag);
	g_free(row->reproduce);
	g_free(row->log_path);
	g_free(row->log_href);
	g_free(row->config_href);
	g_strfreev(row->lists);
	g_free(row->reply_text);
	g_free(row);
}

/* --- text ------------------------------------------------------------ */

/*
 * @s as valid UTF-8 holding only characters XML 1.0 allows and a reader
 * should see: invalid bytes, C0 and C1 controls (but tab and newline)
 * and the non-characters become U+FFFD. (transfer full)
 */
static char *clean_text(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ||
		    (c >= 0x80 && c < 0xa0) || c == 0xfffe || c == 0xffff)
			g_string_append_unichar(out, 0xfffd);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

char *pc_report_escape(const char *s)
{
	g_autofree char *clean = clean_text(s);

	return g_markup_escape_text(clean, -1);
}

char *pc_report_one_line(const char *s)
{
	g_autofree char *clean = clean_text(s);
	g_auto(GStrv) words = g_strsplit_set(g_strstrip(clean), " \t\n", -1);
	GString *out = g_string_new(NULL);

	for (char **w = words; *w; w++)
		if (**w)
			g_string_append_printf(out, "%s%s", out->len ? " " : "",
					       *w);
	return g_string_free(out, FALSE);
}

char *pc_report_utc_format(gint64 t, const char *format)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt ? g_date_time_format(dt, format) : g_strdup("?");
}

/* The Message-ID without its angle brackets. */
static char *bare_message_id(const char *id)
{
	g_autofree char *s = g_strstrip(g_strdup(id ? id : ""));
	gsize len = strlen(s);

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
		return g_strndup(s + 1, len - 2);
	return g_steal_pointer(&s);
}

char *pc_report_lore_link(const PcStoreJob *job)
{
	g_autofree char *id = bare_message_id(job->message_id);
	g_autofree char *escaped = g_uri_escape_string(id, "@", FALSE);

	return g_strconcat(LORE_URL, escaped, NULL);
}

/* --- the job result -------------------------------------------------- */

static void read_result(PcReportRow *row, JsonObject *result)
{
	const char *verdict = row->job->verdict;
	PcCoverage ran;
	gboolean built;

	if (!result)
		return;
	/* A re-check's row stands for its pull request's. */
	row->key = g_strdup(pc_json_get_string(result, "recheck_of")
				    ? pc_json_get_string(result, "recheck_of")
				    : pc_json_get_string(result, "job"));
	built = pc_result_ran(result, &ran);
	row->summary = pc_outcome_summary(pc_result_outcome(result),
					  built ? &ran : NULL);
	row->boot = pc_result_boot_line(result);
	row->brief = pc_outcome_brief(pc_result_outcome(result),
				      built ? &ran : NULL);
	row->tip = g_strdup(pc_result_tip(result));
	row->scope = g_strdup(pc_result_scope(result));
	row->log_path = g_strdup(pc_result_log_path(result));
	row->reproduce = pc_result_reproduce(result);
	row->first_error = pc_result_first_error(result, verdict, FALSE);
	row->brief_error = pc_result_first_error(result, verdict, TRUE);
	row->first_diag = pc_result_first_diagnostic(result);
	if (!row->first_diag)
		row->first_diag = g_strdup(row->first_error);
}

/* --- the stored reply ------------------------------------------------ */

static char **mailbox_addresses(InternetAddressList *list)
{
	int n = list ? internet_address_list_length(list) : 0;
	GPtrArray *out = g_ptr_array_new();

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			g_ptr_array_add(out, g_ascii_strdown(
				internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(a)), -1));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void append_field(GString *out, const char *name,
			 InternetAddressList *list)
{
	g_autofree char *text = list && internet_address_list_length(list)
		? internet_address_list_to_string(list, NULL, FALSE) : NULL;

	if (text)
		g_string_append_printf(out, "%s: %s\n", name, text);
}

/* What a reader of the reply sees: a few header fields, then the text. */
static char *reply_as_read(GMimeMessage *msg)
{
	GString *out = g_string_new(NULL);
	GMimeObject *body = g_mime_message_get_body(msg);
	const char *subject = g_mime_message_get_subject(msg);

	append_field(out, "From", g_mime_message_get_from(msg));
	append_field(out, "To", g_mime_message_get_to(msg));
	append_field(out, "Cc", g_mime_message_get_cc(msg));
	if (subject)
		g_string_append_printf(out, "Subject: %s\n", subject);
	g_string_append_c(out, '\n');
	if (body && GMIME_IS_TEXT_PART(body)) {
		g_autofree char *text = g_mime_text_part_get_text(
			GMIME_TEXT_PART(body));

		g_string_append(out, text ? text : "");
	}
	return g_string_free(out, FALSE);
}

static void read_reply(PcReportRow *row)
{
	const char *text = row->job->reply;
	g_autoptr(GMimeMessage) msg = NULL;

	if (!text)
		return;
	/* Our own reply, already in memory: no cap to apply. */
	msg = pc_mail_parse_message(text, strlen(text), G_MAXSIZE, NULL);
	if (!msg) {
		row->reply_text = g_strdup(text);
		return;
	}
	row->lists = mailbox_addresses(g_mime_message_get_cc(msg));
	row->reply_text = reply_as_read(msg);
}

/* --- the rows -------------------------------------------------------- */

/*
 * The section of @job, its outcome's (for a job stored without a result,
 * its verdict's), or -1 when it is not shown (not a pull request).
 */
static int section_of(const PcStoreJob *job, JsonObject *result)
{
	PcOutcome o = PC_OUTCOME_NONE;

	if (!g_strcmp0(job->state, PC_STATE_IGNORED) ||
	    !g_strcmp0(job->state, PC_STATE_SUPERSEDED) ||
	    !g_strcmp0(job->verdict, PC_VERDICT_NOT_PR))
		return -1;
	if (job->verdict)
		o = result ? pc_result_outcome(result)
			   : pc_outcome_parse(job->verdict);
	/* A result that disagrees with the store's verdict: the verdict. */
	if (pc_outcome_verdict(o) != pc_verdict_parse(job->verdict))
		o = pc_outcome_parse(job->verdict);
	for (guint i = 0; i < G_N_ELEMENTS(SECTIONS); i++)
		if (SECTIONS[i] == o)
			return i;
	return G_N_ELEMENTS(SECTIONS) - 1;	/* in progress */
}

GPtrArray *pc_report_rows_new(GPtrArray *jobs)
{
	GPtrArray *rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
	g_autoptr(GHashTable) shown = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < jobs->len; i++) {
		const PcStoreJob *job = jobs->pdata[i];
		g_autoptr(JsonObject) result = pc_result_parse(job->result_json);
		int section = section_of(job, result);
		PcReportRow *row;

		if (section < 0)
			continue;
		row = g_new0(PcReportRow, 1);
		row->job = job;
		row->section = section;
		read_result(row, result);
		/* A newer verdict on the same pull request supersedes. */
		if (row->key && !g_hash_table_add(shown, row->key)) {
			row_free(row);
			continue;
		}
		read_reply(row);
		if (!row->lists)
			row->lists = g_new0(char *, 1);
		g_ptr_array_add(rows, row);
	}
	return rows;
}

GPtrArray *pc_report_jobs_received(PcStore *store, gint64 since,
				   gint64 until, GError **error)
{
	GPtrArray *jobs = pc_store_list_jobs_received(store, since, until,
						      MAX_JOBS, error);

	if (jobs && jobs->len == MAX_JOBS)
		g_message("more than %d jobs in the report's time; the oldest "
			  "are left out", MAX_JOBS);
	return jobs;
}

