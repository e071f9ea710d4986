/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon_status: what the daemon's worker is doing, told every few
 * seconds by a thread of its own: to systemd (STATUS=, and WATCHDOG=1
 * while the worker is inside the time its step allows) and to
 * `pullcheck status` (the "watch" row of the store's kv table). The
 * worker only records; it never waits on the telling.
 */
#ifndef PC_DAEMON_STATUS_H
#define PC_DAEMON_STATUS_H

#include <glib.h>

#include "queue.h"

G_BEGIN_DECLS

typedef struct _PcDaemonStatus PcDaemonStatus;

/* For the store in @state_dir; idle, and nothing told yet. (transfer full) */
PcDaemonStatus *pc_daemon_status_new(const char *state_dir);

/* Starts the thread that tells, through a store connection of its own. */
void pc_daemon_status_start(PcDaemonStatus *s);

/*
 * The worker's next step may take @seconds from now (and the
 * watchdog's slack): until then systemd hears WATCHDOG=1.
 */
void pc_daemon_status_expect(PcDaemonStatus *s, guint seconds);

/* The queue's step, as its activity callback reports it. */
void pc_daemon_status_set_step(PcDaemonStatus *s, gint64 job,
			       PcQueueStep step, gint64 deadline);

/* A line of the build's output: shown when it is a make step. */
void pc_daemon_status_add_line(PcDaemonStatus *s, const char *line);

/* Where the step is, in words (a fetch of mainline): its last line. */
void pc_daemon_status_set_detail(PcDaemonStatus *s, const char *text);

/* The source in a few words: "disconnected", "imap://…, last UID 7". */
void pc_daemon_status_set_source(PcDaemonStatus *s, const char *state);

/*
 * Tells once more, as stopped, ends the thread if it was started, and
 * frees @s.
 */
void pc_daemon_status_free(PcDaemonStatus *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcDaemonStatus, pc_daemon_status_free)

G_END_DECLS

#endif
