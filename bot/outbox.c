// SPDX-License-Identifier: GPL-2.0-only
/*
 * outbox: picks the driver [outbox] type names. The drivers live in
 * outbox_maildir.c and outbox_smtp.c.
 */
#define G_LOG_DOMAIN "pullcheck-outbox"

#include <gmime/gmime.h>
#include <string.h>

#include "autocleanup.h"
#include "outbox.h"
#include "outbox_drivers.h"

G_DEFINE_QUARK(pc-outbox-error-quark, pc_outbox_error)

PcOutbox *pc_outbox_new(const PcConfig *config, GError **error)
{
	const char *type = config->outbox_type;

	if (!strcmp(type, "maildir"))
		return pc_outbox_maildir_new(config, error);
	if (!strcmp(type, "smtp"))
		return pc_outbox_smtp_new(config, error);
	/* config.c accepts only the names above. */
	g_set_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT,
		    "unknown outbox type \"%s\"", type);
	return NULL;
}

void pc_outbox_free(PcOutbox *out)
{
	if (out)
		out->ops->free(out);
}

/* The end of the header field that starts at @p: its line and continuations. */
static const char *field_end(const char *p, const char *end)
{
	for (;;) {
		const char *eol = memchr(p, '\n', end - p);

		if (!eol)
			return end;
		p = eol + 1;
		if (p == end || (*p != ' ' && *p != '\t'))
			return p;
	}
}

/*
 * The messages are our own replies, so a scan of the header lines is
 * enough: no MIME, no encoded words, only folding to follow.
 */
char *pc_outbox_message_id(GBytes *message)
{
	gsize len;
	const char *p = g_bytes_get_data(message, &len);
	const char *end = p + len;

	while (p && p < end) {
		const char *fend = field_end(p, end);

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break;	/* the blank line: the end of the header */
		if (fend - p > 11 &&
		    !g_ascii_strncasecmp(p, "Message-ID:", 11)) {
			const char *lt = memchr(p, '<', fend - p);
			const char *gt = lt ? memchr(lt, '>', fend - lt) : NULL;

			return gt ? g_strndup(lt + 1, gt - lt - 1) : NULL;
		}
		p = fend;
	}
	return NULL;
}

/* The first mailbox's bare address in @spec ("Name <addr>" or addr). */
static char *bare_address(const char *spec)
{
	g_autoptr(InternetAddressList) list =
		spec ? internet_address_list_parse(NULL, spec) : NULL;
	InternetAddress *a;

	if (!list || internet_address_list_length(list) < 1)
		return NULL;
	a = internet_address_list_get_address(list, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(a))
		return NULL;
	return g_strdup(internet_address_mailbox_get_addr(
		INTERNET_ADDRESS_MAILBOX(a)));
}

char **pc_outbox_config_addresses(const char *const *specs, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	for (const char *const *s = specs; s && *s; s++) {
		char *addr = bare_address(*s);

		if (!addr) {
			g_set_error(error, PC_OUTBOX_ERROR,
				    PC_OUTBOX_ERROR_PERMANENT,
				    "not an address: %s", *s);
			return NULL;
		}
		g_ptr_array_add(out, addr);
	}
	g_ptr_array_add(out, NULL);
	g_ptr_array_set_free_func(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/*
 * The envelope is what the caller decided, never read back from the
 * message: a header that slipped through would otherwise be a recipient.
 */
gboolean pc_outbox_send_reply(PcOutbox *out, const char *const *rcpts,
			      GBytes *message, GError **error)
{
	g_autofree char *from = bare_address(out->config->reply_from);

	if (!from || !rcpts || !*rcpts) {
		g_set_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT,
			    "the reply names no sender or no recipient");
		return FALSE;
	}
	return out->ops->send(out, from, rcpts, message, error);
}
