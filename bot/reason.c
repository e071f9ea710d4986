// SPDX-License-Identifier: GPL-2.0-only
#define G_LOG_DOMAIN "pullcheck"

#include <string.h>

#include "reason.h"

void pc_reason_free(PcReason *reason)
{
	if (!reason)
		return;
	g_free(reason->code);
	g_free(reason->severity);
	g_free(reason->text);
	g_free(reason);
}

GPtrArray *pc_reasons_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)pc_reason_free);
}

/*
 * @text as valid UTF-8 with every control character but newline and tab
 * (C0, DEL, C1) shown as U+FFFD. Reasons quote what others wrote (a
 * .config line, a Kconfig line, a git server's "remote error"), and a
 * bare CR or an ESC in them would reach the reply, the SMTP DATA and
 * the operator's terminal. (transfer full)
 */
static char *clean_text(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *s = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\n' && c != '\t') ||
		    (c >= 0x7f && c <= 0x9f))
			g_string_append_unichar(s, 0xfffd);
		else
			g_string_append_len(s, p, g_utf8_next_char(p) - p);
	}
	return g_string_free(s, FALSE);
}

void pc_reasons_add(GPtrArray *reasons, const char *code,
		    const char *severity, const char *fmt, ...)
{
	PcReason *r = g_new0(PcReason, 1);
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r->text = clean_text(text);
	r->code = g_strdup(code);
	r->severity = g_strdup(severity);
	g_ptr_array_add(reasons, r);
}

const PcReason *pc_reasons_find(GPtrArray *reasons, const char *severity)
{
	for (guint i = 0; reasons && i < reasons->len; i++) {
		const PcReason *r = reasons->pdata[i];

		if (!g_strcmp0(r->severity, severity))
			return r;
	}
	return NULL;
}

int pc_severity_rank(const char *severity)
{
	const char *const order[] = { PC_SEVERITY_WARNING, PC_SEVERITY_INFRA,
				      PC_SEVERITY_UNVERIFIED,
				      PC_SEVERITY_ERROR };

	for (int i = G_N_ELEMENTS(order) - 1; i >= 0; i--)
		if (!g_strcmp0(severity, order[i]))
			return i + 1;
	return 0;
}

const PcReason *pc_reasons_worst(GPtrArray *reasons)
{
	const PcReason *worst = NULL;

	for (guint i = 0; reasons && i < reasons->len; i++) {
		const PcReason *r = reasons->pdata[i];

		if (!worst || pc_severity_rank(r->severity) >
				      pc_severity_rank(worst->severity))
			worst = r;
	}
	return worst;
}
