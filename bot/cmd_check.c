// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck check: the whole pipeline for one message, once, without
 * the job store: parse, fetch, build, verdict, reply.
 *
 * Its worktree and build output are its own (CACHE/check/), never the
 * daemon's: a maintainer runs check by hand beside a running watch, to
 * look again at a request or try a setting, and expects it to work then,
 * not to be told the daemon is busy for the hours a build takes, nor to
 * disturb the build the daemon has under way. Two checks at once would
 * share CACHE/check/, so the second says who has it and stops.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "autocleanup.h"
#include "cmd.h"
#include "input.h"
#include "job.h"
#include "lock.h"
#include "outbox.h"
#include "triage.h"
#include "reply.h"
#include "terminal.h"

typedef struct {
	const PcConfig *config;
	gboolean dry_run, json, no_build;
	char *repo;		/* --repo, made absolute; NULL: none */
	guint seen;
	int status;
} CheckRun;

/* Text from mail or from a build, printed for a person: escaped. */
static void print_escaped(FILE *out, const char *text, PcTerminalFlags flags)
{
	g_autofree char *safe = pc_terminal_escape(text, flags);

	fputs(safe, out);
}

/* One line on stderr, "pullcheck check: ..." with the text escaped. */
G_GNUC_PRINTF(1, 2)
static void complain(const char *format, ...)
{
	g_autofree char *text = NULL;
	va_list args;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	fputs("pullcheck check: ", stderr);
	print_escaped(stderr, text, PC_TERMINAL_LINE);
	fputc('\n', stderr);
}

/* Build progress on stderr: what make is doing, a line at a time. */
/* make's steps and pullcheck's own notes, "[stage] " in front of each. */
static void show_progress(const char *line, gpointer data)
{
	const char *rest = line;
	const char *end = line[0] == '[' ? strstr(line, "] ") : NULL;

	if (end)
		rest = end + 2;
	if (g_str_has_prefix(rest, "  ") || g_str_has_prefix(rest, "make") ||
	    g_str_has_prefix(rest, "### pullcheck: ")) {
		print_escaped(stderr, line, PC_TERMINAL_LINE);
		fputc('\n', stderr);
	}
}

/* The envelope is pullcheck's own decision, never read from @reply. */
static gboolean send_reply(const PcConfig *config, const PcJobRun *run,
			   GError **error)
{
	g_autoptr(PcOutbox) outbox = pc_outbox_new(config, error);
	g_autoptr(JsonObject) result = pc_job_run_to_json(run);
	g_auto(GStrv) rcpts = NULL;
	char *text;
	g_autoptr(GBytes) bytes = NULL;

	if (!outbox ||
	    !(rcpts = pc_reply_recipients(config, &run->mail, result, error)))
		return FALSE;
	text = g_mime_object_to_string(GMIME_OBJECT(run->reply), NULL);
	bytes = g_bytes_new_take(text, strlen(text));
	return pc_outbox_send_reply(outbox, (const char *const *)rcpts, bytes,
				    error);
}

/*
 * Sent by hand or by the daemon, a reply keeps the same never-reply rules
 * (triage.c): automatic mail, our own, opt-outs, "pullcheck: no".
 */
static void send_unless_refused(CheckRun *c, const PcJobRun *run)
{
	g_autofree char *refusal = pc_triage_refusal(c->config, &run->mail);
	g_autoptr(GError) error = NULL;

	if (refusal) {
		complain("the reply was not sent: %s", refusal);
		return;
	}
	if (!send_reply(c->config, run, &error)) {
		complain("the reply was not sent: %s", error->message);
		c->status = pc_verdict_exit_status(PC_VERDICT_IS_UNCHECKED);
	}
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
		/* Mail text: its lines stay, its control characters do not. */
		print_escaped(stdout, reply, PC_TERMINAL_KEEP_LINES);
	} else {
		const PcReason *first = run->reasons && run->reasons->len
						? run->reasons->pdata[0] : NULL;
		g_autofree char *line = g_strdup_printf(
			"%s: %s%s%s", run->mail.message_id ? run->mail.message_id
							   : "(no Message-ID)",
			run->verdict, first ? ": " : "", first ? first->text : "");

		print_escaped(stdout, line, PC_TERMINAL_LINE);
		putchar('\n');
	}
}

/* A fetch to be tried again: why, and how long check waits, on stderr. */
static void show_retry(const PcReason *cause, guint tries, gint64 wait,
		       gpointer data)
{
	const PcConfig *config = data;

	complain("%s [%s]: fetch %u; trying again in %" G_GINT64_FORMAT
		 " s ([fetch] retry_window %u s)", cause->text, cause->code,
		 tries, wait, config->fetch_retry_window);
}

