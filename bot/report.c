// SPDX-License-Identifier: GPL-2.0-only
/*
 * report: the annotations feed, the dashboard and the digest, read from
 * the job store.
 *
 * Everything shown comes from mail, which is hostile input. Every string
 * is made valid UTF-8 without the control characters XML forbids, then
 * escaped here, in C, before the template sees it: a template (the
 * operator's own too) prints values as they are and cannot forget to
 * escape one.
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <tmpl-glib.h>
#include <unistd.h>

#include "autocleanup.h"
#include "mail.h"
#include "reply.h"
#include "report.h"
#include "result.h"
#include "template.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-report-error-quark, pc_report_error)

#define LORE_URL "https://lore.kernel.org/r/"
/* Bounds, so that a flood of mail makes a long page, not a huge one. */
#define MAX_JOBS 5000
#define MAX_LISTS 64
#define LOG_HEAD_BYTES (PC_REPORT_LOG_MAX_BYTES / 4)
#define DIGEST_WIDTH 79

/*
 * The dashboard's sections, in the order a maintainer triages; the last
 * holds the jobs with no verdict yet.
 */
static const PcVerdict SECTIONS[] = {
	PC_VERDICT_IS_FAIL, PC_VERDICT_IS_UNCHECKED, PC_VERDICT_IS_PASS,
	PC_VERDICT_UNKNOWN,
};

/* The verdict's name, NULL for the jobs in progress. */
static const char *section_verdict(guint section)
{
	return pc_verdict_name(SECTIONS[section]);
}

/* The section's id in the page and the feed. */
static const char *section_name(guint section)
{
	return section_verdict(section) ? section_verdict(section)
					: "in-progress";
}

static const char *section_label(guint section)
{
	return pc_verdict_label(SECTIONS[section]);
}

/* One pull request, with what the report shows of its result. */
typedef struct {
	const PcJob *job;	/* borrowed from the store's list */
	guint section;		/* index into SECTIONS */
	char *tip;
	char *scope;
	char *first_error;	/* the first error, else NULL */
	char *brief_error;	/* the same with the file's base name only */
	char *first_diag;	/* the first diagnostic, else the first error */
	char *reproduce;	/* the commands, one a line */
	char *log_path;		/* the build log as the result names it */
	char *log_href;		/* logs/ID.log once copied */
	char **lists;		/* where the reply went (its Cc), lower case */
	char *reply_text;	/* the reply's header fields and body, decoded */
} Row;

static void row_free(Row *row)
{
	g_free(row->tip);
	g_free(row->scope);
	g_free(row->first_error);
	g_free(row->brief_error);
	g_free(row->first_diag);
	g_free(row->reproduce);
	g_free(row->log_path);
	g_free(row->log_href);
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

/* Text for XML and HTML, content and attribute values alike. */
static char *escape(const char *s)
{
	g_autofree char *clean = clean_text(s);

	return g_markup_escape_text(clean, -1);
}

/* On one line: every run of white space a single space. */
static char *one_line(const char *s)
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

static char *utc_format(gint64 t, const char *format)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt ? g_date_time_format(dt, format) : g_strdup("?");
}

