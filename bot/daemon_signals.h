/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon_signals: the daemon's signals, taken by a thread of their own
 * with sigwait(), so no work happens in a handler. SIGTERM and SIGINT
 * ask the daemon to stop and end a running build; a second one exits
 * at once. SIGHUP asks for the configuration to be read again. Each
 * wakes the worker from its wait.
 */
#ifndef PC_DAEMON_SIGNALS_H
#define PC_DAEMON_SIGNALS_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _PcDaemonSignals PcDaemonSignals;

/*
 * Blocks the daemon's signals in the calling thread, so in every thread
 * made after it: call before any other thread starts. Until
 * pc_daemon_signals_start() they stay pending. (transfer full)
 */
PcDaemonSignals *pc_daemon_signals_new(void);

/* Starts the thread that takes the signals. */
void pc_daemon_signals_start(PcDaemonSignals *s);

/* TRUE once SIGTERM or SIGINT came. */
gboolean pc_daemon_signals_stopping(PcDaemonSignals *s);

/* TRUE from a SIGHUP until pc_daemon_signals_reloaded(). */
gboolean pc_daemon_signals_reloading(PcDaemonSignals *s);
void pc_daemon_signals_reloaded(PcDaemonSignals *s);

/* Cancelled by SIGTERM or SIGINT: for a build. (transfer none) */
GCancellable *pc_daemon_signals_get_stop(PcDaemonSignals *s);

/*
 * Cancelled by any of the signals: for the worker's wait, which resets
 * it before it waits. (transfer none)
 */
GCancellable *pc_daemon_signals_get_wake(PcDaemonSignals *s);

/* Ends the thread, if it was started, and frees @s. */
void pc_daemon_signals_free(PcDaemonSignals *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcDaemonSignals, pc_daemon_signals_free)

G_END_DECLS

#endif
