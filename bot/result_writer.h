/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The job result's writer, for job.c only: it takes the steps' own
 * results, which a reader of the result has no need to see (result.h).
 */
#ifndef PC_RESULT_WRITER_H
#define PC_RESULT_WRITER_H

#include "build.h"
#include "fetch.h"
#include "result.h"

G_BEGIN_DECLS

/* What one check learned, borrowed. */
typedef struct {
	const char *message_id;
	const char *key;		/* the job key */
	const char *verdict;
	GPtrArray *reasons;		/* PcReason* */
	const PcFetchResult *fetch;	/* NULL: not fetched */
	const PcBuildResult *build;	/* NULL: not built */
	guint fetch_tries;		/* fetches made; 0 counts as 1 */
	gint64 fetch_tried_s;		/* from the first to the last */
} PcResultParts;

/* The result as `check --json` prints it. (transfer full) */
JsonObject *pc_result_new(const PcResultParts *parts);

G_END_DECLS

#endif
