// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck status: what the daemon is doing and what waits, read from
 * the job store alone (read-only, so it never holds the daemon up):
 * the jobs by state, the open ones with their age, the running build
 * with its elapsed time and last make step, the last 24 hours by
 * verdict, the source's connection and last UID, the replies waiting.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "store.h"
#include "terminal.h"
#include "verdict.h"

/* The daemon writes its row every 2 s; older than this, it is gone. */
#define STALE_S 30

static const char *const STATES[] = {
	PC_STATE_RECEIVED,  PC_STATE_QUEUED,	   PC_STATE_FETCHING,
	PC_STATE_BUILDING,  PC_STATE_REPORTING,	   PC_STATE_FAILED_INFRA,
	PC_STATE_REPLIED,   PC_STATE_CHECKED,	   PC_STATE_IGNORED,
	PC_STATE_SUPERSEDED, NULL
};
static const char *const VERDICTS[] = { PC_VERDICT_PASS, PC_VERDICT_FAIL,
					PC_VERDICT_UNCHECKED, NULL };

typedef struct {
	JsonObject *watch;	/* the daemon's own row, NULL if never */
	gboolean running;
	JsonObject *mainline;	/* pullcheck mainline's row, NULL if never */
	GHashTable *states, *verdicts;
	GPtrArray *open;	/* PcStoreJob* */
	gint64 now;
} Status;

static void status_clear(Status *s)
{
	if (s->watch)
		json_object_unref(s->watch);
	if (s->mainline)
		json_object_unref(s->mainline);
	g_clear_pointer(&s->states, g_hash_table_unref);
	g_clear_pointer(&s->verdicts, g_hash_table_unref);
	g_clear_pointer(&s->open, g_ptr_array_unref);
}

static JsonObject *parse_row(const char *row)
{
	g_autoptr(JsonNode) node = row ? json_from_string(row, NULL) : NULL;

	if (!node || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_object_ref(json_node_get_object(node));
}

static gboolean read_status(PcStore *store, Status *s, GError **error)
{
	g_autofree char *row = NULL, *mainline = NULL;

	s->now = g_get_real_time() / G_USEC_PER_SEC;
	s->states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->verdicts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    NULL);
	if (!pc_store_count_states(store, s->states, error) ||
	    !pc_store_count_verdicts(store, s->now - 24 * 3600, s->verdicts,
				     error) ||
	    !(s->open = pc_store_list_open(store, error)) ||
	    !pc_store_get_value(store, "watch", &row, error) ||
	    !pc_store_get_value(store, "mainline", &mainline, error))
		return FALSE;
	s->watch = parse_row(row);
	s->mainline = parse_row(mainline);
	if (s->watch) {
		gint64 pid = json_object_get_int_member_with_default(s->watch,
								    "pid", 0);
		gint64 at = json_object_get_int_member_with_default(
			s->watch, "updated_at", 0);

		s->running = pid > 0 && s->now - at < STALE_S &&
			     !json_object_get_boolean_member_with_default(
				     s->watch, "stopped", FALSE) &&
			     (kill(pid, 0) == 0 || errno == EPERM);
	}
	return TRUE;
}

static guint count(GHashTable *h, const char *key)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(h, key));
}

static void age(GString *out, gint64 seconds)
{
	if (seconds < 120)
		g_string_append_printf(out, "%" G_GINT64_FORMAT "s", seconds);
	else if (seconds < 2 * 3600)
		g_string_append_printf(out, "%" G_GINT64_FORMAT "m",
				       seconds / 60);
	else if (seconds < 2 * 86400)
		g_string_append_printf(out, "%" G_GINT64_FORMAT "h",
				       seconds / 3600);
	else
		g_string_append_printf(out, "%" G_GINT64_FORMAT "d",
				       seconds / 86400);
}

/* A string of the daemon's row, "" when it has none. */
static const char *member(JsonObject *o, const char *name)
{
	const char *s = pc_json_get_string(o, name);

	return s ? s : "";
}

/*
 * Appends @text from mail or a build on one line, its control
 * characters escaped: a subject must not clear the operator's screen
 * or start a line that looks like another job.
 */
