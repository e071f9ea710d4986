/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The report's parts, for report*.c only: everyone else calls report.h.
 * report_rows.c reads the pull requests of a time from the store as
 * rows; report_feed.c, report_dashboard.c and report_digest.c show them;
 * report.c writes the directory.
 */
#ifndef PC_REPORT_PARTS_H
#define PC_REPORT_PARTS_H

#include <tmpl-glib.h>

#include "report.h"

G_BEGIN_DECLS

/*
 * The sections, one per outcome (verdict.h), in the order a maintainer
 * triages: fail, not verified, could not check, partial pass, command
 * pass, pass, and last the jobs with no verdict yet.
 */
#define PC_REPORT_N_SECTIONS 7

/* The section's outcome token, NULL for the jobs in progress. */
const char *pc_report_section_verdict(guint section);
/* Whether the digest shows the section when it is empty. */
gboolean pc_report_section_always(guint section);
/* What the section's rows have in common, or NULL. (transfer none) */
const char *pc_report_section_note(guint section);
/* The section's id in the page and the feed. */
const char *pc_report_section_name(guint section);
const char *pc_report_section_label(guint section);

/* One pull request, with what the report shows of its result. */
typedef struct {
	const PcStoreJob *job;	/* borrowed from the store's list */
	guint section;		/* < PC_REPORT_N_SECTIONS */
	char *key;		/* the pull request's job key, from the result:
				 * a re-check's is its pull request's */
	char *tip;
	char *scope;
	char *summary;		/* the outcome and what ran, one line */
	char *boot;		/* the boot's line; NULL: no boot ran */
	char *brief;		/* a partial pass: what passed, in brief */
	char *first_error;	/* the first error, else NULL */
	char *brief_error;	/* the same with the file's base name only */
	char *first_diag;	/* the first diagnostic, else the first error */
	char *reproduce;	/* the commands, one a line */
	char *log_path;		/* the build log as the result names it */
	char *log_href;		/* logs/ID.log once copied */
	char *config_href;	/* logs/ID.config, the .config built, once copied */
	char **lists;		/* where the reply went (its Cc), lower case */
	char *reply_text;	/* the reply's header fields and body, decoded */
} PcReportRow;

/*
 * The jobs received from @since up to but not including @until, at most
 * a bound's worth. (transfer full, PcStoreJob*)
 */
GPtrArray *pc_report_jobs_received(PcStore *store, gint64 since,
				   gint64 until, GError **error);

/*
 * The pull requests among @jobs (newest first), as rows; the rows
 * borrow the jobs, so @jobs outlives them. A pull request checked again
 * (a re-check) is shown once, with its newest verdict: that supersedes
 * the older ones. (transfer full, PcReportRow*)
 */
GPtrArray *pc_report_rows_new(GPtrArray *jobs);

/* Text for XML and HTML, content and attribute values alike. (transfer full) */
char *pc_report_escape(const char *s);

/* On one line, every run of white space a single space. (transfer full) */
char *pc_report_one_line(const char *s);

/* @t (Unix seconds) in UTC by g_date_time_format's @format. (transfer full) */
char *pc_report_utc_format(gint64 t, const char *format);

/*
 * The archive's page of the pull request: its Message-ID, URL-escaped.
 * (transfer full)
 */
char *pc_report_lore_link(const PcStoreJob *job);

/*
 * feed.atom for @rows, updated at the latest verdict, else @now.
 * (transfer full)
 */
char *pc_report_feed_text(const PcConfig *config, GPtrArray *rows, gint64 now);

/* The dashboard's template: [reply] templates first, then the built-in one. */
TmplTemplate *pc_report_dashboard_load(const PcConfig *config,
				       GError **error);

/*
 * index.html and one list-NAME.html per mailing list into @out_dir, from
 * @tmpl; each page written is added to @keep.
 */
gboolean pc_report_dashboard_write(const PcConfig *config, TmplTemplate *tmpl,
				   const char *out_dir, GPtrArray *rows,
				   gint64 now, GHashTable *keep,
				   GError **error);

/* @name in @dir, under a temporary name, then renamed. */
gboolean pc_report_write_file(const char *dir, const char *name,
			      const char *data, gsize len, GError **error);

G_END_DECLS

#endif
