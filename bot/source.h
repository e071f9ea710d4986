/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * source: where pull requests come from. One interface, several
 * drivers (source_maildir.c, source_imap.c), in the manner of isync's
 * driver.h: a small struct of function pointers.
 */
#ifndef PC_SOURCE_H
#define PC_SOURCE_H

#include <gio/gio.h>

#include "config.h"
#include "store.h"

G_BEGIN_DECLS

#define PC_SOURCE_ERROR (pc_source_error_quark())
GQuark pc_source_error_quark(void);

typedef enum {
	PC_SOURCE_ERROR_CONNECT,	/* network, TLS, server gone: retry */
	PC_SOURCE_ERROR_AUTH,		/* credentials refused: needs a human */
	PC_SOURCE_ERROR_PROTOCOL,	/* the server said something unexpected */
	PC_SOURCE_ERROR_LOCAL,		/* our side: files, store */
} PcSourceError;

/* One message as the source hands it out. */
typedef struct {
	/*
	 * Stable within the source: "UIDVALIDITY/UID" for IMAP, the file
	 * name (without flags) for a Maildir.
	 */
	const char *id;
	/* The raw bytes; NULL when the message is over the size cap. */
	GBytes *raw;
	guint64 size;
} PcSourceMessage;

/* Return FALSE to stop handing out messages (the rest come next time). */
typedef gboolean (*PcSourceFunc)(const PcSourceMessage *msg, gpointer data);

typedef struct _PcSource PcSource;

typedef struct {
	const char *name;	/* "maildir", "imap" */
	/* Connects (or opens); safe to call again after a failure. */
	gboolean (*open)(PcSource *src, GError **error);
	/*
	 * Hands out every message not yet acknowledged, oldest first,
	 * reading it without marking it read (IMAP: BODY.PEEK[]).
	 */
	gboolean (*fetch_new)(PcSource *src, PcSourceFunc func, gpointer data,
			      GError **error);
	/*
	 * Waits until new mail may have arrived, at most @timeout_s:
	 * IMAP IDLE where offered, else sleep; returns early when
	 * @cancellable is cancelled (without an error).
	 */
	gboolean (*wait)(PcSource *src, guint timeout_s,
			 GCancellable *cancellable, GError **error);
	/* The message is safely recorded in the store: do not hand it out again. */
	gboolean (*ack)(PcSource *src, const char *id, GError **error);
	/*
	 * Triage: marks the original message with the outcome's keyword
	 * (@outcome: "pass", "pass-partial", "unverified", ... or a plain
	 * verdict's name; IMAP keywords $PullcheckPass,
	 * $PullcheckPartialPass, $PullcheckCommandPass, $PullcheckFail,
	 * $PullcheckUnverified, $PullcheckUnchecked, the others taken off;
	 * Maildir: the same keywords as Dovecot keeps them, a letter in the
	 * file name's flags named by dovecot-keywords, see source_maildir.c).
	 */
	gboolean (*set_verdict)(PcSource *src, const char *id,
				const char *outcome, GError **error);
	/* A line for `pullcheck status`: connection state, last UID. */
	char *(*describe)(PcSource *src);
	void (*free)(PcSource *src);
} PcSourceOps;

struct _PcSource {
	const PcSourceOps *ops;
	const PcConfig *config;	/* borrowed */
	PcStore *store;		/* borrowed: sources keep their state in it */
};

/* The driver [source] type names. (transfer full) */
PcSource *pc_source_new(const PcConfig *config, PcStore *store,
			GError **error);
void pc_source_free(PcSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcSource, pc_source_free)

/*
 * The keyword IMAP carries for @outcome ("pass", "pass-partial", ...; a
 * verdict's name reads as its plain outcome): verdict.h has them.
 */
const char *pc_source_keyword(const char *outcome);

/*
 * Seconds to wait before reconnection attempt @attempt (1 for the first
 * retry): 1, 2, 4, ... 256, 300, each with ±20% jitter so that many
 * daemons behind one server do not come back in step; never above 300.
 */
guint pc_source_backoff(guint attempt);

G_END_DECLS

#endif
