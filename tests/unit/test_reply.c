// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reply as a maintainer's mail client and a list archive see it:
 * threading headers, verdict headers, recipients, a stable Message-ID,
 * and a plain-text body under 80 columns that states the verdict first.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "autocleanup.h"
#include "reply.h"

static const char RESULT_FAIL[] =
	"{\"message_id\": \"pr-1@example.org\", \"verdict\": \"fail\","
	" \"outcome\": \"fail\","
	" \"reasons\": [{\"code\": \"build-failed\", \"severity\": \"error\","
	"  \"text\": \"tags/w-6.13 at 1111111111111111111111111111111111111111 does not build: the first error, in rust code, is at drivers/w/w.rs:12\"},"
	" {\"code\": \"tag-unsigned\", \"severity\": \"warning\", \"text\": \"the tag is not signed\"}],"
	" \"fetch\": {\"url\": \"git://git.kernel.org/pub/scm/a/w.git\","
	"  \"ref\": \"tags/w-6.13\", \"resolved_ref\": \"refs/tags/w-6.13\","
	"  \"tip_commit\": \"1111111111111111111111111111111111111111\","
	"  \"base_commit\": \"3333333333333333333333333333333333333333\","
	"  \"commits\": 4, \"files_changed\": 2, \"insertions\": 10,"
	"  \"deletions\": 3, \"signature\": \"none\", \"signer\": null,"
	"  \"merge_conflicts\": [], \"tries\": 1, \"tried_s\": 0},"
	" \"build\": {\"verdict\": \"fail\", \"recipe\": \"kernel\","
	"  \"scope\": \"rust\", \"coverage\": \"rust\","
	"  \"kconfig\": \"allmodconfig\", \"tree\": \"tip\","
	"  \"tree_commit\": \"1111111111111111111111111111111111111111\","
	"  \"config\": {\"rust\": \"y\"}, \"toolchain\": {},"
	"  \"duration_s\": 61.0, \"diagnostics\": [],"
	"  \"diagnostics_total\": 0, \"reproduce\": []}}";

/* The same as the daemon's job 7. */
#define RESULT_FAIL_ID "{\"store_id\": 7, " "\"message_id\": \"pr-1@example.org\", \"verdict\": \"fail\", \"reasons\": [], \"fetch\": null, \"build\": null}"

static void init_mail(PcMail *mail, PcPullreq *pr)
{
	char *refs[] = { g_strdup("root@example.org"), NULL };
	char *to_cc[] = { g_strdup("torvalds@linux-foundation.org"),
			  g_strdup("linux-w@vger.kernel.org"),
			  g_strdup("someone@example.com"), NULL };

	memset(mail, 0, sizeof(*mail));
	memset(pr, 0, sizeof(*pr));
	mail->message_id = g_strdup("pr-1@example.org");
	mail->subject = g_strdup("[GIT PULL] w fixes for 6.13");
	mail->from = g_strdup("Ann M <ann@example.org>");
	mail->from_addr = g_strdup("ann@example.org");
	mail->date = g_strdup("2024-12-03T10:00:00+01:00");
	mail->references = g_memdup2(refs, sizeof(refs));
	mail->to_cc = g_memdup2(to_cc, sizeof(to_cc));
	mail->body = g_strdup("body");
	g_strlcpy(mail->body_sha256, "ab", sizeof(mail->body_sha256));
	pr->repo_url = g_strdup("git://git.kernel.org/pub/scm/a/w.git");
	pr->ref = g_strdup("tags/w-6.13");
}

static JsonObject *parse_result(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();

	g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static PcConfig *config_with(const char *text)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("pc-reply-XXXXXX", &path, NULL);
	PcConfig *config;

	close(fd);
	g_file_set_contents(path, text, -1, NULL);
	config = pc_config_load(path, NULL);
	g_unlink(path);
	g_assert_nonnull(config);
	return config;
}

static char *body_of(GMimeMessage *msg)
{
	GMimeObject *part = g_mime_message_get_mime_part(msg);

	return g_mime_text_part_get_text(GMIME_TEXT_PART(part));
}

