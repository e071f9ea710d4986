// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven tests of the pull-request patterns and URL normalisation:
 * one row per shape of mail text seen in the wild.
 */
#include <string.h>

#include "autocleanup.h"
#include "pullreq.h"

static PcPullreqParser *parser;

typedef struct {
	const char *name;
	const char *subject;
	const char *body;
	gboolean is_pr;
	const char *url;
	const char *ref;
	const char *base;
	const char *end;
	const char *reason_has;	/* a word the reason must hold */
	const char *from_addr;
	const char *signed_tag;	/* "true", "false", "null"; NULL: not checked */
} Row;

#define B1 "0123456789abcdef0123456789abcdef01234567"
#define B2 "89abcdef0123456789abcdef0123456789abcdef"
#define URL "git://git.kernel.org/pub/scm/linux/kernel/git/a/b.git"

static const Row ROWS[] = {
	{ "request-pull", "[GIT PULL] x",
	  "The following changes since commit " B1 ":\n\n  x (2024)\n\n"
	  "are available in the Git repository at:\n\n  " URL " tags/x-6.1\n\n"
	  "for you to fetch changes up to " B2 ":\n",
	  TRUE, URL, "tags/x-6.1", B1, B2 },
	{ "uppercase sha lowered", "[GIT PULL] x",
	  "are available in the Git repository at:\n\n  " URL " x\n\n"
	  "for you to fetch changes up to 89ABCDEF0123:\n",
	  TRUE, URL, "x", NULL, "89abcdef0123" },
	{ "wrapped phrase and shas", "x",
	  "The following changes since commit\n" B1 ":\n\nare available in "
	  "the Git\nrepository at:\n\n  " URL " for-linus\n\nfor you to fetch "
	  "changes up to\n" B2 ":\n",
	  TRUE, URL, "for-linus", B1, B2 },
	{ "ref on next line", "x",
	  "are available in the Git repository at:\n\n  " URL "\n  tags/y\n\n",
	  TRUE, URL, "tags/y" },
	{ "no ref", "x",
	  "are available in the Git repository at:\n\n  " URL "\n\nThanks\n",
	  TRUE, URL, NULL },
	{ "inline please pull from", "x",
	  "Linus,\nPlease pull from " URL " for-next\nthanks\n",
	  TRUE, URL, "for-next" },
	{ "inline with prose after the URL takes no ref", "x",
	  "Please pull from " URL " to get the fixes.\n", TRUE, URL, NULL },
	{ "please pull then a lore link is not a URL to pull", "[GIT PULL] x",
	  "Please pull; this is based on https://lore.kernel.org/r/1@x\n",
	  FALSE, NULL, NULL, NULL, NULL, "subject" },
	{ "please pull the latest updates from", "x",
	  "please pull the latest foo updates from:\n\n\t" URL " foo-6.2\n",
	  TRUE, URL, "foo-6.2" },
	{ "available for pulling", "x",
	  "The changes are available for pulling from here:\n\n"
	  "  https://github.com/a/b.git fixes\n",
	  TRUE, "https://github.com/a/b.git", "fixes" },
	{ "tag and head sha1", "x",
	  "Please pull from:\n  " URL " tags/z\nTag SHA1: " B1 "\n"
	  "Head SHA1: " B2 "\n",
	  TRUE, URL, "tags/z", NULL, B2 },
	{ "trailing punctuation", "x",
	  "Please pull from " URL ".\n", TRUE, URL, NULL },
	{ "quoted lines do not count", "Re: [GIT PULL] x",
	  "> are available in the Git repository at:\n>\n>   " URL " x\n\n"
	  "Pulled, thanks.\n",
	  FALSE, NULL, NULL, NULL, NULL, "quotes" },
	{ "merge acknowledgement", "Re: [GIT PULL] x",
	  "The pull request you sent on Mon:\n\n> " URL " x\n\nhas been "
	  "merged into torvalds/linux.git:\nhttps://git.kernel.org/torvalds/"
	  "c/" B1 "\n",
	  FALSE, NULL, NULL, NULL, NULL, "merge" },
	{ "merge acknowledgement, capitalised", "Re: [GIT PULL] x",
	  "The pull request you sent:\n\n> " URL " x\n\nHas Been "
	  "Merged Into torvalds/linux.git:\nhttps://git.kernel.org/torvalds/"
	  "c/" B1 "\n",
	  FALSE, NULL, NULL, NULL, NULL, "merge" },
	{ "robot, capitalised", "[a:b] c",
	  "tree:   " URL " master\nhead:   " B1 "\n\nKernel Test Robot "
	  "noticed the following build errors:\n",
	  FALSE, NULL, NULL, NULL, NULL, "robot" },
	{ "robot", "[a:b] c",
	  "tree:   " URL " master\nhead:   " B1 "\n\nReported-by: kernel "
	  "test robot <lkp@intel.com>\n",
	  FALSE, NULL, NULL, NULL, NULL, "robot" },
	{ "patch", "[PATCH] x",
	  "Fix it.\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n",
	  FALSE, NULL, NULL, NULL, NULL, "patch" },
	{ "subject only", "[GIT PULL] nothing here",
	  "Hi,\n\nI will send the pull request tomorrow.\n",
	  FALSE, NULL, NULL, NULL, NULL, "subject" },
	{ "no subject tag, plain mail", "lunch?",
	  "Are you free at noon?\n", FALSE, NULL, NULL, NULL, NULL, "no pull" },
	{ "warn lines do not hide the request", "x",
	  "warn: No match for commit " B2 " found at " URL "\nwarn: Are you "
	  "sure you pushed 'x' there?\nThe following changes since commit "
	  B1 ":\n\nare available in the Git repository at:\n\n  " URL " x\n",
	  TRUE, URL, "x", B1 },
	{ "scp-style github", "x",
	  "Please pull from:\n\n  git@github.com:owner/repo.git topic\n",
	  TRUE, "git@github.com:owner/repo.git", "topic" },
	{ "a sentence going on after the URL has no ref", "x",
	  "Please pull from: https://host.example/a.git, thanks.\n",
	  TRUE, "https://host.example/a.git", NULL },
	{ "a sign-off under the URL line is no ref", "x",
	  "are available in the Git repository at:\n\n  " URL "\nThanks\n",
	  TRUE, URL, NULL },
	{ "a wrapped ref followed by more text is no ref", "x",
	  "are available in the Git repository at:\n\n  " URL "\nfixes\n"
	  "more words here\n",
	  TRUE, URL, NULL },
	{ "robot by sender", "[x] y", "Hi,\nplease pull nothing.\n",
	  FALSE, NULL, NULL, NULL, NULL, "robot", "lkp@intel.com" },
	{ "robot reported-by in a table", "[x] y",
	  "kindly add:\n| Reported-by: kernel test robot <lkp@intel.com>\n",
	  FALSE, NULL, NULL, NULL, NULL, "robot" },
	{ "signed tag pasted", "x",
	  "are available in the Git repository at:\n\n  " URL " tags/s\n\n"
	  "object " B1 "\ntype commit\ntag s\ntagger A <a@b> 1 +0000\n\n"
	  "msg\n-----BEGIN PGP SIGNATURE-----\nxx\n"
	  "-----END PGP SIGNATURE-----\n",
	  TRUE, URL, "tags/s", NULL, NULL, NULL, NULL, "true" },
	{ "a bare signature block is no signed tag", "x",
	  "are available in the Git repository at:\n\n  " URL " tags/s\n\n"
	  "-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n",
	  TRUE, URL, "tags/s", NULL, NULL, NULL, NULL, "null" },
	{ "a branch ref is no signed tag", "x",
	  "are available in the Git repository at:\n\n  " URL
	  " refs/heads/fixes\n",
	  TRUE, URL, "refs/heads/fixes", NULL, NULL, NULL, NULL, "false" },
	{ "angle brackets", "x",
	  "are available in the git repository at:\n  <" URL "> x\n",
	  TRUE, URL, "x" },
	/*
	 * Issue 11: a character a reader does not see on the URL or ref
	 * line. pc_mail has turned a NUL (or an invalid byte) into U+FFFD
	 * by then; "git://host/ma<NUL>int.git" must not become
	 * git://host/ma, nor any URL at all.
	 */
	{ "NUL inside the URL", "x",
	  "are available in the Git repository at:\n\n"
	  "  git://host.example/ma\xef\xbf\xbdint.git tags/x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+FFFD" },
	{ "NUL before the URL", "x",
	  "are available in the Git repository at:\n\n"
	  "  \xef\xbf\xbdgit://host.example/main.git tags/x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+FFFD" },
	{ "NUL inside the ref", "x",
	  "are available in the Git repository at:\n\n  " URL
	  " tags/x\xef\xbf\xbd-evil\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+FFFD" },
	{ "control character inside the URL", "x",
	  "Please pull from:\n\n  git://host.example/ma\001int.git x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+0001" },
	{ "DEL inside the ref", "x",
	  "Please pull from " URL " for\x7f-next\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+007F" },
	{ "bare CR cuts the URL for a terminal", "x",
	  "are available in the Git repository at:\n\n"
	  "  git://host.example/evil.git\rgit://host.example/good.git x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+000D" },
	{ "escape sequence on the URL line", "x",
	  "are available in the Git repository at:\n\n  " URL
	  " x\033[8m hidden\033[0m\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+001B" },
	{ "control character in a wrapped ref", "x",
	  "are available in the Git repository at:\n\n  " URL "\n"
	  "  tags/\002x\n\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+0002" },
	{ "C1 control inside the URL", "x",
	  "Please pull from:\n\n  git://host.example/a\xc2\x85z.git x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+0085" },
	{ "bidi override inside the ref", "x",
	  "Please pull from:\n\n  " URL " tags/\xe2\x80\xaex-6.1\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+202E" },
	{ "zero-width space inside the URL", "x",
	  "Please pull from:\n\n  git://host.example/ma\xe2\x80\x8bin.git x\n",
	  FALSE, NULL, NULL, NULL, NULL, "U+200B" },
	{ "a tab on the URL line is no control character", "x",
	  "Please pull from:\n\n\t" URL "\tfor-linus\n",
	  TRUE, URL, "for-linus" },
	{ "U+FFFD elsewhere in the mail does not matter", "x",
	  "Jos\xef\xbf\xbd wrote this.\n\nare available in the Git repository "
	  "at:\n\n  " URL " x\n\nJos\xef\xbf\xbd (1):\n      fix\n",
	  TRUE, URL, "x" },
};

