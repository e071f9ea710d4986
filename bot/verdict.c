// SPDX-License-Identifier: GPL-2.0-only
/*
 * verdict: one table, so that a verdict's name, keyword, label and exit
 * status cannot drift apart in the files that show it.
 */
#define G_LOG_DOMAIN "pullcheck-verdict"

#include "verdict.h"

#define KEYWORD_PASS "$PullcheckPass"
#define KEYWORD_FAIL "$PullcheckFail"
#define KEYWORD_UNCHECKED "$PullcheckUnchecked"

static const struct {
	const char *name;
	const char *keyword;
	const char *label;
	int exit_status;
} VERDICTS[] = {
	[PC_VERDICT_UNKNOWN] = { NULL, KEYWORD_UNCHECKED, "in progress", 3 },
	[PC_VERDICT_IS_PASS] = { PC_VERDICT_PASS, KEYWORD_PASS, "pass", 0 },
	[PC_VERDICT_IS_FAIL] = { PC_VERDICT_FAIL, KEYWORD_FAIL, "fail", 1 },
	[PC_VERDICT_IS_UNCHECKED] = { PC_VERDICT_UNCHECKED, KEYWORD_UNCHECKED,
				      "could not check", 3 },
	[PC_VERDICT_IS_NOT_PR] = { PC_VERDICT_NOT_PR, KEYWORD_UNCHECKED,
				   "not a pull request", 4 },
};

static const char *const KEYWORDS[] = { KEYWORD_PASS, KEYWORD_FAIL,
					KEYWORD_UNCHECKED, NULL };

PcVerdict pc_verdict_parse(const char *name)
{
	for (guint i = 0; name && i < G_N_ELEMENTS(VERDICTS); i++)
		if (!g_strcmp0(name, VERDICTS[i].name))
			return i;
	return PC_VERDICT_UNKNOWN;
}

static guint checked(PcVerdict verdict)
{
	return (guint)verdict < G_N_ELEMENTS(VERDICTS) ? verdict
						       : PC_VERDICT_UNKNOWN;
}

const char *pc_verdict_name(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].name;
}

const char *pc_verdict_keyword(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].keyword;
}

const char *const *pc_verdict_keywords(void)
{
	return KEYWORDS;
}

const char *pc_verdict_label(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].label;
}

int pc_verdict_exit_status(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].exit_status;
}
