// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck mainline: sets up mainline in the object store, apart from
 * any job, with limits of its own ([fetch] mainline_timeout and
 * mainline_max_bytes: the kernel's history is some 5 GB) and progress a
 * person can watch: on the terminal, in `pullcheck status` (the store's
 * "mainline" row) and, under systemd, in the unit's STATUS.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cmd.h"
#include "fetch.h"
#include "fileio.h"
#include "mainline_watch.h"
#include "store.h"
#include "terminal.h"

static int fail(PcMainlineWatch *w, const char *what, const GError *error)
{
	g_autofree char *safe = pc_terminal_escape(error->message,
						   PC_TERMINAL_LINE);

	pc_mainline_watch_failed(w, what, error->message, FALSE);
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
	g_autoptr(PcMainlineWatch) w = NULL;
	PcFetchOptions opts;
	gint64 start = g_get_monotonic_time();
	guint refs = 0, owner = 0;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- set up mainline in the object store",
		"Fetches [fetch] mainline_url into the object store "
		"(STATE/git) with git itself,\nwithin [fetch] "
		"mainline_timeout and mainline_max_bytes, showing objects, "
		"bytes,\nrate and the indexing on the terminal, in "
		"`pullcheck status` and in the unit's\nSTATUS.\n\n"
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
	w = pc_mainline_watch_new(store, PC_MAINLINE_WATCH_NOTIFY |
				 (quiet ? 0 : PC_MAINLINE_WATCH_TERMINAL));
	opts.on_progress = pc_mainline_watch_progress;
	opts.progress_data = w;
	pc_mainline_watch_set_step(w, "seed");
	if ((clone || bundle) &&
	    !pc_fetch_seed_mainline(&opts, clone, bundle, &refs, &error))
		return fail(w, "cannot seed mainline", error);
	pc_mainline_watch_end_line(w);
	if (clone || bundle)
		fprintf(stderr, "seed: %u refs from %s\n", refs,
			clone ? clone : bundle);
	pc_mainline_watch_set_step(w, "fetch");
	if (!pc_fetch_prime_mainline(&opts, &error))
		return fail(w, "cannot fetch mainline", error);
	pc_mainline_watch_end_line(w);
	sd_notify(0, "STATUS=mainline set up");
	return report(&opts, (g_get_monotonic_time() - start) / 1e6);
}
