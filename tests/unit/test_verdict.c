// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one mapping from what ran to what is said (issue 12 §1): every
 * verdict × recipe × coverage × kconfig × cause gives one outcome, and
 * its token, keyword, label and words claim no more than ran. A plain
 * "pass" only for make all of x86-64 allmodconfig with the kernel
 * recipe; "FAILS the ... policy" never without a kernel build of
 * allmodconfig; a pull request not as sent is "not verified".
 */
#include <string.h>

#include "verdict.h"

static const PcVerdict VERDICTS[] = {
	PC_VERDICT_UNKNOWN, PC_VERDICT_IS_PASS, PC_VERDICT_IS_FAIL,
	PC_VERDICT_IS_UNCHECKED, PC_VERDICT_IS_NOT_PR,
};
static const char *const RECIPES[] = { NULL, "kernel", "command" };
static const char *const COVERAGES[] = { NULL, "full", "rust", "command",
					 "bogus" };
static const char *const KCONFIGS[] = { NULL, "allmodconfig", "tinyconfig",
					"" };

/* What the table must say, worked out here the long way round. */
static PcOutcome expected(PcVerdict v, const PcCoverage *ran,
			  gboolean unverified)
{
	gboolean policy = ran && !g_strcmp0(ran->recipe, "kernel") &&
			  !g_strcmp0(ran->coverage, "full") &&
			  (!ran->kconfig || !*ran->kconfig ||
			   !strcmp(ran->kconfig, "allmodconfig"));

	if (v == PC_VERDICT_IS_PASS && policy)
		return PC_OUTCOME_PASS;
	if (v == PC_VERDICT_IS_PASS && ran && !g_strcmp0(ran->recipe, "command"))
		return PC_OUTCOME_PASS_COMMAND;
	if (v == PC_VERDICT_IS_PASS)
		return PC_OUTCOME_PASS_PARTIAL;
	if (v == PC_VERDICT_IS_FAIL)
		return PC_OUTCOME_FAIL;
	if (v == PC_VERDICT_IS_UNCHECKED)
		return unverified ? PC_OUTCOME_UNVERIFIED : PC_OUTCOME_UNCHECKED;
	if (v == PC_VERDICT_IS_NOT_PR)
		return PC_OUTCOME_NOT_PR;
	return PC_OUTCOME_NONE;
}

/* The words of @o after @ran claim no more than ran. */
static void check_words(PcOutcome o, const PcCoverage *ran)
{
	g_autofree char *filled = pc_outcome_headline(o, ran, NULL);
	g_autofree char *summary = pc_outcome_summary(o, ran);
	g_auto(GStrv) lines = g_strsplit(filled, "\n", -1);
	/* The words as a reader reads them, across the line breaks. */
	g_autofree char *head = g_strdelimit(g_strdup(filled), "\n", ' ');
	gboolean kernel = ran && !g_strcmp0(ran->recipe, "kernel");
	gboolean small = kernel && ran->kconfig && *ran->kconfig &&
			 strcmp(ran->kconfig, "allmodconfig");

	for (char **l = lines; *l; l++)
		g_assert_cmpuint(g_utf8_strlen(*l, -1), <=, 72);
	g_assert_nonnull(strstr(summary, pc_outcome_label(o)));
	/* "passes the ... policy" is the policy pass's alone. */
	g_assert_true((strstr(head, "passes the CONFIG_RUST=y x86-64 "
				    "allmodconfig policy") != NULL) ==
		      (o == PC_OUTCOME_PASS));
	g_assert_null(strstr(head, "builds as x86-64 allmodconfig"));
	if (o == PC_OUTCOME_PASS_PARTIAL) {
		g_assert_nonnull(strstr(head, "not a pass of the policy"));
		if (ran && !g_strcmp0(ran->coverage, "rust")) {
			g_assert_nonnull(strstr(head, "fast stage only"));
			g_assert_nonnull(strstr(head, "full build was not run"));
			g_assert_nonnull(strstr(summary, "full build was not run"));
		}
	}
	if (small && (o == PC_OUTCOME_PASS_PARTIAL || o == PC_OUTCOME_FAIL)) {
		g_assert_nonnull(strstr(head, ran->kconfig));
		g_assert_nonnull(strstr(summary, ran->kconfig));
	}
	if (o == PC_OUTCOME_PASS_COMMAND ||
	    (o == PC_OUTCOME_FAIL && ran && !g_strcmp0(ran->recipe, "command")))
		g_assert_nonnull(strstr(head, "build command"));
	/* FAILS the policy: only a kernel build of allmodconfig. */
	if (strstr(head, "FAILS the CONFIG_RUST=y x86-64 allmodconfig policy"))
		g_assert_true(o == PC_OUTCOME_FAIL && kernel && !small);
	if (o == PC_OUTCOME_UNVERIFIED) {
		g_assert_nonnull(strstr(head, "could not be verified as sent"));
		g_assert_null(strstr(head, "FAIL"));
	}
	if (o == PC_OUTCOME_UNCHECKED)
		g_assert_nonnull(strstr(head, "could not be checked"));
}