static void test_row(gconstpointer data)
{
	const Row *row = data;
	PcMail mail = { .subject = (char *)row->subject,
			.body = (char *)row->body,
			.from_addr = (char *)row->from_addr };
	static const char *const TRI[] = { "null", "false", "true" };
	PcPullreq pr;

	pc_pullreq_parse(parser, &mail, &pr);
	g_assert_cmpint(pr.is_pull_request, ==, row->is_pr);
	g_assert_cmpstr(pr.repo_url, ==, row->url);
	g_assert_cmpstr(pr.ref, ==, row->ref);
	g_assert_cmpstr(pr.base_commit, ==, row->base);
	g_assert_cmpstr(pr.end_commit, ==, row->end);
	if (row->signed_tag)
		g_assert_cmpstr(TRI[pr.signed_tag + 1], ==, row->signed_tag);
	if (row->reason_has) {
		g_assert_nonnull(pr.reason);
		g_assert_nonnull(strstr(pr.reason, row->reason_has));
	}
	pc_pullreq_clear(&pr);
}

typedef struct {
	const char *url;
	const char *fetch;	/* NULL: no anonymous form */
} UrlRow;

static const UrlRow URLS[] = {
	{ URL, URL },
	{ URL "/", URL },
	{ "https://git.kernel.org/pub/scm/a.git", "https://git.kernel.org/pub/scm/a.git" },
	{ "http://example.org/a.git", "http://example.org/a.git" },
	{ "https://user:pw@github.com/a/b.git", "https://github.com/a/b.git" },
	{ "ssh://git@gitolite.kernel.org/pub/scm/linux/x.git",
	  "https://git.kernel.org/pub/scm/linux/x.git" },
	{ "git@gitolite.kernel.org:pub/scm/linux/x.git",
	  "https://git.kernel.org/pub/scm/linux/x.git" },
	{ "ssh://git@git.kernel.org/pub/scm/linux/x.git",
	  "https://git.kernel.org/pub/scm/linux/x.git" },
	{ "git+ssh://git.kernel.org/pub/scm/linux/x.git",
	  "https://git.kernel.org/pub/scm/linux/x.git" },
	{ "git@github.com:owner/repo.git", "https://github.com/owner/repo.git" },
	{ "ssh://git@gitlab.com/owner/repo", "https://gitlab.com/owner/repo" },
	{ "git@gitolite.kernel.org:elsewhere/x.git", NULL },
	{ "ssh://git@git.example.com/repo.git", NULL },
	{ "me@host.example.org:repo.git", NULL },
	{ "https://example.org/", NULL },
};