static void test_fail_reply(void)
{
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n"
		"cc_lists = *@vger.kernel.org;\n");
	g_autoptr(JsonObject) result = parse_result(RESULT_FAIL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *body = NULL, *again = NULL;
	g_autofree char *cc = NULL, *to = NULL;
	GMimeObject *obj;
	g_auto(GStrv) lines = NULL;
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	obj = GMIME_OBJECT(msg);
	g_assert_cmpstr(g_mime_message_get_subject(msg), ==,
			"Re: [GIT PULL] w fixes for 6.13");
	g_assert_cmpstr(g_mime_object_get_header(obj, "In-Reply-To"), ==,
			"<pr-1@example.org>");
	g_assert_cmpstr(g_mime_object_get_header(obj, "References"), ==,
			"<root@example.org> <pr-1@example.org>");
	g_assert_cmpstr(g_mime_object_get_header(obj, "Auto-Submitted"), ==,
			"auto-generated");
	g_assert_cmpstr(g_mime_object_get_header(obj, "X-Pullcheck-Verdict"),
			==, "fail");
	g_assert_cmpstr(g_mime_object_get_header(obj, "X-Pullcheck-Tip"), ==,
			"1111111111111111111111111111111111111111");
	g_assert_cmpstr(g_mime_object_get_header(obj, "X-Pullcheck-Scope"),
			==, "rust");
	g_assert_cmpstr(g_mime_object_get_header(obj, "X-Pullcheck-Coverage"),
			==, "rust");
	g_assert_cmpstr(g_mime_object_get_header(obj, "X-Pullcheck-Kconfig"),
			==, "allmodconfig");
	to = internet_address_list_to_string(g_mime_message_get_to(msg), NULL,
					     FALSE);
	cc = internet_address_list_to_string(g_mime_message_get_cc(msg), NULL,
					     FALSE);
	/* A fail goes to the top-level recipient too. */
	g_assert_cmpstr(to, ==, "ann@example.org, torvalds@linux-foundation.org");
	g_assert_cmpstr(cc, ==, "linux-w@vger.kernel.org");
	g_assert_true(g_str_has_suffix(g_mime_message_get_message_id(msg),
				       "@check.example.net"));
	again = pc_reply_message_id(config, &mail, "fail",
				    "1111111111111111111111111111111111111111");
	g_assert_cmpstr(g_mime_message_get_message_id(msg), ==, again);

	body = body_of(msg);
	g_test_message("%s", body);
	/* The verdict comes first, then the reason. */
	/* An opening line of its own, not pr-tracker-bot's. */
	g_assert_true(g_str_has_prefix(body, "pullcheck on the pull request of "
					     "Tue, 3 Dec 2024 10:00:00 +0100:"));
	g_assert_null(strstr(body, "The pull request you sent on"));
	g_assert_nonnull(strstr(body, "> git://git.kernel.org/pub/scm/a/w.git tags/w-6.13\n"));
	g_assert_nonnull(strstr(body, "\nFAILS the CONFIG_RUST=y x86-64 "
				"allmodconfig policy, in its fast stage:\n"
				"tags/w-6.13 at 1111"));
	g_assert_true(strstr(body, "FAILS") < strstr(body, "What was checked"));
	g_assert_nonnull(strstr(body, "error: tags/w-6.13 at"));
	g_assert_nonnull(strstr(body, "[build-failed]"));
	g_assert_nonnull(strstr(body, "warning: the tag is not signed"));
	g_assert_nonnull(strstr(body, "4 commits on top"));
	g_assert_nonnull(strstr(body, "2 files changed, 10 insertions(+), 3 deletions(-)"));
	g_assert_nonnull(strstr(body, "  config      x86-64 allmodconfig, LLVM=1"));
	g_assert_nonnull(strstr(body, "  coverage    fast stage: prepare, rust/"));
	g_assert_null(strstr(body, "{{"));
	lines = g_strsplit(body, "\n", -1);
	for (char **l = lines; *l; l++)
		g_assert_cmpuint(g_utf8_strlen(*l, -1), <, 80);
	/* The wrapped finding goes on indented under its first line. */
	g_assert_nonnull(strstr(body, "  error: tags/w-6.13 at "
				"1111111111111111111111111111111111111111 does not\n"
				"      build: the first error"));
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

/*
 * A boot that failed (issue 16): the headline says boot, the boot's line
 * in "What was checked" says QEMU with KVM, the console around the first
 * bad line and the QEMU command are quoted, X-Pullcheck-Boot says fail.
 */
static void test_boot_fail_reply(void)
{
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n");
	g_autoptr(JsonObject) result = parse_result(RESULT_FAIL);
	g_autoptr(JsonObject) boot = parse_result(
		"{\"status\": \"fail\", \"reason\": \"boot-bug\", "
		"\"accel\": \"kvm\", \"seconds\": 2.4, "
		"\"console_excerpt\": \"[ 0.8] rust_kernel: panicked at "
		"samples/rust/rust_minimal.rs:22:13:\\n[ 0.8] kernel BUG at "
		"rust/helpers/bug.c:7!\\n\", "
		"\"reproduce\": [\"$ qemu-system-x86_64 -nic none\"]}");
	g_autoptr(JsonArray) reasons = json_array_new();
	g_autoptr(JsonObject) reason = parse_result(
		"{\"code\": \"boot-bug\", \"severity\": \"error\", "
		"\"text\": \"the boot in QEMU (KVM) failed: a kernel BUG before "
		"the init marker, line 90 of the console: kernel BUG at "
		"rust/helpers/bug.c:7!; the base, 0123456789ab, boots to init "
		"the same way\"}");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *body = NULL;
	g_auto(GStrv) lines = NULL;
	char **l;
	PcMail mail;
	PcPullreq pr;

	json_array_add_object_element(reasons, json_object_ref(reason));
	json_object_set_array_member(result, "reasons", json_array_ref(reasons));
	json_object_set_object_member(result, "boot", json_object_ref(boot));
	init_mail(&mail, &pr);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(msg),
						 "X-Pullcheck-Boot"), ==, "fail");
	body = body_of(msg);
	g_test_message("%s", body);
	g_assert_nonnull(strstr(body, "\nFAILS to boot: "));
	g_assert_nonnull(strstr(body, "did not boot to init in QEMU:"));
	g_assert_null(strstr(body, "does not build"));
	g_assert_nonnull(strstr(body, "the boot in QEMU (KVM) failed: a kernel"));
	/* The headline and the cause: one paragraph, filled to 72 columns. */
	lines = g_strsplit(strstr(body, "\nFAILS to boot: ") + 1, "\n", -1);
	for (l = lines; **l; l++) {
		g_assert_cmpuint(g_utf8_strlen(*l, -1), <=, 72);
		g_assert_false(g_ascii_isspace(**l));
	}
	g_assert_true(g_str_has_suffix(l[-1], "the same way"));
	g_assert_nonnull(strstr(body, "  boot        FAIL (QEMU with KVM): a "
				"kernel BUG\n"));
	g_assert_nonnull(strstr(body, "\n  [ 0.8] rust_kernel: panicked at "
				"samples/rust/rust_minimal.rs:22:13:\n"));
	g_assert_nonnull(strstr(body, "\n  $ qemu-system-x86_64 -nic none\n"));
	g_assert_null(strstr(body, "{{"));
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

/*
 * The bootable build failed, so nothing booted: the headline says so and
 * does not say it failed to boot.
 */
