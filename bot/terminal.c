// SPDX-License-Identifier: GPL-2.0-only
/*
 * terminal: control characters shown, not obeyed. A terminal acts on
 * ESC (CSI, OSC: clear, retitle, hyperlinks, colours), on the 8-bit
 * CSI 0x9b where it takes Latin-1, and on C1 characters in UTF-8 in some
 * emulators; a lone CR or a newline lets a subject overwrite or forge a
 * line of the log. All of them become visible text.
 */
#define G_LOG_DOMAIN "pullcheck-terminal"

#include <string.h>

#include "terminal.h"

static gboolean kept(const char *p, PcTerminalFlags flags)
{
	if (!(flags & PC_TERMINAL_KEEP_LINES))
		return FALSE;
	return *p == '\n' || *p == '\t' || (p[0] == '\r' && p[1] == '\n');
}

char *pc_terminal_escape(const char *text, PcTerminalFlags flags)
{
	GString *out;
	const char *p, *end;

	if (!text)
		return NULL;
	end = text + strlen(text);
	out = g_string_sized_new(end - text);
	for (p = text; p < end;) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		const char *next;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* Not UTF-8: each byte as it is, in hex. */
			g_string_append_printf(out, "\\x%02x", (guchar)*p++);
			continue;
		}
		next = g_utf8_next_char(p);
		if ((c < 0x20 || c == 0x7f) && !kept(p, flags))
			g_string_append_printf(out, "\\x%02x", c);
		else if (c >= 0x80 && c < 0xa0)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}