/* RFC 3339, as Atom wants it. */
static char *rfc3339(gint64 t)
{
	return utc_format(t, "%Y-%m-%dT%H:%M:%SZ");
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

/* The archive's page of the pull request: Message-ID, URL-escaped. */
static char *lore_link(const PcJob *job)
{
	g_autofree char *id = bare_message_id(job->message_id);
	g_autofree char *escaped = g_uri_escape_string(id, "@", FALSE);

	return g_strconcat(LORE_URL, escaped, NULL);
}

/* --- the job result -------------------------------------------------- */

static void read_result(Row *row)
{
	g_autoptr(JsonObject) result = pc_result_parse(row->job->result_json);
	const char *verdict = section_verdict(row->section);

	if (!result)
		return;
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

static void read_reply(Row *row)
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

/* The section of @job, or -1 when it is not shown (not a pull request). */
static int section_of(const PcJob *job)
{
	if (!g_strcmp0(job->state, PC_STATE_IGNORED) ||
	    !g_strcmp0(job->state, PC_STATE_SUPERSEDED) ||
	    !g_strcmp0(job->verdict, PC_VERDICT_NOT_PR))
		return -1;
	for (guint i = 0; i < G_N_ELEMENTS(SECTIONS); i++)
		if (section_verdict(i) &&
		    !g_strcmp0(job->verdict, section_verdict(i)))
			return i;
	return G_N_ELEMENTS(SECTIONS) - 1;	/* in progress */
}

/* The pull requests among @jobs, as rows. (transfer full, Row*) */
static GPtrArray *make_rows(GPtrArray *jobs)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);

	for (guint i = 0; i < jobs->len; i++) {
		const PcJob *job = jobs->pdata[i];
		int section = section_of(job);
		Row *row;

		if (section < 0)
			continue;
		row = g_new0(Row, 1);
		row->job = job;
		row->section = section;
		read_result(row);
		read_reply(row);
		if (!row->lists)
			row->lists = g_new0(char *, 1);
		g_ptr_array_add(rows, row);
	}
	return rows;
}

static GPtrArray *jobs_received(PcStore *store, gint64 since, gint64 until,
				GError **error)
{
	GPtrArray *jobs = pc_store_list_jobs_received(store, since, until,
						      MAX_JOBS, error);

	if (jobs && jobs->len == MAX_JOBS)
		g_message("more than %d jobs in the report's time; the oldest "
			  "are left out", MAX_JOBS);
	return jobs;
}

/* --- files ----------------------------------------------------------- */

/* Temporary name, then rename: a reader sees the old file or the new. */
static gboolean write_file(const char *dir, const char *name,
			   const char *data, gsize len, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) local = NULL;

	if (!g_file_set_contents_full(path, data, len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				      &local)) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_WRITE,
			    "%s", local->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean read_at(int fd, char *buf, gsize len, goffset at)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		buf += n;
		len -= n;
		at += n;
	}
	return TRUE;
}

/*
 * The log at @path, whole when it is small, else its head and its tail
 * (where make stops) with a line that says what was left out. Bounded
 * before anything is read. (transfer full)
 */
static GBytes *read_log(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	gsize head, tail;
	char *buf;
	g_autofree char *cut = NULL;
	GString *out;
	int err;

	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
			    "%s: %s", path, g_strerror(err));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s: not a file", path);
		close(fd);
		return NULL;
	}
	head = MIN((gsize)st.st_size, PC_REPORT_LOG_MAX_BYTES);
	tail = 0;
	if ((gsize)st.st_size > PC_REPORT_LOG_MAX_BYTES) {
		head = LOG_HEAD_BYTES;
		tail = PC_REPORT_LOG_MAX_BYTES - LOG_HEAD_BYTES;
		cut = g_strdup_printf("\n[pullcheck: %" G_GUINT64_FORMAT
				      " bytes of the log left out here]\n",
				      (guint64)(st.st_size - head - tail));
	}
	buf = g_malloc(head + tail);
	if (!read_at(fd, buf, head, 0) ||
	    (tail && !read_at(fd, buf + head, tail, st.st_size - tail))) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO,
			    "%s: cannot read it", path);
		close(fd);
		g_free(buf);
		return NULL;
	}
	close(fd);
	out = g_string_new_len(buf, head);
	if (tail) {
		g_string_append(out, cut);
		g_string_append_len(out, buf + head, tail);
	}
	g_free(buf);
	return g_string_free_to_bytes(out);
}

