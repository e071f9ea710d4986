// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap_fetch: new mail and its UIDs. New mail is every UID above
 * the last one the daemon acknowledged; that UID and the folder's
 * UIDVALIDITY live in the store, so a restart picks up where the last
 * run stopped. Messages are read with BODY.PEEK[], which leaves them
 * unread for the maintainer.
 */
#define G_LOG_DOMAIN "pullcheck-imap"

#include "source_imap.h"

typedef struct {
	guint32 uid;
	guint32 size;
} Listed;

/* The store's errors, as this module's: ours to report. */
static gboolean store_fail(PcSourceImap *self, GError *local, const char *what,
			   GError **error)
{
	g_set_error(error, PC_SOURCE_ERROR, LOCAL, "%s: cannot %s: %s",
		    self->url, what, local->message);
	g_error_free(local);
	return FALSE;
}

static gboolean save_state(PcSourceImap *self, GError **error)
{
	g_autofree char *v = g_strdup_printf("%u", self->uidvalidity);
	g_autofree char *u = g_strdup_printf("%u", self->last_uid);
	GError *local = NULL;

	/* last_uid first: a crash in between resets it again, harmlessly. */
	if (pc_store_set_value(self->parent.store, self->key_last_uid, u,
			       &local) &&
	    pc_store_set_value(self->parent.store, self->key_uidvalidity, v,
			       &local))
		return TRUE;
	return store_fail(self, local, "save the last UID", error);
}

/*
 * A new UIDVALIDITY means the UIDs we know name other messages now (the
 * folder was recreated, or restored): everything is handed out again,
 * and the job store, which knows messages by Message-ID and body hash,
 * keeps a second copy from becoming a second reply.
 */
gboolean pc_source_imap_check_uidvalidity(PcSourceImap *self, GError **error)
{
	guint32 v = self->imap->imap_selection_info->sel_uidvalidity;

	if (v == 0) {
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "SELECT %s: no UIDVALIDITY in the answer",
			    self->parent.config->imap_folder);
		return FALSE;
	}
	if (v == self->uidvalidity)
		return TRUE;
	if (self->uidvalidity)
		g_message("%s: UIDVALIDITY changed from %u to %u: every "
			  "message is new again", self->url, self->uidvalidity,
			  v);
	self->uidvalidity = v;
	self->last_uid = 0;
	g_array_set_size(self->pending, 0);
	return save_state(self, error);
}

static const struct mailimap_msg_att_static *
find_static(const struct mailimap_msg_att *att, int type)
{
	for (clistiter *it = clist_begin(att->att_list); it;
	     it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static->att_type == type)
			return item->att_data.att_static;
	}
	return NULL;
}

static guint32 att_uid(const struct mailimap_msg_att *att)
{
	const struct mailimap_msg_att_static *s =
		find_static(att, MAILIMAP_MSG_ATT_UID);

	return s ? s->att_data.att_uid : 0;
}

static gint compare_listed(gconstpointer a, gconstpointer b)
{
	guint32 x = ((const Listed *)a)->uid, y = ((const Listed *)b)->uid;

	return x < y ? -1 : x > y;
}

/*
 * UID and size of every message above last_uid: sizes first, so that a
 * message over the cap is never downloaded. "n:*" also names the last
 * message when n is above every UID (RFC 3501 6.4.8), hence the filter.
 */