static void test_every_case(void)
{
	guint n = 0;

	for (guint v = 0; v < G_N_ELEMENTS(VERDICTS); v++)
	for (guint r = 0; r < G_N_ELEMENTS(RECIPES); r++)
	for (guint c = 0; c < G_N_ELEMENTS(COVERAGES); c++)
	for (guint k = 0; k < G_N_ELEMENTS(KCONFIGS); k++)
	for (int u = 0; u < 2; u++)
	for (int built = 0; built < 2; built++) {
		PcCoverage ran = { RECIPES[r], COVERAGES[c], KCONFIGS[k] };
		const PcCoverage *p = built ? &ran : NULL;
		PcOutcome o = pc_outcome_of(VERDICTS[v], p, u);

		g_assert_cmpint(o, ==, expected(VERDICTS[v], p, u));
		g_assert_cmpint(pc_outcome_verdict(o), ==, VERDICTS[v]);
		g_assert_cmpint(pc_outcome_parse(pc_outcome_token(o)), ==, o);
		check_words(o, p);
		n++;
	}
	g_test_message("%u cases", n);
	g_assert_cmpuint(n, ==, 5 * 3 * 5 * 4 * 2 * 2);
}

/*
 * The tokens and keywords, as mail filters and mailboxes see them: the
 * plain verdicts keep their names and their keywords of old; each
 * outcome has its own keyword, none starting with another's.
 */
static void test_tokens_and_keywords(void)
{
	static const struct {
		PcOutcome o;
		const char *token, *keyword, *label;
		int exit_status;
	} cases[] = {
		{ PC_OUTCOME_PASS, "pass", "$PullcheckPass", "pass", 0 },
		{ PC_OUTCOME_PASS_PARTIAL, "pass-partial",
		  "$PullcheckPartialPass", "partial pass", 0 },
		{ PC_OUTCOME_PASS_COMMAND, "pass-command",
		  "$PullcheckCommandPass", "command pass", 0 },
		{ PC_OUTCOME_FAIL, "fail", "$PullcheckFail", "fail", 1 },
		{ PC_OUTCOME_UNVERIFIED, "unverified", "$PullcheckUnverified",
		  "not verified", 3 },
		{ PC_OUTCOME_UNCHECKED, "could-not-check", "$PullcheckUnchecked",
		  "could not check", 3 },
		{ PC_OUTCOME_NOT_PR, "not-a-pull-request", "$PullcheckUnchecked",
		  "not a pull request", 4 },
	};
	const char *const *all = pc_outcome_keywords();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PcOutcome o = cases[i].o;

		g_assert_cmpstr(pc_outcome_token(o), ==, cases[i].token);
		g_assert_cmpstr(pc_outcome_keyword(o), ==, cases[i].keyword);
		g_assert_cmpstr(pc_outcome_label(o), ==, cases[i].label);
		g_assert_cmpint(pc_verdict_exit_status(pc_outcome_verdict(o)),
				==, cases[i].exit_status);
		g_assert_true(g_strv_contains(all, cases[i].keyword));
	}
	g_assert_cmpuint(g_strv_length((char **)all), ==, 6);
	for (guint i = 0; all[i]; i++)
		for (guint j = 0; all[j]; j++)
			g_assert_true(i == j ||
				      !g_str_has_prefix(all[j], all[i]));
	/* A stored verdict's name reads as its plain outcome. */
	g_assert_cmpint(pc_outcome_parse("pass"), ==, PC_OUTCOME_PASS);
	g_assert_cmpint(pc_outcome_parse("could-not-check"), ==,
			PC_OUTCOME_UNCHECKED);
	g_assert_cmpint(pc_outcome_parse(NULL), ==, PC_OUTCOME_NONE);
	g_assert_cmpint(pc_outcome_parse("PASS"), ==, PC_OUTCOME_NONE);
	g_assert_null(pc_outcome_token(PC_OUTCOME_NONE));
	g_assert_null(pc_outcome_token((PcOutcome)99));
}