static void test_boot_build_failed_reply(void)
{
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n");
	g_autoptr(JsonObject) result = parse_result(RESULT_FAIL);
	g_autoptr(JsonObject) boot = parse_result(
		"{\"status\": \"fail\", \"reason\": \"boot-build-failed\", "
		"\"config\": \"small\", "
		"\"text\": \"the bootable build failed\"}");
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *body = NULL;
	PcMail mail;
	PcPullreq pr;

	json_object_set_object_member(result, "boot", json_object_ref(boot));
	json_object_set_string_member(
		json_object_get_object_member(result, "build"), "kconfig",
		"boot");
	init_mail(&mail, &pr);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	body = body_of(msg);
	g_test_message("%s", body);
	/* Not "x86-64 boot": the config a maintainer can make. */
	g_assert_nonnull(strstr(body, "  config      x86-64 bootable small "
				"config, LLVM=1"));
	g_assert_nonnull(strstr(body, "\nFAILS to build its bootable config "));
	g_assert_nonnull(strstr(body, "so nothing was booted:"));
	g_assert_null(strstr(body, "FAILS to boot"));
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

/*
 * Each diagnostic's place as its tool gave it: a compiler's file, line
 * and column; modpost's module with no line; nothing for make's own.
 */
static void test_diagnostic_places(void)
{
	static const char DIAGS[] =
		"{\"tool\": \"clang\", \"severity\": \"error\","
		" \"language\": \"c\", \"file\": \"lib/w.c\", \"line\": 12,"
		" \"column\": 5, \"message\": \"use of undeclared w\","
		" \"excerpt\": null},"
		"{\"tool\": \"ld.lld\", \"severity\": \"error\","
		" \"language\": \"link\", \"file\": \"lib/w.c\", \"line\": 7,"
		" \"column\": 0, \"message\": \"undefined symbol: w\","
		" \"excerpt\": null},"
		"{\"tool\": \"modpost\", \"severity\": \"error\","
		" \"language\": \"link\","
		" \"file\": \"samples/kobject/kobject-example.ko\","
		" \"line\": 0, \"column\": 0,"
		" \"message\": \"\\\"kobject_create_and_add\\\" undefined!\","
		" \"excerpt\": null},"
		"{\"tool\": \"make\", \"severity\": \"error\","
		" \"language\": \"c\", \"file\": null, \"line\": 0,"
		" \"column\": 0, \"message\": \"No rule to make target\","
		" \"excerpt\": null}";
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n");
	g_autofree char *text = NULL, *body = NULL;
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	const char *at = strstr(RESULT_FAIL, "\"diagnostics\": [],");
	PcMail mail;
	PcPullreq pr;

	g_assert_nonnull(at);
	text = g_strdup_printf("%.*s\"diagnostics\": [%s],"
			       " \"diagnostics_total\": 4%s",
			       (int)(at - RESULT_FAIL), RESULT_FAIL, DIAGS,
			       strstr(at, ", \"reproduce\""));
	result = parse_result(text);
	init_mail(&mail, &pr);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	body = body_of(msg);
	g_test_message("%s", body);
	g_assert_nonnull(strstr(body, "\n  lib/w.c:12:5: error (c, clang)\n"));
	g_assert_nonnull(strstr(body, "\n  lib/w.c:7: error (link, ld.lld)\n"));
	g_assert_nonnull(strstr(body, "\n  samples/kobject/kobject-example.ko: "
				      "error (link, modpost)\n"));
	g_assert_nonnull(strstr(body, "\n  error (c, make)\n"
				      "    No rule to make target\n"));
	g_assert_null(strstr(body, ".ko:0"));
	g_assert_null(strstr(body, ":0:0"));
	g_assert_null(strstr(body, "\n  :"));
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

static void test_message_id_stable(void)
{
	g_autoptr(PcConfig) config = config_with("");
	g_autofree char *a = NULL, *b = NULL, *c = NULL;
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	a = pc_reply_message_id(config, &mail, "fail", "11");
	b = pc_reply_message_id(config, &mail, "fail", "11");
	c = pc_reply_message_id(config, &mail, "pass", "11");
	g_assert_cmpstr(a, ==, b);
	g_assert_cmpstr(a, !=, c);
	g_assert_true(g_str_has_suffix(a, "@localhost"));
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

static void test_operator_templates(void)
{
	g_autofree char *dir = g_dir_make_tmp("pc-tmpl-XXXXXX", NULL);
	g_autofree char *file = g_build_filename(dir, "fail.txt", NULL);
	g_autofree char *conf = g_strdup_printf("[reply]\ntemplates = %s\n",
						dir);
	g_autoptr(PcConfig) config = config_with(conf);
	g_autoptr(JsonObject) result = parse_result(RESULT_FAIL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *body = NULL;
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	g_file_set_contents(file, "Local words: {{verdict}} at {{fetch_tip_commit}}\n",
			    -1, NULL);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	body = body_of(msg);
	g_assert_cmpstr(body, ==, "Local words: fail at "
			"1111111111111111111111111111111111111111\n");
	/* A verdict with no template in the operator's folder is an error. */
	json_object_set_string_member(result, "verdict", "pass");
	g_clear_object(&msg);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_null(msg);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "pass.txt"));
	/* A pull request not as sent has a template of its own. */
	g_clear_error(&error);
	json_object_set_string_member(result, "verdict", "could-not-check");
	json_object_set_string_member(result, "outcome", "unverified");
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_null(msg);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "unverified.txt"));
	g_unlink(file);
	g_rmdir(dir);
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

/* The header block of @msg as it is sent: up to the first empty line. */
static char *header_block(GMimeMessage *msg)
{
	g_autofree char *text = g_mime_object_to_string(GMIME_OBJECT(msg),
							 NULL);
	const char *end = strstr(text, "\n\n");

	g_assert_nonnull(end);
	return g_strndup(text, end - text + 1);
}

/*
 * Issue 11: a PcMail that did not come through pc_mail (or got past
 * it) with line breaks in its IDs, subject and addresses. The reply
 * leaves each out or cleans it; its header block has only its own
 * headers, the verdict ones among them, and the envelope only the
 * sender and the list.
 */
static void test_injection(void)
{
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n"
		"cc_lists = *@vger.kernel.org;\n");
	g_autoptr(JsonObject) result = parse_result(RESULT_FAIL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *head = NULL;
	g_auto(GStrv) lines = NULL, rcpts = NULL;
	static const char *const names[] = {
		"Date", "From", "To", "Cc", "Subject", "Message-Id",
		"In-Reply-To", "References", "Auto-Submitted",
		"X-Pullcheck-Verdict", "X-Pullcheck-Coverage",
		"X-Pullcheck-Kconfig", "X-Pullcheck-Scope", "X-Pullcheck-Tip",
		"X-Pullcheck-Boot", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	};
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	g_free(mail.message_id);
	mail.message_id = g_strdup("x\r\nBcc: hidden@evil.example\r\n\r\nX-A: 1");
	g_strfreev(mail.references);
	mail.references = g_new0(char *, 4);
	mail.references[0] = g_strdup("root@example.org");
	mail.references[1] = g_strdup("y\nCc: victim@evil.example");
	mail.references[2] = g_strdup("z\001@x");
	g_free(mail.subject);
	mail.subject = g_strdup("[GIT PULL] w\r\nBcc: subject@evil.example\r\n");
	g_free(mail.to_cc[2]);
	mail.to_cc[2] = g_strdup("\"a\r\nBcc: x@y\"@vger.kernel.org");

	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	head = header_block(msg);
	g_test_message("%s", head);
	lines = g_strsplit(head, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		g_autofree char *name = NULL;

		if (**l == ' ' || **l == '\t')
			continue;	/* a fold */
		g_assert_nonnull(strchr(*l, ':'));
		name = g_strndup(*l, strchr(*l, ':') - *l);
		g_assert_true(g_strv_contains(names, name));
		g_assert_null(strchr(*l, '\r'));
	}
	/* The subject keeps the words, on its own line, as text. */
	g_assert_null(strstr(head, "hidden@"));
	g_assert_null(strstr(head, "victim@"));
	g_assert_null(strstr(head, "\nBcc:"));
	g_assert_null(strstr(head, "X-A:"));
	g_assert_nonnull(strstr(head, "\nX-Pullcheck-Verdict: fail\n"));
	g_assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(msg), "References"),
			==, "<root@example.org>");
	g_assert_cmpstr(g_mime_message_get_subject(msg), ==,
			"Re: [GIT PULL] w Bcc: subject@evil.example");
	rcpts = pc_reply_recipients(config, &mail, result, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(rcpts), ==, 3);
	g_assert_cmpstr(rcpts[0], ==, "ann@example.org");
	g_assert_cmpstr(rcpts[1], ==, "torvalds@linux-foundation.org");
	g_assert_cmpstr(rcpts[2], ==, "linux-w@vger.kernel.org");

	/* A sender address with a line break: no reply at all. */
	g_free(mail.from_addr);
	mail.from_addr = g_strdup("ann@example.org\r\nBcc: x@y");
	g_clear_object(&msg);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_null(msg);
	g_assert_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS);
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}


