// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck check: the whole pipeline for one message, once, without
 * the job store: parse, fetch, build, verdict, reply.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>
#include <string.h>

#include "autocleanup.h"
#include "cmd.h"
#include "input.h"
#include "job.h"
#include "outbox.h"

/* Exit statuses by verdict, for scripts. */
enum {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_UNCHECKED = 3,
	EXIT_NOT_PR = 4,
};

typedef struct {
	const PcConfig *config;
	gboolean dry_run, json, no_build;
	guint seen;
	int status;
} CheckRun;

static int exit_for(const char *verdict)
{
	if (!g_strcmp0(verdict, PC_VERDICT_PASS))
		return EXIT_PASS;
	if (!g_strcmp0(verdict, PC_VERDICT_FAIL))
		return EXIT_FAIL;
	if (!g_strcmp0(verdict, PC_VERDICT_NOT_PR))
		return EXIT_NOT_PR;
	return EXIT_UNCHECKED;
}

/* Build progress on stderr: what make is doing, a line at a time. */
static void show_progress(const char *line, gpointer data)
{
	if (g_str_has_prefix(line, "  ") || g_str_has_prefix(line, "make"))
		fprintf(stderr, "%s\n", line);
}

static gboolean send_reply(const PcConfig *config, GMimeMessage *reply,
			   GError **error)
{
	g_autoptr(PcOutbox) outbox = pc_outbox_new(config, error);
	char *text;
	g_autoptr(GBytes) bytes = NULL;

	if (!outbox)
		return FALSE;
	text = g_mime_object_to_string(GMIME_OBJECT(reply), NULL);
	bytes = g_bytes_new_take(text, strlen(text));
	return pc_outbox_send_reply(outbox, bytes, error);
}

static void print_result(CheckRun *c, const PcJobRun *run)
{
	g_autoptr(JsonObject) obj = pc_job_run_to_json(run);
	g_autofree char *reply = run->reply ? g_mime_object_to_string(
						      GMIME_OBJECT(run->reply), NULL)
					    : NULL;

	if (c->json) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *text = NULL;

		if (reply)
			json_object_set_string_member(obj, "reply", reply);
		else
			json_object_set_null_member(obj, "reply");
		json_node_set_object(node, obj);
		json_generator_set_root(gen, node);
		json_generator_set_pretty(gen, TRUE);
		text = json_generator_to_data(gen, NULL);
		puts(text);
	} else if (c->dry_run && reply) {
		fputs(reply, stdout);
	} else {
		const PcReason *first = run->reasons && run->reasons->len
						? run->reasons->pdata[0] : NULL;

		printf("%s: %s%s%s\n", run->mail.message_id ? run->mail.message_id
							    : "(no Message-ID)",
		       run->verdict, first ? ": " : "", first ? first->text : "");
	}
}

static gboolean on_message(const PcInputMessage *msg, gpointer data)
{
	CheckRun *c = data;
	PcJobOptions options = { .build = !c->no_build,
				 .on_line = show_progress };
	g_autoptr(GError) error = NULL;
	PcJobRun run;

	if (c->seen++) {
		fprintf(stderr, "pullcheck check: %s holds more than one "
				"message; only the first was checked\n", msg->file);
		return FALSE;
	}
	if (msg->error || !msg->message || msg->size > c->config->max_message_bytes) {
		fprintf(stderr, "pullcheck check: %s: %s\n", msg->file,
			msg->error ? msg->error->message
			: !msg->message ? "not a mail message"
					: "over [pullcheck] max_message_bytes");
		c->status = PC_EXIT_USAGE;
		return FALSE;
	}
	if (!pc_job_check(c->config, msg->message, msg->flags, &options, &run,
			  &error)) {
		fprintf(stderr, "pullcheck check: %s: %s\n", msg->file,
			error->message);
		c->status = EXIT_UNCHECKED;
		pc_job_run_clear(&run);
		return FALSE;
	}
	print_result(c, &run);
	c->status = exit_for(run.verdict);
	if (!c->dry_run && run.reply && !send_reply(c->config, run.reply, &error)) {
		fprintf(stderr, "pullcheck check: the reply was not sent: %s\n",
			error->message);
		c->status = EXIT_UNCHECKED;
	}
	pc_job_run_clear(&run);
	return FALSE;
}

int pc_cmd_check(int argc, char **argv)
{
	CheckRun c = { 0 };
	const GOptionEntry entries[] = {
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &c.dry_run,
		  "Print the reply instead of sending it", NULL },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &c.json,
		  "Print the job result (verdict, reasons, fetch, build, reply) "
		  "as JSON", NULL },
		{ "no-build", 0, 0, G_OPTION_ARG_NONE, &c.no_build,
		  "Fetch and check, but do not build (the verdict is then "
		  "could-not-check)", NULL },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "FILE.eml|-",
		"Checks one pull request the way watch would: fetches what it "
		"names, checks the\nrepository against the mail, builds it "
		"(x86-64 allmodconfig with CONFIG_RUST=y,\n[build] scope) and "
		"renders the reply. Without --dry-run the reply is sent\n"
		"through the [outbox]. Nothing is recorded in the job store.\n\n"
		"Exit status: 0 pass, 1 fail, 3 could not check, 4 not a pull "
		"request,\n2 bad command line, configuration or input.",
		entries, &status);
	if (!config)
		return status;
	if (argc != 2) {
		fprintf(stderr, "pullcheck check: name one FILE.eml (or -)\n");
		return PC_EXIT_USAGE;
	}
	c.config = config;
	c.status = PC_EXIT_USAGE;
	if (!pc_input_foreach(argv[1], config->max_message_bytes, on_message,
			      &c, &error)) {
		fprintf(stderr, "pullcheck check: %s\n", error->message);
		return PC_EXIT_USAGE;
	}
	return c.status;
}
