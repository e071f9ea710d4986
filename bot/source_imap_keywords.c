// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap_keywords: the verdict as a keyword on the message
 * ($PullcheckPass...), set once it is checked.
 */
#define G_LOG_DOMAIN "pullcheck-imap"

#include <string.h>

#include "source_imap.h"
#include "verdict.h"

static gboolean store_flag(PcSourceImap *self, guint32 uid, const char *kw,
			   gboolean add, GError **error)
{
	struct mailimap_set *set = need(mailimap_set_new_single(uid));
	struct mailimap_flag_list *flags = need(mailimap_flag_list_new_empty());
	struct mailimap_store_att_flags *att;
	int r;

	mailimap_flag_list_add(flags,
			       need(mailimap_flag_new_flag_keyword(
				       need(strdup(kw)))));
	att = need(add ? mailimap_store_att_flags_new_add_flags_silent(flags)
		       : mailimap_store_att_flags_new_remove_flags_silent(
				 flags));
	r = mailimap_uid_store(self->imap, set, att);
	mailimap_store_att_flags_free(att);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step = g_strdup_printf(
			"UID STORE %u %sFLAGS.SILENT (%s)", uid,
			add ? "+" : "-", kw);

		return pc_source_imap_fail(self, r, step, error);
	}
	return TRUE;
}

static gboolean check_markable(PcSourceImap *self, guint32 validity,
			       GError **error)
{
	const char *folder = self->parent.config->imap_folder;

	if (!pc_source_imap_connected(self, error))
		return FALSE;
	if (validity != self->uidvalidity)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s was recreated (UIDVALIDITY %u, "
			    "was %u): the message cannot be found by its UID",
			    self->url, folder, self->uidvalidity, validity);
	else if (self->read_only)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s is read-only", self->url,
			    folder);
	else if (!self->keywords_ok)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s keeps no keywords (no \\* in "
			    "PERMANENTFLAGS)", self->url, folder);
	else
		return TRUE;
	return FALSE;
}

/* The verdict's keyword on, the other verdicts' off (a recheck may differ). */
gboolean pc_source_imap_set_verdict(PcSource *src, const char *id,
				    const char *verdict, GError **error)
{
	const char *const *keywords = pc_outcome_keywords();
	PcSourceImap *self = (PcSourceImap *)src;
	const char *kw = pc_source_keyword(verdict);
	guint32 validity, uid;

	if (!pc_source_imap_parse_id(id, &validity, &uid, error) ||
	    !check_markable(self, validity, error))
		return FALSE;
	for (gsize i = 0; keywords[i]; i++) {
		const char *other = keywords[i];

		if (strcmp(other, kw) && !store_flag(self, uid, other, FALSE,
						     error))
			goto fail;
	}
	if (!store_flag(self, uid, kw, TRUE, error))
		goto fail;
	g_message("%s: UID %u marked %s", self->url, uid, kw);
	return TRUE;
fail:
	g_prefix_error(error, "%s: ", self->url);
	return FALSE;
}
