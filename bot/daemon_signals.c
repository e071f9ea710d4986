// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_signals: one set of signals, blocked everywhere and waited
 * for in one thread. SIGUSR1 is our own: it ends that thread.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon_signals.h"

struct _PcDaemonSignals {
	sigset_t set;
	GThread *thread;
	GCancellable *stop;
	GCancellable *wake;
	gint stopping, reloading;	/* atomics, set by the thread */
};

PcDaemonSignals *pc_daemon_signals_new(void)
{
	PcDaemonSignals *s = g_new0(PcDaemonSignals, 1);

	sigemptyset(&s->set);
	sigaddset(&s->set, SIGTERM);
	sigaddset(&s->set, SIGINT);
	sigaddset(&s->set, SIGHUP);
	sigaddset(&s->set, SIGUSR1);	/* from ourselves: the end */
	pthread_sigmask(SIG_BLOCK, &s->set, NULL);
	s->stop = g_cancellable_new();
	s->wake = g_cancellable_new();
	return s;
}

static void stop(PcDaemonSignals *s, int sig)
{
	if (g_atomic_int_get(&s->stopping)) {
		/*
		 * The worker did not stop: it is stuck in a call no
		 * cancellable reaches. The store is committed step by
		 * step, so exiting here loses nothing; the job's step
		 * starts again next time.
		 */
		g_warning("%s again: exiting now, without waiting for the "
			  "current step", strsignal(sig));
		_exit(PC_EXIT_FAILURE);
	}
	g_message("%s: stopping", strsignal(sig));
	sd_notify(0, "STOPPING=1");
	g_atomic_int_set(&s->stopping, 1);
	g_cancellable_cancel(s->stop);
}

static gpointer signal_thread(gpointer data)
{
	PcDaemonSignals *s = data;
	int sig;

	for (;;) {
		if (sigwait(&s->set, &sig))
			continue;
		if (sig == SIGUSR1)
			return NULL;
		if (sig == SIGHUP) {
			g_message("SIGHUP: the configuration is read again "
				  "after the current step");
			g_atomic_int_set(&s->reloading, 1);
		} else {
			stop(s, sig);
		}
		g_cancellable_cancel(s->wake);
	}
}

void pc_daemon_signals_start(PcDaemonSignals *s)
{
	s->thread = g_thread_new("signals", signal_thread, s);
}

gboolean pc_daemon_signals_stopping(PcDaemonSignals *s)
{
	return g_atomic_int_get(&s->stopping);
}

gboolean pc_daemon_signals_reloading(PcDaemonSignals *s)
{
	return g_atomic_int_get(&s->reloading);
}

void pc_daemon_signals_reloaded(PcDaemonSignals *s)
{
	g_atomic_int_set(&s->reloading, 0);
}

GCancellable *pc_daemon_signals_get_stop(PcDaemonSignals *s)
{
	return s->stop;
}

GCancellable *pc_daemon_signals_get_wake(PcDaemonSignals *s)
{
	return s->wake;
}

void pc_daemon_signals_free(PcDaemonSignals *s)
{
	if (!s)
		return;
	if (s->thread) {
		kill(getpid(), SIGUSR1);
		g_thread_join(s->thread);
	}
	g_object_unref(s->stop);
	g_object_unref(s->wake);
	g_free(s);
}
