// SPDX-License-Identifier: GPL-2.0-only
/*
 * mainline_watch: a fetch's progress as text, the store's "mainline"
 * row (every 2 s and at each change of phase), the terminal and STATUS.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "json.h"
#include "mainline_watch.h"
#include "terminal.h"

#define ROW_EVERY_US (2 * G_USEC_PER_SEC)
#define LINE_EVERY_US (10 * G_USEC_PER_SEC)

struct _PcMainlineWatch {
	const char *what;	/* "seed" or "fetch" */
	PcMainlineWatchFlags flags;
	gboolean tty;
	PcStore *store;		/* the status row; NULL: not written */
	gint64 row_at, line_at;
	PcFetchPhase last_phase;
	gboolean told;		/* progress since the step began */
	gboolean shown;		/* a \r line is on the terminal */
	void (*text_func)(const char *text, gpointer data);
	gpointer text_data;
};

static const char *const PHASES[] = { "connecting", "receiving", "indexing",
				      "done" };

PcMainlineWatch *pc_mainline_watch_new(PcStore *store,
				       PcMainlineWatchFlags flags)
{
	PcMainlineWatch *w = g_new0(PcMainlineWatch, 1);

	w->store = store;
	w->flags = flags;
	w->tty = (flags & PC_MAINLINE_WATCH_TERMINAL) && isatty(STDERR_FILENO);
	w->what = "fetch";
	return w;
}

void pc_mainline_watch_free(PcMainlineWatch *w)
{
	g_free(w);
}

void pc_mainline_watch_set_text_func(PcMainlineWatch *w,
				     void (*func)(const char *text,
						  gpointer data),
				     gpointer data)
{
	w->text_func = func;
	w->text_data = data;
}

void pc_mainline_watch_set_step(PcMainlineWatch *w, const char *what)
{
	w->what = what;
	w->last_phase = PC_FETCH_PHASE_CONNECT;
	w->told = FALSE;
}

static char *describe(const PcMainlineWatch *w, const PcFetchProgress *p)
{
	g_autofree char *bytes = g_format_size(p->bytes);
	g_autofree char *rate = g_format_size(
		p->elapsed_s > 0 ? (guint64)(p->bytes / p->elapsed_s) : 0);
	guint elapsed = (guint)p->elapsed_s;

	if (p->phase == PC_FETCH_PHASE_INDEX && p->total_deltas)
		return g_strdup_printf("%s: indexing, %" G_GUINT64_FORMAT "/%"
				       G_GUINT64_FORMAT " deltas resolved, %s "
				       "received, %um%02us", w->what,
				       p->deltas, p->total_deltas, bytes,
				       elapsed / 60, elapsed % 60);
	if (p->phase == PC_FETCH_PHASE_CONNECT)
		return g_strdup_printf("%s: connecting", w->what);
	/* A clone's packs and loose objects, copied: files, not objects. */
	if (!p->total_objects && !strcmp(w->what, "seed"))
		return g_strdup_printf("%s: %s, %" G_GUINT64_FORMAT " files, "
				       "%s, %s/s, %um%02us", w->what,
				       p->phase == PC_FETCH_PHASE_RECEIVE
					       ? "copying"
				       : p->phase == PC_FETCH_PHASE_INDEX
					       ? "taking its refs"
					       : PHASES[p->phase],
				       p->objects, bytes, rate, elapsed / 60,
				       elapsed % 60);
	return g_strdup_printf("%s: %s, %" G_GUINT64_FORMAT "/%"
			       G_GUINT64_FORMAT " objects, %s, %s/s, %um%02us",
			       w->what, PHASES[p->phase], p->objects,
			       p->total_objects, bytes, rate, elapsed / 60,
			       elapsed % 60);
}

static void write_row(PcMainlineWatch *w, const PcFetchProgress *p,
		      const char *text, const char *error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *json = NULL;

	if (!w->store)
		return;
	json_builder_begin_object(b);
	pc_json_add_int(b, "pid", getpid());
	pc_json_add_string(b, "step", w->what);
	pc_json_add_string(b, "phase", p ? PHASES[p->phase] : "failed");
	pc_json_add_int(b, "objects", p ? p->objects : 0);
	pc_json_add_int(b, "total_objects", p ? p->total_objects : 0);
	pc_json_add_int(b, "deltas", p ? p->deltas : 0);
	pc_json_add_int(b, "total_deltas", p ? p->total_deltas : 0);
	pc_json_add_int(b, "bytes", p ? p->bytes : 0);
	pc_json_add_int(b, "elapsed_s", p ? (gint64)p->elapsed_s : 0);
	pc_json_add_string(b, "text", text);
	pc_json_add_string(b, "error", error);
	pc_json_add_int(b, "updated_at", g_get_real_time() / G_USEC_PER_SEC);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	pc_store_set_value(w->store, "mainline", json, NULL);
}

static void to_terminal(PcMainlineWatch *w, const char *text,
			gboolean change, gint64 now)
{
	if (!(w->flags & PC_MAINLINE_WATCH_TERMINAL))
		return;
	if (w->tty) {
		fprintf(stderr, "\r\033[K%s", text);
		w->shown = TRUE;
	} else if (change || now - w->line_at >= LINE_EVERY_US) {
		fprintf(stderr, "%s\n", text);
		w->line_at = now;
	}
}

void pc_mainline_watch_progress(const PcFetchProgress *p, gpointer data)
{
	PcMainlineWatch *w = data;
	g_autofree char *text = describe(w, p);
	gint64 now = g_get_monotonic_time();
	gboolean change = p->phase != w->last_phase ||
			  p->phase == PC_FETCH_PHASE_DONE;

	w->last_phase = p->phase;
	w->told = TRUE;
	if (change || now - w->row_at >= ROW_EVERY_US) {
		write_row(w, p, text, NULL);
		if (w->flags & PC_MAINLINE_WATCH_NOTIFY)
			sd_notifyf(0, "STATUS=mainline %s", text);
		if (w->text_func)
			w->text_func(text, w->text_data);
		w->row_at = now;
	}
	if ((w->flags & PC_MAINLINE_WATCH_LOG) &&
	    (change || now - w->line_at >= LINE_EVERY_US)) {
		g_message("mainline %s", text);
		w->line_at = now;
	}
	to_terminal(w, text, change, now);
}

void pc_mainline_watch_end_line(PcMainlineWatch *w)
{
	if (w->shown)
		fputc('\n', stderr);
	w->shown = FALSE;
}

void pc_mainline_watch_failed(PcMainlineWatch *w, const char *what,
			      const char *error, gboolean only_if_running)
{
	if (only_if_running &&
	    (!w->told || w->last_phase == PC_FETCH_PHASE_DONE))
		return;
	pc_mainline_watch_end_line(w);
	write_row(w, NULL, what, error);
	w->told = FALSE;
}