static void append_line(GString *out, const char *text)
{
	g_autofree char *safe = pc_terminal_escape(text, PC_TERMINAL_LINE);

	g_string_append(out, safe ? safe : "");
}

/* The last that `pullcheck mainline` said, and how long ago. */
static void print_mainline(GString *out, Status *s)
{
	gint64 at, pid;
	const char *phase;

	if (!s->mainline)
		return;
	at = json_object_get_int_member_with_default(s->mainline,
						     "updated_at", 0);
	pid = json_object_get_int_member_with_default(s->mainline, "pid", 0);
	phase = member(s->mainline, "phase");
	g_string_append(out, "mainline  ");
	append_line(out, member(s->mainline, "text"));
	if (*member(s->mainline, "error")) {
		g_string_append(out, ": ");
		append_line(out, member(s->mainline, "error"));
	}
	g_string_append(out, " (");
	age(out, s->now - at);
	g_string_append(out, " ago");
	if (strcmp(phase, "done") && strcmp(phase, "failed") &&
	    !(pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)))
		g_string_append(out, "; its process is gone");
	g_string_append(out, ")\n");
}

static void print_text(const char *db, Status *s)
{
	g_autoptr(GString) out = g_string_new(NULL);
	guint waiting = 0;

	g_string_append_printf(out, "store     %s\n", db);
	if (!s->watch) {
		g_string_append(out, "daemon    has not run on this store\n");
	} else if (!s->running) {
		g_string_append(out, "daemon    not running (last seen ");
		age(out, s->now - json_object_get_int_member_with_default(
					  s->watch, "updated_at", 0));
		g_string_append(out, " ago)\n");
	} else if (strcmp(member(s->watch, "activity"), "idle")) {
		g_string_append_printf(
			out, "daemon    running (pid %" G_GINT64_FORMAT "): %s job %"
			G_GINT64_FORMAT " for ",
			json_object_get_int_member(s->watch, "pid"),
			member(s->watch, "activity"),
			json_object_get_int_member(s->watch, "job"));
		age(out, json_object_get_int_member(s->watch, "elapsed_s"));
		g_string_append(out, "\n");
		if (*member(s->watch, "last_line")) {
			g_string_append(out, "          last step: ");
			append_line(out, member(s->watch, "last_line"));
			g_string_append_c(out, '\n');
		}
	} else {
		g_string_append_printf(
			out, "daemon    running (pid %" G_GINT64_FORMAT "), idle\n",
			json_object_get_int_member(s->watch, "pid"));
	}
	print_mainline(out, s);
	if (s->watch) {
		g_string_append(out, "source    ");
		append_line(out, *member(s->watch, "source")
					 ? member(s->watch, "source")
					 : "not opened yet");
		g_string_append_c(out, '\n');
	}
	g_string_append(out, "jobs     ");
	for (guint i = 0; STATES[i]; i++)
		g_string_append_printf(out, " %s %u%s", STATES[i],
				       count(s->states, STATES[i]),
				       !STATES[i + 1] ? "\n"
				       : i == 4	      ? ",\n         "
						      : ",");
	g_string_append(out, "last 24 h");
	for (guint i = 0; VERDICTS[i]; i++)
		g_string_append_printf(out, " %s %u%s", VERDICTS[i],
				       count(s->verdicts, VERDICTS[i]),
				       VERDICTS[i + 1] ? "," : "\n");
	for (guint i = 0; i < s->open->len; i++)
		waiting += !strcmp(((PcStoreJob *)s->open->pdata[i])->state,
				   PC_STATE_REPORTING);
	g_string_append_printf(out, "outbox    %u repl%s waiting to be sent\n",
			       waiting, waiting == 1 ? "y" : "ies");
	if (s->open->len)
		g_string_append(out, "\nopen jobs (oldest first)\n");
	for (guint i = 0; i < s->open->len; i++) {
		const PcStoreJob *j = s->open->pdata[i];

		g_string_append_printf(out, "  %5" G_GINT64_FORMAT "  %-12s ",
				       j->id, j->state);
		age(out, s->now - j->received_at);
		g_string_append(out, "  <");
		append_line(out, j->message_id);
		g_string_append(out, ">  ");
		append_line(out, j->subject);
		g_string_append_c(out, '\n');
		if (j->attempts || j->reason) {
			g_string_append_printf(out, "         try %u", j->attempts);
			if (j->next_attempt_at > s->now &&
			    j->next_attempt_at < G_MAXINT64) {
				g_string_append(out, ", next in ");
				age(out, j->next_attempt_at - s->now);
			} else if (j->next_attempt_at == G_MAXINT64) {
				g_string_append(out, ", not retried");
			}
			if (j->reason) {
				g_string_append(out, ": ");
				append_line(out, j->reason);
			}
			g_string_append(out, "\n");
		}
	}
	fputs(out->str, stdout);
}

