// SPDX-License-Identifier: GPL-2.0-only
/* tagsig: a tag's signature, found as git finds it, checked offline. */
#define G_LOG_DOMAIN "pullcheck-tagsig"

#include <gpgme.h>
#include <string.h>

#include "autocleanup-git.h"
#include "tagsig.h"

G_DEFINE_QUARK(pc-tagsig-error-quark, pc_tagsig_error)

static const char *const sig_starts[] = {
	"-----BEGIN PGP SIGNATURE-----",
	"-----BEGIN PGP MESSAGE-----",
	"-----BEGIN SSH SIGNATURE-----",
	"-----BEGIN SIGNED MESSAGE-----",
};

static gboolean starts_signature(const char *line, const char *end)
{
	for (guint i = 0; i < G_N_ELEMENTS(sig_starts); i++) {
		size_t n = strlen(sig_starts[i]);

		if ((size_t)(end - line) >= n && !memcmp(line, sig_starts[i], n))
			return TRUE;
	}
	return FALSE;
}

/* Like git's parse_signed_buffer(): the last line that opens a signature. */
static const char *find_signature(const char *data, size_t len)
{
	const char *end = data + len, *line = data, *found = NULL;

	while (line < end) {
		const char *nl = memchr(line, '\n', end - line);

		if (starts_signature(line, end))
			found = line;
		line = nl ? nl + 1 : end;
	}
	return found;
}

static gboolean gpg_fail(GError **error, gpgme_error_t err)
{
	g_set_error(error, pc_tagsig_error_quark(), 0,
		    "cannot verify the tag's signature: %s",
		    gpgme_strerror(err));
	return FALSE;
}

/* "FINGERPRINT Name <mail>" when the keyring knows the key. */
static char *signer_of(gpgme_ctx_t ctx, const char *fpr)
{
	g_auto(gpgme_key_t) key = NULL;

	if (!fpr)
		return NULL;
	if (gpgme_get_key(ctx, fpr, &key, 0) || !key->uids)
		return g_strdup(fpr);
	return g_strdup_printf("%s %s", fpr, key->uids->uid);
}

static void classify(PcTagsig *out, gpgme_ctx_t ctx, gpgme_signature_t s)
{
	out->fpr = s && s->fpr ? g_strdup(s->fpr) : NULL;
	switch (s ? gpgme_err_code(s->status) : GPG_ERR_NO_DATA) {
	case GPG_ERR_NO_ERROR:
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		out->status = PC_TAGSIG_VERIFIED;
		out->signer = signer_of(ctx, s->fpr);
		break;
	case GPG_ERR_NO_PUBKEY:
		out->status = PC_TAGSIG_UNKNOWN_KEY;
		break;
	default:
		out->status = PC_TAGSIG_BAD;
		out->why = g_strdup(s ? gpgme_strerror(s->status)
				      : "no signature gpg can read");
		break;
	}
}

static gboolean verify_pgp(PcTagsig *out, const char *keyring,
			   const char *payload, size_t payload_len,
			   const char *sig, size_t sig_len, GError **error)
{
	g_auto(gpgme_ctx_t) ctx = NULL;
	g_auto(gpgme_data_t) sig_data = NULL;
	g_auto(gpgme_data_t) text = NULL;
	gpgme_verify_result_t res;
	gpgme_error_t err;

	gpgme_check_version(NULL);
	if ((err = gpgme_new(&ctx)) ||
	    (err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
					     keyring)) ||
	    (err = gpgme_data_new_from_mem(&sig_data, sig, sig_len, 0)) ||
	    (err = gpgme_data_new_from_mem(&text, payload, payload_len, 0)))
		return gpg_fail(error, err);
	gpgme_set_offline(ctx, 1);	/* never fetch keys from the network */
	err = gpgme_op_verify(ctx, sig_data, text, NULL);
	if (err && gpgme_err_code(err) != GPG_ERR_NO_DATA &&
	    gpgme_err_code(err) != GPG_ERR_BAD_DATA)
		return gpg_fail(error, err);
	res = err ? NULL : gpgme_op_verify_result(ctx);
	classify(out, ctx, res ? res->signatures : NULL);
	return TRUE;
}

gboolean pc_tagsig_check(const char *data, size_t len, const char *keyring,
			 PcTagsig *out, GError **error)
{
	const char *sig = find_signature(data, len);

	memset(out, 0, sizeof(*out));
	if (!sig) {
		out->status = PC_TAGSIG_NONE;
		return TRUE;
	}
	if (!g_str_has_prefix(sig, sig_starts[0])) {
		out->status = PC_TAGSIG_OTHER_KIND;
		return TRUE;
	}
	if (!keyring) {
		out->status = PC_TAGSIG_NO_KEYRING;
		return TRUE;
	}
	return verify_pgp(out, keyring, data, sig - data, sig,
			  len - (sig - data), error);
}

void pc_tagsig_clear(PcTagsig *sig)
{
	g_free(sig->fpr);
	g_free(sig->signer);
	g_free(sig->why);
	memset(sig, 0, sizeof(*sig));
}
