// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck mainline: sets up mainline in the object store, apart from
 * any job, with limits of its own ([fetch] mainline_timeout and
 * mainline_max_bytes: the kernel's history is some 5 GB) and progress a
 * person can watch: on the terminal, in `pullcheck status` (the store's
 * "mainline" row) and, under systemd, in the unit's STATUS.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cmd.h"
#include "fetch.h"
#include "fileio.h"
#include "json.h"
#include "store.h"
#include "terminal.h"

#define ROW_EVERY_US (2 * G_USEC_PER_SEC)
#define LINE_EVERY_US (10 * G_USEC_PER_SEC)

typedef struct {
	const char *what;	/* "seed" or "fetch" */
	gboolean tty, quiet;
	PcStore *store;		/* the status row; NULL: not written */
	gint64 row_at, line_at;
	PcFetchPhase last_phase;
	gboolean shown;		/* a \r line is on the terminal */
} Watch;

static const char *const PHASES[] = { "connecting", "receiving", "indexing",
				      "done" };

static char *describe(const Watch *w, const PcFetchProgress *p)
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

static void write_row(Watch *w, const PcFetchProgress *p, const char *text,
		      const char *error)
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

static void on_progress(const PcFetchProgress *p, gpointer data)
{
	Watch *w = data;
	g_autofree char *text = describe(w, p);
	gint64 now = g_get_monotonic_time();
	gboolean change = p->phase != w->last_phase ||
			  p->phase == PC_FETCH_PHASE_DONE;

	w->last_phase = p->phase;
	if (change || now - w->row_at >= ROW_EVERY_US) {
		write_row(w, p, text, NULL);
		sd_notifyf(0, "STATUS=mainline %s", text);
		w->row_at = now;
	}
	if (w->quiet)
		return;
	if (w->tty) {
		fprintf(stderr, "\r\033[K%s", text);
		w->shown = TRUE;
	} else if (change || now - w->line_at >= LINE_EVERY_US) {
		fprintf(stderr, "%s\n", text);
		w->line_at = now;
	}
}

static void end_line(Watch *w)
{
	if (w->shown)
		fputc('\n', stderr);
	w->shown = FALSE;
}

static int fail(Watch *w, const char *what, const GError *error)
{
	g_autofree char *safe = pc_terminal_escape(error->message,
						   PC_TERMINAL_LINE);

	end_line(w);
	write_row(w, NULL, what, error->message);
	fprintf(stderr, "pullcheck mainline: %s: %s\n", what, safe);
	return PC_EXIT_FAILURE;
}

static int report(const PcFetchOptions *opts, double seconds)
{
	g_autofree char *commit = NULL, *date = NULL, *fetched = NULL;
	g_autoptr(GError) error = NULL;

	if (!pc_fetch_mainline_info(opts, &commit, &date, &fetched, &error)) {
		fprintf(stderr, "pullcheck mainline: %s\n",
			error ? error->message : "no mainline in the store");
		return PC_EXIT_FAILURE;
	}
	printf("mainline %s (%s) in %s, fetched at %s, in %.1f s\n", commit,
	       date ? date : "no date", opts->store,
	       fetched ? fetched : "an unknown time", seconds);
	return PC_EXIT_OK;
}

int pc_cmd_mainline(int argc, char **argv)
{
	g_autofree char *clone = NULL, *bundle = NULL;
	gboolean quiet = FALSE;
	const GOptionEntry entries[] = {
		{ "from-clone", 0, 0, G_OPTION_ARG_FILENAME, &clone,
		  "First take the objects of this local clone", "PATH" },
		{ "from-bundle", 0, 0, G_OPTION_ARG_FILENAME, &bundle,
		  "First take the objects of this git bundle file", "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		  "No progress on the terminal", NULL },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PcStore) store = NULL;
	g_autofree char *path = NULL, *db = NULL;
	Watch w = { 0 };
	PcFetchOptions opts;
	gint64 start = g_get_monotonic_time();
	guint refs = 0, owner = 0;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- set up mainline in the object store",
		"Fetches [fetch] mainline_url into the object store "
		"(STATE/git), within [fetch]\nmainline_timeout and "
		"mainline_max_bytes, showing objects, bytes, rate and the\n"
		"indexing on the terminal, in `pullcheck status` and in the "
		"unit's STATUS.\n\n"
		"--from-clone PATH first copies the objects of a local clone "
		"(hard links on\nthe same file system), --from-bundle FILE "
		"indexes the pack of a git bundle\n(such as kernel.org's "
		"clone bundles): the fetch then downloads only what\nthey "
		"lack. Run it once before the first job; a second run brings "
		"mainline\nup to date (each job does that too, within "
		"[fetch] refresh_timeout).\n\n"
		"Exit status: 0 mainline set up, 1 it could not be, 2 bad "
		"command line.",
		entries, &status);
	if (!config)
		return status;
	if (argc > 1 || (clone && bundle)) {
		fprintf(stderr, "pullcheck mainline: takes no arguments, and "
			"--from-clone or --from-bundle, not both\n");
		return PC_EXIT_USAGE;
	}
	if (!pc_fileio_owned_by_me(config->state_dir, &owner)) {
		fprintf(stderr, "pullcheck mainline: %s belongs to uid %u, and "
			"this is uid %u: run it as its owner (e.g. runuser -u "
			"pullcheck -- pullcheck mainline), or the store it "
			"writes will be out of the daemon's reach\n",
			config->state_dir, owner, (guint)geteuid());
		return PC_EXIT_FAILURE;
	}
	path = g_build_filename(config->state_dir, "git", NULL);
	db = pc_store_path(config->state_dir);
	if (g_mkdir_with_parents(config->state_dir, 0755) == 0)
		store = pc_store_open(db, NULL);
	pc_fetch_options_init(&opts, config);
	opts.store = path;
	opts.on_progress = on_progress;
	opts.progress_data = &w;
	w.store = store;
	w.quiet = quiet;
	w.tty = isatty(STDERR_FILENO);
	w.what = "seed";
	if ((clone || bundle) &&
	    !pc_fetch_seed_mainline(&opts, clone, bundle, &refs, &error))
		return fail(&w, "cannot seed mainline", error);
	end_line(&w);
	if (clone || bundle)
		fprintf(stderr, "seed: %u refs from %s\n", refs,
			clone ? clone : bundle);
	w.what = "fetch";
	w.last_phase = PC_FETCH_PHASE_CONNECT;
	if (!pc_fetch_prime_mainline(&opts, &error))
		return fail(&w, "cannot fetch mainline", error);
	end_line(&w);
	sd_notify(0, "STATUS=mainline set up");
	return report(&opts, (g_get_monotonic_time() - start) / 1e6);
}