static void add_counts(JsonBuilder *b, const char *name, GHashTable *h,
		       const char *const *keys)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (guint i = 0; keys[i]; i++) {
		json_builder_set_member_name(b, keys[i]);
		json_builder_add_int_value(b, count(h, keys[i]));
	}
	json_builder_end_object(b);
}

static void print_json(const char *db, Status *s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	pc_json_add_string(b, "store", db);
	json_builder_set_member_name(b, "daemon");
	if (s->watch) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_object_set_boolean_member(s->watch, "running", s->running);
		json_node_set_object(node, s->watch);
		json_builder_add_value(b, g_steal_pointer(&node));
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "mainline");
	if (s->mainline) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(node, s->mainline);
		json_builder_add_value(b, g_steal_pointer(&node));
	} else {
		json_builder_add_null_value(b);
	}
	add_counts(b, "states", s->states, STATES);
	add_counts(b, "verdicts_24h", s->verdicts, VERDICTS);
	json_builder_set_member_name(b, "open");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->open->len; i++) {
		const PcStoreJob *j = s->open->pdata[i];

		json_builder_begin_object(b);
		pc_json_add_int(b, "id", j->id);
		pc_json_add_string(b, "state", j->state);
		pc_json_add_string(b, "message_id", j->message_id);
		pc_json_add_string(b, "subject", j->subject);
		pc_json_add_string(b, "from", j->from_addr);
		pc_json_add_int(b, "age_s", s->now - j->received_at);
		pc_json_add_int(b, "attempts", j->attempts);
		pc_json_add_string(b, "reason", j->reason);
		json_builder_set_member_name(b, "next_attempt_at");
		if (j->next_attempt_at > s->now && j->next_attempt_at < G_MAXINT64)
			json_builder_add_int_value(b, j->next_attempt_at);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "outbox");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->open->len; i++) {
		const PcStoreJob *j = s->open->pdata[i];

		if (!strcmp(j->state, PC_STATE_REPORTING))
			json_builder_add_int_value(b, j->id);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, TRUE);
	puts(text);
}

int pc_cmd_status(int argc, char **argv)
{
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json,
		  "Print the status as one JSON object", NULL },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *db = NULL;
	Status s = { 0 };
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- jobs and their states",
		"Shows what the daemon is doing, read from the job store "
		"(STATE/pullcheck.db)\nwithout writing to it: the jobs by "
		"state, the open ones with their age and\nlast reason, the "
		"running step with its elapsed time and last make step, the\n"
		"verdicts of the last 24 hours, the source's connection and "
		"last UID, and the\nreplies waiting to be sent.\n\n"
		"Exit status: 0, or 1 when there is no job store to read.",
		entries, &status);
	if (!config)
		return status;
	if (argc > 1) {
		fprintf(stderr, "pullcheck status: takes no arguments\n");
		return PC_EXIT_USAGE;
	}
	db = pc_store_path(config->state_dir);
	if (!g_file_test(db, G_FILE_TEST_EXISTS)) {
		fprintf(stderr, "pullcheck status: no job store at %s: watch "
				"has not run with this state_dir\n", db);
		return PC_EXIT_FAILURE;
	}
	store = pc_store_open_readonly(db, &error);
	if (!store || !read_status(store, &s, &error)) {
		fprintf(stderr, "pullcheck status: %s\n", error->message);
		status_clear(&s);
		return PC_EXIT_FAILURE;
	}
	if (json)
		print_json(db, &s);
	else
		print_text(db, &s);
	status_clear(&s);
	return PC_EXIT_OK;
}