static void test_url(gconstpointer data)
{
	const UrlRow *row = data;
	g_autofree char *why = NULL;
	g_autofree char *fetch = pc_pullreq_fetch_url(row->url, &why);

	g_assert_cmpstr(fetch, ==, row->fetch);
	if (row->fetch)
		g_assert_null(why);
	else
		g_assert_nonnull(why);
}

/*
 * Whole mails through pc_mail and the parser: the headers a reply is
 * built from, read raw (issue 11), and a NUL in the body.
 */
typedef struct {
	const char *name;
	const char *headers;	/* before the fixed From, Subject and body */
	const char *body;	/* NULL: a pull request of URL */
	gsize body_len;		/* for a body with a NUL in it */
	const char *message_id;
	const char *in_reply_to;
	const char *references;	/* the IDs joined by ' ' */
	gboolean is_pr;
	const char *reason_has;	/* in pr.reason, or for a pull request in
				 * mail.message_id_error */
	const char *from_addr;	/* NULL: not checked; "": none */
	gsize headers_len;	/* for headers with a NUL; 0: strlen */
} MailRow;

/* "x\r\nCc: victim@evil.example\r\nBcc: hidden@evil.example" */
#define EW_CRLF "=?utf-8?b?eA0KQ2M6IHZpY3RpbUBldmlsLmV4YW1wbGUNCkJjYzogaGlkZGVuQGV2aWwuZXhhbXBsZQ==?="
#define PR_BODY "are available in the Git repository at:\n\n  " URL " x\n"

