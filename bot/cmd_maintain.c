// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck maintain: the upkeep of the state directory (maintain.h),
 * and what it gave back, on the terminal or as one JSON object.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cmd.h"
#include "json.h"
#include "maintain.h"

static char *size(gint64 bytes)
{
	if (bytes < 0) {
		g_autofree char *s = g_format_size_full(-bytes,
							G_FORMAT_SIZE_IEC_UNITS);
		return g_strconcat("-", s, NULL);
	}
	return g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void print_text(const PcMaintainReport *r)
{
	g_autofree char *sb = size(r->store_before), *sa = size(r->store_after);
	g_autofree char *db = size(r->db_before), *da = size(r->db_after);
	g_autofree char *raw = size(r->raw_bytes), *logs = size(r->log_bytes);
	g_autofree char *all = size(pc_maintain_reclaimed(r));
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(r->raw_before);
	g_autofree char *before = g_date_time_format(t, "%Y-%m-%d %H:%M");

	if (r->have_store)
		printf("object store %s:\n"
		       "  job refs: %u deleted, of %u finished job%s; "
		       "%u open job%s kept\n"
		       "  git gc: %.1f s, %s -> %s\n",
		       r->store, r->refs.refs, r->refs.jobs,
		       r->refs.jobs == 1 ? "" : "s", r->refs.jobs_kept,
		       r->refs.jobs_kept == 1 ? "'s refs" : "s' refs", r->gc_s,
		       sb, sa);
	else
		printf("object store %s: none yet\n", r->store);
	printf("build logs of jobs finished before %s: %u removed (%s)\n",
	       before, r->logs_removed, logs);
	printf("job store %s:\n"
	       "  raw mails of jobs finished before %s: %u dropped (%s)\n"
	       "  vacuum: %s -> %s\n",
	       r->db, before, r->raw_dropped, raw, db, da);
	printf("reclaimed %s in %.1f s\n", all, r->duration_s);
}

static void print_json(const PcMaintainReport *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "object_store");
	json_builder_begin_object(b);
	pc_json_add_string(b, "path", r->store);
	json_builder_set_member_name(b, "exists");
	json_builder_add_boolean_value(b, r->have_store);
	pc_json_add_int(b, "jobs_pruned", r->refs.jobs);
	pc_json_add_int(b, "refs_deleted", r->refs.refs);
	pc_json_add_int(b, "jobs_kept", r->refs.jobs_kept);
	pc_json_add_int(b, "bytes_before", r->store_before);
	pc_json_add_int(b, "bytes_after", r->store_after);
	json_builder_set_member_name(b, "gc_s");
	json_builder_add_double_value(b, r->gc_s);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "job_store");
	json_builder_begin_object(b);
	pc_json_add_string(b, "path", r->db);
	pc_json_add_int(b, "raw_mails_dropped", r->raw_dropped);
	pc_json_add_int(b, "raw_bytes", r->raw_bytes);
	pc_json_add_int(b, "finished_before", r->raw_before);
	pc_json_add_int(b, "bytes_before", r->db_before);
	pc_json_add_int(b, "bytes_after", r->db_after);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "logs");
	json_builder_begin_object(b);
	pc_json_add_int(b, "removed", r->logs_removed);
	pc_json_add_int(b, "bytes", r->log_bytes);
	json_builder_end_object(b);

	pc_json_add_int(b, "bytes_reclaimed", pc_maintain_reclaimed(r));
	json_builder_set_member_name(b, "duration_s");
	json_builder_add_double_value(b, r->duration_s);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	puts(text);
}

int pc_cmd_maintain(int argc, char **argv)
{
	gboolean json = FALSE;
	int wait_s = -1;
	const GOptionEntry entries[] = {
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json,
		  "Print what was reclaimed as one JSON object", NULL },
		{ "wait", 'w', 0, G_OPTION_ARG_INT, &wait_s,
		  "Wait up to SECONDS for a running fetch to finish "
		  "(default: [fetch] timeout)", "SECONDS" },
		{ NULL },
	};
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	PcMaintainReport r;
	gboolean ok;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- prune, repack and vacuum the state directory",
		"Keeps the state directory from growing forever. Deletes the "
		"refs of jobs\nthat are no longer open from the object store "
		"(STATE/git) and repacks it\nwith git gc, dropping what no ref "
		"reaches; removes the build logs and drops\nthe raw mails of "
		"jobs finished more than [pullcheck] retention days ago "
		"(the\njob's row, verdict and reply stay); vacuums the job "
		"store. Then says what\nit gave back. It holds the object "
		"store's lock (STATE/git.lock) while it\nprunes and repacks, "
		"so it never runs under a fetch; a fetch waits for it.\n"
		"Run it as the state directory's owner; pullcheck-maintain."
		"timer runs it daily.\n\n"
		"Exit status: 0, or 1 when a step failed.",
		entries, &status);
	if (!config)
		return status;
	if (argc > 1 || wait_s < -1) {
		fprintf(stderr, "pullcheck maintain: %s\n",
			argc > 1 ? "takes no arguments"
				 : "--wait takes a number of seconds");
		return PC_EXIT_USAGE;
	}
	ok = pc_maintain_run(config,
			     wait_s < 0 ? config->fetch_timeout : (guint)wait_s,
			     &r, &error);
	if (!ok)
		fprintf(stderr, "pullcheck maintain: %s\n", error->message);
	else if (json)
		print_json(&r);
	else
		print_text(&r);
	pc_maintain_report_clear(&r);
	return ok ? PC_EXIT_OK : PC_EXIT_FAILURE;
}
