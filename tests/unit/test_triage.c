// SPDX-License-Identifier: GPL-2.0-only
/*
 * triage's never-reply rules (DESIGN.md, "Trust"), one row per case:
 * mail read by the real parser from its bytes, the rules applied with a
 * configuration read from a real file, and the reason the store and
 * `pullcheck status` would show. A row that must get a reply asserts
 * that no rule fired.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "autocleanup.h"
#include "config.h"
#include "mail.h"
#include "triage.h"

static const char CONF[] =
	"[reply]\n"
	"from = pullcheck <PullCheck@Checker.example.org>\n"
	"opt_out = *@OptOut.example.org;;dave@example.net\n";

typedef struct {
	const char *name;
	const char *headers;	/* From and the rest, without Subject */
	const char *body;
	const char *refusal_has;	/* NULL: no rule fires */
} Row;

#define ANN "From: Ann Maintainer <ann@example.org>\n"
#define PULL "Please pull.\n\n  git://git.example.org/ann/widget.git tags/w\n"

static const Row ROWS[] = {
	/* RFC 3834: anything but "no" is automatic. */
	{ "auto/absent", ANN, PULL, NULL },
	{ "auto/no", ANN "Auto-Submitted: no\n", PULL, NULL },
	{ "auto/no-upper", ANN "Auto-Submitted: NO\n", PULL, NULL },
	{ "auto/no-params", ANN "Auto-Submitted: no; reason=\"manual\"\n",
	  PULL, NULL },
	{ "auto/no-params-tight", ANN "Auto-Submitted: No;x=1\n", PULL, NULL },
	{ "auto/generated", ANN "Auto-Submitted: auto-generated\n", PULL,
	  "an automatic message (Auto-Submitted: auto-generated)" },
	{ "auto/replied", ANN "Auto-Submitted: auto-replied\n", PULL,
	  "an automatic message (Auto-Submitted: auto-replied)" },
	{ "auto/upper", ANN "Auto-Submitted: Auto-Generated\n", PULL,
	  "an automatic message (Auto-Submitted: Auto-Generated)" },
	{ "auto/params", ANN "Auto-Submitted: auto-generated; owner=x\n",
	  PULL, "an automatic message (Auto-Submitted: auto-generated; " },
	{ "auto/notified", ANN "Auto-Submitted: auto-notified\n", PULL,
	  "an automatic message" },
	/* "no" only before the parameters: "nothing" is not "no". */
	{ "auto/nothing", ANN "Auto-Submitted: nothing\n", PULL,
	  "an automatic message (Auto-Submitted: nothing)" },
	/* Our own [reply] from, whatever the case and the display name. */
	{ "self/same", "From: pullcheck <pullcheck@checker.example.org>\n",
	  PULL, "mail from pullcheck itself" },
	{ "self/case", "From: Someone <PULLCHECK@CHECKER.EXAMPLE.ORG>\n", PULL,
	  "mail from pullcheck itself" },
	{ "self/other-user", "From: pc <pullcheck2@checker.example.org>\n",
	  PULL, NULL },
	{ "self/other-domain", "From: pc <pullcheck@example.org>\n", PULL,
	  NULL },
	/* [reply] opt_out: patterns on the address, caseless. */
	{ "opt-out/pattern", "From: Olga <olga@optout.example.org>\n", PULL,
	  "the sender opted out ([reply] opt_out: *@OptOut.example.org)" },
	{ "opt-out/pattern-case", "From: Olga <OLGA@OPTOUT.Example.ORG>\n",
	  PULL, "the sender opted out ([reply] opt_out: *@OptOut.example.org)" },
	{ "opt-out/exact", "From: Dave <dave@example.net>\n", PULL,
	  "the sender opted out ([reply] opt_out: dave@example.net)" },
	{ "opt-out/other-domain", "From: Olga <olga@optout.example.org.uk>\n",
	  PULL, NULL },
	{ "opt-out/other", "From: Dave <dave2@example.net>\n", PULL, NULL },
	/* A "pullcheck: no" line of the sender's own. */
	{ "says-no/line", ANN, "pullcheck: no\n\n" PULL,
	  "the sender opted out (a \"pullcheck: no\" line)" },
	{ "says-no/case-dot", ANN, PULL "\n  PullCheck:  No.  \n",
	  "the sender opted out (a \"pullcheck: no\" line)" },
	{ "says-no/crlf", ANN, "pullcheck: no\r\n" PULL,
	  "the sender opted out (a \"pullcheck: no\" line)" },
	{ "says-no/quoted", ANN, "> pullcheck: no\n\n" PULL, NULL },
	{ "says-no/quoted-deep", ANN, ">> > pullcheck: no\n\n" PULL, NULL },
	{ "says-no/in-a-sentence", ANN,
	  "I did not write pullcheck: no here.\n" PULL, NULL },
	{ "says-no/other-word", ANN, "pullcheck: nothing to add\n" PULL, NULL },
	{ "says-no/yes", ANN, "pullcheck: yes\n" PULL, NULL },
	/* The first rule that holds is the reason given. */
	{ "order/auto-before-self",
	  "From: <pullcheck@checker.example.org>\nAuto-Submitted: auto-replied\n",
	  "pullcheck: no\n", "an automatic message" },
};