static const MailRow MAILS[] = {
	{ "plain", "Message-ID: <a@b>\nIn-Reply-To: <c@d>\n"
	  "References: <e@f> <c@d>\n", NULL, 0,
	  "a@b", "c@d", "e@f c@d", TRUE },
	{ "folded references and comments", "Message-ID:\n <a@b> (x)\n"
	  "References: <e@f>\n\t<c@d> (y)\n", NULL, 0,
	  "a@b", NULL, "e@f c@d", TRUE },
	{ "bare message id", "Message-ID: a@b\n", NULL, 0, "a@b", NULL, "",
	  TRUE },
	{ "encoded word in Message-ID stays as written",
	  "Message-ID: <" EW_CRLF "@y>\n", NULL, 0,
	  EW_CRLF "@y", NULL, "", TRUE },
	{ "encoded word in References stays as written",
	  "Message-ID: <a@b>\nReferences: <" EW_CRLF "@y> <c@d>\n", NULL, 0,
	  "a@b", NULL, EW_CRLF "@y c@d", TRUE },
	{ "a fold inside the Message-ID", "Message-ID: <a\n @b>\n", NULL, 0,
	  NULL, NULL, "", TRUE, "line break" },
	{ "a blank inside the Message-ID", "Message-ID: <a @b>\n", NULL, 0,
	  NULL, NULL, "", TRUE, "blank" },
	{ "a control character in the Message-ID",
	  "Message-ID: <a\001b@c>\n", NULL, 0,
	  NULL, NULL, "", TRUE, "control character" },
	{ "a bare CR in the Message-ID", "Message-ID: <a\rBcc: x@y>\n",
	  NULL, 0, NULL, NULL, "", TRUE, "line break" },
	{ .name = "a NUL in the Message-ID",
	  .headers = "Message-ID: <a\0b@c>\n",
	  .headers_len = sizeof("Message-ID: <a\0b@c>\n") - 1,
	  .references = "", .is_pr = TRUE, .reason_has = "never closed" },
	{ "an angle bracket in the Message-ID", "Message-ID: <a<b@c>\n",
	  NULL, 0, NULL, NULL, "", TRUE, "angle bracket" },
	{ "two Message-IDs", "Message-ID: <a@b> <c@d>\n", NULL, 0,
	  NULL, NULL, "", TRUE, "more than one" },
	{ "bad IDs in References are left out",
	  "Message-ID: <a@b>\nReferences: <x y@z> <e@f> <g\001@h> <i@j\n",
	  NULL, 0, "a@b", NULL, "e@f", TRUE },
	{ "a bad In-Reply-To is left out",
	  "Message-ID: <a@b>\nIn-Reply-To: <x\002@y>\n", NULL, 0,
	  "a@b", NULL, "", TRUE },
	{ "a From address with a control character",
	  "Message-ID: <a@b>\nFrom: \"x\001y\"@example.org\n", NULL, 0,
	  "a@b", NULL, "", FALSE, "From address", "" },
	{ "a From name with an encoded line break is fine",
	  "Message-ID: <a@b>\nFrom: " EW_CRLF " <ann@example.org>\n", NULL, 0,
	  "a@b", NULL, "", TRUE, NULL, "ann@example.org" },
	{ "a NUL in the URL", "Message-ID: <a@b>\n",
	  "Please pull from:\n\n  git://host.example/ma\0int.git tags/x\n",
	  sizeof("Please pull from:\n\n  git://host.example/ma\0int.git "
		 "tags/x\n") - 1,
	  "a@b", NULL, "", FALSE, "U+FFFD" },
};

