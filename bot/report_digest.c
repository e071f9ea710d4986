// SPDX-License-Identifier: GPL-2.0-only
/*
 * report_digest: the daily digest mail, one line per pull request,
 * grouped by verdict, under 80 columns.
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include <string.h>

#include "autocleanup.h"
#include "reply.h"
#include "report_parts.h"

#define DIGEST_WIDTH 79

/* @s cut to @width characters, "..." marking the cut. (transfer full) */
static char *fit(const char *s, glong width)
{
	glong len = g_utf8_strlen(s, -1);

	if (len <= width)
		return g_strdup(s);
	if (width <= 3)
		return g_strndup("...", width);
	{
		g_autofree char *head = g_utf8_substring(s, 0, width - 3);

		return g_strconcat(head, "...", NULL);
	}
}

/*
 * "  0123456789ab  sender  subject -- first error", under 80 columns.
 * Every line is a pull request, so "[GIT PULL] " says nothing and goes,
 * and the error names its file without the directory; what still does
 * not fit is cut, the subject down to half the room, so that the
 * error keeps its start.
 */
static char *digest_line(const PcReportRow *row)
{
	g_autofree char *tip = row->tip ? g_strndup(row->tip, 12)
					: g_strdup("(no tip)");
	const PcStoreJob *job = row->job;
	g_autofree char *from = pc_report_one_line(
		job->from_addr ? job->from_addr : "unknown");
	g_autofree char *one = pc_report_one_line(
		job->subject ? job->subject : "(no subject)");
	g_autofree char *subject = job->pulled_at
		? g_strconcat(one, " (pulled)", NULL) : g_strdup(one);
	const char *subj = g_ascii_strncasecmp(subject, "[GIT PULL] ", 11)
				   ? subject : subject + 11;
	g_autofree char *err = row->brief_error
		? pc_report_one_line(row->brief_error)
		: row->brief ? pc_report_one_line(row->brief) : NULL;
	g_autofree char *sender = fit(from, 24);
	glong room = DIGEST_WIDTH - 2 - 12 - 2 - g_utf8_strlen(sender, -1) - 2;
	glong slen = g_utf8_strlen(subj, -1);
	glong elen = err ? g_utf8_strlen(err, -1) : 0;
	glong swidth = room;
	g_autofree char *s = NULL, *e = NULL;

	if (err) {
		room -= 4;	/* " -- " */
		swidth = slen + elen <= room ? slen
					     : MAX(room - elen, MIN(slen, room / 2));
		e = fit(err, room - MIN(slen, swidth));
	}
	s = fit(subj, swidth);
	return g_strdup_printf("  %-12s  %s  %s%s%s", tip, sender, s,
			       e ? " -- " : "", e ? e : "");
}

/*
 * The rows by verdict, fail first, and in each the oldest unpulled
 * first: what has waited longest is what a maintainer takes up next;
 * those a merge acknowledgement said were pulled come last, marked.
 */
static char *digest_body(GPtrArray *rows, gint64 since, gint64 until,
			 const guint *counts, gboolean top_level)
{
	GString *out = g_string_new(NULL);
	g_autofree char *from = pc_report_utc_format(since, "%Y-%m-%d %H:%M");
	g_autofree char *to = pc_report_utc_format(until, "%Y-%m-%d %H:%M");

	g_string_append_printf(out, "Pull requests received from %s to %s UTC: "
			       "%u.\n%s\n", from, to, rows->len,
			       top_level ? "Only those to the [reply] top_level "
					   "recipients; the oldest unpulled first."
					 : "The oldest unpulled first.");
	for (guint s = 0; s < PC_REPORT_N_SECTIONS; s++) {
		g_autofree char *label = g_ascii_strup(
			pc_report_section_label(s), -1);

		if (!pc_report_section_always(s) && !counts[s])
			continue;	/* nothing in progress, or of a rare kind */
		g_string_append_printf(out, "\n%s (%u)\n", label, counts[s]);
		if (counts[s] && pc_report_section_note(s))
			g_string_append_printf(out, "  %s\n",
					       pc_report_section_note(s));
		if (!counts[s])
			g_string_append(out, "  none\n");
		/* The unpulled first, then those a merge ack said were. */
		for (guint pulled = 0; pulled < 2; pulled++)
			for (guint i = rows->len; i-- > 0;) {	/* newest first */
				const PcReportRow *row = rows->pdata[i];
				g_autofree char *line = NULL;

				if (row->section != s ||
				    !row->job->pulled_at != !pulled)
					continue;
				line = digest_line(row);
				g_string_append_printf(out, "%s\n", line);
			}
	}
	g_string_append(out, "\n-- \npullcheck daily digest; the whole day is on "
			     "the dashboard.\n");
	return g_string_free(out, FALSE);
}

