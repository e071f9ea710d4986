// SPDX-License-Identifier: GPL-2.0-only
/*
 * verdict: one table for the verdicts and one for the outcomes, so that
 * a verdict's name, keyword, label, exit status and words cannot drift
 * apart in the files that show it.
 */
#define G_LOG_DOMAIN "pullcheck-verdict"

#include <string.h>

#include "verdict.h"

static const struct {
	const char *name;
	const char *label;
	int exit_status;
} VERDICTS[] = {
	[PC_VERDICT_UNKNOWN] = { NULL, "in progress", 3 },
	[PC_VERDICT_IS_PASS] = { PC_VERDICT_PASS, "pass", 0 },
	[PC_VERDICT_IS_FAIL] = { PC_VERDICT_FAIL, "fail", 1 },
	[PC_VERDICT_IS_UNCHECKED] = { PC_VERDICT_UNCHECKED, "could not check",
				      3 },
	[PC_VERDICT_IS_NOT_PR] = { PC_VERDICT_NOT_PR, "not a pull request",
				   4 },
};

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

const char *pc_verdict_label(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].label;
}

int pc_verdict_exit_status(PcVerdict verdict)
{
	return VERDICTS[checked(verdict)].exit_status;
}

/* --- the outcome ------------------------------------------------------ */

/*
 * The keywords of pass, fail and could not check are the ones earlier
 * versions set, so mailboxes marked then still read right. The new ones
 * do not begin with $PullcheckPass: a filter that globs it stays a
 * filter on the policy pass.
 */
#define KEYWORD_PASS "$PullcheckPass"
#define KEYWORD_PARTIAL "$PullcheckPartialPass"
#define KEYWORD_COMMAND "$PullcheckCommandPass"
#define KEYWORD_FAIL "$PullcheckFail"
#define KEYWORD_UNVERIFIED "$PullcheckUnverified"
#define KEYWORD_UNCHECKED "$PullcheckUnchecked"

static const struct {
	const char *token;
	PcVerdict verdict;
	const char *keyword;
	const char *label;
} OUTCOMES[] = {
	[PC_OUTCOME_NONE] = { NULL, PC_VERDICT_UNKNOWN, KEYWORD_UNCHECKED,
			      "in progress" },
	[PC_OUTCOME_PASS] = { PC_VERDICT_PASS, PC_VERDICT_IS_PASS,
			      KEYWORD_PASS, "pass" },
	[PC_OUTCOME_PASS_PARTIAL] = { PC_OUTCOME_TOKEN_PARTIAL,
				      PC_VERDICT_IS_PASS, KEYWORD_PARTIAL,
				      "partial pass" },
	[PC_OUTCOME_PASS_COMMAND] = { PC_OUTCOME_TOKEN_COMMAND,
				      PC_VERDICT_IS_PASS, KEYWORD_COMMAND,
				      "command pass" },
	[PC_OUTCOME_FAIL] = { PC_VERDICT_FAIL, PC_VERDICT_IS_FAIL,
			      KEYWORD_FAIL, "fail" },
	[PC_OUTCOME_UNVERIFIED] = { PC_OUTCOME_TOKEN_UNVERIFIED,
				    PC_VERDICT_IS_UNCHECKED,
				    KEYWORD_UNVERIFIED, "not verified" },
	[PC_OUTCOME_UNCHECKED] = { PC_VERDICT_UNCHECKED,
				   PC_VERDICT_IS_UNCHECKED, KEYWORD_UNCHECKED,
				   "could not check" },
	[PC_OUTCOME_NOT_PR] = { PC_VERDICT_NOT_PR, PC_VERDICT_IS_NOT_PR,
				KEYWORD_UNCHECKED, "not a pull request" },
};

static const char *const KEYWORDS[] = {
	KEYWORD_PASS,	    KEYWORD_PARTIAL,   KEYWORD_COMMAND, KEYWORD_FAIL,
	KEYWORD_UNVERIFIED, KEYWORD_UNCHECKED, NULL
};

static guint outcome_index(PcOutcome outcome)
{
	return (guint)outcome < G_N_ELEMENTS(OUTCOMES) ? outcome
						       : PC_OUTCOME_NONE;
}

static gboolean is_kernel(const PcCoverage *ran)
{
	return ran && !g_strcmp0(ran->recipe, "kernel");
}

