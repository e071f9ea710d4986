// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck watch: its options; the daemon itself is daemon.c.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>

#include "cmd.h"
#include "daemon.h"

int pc_cmd_watch(int argc, char **argv)
{
	gboolean once = FALSE;
	const GOptionEntry entries[] = {
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once,
		  "Take what the source holds, work the queue until nothing is "
		  "due, send the replies, then exit", NULL },
		{ NULL },
	};
	g_autofree char *config_path = NULL;
	g_autoptr(PcConfig) config = NULL;
	int status;

	config = pc_cmd_init_with_path(
		&argc, &argv, "- the daemon",
		"Watches the [source] for pull requests, works the job queue "
		"(fetch, build, verdict)\none job at a time and sends each "
		"reply through the [outbox]. Every step is\nrecorded in the job "
		"store (STATE/pullcheck.db) before the next, so a crash or a\n"
		"restart loses no message, and no reply whose sending the "
		"server confirmed\n(250) goes out again.\n\n"
		"One watch per state_dir: a second one says which process holds "
		"STATE/lock\nand exits 1.\n\n"
		"SIGTERM or SIGINT: stop taking work, end a running build (its "
		"job starts\nagain next time), exit 0; a second one exits at "
		"once, with 1. SIGHUP: read\nthe configuration again.",
		entries, &config_path, &status);
	if (!config)
		return status;
	if (argc > 1) {
		fprintf(stderr, "pullcheck watch: takes no arguments\n");
		return PC_EXIT_USAGE;
	}
	return pc_daemon_run_take(g_steal_pointer(&config), config_path, once);
}