/* A kernel build that passed, as a daemon's job result holds it. */
static const char RESULT_PASS[] =
	"{\"message_id\": \"pr-1@example.org\", \"job\": \"0123456789abcdef\","
	" \"verdict\": \"pass\", \"store_id\": 12, \"reasons\": [],"
	" \"fetch\": {\"url\": \"git://git.kernel.org/pub/scm/a/w.git\","
	"  \"ref\": \"tags/w-6.13\", \"resolved_ref\": \"refs/tags/w-6.13\","
	"  \"tip_commit\": \"1111111111111111111111111111111111111111\","
	"  \"base_commit\": \"3333333333333333333333333333333333333333\","
	"  \"commits\": 4, \"files_changed\": 2, \"insertions\": 10,"
	"  \"deletions\": 3, \"signature\": \"verified\","
	"  \"signer\": \"Ann M <ann@example.org>\", \"merge_conflicts\": []},"
	" \"build\": {\"recipe\": \"kernel\", \"scope\": \"rust\","
	"  \"coverage\": \"rust\", \"tree\": \"tip\","
	"  \"tree_commit\": \"1111111111111111111111111111111111111111\","
	"  \"config_rust\": \"y\", \"duration_s\": 3725.0,"
	"  \"toolchain\": {\"rustc\": \"rustc 1.85.1 (4eb161250 2025-03-15)\","
	"   \"bindgen\": \"bindgen 0.71.1\", \"clang\": \"Debian clang version 19.1.7\","
	"   \"lld\": \"Debian LLD 19.1.7\"},"
	"  \"log_path\": \"/var/lib/pullcheck/cache/logs/0123456789abcdef.log\","
	"  \"diagnostics\": [], \"diagnostics_total\": 0}}";

/*
 * The tree asks for a newer rustc than the root has: configured, never
 * built, no CONFIG_RUST read (tests/kernel/baseline.sh's toolchain).
 */
static const char RESULT_TOOLCHAIN[] =
	"{\"message_id\": \"pr-1@example.org\", \"verdict\": \"could-not-check\","
	" \"reasons\": [{\"code\": \"toolchain-too-old\", \"severity\": \"infra\","
	"  \"text\": \"make rustavailable failed: the tree asks for rustc >= 9.99.0\"}],"
	" \"fetch\": {\"url\": \"git://git.kernel.org/pub/scm/a/w.git\","
	"  \"ref\": \"tags/w-6.13\", \"resolved_ref\": \"refs/tags/w-6.13\","
	"  \"tip_commit\": \"1111111111111111111111111111111111111111\","
	"  \"base_commit\": \"3333333333333333333333333333333333333333\","
	"  \"commits\": 4, \"signature\": \"none\", \"merge_conflicts\": []},"
	" \"build\": {\"verdict\": \"could-not-check\", \"recipe\": \"kernel\","
	"  \"scope\": \"rust\", \"coverage\": null, \"kconfig\": \"allmodconfig\","
	"  \"tree\": \"tip\", \"config\": {\"rust\": null}, \"toolchain\": {},"
	"  \"duration_s\": 7.0, \"diagnostics\": [], \"reproduce\": []}}";

/* A URL outside [fetch] allow_urls: nothing fetched, nothing built. */
static const char RESULT_REFUSED[] =
	"{\"message_id\": \"pr-1@example.org\", \"verdict\": \"could-not-check\","
	" \"reasons\": [{\"code\": \"url-not-allowed\", \"severity\": \"infra\","
	"  \"text\": \"Not fetched: https://example.com/w.git is not under any of"
	" the URL prefixes pullcheck may fetch from.\"}],"
	" \"fetch\": {\"url\": null, \"ref\": \"tags/w-6.13\", \"resolved_ref\": null,"
	"  \"tip_commit\": null, \"tag_object\": null, \"signed\": null,"
	"  \"signature\": null, \"signer\": null, \"base_commit\": null,"
	"  \"commits\": 0, \"files_changed\": 0, \"insertions\": 0,"
	"  \"deletions\": 0, \"merge_conflicts\": []},"
	" \"build\": null}";

static char *render_body(const char *conf, const char *result_text,
			 JsonObject **out_result)
{
	g_autoptr(PcConfig) config = config_with(conf);
	g_autoptr(JsonObject) result = parse_result(result_text);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	char *body;
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	g_assert_no_error(error);
	body = body_of(msg);
	g_test_message("%s", body);
	if (out_result)
		*out_result = g_steal_pointer(&result);
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
	return body;
}

#define FROM "[reply]\nfrom = Pull Check <bot@check.example.net>\n" \
	     "cc_lists = *@vger.kernel.org;\n"
#define BASE "[report]\nbase_url = https://pc.example.org/reports/\n"