static PcConfig *load_config(const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	PcConfig *config;
	int fd = g_file_open_tmp("pc-triage-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	config = pc_config_load(path, &error);
	g_unlink(path);
	g_assert_no_error(error);
	return config;
}

/* @row's mail as the parser reads it from its bytes. */
static void read_mail(const Row *row, PcMail *mail)
{
	g_autofree char *raw = g_strconcat(
		row->headers, "To: Linus Torvalds <torvalds@example.org>\n",
		"Subject: [GIT PULL] widget fixes\n",
		"Message-ID: <t@example.org>\n\n", row->body, NULL);
	g_autoptr(GMimeStream) stream =
		g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GError) error = NULL;

	msg = g_mime_parser_construct_message(parser, NULL);
	g_assert_nonnull(msg);
	g_assert_true(pc_mail_init_from_message(mail, msg, 1 << 20,
						PC_MAIL_NONE, &error));
	g_assert_no_error(error);
}

static void test_refusal(gconstpointer data)
{
	const Row *row = data;
	g_autoptr(PcConfig) config = load_config(CONF);
	g_autofree char *refusal = NULL;
	PcMail mail;

	read_mail(row, &mail);
	refusal = pc_triage_refusal(config, &mail);
	if (row->refusal_has) {
		g_assert_nonnull(refusal);
		g_assert_nonnull(strstr(refusal, row->refusal_has));
	} else {
		g_assert_cmpstr(refusal, ==, NULL);
	}
	pc_mail_clear(&mail);
}

/* No [reply] opt_out and the default [reply] from: Ann is answered. */
static void test_defaults(void)
{
	g_autoptr(PcConfig) config = load_config("");
	const Row row = { "defaults", ANN, PULL, NULL };
	g_autofree char *refusal = NULL;
	PcMail mail;

	read_mail(&row, &mail);
	refusal = pc_triage_refusal(config, &mail);
	g_assert_cmpstr(refusal, ==, NULL);
	pc_mail_clear(&mail);
}

/* "pullcheck: recheck": a line of its own, in a reply. */
typedef struct {
	const char *name;
	const char *headers;
	const char *body;
	gboolean asks;
} RecheckRow;

#define IN_THREAD ANN "In-Reply-To: <pr@example.org>\n"

static const RecheckRow RECHECK_ROWS[] = {
	{ "line", IN_THREAD, "Fixed.\n\npullcheck: recheck\n", TRUE },
	{ "case-dot", IN_THREAD, "  PullCheck:  ReCheck.  \n", TRUE },
	{ "crlf", IN_THREAD, "pullcheck: recheck\r\n", TRUE },
	{ "references-only", ANN "References: <pr@example.org>\n",
	  "pullcheck: recheck\n", TRUE },
	{ "not-a-reply", ANN, "pullcheck: recheck\n", FALSE },
	{ "quoted", IN_THREAD, "> pullcheck: recheck\n", FALSE },
	{ "in-a-sentence", IN_THREAD, "Say pullcheck: recheck to it.\n",
	  FALSE },
	{ "other-word", IN_THREAD, "pullcheck: rechecked\n", FALSE },
	{ "no", IN_THREAD, "pullcheck: no\n", FALSE },
};