/* The kernel config built: allmodconfig unless the result names another. */
static const char *kconfig_of(const PcCoverage *ran)
{
	return ran && ran->kconfig && *ran->kconfig ? ran->kconfig
						    : PC_KCONFIG_POLICY;
}

static gboolean is_policy_build(const PcCoverage *ran)
{
	return is_kernel(ran) && !g_strcmp0(ran->coverage, PC_COVERAGE_FULL) &&
	       !strcmp(kconfig_of(ran), PC_KCONFIG_POLICY);
}

PcOutcome pc_outcome_of(PcVerdict verdict, const PcCoverage *ran,
			gboolean unverified)
{
	switch (verdict) {
	case PC_VERDICT_IS_PASS:
		if (is_policy_build(ran))
			return PC_OUTCOME_PASS;
		if (ran && !g_strcmp0(ran->recipe, "command"))
			return PC_OUTCOME_PASS_COMMAND;
		return PC_OUTCOME_PASS_PARTIAL;
	case PC_VERDICT_IS_FAIL:
		return PC_OUTCOME_FAIL;
	case PC_VERDICT_IS_UNCHECKED:
		return unverified ? PC_OUTCOME_UNVERIFIED : PC_OUTCOME_UNCHECKED;
	case PC_VERDICT_IS_NOT_PR:
		return PC_OUTCOME_NOT_PR;
	case PC_VERDICT_UNKNOWN:
		break;
	}
	return PC_OUTCOME_NONE;
}

PcOutcome pc_outcome_parse(const char *token)
{
	for (guint i = 1; token && i < G_N_ELEMENTS(OUTCOMES); i++)
		if (!strcmp(token, OUTCOMES[i].token))
			return i;
	return PC_OUTCOME_NONE;
}

const char *pc_outcome_token(PcOutcome outcome)
{
	return OUTCOMES[outcome_index(outcome)].token;
}

PcVerdict pc_outcome_verdict(PcOutcome outcome)
{
	return OUTCOMES[outcome_index(outcome)].verdict;
}

const char *pc_outcome_keyword(PcOutcome outcome)
{
	return OUTCOMES[outcome_index(outcome)].keyword;
}

const char *const *pc_outcome_keywords(void)
{
	return KEYWORDS;
}

const char *pc_outcome_label(PcOutcome outcome)
{
	return OUTCOMES[outcome_index(outcome)].label;
}

const char *pc_coverage_name(const PcCoverage *ran)
{
	static const char *const names[] = { PC_COVERAGE_FULL, PC_COVERAGE_RUST,
					     PC_COVERAGE_COMMAND };

	for (guint i = 0; ran && i < G_N_ELEMENTS(names); i++)
		if (!g_strcmp0(ran->coverage, names[i]))
			return names[i];
	return "none";
}

/* --- the words -------------------------------------------------------- */

#define FAST_STAGE "prepare, rust/, the Rust objects and the objects the " \
		   "changes touch"
#define NOT_POLICY "so this is not a pass of the policy."
#define FILL_WIDTH 72

/* "x86-64 allmodconfig", or "x86-64 tinyconfig (not allmodconfig)" */
static char *config_words(const PcCoverage *ran)
{
	const char *kconfig = kconfig_of(ran);

	if (!strcmp(kconfig, PC_KCONFIG_POLICY))
		return g_strdup("x86-64 " PC_KCONFIG_POLICY);
	if (!strcmp(kconfig, "boot"))
		return g_strdup("the bootable x86-64 config of [boot] (not "
				"the policy's " PC_KCONFIG_POLICY ")");
	return g_strdup_printf("x86-64 %s (not the policy's %s)", kconfig,
			       PC_KCONFIG_POLICY);
}

/* "  $ make -C /tmp/src", quoted as a shell would need it; "" for none. */
static char *command_line(const char *const *command)
{
	GString *out = g_string_new(NULL);

	for (const char *const *a = command; a && *a; a++) {
		g_autofree char *q = g_shell_quote(*a);
		gboolean plain = **a && strspn(*a, "abcdefghijklmnopqrstuvwxyz"
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						   "0123456789-_./=:,+@%") ==
						strlen(*a);

		g_string_append_printf(out, "%s%s", out->len ? " " : "\n  $ ",
				       plain ? *a : q);
	}
	return g_string_free(out, FALSE);
}

