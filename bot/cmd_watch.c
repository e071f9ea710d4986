// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck watch: the daemon. One thread works: it takes mail from the
 * source, works the queue (queue.c) and waits for more (IMAP IDLE, or
 * inotify on a Maildir). Two more only watch: one takes the signals
 * (sigwait, so no work happens in a handler), one tells systemd and
 * `pullcheck status` what the worker is doing.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cmd.h"
#include "job.h"
#include "lock.h"
#include "outbox.h"
#include "queue.h"
#include "source.h"
#include "store.h"
#include "terminal.h"

/* How long the worker may wait in one go when nothing is due. */
#define WAIT_MAX_S (25 * 60)
/* Slack on top of a step's own limit before the watchdog gives up. */
#define WATCHDOG_SLACK_S 120

typedef struct {
	char *config_path;
	PcConfig *config;
	PcStore *store;
	PcSource *source;
	PcOutbox *outbox;
	PcQueue queue;
	gboolean once;
	gboolean source_open;
	guint source_failures;

	GCancellable *stop;	/* SIGTERM, SIGINT: ends a build, the wait */
	GCancellable *wake;	/* any signal: ends the wait */
	gint stopping, reloading;	/* atomics, set by the signal thread */

	/* What the worker does, for the status thread; under @lock. */
	GMutex lock;
	gint64 job;
	PcQueueStep step;
	gint64 since;		/* monotonic µs */
	gint64 busy_until;	/* monotonic µs: the watchdog's deadline */
	char *last_line;	/* the build's last make step */
	char *source_state;
	gboolean done;
	guint taken;		/* messages taken in this run */
} Watch;

/* ---- logging: one line per event, journald-friendly ---- */

/*
 * Log lines name subjects and Message-IDs from mail, and make steps
 * from the build: control characters in them are escaped, for the
 * terminal that shows stderr and for `journalctl -a` alike, and a
 * newline in a subject cannot forge a line of its own.
 */
static GLogWriterOutput write_journal(GLogLevelFlags level,
				      const GLogField *fields, gsize n_fields,
				      gpointer data)
{
	g_autofree GLogField *copy = g_memdup2(fields,
					       n_fields * sizeof(*fields));
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);

	for (gsize i = 0; i < n_fields; i++) {
		char *text;

		if (copy[i].length != -1)
			continue;	/* binary by intent: journald keeps it */
		text = pc_terminal_escape(copy[i].value, PC_TERMINAL_LINE);
		g_ptr_array_add(texts, text);
		copy[i].value = text;
	}
	return g_log_writer_journald(level, copy, n_fields, data);
}

static GLogWriterOutput write_log(GLogLevelFlags level,
				  const GLogField *fields, gsize n_fields,
				  gpointer data)
{
	g_autofree char *message = NULL;
	int prio = 6;		/* LOG_INFO */
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *stamp = NULL;

	if (g_log_writer_default_would_drop(level, NULL))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)))
		return write_journal(level, fields, n_fields, data);
	for (gsize i = 0; i < n_fields; i++)
		if (!strcmp(fields[i].key, "MESSAGE") && !message)
			message = pc_terminal_escape(fields[i].value,
						     PC_TERMINAL_LINE);
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		prio = 3;
	else if (level & G_LOG_LEVEL_WARNING)
		prio = 4;
	else if (level & G_LOG_LEVEL_DEBUG)
		prio = 7;
	now = g_date_time_new_now_local();
	stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	fprintf(stderr, "%s pullcheck[%d] <%d> %s\n", stamp, (int)getpid(),
		prio, message ? message : "");
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

/* ---- what the worker is doing ---- */

static void set_busy(Watch *w, guint seconds)
{
	g_mutex_lock(&w->lock);
	w->busy_until = g_get_monotonic_time() +
			(gint64)(seconds + WATCHDOG_SLACK_S) * G_USEC_PER_SEC;
	g_mutex_unlock(&w->lock);
}

