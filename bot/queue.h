/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * queue: the job state machine of DESIGN.md over the store. Each
 * transition is committed before the side effect after it; job.c does
 * the steps themselves. Used by `pullcheck watch`, one job at a time.
 */
#ifndef PC_QUEUE_H
#define PC_QUEUE_H

#include <gio/gio.h>

#include "config.h"
#include "outbox.h"
#include "source.h"
#include "store.h"

G_BEGIN_DECLS

/* The step the queue is in, as its activity callback reports it. */
typedef enum {
	PC_QUEUE_IDLE,		/* between jobs, or bookkeeping in the store */
	PC_QUEUE_FETCHING,
	PC_QUEUE_BUILDING,
	PC_QUEUE_SENDING,	/* the reply, through the outbox */
} PcQueueStep;

/* A step with no time limit of its own (triage, a store write), seconds. */
#define PC_QUEUE_STEP_S 300

typedef struct {
	const PcConfig *config;	/* borrowed, like the rest */
	PcStore *store;
	PcSource *source;	/* NULL: no keywords to set */
	PcOutbox *outbox;
	GCancellable *cancellable;	/* cancelled: stop a running build */
	/* Between the steps of a job: take in new mail (a v2 supersedes). */
	void (*between_steps)(gpointer data);
	/*
	 * The step @job is in now (0 when idle), and when the step's own
	 * time limit runs out (monotonic µs): [fetch] timeout, [build]
	 * timeout, ten [smtp] timeouts, else PC_QUEUE_STEP_S.
	 */
	void (*activity)(gint64 job, PcQueueStep step, gint64 deadline,
			 gpointer data);
	/* A build's output, a line at a time. */
	void (*on_line)(const char *line, gpointer data);
	/* Where a job's fetch of mainline is, in words, every few seconds. */
	void (*on_mainline)(const char *text, gpointer data);
	gpointer data;
} PcQueue;

/*
 * Records a message from the source (with its bytes, so the job
 * outlives the source's copy), acknowledges it to the source, then
 * decides whether it is a job: queued, or ignored with the reason. A
 * copy already recorded changes nothing. FALSE only when the store
 * failed: the message was then not acknowledged and comes again.
 */
gboolean pc_queue_take(PcQueue *q, const PcSourceMessage *msg,
		       GError **error);

/* At start: jobs a stop or crash left in fetching or building restart. */
gboolean pc_queue_recover(PcQueue *q, GError **error);

/*
 * Does the next piece of work that is due: an unsent reply, a received
 * message not yet triaged, a retry, a queued job (the oldest first).
 * *@did is FALSE when there was none.
 */
gboolean pc_queue_step(PcQueue *q, gboolean *did, GError **error);

/* The step's name for people and `pullcheck status`: "building". */
const char *pc_queue_step_name(PcQueueStep step);

/* When the next deferred piece of work is due (Unix s), 0 for none. */
gint64 pc_queue_next_due(PcQueue *q);

G_END_DECLS

#endif