static gboolean list_new(PcSourceImap *self, GArray *out, GError **error)
{
	struct mailimap_set *set =
		need(mailimap_set_new_interval(self->last_uid + 1, 0));
	struct mailimap_fetch_type *ft =
		need(mailimap_fetch_type_new_fetch_att_list_empty());
	clist *result = NULL;
	int r;

	/*
	 * A server takes in mail that arrived since the last command at the
	 * end of the next one (Dovecot does): without the NOOP, the UID
	 * FETCH would see the folder as the previous command left it.
	 */
	r = mailimap_noop(self->imap);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		return pc_source_imap_fail(self, r, "NOOP", error);
	}
	/*
	 * From here on, an EXISTS is mail this listing may not have seen:
	 * the server announces it once, in the reply to whatever command
	 * comes next (a body fetch, a keyword STORE), and the wait
	 * (source_imap_idle.c) must not go idle over it. libetpan sets
	 * the flag; we clear it.
	 */
	self->imap->imap_selection_info->sel_has_exists = 0;
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, need(mailimap_fetch_att_new_uid()));
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, need(mailimap_fetch_att_new_rfc822_size()));
	r = mailimap_uid_fetch(self->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return pc_source_imap_fail(
			self, r, "UID FETCH (UID RFC822.SIZE)", error);
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		const struct mailimap_msg_att *att = clist_content(it);
		const struct mailimap_msg_att_static *size =
			find_static(att, MAILIMAP_MSG_ATT_RFC822_SIZE);
		Listed l = { att_uid(att), 0 };

		/* Unsolicited FETCH replies (flag changes) carry no size. */
		if (l.uid <= self->last_uid || !size)
			continue;
		l.size = size->att_data.att_rfc822_size;
		g_array_append_val(out, l);
	}
	mailimap_fetch_list_free(result);
	g_array_sort(out, compare_listed);
	return TRUE;
}

/*
 * BODY.PEEK[]<0.cap+1>: the whole message without setting \Seen, and
 * never more than one byte over the cap, whatever RFC822.SIZE said.
 * *@raw is left NULL for a message over the cap, and *@gone set for
 * one expunged since it was listed.
 */
static gboolean fetch_body(PcSourceImap *self, guint32 uid, guint64 cap,
			   GBytes **raw, guint64 *size, gboolean *gone,
			   GError **error)
{
	struct mailimap_set *set = need(mailimap_set_new_single(uid));
	struct mailimap_section *section = need(mailimap_section_new(NULL));
	struct mailimap_fetch_att *fa =
		need(mailimap_fetch_att_new_body_peek_section_partial(
			section, 0, (guint32)MIN(cap + 1, G_MAXUINT32)));
	struct mailimap_fetch_type *ft =
		need(mailimap_fetch_type_new_fetch_att(fa));
	clist *result = NULL;
	int r;

	*gone = TRUE;
	r = mailimap_uid_fetch(self->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step =
			g_strdup_printf("UID FETCH %u BODY.PEEK[]", uid);

		return pc_source_imap_fail(self, r, step, error);
	}
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		const struct mailimap_msg_att *att = clist_content(it);
		const struct mailimap_msg_att_static *body =
			find_static(att, MAILIMAP_MSG_ATT_BODY_SECTION);
		const struct mailimap_msg_att_body_section *sec =
			body ? body->att_data.att_body_section : NULL;

		if (att_uid(att) != uid || !sec || !sec->sec_body_part)
			continue;
		*gone = FALSE;
		if (sec->sec_length > cap)
			*size = MAX(*size, sec->sec_length);
		else
			*raw = g_bytes_new(sec->sec_body_part, sec->sec_length);
		break;
	}
	mailimap_fetch_list_free(result);
	return TRUE;
}

/* One message: fetched (or not, over the cap) and handed to @func. */
static gboolean hand_out(PcSourceImap *self, const Listed *l,
			 PcSourceFunc func, gpointer data, gboolean *more,
			 GError **error)
{
	guint64 cap = self->parent.config->max_message_bytes;
	g_autofree char *id = g_strdup_printf("%u/%u", self->uidvalidity,
					      l->uid);
	g_autoptr(GBytes) raw = NULL;
	PcSourceMessage msg = { id, NULL, l->size };
	PcSourceImapPending p = { l->uid, FALSE };
	gboolean gone = FALSE;

	if (l->size <= cap &&
	    !fetch_body(self, l->uid, cap, &raw, &msg.size, &gone, error))
		return FALSE;
	if (gone) {
		g_debug("%s: UID %u was expunged before it could be read",
			self->url, l->uid);
		return TRUE;
	}
	msg.raw = raw;
	if (raw)
		msg.size = g_bytes_get_size(raw);
	else
		g_message("%s: UID %u: %" G_GUINT64_FORMAT " bytes, over the "
			  "limit of %" G_GUINT64_FORMAT ": not downloaded",
			  self->url, l->uid, msg.size, cap);
	g_debug("%s: UID %u: handed out (%" G_GUINT64_FORMAT " bytes)",
		self->url, l->uid, msg.size);
	g_array_append_val(self->pending, p);
	*more = func(&msg, data);
	return TRUE;
}