static void on_activity(gint64 job, PcQueueStep step, gint64 deadline,
			gpointer data)
{
	Watch *w = data;

	g_mutex_lock(&w->lock);
	w->job = job;
	w->step = step;
	w->since = g_get_monotonic_time();
	g_clear_pointer(&w->last_line, g_free);
	w->busy_until = deadline + WATCHDOG_SLACK_S * G_USEC_PER_SEC;
	g_mutex_unlock(&w->lock);
}

static void on_line(const char *line, gpointer data)
{
	Watch *w = data;

	if (!g_str_has_prefix(line, "  ") && !g_str_has_prefix(line, "make"))
		return;
	g_mutex_lock(&w->lock);
	g_free(w->last_line);
	w->last_line = g_strstrip(g_strndup(line, 200));
	g_mutex_unlock(&w->lock);
}

static void set_source_state(Watch *w, const char *state)
{
	g_autofree char *text = NULL;

	if (!state && w->source)
		text = w->source->ops->describe(w->source);
	g_mutex_lock(&w->lock);
	g_free(w->source_state);
	w->source_state = state ? g_strdup(state) : g_steal_pointer(&text);
	g_mutex_unlock(&w->lock);
}

/*
 * Every few seconds: STATUS= and WATCHDOG=1 for systemd (the watchdog
 * only while the worker is inside the time its step allows), and the
 * same as a "watch" row in the store's kv table for `pullcheck status`,
 * through a connection of this thread's own.
 */
static gpointer status_thread(gpointer data)
{
	Watch *w = data;
	g_autofree char *db = pc_store_path(w->config->state_dir);
	g_autoptr(PcStore) store = pc_store_open(db, NULL);
	gboolean watchdog = sd_watchdog_enabled(0, NULL) > 0;
	g_autofree char *last = NULL;
	guint unchanged = 0;

	for (;;) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
		g_autofree char *status = NULL, *json = NULL;
		gint64 now = g_get_monotonic_time();
		gboolean alive, done;

		g_mutex_lock(&w->lock);
		done = w->done;
		alive = now < w->busy_until;
		if (w->step != PC_QUEUE_IDLE)
			status = g_strdup_printf(
				"%s job %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
				"m%02" G_GINT64_FORMAT "s%s%s",
				pc_queue_step_name(w->step), w->job,
				(now - w->since) / G_USEC_PER_SEC / 60,
				(now - w->since) / G_USEC_PER_SEC % 60,
				w->last_line ? ": " : "",
				w->last_line ? w->last_line : "");
		else
			status = g_strdup_printf("idle; %s",
						 w->source_state ? w->source_state
								 : "no source");
		json_builder_begin_object(b);
		pc_json_add_int(b, "pid", getpid());
		pc_json_add_string(b, "activity", pc_queue_step_name(w->step));
		pc_json_add_int(b, "job",
				w->step != PC_QUEUE_IDLE ? w->job : 0);
		pc_json_add_int(b, "elapsed_s",
				w->step != PC_QUEUE_IDLE
					? (now - w->since) / G_USEC_PER_SEC
					: 0);
		pc_json_add_string(b, "last_line",
				   w->last_line ? w->last_line : "");
		pc_json_add_string(b, "source",
				   w->source_state ? w->source_state : "");
		json_builder_set_member_name(b, "stopped");
		json_builder_add_boolean_value(b, done);
		json_builder_end_object(b);
		g_mutex_unlock(&w->lock);

		root = json_builder_get_root(b);
		/* Written when it changes, else every 10 s: the store's fsync. */
		if (store && (done || g_strcmp0(status, last) ||
			      ++unchanged >= 5)) {
			json_object_set_int_member(json_node_get_object(root),
						   "updated_at",
						   g_get_real_time() / G_USEC_PER_SEC);
			json = json_to_string(root, FALSE);
			pc_store_set_value(store, "watch", json, NULL);
			unchanged = 0;
		}
		g_free(last);
		last = g_strdup(status);
		sd_notifyf(0, "STATUS=%s", status);
		if (watchdog && alive)
			sd_notify(0, "WATCHDOG=1");
		if (done)
			return NULL;
		g_usleep(2 * G_USEC_PER_SEC);
	}
}

