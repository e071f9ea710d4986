// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck parse: one JSON object per message, no network, no writes.
 */
#define G_LOG_DOMAIN "pullcheck-parse"

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cmd.h"
#include "input.h"
#include "pullreq.h"

typedef struct {
	PcPullreqParser *parser;
	JsonGenerator *gen;
	JsonBuilder *builder;
	GString *line;		/* the output line, reused */
	guint64 cap;
	gboolean failed;
} ParseRun;

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void add_tri(JsonBuilder *b, const char *name, PcTri value)
{
	json_builder_set_member_name(b, name);
	if (value == PC_TRI_NULL)
		json_builder_add_null_value(b);
	else
		json_builder_add_boolean_value(b, value == PC_TRI_TRUE);
}

/* One builder for the whole run: reset, not made anew, per message. */
static JsonNode *to_json(JsonBuilder *b, const char *file, const PcMail *mail,
			 const PcPullreq *pr, gboolean has_body)
{
	json_builder_reset(b);
	json_builder_begin_object(b);
	add_string(b, "file", file);
	add_string(b, "message_id", mail->message_id);
	add_string(b, "subject", mail->subject);
	add_string(b, "from", mail->from);
	add_string(b, "date", mail->date);
	json_builder_set_member_name(b, "is_pull_request");
	json_builder_add_boolean_value(b, pr->is_pull_request);
	add_string(b, "reason", pr->reason);
	add_string(b, "repo_url", pr->repo_url);
	add_string(b, "fetch_url", pr->fetch_url);
	add_string(b, "ref", pr->ref);
	add_string(b, "base_commit", pr->base_commit);
	add_string(b, "end_commit", pr->end_commit);
	add_string(b, "tag_commit", pr->tag_commit);
	add_tri(b, "signed_tag", pr->signed_tag);
	add_string(b, "body_sha256", has_body ? mail->body_sha256 : NULL);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void print_json(ParseRun *run, JsonNode *node)
{
	g_string_truncate(run->line, 0);
	json_generator_set_root(run->gen, node);
	json_generator_to_gstring(run->gen, run->line);
	g_string_append_c(run->line, '\n');
	fwrite(run->line->str, 1, run->line->len, stdout);
}

/*
 * Reads one message into @mail and @pr. Returns whether its body was
 * read (so body_sha256 means something); otherwise pr->reason says why.
 */
static gboolean read_message(ParseRun *run, const PcInputMessage *msg,
			     PcMail *mail, PcPullreq *pr)
{
	g_autoptr(GError) error = NULL;

	if (!msg->message) {
		pr->reason = g_strdup("not a mail message: no header GMime "
				      "could read");
		return FALSE;
	}
	if (msg->size > run->cap) {
		/* A cap of 0 reads the headers and no text at all. */
		pc_mail_init_from_message(mail, msg->message, 0, msg->flags,
					  NULL);
		pr->reason = g_strdup_printf(
			"the message is %" G_GUINT64_FORMAT " bytes, over the "
			"cap of %" G_GUINT64_FORMAT " (max_message_bytes)",
			msg->size, run->cap);
		return FALSE;
	}
	if (!pc_mail_init_from_message(mail, msg->message, run->cap,
				       msg->flags, &error)) {
		pr->reason = g_strdup(error->message);
		return FALSE;
	}
	pc_pullreq_parse(run->parser, mail, pr);
	return TRUE;
}

static gboolean on_message(const PcInputMessage *msg, gpointer data)
{
	ParseRun *run = data;
	PcMail mail = { 0 };
	PcPullreq pr = { .signed_tag = PC_TRI_NULL };
	g_autoptr(JsonNode) node = NULL;
	gboolean has_body;

	if (msg->error) {
		fprintf(stderr, "pullcheck parse: %s\n", msg->error->message);
		run->failed = TRUE;
		return TRUE;
	}
	has_body = read_message(run, msg, &mail, &pr);
	node = to_json(run->builder, msg->file, &mail, &pr, has_body);
	print_json(run, node);
	pc_pullreq_clear(&pr);
	pc_mail_clear(&mail);
	return TRUE;
}

int pc_cmd_parse(int argc, char **argv)
{
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcPullreqParser) parser = NULL;
	g_autoptr(JsonGenerator) gen = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	g_autoptr(GString) line = NULL;
	ParseRun run = { 0 };
	int status;

	config = pc_cmd_init(
		&argc, &argv, "FILE|MBOX|MAILDIR|- ...",
		"Prints one JSON object per message: whether it is a pull "
		"request and what it\nasks to pull (repo_url, fetch_url, ref, "
		"base_commit, end_commit, tag_commit,\nsigned_tag), with "
		"message_id, subject, from, date and body_sha256. Absent\n"
		"fields are null. Reads single messages, mbox files, Maildir "
		"folders (new/ then\ncur/) and standard input (-). No network; "
		"writes nothing.\n\n"
		"Exit status: 0, or 1 if a path could not be read (the rest "
		"are still read).",
		NULL, &status);
	if (!config)
		return status;
	if (argc < 2) {
		fprintf(stderr, "pullcheck parse: name at least one FILE, "
				"MBOX, MAILDIR or -\n");
		return PC_EXIT_USAGE;
	}
	parser = pc_pullreq_parser_new();
	gen = json_generator_new();
	builder = json_builder_new();
	line = g_string_sized_new(1024);
	run.builder = builder;
	run.line = line;
	run.parser = parser;
	run.gen = gen;
	run.cap = config->max_message_bytes;
	for (int i = 1; i < argc; i++) {
		g_autoptr(GError) error = NULL;

		if (!pc_input_foreach(argv[i], run.cap, on_message, &run,
				      &error)) {
			fprintf(stderr, "pullcheck parse: %s\n", error->message);
			run.failed = TRUE;
		}
	}
	return run.failed ? PC_EXIT_FAILURE : PC_EXIT_OK;
}