/* Copies each row's build log into logs/; a log gone is no error. */
static gboolean copy_logs(const char *out_dir, GPtrArray *rows,
			  GHashTable *keep, GError **error)
{
	g_autofree char *logs = g_build_filename(out_dir, PC_REPORT_LOGS, NULL);

	if (g_mkdir_with_parents(logs, 0755) < 0) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_WRITE,
			    "cannot make %s: %s", logs, g_strerror(errno));
		return FALSE;
	}
	for (guint i = 0; i < rows->len; i++) {
		Row *row = rows->pdata[i];
		g_autofree char *name = NULL;
		g_autoptr(GBytes) log = NULL;
		g_autoptr(GError) local = NULL;

		if (!row->log_path)
			continue;
		log = read_log(row->log_path, &local);
		if (!log) {
			g_message("job %" G_GINT64_FORMAT ": no build log to copy: %s",
				  row->job->id, local->message);
			continue;
		}
		name = g_strdup_printf("%" G_GINT64_FORMAT ".log", row->job->id);
		if (!write_file(logs, name, g_bytes_get_data(log, NULL),
				g_bytes_get_size(log), error))
			return FALSE;
		row->log_href = g_strconcat(PC_REPORT_LOGS "/", name, NULL);
		g_hash_table_add(keep, g_strdup(row->log_href));
	}
	return TRUE;
}

/* Whether @name is one of ours that can go stale: NUMBER.log, list-*.html. */
static gboolean is_ours(const char *subdir, const char *name)
{
	gsize len = strlen(name);

	if (subdir)
		return len > 4 && g_str_has_suffix(name, ".log") &&
		       strspn(name, "0123456789") == len - 4;
	return g_str_has_prefix(name, "list-") && g_str_has_suffix(name, ".html");
}

/* Removes the pages and logs of ours that this run did not write. */
static void prune(const char *out_dir, const char *subdir, GHashTable *keep)
{
	g_autofree char *dir_path = subdir ? g_build_filename(out_dir, subdir,
							       NULL)
					   : g_strdup(out_dir);
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *rel = subdir ? g_strconcat(subdir, "/", name, NULL)
					      : g_strdup(name);
		g_autofree char *path = NULL;

		if (!is_ours(subdir, name) || g_hash_table_contains(keep, rel))
			continue;
		path = g_build_filename(dir_path, name, NULL);
		if (g_unlink(path) < 0)
			g_message("cannot remove %s: %s", path, g_strerror(errno));
	}
}

/* --- feed.atom ------------------------------------------------------- */

static void xml_element(GString *out, const char *indent, const char *name,
			const char *text)
{
	g_autofree char *escaped = escape(text);

	g_string_append_printf(out, "%s<%s>%s</%s>\n", indent, name, escaped,
			       name);
}

/*
 * A tag: URI (RFC 4151) from the job key, which hashes the Message-ID and
 * the body: the same pull request always has the same id, whatever its
 * verdict, and two mails that share a Message-ID have two.
 */
static char *entry_id(const char *domain, const PcJob *job)
{
	g_autofree char *key = pc_result_job_key(job->message_id,
						 job->body_sha256);
	g_autofree char *date = utc_format(job->received_at, "%Y-%m-%d");

	return g_strdup_printf("tag:%s,%s:pullcheck/job/%s", domain, date, key);
}

static char *entry_summary(const Row *row)
{
	return g_strdup_printf("Verdict: %s\nTip: %s\nScope: %s\n"
			       "First diagnostic: %s",
			       section_label(row->section),
			       row->tip ? row->tip : "unknown",
			       row->scope ? row->scope : "none",
			       row->first_diag ? row->first_diag : "none");
}