/* [report] base_url: the log, the .config and the dashboard entry. */
static void test_links(void)
{
	g_autofree char *with = render_body(FROM BASE, RESULT_PASS, NULL);
	g_autofree char *without = render_body(FROM, RESULT_PASS, NULL);
	g_autoptr(JsonObject) result = parse_result(RESULT_PASS);
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *no_id_text = NULL, *no_id = NULL;
	g_autofree char *unbuilt = NULL;

	g_assert_nonnull(strstr(with, "\nFull build log: "
				"https://pc.example.org/reports/logs/12.log\n"));
	g_assert_nonnull(strstr(with, "\nThe .config built: "
				"https://pc.example.org/reports/logs/12.config\n"));
	g_assert_nonnull(strstr(with, "\nOn the dashboard: "
				"https://pc.example.org/reports/index.html#job-12\n"));
	/* The links come before the signature line, not in it. */
	g_assert_true(strstr(with, "On the dashboard") < strstr(with, "\n-- \n"));
	/* No base_url: no links at all, rather than dead ones. */
	g_assert_null(strstr(without, "http"));
	g_assert_null(strstr(without, "build log"));
	/* No row in a store (pullcheck check): nothing to link to. */
	json_object_remove_member(result, "store_id");
	json_node_set_object(node, result);
	no_id_text = json_to_string(node, FALSE);
	no_id = render_body(FROM BASE, no_id_text, NULL);
	g_assert_null(strstr(no_id, "http"));
	/* Nothing built: the dashboard only; no log, no .config. */
	unbuilt = render_body(FROM BASE "[reply]\ncontact = K <k@example.net>\n",
			      RESULT_FAIL_ID, NULL);
	g_assert_nonnull(strstr(unbuilt, "On the dashboard: "
				"https://pc.example.org/reports/index.html#job-7\n"));
	g_assert_null(strstr(unbuilt, "build log"));
	g_assert_null(strstr(unbuilt, ".config built"));
}

/* Who runs it, how to stop it, how to ask again, that it can be wrong. */
static void test_footer(void)
{
	g_autofree char *with = render_body(
		FROM "contact = Bot Keeper <keeper@check.example.net>\n",
		RESULT_PASS, NULL);
	g_autofree char *without = render_body(
		FROM "max_rechecks_per_day = 0\n", RESULT_PASS, NULL);
	const char *sig = strstr(with, "\n-- \n");

	g_assert_nonnull(sig);
	g_assert_nonnull(strstr(sig, "automated check and can be wrong"));
	/* On a line of its own: a long address is never wrapped ragged. */
	g_assert_nonnull(strstr(sig, "tell who runs it:\n"
				"  Bot Keeper <keeper@check.example.net>\n"));
	g_assert_nonnull(strstr(sig, "left out"));
	g_assert_nonnull(strstr(sig, "\"pullcheck: no\""));
	g_assert_nonnull(strstr(sig, "\"pullcheck: recheck\""));
	sig = strstr(without, "\n-- \n");
	g_assert_nonnull(sig);
	g_assert_nonnull(strstr(sig, "can be wrong: if it is, say so here."));
	g_assert_nonnull(strstr(sig, "\"pullcheck: no\""));
	/* Re-checks by mail turned off: the reply does not offer one. */
	g_assert_null(strstr(sig, "recheck"));
}

/* Configured but never built: no empty CONFIG_RUST=, no stage claimed. */
static void test_not_built(void)
{
	g_autofree char *body = render_body(
		FROM "contact = Bot Keeper <keeper@check.example.net>\n",
		RESULT_TOOLCHAIN, NULL);

	g_assert_nonnull(strstr(body, "  config      x86-64 allmodconfig, "));
	g_assert_nonnull(strstr(body, "(the .config built was not read)\n"));
	g_assert_null(strstr(body, "CONFIG_RUST= "));
	g_assert_nonnull(strstr(body, "  coverage    none: no build stage ran "
				"to its end\n"));
}

/* A refused URL: no empty repository line, no "ref (not found)". */
static void test_refused_url(void)
{
	g_autofree char *body = render_body(FROM, RESULT_REFUSED, NULL);

	g_assert_nonnull(strstr(body, "> git://git.kernel.org/pub/scm/a/w.git "
				"tags/w-6.13\n"));
	g_assert_nonnull(strstr(body, "Nothing was fetched or built.\n"));
	g_assert_null(strstr(body, "not found"));
	g_assert_null(strstr(body, "repository"));
	g_assert_null(strstr(body, "signature"));
	g_assert_null(strstr(body, "What was checked"));
	g_assert_null(strstr(body, "  \n"));	/* no empty field */
}

/* A pass is short: the verdict, a few lines of what was checked, links. */
static void test_pass_short(void)
{
	g_autofree char *body = render_body(
		FROM "contact = Bot Keeper <keeper@check.example.net>\n" BASE,
		RESULT_PASS, NULL);
	g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
	guint n = g_strv_length(lines);

	g_assert_true(g_str_has_prefix(body, "pullcheck on the pull request of"));
	/* Of scope rust: the fast stage's pass, never the policy's. */
	g_assert_nonnull(strstr(body, "\npassed the fast stage only ("));
	g_assert_nonnull(strstr(body, "  tip         1111111111111111111111111111111111111111\n"
				"              4 commits on 333333333333\n"));
	g_assert_nonnull(strstr(body, "  signature   signed tag, good signature by Ann M"));
	g_assert_nonnull(strstr(body, "  built       in 1h02m, CONFIG_RUST=y in the .config\n"));
	g_assert_nonnull(strstr(body, "  toolchain   rustc 1.85.1, bindgen 0.71.1, clang 19.1.7, lld 19.1.7\n"));
	for (char **l = lines; *l; l++)
		g_assert_cmpuint(g_utf8_strlen(*l, -1), <, 80);
	g_test_message("a pass is %u lines", n);
	g_assert_cmpuint(n, <=, 26);
}

/*
 * Who gets what (issue 14): one row per rule, the mail's To and Cc, the
 * verdict and its cause, and the audience, To and Cc the reply gets.
 */
typedef struct {
	const char *name;
	const char *conf;	/* [reply] keys besides from and cc_lists */
	const char *to_cc;	/* ';'-separated */
	const char *verdict;
	const char *code, *severity;	/* the cause */
	PcReplyAudience audience;
	const char *to, *cc;	/* NULL: no mail */
} RcptRow;

#define LINUS "torvalds@linux-foundation.org"
#define LIST "linux-w@vger.kernel.org"
#define CONTACT "contact = Bot Keeper <keeper@check.example.net>\n"

