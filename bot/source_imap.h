/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source_imap: the IMAP driver's parts, for source_imap*.c only: the
 * driver's state, and what each part (session, fetch, idle, keywords)
 * gives the others. Everyone else reaches the driver through source.h.
 */
#ifndef PC_SOURCE_IMAP_H
#define PC_SOURCE_IMAP_H

#include <libetpan/libetpan.h>

#include "source_drivers.h"
#include "tls.h"

G_BEGIN_DECLS

/* A message handed out by fetch_new(), until it is acknowledged. */
typedef struct {
	guint32 uid;
	gboolean acked;
} PcSourceImapPending;

typedef struct {
	PcSource parent;
	char *password;
	PcTls *tls;		/* NULL for tls = none */
	char *mailbox;		/* the folder's name on the wire (UTF-7) */
	char *url;		/* imap://user@host:port/folder, for logs */
	char *key_uidvalidity;
	char *key_last_uid;
	mailimap *imap;		/* NULL while disconnected */
	const char *auth;	/* how we logged in, for the log */
	gboolean keywords_ok;	/* PERMANENTFLAGS has \* */
	gboolean read_only;
	guint32 uidvalidity;	/* 0 until known */
	guint32 last_uid;	/* everything up to here is acknowledged */
	GArray *pending;	/* PcSourceImapPending, in UID order */
} PcSourceImap;

#define CONNECT PC_SOURCE_ERROR_CONNECT
#define AUTH PC_SOURCE_ERROR_AUTH
#define PROTOCOL PC_SOURCE_ERROR_PROTOCOL
#define LOCAL PC_SOURCE_ERROR_LOCAL

/* libetpan's constructors return NULL only when malloc() did. */
static inline void *need(void *p)
{
	if (!p)
		g_error("out of memory");
	return p;
}

/* source_imap_session.c: the connection. */

/*
 * Closes the connection without a word to the server: after an error
 * its state is unknown (mailimap_free() would try a LOGOUT and wait).
 */
void pc_source_imap_drop(PcSourceImap *self);

/*
 * Translates libetpan's @r for @step into @error; always FALSE. A
 * connection that broke, or that said what we cannot follow, is
 * dropped; a plain NO keeps it.
 */
gboolean pc_source_imap_fail(PcSourceImap *self, int r, const char *step,
			     GError **error);

/* FALSE, with PC_SOURCE_ERROR_CONNECT, while disconnected. */
gboolean pc_source_imap_connected(PcSourceImap *self, GError **error);

/* PcSourceOps.open: connect, log in, SELECT. */
gboolean pc_source_imap_open(PcSource *src, GError **error);

/* source_imap_fetch.c: new mail and its UIDs. */

/* The last UID and UIDVALIDITY the store keeps for this folder. */
gboolean pc_source_imap_load_state(PcSourceImap *self, GError **error);

/*
 * After SELECT: a new UIDVALIDITY starts the folder over, and is saved
 * in the store.
 */
gboolean pc_source_imap_check_uidvalidity(PcSourceImap *self,
					  GError **error);

/* A message id, "UIDVALIDITY/UID", back into its numbers. */
gboolean pc_source_imap_parse_id(const char *id, guint32 *validity,
				 guint32 *uid, GError **error);

/* PcSourceOps.fetch_new and .ack. */
gboolean pc_source_imap_fetch_new(PcSource *src, PcSourceFunc func,
				  gpointer data, GError **error);
gboolean pc_source_imap_ack(PcSource *src, const char *id, GError **error);

/* source_imap_idle.c: PcSourceOps.wait. */
gboolean pc_source_imap_wait(PcSource *src, guint timeout_s,
			     GCancellable *cancellable, GError **error);

/* source_imap_keywords.c: PcSourceOps.set_verdict. */
gboolean pc_source_imap_set_verdict(PcSource *src, const char *id,
				    const char *verdict, GError **error);

G_END_DECLS

#endif
