// SPDX-License-Identifier: GPL-2.0-only
/*
 * logwriter: escapes what a log line carries from mail, then hands it
 * to journald or writes it to stderr.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logwriter.h"
#include "terminal.h"

/*
 * Escaped for `journalctl -a` as for the terminal that shows stderr:
 * the journal keeps control characters as they come.
 */
static GLogWriterOutput write_journal(GLogLevelFlags level,
				      const GLogField *fields, gsize n_fields,
				      gpointer data)
{
	g_autofree GLogField *copy = g_memdup2(fields,
					       n_fields * sizeof(*fields));
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);

	for (gsize i = 0; i < n_fields; i++) {
		char *text;

		if (copy[i].length != -1)
			continue;	/* binary by intent: journald keeps it */
		text = pc_terminal_escape(copy[i].value, PC_TERMINAL_LINE);
		g_ptr_array_add(texts, text);
		copy[i].value = text;
	}
	return g_log_writer_journald(level, copy, n_fields, data);
}

/* syslog's priority for a GLib level: LOG_ERR, LOG_WARNING... */
static int priority(GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return 3;
	if (level & G_LOG_LEVEL_WARNING)
		return 4;
	if (level & G_LOG_LEVEL_DEBUG)
		return 7;
	return 6;		/* LOG_INFO */
}

static GLogWriterOutput write_log(GLogLevelFlags level,
				  const GLogField *fields, gsize n_fields,
				  gpointer data)
{
	g_autofree char *message = NULL;
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *stamp = NULL;

	if (g_log_writer_default_would_drop(level, NULL))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)))
		return write_journal(level, fields, n_fields, data);
	for (gsize i = 0; i < n_fields; i++)
		if (!strcmp(fields[i].key, "MESSAGE") && !message)
			message = pc_terminal_escape(fields[i].value,
						     PC_TERMINAL_LINE);
	now = g_date_time_new_now_local();
	stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	fprintf(stderr, "%s pullcheck[%d] <%d> %s\n", stamp, (int)getpid(),
		priority(level), message ? message : "");
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

void pc_logwriter_install(void)
{
	g_log_set_writer_func(write_log, NULL, NULL);
}
