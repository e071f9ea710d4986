/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The source drivers' constructors, for source.c only: everyone else
 * calls pc_source_new().
 */
#ifndef PC_SOURCE_DRIVERS_H
#define PC_SOURCE_DRIVERS_H

#include "source.h"

G_BEGIN_DECLS

/* [source] maildir, created with cur/ new/ tmp/ if missing. (transfer full) */
PcSource *pc_source_maildir_new(const PcConfig *config, PcStore *store,
				GError **error);

/* [imap]: reads the password file now, connects in open(). (transfer full) */
PcSource *pc_source_imap_new(const PcConfig *config, PcStore *store,
			     GError **error);

G_END_DECLS

#endif