static char *pass_headline(PcOutcome outcome, const PcCoverage *ran,
			   const char *const *command)
{
	g_autofree char *config = config_words(ran);
	g_autofree char *cmd = NULL;

	if (outcome == PC_OUTCOME_PASS)
		return g_strdup("passes the CONFIG_RUST=y x86-64 allmodconfig "
				"policy: make all (vmlinux, every module, "
				"modpost) built with LLVM=1.");
	if (outcome == PC_OUTCOME_PASS_COMMAND) {
		cmd = command_line(command);
		return g_strdup_printf(
			"passes the build command this installation runs "
			"instead of the kernel build ([build] recipe = "
			"command):%s\nNothing was built as x86-64 "
			"allmodconfig: this says nothing about the "
			"CONFIG_RUST=y policy.", cmd);
	}
	if (ran && !g_strcmp0(ran->coverage, PC_COVERAGE_RUST))
		return g_strdup_printf(
			"passed the fast stage only (" FAST_STAGE ") of %s "
			"with CONFIG_RUST=y. The full build was not run, "
			NOT_POLICY, config);
	if (ran && !g_strcmp0(ran->coverage, PC_COVERAGE_FULL))
		return g_strdup_printf(
			"builds in full (make all: vmlinux, every module, "
			"modpost) as %s with CONFIG_RUST=y, " NOT_POLICY,
			config);
	if (is_kernel(ran))
		return g_strdup_printf("passed a build of %s with CONFIG_RUST=y "
				       "whose coverage is not recorded, "
				       NOT_POLICY, config);
	return g_strdup("passed a build whose coverage is not recorded, "
			NOT_POLICY);
}

static char *fail_headline(const PcCoverage *ran, const char *const *command)
{
	g_autofree char *config = NULL, *cmd = NULL;

	if (ran && !g_strcmp0(ran->recipe, "command")) {
		cmd = command_line(command);
		return g_strdup_printf(
			"fails the build command this installation runs "
			"instead of the kernel build ([build] recipe = "
			"command; nothing is claimed about allmodconfig):%s",
			cmd);
	}
	if (!is_kernel(ran))
		return g_strdup("FAILS the checks made before any build:");
	if (!g_strcmp0(ran->boot, PC_VERDICT_FAIL) &&
	    !g_strcmp0(ran->boot_reason, "boot-build-failed"))
		return g_strdup("FAILS to build its bootable config (x86-64, "
				"CONFIG_RUST=y, the Rust samples built in), so "
				"nothing was booted:");
	if (!g_strcmp0(ran->boot, PC_VERDICT_FAIL))
		return g_strdup("FAILS to boot: its bootable build (x86-64, "
				"CONFIG_RUST=y, the Rust samples built in) did "
				"not boot to init in QEMU:");
	if (strcmp(kconfig_of(ran), PC_KCONFIG_POLICY)) {
		config = config_words(ran);
		return g_strdup_printf("FAILS to build as %s with "
				       "CONFIG_RUST=y:", config);
	}
	if (!g_strcmp0(ran->coverage, PC_COVERAGE_RUST))
		return g_strdup("FAILS the CONFIG_RUST=y x86-64 allmodconfig "
				"policy, in its fast stage:");
	return g_strdup("FAILS the CONFIG_RUST=y x86-64 allmodconfig policy:");
}

/*
 * @text with each line longer than a reply's 72 columns broken at its
 * last spaces, with no indent; a command line ("  $ ...") stays whole,
 * to be copied as it is. (transfer full)
 */
static char *fill(char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);

	g_free(text);
	for (char **l = lines; *l; l++) {
		const char *p = *l;

		if (out->len)
			g_string_append_c(out, '\n');
		while (!g_str_has_prefix(*l, "  $ ") &&
		       g_utf8_strlen(p, -1) > FILL_WIDTH) {
			const char *cut = g_utf8_offset_to_pointer(p, FILL_WIDTH);

			while (cut > p && *cut != ' ')
				cut--;
			if (cut == p)
				break;	/* a word longer than a line */
			g_string_append_len(out, p, cut - p);
			g_string_append_c(out, '\n');
			p = cut + 1;
		}
		g_string_append(out, p);
	}
	return g_string_free(out, FALSE);
}

