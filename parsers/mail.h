/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mail: a GMimeMessage in, the plain facts about it out.
 *
 * Pure code: no I/O but the stream GMime already holds, no globals.
 */
#ifndef PC_MAIL_H
#define PC_MAIL_H

#include <glib.h>
#include <gmime/gmime.h>

G_BEGIN_DECLS

#define PC_MAIL_ERROR (pc_mail_error_quark())
GQuark pc_mail_error_quark(void);

typedef enum {
	PC_MAIL_ERROR_NOT_MAIL,	/* no headers, binary garbage */
	PC_MAIL_ERROR_TOO_BIG,	/* the message, or a part decoded, is past
				 * the cap */
} PcMailError;

/*
 * What the rest of the program needs to know of one message. Every string
 * is owned by the struct, UTF-8, and NULL when the mail does not say.
 */
typedef struct {
	char *message_id;	/* without the angle brackets; NULL when
				 * absent or refused (message_id_error) */
	char *subject;		/* RFC 2047 decoded, unfolded */
	char *from;		/* "Name <addr>" as decoded */
	char *from_addr;	/* the bare address, lower-cased; NULL when
				 * refused (from_error) */
	char *date;		/* RFC 3339 */
	char **to_cc;		/* To and Cc, lower-cased (PC_MAIL_RECIPIENTS),
				 * only those pc_mail_address_ok takes;
				 * never NULL */
	/*
	 * Message IDs are read from the raw header, never RFC 2047
	 * decoded; those pc_mail_message_id_ok refuses are left out.
	 */
	char *in_reply_to;	/* without the angle brackets */
	char **references;	/* NULL-terminated, oldest first; never NULL */
	char *auto_submitted;	/* the header's value as written */
	char *list_id;
	/*
	 * The text a person wrote: the inline text/plain parts, decoded to
	 * UTF-8, with format=flowed joined, an inline PGP wrapper removed
	 * and CRLF turned into LF. Attachments are not in it.
	 */
	char *body;
	char body_sha256[65];	/* of body, hex */
	gboolean pgp_signed;	/* PGP/MIME or inline signature seen */
	/*
	 * Why the Message-ID was refused (pc_mail_message_id_ok): the
	 * mail is read as if it had none, and a reply to it cannot be
	 * threaded. NULL when it was taken or there was none.
	 */
	char *message_id_error;
	/*
	 * Why the From address was refused (pc_mail_address_ok): there is
	 * no one a reply could go to, so the mail is no pull request
	 * pullcheck answers. NULL when it was taken or there was none.
	 */
	char *from_error;
} PcMail;

/* Longer message IDs are refused: real ones are under 100 bytes. */
#define PC_MAIL_MESSAGE_ID_MAX 250

typedef enum {
	PC_MAIL_NONE = 0,
	PC_MAIL_MBOX = 1 << 0,	/* came from an mbox: undo ">From " quoting */
	/*
	 * Fill @to_cc. Parsing a kernel mail's long Cc list is a good part
	 * of reading it, and only a reply needs it.
	 */
	PC_MAIL_RECIPIENTS = 1 << 1,
	/*
	 * Leave @in_reply_to, @references, @auto_submitted and @list_id
	 * unread (NULL, and @references empty): what only a job needs, for
	 * threading a reply and deciding whether to send one. pullcheck
	 * parse prints none of them.
	 */
	PC_MAIL_NO_THREAD = 1 << 2,
} PcMailFlags;

/*
 * Parses the @len bytes at @data as one message (RFC 5322, not mbox).
 * Fails with PC_MAIL_ERROR_TOO_BIG when @len is over @max_bytes, before
 * GMime sees a byte, and with PC_MAIL_ERROR_NOT_MAIL when GMime finds no
 * message in them. (transfer full)
 */
GMimeMessage *pc_mail_parse_message(const char *data, gsize len,
				    gsize max_bytes, GError **error);

/*
 * Reads @message into @mail. Text parts are decoded only while the total
 * stays under @max_bytes. Returns FALSE with PC_MAIL_ERROR when the
 * message is not a mail at all or decodes past the cap; @mail is then
 * still filled as far as it could be, and must be cleared.
 */
gboolean pc_mail_init_from_message(PcMail *mail, GMimeMessage *message,
				   gsize max_bytes, PcMailFlags flags,
				   GError **error);
void pc_mail_clear(PcMail *mail);

/*
 * Whether @id (without angle brackets) may go into a header of a reply:
 * 1 to PC_MAIL_MESSAGE_ID_MAX bytes of printable ASCII, with no blank
 * and no '<' or '>'.
 */
gboolean pc_mail_message_id_ok(const char *id);

/*
 * Whether @addr is a bare address a reply may go to (To, Cc, SMTP
 * RCPT): printable ASCII with one '@', no blank, no control character
 * and none of <>()[],;:\".
 */
gboolean pc_mail_address_ok(const char *addr);

/*
 * Turns mboxo/mboxrd "From " quoting back in @text, in place: a line
 * that is one or more '>' followed by "From " loses one '>'.
 */
void pc_mail_unquote_from(char *text);

G_END_DECLS

#endif