/* ---- signals ---- */

static gpointer signal_thread(gpointer data)
{
	Watch *w = data;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);	/* from ourselves: the end */
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGUSR1)
			return NULL;
		if (sig == SIGHUP) {
			g_message("SIGHUP: the configuration is read again "
				  "after the current step");
			g_atomic_int_set(&w->reloading, 1);
		} else if (g_atomic_int_get(&w->stopping)) {
			/*
			 * The worker did not stop: it is stuck in a call no
			 * cancellable reaches. The store is committed step by
			 * step, so exiting here loses nothing; the job's step
			 * starts again next time.
			 */
			g_warning("%s again: exiting now, without waiting "
				  "for the current step", strsignal(sig));
			_exit(PC_EXIT_FAILURE);
		} else {
			g_message("%s: stopping", strsignal(sig));
			sd_notify(0, "STOPPING=1");
			g_atomic_int_set(&w->stopping, 1);
			g_cancellable_cancel(w->stop);
		}
		g_cancellable_cancel(w->wake);
	}
}

/* ---- the worker ---- */

static gboolean take(const PcSourceMessage *msg, gpointer data)
{
	Watch *w = data;
	g_autoptr(GError) error = NULL;

	if (!pc_queue_take(&w->queue, msg, &error)) {
		g_warning("message %s: %s; it stays in the source for next time",
			  msg->id, error->message);
		return FALSE;
	}
	w->taken++;
	return !g_atomic_int_get(&w->stopping);
}

static void source_failed(Watch *w, const char *what, GError *error)
{
	gboolean auth = g_error_matches(error, PC_SOURCE_ERROR,
					PC_SOURCE_ERROR_AUTH);

	w->source_failures++;
	w->source_open = FALSE;
	g_warning("source: %s: %s%s", what, error->message,
		  auth ? " (the credentials need fixing; retrying)" : "");
	set_source_state(w, "disconnected");
}

/* Takes in whatever the source has now. FALSE: the source failed. */
static gboolean take_new(Watch *w)
{
	g_autoptr(GError) error = NULL;

	if (!w->source_open) {
		set_busy(w, w->config->smtp_timeout * 10);
		if (!w->source->ops->open(w->source, &error)) {
			source_failed(w, "open", error);
			return FALSE;
		}
		w->source_open = TRUE;
		if (w->source_failures)
			g_message("source: open again after %u failure%s",
				  w->source_failures,
				  w->source_failures == 1 ? "" : "s");
		w->source_failures = 0;
	}
	if (!w->source->ops->fetch_new(w->source, take, w, &error)) {
		source_failed(w, "fetching new mail", error);
		return FALSE;
	}
	set_source_state(w, NULL);
	return TRUE;
}

static void between_steps(gpointer data)
{
	Watch *w = data;

	if (w->source_open && !g_atomic_int_get(&w->stopping))
		take_new(w);
}

static gboolean open_resources(Watch *w, PcConfig *config, GError **error)
{
	g_autoptr(PcSource) source = NULL;
	g_autoptr(PcOutbox) outbox = NULL;

	if (!(source = pc_source_new(config, w->store, error)) ||
	    !(outbox = pc_outbox_new(config, error)))
		return FALSE;
	g_clear_pointer(&w->source, pc_source_free);
	g_clear_pointer(&w->outbox, pc_outbox_free);
	g_clear_pointer(&w->config, pc_config_free);
	w->config = config;
	w->source = g_steal_pointer(&source);
	w->outbox = g_steal_pointer(&outbox);
	w->source_open = FALSE;
	w->queue.config = w->config;
	w->queue.source = w->source;
	w->queue.outbox = w->outbox;
	return TRUE;
}

static void reload(Watch *w)
{
	g_autoptr(GError) error = NULL;
	PcConfig *config;

	g_atomic_int_set(&w->reloading, 0);
	config = pc_config_load(w->config_path, &error);
	if (config && strcmp(config->state_dir, w->config->state_dir)) {
		g_warning("reload: state_dir cannot change while running; "
			  "restart instead");
		pc_config_free(config);
		return;
	}
	if (!config || !open_resources(w, config, &error)) {
		if (config)
			pc_config_free(config);
		g_warning("reload: %s; the configuration in force stays",
			  error->message);
		return;
	}
	g_message("reload: %s read", w->config->path ? w->config->path
						     : "built-in defaults");
}