static char *headline(PcOutcome outcome, const PcCoverage *ran,
		      const char *const *command)
{
	switch (outcome) {
	case PC_OUTCOME_PASS:
	case PC_OUTCOME_PASS_PARTIAL:
	case PC_OUTCOME_PASS_COMMAND:
		return pass_headline(outcome, ran, command);
	case PC_OUTCOME_FAIL:
		return fail_headline(ran, command);
	case PC_OUTCOME_UNVERIFIED:
		return g_strdup("could not be verified as sent, so nothing was "
				"built; this is no verdict on the code itself:");
	case PC_OUTCOME_UNCHECKED:
		return g_strdup("could not be checked; this says nothing about "
				"the pull request itself:");
	case PC_OUTCOME_NOT_PR:
		return g_strdup("is not a pull request.");
	case PC_OUTCOME_NONE:
		break;
	}
	return g_strdup("has no verdict yet.");
}

char *pc_outcome_headline(PcOutcome outcome, const PcCoverage *ran,
			  const char *const *command)
{
	return fill(headline(outcome, ran, command));
}

char *pc_outcome_fill(const char *text)
{
	return fill(g_strdup(text));
}

/* "the fast stage of allmodconfig", "the full build of tinyconfig" */
static char *ran_words(const PcCoverage *ran)
{
	if (ran && !g_strcmp0(ran->recipe, "command"))
		return g_strdup("the build command");
	if (!is_kernel(ran))
		return NULL;
	if (!g_strcmp0(ran->coverage, PC_COVERAGE_RUST))
		return g_strdup_printf("the fast stage of %s", kconfig_of(ran));
	if (!g_strcmp0(ran->coverage, PC_COVERAGE_FULL))
		return g_strdup_printf("the full build of %s", kconfig_of(ran));
	return g_strdup_printf("a build of %s", kconfig_of(ran));
}

char *pc_outcome_summary(PcOutcome outcome, const PcCoverage *ran)
{
	const char *label = pc_outcome_label(outcome);
	g_autofree char *what = ran_words(ran);

	switch (outcome) {
	case PC_OUTCOME_PASS:
		return g_strdup("pass: the policy build (make all of "
				"allmodconfig) passed");
	case PC_OUTCOME_PASS_PARTIAL:
		if (ran && !g_strcmp0(ran->coverage, PC_COVERAGE_RUST))
			return g_strdup_printf("%s: %s passed; the full build "
					       "was not run", label,
					       what ? what : "a build");
		return g_strdup_printf("%s: %s passed; not allmodconfig",
				       label, what ? what : "a build");
	case PC_OUTCOME_PASS_COMMAND:
		return g_strdup_printf("%s: the build command passed; no "
				       "allmodconfig build", label);
	case PC_OUTCOME_FAIL:
		if (ran && !g_strcmp0(ran->boot, PC_VERDICT_FAIL))
			return g_strdup_printf("%s (the boot in QEMU, after %s "
					       "passed)", label,
					       what ? what : "the build");
		return what ? g_strdup_printf("%s (%s)", label, what)
			    : g_strdup(label);
	case PC_OUTCOME_UNVERIFIED:
		return g_strdup_printf("%s: not as the mail says; not built",
				       label);
	default:
		return g_strdup(label);
	}
}

char *pc_outcome_brief(PcOutcome outcome, const PcCoverage *ran)
{
	if (outcome == PC_OUTCOME_PASS_COMMAND)
		return g_strdup("build command only");
	if (outcome != PC_OUTCOME_PASS_PARTIAL)
		return NULL;
	if (ran && !g_strcmp0(ran->coverage, PC_COVERAGE_RUST))
		return g_strdup("fast stage only");
	if (is_kernel(ran))
		return g_strdup_printf("%s only", kconfig_of(ran));
	return g_strdup("partial build only");
}

const char *pc_outcome_note(PcOutcome outcome)
{
	if (outcome == PC_OUTCOME_PASS_PARTIAL)
		return "Less than the policy build passed: no full "
		       "allmodconfig build.";
	if (outcome == PC_OUTCOME_PASS_COMMAND)
		return "The build command passed ([build] recipe = command), "
		       "not the policy build.";
	return NULL;
}