static void feed_entry(GString *out, const char *domain, const Row *row)
{
	const PcJob *job = row->job;
	g_autofree char *id = entry_id(domain, job);
	g_autofree char *link = lore_link(job);
	g_autofree char *href = escape(link);
	g_autofree char *published = rfc3339(job->received_at);
	g_autofree char *updated = rfc3339(MAX(job->updated_at,
					       job->received_at));
	g_autofree char *summary = entry_summary(row);
	g_autofree char *title = one_line(job->subject ? job->subject
						       : "(no subject)");

	g_string_append(out, "  <entry>\n");
	xml_element(out, "    ", "id", id);
	xml_element(out, "    ", "title", title);
	g_string_append_printf(out, "    <link rel=\"alternate\" "
			       "type=\"text/html\" href=\"%s\"/>\n", href);
	g_string_append_printf(out, "    <link rel=\"related\" type=\"text/html\""
			       " href=\"index.html#job-%" G_GINT64_FORMAT "\"/>\n",
			       job->id);
	xml_element(out, "    ", "published", published);
	xml_element(out, "    ", "updated", updated);
	g_string_append(out, "    <author>\n");
	xml_element(out, "      ", "name",
		    job->from_addr ? job->from_addr : "unknown");
	g_string_append(out, "    </author>\n");
	g_string_append_printf(out, "    <category term=\"%s\" label=\"%s\"/>\n",
			       section_name(row->section),
			       section_label(row->section));
	xml_element(out, "    ", "summary", summary);
	g_string_append(out, "  </entry>\n");
}

static char *feed_text(const PcConfig *config, GPtrArray *rows, gint64 now)
{
	GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
				    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
	g_autofree char *domain = pc_reply_from_domain(config);
	g_autofree char *feed_id = g_strdup_printf("tag:%s,2025:pullcheck/feed",
						   domain);
	g_autofree char *updated = NULL;
	gint64 latest = 0;

	for (guint i = 0; i < rows->len; i++) {
		const Row *row = rows->pdata[i];

		if (section_verdict(row->section))
			latest = MAX(latest, MAX(row->job->updated_at,
						 row->job->received_at));
	}
	updated = rfc3339(latest ? latest : now);
	xml_element(out, "  ", "id", feed_id);
	xml_element(out, "  ", "title", "pullcheck: pull requests and verdicts");
	xml_element(out, "  ", "updated", updated);
	g_string_append(out, "  <author>\n    <name>pullcheck</name>\n"
			     "  </author>\n"
			     "  <generator>pullcheck</generator>\n"
			     "  <link rel=\"alternate\" type=\"text/html\" "
			     "href=\"index.html\"/>\n");
	for (guint i = 0; i < rows->len; i++) {
		const Row *row = rows->pdata[i];

		if (section_verdict(row->section))
			feed_entry(out, domain, row);
	}
	g_string_append(out, "</feed>\n");
	return g_string_free(out, FALSE);
}

/* --- index.html: the template's objects ------------------------------ */

/*
 * What the template reads as r.subject, s.rows, l.href: items whose
 * strings are escaped here.
 */

/* Sets @prop to @text, escaped; NULL leaves it unset (false in {{if}}). */
static void item_set(PcTemplateItem *item, const char *prop, const char *text)
{
	pc_template_item_take(item, prop, text ? escape(text) : NULL);
}

static void item_set_int(PcTemplateItem *item, const char *prop, gint64 n)
{
	g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, n);

	item_set(item, prop, text);
}

static PcTemplateItem *row_item(const Row *row)
{
	PcTemplateItem *item = pc_template_item_new();
	const PcJob *job = row->job;
	g_autofree char *anchor = g_strdup_printf("job-%" G_GINT64_FORMAT,
						  job->id);
	g_autofree char *date = utc_format(job->received_at,
					   "%Y-%m-%d %H:%M UTC");
	g_autofree char *link = lore_link(job);
	g_autofree char *tip_short = row->tip ? g_strndup(row->tip, 12) : NULL;
	g_autofree char *lists = g_strjoinv(", ", row->lists);

	item_set_int(item, "job", job->id);
	item_set(item, "anchor", anchor);
	item_set(item, "subject", job->subject ? job->subject : "(no subject)");
	item_set(item, "sender", job->from_addr ? job->from_addr : "unknown");
	item_set(item, "date", date);
	item_set(item, "verdict", section_name(row->section));
	item_set(item, "label", section_label(row->section));
	item_set(item, "tip", row->tip);
	item_set(item, "tip_short", tip_short);
	item_set(item, "scope", row->scope);
	item_set(item, "first_error", row->first_error);
	item_set(item, "reply", row->reply_text);
	item_set(item, "log_href", row->log_href);
	item_set(item, "reproduce", row->reproduce);
	item_set(item, "lists", *lists ? lists : NULL);
	item_set(item, "link", link);
	return item;
}

