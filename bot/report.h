/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * report: the job store for readers other than the senders — the
 * annotations feed (Atom), the static dashboard (HTML from the template
 * templates/index.html) and the daily digest mail.
 */
#ifndef PC_REPORT_H
#define PC_REPORT_H

#include <glib.h>

#include "config.h"
#include "store.h"

G_BEGIN_DECLS

#define PC_REPORT_ERROR (pc_report_error_quark())
GQuark pc_report_error_quark(void);

typedef enum {
	PC_REPORT_ERROR_TEMPLATE,	/* the dashboard template is missing or bad */
	PC_REPORT_ERROR_WRITE,		/* a file of the report could not be written */
	PC_REPORT_ERROR_ADDRESS,	/* a digest address is no address */
} PcReportError;

/* Files of the report directory. */
#define PC_REPORT_FEED "feed.atom"
#define PC_REPORT_INDEX "index.html"
#define PC_REPORT_LOGS "logs"
/* A build log copied into logs/ keeps at most this much of the original. */
#define PC_REPORT_LOG_MAX_BYTES (1024 * 1024)

/*
 * Writes into @out_dir (made if missing) the pull requests received in
 * the [report] days before @now (Unix seconds): feed.atom, index.html,
 * one list-NAME.html per mailing list the replies went to, and a copy of
 * each build log as logs/JOB.log. Every file is written under a
 * temporary name and renamed, so a web server never serves half a file;
 * pages and logs of jobs no longer shown are removed.
 */
gboolean pc_report_write(const PcConfig *config, PcStore *store,
			 const char *out_dir, gint64 now, GError **error);

/*
 * The digest mail (RFC 5322, ready for an outbox) of the pull requests
 * received from @since up to but not including @until, grouped fail,
 * could not check, pass, the oldest first in each; with [report]
 * digest = top_level, only those addressed to a [reply] top_level
 * recipient. @day (YYYY-MM-DD) names it in the subject and
 * makes its Message-ID, so a second digest of the same day collapses
 * with the first. Sent from [reply] from to [report] digest_to.
 * (transfer full)
 */
GBytes *pc_report_digest(const PcConfig *config, PcStore *store,
			 gint64 since, gint64 until, const char *day,
			 GError **error);

G_END_DECLS

#endif
