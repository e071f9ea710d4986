// SPDX-License-Identifier: GPL-2.0-only
/*
 * source: picks the driver [source] type names, and what every driver
 * shares: the outcome keywords (verdict.c has them) and the
 * reconnection backoff. The drivers
 * live in source_maildir.c and source_imap.c.
 */
#define G_LOG_DOMAIN "pullcheck-source"

#include <string.h>

#include "source.h"
#include "source_drivers.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-source-error-quark, pc_source_error)

#define BACKOFF_MAX 300

PcSource *pc_source_new(const PcConfig *config, PcStore *store,
			GError **error)
{
	const char *type = config->source_type;

	if (!strcmp(type, "maildir"))
		return pc_source_maildir_new(config, store, error);
	if (!strcmp(type, "imap"))
		return pc_source_imap_new(config, store, error);
	/* config.c accepts only the names above. */
	g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
		    "unknown source type \"%s\"", type);
	return NULL;
}

void pc_source_free(PcSource *src)
{
	if (src)
		src->ops->free(src);
}

const char *pc_source_keyword(const char *outcome)
{
	return pc_outcome_keyword(pc_outcome_parse(outcome));
}

guint pc_source_backoff(guint attempt)
{
	guint base = 1;
	double s;

	for (guint i = 1; i < attempt && base < BACKOFF_MAX; i++)
		base *= 2;
	base = MIN(base, BACKOFF_MAX);
	s = base * g_random_double_range(0.8, 1.2);
	return CLAMP((guint)(s + 0.5), 1, BACKOFF_MAX);
}