static gboolean on_message(const PcInputMessage *msg, gpointer data)
{
	CheckRun *c = data;
	PcJobOptions options = { .build = !c->no_build,
				 .on_line = show_progress,
				 .on_line_data = (gpointer)c->config,
				 .local_repo = c->repo,
				 .on_retry = show_retry };
	g_autoptr(GError) error = NULL;
	PcJobRun run;

	if (c->seen++) {
		complain("%s holds more than one message; only the first was "
			 "checked", msg->file);
		return FALSE;
	}
	if (msg->error || !msg->message || msg->size > c->config->max_message_bytes) {
		complain("%s: %s", msg->file,
			 msg->error ? msg->error->message
			 : !msg->message ? "not a mail message"
					 : "over [pullcheck] max_message_bytes");
		c->status = PC_EXIT_USAGE;
		return FALSE;
	}
	if (!pc_job_check(c->config, msg->message, msg->flags, &options, &run,
			  &error)) {
		complain("%s: %s", msg->file, error->message);
		c->status = pc_verdict_exit_status(PC_VERDICT_IS_UNCHECKED);
		pc_job_run_clear(&run);
		return FALSE;
	}
	print_result(c, &run);
	c->status = pc_verdict_exit_status(pc_verdict_parse(run.verdict));
	if (!run.reply && run.no_reply &&
	    strcmp(run.verdict, PC_VERDICT_NOT_PR))
		complain("no reply: %s", run.no_reply);
	else if (run.reply && run.audience == PC_REPLY_OPERATOR)
		complain("the reply is for [reply] contact only: %s",
			 run.no_reply);
	if (!c->dry_run && run.reply)
		send_unless_refused(c, &run);
	pc_job_run_clear(&run);
	return FALSE;
}

/*
 * Points [build] cache_dir at CACHE/check/ and takes its lock, so the
 * worktree and output this run uses are no one else's. NULL: busy or
 * broken, and said so. (transfer full)
 */
static PcLock *own_cache(PcConfig *config)
{
	char *dir = g_build_filename(config->build_cache_dir, "check", NULL);
	g_autofree char *path = g_build_filename(dir, "lock", NULL);
	g_autoptr(GError) error = NULL;
	PcLock *lock = NULL;

	g_free(config->build_cache_dir);
	config->build_cache_dir = dir;
	if (g_mkdir_with_parents(dir, 0700) < 0)
		complain("%s: %s", dir, g_strerror(errno));
	else if (!(lock = pc_lock_take(path, "pullcheck check", &error)))
		complain("%s%s", error->message,
			 g_error_matches(error, PC_LOCK_ERROR,
					 PC_LOCK_ERROR_BUSY)
				 ? "; one check at a time per cache_dir"
				 : "");
	return lock;
}

/* A mail starts with a header field ("Name: ...") or an mbox "From ". */
static gboolean looks_like_mail(const char *text, gsize len)
{
	gsize i;

	if (len >= 5 && !strncmp(text, "From ", 5))
		return TRUE;
	for (i = 0; i < len && text[i] > ' ' && text[i] < 0x7f &&
		    text[i] != ':';
	     i++)
		;
	return i > 0 && i < len && text[i] == ':';
}

/*
 * `git request-pull ... | pullcheck check -` gives the text of a pull
 * request, no mail around it: it gets the headers a pull request to the
 * top level would have, so that it is checked as one, and its reply is
 * printed, never sent (there is no one to send it to).
 */
static char *wrap_text(const PcConfig *config, const char *text, gsize len)
{
	const char *to = config->reply_top_level && config->reply_top_level[0] &&
				 !strpbrk(config->reply_top_level[0], "*?[")
			 ? config->reply_top_level[0]
			 : "torvalds@linux-foundation.org";
	g_autofree char *sum = g_compute_checksum_for_data(
		G_CHECKSUM_SHA256, (const guchar *)text, len);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *date = g_date_time_format(now,
						   "%a, %d %b %Y %H:%M:%S +0000");

	return g_strdup_printf("From: pullcheck check <check@localhost>\n"
			       "To: %s\n"
			       "Subject: [GIT PULL] (standard input, checked "
			       "before sending)\n"
			       "Date: %s\n"
			       "Message-ID: <request-pull-%.16s@localhost>\n"
			       "\n%.*s", to, date, sum, (int)len, text);
}

/*
 * Standard input into CACHE/check/input.eml, read once: as it came when
 * it is a mail, wrapped (wrap_text) when it is git request-pull's text.
 * The path, or NULL after saying why. (transfer full)
 */
static char *take_stdin(CheckRun *c)
{
	g_autoptr(GByteArray) in = g_byte_array_new();
	g_autofree char *path = g_build_filename(c->config->build_cache_dir,
						 "input.eml", NULL);
	g_autofree char *wrapped = NULL;
	g_autoptr(GError) error = NULL;
	guchar buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 &&
	       in->len <= c->config->max_message_bytes)
		g_byte_array_append(in, buf, n);
	if (ferror(stdin) || in->len > c->config->max_message_bytes) {
		complain("standard input: %s", ferror(stdin)
			 ? g_strerror(errno)
			 : "over [pullcheck] max_message_bytes");
		return NULL;
	}
	if (!looks_like_mail((const char *)in->data, in->len)) {
		wrapped = wrap_text(c->config, (const char *)in->data, in->len);
		if (!c->dry_run && !c->json)
			complain("standard input is not a mail (git "
				 "request-pull's text?): checked as one to the "
				 "top level; the reply is printed, not sent");
		c->dry_run = TRUE;
	}
	if (!g_file_set_contents(path, wrapped ? wrapped : (char *)in->data,
				 wrapped ? -1 : (gssize)in->len, &error)) {
		complain("%s", error->message);
		return NULL;
	}
	return g_steal_pointer(&path);
}

