// SPDX-License-Identifier: GPL-2.0-only
/* jobstate: the states and the table of moves (jobstate.h). */
#include <string.h>

#include "jobstate.h"

typedef struct {
	const char *from;
	const char *to;
} Move;

/* Every move the queue makes; superseding is added for every open state. */
static const Move MOVES[] = {
	{ PC_STATE_RECEIVED, PC_STATE_IGNORED },
	{ PC_STATE_RECEIVED, PC_STATE_QUEUED },
	{ PC_STATE_QUEUED, PC_STATE_IGNORED },	/* unreadable when run */
	{ PC_STATE_QUEUED, PC_STATE_FETCHING },
	{ PC_STATE_QUEUED, PC_STATE_REPORTING },
	{ PC_STATE_QUEUED, PC_STATE_FAILED_INFRA },	/* waits for disk space */
	{ PC_STATE_FETCHING, PC_STATE_BUILDING },
	{ PC_STATE_FETCHING, PC_STATE_REPORTING },
	{ PC_STATE_FETCHING, PC_STATE_FAILED_INFRA },
	{ PC_STATE_FETCHING, PC_STATE_QUEUED },	/* recovered after a crash */
	{ PC_STATE_BUILDING, PC_STATE_REPORTING },
	{ PC_STATE_BUILDING, PC_STATE_FAILED_INFRA },
	{ PC_STATE_BUILDING, PC_STATE_QUEUED },	/* stopped, or recovered */
	{ PC_STATE_FAILED_INFRA, PC_STATE_QUEUED },	/* tried again */
	{ PC_STATE_FAILED_INFRA, PC_STATE_REPORTING },
	{ PC_STATE_REPORTING, PC_STATE_REPLIED },
	{ PC_STATE_REPORTING, PC_STATE_IGNORED },	/* a reply limit */
	{ PC_STATE_REPORTING, PC_STATE_FAILED_INFRA },	/* outbox refused */
	{ PC_STATE_REPORTING, PC_STATE_CHECKED },	/* no one to tell */
};

static const char *const OPEN[] = {
	PC_STATE_RECEIVED, PC_STATE_QUEUED,	  PC_STATE_FETCHING,
	PC_STATE_BUILDING, PC_STATE_FAILED_INFRA, PC_STATE_REPORTING,
};

gboolean pc_jobstate_is_open(const char *state)
{
	for (guint i = 0; state && i < G_N_ELEMENTS(OPEN); i++)
		if (!strcmp(state, OPEN[i]))
			return TRUE;
	return FALSE;
}

gboolean pc_jobstate_may_move(const char *from, const char *to)
{
	if (!from || !to)
		return FALSE;
	if (!strcmp(to, PC_STATE_SUPERSEDED))
		return pc_jobstate_is_open(from);
	for (guint i = 0; i < G_N_ELEMENTS(MOVES); i++)
		if (!strcmp(MOVES[i].from, from) && !strcmp(MOVES[i].to, to))
			return TRUE;
	return FALSE;
}

const char **pc_jobstate_sources(const char *to)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(OPEN); i++)
		if (!to || pc_jobstate_may_move(OPEN[i], to))
			g_ptr_array_add(out, (gpointer)OPEN[i]);
	g_ptr_array_add(out, NULL);
	return (const char **)g_ptr_array_free(out, FALSE);
}

char *pc_jobstate_sql_set(const char *const *states)
{
	GString *sql = g_string_new("(");

	for (guint i = 0; states[i]; i++)
		g_string_append_printf(sql, "%s'%s'", i ? ", " : "", states[i]);
	g_string_append_c(sql, ')');
	return g_string_free(sql, FALSE);
}
