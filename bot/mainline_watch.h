/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mainline_watch: where a fetch of mainline is, told to a person: on the
 * terminal, in `pullcheck status` (the store's "mainline" row) and, under
 * systemd, in the unit's STATUS. `pullcheck mainline` tells all three;
 * the daemon's jobs, whose first mainline fetch can take as long, tell
 * the row and the log.
 */
#ifndef PC_MAINLINE_WATCH_H
#define PC_MAINLINE_WATCH_H

#include <glib.h>

#include "fetch.h"
#include "store.h"

G_BEGIN_DECLS

typedef enum {
	PC_MAINLINE_WATCH_TERMINAL = 1 << 0,	/* stderr: \r on a tty */
	PC_MAINLINE_WATCH_NOTIFY = 1 << 1,	/* sd_notify STATUS= */
	PC_MAINLINE_WATCH_LOG = 1 << 2,		/* g_message, now and then */
} PcMainlineWatchFlags;

typedef struct _PcMainlineWatch PcMainlineWatch;

/* @store: where the row goes, borrowed; NULL: no row. (transfer full) */
PcMainlineWatch *pc_mainline_watch_new(PcStore *store,
				       PcMainlineWatchFlags flags);
void pc_mainline_watch_free(PcMainlineWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcMainlineWatch, pc_mainline_watch_free)

/*
 * Also tells @func the row's text whenever the row is written (every
 * 2 s, and at each change of phase): the daemon's STATUS.
 */
void pc_mainline_watch_set_text_func(PcMainlineWatch *w,
				     void (*func)(const char *text,
						  gpointer data),
				     gpointer data);

/* What is being done: "seed" or "fetch" (static). */
void pc_mainline_watch_set_step(PcMainlineWatch *w, const char *what);

/* A PcFetchProgressFunc: @data is the PcMainlineWatch. */
void pc_mainline_watch_progress(const PcFetchProgress *p, gpointer data);

/*
 * It stopped: the row says @what failed and @error's text. When
 * @only_if_running, only if progress was told and it never got to done
 * (a job's fetch, whose failure is told elsewhere too).
 */
void pc_mainline_watch_failed(PcMainlineWatch *w, const char *what,
			      const char *error, gboolean only_if_running);

/* Ends the \r line on the terminal, if one is there. */
void pc_mainline_watch_end_line(PcMainlineWatch *w);

G_END_DECLS

#endif
