/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The outbox drivers' constructors, for outbox.c only: everyone else
 * calls pc_outbox_new().
 */
#ifndef PC_OUTBOX_DRIVERS_H
#define PC_OUTBOX_DRIVERS_H

#include "outbox.h"

G_BEGIN_DECLS

/* [outbox] maildir, created with cur/ new/ tmp/ if missing. (transfer full) */
PcOutbox *pc_outbox_maildir_new(const PcConfig *config, GError **error);

/* [smtp]: reads the password file now, connects on each send. (transfer full) */
PcOutbox *pc_outbox_smtp_new(const PcConfig *config, GError **error);

/*
 * The Message-ID of @message (without brackets) by a cheap scan of its
 * header, or NULL. For log lines. (transfer full)
 */
char *pc_outbox_message_id(GBytes *message);

G_END_DECLS

#endif
