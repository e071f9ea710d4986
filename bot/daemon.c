// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon: the manager. It holds the state directory's lock, the store
 * and the queue, and runs the worker's loop: take new mail, work the
 * queue until nothing is due, wait; a reload between steps.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <errno.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "cmd.h"
#include "daemon.h"
#include "daemon_conf.h"
#include "daemon_signals.h"
#include "daemon_status.h"
#include "lock.h"
#include "logwriter.h"
#include "queue.h"

/* How long the worker may wait in one go when nothing is due. */
#define WAIT_MAX_S (25 * 60)

typedef struct {
	PcDaemonConf conf;
	PcStore *store;
	PcQueue queue;
	PcDaemonSignals *signals;
	PcDaemonStatus *status;
	gboolean once;
	gboolean source_open;
	guint source_failures;
	guint taken;		/* messages taken in this run */
} Daemon;

static gboolean stopping(Daemon *d)
{
	return pc_daemon_signals_stopping(d->signals);
}

static gboolean reloading(Daemon *d)
{
	return pc_daemon_signals_reloading(d->signals);
}

/* ---- the source ---- */

static gboolean take(const PcSourceMessage *msg, gpointer data)
{
	Daemon *d = data;
	g_autoptr(GError) error = NULL;

	if (!pc_queue_take(&d->queue, msg, &error)) {
		g_warning("message %s: %s; it stays in the source for next time",
			  msg->id, error->message);
		return FALSE;
	}
	d->taken++;
	return !stopping(d);
}

static void source_failed(Daemon *d, const char *what, GError *error)
{
	gboolean auth = g_error_matches(error, PC_SOURCE_ERROR,
					PC_SOURCE_ERROR_AUTH);

	d->source_failures++;
	d->source_open = FALSE;
	g_warning("source: %s: %s%s", what, error->message,
		  auth ? " (the credentials need fixing; retrying)" : "");
	pc_daemon_status_set_source(d->status, "disconnected");
}

static gboolean open_source(Daemon *d)
{
	PcSource *source = d->conf.source;
	g_autoptr(GError) error = NULL;

	pc_daemon_status_expect(d->status, d->conf.config->smtp_timeout * 10);
	if (!source->ops->open(source, &error)) {
		source_failed(d, "open", error);
		return FALSE;
	}
	d->source_open = TRUE;
	if (d->source_failures)
		g_message("source: open again after %u failure%s",
			  d->source_failures,
			  d->source_failures == 1 ? "" : "s");
	d->source_failures = 0;
	return TRUE;
}

/* Takes in whatever the source has now. FALSE: the source failed. */
static gboolean take_new(Daemon *d)
{
	PcSource *source = d->conf.source;
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;

	if (!d->source_open && !open_source(d))
		return FALSE;
	if (!source->ops->fetch_new(source, take, d, &error)) {
		source_failed(d, "fetching new mail", error);
		return FALSE;
	}
	state = source->ops->describe(source);
	pc_daemon_status_set_source(d->status, state);
	return TRUE;
}

/* ---- the queue's callbacks ---- */

static void between_steps(gpointer data)
{
	Daemon *d = data;

	if (d->source_open && !stopping(d))
		take_new(d);
}

static void on_step(gint64 job, PcQueueStep step, gint64 deadline,
		    gpointer data)
{
	Daemon *d = data;

	pc_daemon_status_set_step(d->status, job, step, deadline);
}

static void on_line(const char *line, gpointer data)
{
	Daemon *d = data;

	pc_daemon_status_add_line(d->status, line);
}

static void on_mainline(const char *text, gpointer data)
{
	Daemon *d = data;
	g_autofree char *line = g_strconcat("mainline ", text, NULL);

	pc_daemon_status_set_detail(d->status, line);
}

/* The queue borrows what the configuration in force made. */
static void use_conf(Daemon *d)
{
	d->queue.config = d->conf.config;
	d->queue.source = d->conf.source;
	d->queue.outbox = d->conf.outbox;
	d->source_open = FALSE;
}

static void init_queue(Daemon *d)
{
	d->queue = (PcQueue){
		.store = d->store,
		.cancellable = pc_daemon_signals_get_stop(d->signals),
		.between_steps = between_steps,
		.activity = on_step,
		.on_line = on_line,
		.on_mainline = on_mainline,
		.data = d,
	};
	use_conf(d);
}

/* ---- the worker ---- */

static void reload(Daemon *d)
{
	pc_daemon_signals_reloaded(d->signals);
	if (pc_daemon_conf_reload(&d->conf, d->store))
		use_conf(d);
}

/* Works the queue until nothing is due, or a stop or reload. */
static gboolean work(Daemon *d, gboolean *did_any)
{
	gboolean did = TRUE;

	*did_any = FALSE;
	while (did && !stopping(d) && !reloading(d)) {
		g_autoptr(GError) error = NULL;

		pc_daemon_status_expect(d->status, PC_QUEUE_STEP_S);
		if (!pc_queue_step(&d->queue, &did, &error)) {
			g_critical("the job store failed: %s", error->message);
			return FALSE;
		}
		*did_any |= did;
	}
	return TRUE;
}