/* Works the queue until nothing is due, or a stop or reload. */
static gboolean work(Watch *w, gboolean *did_any)
{
	gboolean did = TRUE;

	*did_any = FALSE;
	while (did && !g_atomic_int_get(&w->stopping) &&
	       !g_atomic_int_get(&w->reloading)) {
		g_autoptr(GError) error = NULL;

		set_busy(w, PC_QUEUE_STEP_S);
		if (!pc_queue_step(&w->queue, &did, &error)) {
			g_critical("the job store failed: %s", error->message);
			return FALSE;
		}
		*did_any |= did;
	}
	return TRUE;
}

static guint wait_seconds(Watch *w)
{
	gint64 due = pc_queue_next_due(&w->queue);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (!w->source_open)
		return pc_source_backoff(w->source_failures);
	if (due && due - now < WAIT_MAX_S)
		return MAX(due - now, 1);
	return WAIT_MAX_S;
}

static void wait_for_work(Watch *w)
{
	g_autoptr(GError) error = NULL;
	guint seconds = wait_seconds(w);

	set_busy(w, seconds);
	if (!w->source_open) {
		GPollFD fd;

		/* A plain sleep that a signal ends. */
		g_message("source: trying again in %u s", seconds);
		if (g_cancellable_make_pollfd(w->wake, &fd)) {
			g_poll(&fd, 1, seconds * 1000);
			g_cancellable_release_fd(w->wake);
		}
		return;
	}
	if (!w->source->ops->wait(w->source, seconds, w->wake, &error))
		source_failed(w, "waiting for mail", error);
}

static int run(Watch *w)
{
	int status = PC_EXIT_OK;
	gboolean did;

	for (;;) {
		if (g_atomic_int_get(&w->stopping))
			break;
		if (g_atomic_int_get(&w->reloading))
			reload(w);
		g_cancellable_reset(w->wake);
		if (!take_new(w) && w->once) {
			status = PC_EXIT_FAILURE;
			break;
		}
		if (!work(w, &did)) {
			status = PC_EXIT_FAILURE;
			break;
		}
		if (w->once && !did) {
			/* Nothing more came in while the queue was worked. */
			if (!take_new(w))
				status = PC_EXIT_FAILURE;
			else if (work(w, &did) && did)
				continue;
			break;
		}
		if (!did && !g_atomic_int_get(&w->stopping) &&
		    !g_atomic_int_get(&w->reloading))
			wait_for_work(w);
	}
	return status;
}

/*
 * One daemon per state directory: two would answer the same mail twice
 * and build in the same worktree. Taken before the store is opened, as
 * opening it recovers the jobs a running daemon is working on.
 */
static PcLock *take_lock(const char *state_dir)
{
	g_autofree char *path = g_build_filename(state_dir, "lock", NULL);
	g_autoptr(GError) error = NULL;
	PcLock *lock = pc_lock_take(path, "pullcheck watch", &error);

	if (g_error_matches(error, PC_LOCK_ERROR, PC_LOCK_ERROR_BUSY))
		fprintf(stderr, "pullcheck watch: another pullcheck works on "
				"%s: %s; one watch per state_dir\n",
			state_dir, error->message);
	else if (!lock)
		fprintf(stderr, "pullcheck watch: %s\n", error->message);
	return lock;
}

