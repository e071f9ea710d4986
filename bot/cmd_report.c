// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck report: the annotations feed and the dashboard, written into
 * a directory a web server serves, and the daily digest mail. Reads the
 * job store only, so it runs beside the daemon (from a timer).
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>

#include "cmd.h"
#include "outbox.h"
#include "report.h"

typedef struct {
	char *out;
	gboolean digest;
	char *day;
} ReportArgs;

/* YYYY-MM-DD, a real date, as the Unix second its UTC day starts. */
static gboolean parse_day(const char *text, gint64 *start)
{
	int y, m, d, end = 0;
	g_autoptr(GDateTime) dt = NULL;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &end) != 3 ||
	    end != 10 || text[end] || !g_date_valid_dmy(d, m, y))
		return FALSE;
	dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	if (!dt)
		return FALSE;
	*start = g_date_time_to_unix(dt);
	return TRUE;
}

static int write_report(const PcConfig *config, PcStore *store,
			const char *out, gint64 now)
{
	g_autoptr(GError) error = NULL;
	const char *dir = out ? out : config->report_out_dir;

	if (!pc_report_write(config, store, dir, now, &error)) {
		fprintf(stderr, "pullcheck report: %s\n", error->message);
		return PC_EXIT_FAILURE;
	}
	return PC_EXIT_OK;
}

static int send_digest(const PcConfig *config, PcStore *store,
		       const char *day, gint64 now)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) mail = NULL;
	g_autoptr(PcOutbox) outbox = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autofree char *today = NULL;
	gint64 since = now - 86400, until = now;

	if (day) {
		if (!parse_day(day, &since)) {
			fprintf(stderr, "pullcheck report: --day %s is not a "
					"date (YYYY-MM-DD)\n", day);
			return PC_EXIT_USAGE;
		}
		until = since + 86400;
	} else {
		g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);

		today = g_date_time_format(dt, "%Y-%m-%d");
		day = today;
	}
	mail = pc_report_digest(config, store, since, until, day, &error);
	if (mail)
		outbox = pc_outbox_new(config, &error);
	if (outbox)
		rcpts = pc_outbox_config_addresses(
			(const char *const *)config->report_digest_to, &error);
	if (!mail || !outbox || !rcpts ||
	    !pc_outbox_send_reply(outbox, (const char *const *)rcpts, mail,
				  &error)) {
		fprintf(stderr, "pullcheck report: digest: %s\n", error->message);
		return g_error_matches(error, PC_REPORT_ERROR,
				       PC_REPORT_ERROR_ADDRESS)
			       ? PC_EXIT_USAGE : PC_EXIT_FAILURE;
	}
	return PC_EXIT_OK;
}

int pc_cmd_report(int argc, char **argv)
{
	ReportArgs a = { 0 };
	const GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &a.out,
		  "Write the feed and the dashboard into DIR instead of "
		  "[report] out_dir", "DIR" },
		{ "digest", 'd', 0, G_OPTION_ARG_NONE, &a.digest,
		  "Send the digest mail instead (with --out as well: both)",
		  NULL },
		{ "day", 0, 0, G_OPTION_ARG_STRING, &a.day,
		  "With --digest: the pull requests of this UTC day instead of "
		  "the last 24 hours", "YYYY-MM-DD" },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- write the feed and dashboard, or send the digest",
		"Reads the job store (STATE/pullcheck.db; safe while watch runs) "
		"and writes into\n"
		"DIR ([report] out_dir, default STATE/report), each file under a "
		"temporary name\nthen renamed:\n"
		"  feed.atom       Atom feed, one entry per pull request with a "
		"verdict: subject,\n"
		"                  lore.kernel.org link, verdict, tip, scope, "
		"first diagnostic\n"
		"  index.html      dashboard of the pull requests received in "
		"the last [report]\n"
		"                  days (default 14), in sections fail, could "
		"not check, pass,\n"
		"                  in progress; each with sender, date, tip, "
		"first error, reply,\n"
		"                  build log and reproduce commands. Made from "
		"the template\n"
		"                  index.html ([reply] templates, else built in)\n"
		"  list-NAME.html  the same for each mailing list the replies "
		"went to (Cc)\n"
		"  logs/JOB.log    the build logs, at most 1 MiB each (head and "
		"tail)\n"
		"Pages and logs of jobs no longer shown are removed.\n\n"
		"With --digest it writes nothing (unless --out is given) and "
		"sends instead,\nthrough the [outbox] from [reply] from to "
		"[report] digest_to, the digest mail:\nthe pull requests "
		"received in the last 24 hours (or on --day) grouped fail,\n"
		"could not check, pass, one line each with tip, sender, subject "
		"and first error.\nIts Message-ID is made from the day, so a "
		"second digest of a day collapses\nwith the first.\n\n"
		"Exit status: 0 done, 1 a file could not be written or the mail "
		"not sent,\n2 bad command line or configuration (digest_to "
		"empty).",
		entries, &status);
	if (!config)
		goto out;
	status = PC_EXIT_USAGE;
	if (argc > 1) {
		fprintf(stderr, "pullcheck report: takes no arguments\n");
		goto out;
	}
	if (a.day && !a.digest) {
		fprintf(stderr, "pullcheck report: --day goes with --digest\n");
		goto out;
	}
	/* Read only: the report never writes to the store, never migrates it. */
	path = pc_store_path(config->state_dir);
	store = pc_store_open_readonly(path, &error);
	if (!store) {
		fprintf(stderr, "pullcheck report: %s\n", error->message);
		status = PC_EXIT_FAILURE;
		goto out;
	}
	status = PC_EXIT_OK;
	if (!a.digest || a.out)
		status = write_report(config, store, a.out, now);
	if (a.digest && status == PC_EXIT_OK)
		status = send_digest(config, store, a.day, now);
out:
	g_free(a.out);
	g_free(a.day);
	return status;
}