static gboolean row_went_to(const Row *row, const char *list)
{
	return !list || g_strv_contains((const char *const *)row->lists, list);
}

/* The verdict sections of the rows that went to @list (NULL: all). */
static GListModel *sections_model(GPtrArray *rows, GPtrArray *items,
				  const char *list, guint *total)
{
	GListStore *sections = g_list_store_new(PC_TYPE_TEMPLATE_ITEM);

	*total = 0;
	for (guint s = 0; s < G_N_ELEMENTS(SECTIONS); s++) {
		g_autoptr(PcTemplateItem) section = pc_template_item_new();
		GListStore *store = g_list_store_new(PC_TYPE_TEMPLATE_ITEM);
		guint n = 0;

		for (guint i = 0; i < rows->len; i++) {
			const Row *row = rows->pdata[i];

			if (row->section == s && row_went_to(row, list)) {
				g_list_store_append(store, items->pdata[i]);
				n++;
			}
		}
		*total += n;
		pc_template_item_take_rows(section, G_LIST_MODEL(store));
		item_set(section, "name", section_name(s));
		item_set(section, "label", section_label(s));
		item_set_int(section, "count", n);
		item_set(section, "empty", n ? NULL : "yes");
		g_list_store_append(sections, section);
	}
	return G_LIST_MODEL(sections);
}

/* A file name for @list's page: list-ADDRESS.html, safe characters only. */
static char *list_page_name(const char *list, GHashTable *taken)
{
	GString *out = g_string_new("list-");

	for (const char *p = list; *p && out->len < 80; p++) {
		if (g_ascii_isalnum(*p) || *p == '.' || *p == '-' || *p == '_')
			g_string_append_c(out, g_ascii_tolower(*p));
		else if (*p == '@')
			g_string_append(out, "_at_");
		else
			g_string_append_c(out, '_');
	}
	for (guint n = 2; g_hash_table_contains(taken, out->str); n++) {
		g_autofree char *base = g_strndup(out->str, strcspn(out->str, "~"));

		g_string_printf(out, "%s~%u", base, n);
	}
	g_hash_table_add(taken, g_strdup(out->str));
	g_string_append(out, ".html");
	return g_string_free(out, FALSE);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The mailing lists of @rows, sorted. (transfer container) */
static GPtrArray *collect_lists(GPtrArray *rows)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *lists = g_ptr_array_new();

	for (guint i = 0; i < rows->len; i++) {
		const Row *row = rows->pdata[i];

		for (char **l = row->lists; *l; l++)
			if (g_hash_table_add(seen, *l))
				g_ptr_array_add(lists, *l);
	}
	g_ptr_array_sort(lists, compare_strings);
	if (lists->len > MAX_LISTS) {
		g_message("replies went to %u mailing lists; the dashboard has "
			  "pages for the first %d", lists->len, MAX_LISTS);
		g_ptr_array_set_size(lists, MAX_LISTS);
	}
	return lists;
}

/* The list navigation; @pages gets each list's page name. */
static GListModel *lists_model(GPtrArray *rows, GPtrArray *lists,
			       GPtrArray *pages)
{
	GListStore *store = g_list_store_new(PC_TYPE_TEMPLATE_ITEM);
	g_autoptr(GHashTable) taken = g_hash_table_new_full(g_str_hash,
							    g_str_equal, g_free,
							    NULL);

	for (guint i = 0; i < lists->len; i++) {
		g_autoptr(PcTemplateItem) item = pc_template_item_new();
		char *page = list_page_name(lists->pdata[i], taken);
		guint n = 0;

		for (guint r = 0; r < rows->len; r++)
			n += row_went_to(rows->pdata[r], lists->pdata[i]);
		item_set(item, "address", lists->pdata[i]);
		item_set(item, "href", page);
		item_set_int(item, "count", n);
		g_ptr_array_add(pages, page);
		g_list_store_append(store, item);
	}
	return G_LIST_MODEL(store);
}

