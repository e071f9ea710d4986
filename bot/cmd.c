// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every subcommand does first: its options, then the configuration.
 * Also the smallest subcommand, check-config.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>

#include "cmd.h"

PcConfig *pc_cmd_init(int *argc, char ***argv, const char *params,
		      const char *summary, const GOptionEntry *entries,
		      int *status)
{
	return pc_cmd_init_with_path(argc, argv, params, summary, entries,
				     NULL, status);
}

PcConfig *pc_cmd_init_with_path(int *argc, char ***argv, const char *params,
				const char *summary,
				const GOptionEntry *entries, char **path,
				int *status)
{
	g_autofree char *config_path = NULL;
	const GOptionEntry common[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "Read FILE instead of " PC_CONFIG_DEFAULT_PATH, "FILE" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) error = NULL;
	PcConfig *config;

	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, common, NULL);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fprintf(stderr, "pullcheck %s: %s\n", (*argv)[0],
			error->message);
		*status = PC_EXIT_USAGE;
		return NULL;
	}
	config = pc_config_load(config_path, &error);
	if (!config) {
		fprintf(stderr, "pullcheck: %s\n", error->message);
		*status = PC_EXIT_USAGE;
		return NULL;
	}
	if (path)
		*path = g_steal_pointer(&config_path);
	*status = PC_EXIT_OK;
	return config;
}

int pc_cmd_check_config(int argc, char **argv)
{
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	int status;

	config = pc_cmd_init(&argc, &argv, "- validate the configuration",
			     "Reads the configuration file (or the built-in "
			     "defaults when there is none), names the line of\n"
			     "the first unknown key or bad value, and otherwise "
			     "prints every key with the value in force.",
			     NULL, &status);
	if (!config)
		return status;
	if (argc > 1) {
		fprintf(stderr, "pullcheck check-config: takes no arguments\n");
		return PC_EXIT_USAGE;
	}
	g_string_append_printf(out, "# %s\n",
			       config->path ? config->path : "built-in defaults");
	pc_config_dump(config, out);
	fputs(out->str, stdout);
	return PC_EXIT_OK;
}