int pc_cmd_watch(int argc, char **argv)
{
	g_autofree char *config_arg = NULL;
	gboolean once = FALSE;
	const GOptionEntry entries[] = {
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once,
		  "Take what the source holds, work the queue until nothing is "
		  "due, send the replies, then exit", NULL },
		{ NULL },
	};
	Watch w = { 0 };
	g_autoptr(PcLock) lock = NULL;
	PcConfig *config;
	g_autoptr(GError) error = NULL;
	g_autofree char *db = NULL;
	GThread *signals, *status_th;
	sigset_t set;
	int status;

	config = pc_cmd_init_with_path(
		&argc, &argv, "- the daemon",
		"Watches the [source] for pull requests, works the job queue "
		"(fetch, build, verdict)\none job at a time and sends each "
		"reply through the [outbox]. Every step is\nrecorded in the job "
		"store (STATE/pullcheck.db) before the next, so a crash or a\n"
		"restart loses no message, and no reply whose sending the "
		"server confirmed\n(250) goes out again.\n\n"
		"One watch per state_dir: a second one says which process holds "
		"STATE/lock\nand exits 1.\n\n"
		"SIGTERM or SIGINT: stop taking work, end a running build (its "
		"job starts\nagain next time), exit 0; a second one exits at "
		"once, with 1. SIGHUP: read\nthe configuration again.",
		entries, &config_arg, &status);
	if (!config)
		return status;
	if (argc > 1) {
		fprintf(stderr, "pullcheck watch: takes no arguments\n");
		pc_config_free(config);
		return PC_EXIT_USAGE;
	}
	w.config_path = g_steal_pointer(&config_arg);
	w.once = once;
	g_log_set_writer_func(write_log, NULL, NULL);

	/* Every thread made from here on inherits the blocked signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (g_mkdir_with_parents(config->state_dir, 0700)) {
		fprintf(stderr, "pullcheck watch: %s: %s\n", config->state_dir,
			g_strerror(errno));
		pc_config_free(config);
		g_free(w.config_path);
		return PC_EXIT_FAILURE;
	}
	lock = take_lock(config->state_dir);
	if (!lock) {
		pc_config_free(config);
		g_free(w.config_path);
		return PC_EXIT_FAILURE;
	}
	db = pc_store_path(config->state_dir);
	w.store = pc_store_open(db, &error);
	if (!w.store || !open_resources(&w, config, &error)) {
		fprintf(stderr, "pullcheck watch: %s\n", error->message);
		g_clear_pointer(&w.store, pc_store_close);
		pc_config_free(config);
		g_free(w.config_path);
		return PC_EXIT_FAILURE;
	}

	g_mutex_init(&w.lock);
	w.stop = g_cancellable_new();
	w.wake = g_cancellable_new();
	w.queue = (PcQueue){
		.config = w.config,
		.store = w.store,
		.source = w.source,
		.outbox = w.outbox,
		.cancellable = w.stop,
		.between_steps = between_steps,
		.activity = on_activity,
		.on_line = on_line,
		.data = &w,
	};
	set_busy(&w, PC_QUEUE_STEP_S);
	status = PC_EXIT_FAILURE;
	if (!pc_queue_recover(&w.queue, &error)) {
		g_critical("the job store: %s", error->message);
		goto out_nothreads;
	}
	signals = g_thread_new("signals", signal_thread, &w);
	status_th = g_thread_new("status", status_thread, &w);
	g_message("watching %s source, replies to the %s outbox, state in %s%s",
		  w.config->source_type, w.config->outbox_type,
		  w.config->state_dir, once ? " (once)" : "");
	sd_notify(0, "READY=1");
	status = run(&w);
	g_message("stopped%s; %u message%s taken in this run",
		  status ? " after an error" : "", w.taken,
		  w.taken == 1 ? "" : "s");

	g_mutex_lock(&w.lock);
	w.done = TRUE;
	g_mutex_unlock(&w.lock);
	g_thread_join(status_th);
	kill(getpid(), SIGUSR1);
	g_thread_join(signals);
out_nothreads:
	g_clear_pointer(&w.source, pc_source_free);
	g_clear_pointer(&w.outbox, pc_outbox_free);
	pc_store_close(w.store);
	pc_config_free(w.config);
	g_free(w.config_path);
	g_free(w.last_line);
	g_free(w.source_state);
	g_object_unref(w.stop);
	g_object_unref(w.wake);
	g_mutex_clear(&w.lock);
	return status;
}
