// SPDX-License-Identifier: GPL-2.0-only
/*
 * report: the report directory a web server serves. Reads the rows
 * (report_rows.c), copies their build logs, writes the feed
 * (report_feed.c) and the dashboard (report_dashboard.c) and removes
 * what is no longer shown. The digest is in report_digest.c.
 */
#define G_LOG_DOMAIN "pullcheck-report"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_parts.h"

G_DEFINE_QUARK(pc-report-error-quark, pc_report_error)

#define LOG_HEAD_BYTES (PC_REPORT_LOG_MAX_BYTES / 4)

/* A reader sees the old file or the new. */
gboolean pc_report_write_file(const char *dir, const char *name,
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

/*
 * The .config the row's build left, which job.c keeps beside its log,
 * as logs/ID.config; none (recipe command) is no error.
 */
static gboolean copy_config(const char *logs, PcReportRow *row,
			    GHashTable *keep, GError **error)
{
	g_autofree char *base = NULL, *path = NULL, *name = NULL;
	g_autoptr(GBytes) text = NULL;

	if (!g_str_has_suffix(row->log_path, ".log"))
		return TRUE;
	base = g_strndup(row->log_path, strlen(row->log_path) - 4);
	path = g_strconcat(base, ".config", NULL);
	if (!(text = read_log(path, NULL)))
		return TRUE;
	name = g_strdup_printf("%" G_GINT64_FORMAT ".config", row->job->id);
	if (!pc_report_write_file(logs, name, g_bytes_get_data(text, NULL),
				  g_bytes_get_size(text), error))
		return FALSE;
	row->config_href = g_strconcat(PC_REPORT_LOGS "/", name, NULL);
	g_hash_table_add(keep, g_strdup(row->config_href));
	return TRUE;
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
		PcReportRow *row = rows->pdata[i];
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
		if (!pc_report_write_file(logs, name,
					  g_bytes_get_data(log, NULL),
					  g_bytes_get_size(log), error))
			return FALSE;
		row->log_href = g_strconcat(PC_REPORT_LOGS "/", name, NULL);
		g_hash_table_add(keep, g_strdup(row->log_href));
		if (!copy_config(logs, row, keep, error))
			return FALSE;
	}
	return TRUE;
}

/*
 * Whether @name is one of ours that can go stale: NUMBER.log,
 * NUMBER.config, list-*.html.
 */
static gboolean is_ours(const char *subdir, const char *name)
{
	gsize digits = strspn(name, "0123456789");

	if (subdir)
		return digits && (!strcmp(name + digits, ".log") ||
				  !strcmp(name + digits, ".config"));
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

gboolean pc_report_write(const PcConfig *config, PcStore *store,
			 const char *out_dir, gint64 now, GError **error)
{
	gint64 since = now - (gint64)config->report_days * 86400;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);
	g_autoptr(TmplTemplate) tmpl = pc_report_dashboard_load(config, error);
	g_autofree char *feed = NULL;

	if (!tmpl)
		return FALSE;
	jobs = pc_report_jobs_received(store, since, G_MAXINT64, error);
	if (!jobs)
		return FALSE;
	if (g_mkdir_with_parents(out_dir, 0755) < 0) {
		g_set_error(error, PC_REPORT_ERROR, PC_REPORT_ERROR_WRITE,
			    "cannot make %s: %s", out_dir, g_strerror(errno));
		return FALSE;
	}
	rows = pc_report_rows_new(jobs);
	if (!copy_logs(out_dir, rows, keep, error))
		return FALSE;
	feed = pc_report_feed_text(config, rows, now);
	if (!pc_report_write_file(out_dir, PC_REPORT_FEED, feed, strlen(feed),
				  error) ||
	    !pc_report_dashboard_write(config, tmpl, out_dir, rows, now, keep,
				       error))
		return FALSE;
	prune(out_dir, NULL, keep);
	prune(out_dir, PC_REPORT_LOGS, keep);
	return TRUE;
}