static guint wait_seconds(Daemon *d)
{
	gint64 due = pc_queue_next_due(&d->queue);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (!d->source_open)
		return pc_source_backoff(d->source_failures);
	if (due && due - now < WAIT_MAX_S)
		return MAX(due - now, 1);
	return WAIT_MAX_S;
}

static void wait_for_work(Daemon *d)
{
	GCancellable *wake = pc_daemon_signals_get_wake(d->signals);
	g_autoptr(GError) error = NULL;
	guint seconds = wait_seconds(d);

	pc_daemon_status_expect(d->status, seconds);
	if (!d->source_open) {
		GPollFD fd;

		/* A plain sleep that a signal ends. */
		g_message("source: trying again in %u s", seconds);
		if (g_cancellable_make_pollfd(wake, &fd)) {
			g_poll(&fd, 1, seconds * 1000);
			g_cancellable_release_fd(wake);
		}
		return;
	}
	if (!d->conf.source->ops->wait(d->conf.source, seconds, wake, &error))
		source_failed(d, "waiting for mail", error);
}

/* --once: nothing was due; what came in meanwhile is worked too. */
static gboolean once_more(Daemon *d, int *status)
{
	gboolean did;

	if (!take_new(d))
		*status = PC_EXIT_FAILURE;
	else if (work(d, &did) && did)
		return TRUE;
	return FALSE;
}

static int run(Daemon *d)
{
	int status = PC_EXIT_OK;
	gboolean did;

	for (;;) {
		if (stopping(d))
			break;
		if (reloading(d))
			reload(d);
		g_cancellable_reset(pc_daemon_signals_get_wake(d->signals));
		if (!take_new(d) && d->once) {
			status = PC_EXIT_FAILURE;
			break;
		}
		if (!work(d, &did)) {
			status = PC_EXIT_FAILURE;
			break;
		}
		if (d->once && !did) {
			if (once_more(d, &status))
				continue;
			break;
		}
		if (!did && !stopping(d) && !reloading(d))
			wait_for_work(d);
	}
	return status;
}

/* ---- start and end ---- */

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

/*
 * What the daemon holds while it runs: the state directory's lock, the
 * store, the configuration with its source and outbox. Takes @config;
 * says on stderr what failed. (transfer full)
 */
static PcLock *start(Daemon *d, PcConfig *config)
{
	g_autoptr(PcConfig) taken = config;
	g_autoptr(PcLock) lock = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *db = NULL;

	if (g_mkdir_with_parents(taken->state_dir, 0700)) {
		fprintf(stderr, "pullcheck watch: %s: %s\n", taken->state_dir,
			g_strerror(errno));
		return NULL;
	}
	lock = take_lock(taken->state_dir);
	if (!lock)
		return NULL;
	db = pc_store_path(taken->state_dir);
	d->store = pc_store_open(db, &error);
	if (!d->store || !pc_daemon_conf_take(&d->conf,
					      g_steal_pointer(&taken),
					      d->store, &error)) {
		fprintf(stderr, "pullcheck watch: %s\n", error->message);
		g_clear_pointer(&d->store, pc_store_close);
		return NULL;
	}
	return g_steal_pointer(&lock);
}

/* Recovers the queue, starts the watching threads, runs the worker. */
static int serve(Daemon *d)
{
	g_autoptr(GError) error = NULL;
	int status;

	init_queue(d);
	d->status = pc_daemon_status_new(d->conf.config->state_dir);
	pc_daemon_status_expect(d->status, PC_QUEUE_STEP_S);
	if (!pc_queue_recover(&d->queue, &error)) {
		g_critical("the job store: %s", error->message);
		return PC_EXIT_FAILURE;
	}
	pc_daemon_signals_start(d->signals);
	pc_daemon_status_start(d->status);
	g_message("watching %s source, replies to the %s outbox, state in %s%s",
		  d->conf.config->source_type, d->conf.config->outbox_type,
		  d->conf.config->state_dir, d->once ? " (once)" : "");
	sd_notify(0, "READY=1");
	status = run(d);
	g_message("stopped%s; %u message%s taken in this run",
		  status ? " after an error" : "", d->taken,
		  d->taken == 1 ? "" : "s");
	return status;
}

/* The threads end first: the status thread writes its last row. */
static void clear(Daemon *d)
{
	g_clear_pointer(&d->status, pc_daemon_status_free);
	g_clear_pointer(&d->signals, pc_daemon_signals_free);
	pc_daemon_conf_clear(&d->conf);
	g_clear_pointer(&d->store, pc_store_close);
}

int pc_daemon_run_take(PcConfig *config, const char *config_path,
		       gboolean once)
{
	Daemon d = { .once = once };
	g_autoptr(PcLock) lock = NULL;
	int status = PC_EXIT_FAILURE;

	d.conf.path = g_strdup(config_path);
	pc_logwriter_install();
	/* Before any thread: every thread inherits the blocked signals. */
	d.signals = pc_daemon_signals_new();
	lock = start(&d, config);
	if (lock)
		status = serve(&d);
	clear(&d);
	return status;
}
