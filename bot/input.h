/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * input: the messages in a file, an mbox, a Maildir or standard input.
 */
#ifndef PC_INPUT_H
#define PC_INPUT_H

#include <glib.h>
#include <gmime/gmime.h>

#include "mail.h"

G_BEGIN_DECLS

typedef struct {
	const char *file;	/* the path as given, "-" for stdin */
	/*
	 * Borrowed; NULL when @error is set, and also when the bytes were
	 * read but are not a mail message at all.
	 */
	GMimeMessage *message;
	const GError *error;	/* this one message could not be read */
	guint64 size;		/* bytes of the raw message */
	PcMailFlags flags;
} PcInputMessage;

/* Return FALSE to stop. */
typedef gboolean (*PcInputFunc)(const PcInputMessage *msg, gpointer data);

/*
 * Calls @func for each message under @path, one at a time: an mbox is
 * streamed, never loaded whole, and a message body is read only when the
 * caller decodes it; a single message over @cap bytes has only its head
 * read. Returns FALSE if @path itself cannot be read.
 */
gboolean pc_input_foreach(const char *path, guint64 cap, PcInputFunc func,
			  gpointer data, GError **error);

G_END_DECLS

#endif
