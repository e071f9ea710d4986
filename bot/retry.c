// SPDX-License-Identifier: GPL-2.0-only
/*
 * retry: the fetch retry window: which findings are worth another
 * fetch, and when it comes.
 */
#define G_LOG_DOMAIN "pullcheck-retry"

#include "retry.h"

/*
 * Transient: a mirror that lags behind a push, a network that fails.
 * Not: our own limits (fetch-limit: [fetch] timeout, max_bytes), which
 * the next try hits again; a URL or redirect the allow list refuses.
 */
static const char *const RETRIED[] = { "ref-not-found", "fetch-failed",
				       NULL };

const PcReason *pc_retry_fetch_cause(GPtrArray *reasons)
{
	const PcReason *worst = pc_reasons_worst(reasons);

	return worst && g_strv_contains(RETRIED, worst->code) ? worst : NULL;
}

gint64 pc_retry_fetch_wait(const PcConfig *config, guint tries,
			   gint64 elapsed)
{
	gint64 left = (gint64)config->fetch_retry_window - MAX(elapsed, 0);
	gint64 wait = config->fetch_retry_delay;

	if (left <= 0)
		return -1;
	for (guint i = 1; i < tries && wait < left; i++)
		wait *= 2;
	return MIN(wait, left);
}