static gboolean add_recipients(GMimeMessage *msg, const PcConfig *config,
			       GError **error)
{
	InternetAddressList *to = g_mime_message_get_to(msg);
	g_autoptr(InternetAddressList) from = internet_address_list_parse(
		NULL, config->reply_from);

	if (!from || !internet_address_list_length(from)) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_ADDRESS,
			    "[reply] from is not an address: %s",
			    config->reply_from);
		return FALSE;
	}
	internet_address_list_append(g_mime_message_get_from(msg), from);
	for (char **a = config->report_digest_to; a && *a; a++) {
		g_autoptr(InternetAddressList) list =
			internet_address_list_parse(NULL, *a);

		if (!list || !internet_address_list_length(list)) {
			g_set_error(error, PC_REPORT_ERROR,
				    PC_REPORT_ERROR_ADDRESS,
				    "[report] digest_to: not an address: %s", *a);
			return FALSE;
		}
		internet_address_list_append(to, list);
	}
	if (!internet_address_list_length(to)) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_ADDRESS,
			    "[report] digest_to is empty: name who gets the "
			    "digest");
		return FALSE;
	}
	return TRUE;
}

/*
 * "pullcheck digest DAY: 1 fail, 0 could not check, 2 pass": each
 * outcome with a verdict, the rarer ones only when there are any.
 */
static char *digest_subject(const char *day, const guint *counts)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "pullcheck digest %s:", day);
	for (guint s = 0, n = 0; s < PC_REPORT_N_SECTIONS; s++)
		if (pc_report_section_verdict(s) &&
		    (counts[s] || pc_report_section_always(s)))
			g_string_append_printf(out, "%s %u %s", n++ ? "," : "",
					       counts[s],
					       pc_report_section_label(s));
	return g_string_free(out, FALSE);
}

static GMimeMessage *digest_message(const PcConfig *config, const char *day,
				    const char *text, const guint *counts,
				    GError **error)
{
	g_autoptr(GMimeMessage) msg = g_mime_message_new(TRUE);
	g_autoptr(GMimeTextPart) part = g_mime_text_part_new_with_subtype("plain");
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *domain = pc_reply_from_domain(config);
	g_autofree char *id = g_strdup_printf("pullcheck-digest-%s@%s", day,
					      domain);
	g_autofree char *subject = digest_subject(day, counts);

	if (!add_recipients(msg, config, error))
		return NULL;
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, now);
	g_mime_message_set_message_id(msg, id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Pullcheck-Digest", day,
				 NULL);
	g_mime_text_part_set_text(part, text);
	g_mime_object_encode(GMIME_OBJECT(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	return g_steal_pointer(&msg);
}

GBytes *pc_report_digest(const PcConfig *config, PcStore *store,
			 gint64 since, gint64 until, const char *day,
			 GError **error)
{
	g_autoptr(GPtrArray) jobs = pc_report_jobs_received(store, since,
							    until, error);
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *text = NULL;
	guint counts[PC_REPORT_N_SECTIONS] = { 0 };
	gboolean top_level = !g_strcmp0(config->report_digest, "top_level");
	char *mail;

	if (!jobs)
		return NULL;
	rows = pc_report_rows_new(jobs);
	/*
	 * [report] digest = top_level: only what the top-level maintainer
	 * was sent (a pull request recorded before this was kept stays).
	 */
	for (guint i = rows->len; top_level && i-- > 0;)
		if (((PcReportRow *)rows->pdata[i])->job->top_level ==
		    PC_STORE_TOP_LEVEL_NO)
			g_ptr_array_remove_index(rows, i);
	for (guint i = 0; i < rows->len; i++)
		counts[((PcReportRow *)rows->pdata[i])->section]++;
	text = digest_body(rows, since, until, counts, top_level);
	msg = digest_message(config, day, text, counts, error);
	if (!msg)
		return NULL;
	mail = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(mail, strlen(mail));
}

