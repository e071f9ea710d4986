// SPDX-License-Identifier: GPL-2.0-only
/*
 * report_dashboard: the static dashboard, index.html and a page per
 * mailing list, rendered from the template index.html. The strings the
 * template sees are escaped here (see report_rows.c).
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include <string.h>

#include "report_parts.h"
#include "template.h"

/* Bounds, so that a flood of mail makes a long page, not a huge one. */
#define MAX_LISTS 64

/* --- index.html: the template's objects ------------------------------ */

/*
 * What the template reads as r.subject, s.rows, l.href: @prop set to
 * @text, escaped; NULL leaves it unset (false in {{if}}).
 */
static void item_set(PcTemplateItem *item, const char *prop, const char *text)
{
	pc_template_item_take(item, prop, text ? pc_report_escape(text) : NULL);
}

static void item_set_int(PcTemplateItem *item, const char *prop, gint64 n)
{
	g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, n);

	item_set(item, prop, text);
}

static PcTemplateItem *row_item(const PcReportRow *row)
{
	PcTemplateItem *item = pc_template_item_new();
	const PcStoreJob *job = row->job;
	g_autofree char *anchor = g_strdup_printf("job-%" G_GINT64_FORMAT,
						  job->id);
	g_autofree char *date = pc_report_utc_format(job->received_at,
					   "%Y-%m-%d %H:%M UTC");
	g_autofree char *link = pc_report_lore_link(job);
	g_autofree char *tip_short = row->tip ? g_strndup(row->tip, 12) : NULL;
	g_autofree char *lists = g_strjoinv(", ", row->lists);

	item_set_int(item, "job", job->id);
	item_set(item, "anchor", anchor);
	item_set(item, "subject", job->subject ? job->subject : "(no subject)");
	item_set(item, "sender", job->from_addr ? job->from_addr : "unknown");
	item_set(item, "date", date);
	item_set(item, "verdict", pc_report_section_name(row->section));
	item_set(item, "label", pc_report_section_label(row->section));
	item_set(item, "tip", row->tip);
	item_set(item, "tip_short", tip_short);
	item_set(item, "scope", row->scope);
	item_set(item, "summary", row->summary);
	item_set(item, "boot", row->boot);
	item_set(item, "first_error", row->first_error);
	item_set(item, "reply", row->reply_text);
	item_set(item, "log_href", row->log_href);
	item_set(item, "config_href", row->config_href);
	item_set(item, "reproduce", row->reproduce);
	item_set(item, "lists", *lists ? lists : NULL);
	item_set(item, "link", link);
	return item;
}

static gboolean row_went_to(const PcReportRow *row, const char *list)
{
	return !list || g_strv_contains((const char *const *)row->lists, list);
}

/* The verdict sections of the rows that went to @list (NULL: all). */
static GListModel *sections_model(GPtrArray *rows, GPtrArray *items,
				  const char *list, guint *total)
{
	GListStore *sections = g_list_store_new(PC_TYPE_TEMPLATE_ITEM);

	*total = 0;
	for (guint s = 0; s < PC_REPORT_N_SECTIONS; s++) {
		g_autoptr(PcTemplateItem) section = pc_template_item_new();
		GListStore *store = g_list_store_new(PC_TYPE_TEMPLATE_ITEM);
		guint n = 0;

		for (guint i = 0; i < rows->len; i++) {
			const PcReportRow *row = rows->pdata[i];

			if (row->section == s && row_went_to(row, list)) {
				g_list_store_append(store, items->pdata[i]);
				n++;
			}
		}
		*total += n;
		pc_template_item_take_rows(section, G_LIST_MODEL(store));
		item_set(section, "name", pc_report_section_name(s));
		item_set(section, "label", pc_report_section_label(s));
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
		const PcReportRow *row = rows->pdata[i];

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

/* An operator who changed only the replies keeps a dashboard. */
TmplTemplate *pc_report_dashboard_load(const PcConfig *config, GError **error)
{
	g_autoptr(GError) local = NULL;
	TmplTemplate *tmpl = pc_template_load(config->reply_templates,
					      PC_REPORT_INDEX,
					      PC_TEMPLATE_OVERLAY, &local);

	if (!tmpl)
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_TEMPLATE,
			    "dashboard template %s", local->message);
	return tmpl;
}

static void scope_set(TmplScope *scope, const char *name, const char *text)
{
	g_autofree char *escaped = text ? pc_report_escape(text) : NULL;

	if (escaped)
		tmpl_scope_set_string(scope, name, escaped);
	else
		tmpl_scope_set_null(scope, name);
}

typedef struct {
	const PcConfig *config;
	const char *out_dir;
	TmplTemplate *tmpl;
	GPtrArray *rows;	/* PcReportRow* */
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
	return pc_report_write_file(d->out_dir, page, text, strlen(text), error);
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


gboolean pc_report_dashboard_write(const PcConfig *config, TmplTemplate *tmpl,
				   const char *out_dir, GPtrArray *rows,
				   gint64 now, GHashTable *keep,
				   GError **error)
{
	Dashboard d = { config, out_dir, tmpl, rows };
	gboolean ok;

	d.items = g_ptr_array_new_with_free_func(g_object_unref);
	d.generated = pc_report_utc_format(now, "%Y-%m-%d %H:%M UTC");
	ok = write_dashboard(&d, keep, error);
	g_ptr_array_unref(d.items);
	g_clear_object(&d.lists);
	g_free(d.generated);
	return ok;
}
