/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subcommands. Each takes the arguments after its name (argv[0] is
 * the subcommand) and returns the process exit status.
 */
#ifndef PC_CMD_H
#define PC_CMD_H

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

/* Exit statuses shared by the subcommands. */
enum {
	PC_EXIT_OK = 0,
	PC_EXIT_FAILURE = 1,	/* the work ran, and something failed */
	PC_EXIT_USAGE = 2,	/* bad command line or configuration */
};

int pc_cmd_parse(int argc, char **argv);
int pc_cmd_check_config(int argc, char **argv);
int pc_cmd_setup_root(int argc, char **argv);
int pc_cmd_mainline(int argc, char **argv);
int pc_cmd_check(int argc, char **argv);
int pc_cmd_watch(int argc, char **argv);
int pc_cmd_status(int argc, char **argv);
int pc_cmd_report(int argc, char **argv);
int pc_cmd_maintain(int argc, char **argv);

/*
 * Parses the options every subcommand shares (--config) plus @entries,
 * and loads the configuration. On failure prints the error and returns
 * NULL; *@status is then the exit status.
 * (transfer full)
 */
PcConfig *pc_cmd_init(int *argc, char ***argv, const char *params,
		      const char *summary, const GOptionEntry *entries,
		      int *status);

/*
 * pc_cmd_init(), and the --config argument as given in *@path (NULL
 * when there was none), for a command that reads the file again.
 * (transfer full)
 */
PcConfig *pc_cmd_init_with_path(int *argc, char ***argv, const char *params,
				const char *summary,
				const GOptionEntry *entries, char **path,
				int *status);

G_END_DECLS

#endif
