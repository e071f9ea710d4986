// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap: pull requests from one IMAP folder, with libetpan.
 *
 * One connection, kept open (source_imap_session.c). New mail is every
 * UID above the last one acknowledged, read with BODY.PEEK[]
 * (source_imap_fetch.c); between listings the driver waits in IDLE
 * (source_imap_idle.c); a checked message is marked with a keyword
 * ($PullcheckPass...; source_imap_keywords.c). Here: the driver's
 * table, its set-up and teardown.
 */
#define G_LOG_DOMAIN "pullcheck-imap"

#include <string.h>

#include "source_imap.h"
#include "connection.h"

/* On the way out, a server that does not answer LOGOUT is not waited for. */
#define LOGOUT_TIMEOUT 5

static char *imap_describe(PcSource *src)
{
	PcSourceImap *self = (PcSourceImap *)src;

	return g_strdup_printf("%s %s, uidvalidity %u, last uid %u", self->url,
			       self->imap ? "connected" : "disconnected",
			       self->uidvalidity, self->last_uid);
}

static void imap_free(PcSource *src)
{
	PcSourceImap *self = (PcSourceImap *)src;

	if (self->imap && self->imap->imap_stream) {
		mailstream_low_set_timeout(
			mailstream_get_low(self->imap->imap_stream),
			LOGOUT_TIMEOUT);
		mailimap_logout(self->imap);
	}
	pc_source_imap_drop(self);
	pc_connection_password_free(self->password);
	pc_tls_free(self->tls);
	g_free(self->mailbox);
	g_free(self->url);
	g_free(self->key_uidvalidity);
	g_free(self->key_last_uid);
	if (self->pending)
		g_array_unref(self->pending);
	g_free(self);
}

static const PcSourceOps imap_ops = {
	.name = "imap",
	.open = pc_source_imap_open,
	.fetch_new = pc_source_imap_fetch_new,
	.wait = pc_source_imap_wait,
	.ack = pc_source_imap_ack,
	.set_verdict = pc_source_imap_set_verdict,
	.describe = imap_describe,
	.free = imap_free,
};

/* --- set-up -------------------------------------------------------------- */

/*
 * A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), in
 * which "&" is "&-" and other than printable ASCII goes as UTF-16 in a
 * base64 with "," for "/", between "&" and "-".
 */
static char *mailbox_utf7(const char *name)
{
	GString *s = g_string_new(NULL);
	const char *p = name;

	while (*p) {
		const char *end = p;
		g_autofree gunichar2 *u16 = NULL;
		g_autofree guchar *be = NULL;
		g_autofree char *b64 = NULL;
		glong n = 0;

		if (*p == '&') {
			g_string_append(s, "&-");
			p++;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			g_string_append_c(s, *p++);
			continue;
		}
		while (*end && !(*end >= 0x20 && *end < 0x7f))
			end++;
		u16 = g_utf8_to_utf16(p, end - p, NULL, &n, NULL);
		if (!u16) {	/* config.c passes only UTF-8 */
			g_string_append_len(s, p, end - p);
			p = end;
			continue;
		}
		be = g_new(guchar, 2 * n);
		for (glong i = 0; i < n; i++) {
			be[2 * i] = u16[i] >> 8;
			be[2 * i + 1] = u16[i] & 0xff;
		}
		b64 = g_base64_encode(be, 2 * n);
		g_strdelimit(b64, "/", ',');
		g_string_append_printf(s, "&%.*s-", (int)strcspn(b64, "="),
				       b64);
		p = end;
	}
	return g_string_free(s, FALSE);
}

static gboolean is_loopback(const char *host)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(host);

	return !strcmp(host, "localhost") ||
	       (a && g_inet_address_get_is_loopback(a));
}

PcSource *pc_source_imap_new(const PcConfig *config, PcStore *store,
			     GError **error)
{
	PcSourceImap *self = g_new0(PcSourceImap, 1);
	g_autofree char *key = g_strdup_printf("imap/%s@%s/%s",
					       config->imap_user,
					       config->imap_host,
					       config->imap_folder);

	self->parent.ops = &imap_ops;
	self->parent.config = config;
	self->parent.store = store;
	self->pending = g_array_new(FALSE, FALSE, sizeof(PcSourceImapPending));
	self->mailbox = mailbox_utf7(config->imap_folder);
	self->url = g_strdup_printf("imap://%s@%s:%u/%s", config->imap_user,
				    config->imap_host, config->imap_port,
				    config->imap_folder);
	self->key_uidvalidity = g_strconcat(key, "/uidvalidity", NULL);
	self->key_last_uid = g_strconcat(key, "/last_uid", NULL);
	self->password = pc_connection_read_password(
		config->imap_password_file, "imap", PC_SOURCE_ERROR, LOCAL,
		error);
	if (!self->password || !pc_source_imap_load_state(self, error))
		goto fail;
	if (strcmp(config->imap_tls, "none") &&
	    !(self->tls = pc_tls_new(config->imap_ca_file, PC_SOURCE_ERROR,
				     LOCAL, error)))
		goto fail;
	if (!strcmp(config->imap_tls, "none") &&
	    !is_loopback(config->imap_host))
		g_warning("[imap] tls = none: the password for %s goes to %s "
			  "in clear", config->imap_user, config->imap_host);
	return &self->parent;
fail:
	imap_free(&self->parent);
	return NULL;
}