gboolean pc_source_imap_fetch_new(PcSource *src, PcSourceFunc func,
				  gpointer data, GError **error)
{
	PcSourceImap *self = (PcSourceImap *)src;
	g_autoptr(GArray) listed = g_array_new(FALSE, FALSE, sizeof(Listed));
	gboolean more = TRUE;

	if (!pc_source_imap_connected(self, error))
		return FALSE;
	/* What was handed out before and not acknowledged comes again. */
	g_array_set_size(self->pending, 0);
	if (self->last_uid == G_MAXUINT32)
		return TRUE;
	if (!list_new(self, listed, error))
		goto fail;
	for (guint i = 0; i < listed->len && more; i++) {
		if (!hand_out(self, &g_array_index(listed, Listed, i), func,
			      data, &more, error))
			goto fail;
	}
	return TRUE;
fail:
	g_prefix_error(error, "%s: ", self->url);
	return FALSE;
}

/* "UIDVALIDITY/UID", as hand_out() made it. */
gboolean pc_source_imap_parse_id(const char *id, guint32 *validity,
				 guint32 *uid, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(id, "/", 3);
	guint64 v, u;

	if (g_strv_length(parts) == 2 &&
	    g_ascii_string_to_unsigned(parts[0], 10, 1, G_MAXUINT32, &v,
				       NULL) &&
	    g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT32, &u,
				       NULL)) {
		*validity = v;
		*uid = u;
		return TRUE;
	}
	g_set_error(error, PC_SOURCE_ERROR, LOCAL,
		    "\"%s\" is not an IMAP message id", id);
	return FALSE;
}

/*
 * last_uid moves only over an unbroken run of acknowledged messages: if
 * the daemon acknowledged UID 7 but not 6, both come again next time
 * rather than 6 never.
 */
gboolean pc_source_imap_ack(PcSource *src, const char *id, GError **error)
{
	PcSourceImap *self = (PcSourceImap *)src;
	guint32 validity, uid, last = self->last_uid;
	gboolean found = FALSE;

	if (!pc_source_imap_parse_id(id, &validity, &uid, error))
		return FALSE;
	if (validity != self->uidvalidity || uid <= last) {
		g_debug("%s: UID %u (of UIDVALIDITY %u) needs no ack",
			self->url, uid, validity);
		return TRUE;
	}
	for (guint i = 0; i < self->pending->len; i++) {
		PcSourceImapPending *p = &g_array_index(self->pending,
							PcSourceImapPending, i);

		if (p->uid == uid)
			found = p->acked = TRUE;
	}
	/* Handed out by an earlier fetch_new: trust the caller's order. */
	if (!found && self->pending->len == 0)
		last = uid;
	while (self->pending->len > 0 &&
	       g_array_index(self->pending, PcSourceImapPending, 0).acked) {
		last = g_array_index(self->pending, PcSourceImapPending, 0).uid;
		g_array_remove_index(self->pending, 0);
	}
	if (last == self->last_uid)
		return TRUE;
	self->last_uid = last;
	g_debug("%s: UID %u acknowledged, last uid now %u", self->url, uid,
		last);
	return save_state(self, error);
}

gboolean pc_source_imap_load_state(PcSourceImap *self, GError **error)
{
	g_autofree char *v = NULL;
	g_autofree char *u = NULL;
	GError *local = NULL;
	guint64 n;

	if (!pc_store_get_value(self->parent.store, self->key_uidvalidity, &v,
				&local) ||
	    !pc_store_get_value(self->parent.store, self->key_last_uid, &u,
				&local))
		return store_fail(self, local, "read the last UID", error);
	if (v && g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT32, &n, NULL))
		self->uidvalidity = n;
	if (u && g_ascii_string_to_unsigned(u, 10, 0, G_MAXUINT32, &n, NULL))
		self->last_uid = n;
	return TRUE;
}
