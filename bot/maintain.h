/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maintain: the upkeep that keeps the state directory from growing
 * forever. Job refs of jobs no longer open are deleted, the object store
 * is repacked with unreachable objects pruned, raw mails and build logs
 * of jobs finished more than [pullcheck] retention days ago are dropped,
 * and the job store is vacuumed. `pullcheck maintain` runs it, daily
 * from pullcheck-maintain.timer.
 */
#ifndef PC_MAINTAIN_H
#define PC_MAINTAIN_H

#include <glib.h>

#include "config.h"
#include "fetch.h"

G_BEGIN_DECLS

#define PC_MAINTAIN_ERROR (pc_maintain_error_quark())
GQuark pc_maintain_error_quark(void);

typedef enum {
	PC_MAINTAIN_ERROR_OWNER,	/* run by another user than the owner */
	PC_MAINTAIN_ERROR_GC,		/* git gc failed */
	PC_MAINTAIN_ERROR_FILES,	/* a log could not be removed */
} PcMaintainError;

/* What one run did. Plain data; the paths are owned. */
typedef struct {
	char *store;		/* the object store */
	gboolean have_store;	/* FALSE: none yet, nothing done there */
	PcFetchPruned refs;
	gint64 store_before, store_after;	/* bytes on disk */
	double gc_s;
	char *db;		/* the job store */
	guint raw_dropped;	/* messages of finished jobs */
	guint64 raw_bytes;
	gint64 raw_before;	/* Unix s: jobs finished before this */
	gint64 db_before, db_after;	/* bytes on disk, with the WAL */
	guint logs_removed;
	gint64 log_bytes;	/* on disk */
	double duration_s;
} PcMaintainReport;

void pc_maintain_report_clear(PcMaintainReport *report);

/* Bytes given back to the file system, all parts together. */
gint64 pc_maintain_reclaimed(const PcMaintainReport *report);

/*
 * One run, in the order above. Holds the store's lock (STATE/git.lock,
 * waiting up to @wait_s seconds for a fetch to finish) from the ref
 * sweep to the end of the gc, so it never runs under a fetch. Refuses
 * to run as another user than the state directory's owner: files it
 * made would be out of the daemon's reach. FALSE with @error at the
 * first step that failed; @out says what was done until then.
 */
gboolean pc_maintain_run(const PcConfig *config, guint wait_s,
			 PcMaintainReport *out, GError **error);

G_END_DECLS

#endif
