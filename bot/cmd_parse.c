// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck parse: one JSON object per message, no network, no writes.
 */
#define G_LOG_DOMAIN "pullcheck-parse"

#include <stdio.h>

#include "cmd.h"
#include "input.h"
#include "json.h"
#include "pullreq.h"

typedef struct {
	PcPullreqParser *parser;
	GString *line;		/* the output line, reused */
	guint64 cap;
	gboolean failed;
} ParseRun;

/* @name is a fixed key: no escaping needed. */
static void add_string(GString *out, const char *name, const char *value)
{
	g_string_append_c(out, ',');
	g_string_append_c(out, '"');
	g_string_append(out, name);
	g_string_append(out, "\":");
	if (!value) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	pc_json_append_escaped(out, value);
	g_string_append_c(out, '"');
}

static const char *tri_json(PcTri value)
{
	if (value == PC_TRI_NULL)
		return "null";
	return value == PC_TRI_TRUE ? "true" : "false";
}

/*
 * The contract's object, on one line, keys in this order; the bytes
 * json-glib's generator wrote for it (no blanks between tokens).
 */
static void to_json(GString *out, const char *file, const PcMail *mail,
		    const PcPullreq *pr, gboolean has_body)
{
	g_string_append(out, "{\"file\":\"");
	pc_json_append_escaped(out, file);
	g_string_append_c(out, '"');
	add_string(out, "message_id", mail->message_id);
	add_string(out, "subject", mail->subject);
	add_string(out, "from", mail->from);
	add_string(out, "date", mail->date);
	g_string_append(out, ",\"is_pull_request\":");
	g_string_append(out, pr->is_pull_request ? "true" : "false");
	add_string(out, "reason", pr->reason);
	add_string(out, "repo_url", pr->repo_url);
	add_string(out, "fetch_url", pr->fetch_url);
	add_string(out, "ref", pr->ref);
	add_string(out, "base_commit", pr->base_commit);
	add_string(out, "end_commit", pr->end_commit);
	add_string(out, "tag_commit", pr->tag_commit);
	g_string_append(out, ",\"signed_tag\":");
	g_string_append(out, tri_json(pr->signed_tag));
	add_string(out, "body_sha256", has_body ? mail->body_sha256 : NULL);
	g_string_append(out, "}\n");
}

static void print_line(ParseRun *run)
{
	fwrite(run->line->str, 1, run->line->len, stdout);
	g_string_truncate(run->line, 0);
}

/*
 * Reads one message into @mail and @pr. Returns whether its body was
 * read (so body_sha256 means something); otherwise pr->reason says why.
 */
static gboolean read_message(ParseRun *run, const PcInputMessage *msg,
			     PcMail *mail, PcPullreq *pr)
{
	/* The JSON line has no threading headers: do not read them. */
	PcMailFlags flags = msg->flags | PC_MAIL_NO_THREAD;
	g_autoptr(GError) error = NULL;

	if (!msg->message) {
		pr->reason = g_strdup("not a mail message: no header GMime "
				      "could read");
		return FALSE;
	}
	if (msg->size > run->cap) {
		/* A cap of 0 reads the headers and no text at all. */
		pc_mail_init_from_message(mail, msg->message, 0, flags, NULL);
		pr->reason = g_strdup_printf(
			"the message is %" G_GUINT64_FORMAT " bytes, over the "
			"cap of %" G_GUINT64_FORMAT " (max_message_bytes)",
			msg->size, run->cap);
		return FALSE;
	}
	if (!pc_mail_init_from_message(mail, msg->message, run->cap, flags,
				       &error)) {
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
	gboolean has_body;

	if (msg->error) {
		fprintf(stderr, "pullcheck parse: %s\n", msg->error->message);
		run->failed = TRUE;
		return TRUE;
	}
	has_body = read_message(run, msg, &mail, &pr);
	to_json(run->line, msg->file, &mail, &pr, has_body);
	print_line(run);
	pc_pullreq_clear(&pr);
	pc_mail_clear(&mail);
	return TRUE;
}

int pc_cmd_parse(int argc, char **argv)
{
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcPullreqParser) parser = NULL;
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
	line = g_string_sized_new(1024);
	run.line = line;
	run.parser = parser;
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