/* --- index.html: the template ---------------------------------------- */

/*
 * The operator's directory ([reply] templates) first, then the built-in
 * copies: an operator who changed only the replies keeps a dashboard.
 */
static TmplTemplate *load_template(const PcConfig *config, const char *name,
				   GError **error)
{
	g_autoptr(GError) local = NULL;
	TmplTemplate *tmpl = pc_template_load(config->reply_templates, name,
					      PC_TEMPLATE_OVERLAY, &local);

	if (!tmpl)
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_TEMPLATE,
			    "dashboard template %s", local->message);
	return tmpl;
}

static void scope_set(TmplScope *scope, const char *name, const char *text)
{
	g_autofree char *escaped = text ? escape(text) : NULL;

	if (escaped)
		tmpl_scope_set_string(scope, name, escaped);
	else
		tmpl_scope_set_null(scope, name);
}

typedef struct {
	const PcConfig *config;
	const char *out_dir;
	TmplTemplate *tmpl;
	GPtrArray *rows;	/* Row* */
	GPtrArray *items;	/* PcTemplateItem*, one per row */
	GListModel *lists;	/* PcTemplateItem*, one per list */
	char *generated;
} Dashboard;

/* Renders one page: every row (@list NULL) or those sent to @list. */
static gboolean write_page(Dashboard *d, const char *list, const char *page,
			   GError **error)
{
	g_autoptr(TmplScope) scope = tmpl_scope_new();
	g_autoptr(GListModel) sections = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *title = NULL, *text = NULL, *days = NULL, *count = NULL;
	guint n = g_list_model_get_n_items(d->lists), total;

	for (guint i = 0; i < n; i++) {
		g_autoptr(PcTemplateItem) item = g_list_model_get_item(d->lists,
								       i);
		const char *href = pc_template_item_get(item, "href");

		item_set(item, "current",
			 list && !g_strcmp0(href, page) ? "yes" : NULL);
	}
	sections = sections_model(d->rows, d->items, list, &total);
	title = list ? g_strdup_printf("pullcheck: pull requests to %s", list)
		     : g_strdup("pullcheck: pull requests");
	scope_set(scope, "title", title);
	scope_set(scope, "list", list);
	scope_set(scope, "generated", d->generated);
	days = g_strdup_printf("%u", d->config->report_days);
	count = g_strdup_printf("%u", total);
	scope_set(scope, "days", days);
	scope_set(scope, "total", count);
	tmpl_scope_set_object(scope, "sections", sections);
	tmpl_scope_set_object(scope, "lists", d->lists);
	scope_set(scope, "has_lists", n ? "yes" : NULL);
	text = tmpl_template_expand_string(d->tmpl, scope, &local);
	if (!text) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_TEMPLATE,
			    "dashboard template: %s", local->message);
		return FALSE;
	}
	return write_file(d->out_dir, page, text, strlen(text), error);
}

static gboolean write_dashboard(Dashboard *d, GHashTable *keep,
				GError **error)
{
	g_autoptr(GPtrArray) lists = collect_lists(d->rows);
	g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func(g_free);

	d->lists = lists_model(d->rows, lists, pages);
	for (guint i = 0; i < d->rows->len; i++)
		g_ptr_array_add(d->items, row_item(d->rows->pdata[i]));
	for (guint i = 0; i < lists->len; i++) {
		if (!write_page(d, lists->pdata[i], pages->pdata[i], error))
			return FALSE;
		g_hash_table_add(keep, g_strdup(pages->pdata[i]));
	}
	return write_page(d, NULL, PC_REPORT_INDEX, error);
}