/* The words themselves, for the cases a maintainer meets. */
static void test_words(void)
{
	const PcCoverage policy = { "kernel", "full", "allmodconfig" };
	const PcCoverage fast = { "kernel", "rust", "allmodconfig" };
	const PcCoverage tiny = { "kernel", "full", "tinyconfig" };
	const PcCoverage command = { "command", "command", NULL };
	const char *const argv[] = { "make", "-C", "/tmp/src", "V=1 W=2", NULL };
	struct {
		PcOutcome o;
		const PcCoverage *ran;
		const char *head, *summary, *coverage;
	} cases[] = {
		{ PC_OUTCOME_PASS, &policy,
		  "passes the CONFIG_RUST=y x86-64 allmodconfig policy: make "
		  "all (vmlinux,\nevery module, modpost) built with LLVM=1.",
		  "pass: the policy build (make all of allmodconfig) passed",
		  "full" },
		{ PC_OUTCOME_PASS_PARTIAL, &fast,
		  "passed the fast stage only (prepare, rust/, the Rust objects "
		  "and the\nobjects the changes touch) of x86-64 allmodconfig "
		  "with CONFIG_RUST=y.\nThe full build was not run, so this is "
		  "not a pass of the policy.",
		  "partial pass: the fast stage of allmodconfig passed; the "
		  "full build was not run", "rust" },
		{ PC_OUTCOME_PASS_PARTIAL, &tiny,
		  "builds in full (make all: vmlinux, every module, modpost) "
		  "as x86-64\ntinyconfig (not the policy's allmodconfig) with "
		  "CONFIG_RUST=y, so this\nis not a pass of the policy.",
		  "partial pass: the full build of tinyconfig passed; not "
		  "allmodconfig", "full" },
		{ PC_OUTCOME_PASS_COMMAND, &command,
		  "passes the build command this installation runs instead of "
		  "the kernel\nbuild ([build] recipe = command):\n"
		  "  $ make -C /tmp/src 'V=1 W=2'\n"
		  "Nothing was built as x86-64 allmodconfig: this says nothing "
		  "about the\nCONFIG_RUST=y policy.",
		  "command pass: the build command passed; no allmodconfig "
		  "build", "command" },
		{ PC_OUTCOME_FAIL, &fast,
		  "FAILS the CONFIG_RUST=y x86-64 allmodconfig policy, in its "
		  "fast stage:",
		  "fail (the fast stage of allmodconfig)", "rust" },
		{ PC_OUTCOME_FAIL, &policy,
		  "FAILS the CONFIG_RUST=y x86-64 allmodconfig policy:",
		  "fail (the full build of allmodconfig)", "full" },
		{ PC_OUTCOME_FAIL, &tiny,
		  "FAILS to build as x86-64 tinyconfig (not the policy's "
		  "allmodconfig) with\nCONFIG_RUST=y:",
		  "fail (the full build of tinyconfig)", "full" },
		{ PC_OUTCOME_FAIL, &command,
		  "fails the build command this installation runs instead of "
		  "the kernel\nbuild ([build] recipe = command; nothing is "
		  "claimed about allmodconfig):\n"
		  "  $ make -C /tmp/src 'V=1 W=2'",
		  "fail (the build command)", "command" },
		{ PC_OUTCOME_UNVERIFIED, NULL,
		  "could not be verified as sent, so nothing was built; this "
		  "is no verdict\non the code itself:",
		  "not verified: not as the mail says; not built", "none" },
		{ PC_OUTCOME_UNCHECKED, NULL,
		  "could not be checked; this says nothing about the pull "
		  "request itself:", "could not check", "none" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *head = pc_outcome_headline(cases[i].o,
							    cases[i].ran, argv);
		g_autofree char *summary = pc_outcome_summary(cases[i].o,
							      cases[i].ran);

		g_assert_cmpstr(head, ==, cases[i].head);
		g_assert_cmpstr(summary, ==, cases[i].summary);
		g_assert_cmpstr(pc_coverage_name(cases[i].ran), ==,
				cases[i].coverage);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/verdict/outcome/every-case", test_every_case);
	g_test_add_func("/verdict/outcome/tokens-keywords",
			test_tokens_and_keywords);
	g_test_add_func("/verdict/outcome/words", test_words);
	return g_test_run();
}