static void test_mail(gconstpointer data)
{
	const MailRow *row = data;
	const char *body = row->body ? row->body : PR_BODY;
	gsize body_len = row->body ? row->body_len : strlen(PR_BODY);
	g_autoptr(GByteArray) raw = g_byte_array_new();
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) mp = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *refs = NULL;
	PcMail mail;
	PcPullreq pr;

	g_byte_array_append(raw, (const guint8 *)row->headers,
			    row->headers_len ? row->headers_len
					     : strlen(row->headers));
	if (!strstr(row->headers, "From:"))
		g_byte_array_append(raw, (const guint8 *)"From: Ann <ann@example.org>\n",
				    strlen("From: Ann <ann@example.org>\n"));
	g_byte_array_append(raw, (const guint8 *)"Subject: [GIT PULL] x\n\n",
			    strlen("Subject: [GIT PULL] x\n\n"));
	g_byte_array_append(raw, (const guint8 *)body, body_len);
	stream = g_mime_stream_mem_new_with_buffer((const char *)raw->data,
						   raw->len);
	mp = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(mp, NULL);
	g_assert_nonnull(msg);
	g_assert_true(pc_mail_init_from_message(&mail, msg, 1 << 20,
						PC_MAIL_NONE, NULL));
	g_assert_cmpstr(mail.message_id, ==, row->message_id);
	g_assert_cmpstr(mail.in_reply_to, ==, row->in_reply_to);
	refs = g_strjoinv(" ", mail.references);
	g_assert_cmpstr(refs, ==, row->references);
	if (row->from_addr)
		g_assert_cmpstr(mail.from_addr, ==,
				*row->from_addr ? row->from_addr : NULL);
	/* Nothing a reply copies may hold a byte that ends a header line. */
	g_assert_true(!mail.message_id || pc_mail_message_id_ok(mail.message_id));
	for (char **r = mail.references; *r; r++)
		g_assert_true(pc_mail_message_id_ok(*r));
	pc_pullreq_parse(parser, &mail, &pr);
	g_assert_cmpint(pr.is_pull_request, ==, row->is_pr);
	/* A refused Message-ID is dropped: the mail is still read. */
	if (row->reason_has) {
		const char *why = row->is_pr ? mail.message_id_error
					     : pr.reason;

		g_assert_nonnull(why);
		g_assert_nonnull(strstr(why, row->reason_has));
	} else {
		g_assert_null(mail.message_id_error);
	}
	if (!row->is_pr)
		g_assert_null(pr.repo_url);
	pc_pullreq_clear(&pr);
	pc_mail_clear(&mail);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	parser = pc_pullreq_parser_new();
	for (gsize i = 0; i < G_N_ELEMENTS(MAILS); i++) {
		g_autofree char *path =
			g_strdup_printf("/mail/%s", MAILS[i].name);

		g_test_add_data_func(path, &MAILS[i], test_mail);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(ROWS); i++) {
		g_autofree char *path =
			g_strdup_printf("/pullreq/%s", ROWS[i].name);

		g_test_add_data_func(path, &ROWS[i], test_row);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(URLS); i++) {
		g_autofree char *path = g_strdup_printf("/fetch-url/%zu", i);

		g_test_add_data_func(path, &URLS[i], test_url);
	}
	return g_test_run();
}