static const RcptRow RCPT_ROWS[] = {
	{ "pass/to-linus", "", LINUS ";" LIST, "pass", NULL, NULL,
	  PC_REPLY_SENDER, "ann@example.org", LIST },
	{ "fail/to-linus", "", LINUS ";" LIST, "fail", "build-error", "error",
	  PC_REPLY_SENDER, "ann@example.org, " LINUS, LIST },
	{ "fail/cc-linus", "", "greg@kroah.com;" LIST ";Torvalds@Linux-Foundation.org",
	  "fail", "build-error", "error", PC_REPLY_SENDER,
	  "ann@example.org, " LINUS, LIST },
	{ "fail/sub-maintainer", "", "greg@kroah.com;" LIST, "fail",
	  "build-error", "error", PC_REPLY_NOBODY, NULL, NULL },
	{ "pass/sub-maintainer", "", "soc@lists.linux.dev", "pass", NULL, NULL,
	  PC_REPLY_NOBODY, NULL, NULL },
	{ "pass/sub-maintainer-listed", "top_level = " LINUS ";greg@kroah.com;\n",
	  "greg@kroah.com;" LIST, "pass", NULL, NULL, PC_REPLY_SENDER,
	  "ann@example.org", LIST },
	{ "fail/sub-maintainer-listed", "top_level = " LINUS ";greg@kroah.com;\n",
	  "greg@kroah.com;" LIST, "fail", "build-error", "error",
	  PC_REPLY_SENDER, "ann@example.org, greg@kroah.com", LIST },
	{ "unchecked/ours-contact", CONTACT, LINUS ";" LIST, "could-not-check",
	  "fetch-failed", "infra", PC_REPLY_OPERATOR,
	  "keeper@check.example.net", NULL },
	{ "unchecked/ours-no-contact", "", LINUS ";" LIST, "could-not-check",
	  "toolchain-missing", "infra", PC_REPLY_NOBODY, NULL, NULL },
	{ "unchecked/ours-not-top", CONTACT, LIST, "could-not-check",
	  "no-space", "infra", PC_REPLY_OPERATOR, "keeper@check.example.net",
	  NULL },
	/* Not as sent (issue 12 §4): the sender's to put right. */
	{ "unverified/to-linus", CONTACT, LINUS ";" LIST, "could-not-check",
	  "tip-mismatch", "unverified", PC_REPLY_SENDER, "ann@example.org",
	  LIST },
	{ "unverified/not-top", CONTACT, LIST, "could-not-check",
	  "ref-not-found", "unverified", PC_REPLY_NOBODY, NULL, NULL },
	{ "unchecked/url-refused", CONTACT, LINUS ";" LIST, "could-not-check",
	  "url-not-allowed", "infra", PC_REPLY_SENDER, "ann@example.org", LIST },
	{ "unchecked/url-refused-not-top", CONTACT, LIST, "could-not-check",
	  "url-not-allowed", "infra", PC_REPLY_NOBODY, NULL, NULL },
	/* The base the sender chose already fails: theirs to know. */
	{ "unchecked/base-broken", CONTACT, LINUS ";" LIST, "could-not-check",
	  "base-broken", "infra", PC_REPLY_SENDER, "ann@example.org", LIST },
	{ "unchecked/base-rust-disabled", "", LINUS ";" LIST,
	  "could-not-check", "base-rust-disabled", "infra", PC_REPLY_SENDER,
	  "ann@example.org", LIST },
	{ "unchecked/toolchain-too-old", CONTACT, LINUS ";" LIST,
	  "could-not-check", "toolchain-too-old", "infra", PC_REPLY_OPERATOR,
	  "keeper@check.example.net", NULL },
	{ "not-pr", CONTACT, LINUS, "not-a-pull-request", "not-a-pull-request",
	  "info", PC_REPLY_NOBODY, NULL, NULL },
};

/* A build that passed, as the job result holds it. */
#define BUILD_PASS \
	"{\"recipe\": \"kernel\", \"scope\": \"rust\", \"coverage\": \"rust\"," \
	" \"tree\": \"tip\", \"tree_commit\": \"1111\", \"config_rust\": \"y\"," \
	" \"duration_s\": 61.0, \"toolchain\": {\"rustc\": \"rustc 1.85.1\"}," \
	" \"diagnostics\": [], \"diagnostics_total\": 0}"

static JsonObject *result_for(const RcptRow *row)
{
	g_autofree char *text = g_strdup_printf(
		"{\"message_id\": \"pr-1@example.org\", \"verdict\": \"%s\","
		" \"reasons\": [%s%s%s%s%s], \"fetch\": null, \"build\": %s}",
		row->verdict, row->code ? "{\"code\": \"" : "",
		row->code ? row->code : "",
		row->code ? "\", \"severity\": \"" : "",
		row->code ? row->severity : "",
		row->code ? "\", \"text\": \"why\"}" : "",
		strcmp(row->verdict, "pass") ? "null" : BUILD_PASS);

	return parse_result(text);
}

static char *addresses(InternetAddressList *list)
{
	if (!internet_address_list_length(list))
		return NULL;
	return internet_address_list_to_string(list, NULL, FALSE);
}