gboolean pc_report_write(const PcConfig *config, PcStore *store,
			 const char *out_dir, gint64 now, GError **error)
{
	gint64 since = now - (gint64)config->report_days * 86400;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);
	g_autoptr(TmplTemplate) tmpl = load_template(config, PC_REPORT_INDEX,
						     error);
	g_autofree char *feed = NULL;
	Dashboard d = { config, out_dir, tmpl };
	gboolean ok;

	if (!tmpl)
		return FALSE;
	jobs = jobs_received(store, since, G_MAXINT64, error);
	if (!jobs)
		return FALSE;
	if (g_mkdir_with_parents(out_dir, 0755) < 0) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_WRITE,
			    "cannot make %s: %s", out_dir, g_strerror(errno));
		return FALSE;
	}
	rows = make_rows(jobs);
	if (!copy_logs(out_dir, rows, keep, error))
		return FALSE;
	feed = feed_text(config, rows, now);
	if (!write_file(out_dir, PC_REPORT_FEED, feed, strlen(feed), error))
		return FALSE;
	d.rows = rows;
	d.items = g_ptr_array_new_with_free_func(g_object_unref);
	d.generated = utc_format(now, "%Y-%m-%d %H:%M UTC");
	ok = write_dashboard(&d, keep, error);
	g_ptr_array_unref(d.items);
	g_clear_object(&d.lists);
	g_free(d.generated);
	if (!ok)
		return FALSE;
	prune(out_dir, NULL, keep);
	prune(out_dir, PC_REPORT_LOGS, keep);
	return TRUE;
}

/* --- the digest ------------------------------------------------------ */

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
static char *digest_line(const Row *row)
{
	g_autofree char *tip = row->tip ? g_strndup(row->tip, 12)
					: g_strdup("(no tip)");
	g_autofree char *from = one_line(row->job->from_addr ? row->job->from_addr
							     : "unknown");
	g_autofree char *subject = one_line(row->job->subject ? row->job->subject
							      : "(no subject)");
	const char *subj = g_ascii_strncasecmp(subject, "[GIT PULL] ", 11)
				   ? subject : subject + 11;
	g_autofree char *err = row->brief_error ? one_line(row->brief_error)
						: NULL;
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

static char *digest_body(GPtrArray *rows, gint64 since, gint64 until,
			 const guint *counts)
{
	GString *out = g_string_new(NULL);
	g_autofree char *from = utc_format(since, "%Y-%m-%d %H:%M");
	g_autofree char *to = utc_format(until, "%Y-%m-%d %H:%M");

	g_string_append_printf(out, "Pull requests received from %s to %s UTC: "
			       "%u.\n", from, to, rows->len);
	for (guint s = 0; s < G_N_ELEMENTS(SECTIONS); s++) {
		g_autofree char *label = g_ascii_strup(section_label(s), -1);

		if (!section_verdict(s) && !counts[s])
			continue;	/* nothing in progress */
		g_string_append_printf(out, "\n%s (%u)\n", label, counts[s]);
		if (!counts[s])
			g_string_append(out, "  none\n");
		for (guint i = 0; i < rows->len; i++) {
			const Row *row = rows->pdata[i];
			g_autofree char *line = NULL;

			if (row->section != s)
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
	g_autofree char *subject = g_strdup_printf(
		"pullcheck digest %s: %u fail, %u could not check, %u pass",
		day, counts[0], counts[1], counts[2]);

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
	g_autoptr(GPtrArray) jobs = jobs_received(store, since, until, error);
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *text = NULL;
	guint counts[G_N_ELEMENTS(SECTIONS)] = { 0 };
	char *mail;

	if (!jobs)
		return NULL;
	rows = make_rows(jobs);
	for (guint i = 0; i < rows->len; i++)
		counts[((Row *)rows->pdata[i])->section]++;
	text = digest_body(rows, since, until, counts);
	msg = digest_message(config, day, text, counts, error);
	if (!msg)
		return NULL;
	mail = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(mail, strlen(mail));
}
