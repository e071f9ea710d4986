/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * verdict: the three verdicts, never two — pass, fail, could not check —
 * and "not a pull request", each with the one name the store, the job
 * result and the templates spell it with, the label a reader sees and
 * the exit status of `pullcheck check`.
 *
 * And the outcome: the verdict made exact by what ran, so that every
 * word shown of it is true. A pass of less than the policy build, or of
 * another build than the kernel's, is never shown as a plain pass; a
 * pull request that is not as its mail says is told so, not that it
 * fails the policy. The job result's "outcome", the X-Pullcheck-Verdict
 * header, the IMAP keyword, the reply's first lines, the feed, the
 * dashboard and the digest all come from the one table in verdict.c.
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

/* How a reader sees @verdict: "could not check". (transfer none) */
const char *pc_verdict_label(PcVerdict verdict);

/*
 * The exit status of `pullcheck check` for @verdict, for scripts:
 * 0 pass, 1 fail, 3 could not check (and unknown), 4 not a pull request.
 */
int pc_verdict_exit_status(PcVerdict verdict);

/* --- the outcome ------------------------------------------------------ */

/*
 * Each outcome's token is what the job result's "outcome" and the
 * X-Pullcheck-Verdict header say: a mail filter that matches "pass"
 * matches only a pass of the policy. The tokens of the plain verdicts
 * are their names, so a stored verdict reads as an outcome too.
 */
#define PC_OUTCOME_TOKEN_PARTIAL "pass-partial"
#define PC_OUTCOME_TOKEN_COMMAND "pass-command"
#define PC_OUTCOME_TOKEN_UNVERIFIED "unverified"

typedef enum {
	PC_OUTCOME_NONE,	/* no verdict yet, or not a token */
	/* make all of x86-64 allmodconfig with CONFIG_RUST=y passed */
	PC_OUTCOME_PASS,
	/* a kernel build short of that passed: the fast stage, or another
	 * kconfig than allmodconfig */
	PC_OUTCOME_PASS_PARTIAL,
	/* [build] recipe = command: the operator's command passed */
	PC_OUTCOME_PASS_COMMAND,
	PC_OUTCOME_FAIL,
	/* could not check: the pull request is not as its mail says */
	PC_OUTCOME_UNVERIFIED,
	/* could not check: our side */
	PC_OUTCOME_UNCHECKED,
	PC_OUTCOME_NOT_PR,
} PcOutcome;

/* What ran, as the job result's build.recipe, .coverage, .kconfig say. */
typedef struct {
	const char *recipe;	/* kernel | command; NULL: no build */
	const char *coverage;	/* full | rust | command; NULL: none */
	const char *kconfig;	/* the config target; NULL: not a kernel build */
	const char *boot;	/* the boot's status; NULL: no boot ran */
	const char *boot_reason; /* its boot-* code; NULL for none */
} PcCoverage;

#define PC_COVERAGE_FULL "full"
#define PC_COVERAGE_RUST "rust"
#define PC_COVERAGE_COMMAND "command"
#define PC_KCONFIG_POLICY "allmodconfig"

/*
 * The outcome of @verdict after the build @ran (NULL: none); @unverified
 * when the finding that decided the verdict is a verification one
 * (PC_SEVERITY_UNVERIFIED).
 */
PcOutcome pc_outcome_of(PcVerdict verdict, const PcCoverage *ran,
			gboolean unverified);

/* The outcome @token names (NULL allowed): an outcome's or a verdict's. */
PcOutcome pc_outcome_parse(const char *token);

/* @outcome's token, NULL for PC_OUTCOME_NONE. (transfer none) */
const char *pc_outcome_token(PcOutcome outcome);

/* The verdict @outcome belongs to. */
PcVerdict pc_outcome_verdict(PcOutcome outcome);

/*
 * The IMAP keyword triage sets: one per outcome, so a filter on the pass
 * keyword never takes a partial pass, and one on "not pass" never takes
 * could not check for fail. The keywords of pass, fail and could not
 * check are those of earlier versions; no new one begins with another.
 * (transfer none)
 */
const char *pc_outcome_keyword(PcOutcome outcome);

/* Every keyword, each once. (transfer none, NULL-terminated) */
const char *const *pc_outcome_keywords(void);

/* A few words: "partial pass", "not verified". (transfer none) */
const char *pc_outcome_label(PcOutcome outcome);

/*
 * The reply's first lines after the quoted request, ending with a colon
 * where the template puts the cause next: exactly what passed, failed or
 * was not checked. @command: the argv of [build] command, for a
 * recipe = command build (may be NULL). (transfer full)
 */
char *pc_outcome_headline(PcOutcome outcome, const PcCoverage *ran,
			  const char *const *command);

/*
 * @text filled as the headline is, so the cause that follows it reads
 * as one paragraph: lines of at most 72 columns, none indented; a
 * "  $ " command line and a word longer than a line are left whole.
 * (transfer full)
 */
char *pc_outcome_fill(const char *text);

/*
 * One line for the feed, the dashboard and the digest: the label and
 * what ran, "partial pass: the fast stage of allmodconfig passed; the
 * full build was not run". (transfer full)
 */
char *pc_outcome_summary(PcOutcome outcome, const PcCoverage *ran);

/*
 * For a pass of less than the policy, a few words on what passed, for
 * lines with little room: "fast stage only", "tinyconfig only", "build
 * command only"; NULL for any other outcome. (transfer full)
 */
char *pc_outcome_brief(PcOutcome outcome, const PcCoverage *ran);

/*
 * For a section of passes of less than the policy, one sentence on what
 * they have in common; NULL for any other outcome. (transfer none)
 */
const char *pc_outcome_note(PcOutcome outcome);

/* X-Pullcheck-Coverage: full, rust, command or none. (transfer none) */
const char *pc_coverage_name(const PcCoverage *ran);

G_END_DECLS

#endif
