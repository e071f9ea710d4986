/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * outbox: where replies go. One interface, two drivers
 * (outbox_maildir.c, outbox_smtp.c).
 */
#ifndef PC_OUTBOX_H
#define PC_OUTBOX_H

#include <gio/gio.h>

#include "config.h"

G_BEGIN_DECLS

#define PC_OUTBOX_ERROR (pc_outbox_error_quark())
GQuark pc_outbox_error_quark(void);

typedef enum {
	/* Try again later: connection refused or lost, 4xx, TLS trouble. */
	PC_OUTBOX_ERROR_TEMPORARY,
	/* Do not retry: 5xx, a recipient refused, credentials refused. */
	PC_OUTBOX_ERROR_PERMANENT,
} PcOutboxError;

typedef struct _PcOutbox PcOutbox;

typedef struct {
	const char *name;	/* "maildir", "smtp" */
	/*
	 * Delivers @message (RFC 5322 bytes, CRLF or LF) from @from to
	 * every address in @rcpts. TRUE only once the message is safely
	 * handed over (SMTP: the server's 250 after DATA; Maildir: the file
	 * is in new/ and fsynced).
	 */
	gboolean (*send)(PcOutbox *out, const char *from,
			 const char *const *rcpts, GBytes *message,
			 GError **error);
	void (*free)(PcOutbox *out);
} PcOutboxOps;

struct _PcOutbox {
	const PcOutboxOps *ops;
	const PcConfig *config;	/* borrowed */
};

/* The driver [outbox] type names. (transfer full) */
PcOutbox *pc_outbox_new(const PcConfig *config, GError **error);
void pc_outbox_free(PcOutbox *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcOutbox, pc_outbox_free)

/*
 * Sends one of our replies from [reply] from to @rcpts, the bare
 * addresses decided when it was made (pc_reply_recipients()): the
 * message's own To and Cc are not read.
 */
gboolean pc_outbox_send_reply(PcOutbox *out, const char *const *rcpts,
			      GBytes *message, GError **error);

/*
 * The bare addresses of @specs, each "Name <addr>" or "addr" from the
 * configuration, for an envelope. (transfer full, NULL-terminated)
 */
char **pc_outbox_config_addresses(const char *const *specs, GError **error);

G_END_DECLS

#endif
