/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * retry: when a fetch is tried again. A ref the repository does not
 * have yet (kernel.org's mirrors lag minutes behind a push) and a fetch
 * that failed on the network are tried again with backoff over [fetch]
 * retry_window before anyone gets a reply. The daemon keeps the count
 * in the job store (queue.c); `pullcheck check` waits in place.
 */
#ifndef PC_RETRY_H
#define PC_RETRY_H

#include <glib.h>

#include "config.h"
#include "reason.h"

G_BEGIN_DECLS

/*
 * The finding that decided the verdict, when it is one a later fetch
 * may not have: ref-not-found or fetch-failed. NULL: none, and for a
 * fetch stopped by [fetch] timeout or max_bytes (fetch-limit), which the
 * next try would hit again. (transfer none)
 */
const PcReason *pc_retry_fetch_cause(GPtrArray *reasons);

/*
 * Seconds to wait before the next fetch, after @tries fetches (>= 1),
 * the first @elapsed seconds ago: [fetch] retry_delay, doubled for each
 * try after the first, the last at the end of [fetch] retry_window.
 * -1 when the window is over.
 */
gint64 pc_retry_fetch_wait(const PcConfig *config, guint tries,
			   gint64 elapsed);

G_END_DECLS

#endif