static void test_recipients(gconstpointer data)
{
	const RcptRow *row = data;
	g_autofree char *conf = g_strdup_printf(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n"
		"cc_lists = *@vger.kernel.org;\n%s", row->conf);
	g_autoptr(PcConfig) config = config_with(conf);
	g_autoptr(JsonObject) result = result_for(row);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *why = NULL, *to = NULL, *cc = NULL, *joined = NULL;
	g_auto(GStrv) rcpts = NULL;
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	g_strfreev(mail.to_cc);
	mail.to_cc = g_strsplit(row->to_cc, ";", -1);
	for (char **a = mail.to_cc; *a; a++) {
		char *lower = g_ascii_strdown(*a, -1);

		g_free(*a);
		*a = lower;
	}
	g_assert_cmpint(pc_reply_audience(config, &mail, result, &why), ==,
			row->audience);
	if (row->audience == PC_REPLY_SENDER)
		g_assert_null(why);
	else
		g_assert_nonnull(why);
	rcpts = pc_reply_recipients(config, &mail, result, &error);
	g_assert_no_error(error);
	msg = pc_reply_build(config, &mail, &pr, result, &error);
	if (!row->to) {
		g_assert_cmpuint(g_strv_length(rcpts), ==, 0);
		g_assert_null(msg);
		g_assert_error(error, PC_REPLY_ERROR, PC_REPLY_ERROR_ADDRESS);
		goto out;
	}
	g_assert_no_error(error);
	to = addresses(g_mime_message_get_to(msg));
	cc = addresses(g_mime_message_get_cc(msg));
	g_assert_cmpstr(to, ==, row->to);
	g_assert_cmpstr(cc, ==, row->cc);
	/* The envelope is exactly To and Cc. */
	joined = g_strjoinv(", ", rcpts);
	g_assert_true(g_str_has_prefix(joined, row->to));
	g_assert_cmpuint(strlen(joined), ==, strlen(row->to) +
			 (row->cc ? strlen(row->cc) + 2 : 0));
out:
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

/* --- one reply per outcome (issue 12 §1, §4) ------------------------- */

typedef struct {
	const char *name;
	const char *verdict;
	const char *outcome;	/* NULL: none stored (an older result) */
	const char *recipe;	/* NULL: no build */
	const char *coverage;
	const char *kconfig;
	const char *code, *severity;	/* the finding that decides */
	gint64 tries, tried_s;
	/* what the reader sees */
	const char *header;
	const char *coverage_header;
	const char *kconfig_header;	/* NULL: no such header */
	const char *first_words;	/* the line after the quote */
	const char *const *present;	/* in the body */
	const char *const *absent;	/* nowhere in the body */
} OutcomeCase;

static const char *const NO_POLICY_CLAIM[] = {
	"passes the CONFIG_RUST=y", "builds as x86-64 allmodconfig", "FAILS",
	NULL
};

static const OutcomeCase OUTCOME_CASES[] = {
	{ "policy pass", "pass", "pass", "kernel", "full", "allmodconfig",
	  NULL, NULL, 1, 0, "pass", "full", "allmodconfig",
	  "passes the CONFIG_RUST=y x86-64 allmodconfig policy: make all "
	  "(vmlinux,",
	  (const char *const[]){ "every module, modpost) built with LLVM=1.\n",
				 NULL },
	  (const char *const[]){ "not a pass", "fast stage", "FAILS", NULL } },
	{ "fast-stage pass", "pass", "pass-partial", "kernel", "rust",
	  "allmodconfig", NULL, NULL, 1, 0, "pass-partial", "rust",
	  "allmodconfig",
	  "passed the fast stage only (prepare, rust/, the Rust objects and "
	  "the",
	  (const char *const[]){ "The full build was not run, so this is not a "
				 "pass of the policy.", NULL },
	  NO_POLICY_CLAIM },
	/* The same, as read from a result that does not name its outcome. */
	{ "fast-stage pass, derived", "pass", NULL, "kernel", "rust",
	  "allmodconfig", NULL, NULL, 1, 0, "pass-partial", "rust",
	  "allmodconfig",
	  "passed the fast stage only (prepare, rust/, the Rust objects and "
	  "the",
	  (const char *const[]){ "The full build was not run", NULL },
	  NO_POLICY_CLAIM },
	{ "small kconfig pass", "pass", NULL, "kernel", "full", "tinyconfig",
	  NULL, NULL, 1, 0, "pass-partial", "full", "tinyconfig",
	  "builds in full (make all: vmlinux, every module, modpost) as "
	  "x86-64",
	  (const char *const[]){ "tinyconfig (not the policy's allmodconfig)",
				 NULL },
	  NO_POLICY_CLAIM },
	{ "command pass", "pass", "pass-command", "command", "command", NULL,
	  NULL, NULL, 1, 0, "pass-command", "command", NULL,
	  "passes the build command this installation runs instead of the "
	  "kernel",
	  (const char *const[]){ "\n  $ make -C /tmp/src\n",
				 "Nothing was built as x86-64 allmodconfig",
				 NULL },
	  (const char *const[]){ "passes the CONFIG_RUST=y", "FAILS",
				 "  config      x86-64", "toolchain", NULL } },
	{ "command fail", "fail", "fail", "command", "command", NULL,
	  "build-failed", "error", 1, 0, "fail", "command", NULL,
	  "fails the build command this installation runs instead of the "
	  "kernel",
	  (const char *const[]){ "nothing is claimed about allmodconfig):\n"
				 "  $ make -C /tmp/src\nthe cause\n", NULL },
	  NO_POLICY_CLAIM },
	{ "policy fail", "fail", "fail", "kernel", "full", "allmodconfig",
	  "build-failed", "error", 1, 0, "fail", "full", "allmodconfig",
	  "FAILS the CONFIG_RUST=y x86-64 allmodconfig policy:",
	  (const char *const[]){ "policy:\nthe cause\n", NULL },
	  (const char *const[]){ "fast stage", "passes", NULL } },
	{ "could not check", "could-not-check", "could-not-check", NULL, NULL,
	  NULL, "sandbox-failed", "infra", 1, 0, "could-not-check", "none",
	  NULL,
	  "could not be checked; this says nothing about the pull request "
	  "itself:",
	  (const char *const[]){ "itself:\nthe cause\n",
				 "  not checked: the cause [sandbox-failed]",
				 "build       not run", NULL },
	  (const char *const[]){ "FAILS", "passes", "verified", "fetched",
				 NULL } },
	{ "unverified", "could-not-check", "unverified", NULL, NULL, NULL,
	  "tip-mismatch", "unverified", 1, 0, "unverified", "none", NULL,
	  "could not be verified as sent, so nothing was built; this is no "
	  "verdict",
	  (const char *const[]){ "\nthe cause\n\nWhat the mail says\n"
				 "  ref         tags/w-6.13\n"
				 "  tip         2222222222222222222222222222222"
				 "222222222\n",
				 "  tip         1111111111111111111111111111111"
				 "111111111\n",
				 "  not verified: the cause [tip-mismatch]",
				 NULL },
	  (const char *const[]){ "FAILS", "passes", "policy:", "fetched",
				 NULL } },
	{ "unverified after the window", "could-not-check", NULL, NULL, NULL,
	  NULL, "ref-not-found", "unverified", 6, 1800, "unverified", "none",
	  NULL,
	  "could not be verified as sent, so nothing was built; this is no "
	  "verdict",
	  (const char *const[]){ "\nthe cause\npullcheck fetched 6 times over "
				 "30m00s before this reply,\nas a mirror may "
				 "lag minutes behind a push.\n", NULL },
	  NO_POLICY_CLAIM },
	/* Stored before outcomes were: its verdict, as it was then. */
	{ "older result", "fail", NULL, NULL, NULL, NULL, "tip-mismatch",
	  "error", 1, 0, "fail", "none", NULL,
	  "FAILS the checks made before any build:",
	  (const char *const[]){ NULL },
	  (const char *const[]){ "allmodconfig policy:", NULL } },
	/* An outcome that is not its verdict's is not believed. */
	{ "outcome of another verdict", "fail", "pass", "kernel", "full",
	  "allmodconfig", "build-failed", "error", 1, 0, "fail", "full",
	  "allmodconfig", "FAILS the CONFIG_RUST=y x86-64 allmodconfig policy:",
	  (const char *const[]){ NULL },
	  (const char *const[]){ "passes", NULL } },
};

static JsonObject *outcome_result(const OutcomeCase *c)
{
	JsonObject *result = parse_result(RESULT_FAIL);
	JsonObject *fetch = json_object_get_object_member(result, "fetch");
	JsonObject *build = json_object_get_object_member(result, "build");
	JsonArray *reasons = json_array_new();
	JsonObject *warning = json_object_new();

	json_object_set_string_member(result, "verdict", c->verdict);
	if (c->outcome)
		json_object_set_string_member(result, "outcome", c->outcome);
	else
		json_object_remove_member(result, "outcome");
	if (c->code) {
		JsonObject *cause = json_object_new();

		json_object_set_string_member(cause, "code", c->code);
		json_object_set_string_member(cause, "severity", c->severity);
		json_object_set_string_member(cause, "text", "the cause");
		json_array_add_object_element(reasons, cause);
	}
	json_object_set_string_member(warning, "code", "tag-unsigned");
	json_object_set_string_member(warning, "severity", "warning");
	json_object_set_string_member(warning, "text", "the tag is not signed");
	json_array_add_object_element(reasons, warning);
	json_object_set_array_member(result, "reasons", reasons);
	json_object_set_int_member(fetch, "tries", c->tries);
	json_object_set_int_member(fetch, "tried_s", c->tried_s);
	if (!c->recipe) {
		json_object_set_null_member(result, "build");
		return result;
	}
	json_object_set_string_member(build, "verdict", c->verdict);
	json_object_set_string_member(build, "recipe", c->recipe);
	json_object_set_string_member(build, "coverage", c->coverage);
	if (c->kconfig)
		json_object_set_string_member(build, "kconfig", c->kconfig);
	else
		json_object_set_null_member(build, "kconfig");
	return result;
}

static void test_outcomes(void)
{
	g_autoptr(PcConfig) config = config_with(
		"[reply]\nfrom = Pull Check <bot@check.example.net>\n"
		CONTACT "[build]\ncommand = make;-C;/tmp/src\n");
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash,
							 g_str_equal, g_free,
							 NULL);
	PcMail mail;
	PcPullreq pr;

	init_mail(&mail, &pr);
	pr.end_commit = g_strdup("2222222222222222222222222222222222222222");
	for (guint i = 0; i < G_N_ELEMENTS(OUTCOME_CASES); i++) {
		const OutcomeCase *c = &OUTCOME_CASES[i];
		g_autoptr(JsonObject) result = outcome_result(c);
		g_autoptr(GError) error = NULL;
		g_autoptr(GMimeMessage) msg = NULL;
		g_autofree char *body = NULL;
		g_auto(GStrv) lines = NULL;
		GMimeObject *obj;
		const char *quote;

		g_test_message("--- %s", c->name);
		msg = pc_reply_build(config, &mail, &pr, result, &error);
		g_assert_no_error(error);
		obj = GMIME_OBJECT(msg);
		body = body_of(msg);
		g_test_message("%s", body);
		g_assert_cmpstr(g_mime_object_get_header(obj,
							 "X-Pullcheck-Verdict"),
				==, c->header);
		g_assert_cmpstr(g_mime_object_get_header(
					obj, "X-Pullcheck-Coverage"),
				==, c->coverage_header);
		g_assert_cmpstr(g_mime_object_get_header(obj,
							 "X-Pullcheck-Kconfig"),
				==, c->kconfig_header);
		quote = strstr(body, "> git://git.kernel.org/pub/scm/a/w.git "
				     "tags/w-6.13\n\n");
		g_assert_nonnull(quote);
		g_assert_true(g_str_has_prefix(strchr(quote, '\n') + 2,
					       c->first_words));
		for (const char *const *p = c->present; *p; p++)
			if (!strstr(body, *p))
				g_error("%s: no \"%s\"", c->name, *p);
		for (const char *const *a = c->absent; *a; a++)
			if (strstr(body, *a))
				g_error("%s: \"%s\" should not be there",
					c->name, *a);
		lines = g_strsplit(body, "\n", -1);
		for (char **l = lines; *l; l++)
			g_assert_cmpuint(g_utf8_strlen(*l, -1), <, 80);
		g_assert_null(strstr(body, "{{"));
		/* A reply per outcome: a partial pass is not the pass. */
		g_hash_table_add(ids, g_strdup_printf(
			"%s %s", c->header,
			g_mime_message_get_message_id(msg)));
	}
	/* One Message-ID per outcome token, shared by no other token. */
	{
		g_autoptr(GHashTable) by_id = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, g_free);
		GHashTableIter it;
		gpointer key;

		g_hash_table_iter_init(&it, ids);
		while (g_hash_table_iter_next(&it, &key, NULL)) {
			const char *sp = strchr(key, ' ');
			g_autofree char *token = g_strndup(key, sp - (char *)key);
			const char *seen = g_hash_table_lookup(by_id, sp + 1);

			g_assert_true(!seen || !strcmp(seen, token));
			g_hash_table_insert(by_id, g_strdup(sp + 1),
					    g_strdup(token));
		}
		g_assert_cmpuint(g_hash_table_size(by_id), ==, 6);
	}
	pc_mail_clear(&mail);
	pc_pullreq_clear(&pr);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/reply/injection", test_injection);
	g_test_add_func("/reply/fail", test_fail_reply);
	g_test_add_func("/reply/boot-fail", test_boot_fail_reply);
	g_test_add_func("/reply/boot-build-failed",
			test_boot_build_failed_reply);
	g_test_add_func("/reply/diagnostic-places", test_diagnostic_places);
	g_test_add_func("/reply/message-id", test_message_id_stable);
	g_test_add_func("/reply/operator-templates", test_operator_templates);
	g_test_add_func("/reply/links", test_links);
	g_test_add_func("/reply/footer", test_footer);
	g_test_add_func("/reply/refused-url", test_refused_url);
	g_test_add_func("/reply/not-built", test_not_built);
	g_test_add_func("/reply/pass-short", test_pass_short);
	g_test_add_func("/reply/outcomes", test_outcomes);
	for (guint i = 0; i < G_N_ELEMENTS(RCPT_ROWS); i++) {
		g_autofree char *path = g_strconcat("/reply/recipients/",
						    RCPT_ROWS[i].name, NULL);

		g_test_add_data_func(path, &RCPT_ROWS[i], test_recipients);
	}
	return g_test_run();
}
