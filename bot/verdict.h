/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * verdict: the three verdicts, never two — pass, fail, could not check —
 * and "not a pull request", each with the one name the store, the job
 * result, the templates and the X-Pullcheck-Verdict header spell it
 * with, the IMAP keyword triage sets, the label a reader sees and the
 * exit status of `pullcheck check`.
 */
#ifndef PC_VERDICT_H
#define PC_VERDICT_H

#include <glib.h>

G_BEGIN_DECLS

/* The names, as stored and written: the verdict travels as its name. */
#define PC_VERDICT_PASS "pass"
#define PC_VERDICT_FAIL "fail"
#define PC_VERDICT_UNCHECKED "could-not-check"
#define PC_VERDICT_NOT_PR "not-a-pull-request"

typedef enum {
	PC_VERDICT_UNKNOWN,	/* none yet (in progress), or not a name above */
	PC_VERDICT_IS_PASS,
	PC_VERDICT_IS_FAIL,
	PC_VERDICT_IS_UNCHECKED,
	PC_VERDICT_IS_NOT_PR,
} PcVerdict;

/* The verdict @name names (NULL allowed). */
PcVerdict pc_verdict_parse(const char *name);

/* @verdict's name, NULL for PC_VERDICT_UNKNOWN. (transfer none) */
const char *pc_verdict_name(PcVerdict verdict);

/*
 * The keyword triage sets on the pull request: a maintainer's filter on
 * "not pass" must not take "could not check" for "fail", nor the other
 * way round. Anything but pass and fail is "we could not tell", so it
 * gets the could-not-check keyword. (transfer none)
 */
const char *pc_verdict_keyword(PcVerdict verdict);

/* The three keywords, each once. (transfer none, NULL-terminated) */
const char *const *pc_verdict_keywords(void);

/* How a reader sees @verdict: "could not check". (transfer none) */
const char *pc_verdict_label(PcVerdict verdict);

/*
 * The exit status of `pullcheck check` for @verdict, for scripts:
 * 0 pass, 1 fail, 3 could not check (and unknown), 4 not a pull request.
 */
int pc_verdict_exit_status(PcVerdict verdict);

G_END_DECLS

#endif
