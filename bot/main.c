// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck: checks kernel [GIT PULL] requests against the CONFIG_RUST=y
 * policy. This file only dispatches to the subcommands.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <gmime/gmime.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} Command;

static const Command COMMANDS[] = {
	{ "parse", pc_cmd_parse,
	  "print what each message asks to pull, as JSON lines" },
	{ "check", pc_cmd_check,
	  "check one pull request: fetch, build, verdict, reply" },
	{ "watch", pc_cmd_watch,
	  "the daemon: watch the source, work the queue, send replies" },
	{ "status", pc_cmd_status, "jobs and their states, from the store" },
	{ "report", pc_cmd_report,
	  "write the annotations feed and dashboard, or send the digest" },
	{ "maintain", pc_cmd_maintain,
	  "prune job refs, repack the object store, drop old mails and logs" },
	{ "setup-root", pc_cmd_setup_root,
	  "make the kernel build root (Debian 13 toolchain) at [build] root" },
	{ "mainline", pc_cmd_mainline,
	  "set up mainline in the object store (from a clone or bundle too)" },
	{ "check-config", pc_cmd_check_config,
	  "validate the configuration and print it" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: pullcheck [--version] [--help] COMMAND [ARGS...]\n"
		"\n"
		"Checks Linux kernel [GIT PULL] requests: fetches what each asks\n"
		"to pull, builds it as x86-64 allmodconfig with CONFIG_RUST=y and\n"
		"replies in the thread.\n"
		"\n"
		"Commands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(COMMANDS); i++)
		fprintf(out, "  %-14s %s\n", COMMANDS[i].name,
			COMMANDS[i].summary);
	fprintf(out,
		"\n"
		"Every command takes --config FILE (default %s,\n"
		"else built-in defaults) and --help.\n",
		PC_CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/*
	 * A peer that hangs up must be an error from write(), not the end of
	 * the daemon: libetpan writes without MSG_NOSIGNAL, and GPGME asks
	 * for this too.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return PC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return PC_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pullcheck %s\n", PC_VERSION);
		return PC_EXIT_OK;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(COMMANDS); i++) {
		if (strcmp(argv[1], COMMANDS[i].name))
			continue;
		g_mime_init();
		return COMMANDS[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "pullcheck: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return PC_EXIT_USAGE;
}
