// SPDX-License-Identifier: GPL-2.0-only
/*
 * bootlog: the boot verdict from a serial console (bootlog.h).
 */
#include <string.h>

#include "bootlog.h"

/*
 * The lines that say the kernel went wrong, most specific first: a
 * KASAN report starts "BUG: KASAN:", and a general protection fault
 * "Oops: general protection fault".
 */
static const struct {
	const char *needle;
	const char *reason;
	const char *words;
} BAD[] = {
	{ "KASAN", "boot-kasan", "a KASAN report" },
	{ "RCU stall", "boot-rcu-stall", "an RCU stall" },
	{ "detected stall", "boot-rcu-stall", "an RCU stall" },
	{ "general protection", "boot-gpf", "a general protection fault" },
	{ "Kernel panic", "boot-panic", "a kernel panic" },
	{ "kernel BUG at", "boot-bug", "a kernel BUG" },
	{ "BUG:", "boot-bug", "a kernel BUG" },
	{ "Oops", "boot-oops", "an Oops" },
	{ "WARNING:", "boot-warning", "a kernel WARNING" },
};

static const struct {
	const char *reason;
	const char *words;
} OTHER[] = {
	{ "boot-timeout", "no init marker before the timeout" },
	{ "boot-no-marker", "the guest stopped before the init marker" },
	{ "boot-sample-missing", "a Rust sample's init line is missing" },
};

const char *pc_bootlog_reason_words(const char *reason)
{
	for (gsize i = 0; reason && i < G_N_ELEMENTS(BAD); i++)
		if (!strcmp(reason, BAD[i].reason))
			return BAD[i].words;
	for (gsize i = 0; reason && i < G_N_ELEMENTS(OTHER); i++)
		if (!strcmp(reason, OTHER[i].reason))
			return OTHER[i].words;
	return "a failed boot";
}

/* The finding @line is, or NULL. */
static const char *bad_reason(const char *line)
{
	for (gsize i = 0; i < G_N_ELEMENTS(BAD); i++)
		if (strstr(line, BAD[i].needle))
			return BAD[i].reason;
	return NULL;
}

/*
 * @line as it may be shown: control characters (a serial console sends
 * \r and escape sequences) become spaces, trailing space goes, at most
 * PC_BOOTLOG_MAX_LINE bytes, valid UTF-8. (transfer full)
 */
static char *clean(const char *line)
{
	gsize n = strlen(line), o = 0;
	g_autofree char *buf = g_malloc(MIN(n, PC_BOOTLOG_MAX_LINE) + 1);

	for (gsize i = 0; i < n && o < PC_BOOTLOG_MAX_LINE; i++) {
		guchar c = line[i];

		buf[o++] = c < 0x20 || c == 0x7f ? ' ' : c;
	}
	while (o && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return g_utf8_make_valid(buf, o);
}

/* "NAME: ... (init)", the line a sample's module_init prints. */
static gboolean is_sample_line(const char *line, const char *name)
{
	g_autofree char *prefix = g_strconcat(name, ": ", NULL);

	return strstr(line, prefix) && strstr(line, "(init)");
}

static char *excerpt(char **lines, guint n, guint from, guint to)
{
	GString *out = g_string_new(NULL);

	for (guint i = from; i < to && i < n; i++) {
		g_autofree char *c = clean(lines[i]);

		if (out->len + strlen(c) + 1 > PC_BOOTLOG_MAX_EXCERPT)
			break;
		g_string_append(out, c);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static void set_excerpt(PcBootlog *out, char **lines, guint n)
{
	guint end = n;

	/* The text after the last newline is a line too; "" is not. */
	while (end && !*lines[end - 1])
		end--;
	if (out->first_bad_line) {
		guint bad = out->first_bad_line - 1;

		out->excerpt = excerpt(lines, end,
				       bad > PC_BOOTLOG_BEFORE
					       ? bad - PC_BOOTLOG_BEFORE : 0,
				       bad + PC_BOOTLOG_AFTER);
		return;
	}
	out->excerpt = excerpt(lines, end,
			       end > PC_BOOTLOG_BEFORE + PC_BOOTLOG_AFTER
				       ? end - PC_BOOTLOG_BEFORE -
						 PC_BOOTLOG_AFTER
				       : 0,
			       end);
}

/* Each sample's line, or the first one missing. */
static void check_samples(PcBootlog *out, char **lines, guint until,
			  const char *const *samples)
{
	for (const char *const *s = samples; s && *s; s++) {
		guint i;

		for (i = 0; i < until; i++)
			if (is_sample_line(lines[i], *s))
				break;
		if (i < until) {
			g_ptr_array_add(out->samples, clean(lines[i]));
		} else if (!out->missing) {
			out->missing = g_strdup(*s);
		}
	}
}

void pc_bootlog_judge(const char *text, gsize len, const char *marker,
		      const char *const *samples, gboolean timed_out,
		      PcBootlog *out)
{
	g_autofree char *copy = g_strndup(text ? text : "", len);
	g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
	guint n = g_strv_length(lines), mark = n;

	memset(out, 0, sizeof(*out));
	out->samples = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n; i++) {
		const char *bad;

		if (strstr(lines[i], "Linux version "))
			out->kernel_started = TRUE;
		if (strstr(lines[i], marker)) {
			out->marker = TRUE;
			mark = i;
			break;
		}
		bad = bad_reason(lines[i]);
		if (bad && !out->reason) {
			out->reason = bad;
			out->first_bad = clean(lines[i]);
			out->first_bad_line = i + 1;
		}
	}
	check_samples(out, lines, mark, samples);
	if (!out->reason && !out->marker)
		out->reason = timed_out ? "boot-timeout" : "boot-no-marker";
	if (!out->reason && out->missing)
		out->reason = "boot-sample-missing";
	out->pass = out->reason == NULL;
	set_excerpt(out, lines, n);
}

void pc_bootlog_clear(PcBootlog *log)
{
	g_free(log->first_bad);
	g_free(log->missing);
	if (log->samples)
		g_ptr_array_unref(log->samples);
	g_free(log->excerpt);
	memset(log, 0, sizeof(*log));
}
