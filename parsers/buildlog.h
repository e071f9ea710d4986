/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * buildlog: the diagnostics in a kernel build log.
 *
 * Pure code. The patterns are compiled once in pc_buildlog_parser_new();
 * one parser serves any number of logs, from one thread at a time (it
 * keeps its match data between calls).
 *
 * The log is untrusted: it is what the code in a pull request made the
 * compiler print. Lines past PC_BUILDLOG_MAX_LINE bytes are cut, every
 * string in a diagnostic is bounded and valid UTF-8, and the memory a
 * parse uses does not grow with the number of diagnostics beyond a fixed
 * cap.
 */
#ifndef PC_BUILDLOG_H
#define PC_BUILDLOG_H

#include <glib.h>

G_BEGIN_DECLS

/* Longest line looked at; the rest of a longer line is skipped. */
#define PC_BUILDLOG_MAX_LINE (64 * 1024)
/* Bounds of one diagnostic's strings, in bytes and lines. */
#define PC_BUILDLOG_MAX_FILE 1024
#define PC_BUILDLOG_MAX_MESSAGE 1024
#define PC_BUILDLOG_MAX_EXCERPT 1024
#define PC_BUILDLOG_MAX_EXCERPT_LINES 12
/* Most diagnostics handed back, whatever the caller asks for. */
#define PC_BUILDLOG_MAX_ITEMS 1000
/*
 * Most distinct diagnostics remembered for deduplication. Past this the
 * total still grows, but a repeat of a diagnostic first seen after the
 * cap is counted again: the total becomes an upper bound.
 */
#define PC_BUILDLOG_MAX_DISTINCT (1u << 18)

typedef struct _PcBuildlogParser PcBuildlogParser;

/*
 * One diagnostic. @tool, @severity and @language are static strings
 * (never freed, compare with strcmp):
 *   tool      "rustc" "bindgen" "clang" "gcc" "ld.lld" "ld" "modpost"
 *             "kconfig" "make"
 *   severity  "error" "warning"
 *   language  "rust" "c" "link" "kconfig"
 * @file, @message and @excerpt are owned. @file is relative to the
 * source tree when it was under it (the prefix given to the parse and
 * any leading "../" removed), NULL when the log does not say; @line and
 * @column are 0 when unknown. @excerpt is the code frame the tool
 * printed under the message (rustc's "|" lines, clang's source and caret
 * lines, ld.lld's ">>>" lines, Kconfig's "Depends on" lines), NULL when
 * there was none.
 */
typedef struct {
	const char *tool;
	const char *severity;
	const char *language;
	char *file;
	guint line;
	guint column;
	char *message;
	char *excerpt;
} PcDiagnostic;

/*
 * The answer for one log: the first diagnostics in order of first
 * appearance, each once (same tool, file, line, column and message),
 * and how many distinct ones there were in all.
 */
typedef struct {
	GPtrArray *items; /* of PcDiagnostic *, owned */
	guint total;
} PcDiagnostics;

/* (transfer full) Never fails: the patterns are fixed and tested. */
PcBuildlogParser *pc_buildlog_parser_new(void);
void pc_buildlog_parser_free(PcBuildlogParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcBuildlogParser, pc_buildlog_parser_free)

/*
 * Fills @out with at most @max diagnostics (and at most
 * PC_BUILDLOG_MAX_ITEMS) from the @len bytes at @log, which need not be
 * NUL-terminated and may hold NULs. @src_prefix (may be NULL), such as
 * "/src/" or "/build/src", is cut from the front of file names. make's
 * own "*** [...] Error N" lines are reported only when nothing else in
 * the log was. @out must be zeroed or cleared.
 */
void pc_buildlog_parse(PcBuildlogParser *parser, const char *log, gsize len,
		       const char *src_prefix, guint max, PcDiagnostics *out);
void pc_diagnostics_clear(PcDiagnostics *diags);

void pc_diagnostic_free(PcDiagnostic *diag);

/*
 * Where @diag is, as its tool says it: "file:line:column", "file:line",
 * or just "file" when the tool names no line (modpost names a module);
 * NULL when it names no file. Never a made-up line 0. (transfer full)
 */
char *pc_diagnostic_where(const PcDiagnostic *diag);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcDiagnostic, pc_diagnostic_free)

G_END_DECLS

#endif