static void test_recheck(gconstpointer data)
{
	const RecheckRow *rr = data;
	const Row row = { rr->name, rr->headers, rr->body, NULL };
	PcMail mail;

	read_mail(&row, &mail);
	g_assert_cmpint(pc_triage_asks_recheck(&mail), ==, rr->asks);
	pc_mail_clear(&mail);
}

/* pr-tracker-bot's "has been merged into": a reply's own line. */
static void test_merge_ack(void)
{
	static const RecheckRow rows[] = {
		{ "ack", IN_THREAD, "> git://x/y.git tags/t\n\nhas been merged "
		  "into torvalds/linux.git:\nhttps://git.kernel.org/x\n", TRUE },
		{ "not-a-reply", ANN, "has been merged into torvalds/linux.git\n",
		  FALSE },
		{ "quoted", IN_THREAD, "> has been merged into torvalds/linux.git\n",
		  FALSE },
		{ "in-a-sentence", IN_THREAD, "It has been merged into x, I hope.\n",
		  FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		const Row row = { rows[i].name, rows[i].headers, rows[i].body, NULL };
		PcMail mail;

		read_mail(&row, &mail);
		g_assert_cmpint(pc_triage_merge_ack(&mail), ==, rows[i].asks);
		pc_mail_clear(&mail);
	}
}

/* [reply] top_level: patterns, caseless, on To and Cc, each once. */
static void test_top_level(void)
{
	g_autoptr(PcConfig) config = load_config(
		"[reply]\ntop_level = torvalds@linux-foundation.org;"
		"*@Kroah.com;\n");
	g_autoptr(PcConfig) defaults = load_config("");
	PcMail mail = { 0 };
	char *to_cc[] = { "linux-w@vger.kernel.org",
			  "torvalds@linux-foundation.org", "greg@kroah.com",
			  "torvalds@linux-foundation.org", NULL };
	g_auto(GStrv) top = NULL, none = NULL;

	mail.to_cc = to_cc;
	top = pc_triage_top_level(config, &mail);
	g_assert_cmpuint(g_strv_length(top), ==, 2);
	g_assert_cmpstr(top[0], ==, "torvalds@linux-foundation.org");
	g_assert_cmpstr(top[1], ==, "greg@kroah.com");
	g_assert_true(pc_triage_is_top_level(defaults,
					     "Torvalds@Linux-Foundation.org"));
	g_assert_false(pc_triage_is_top_level(defaults, "greg@kroah.com"));
	g_assert_false(pc_triage_is_top_level(defaults,
					      "torvalds@linux-foundation.org.evil"));
	to_cc[1] = to_cc[3] = "linux-next@vger.kernel.org";
	none = pc_triage_top_level(defaults, &mail);
	g_assert_cmpuint(g_strv_length(none), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	for (gsize i = 0; i < G_N_ELEMENTS(ROWS); i++) {
		g_autofree char *path =
			g_strdup_printf("/triage/refusal/%s", ROWS[i].name);

		g_test_add_data_func(path, &ROWS[i], test_refusal);
	}
	g_test_add_func("/triage/defaults", test_defaults);
	for (gsize i = 0; i < G_N_ELEMENTS(RECHECK_ROWS); i++) {
		g_autofree char *path = g_strdup_printf("/triage/recheck/%s",
							RECHECK_ROWS[i].name);

		g_test_add_data_func(path, &RECHECK_ROWS[i], test_recheck);
	}
	g_test_add_func("/triage/top-level", test_top_level);
	g_test_add_func("/triage/merge-ack", test_merge_ack);
	return g_test_run();
}
