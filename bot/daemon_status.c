// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_status: the worker records its step under a lock; the status
 * thread reads it every 2 s and tells systemd and the store.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <json-glib/json-glib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon_status.h"
#include "json.h"
#include "store.h"

/* Slack on top of a step's own limit before the watchdog gives up. */
#define WATCHDOG_SLACK_S 120
#define TELL_EVERY_S 2
/* An unchanged row is written every 5th time, so every 10 s. */
#define UNCHANGED_MAX 5

struct _PcDaemonStatus {
	char *state_dir;
	GThread *thread;
	GMutex lock;		/* for all below */
	gint64 job;
	PcQueueStep step;
	gint64 since;		/* monotonic µs */
	gint64 busy_until;	/* monotonic µs: the watchdog's deadline */
	char *last_line;	/* the build's last make step */
	char *source;
	gboolean done;
};

PcDaemonStatus *pc_daemon_status_new(const char *state_dir)
{
	PcDaemonStatus *s = g_new0(PcDaemonStatus, 1);

	s->state_dir = g_strdup(state_dir);
	g_mutex_init(&s->lock);
	return s;
}

static void expect_until(PcDaemonStatus *s, gint64 deadline)
{
	g_mutex_lock(&s->lock);
	s->busy_until = deadline + WATCHDOG_SLACK_S * G_USEC_PER_SEC;
	g_mutex_unlock(&s->lock);
}

void pc_daemon_status_expect(PcDaemonStatus *s, guint seconds)
{
	expect_until(s, g_get_monotonic_time() +
				(gint64)seconds * G_USEC_PER_SEC);
}

void pc_daemon_status_set_step(PcDaemonStatus *s, gint64 job,
			       PcQueueStep step, gint64 deadline)
{
	g_mutex_lock(&s->lock);
	s->job = job;
	s->step = step;
	s->since = g_get_monotonic_time();
	g_clear_pointer(&s->last_line, g_free);
	g_mutex_unlock(&s->lock);
	expect_until(s, deadline);
}

void pc_daemon_status_add_line(PcDaemonStatus *s, const char *line)
{
	if (!g_str_has_prefix(line, "  ") && !g_str_has_prefix(line, "make"))
		return;
	g_mutex_lock(&s->lock);
	g_free(s->last_line);
	s->last_line = g_strstrip(g_strndup(line, 200));
	g_mutex_unlock(&s->lock);
}

void pc_daemon_status_set_detail(PcDaemonStatus *s, const char *text)
{
	g_mutex_lock(&s->lock);
	g_free(s->last_line);
	s->last_line = g_strndup(text, 200);
	g_mutex_unlock(&s->lock);
}

void pc_daemon_status_set_source(PcDaemonStatus *s, const char *state)
{
	g_mutex_lock(&s->lock);
	g_free(s->source);
	s->source = g_strdup(state);
	g_mutex_unlock(&s->lock);
}

/* STATUS= for systemd: "building job 3 1m05s: CC foo.o". Under the lock. */
static char *describe(const PcDaemonStatus *s, gint64 now)
{
	gint64 elapsed = (now - s->since) / G_USEC_PER_SEC;

	if (s->step == PC_QUEUE_IDLE)
		return g_strdup_printf("idle; %s",
				       s->source ? s->source : "no source");
	return g_strdup_printf("%s job %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
			       "m%02" G_GINT64_FORMAT "s%s%s",
			       pc_queue_step_name(s->step), s->job,
			       elapsed / 60, elapsed % 60,
			       s->last_line ? ": " : "",
			       s->last_line ? s->last_line : "");
}

/* The "watch" row that `pullcheck status` reads. Under the lock. */
static JsonNode *to_json(const PcDaemonStatus *s, gint64 now)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	gboolean busy = s->step != PC_QUEUE_IDLE;

	json_builder_begin_object(b);
	pc_json_add_int(b, "pid", getpid());
	pc_json_add_string(b, "activity", pc_queue_step_name(s->step));
	pc_json_add_int(b, "job", busy ? s->job : 0);
	pc_json_add_int(b, "elapsed_s",
			busy ? (now - s->since) / G_USEC_PER_SEC : 0);
	pc_json_add_string(b, "last_line", s->last_line ? s->last_line : "");
	pc_json_add_string(b, "source", s->source ? s->source : "");
	json_builder_set_member_name(b, "stopped");
	json_builder_add_boolean_value(b, s->done);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void write_row(PcStore *store, JsonNode *root)
{
	g_autofree char *json = NULL;

	json_object_set_int_member(json_node_get_object(root), "updated_at",
				   g_get_real_time() / G_USEC_PER_SEC);
	json = json_to_string(root, FALSE);
	pc_store_set_value(store, "watch", json, NULL);
}

static gpointer status_thread(gpointer data)
{
	PcDaemonStatus *s = data;
	g_autofree char *db = pc_store_path(s->state_dir);
	g_autoptr(PcStore) store = pc_store_open(db, NULL);
	gboolean watchdog = sd_watchdog_enabled(0, NULL) > 0;
	g_autofree char *last = NULL;
	guint unchanged = 0;

	for (;;) {
		g_autoptr(JsonNode) root = NULL;
		g_autofree char *status = NULL;
		gint64 now = g_get_monotonic_time();
		gboolean alive, done;

		g_mutex_lock(&s->lock);
		done = s->done;
		alive = now < s->busy_until;
		status = describe(s, now);
		root = to_json(s, now);
		g_mutex_unlock(&s->lock);

		/* Written when it changes, else now and then: the fsync. */
		if (store && (done || g_strcmp0(status, last) ||
			      ++unchanged >= UNCHANGED_MAX)) {
			write_row(store, root);
			unchanged = 0;
		}
		g_free(last);
		last = g_strdup(status);
		sd_notifyf(0, "STATUS=%s", status);
		if (watchdog && alive)
			sd_notify(0, "WATCHDOG=1");
		if (done)
			return NULL;
		g_usleep(TELL_EVERY_S * G_USEC_PER_SEC);
	}
}

void pc_daemon_status_start(PcDaemonStatus *s)
{
	s->thread = g_thread_new("status", status_thread, s);
}

void pc_daemon_status_free(PcDaemonStatus *s)
{
	if (!s)
		return;
	g_mutex_lock(&s->lock);
	s->done = TRUE;
	g_mutex_unlock(&s->lock);
	if (s->thread)
		g_thread_join(s->thread);
	g_free(s->state_dir);
	g_free(s->last_line);
	g_free(s->source);
	g_mutex_clear(&s->lock);
	g_free(s);
}
