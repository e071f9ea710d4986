// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a build log, through the diagnostics
 * parser, checked against what the header promises.
 */
#include <stdint.h>
#include <string.h>

#include "buildlog.h"

static PcBuildlogParser *parser;

static gboolean one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return TRUE;
	return FALSE;
}

static void check(const PcDiagnostic *d)
{
	static const char *const tools[] = {
		"rustc", "bindgen", "clang",   "gcc",  "ld.lld",
		"ld",	 "modpost", "kconfig", "make", NULL};
	static const char *const severities[] = {"error", "warning", NULL};
	static const char *const languages[] = {"rust", "c", "link", "kconfig",
						NULL};

	if (!one_of(d->tool, tools) || !one_of(d->severity, severities) ||
	    !one_of(d->language, languages))
		__builtin_trap();
	if (!d->message || !g_utf8_validate(d->message, -1, NULL) ||
	    strlen(d->message) > PC_BUILDLOG_MAX_MESSAGE)
		__builtin_trap();
	if (d->file && (!*d->file || !g_utf8_validate(d->file, -1, NULL) ||
			strlen(d->file) > PC_BUILDLOG_MAX_FILE))
		__builtin_trap();
	if (d->excerpt && (!g_utf8_validate(d->excerpt, -1, NULL) ||
			   strlen(d->excerpt) > PC_BUILDLOG_MAX_EXCERPT))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PcDiagnostics diags = {0};
	/* Not NUL-terminated, as a log read from a pipe is not. */
	char *log = g_memdup2(data, size);

	if (!parser)
		parser = pc_buildlog_parser_new();
	pc_buildlog_parse(parser, log, size, "/src/", 20, &diags);
	if (diags.items->len > 20 || diags.items->len > diags.total)
		__builtin_trap();
	for (guint i = 0; i < diags.items->len; i++)
		check(g_ptr_array_index(diags.items, i));
	pc_diagnostics_clear(&diags);
	g_free(log);
	return 0;
}
