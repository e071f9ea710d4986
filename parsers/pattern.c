// SPDX-License-Identifier: GPL-2.0-only
/*
 * pattern: compiling the parsers' patterns, and one way to match them.
 */
#define G_LOG_DOMAIN "pullcheck-pattern"

#include "autocleanup.h"
#include "pattern.h"

pcre2_code *pc_pattern_compile(const char *pattern, uint32_t options)
{
	int code;
	PCRE2_SIZE offset;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options,
			   &code, &offset, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		g_error("pattern %s at %zu: %s", pattern, (size_t)offset, msg);
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* The first group that took part, for a match with @rc groups. */
static void first_group(const PCRE2_SIZE *ov, int rc, PcPatternMatch *m)
{
	m->group_start = m->group_end = -1;
	for (int i = 1; i < rc; i++) {
		if (ov[2 * i] != PCRE2_UNSET) {
			m->group_start = ov[2 * i];
			m->group_end = ov[2 * i + 1];
			return;
		}
	}
}

gboolean pc_pattern_find(const pcre2_code *re, const char *text, gsize len,
			 gsize from, uint32_t options, PcPatternMatch *m)
{
	g_autoptr(pcre2_match_data) md =
		pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)text, len, from, options, md, NULL);
	if (rc < 0)
		return FALSE;
	if (!m)
		return TRUE;
	ov = pcre2_get_ovector_pointer(md);
	m->start = ov[0];
	m->end = ov[1];
	first_group(ov, rc, m);
	return TRUE;
}
