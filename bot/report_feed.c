// SPDX-License-Identifier: GPL-2.0-only
/*
 * report_feed: feed.atom, the annotations feed (RFC 4287) of the pull
 * requests with a verdict, written in C: every value escaped as it goes.
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include "reply.h"
#include "report_parts.h"
#include "result.h"

/* RFC 3339, as Atom wants it. */
static char *rfc3339(gint64 t)
{
	return pc_report_utc_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

static void xml_element(GString *out, const char *indent, const char *name,
			const char *text)
{
	g_autofree char *escaped = pc_report_escape(text);

	g_string_append_printf(out, "%s<%s>%s</%s>\n", indent, name, escaped,
			       name);
}

/*
 * A tag: URI (RFC 4151) from the job key, which hashes the Message-ID and
 * the body: the same pull request always has the same id, whatever its
 * verdict, and two mails that share a Message-ID have two. A re-check's
 * entry is its pull request's, with the newer verdict: a feed reader
 * replaces the entry. The date is the feed's own, not the mail's, so
 * that a re-check on another day keeps the id.
 */
static char *entry_id(const char *domain, const PcReportRow *row)
{
	const PcStoreJob *job = row->job;
	g_autofree char *key = row->key ? g_strdup(row->key)
					: pc_result_job_key(job->message_id,
							    job->body_sha256);

	return g_strdup_printf("tag:%s,2025:pullcheck/job/%s", domain, key);
}

static char *entry_summary(const PcReportRow *row)
{
	return g_strdup_printf("Verdict: %s\n%s%sTip: %s\nScope: %s\n"
			       "First diagnostic: %s",
			       row->summary ? row->summary
					    : pc_report_section_label(row->section),
			       row->boot ? row->boot : "", row->boot ? "\n" : "",
			       row->tip ? row->tip : "unknown",
			       row->scope ? row->scope : "none",
			       row->first_diag ? row->first_diag : "none");
}

/* [report] base_url without its trailing slashes, "" for none. */
static char *base_of(const PcConfig *config)
{
	char *base = g_strdup(config->report_base_url ? config->report_base_url
						      : "");
	gsize len = strlen(base);

	while (len && base[len - 1] == '/')
		base[--len] = '\0';
	return base;
}

/* @base "/" @page, or @page alone (relative to the feed) without one. */
static char *page_link(const char *base, const char *page)
{
	return *base ? g_strconcat(base, "/", page, NULL) : g_strdup(page);
}

/*
 * RFC 4685: the entry (pullcheck's verdict) answers the pull request,
 * named by its Message-ID as a mid: URI (RFC 2392) and found on lore.
 * The reply itself is on lore too when it went to a list.
 */
static void thread_links(GString *out, const PcReportRow *row,
			 const char *pr_href)
{
	const PcStoreJob *job = row->job;
	g_autofree char *mid = g_uri_escape_string(job->message_id, "@", FALSE);
	g_autofree char *ref = g_strconcat("mid:", mid, NULL);
	g_autofree char *ref_x = pc_report_escape(ref);

	g_string_append_printf(out, "    <thr:in-reply-to ref=\"%s\" "
			       "type=\"text/html\" href=\"%s\"/>\n", ref_x,
			       pr_href);
	if (job->reply_sent_at && job->reply_message_id && row->lists &&
	    *row->lists) {
		PcStoreJob reply = { .message_id = job->reply_message_id };
		g_autofree char *link = pc_report_lore_link(&reply);
		g_autofree char *href = pc_report_escape(link);

		g_string_append_printf(out, "    <link rel=\"related\" "
				       "type=\"text/html\" title=\"pullcheck's "
				       "reply\" href=\"%s\"/>\n", href);
	}
}

static void feed_entry(GString *out, const PcConfig *config,
		       const char *domain, const PcReportRow *row)
{
	const PcStoreJob *job = row->job;
	g_autofree char *id = entry_id(domain, row);
	g_autofree char *link = pc_report_lore_link(job);
	g_autofree char *href = pc_report_escape(link);
	g_autofree char *base = base_of(config);
	g_autofree char *anchor = g_strdup_printf("index.html#job-%" G_GINT64_FORMAT,
						  job->id);
	g_autofree char *dash = page_link(base, anchor);
	g_autofree char *dash_x = pc_report_escape(dash);
	g_autofree char *published = rfc3339(job->received_at);
	g_autofree char *updated = rfc3339(MAX(job->updated_at,
					       job->received_at));
	g_autofree char *summary = entry_summary(row);
	g_autofree char *title = pc_report_one_line(job->subject ? job->subject
						       : "(no subject)");

	g_string_append(out, "  <entry>\n");
	xml_element(out, "    ", "id", id);
	xml_element(out, "    ", "title", title);
	g_string_append_printf(out, "    <link rel=\"alternate\" "
			       "type=\"text/html\" href=\"%s\"/>\n", href);
	g_string_append_printf(out, "    <link rel=\"related\" type=\"text/html\""
			       " title=\"dashboard\" href=\"%s\"/>\n", dash_x);
	thread_links(out, row, href);
	xml_element(out, "    ", "published", published);
	xml_element(out, "    ", "updated", updated);
	g_string_append(out, "    <author>\n");
	xml_element(out, "      ", "name",
		    job->from_addr ? job->from_addr : "unknown");
	g_string_append(out, "    </author>\n");
	g_string_append_printf(out, "    <category term=\"%s\" label=\"%s\"/>\n",
			       pc_report_section_name(row->section),
			       pc_report_section_label(row->section));
	xml_element(out, "    ", "summary", summary);
	g_string_append(out, "  </entry>\n");
}

char *pc_report_feed_text(const PcConfig *config, GPtrArray *rows, gint64 now)
{
	GString *out = g_string_new(
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"\n"
		"      xmlns:thr=\"http://purl.org/syndication/thread/1.0\">\n");
	g_autofree char *base = base_of(config);
	g_autofree char *index = page_link(base, "index.html");
	g_autofree char *index_x = pc_report_escape(index);
	g_autofree char *domain = pc_reply_from_domain(config);
	g_autofree char *feed_id = g_strdup_printf("tag:%s,2025:pullcheck/feed",
						   domain);
	g_autofree char *updated = NULL;
	gint64 latest = 0;

	for (guint i = 0; i < rows->len; i++) {
		const PcReportRow *row = rows->pdata[i];

		if (pc_report_section_verdict(row->section))
			latest = MAX(latest, MAX(row->job->updated_at,
						 row->job->received_at));
	}
	updated = rfc3339(latest ? latest : now);
	xml_element(out, "  ", "id", feed_id);
	xml_element(out, "  ", "title", "pullcheck: pull requests and verdicts");
	xml_element(out, "  ", "updated", updated);
	g_string_append(out, "  <author>\n    <name>pullcheck</name>\n"
			     "  </author>\n"
			     "  <generator>pullcheck</generator>\n");
	g_string_append_printf(out, "  <link rel=\"alternate\" type=\"text/html\""
			       " href=\"%s\"/>\n", index_x);
	/* Where the feed is, for readers and validators; known with base_url. */
	if (*base) {
		g_autofree char *self = page_link(base, PC_REPORT_FEED);
		g_autofree char *self_x = pc_report_escape(self);

		g_string_append_printf(out, "  <link rel=\"self\" type=\""
				       "application/atom+xml\" href=\"%s\"/>\n",
				       self_x);
	}
	for (guint i = 0; i < rows->len; i++) {
		const PcReportRow *row = rows->pdata[i];

		if (pc_report_section_verdict(row->section))
			feed_entry(out, config, domain, row);
	}
	g_string_append(out, "</feed>\n");
	return g_string_free(out, FALSE);
}

