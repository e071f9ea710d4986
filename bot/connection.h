/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * connection: what the IMAP source and the SMTP outbox share about
 * reaching a mail server: a TCP connection with a timeout, the libetpan
 * stream over it (with the certificate checked before the first byte is
 * read, for IMAPS and SMTPS), and the password file.
 *
 * The certificate checks themselves are tls.c's: that module holds the
 * GnuTLS trust list, this one the socket and the credentials.
 */
#ifndef PC_CONNECTION_H
#define PC_CONNECTION_H

#include <glib.h>
#include <libetpan/libetpan.h>

#include "tls.h"

G_BEGIN_DECLS

/*
 * Errors are set in the caller's @domain with its @code, as tls.h's
 * are: whether a failure is temporary is the driver's to say.
 */

/*
 * Connects to @host:@port within @timeout seconds and opens a stream
 * whose reads and writes time out after as long. With @tls, the stream
 * is TLS from the start (IMAPS, SMTPS) and the server's certificate has
 * been checked for @host; without, it is in clear (plain, or until
 * STARTTLS). (transfer full: mailstream_close() it, or hand it to
 * mailimap_connect() or mailsmtp_connect())
 */
mailstream *pc_connection_open(const char *host, guint port, guint timeout,
			       PcTls *tls, GQuark domain, gint code,
			       GError **error);

/*
 * The password on the first line of @path, for [@section]
 * password_file. The file's bytes are wiped from memory after reading.
 * (transfer full: free with pc_connection_password_free())
 */
char *pc_connection_read_password(const char *path, const char *section,
				  GQuark domain, gint code, GError **error);

/* Wipes @password and frees it; NULL is fine. */
void pc_connection_password_free(char *password);

G_END_DECLS

#endif
