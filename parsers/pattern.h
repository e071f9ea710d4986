/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pattern: the pcre2 patterns the parsers compile once and match often.
 *
 * A pattern is the program's own text, so one that does not compile is a
 * bug in the program: it stops it at start-up, as fdm's re.c does, and
 * no caller has an error to handle.
 */
#ifndef PC_PATTERN_H
#define PC_PATTERN_H

#include <glib.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

G_BEGIN_DECLS

/*
 * Compiles @pattern with pcre2's compile @options, JIT-compiled where
 * the machine allows. (transfer full: pcre2_code_free())
 */
pcre2_code *pc_pattern_compile(const char *pattern, uint32_t options);

/* Where one match is, in bytes from the start of the subject. */
typedef struct {
	gssize start;		/* the whole match */
	gssize end;
	gssize group_start;	/* the first group that took part, */
	gssize group_end;	/* or -1 when none did */
} PcPatternMatch;

/*
 * Matches @re in the @len bytes of @text, from @from on, with pcre2's
 * match @options (0, PCRE2_ANCHORED...). On a match, fills @m unless it
 * is NULL.
 */
gboolean pc_pattern_find(const pcre2_code *re, const char *text, gsize len,
			 gsize from, uint32_t options, PcPatternMatch *m);

G_END_DECLS

#endif
