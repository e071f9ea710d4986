// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls: certificate checks for the mail drivers.
 */
#define G_LOG_DOMAIN "pullcheck-tls"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

/* Longest chain taken from a server. */
#define MAX_CHAIN 16

struct _PcTls {
	gnutls_x509_trust_list_t trust;
};

PcTls *pc_tls_new(const char *ca_file, GQuark domain, gint code,
		  GError **error)
{
	g_autofree PcTls *tls = g_new0(PcTls, 1);
	int r;

	if (gnutls_x509_trust_list_init(&tls->trust, 0) < 0)
		g_error("out of memory");
	if (ca_file)
		r = gnutls_x509_trust_list_add_trust_file(
			tls->trust, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tls->trust, 0, 0);
	if (r <= 0) {
		g_set_error(error, domain, code,
			    "no CA certificates in %s%s%s",
			    ca_file ? ca_file : "the system's store",
			    r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		gnutls_x509_trust_list_deinit(tls->trust, 1);
		return NULL;
	}
	return g_steal_pointer(&tls);
}

void pc_tls_free(PcTls *tls)
{
	if (!tls)
		return;
	gnutls_x509_trust_list_deinit(tls->trust, 1);
	g_free(tls);
}

void pc_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	if (!g_hostname_is_ip_address(host))
		mailstream_ssl_set_server_name(ctx, (char *)host);
}

static gboolean verify_chain(PcTls *tls, carray *chain, const char *host,
			     GQuark domain, gint code, GError **error)
{
	gnutls_x509_crt_t certs[MAX_CHAIN];
	guint n = carray_count(chain);
	gnutls_typed_vdata_st data[] = {
		{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0 },
		{ GNUTLS_DT_KEY_PURPOSE_OID,
		  (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
	};
	unsigned int status = 0;
	guint imported = 0;
	int r = GNUTLS_E_CERTIFICATE_ERROR;

	if (n == 0 || n > MAX_CHAIN)
		goto out;
	for (; imported < n; imported++) {
		MMAPString *der = carray_get(chain, imported);
		gnutls_datum_t d = { (unsigned char *)der->str, der->len };

		if (gnutls_x509_crt_init(&certs[imported]) < 0)
			goto out;
		if (gnutls_x509_crt_import(certs[imported], &d,
					   GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(certs[imported]);
			goto out;
		}
	}
	r = gnutls_x509_trust_list_verify_crt2(tls->trust, certs, n, data,
					       G_N_ELEMENTS(data), 0, &status,
					       NULL);
out:
	while (imported > 0)
		gnutls_x509_crt_deinit(certs[--imported]);
	if (r < 0 || status) {
		gnutls_datum_t why = { NULL, 0 };

		if (r >= 0 && gnutls_certificate_verification_status_print(
				      status, GNUTLS_CRT_X509, &why, 0) == 0)
			g_strstrip((char *)why.data);
		g_set_error(error, domain, code,
			    "the certificate of %s is not trusted: %s", host,
			    why.data ? (char *)why.data
				     : "no usable certificate chain");
		gnutls_free(why.data);
		return FALSE;
	}
	return TRUE;
}

gboolean pc_tls_verify(PcTls *tls, mailstream *stream, const char *host,
		       GQuark domain, gint code, GError **error)
{
	/*
	 * libetpan 1.9.4 gives garbage rather than NULL for a server with no
	 * certificate; GnuTLS's "NORMAL" priorities, which libetpan sets,
	 * offer no anonymous suites, so a handshake that worked had one.
	 */
	carray *chain = mailstream_get_certificate_chain(stream);
	gboolean ok;

	if (!chain) {
		g_set_error(error, domain, code,
			    "%s sent no certificate", host);
		return FALSE;
	}
	ok = verify_chain(tls, chain, host, domain, code, error);
	mailstream_certificate_chain_free(chain);
	return ok;
}
