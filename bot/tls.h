/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tls: verifying a mail server's certificate, for the IMAP source and the
 * SMTP outbox (connection.c opens the streams it checks).
 *
 * Debian's libetpan 1.9.4 does TLS with GnuTLS and checks no certificate
 * (mailstream_ssl_set_server_certicate is a stub there), so the chain,
 * the host name and the key purpose are checked here with GnuTLS, right
 * after the handshake and before any command goes over TLS.
 */
#ifndef PC_TLS_H
#define PC_TLS_H

#include <glib.h>
#include <libetpan/libetpan.h>

G_BEGIN_DECLS

/*
 * Errors are set in the caller's @domain with its @code: whether a
 * failure is temporary or needs a human is the driver's to say (a TLS
 * failure is temporary to the outbox, a connect error to the source).
 */

typedef struct _PcTls PcTls;

/* Trusts @ca_file (PEM), or the system's CAs when NULL. (transfer full) */
PcTls *pc_tls_new(const char *ca_file, GQuark domain, gint code,
		  GError **error);
void pc_tls_free(PcTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcTls, pc_tls_free)

/*
 * libetpan's hook before a handshake, with the host name as @data: sets
 * SNI for a name (not for an address).
 */
void pc_tls_setup(struct mailstream_ssl_context *ctx, void *data);

/* Verifies the certificate chain @stream's server sent, for @host. */
gboolean pc_tls_verify(PcTls *tls, mailstream *stream, const char *host,
		       GQuark domain, gint code, GError **error);

G_END_DECLS

#endif
