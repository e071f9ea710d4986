/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jobstate: a job's states (DESIGN.md, "The job and its states") and the
 * moves allowed between them, written once. The store refuses any move
 * the table does not hold; the queries that need a set of states (the
 * open ones, those a reply may be set from) take it from here.
 *
 *   received → ignored | queued
 *   queued → fetching → building → reporting → replied
 *   fetching, building → failed-infra → queued (retried) | reporting
 *   queued → failed-infra (waits for disk space)
 *   fetching, building → queued (stopped with the daemon, or recovered)
 *   reporting → ignored (a limit) | failed-infra (refused by the outbox)
 *             | checked (a verdict no one gets a mail about)
 *   any open state → superseded
 */
#ifndef PC_JOBSTATE_H
#define PC_JOBSTATE_H

#include <glib.h>

G_BEGIN_DECLS

#define PC_STATE_RECEIVED "received"
#define PC_STATE_IGNORED "ignored"
#define PC_STATE_QUEUED "queued"
#define PC_STATE_FETCHING "fetching"
#define PC_STATE_BUILDING "building"
#define PC_STATE_REPORTING "reporting"
#define PC_STATE_REPLIED "replied"
/* Done, with a verdict for the feed and dashboard, and no mail by rule. */
#define PC_STATE_CHECKED "checked"
#define PC_STATE_FAILED_INFRA "failed-infra"
#define PC_STATE_SUPERSEDED "superseded"

/* Whether a job in @from may move to @to. */
gboolean pc_jobstate_may_move(const char *from, const char *to);

/* Whether a job in @state may still move on: not ignored, replied,
 * checked or superseded. */
gboolean pc_jobstate_is_open(const char *state);

/*
 * The states a job may move to @to from, in the table's order,
 * NULL-terminated (transfer container); @to NULL: the open states.
 */
const char **pc_jobstate_sources(const char *to);

/* "('a', 'b')" for an SQL IN of @states. (transfer full) */
char *pc_jobstate_sql_set(const char *const *states);

G_END_DECLS

#endif
