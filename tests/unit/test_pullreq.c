// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven tests of the pull-request patterns and URL normalisation:
 * one row per shape of mail text seen in the wild.
 */
#include <string.h>

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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	parser = pc_pullreq_parser_new();
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
