/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tagsig: the signature in an annotated tag's raw object, found the way
 * git finds it and verified with GPGME against a keyring, offline (keys
 * are never fetched). The keyring is the trust: a good signature by any
 * key in it counts.
 */
#ifndef PC_TAGSIG_H
#define PC_TAGSIG_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	PC_TAGSIG_NONE,		/* the tag is not signed */
	PC_TAGSIG_OTHER_KIND,	/* signed, not with OpenPGP: not checked */
	PC_TAGSIG_NO_KEYRING,	/* signed; no keyring to check it with */
	PC_TAGSIG_VERIFIED,	/* good, by a key in the keyring */
	PC_TAGSIG_UNKNOWN_KEY,	/* by a key the keyring does not have */
	PC_TAGSIG_BAD,		/* does not verify */
} PcTagsigStatus;

typedef struct {
	PcTagsigStatus status;
	char *fpr;	/* the key's fingerprint, when gpg names one */
	char *signer;	/* VERIFIED: "FINGERPRINT Name <mail>" */
	char *why;	/* BAD: gpg's word */
} PcTagsig;

/*
 * Checks the tag object @data (@len bytes, as the store holds it) with
 * the GnuPG home @keyring (NULL: none). FALSE only when GPGME itself
 * failed; a bad signature is a status.
 */
gboolean pc_tagsig_check(const char *data, size_t len, const char *keyring,
			 PcTagsig *out, GError **error);
void pc_tagsig_clear(PcTagsig *sig);

G_END_DECLS

#endif