/*
 * --repo on a store with no mainline yet: the objects come from the
 * user's clone first (a hard link or a copy, fetch_seed.c), so the
 * mainline fetch the check starts with downloads only what it lacks.
 * Only said when it fails: the check then fetches mainline in full.
 */
static void seed_from_repo(const PcConfig *config, const char *repo)
{
	g_autofree char *store = pc_job_store_path(config);
	g_autofree char *commit = NULL, *date = NULL, *at = NULL;
	g_autoptr(GError) error = NULL;
	PcFetchOptions opts;
	guint refs = 0;

	pc_fetch_options_init(&opts, config);
	opts.store = store;
	if (pc_fetch_mainline_info(&opts, &commit, &date, &at, &error) ||
	    error)
		return;
	if (pc_fetch_seed_mainline(&opts, repo, NULL, &refs, &error))
		fprintf(stderr, "pullcheck check: mainline seeded from %s "
			"(%u refs)\n", repo, refs);
	else
		complain("mainline not seeded from %s, so it is fetched in "
			 "full: %s", repo, error->message);
}

int pc_cmd_check(int argc, char **argv)
{
	CheckRun c = { 0 };
	g_autofree char *repo = NULL, *input = NULL;
	const GOptionEntry entries[] = {
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &c.dry_run,
		  "Print the reply instead of sending it", NULL },
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &c.json,
		  "Print the job result (verdict, reasons, fetch, build, reply) "
		  "as JSON", NULL },
		{ "no-build", 0, 0, G_OPTION_ARG_NONE, &c.no_build,
		  "Fetch and check, but do not build (the verdict is then "
		  "could-not-check)", NULL },
		{ "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo,
		  "Fetch the ref from this local repository instead of the "
		  "mail's URL (a branch not pushed yet); seeds mainline from "
		  "it when the store has none", "PATH" },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcLock) lock = NULL;
	g_autoptr(GError) error = NULL;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "FILE.eml|-",
		"Checks one pull request the way watch would: fetches what it "
		"names, checks the\nrepository against the mail, builds it "
		"(x86-64 allmodconfig with CONFIG_RUST=y,\n[build] scope) and "
		"renders the reply. Without --dry-run the reply is sent\n"
		"through the [outbox]. Nothing is recorded in the job store.\n"
		"A pull request not addressed to a [reply] top_level recipient "
		"gets no reply,\nand a could-not-check on our side is for "
		"[reply] contact alone.\n"
		"The worktree and build output are [build] cache_dir/check/, "
		"not the daemon's,\nso check runs beside a running watch; a "
		"second check at the same time\nsays which process has them "
		"and exits 3.\nA ref not found or a failed fetch is fetched "
		"again over [fetch] retry_window,\neach wait said on stderr "
		"(not with --repo).\n\n"
		"Before sending a pull request, on the maintainer's own "
		"machine:\n"
		"  git request-pull v6.18 URL for-linus | pullcheck check "
		"--dry-run --repo . -\n"
		"checks the branch in the repository at --repo, as it is, "
		"even if not pushed.\n"
		"Standard input that is not a mail (git request-pull's "
		"text) is checked as a\npull request to the first [reply] "
		"top_level address; its reply is printed,\nnever sent.\n\n"
		"Exit status: 0 pass (pass, pass-partial, pass-command), 1 fail, "
		"3 could not\ncheck (unverified too), 4 not a pull request, 2 "
		"bad command line,\nconfiguration or input.",
		entries, &status);
	if (!config)
		return status;
	if (argc != 2) {
		fprintf(stderr, "pullcheck check: name one FILE.eml (or -)\n");
		return PC_EXIT_USAGE;
	}
	if (repo && !g_file_test(repo, G_FILE_TEST_IS_DIR)) {
		complain("--repo %s: not a directory", repo);
		return PC_EXIT_USAGE;
	}
	if (!(lock = own_cache(config)))
		return pc_verdict_exit_status(PC_VERDICT_IS_UNCHECKED);
	c.repo = repo ? g_canonicalize_filename(repo, NULL) : NULL;
	if (c.repo)
		seed_from_repo(config, c.repo);
	c.config = config;
	c.status = PC_EXIT_USAGE;
	input = strcmp(argv[1], "-") ? g_strdup(argv[1]) : take_stdin(&c);
	if (!input) {
		g_free(c.repo);
		return PC_EXIT_USAGE;
	}
	if (!pc_input_foreach(input, config->max_message_bytes, on_message,
			      &c, &error)) {
		complain("%s", error->message);
		g_free(c.repo);
		return PC_EXIT_USAGE;
	}
	g_free(c.repo);
	return c.status;
}
