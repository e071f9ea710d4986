// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullreq: finds a pull request in a mail's text.
 *
 * The subject never decides: people write [GIT PULL] on mail that asks to
 * pull nothing and write "[GIT] Networking" on mail that does. What
 * decides is a phrase that asks to pull ("are available in the Git
 * repository at:", "Please pull from:") followed, on its line or the next
 * one, by a URL. Quoted lines ('>') never count: a reply that quotes a
 * pull request is not one.
 */
#define G_LOG_DOMAIN "pullcheck-pullreq"

#include <string.h>

#include "pattern.h"
#include "pullreq.h"

struct _PcPullreqParser {
	pcre2_code *intro;	/* a phrase that asks to pull */
	pcre2_code *url;	/* a fetchable URL at the start of the text */
	pcre2_code *base;	/* "changes since commit <sha>" */
	pcre2_code *end;	/* "changes up to <sha>", "Head SHA1: <sha>" */
	pcre2_code *tag;	/* "Tag SHA1: <sha>" */
	pcre2_code *merged;	/* pr-tracker-bot's acknowledgement */
	pcre2_code *robot;	/* build and fuzzing robots' reports */
	pcre2_code *patch;	/* a diff in the body */
	pcre2_code *signed_tag;	/* a tag object pasted with its signature */
	pcre2_code *pull_subject;
};

/*
 * A phrase may be wrapped anywhere a space is, so every gap is \s+.
 * "please pull" alone is enough: when no URL follows it, the next phrase
 * is tried.
 */
static const char INTRO_RE[] =
	"available\\s+in\\s+the\\s+git\\s+repo(?:sitory)?\\s+at"
	"|git\\s+repo(?:sitory)?\\s+at\\s*:"
	"|available\\s+for\\s+pulling"
	"|(?:is|are)\\s+available\\s+(?:at|from|in)\\b"
	"|please\\s+pull\\b"
	"|pull\\s+from\\s*:"
	"|can\\s+be\\s+(?:found|pulled|fetched)\\s+(?:in|from|at)\\b";

static const char URL_RE[] =
	"<?((?:git|https?|ssh|git\\+ssh|ssh\\+git)://[^\\s<>\"'`]+"
	"|[A-Za-z0-9._-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+:[^\\s<>\"'`]+)";

#define SHA "([0-9a-fA-F]{7,64})\\b"

static const char BASE_RE[] = "changes\\s+since\\s+commit\\s+" SHA
			      "|^\\s*base\\s+sha-?1?\\s*:\\s*" SHA;
static const char END_RE[] = "changes\\s+up\\s+to\\s+" SHA
			     "|^\\s*head\\s+sha-?1?\\s*:\\s*" SHA;
static const char TAG_RE[] = "^\\s*tag\\s+sha-?1?\\s*:\\s*" SHA;
static const char MERGED_RE[] = "has\\s+been\\s+merged\\s+into\\s+\\S+";
static const char ROBOT_RE[] =
	"^\\|?\\s*reported-by:\\s+kernel\\s+test\\s+robot"
	"|syzbot\\s+(?:found|has\\s+found|has\\s+tested)"
	"|^syzbot\\s+ci\\b"
	"|kernel\\s+test\\s+robot\\s+noticed";
/* "object", "type" and "tag" headers, then the signature block. */
static const char SIGNED_TAG_RE[] =
	"^object\\s+[0-9a-f]{7,64}\\s*\\n\\s*type\\s+commit\\s*\\n"
	"\\s*tag\\s+\\S+[\\s\\S]*?^-----BEGIN PGP SIGNATURE-----";
static const char PATCH_RE[] = "^diff\\s+--git\\s|^@@\\s+-\\d";
static const char PULL_SUBJECT_RE[] =
	"\\[(?:git\\s+pull|pull(?:\\s+request)?|please\\s+pull|git)\\b";

/* Every pattern here: mail is written in any case, and read by line. */
static pcre2_code *compile(const char *pattern)
{
	return pc_pattern_compile(pattern, PCRE2_CASELESS | PCRE2_MULTILINE);
}

PcPullreqParser *pc_pullreq_parser_new(void)
{
	PcPullreqParser *p = g_new0(PcPullreqParser, 1);

	p->intro = compile(INTRO_RE);
	p->url = compile(URL_RE);
	p->base = compile(BASE_RE);
	p->end = compile(END_RE);
	p->tag = compile(TAG_RE);
	p->merged = compile(MERGED_RE);
	p->robot = compile(ROBOT_RE);
	p->patch = compile(PATCH_RE);
	p->signed_tag = compile(SIGNED_TAG_RE);
	p->pull_subject = compile(PULL_SUBJECT_RE);
	return p;
}

void pc_pullreq_parser_free(PcPullreqParser *p)
{
	if (!p)
		return;
	pcre2_code_free(p->intro);
	pcre2_code_free(p->url);
	pcre2_code_free(p->base);
	pcre2_code_free(p->end);
	pcre2_code_free(p->tag);
	pcre2_code_free(p->merged);
	pcre2_code_free(p->robot);
	pcre2_code_free(p->patch);
	pcre2_code_free(p->signed_tag);
	pcre2_code_free(p->pull_subject);
	g_free(p);
}

static gboolean matches(const pcre2_code *re, const char *text)
{
	return text && pc_pattern_find(re, text, strlen(text), 0, 0, NULL);
}

static char *first_group_lower(const pcre2_code *re, const char *text)
{
	PcPatternMatch m;

	if (!pc_pattern_find(re, text, strlen(text), 0, 0, &m) ||
	    m.group_start < 0)
		return NULL;
	return g_ascii_strdown(text + m.group_start,
			       m.group_end - m.group_start);
}

/*
 * The text that counts: quoted lines become blank (so they still break
 * paragraphs), trailing blanks go. With @quoted, the reverse: only what
 * the quoted lines said, unquoted.
 */
static char *clean_text(const char *body, gboolean quoted)
{
	gsize n = strlen(body);
	/* Every line keeps at most its bytes, and the last may gain '\n'. */
	char *out = g_malloc(n + 2), *w = out;
	const char *p = body, *end = body + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		gsize len = nl ? (gsize)(nl - p) : (gsize)(end - p);
		const char *s = p;
		gsize lead = 0;

		while (lead < len && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		if ((lead < len && s[lead] == '>') == quoted) {
			if (quoted) {
				s += lead;
				len -= lead;
				while (len && (*s == '>' || *s == ' ')) {
					s++;
					len--;
				}
			}
			while (len && g_ascii_isspace(s[len - 1]))
				len--;
			memcpy(w, s, len);
			w += len;
		}
		*w++ = '\n';
		p = nl ? nl + 1 : end;
	}
	*w = '\0';
	return out;
}

/*
 * Both of PATCH_RE's branches open a line with "diff" (any case) or
 * "@@": a text with no such line cannot match. Prose, replies that quote
 * no diff and robots' reports have none, and for them this look at each
 * line's start spares the caseless regex a pass over the whole text.
 */
static gboolean may_hold_patch(const char *text)
{
	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if ((p[0] == '@' && p[1] == '@') ||
		    !g_ascii_strncasecmp(p, "diff", 4))
			return TRUE;
	}
	return FALSE;
}

static gsize line_end(const char *text, gsize at)
{
	const char *nl = strchr(text + at, '\n');

	return nl ? (gsize)(nl - text) : strlen(text);
}

/* Sentence punctuation that may follow a URL or ref in prose. */
static void strip_trailing_punct(char *s)
{
	gsize len = strlen(s);

	while (len && strchr(".,;:)>", s[len - 1]))
		s[--len] = '\0';
}

static gboolean ref_like(const char *s, gsize len)
{
	if (!len || !g_ascii_isalnum(s[0]))
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("._/+-", s[i]))
			return FALSE;
	return TRUE;
}

/* The one word on the line at @at, or NULL if it has none or several. */
static char *single_token(const char *text, gsize at, gsize end)
{
	g_autofree char *line = g_strstrip(g_strndup(text + at, end - at));

	if (!*line || strpbrk(line, " \t"))
		return NULL;
	strip_trailing_punct(line);
	if (!ref_like(line, strlen(line)))
		return NULL;
	return g_steal_pointer(&line);
}

/*
 * A mail client wrapped the ref onto the line at @at: one ref-like word,
 * then a blank line or the end. A capitalised plain word there is the
 * sign-off ("Thanks"), not a branch.
 */
static char *wrapped_ref(const char *text, gsize at)
{
	gsize end = line_end(text, at);
	g_autofree char *token = single_token(text, at, end);
	gboolean plain_word = TRUE;

	if (!token || (text[end] == '\n' && text[end + 1] != '\n' &&
		       text[end + 1] != '\0'))
		return NULL;
	for (const char *c = token; *c; c++)
		if (!g_ascii_isalpha(*c))
			plain_word = FALSE;
	if (plain_word && g_ascii_isupper(token[0]))
		return NULL;
	return g_steal_pointer(&token);
}

/*
 * In prose, a URL is the one asked for only when the words before it end
 * the request: "Please pull from git://...", not "Please pull; it is
 * based on https://lore...".
 */
static gboolean leads_to_url(const char *text, gsize from, gsize to)
{
	g_autofree char *gap = g_strstrip(g_strndup(text + from, to - from));
	gsize len = strlen(gap);

	return len == 0 || gap[len - 1] == ':' ||
	       g_str_has_suffix(gap, " from") || !g_ascii_strcasecmp(gap, "from") ||
	       g_str_has_suffix(gap, " at") || !g_ascii_strcasecmp(gap, "at") ||
	       g_str_has_suffix(gap, " here");
}

/*
 * A character on a URL or ref line that makes what pullcheck reads
 * differ from what a reader sees: a control character (the mail's NUL
 * bytes and invalid bytes are U+FFFD by now), or an invisible format
 * character such as a zero-width space or a bidi override. Returns it,
 * or 0 when the line is clean.
 */
static gunichar hidden_char(const char *s, gsize len)
{
	const char *end = s + len;

	for (const char *p = s; p < end;) {
		gunichar c;

		if (!((guchar)*p & 0x80)) {
			if (((guchar)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return (guchar)*p;
			p++;
			continue;
		}
		c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2)
			return 0xfffd;
		if ((c >= 0x80 && c < 0xa0) || c == 0xad ||
		    (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || c == 0xfffd)
			return c;
		p = g_utf8_next_char(p);
	}
	return 0;
}

static char *hidden_char_reason(gunichar c)
{
	const char *what = c == 0xfffd ? " (a NUL or an invalid byte in the "
					 "mail)"
			   : c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)
				   ? " (a control character)"
				   : " (an invisible format character)";

	return g_strdup_printf("the line with the repository URL or ref holds "
			       "U+%04X%s: what pullcheck would fetch is not "
			       "what a reader of the mail sees",
			       c, what);
}

/*
 * Reads "<url> [<ref>]" from @at on. @url_line says the URL must open the
 * line (after blanks), and then what follows it is the ref; inline in
 * prose, only a lone last word is.
 */
static gboolean read_clean_url_line(PcPullreqParser *p, const char *text,
				    gsize at, gboolean url_line, PcPullreq *pr)
{
	gsize len = strlen(text), end = line_end(text, at);
	PcPatternMatch m;
	gssize gs, ge;
	g_autofree char *rest = NULL;
	g_auto(GStrv) words = NULL;

	while (at < end && (text[at] == ' ' || text[at] == '\t'))
		at++;
	if (!pc_pattern_find(p->url, text, end, at,
			     url_line ? PCRE2_ANCHORED : 0, &m))
		return FALSE;
	if (!url_line && !leads_to_url(text, at, m.start))
		return FALSE;
	gs = m.group_start;
	ge = m.group_end;
	pr->repo_url = g_strndup(text + gs, ge - gs);
	strip_trailing_punct(pr->repo_url);
	/* "https://host/a.git, thanks.": the sentence goes on, no ref. */
	if (strlen(pr->repo_url) != (gsize)(ge - gs) &&
	    text[gs + strlen(pr->repo_url)] != '>')
		return TRUE;
	rest = g_strstrip(g_strndup(text + ge, end - ge));
	if (*rest == '>')
		memmove(rest, rest + 1, strlen(rest));
	g_strstrip(rest);
	words = g_strsplit_set(rest, " \t", -1);
	if (*rest && (url_line || g_strv_length(words) == 1)) {
		pr->ref = g_strdup(words[0]);
		strip_trailing_punct(pr->ref);
		if (!*pr->ref)
			g_clear_pointer(&pr->ref, g_free);
	} else if (!*rest && end < len && text[end + 1] != '\n') {
		gsize next = end + 1;
		gunichar c = hidden_char(text + next, line_end(text, next) - next);

		/* The ref a reader sees there may not be the one read. */
		if (c)
			pr->reason = hidden_char_reason(c);
		else
			pr->ref = wrapped_ref(text, next);
	}
	return TRUE;
}

/* @text from @at to its line's end, without its hidden characters. */
static char *shown_line(const char *text, gsize at)
{
	gsize end = line_end(text, at);
	GString *out = g_string_sized_new(end - at);

	for (const char *c = text + at; c < text + end;) {
		const char *next = g_utf8_find_next_char(c, text + end);
		gsize n = (next ? next : text + end) - c;

		if (!hidden_char(c, n))
			g_string_append_len(out, c, n);
		c += n;
	}
	return g_string_free(out, FALSE);
}

/*
 * read_clean_url_line(), but a line that shows a URL to a reader only
 * once its hidden characters are left out is found too, with
 * pr->reason saying why it cannot be taken: "git://host/ma<NUL>int.git"
 * must neither become git://host/ma nor slip by unread.
 */
static gboolean read_url_line(PcPullreqParser *p, const char *text, gsize at,
			      gboolean url_line, PcPullreq *pr)
{
	gunichar c = hidden_char(text + at, line_end(text, at) - at);
	g_autofree char *shown = NULL;
	PcPullreq seen = { 0 };
	gboolean found;

	if (!c)
		return read_clean_url_line(p, text, at, url_line, pr);
	shown = shown_line(text, at);
	found = read_clean_url_line(p, shown, 0, url_line, &seen);
	pc_pullreq_clear(&seen);
	if (found)
		pr->reason = hidden_char_reason(c);
	return found;
}

/* Skips up to three blank lines after @at's line; the next line's start. */
static gssize next_nonblank_line(const char *text, gsize at)
{
	gsize len = strlen(text);
	gsize pos = line_end(text, at);

	for (int blanks = 0; pos < len && blanks < 4; blanks++) {
		pos++;
		if (text[pos] != '\n')
			return pos;
	}
	return -1;
}

static gboolean find_request(PcPullreqParser *p, const char *text,
			     PcPullreq *pr)
{
	gsize len = strlen(text), from = 0;
	PcPatternMatch m;

	while (from < len && pc_pattern_find(p->intro, text, len, from, 0, &m)) {
		gssize next;

		/* "Please pull from git://... for-linus" */
		if (read_url_line(p, text, m.end, FALSE, pr))
			return TRUE;
		next = next_nonblank_line(text, m.end);
		if (next >= 0 && read_url_line(p, text, next, TRUE, pr))
			return TRUE;
		from = m.end;
	}
	return FALSE;
}

static gboolean is_kernel_org(const char *host)
{
	return !g_ascii_strcasecmp(host, "git.kernel.org") ||
	       !g_ascii_strcasecmp(host, "gitolite.kernel.org");
}

static gboolean is_public_forge(const char *host)
{
	return !g_ascii_strcasecmp(host, "github.com") ||
	       !g_ascii_strcasecmp(host, "gitlab.com");
}

/* An ssh host and path, from either spelling of an ssh URL. */
static char *https_for_ssh(const char *host, const char *path, char **why)
{
	while (*path == '/')
		path++;
	if (is_kernel_org(host)) {
		if (!g_str_has_prefix(path, "pub/scm/")) {
			*why = g_strdup_printf("kernel.org push URL with a path "
					       "outside /pub/scm: %s", path);
			return NULL;
		}
		return g_strdup_printf("https://git.kernel.org/%s", path);
	}
	if (is_public_forge(host))
		return g_strdup_printf("https://%s/%s", host, path);
	*why = g_strdup_printf("the ssh URL on %s has no anonymous equivalent "
			       "pullcheck knows", host);
	return NULL;
}

static char *fetch_url_ssh(const char *url, char **why)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree char *fixed = NULL;
	const char *colon;

	/* git+ssh:// and ssh+git:// are ssh:// to everyone else. */
	colon = strstr(url, "://");
	fixed = g_strconcat("ssh", colon, NULL);
	uri = g_uri_parse(fixed, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED,
			  NULL);
	if (!uri || !g_uri_get_host(uri)) {
		*why = g_strdup_printf("not a valid URL: %s", url);
		return NULL;
	}
	return https_for_ssh(g_uri_get_host(uri), g_uri_get_path(uri), why);
}

static char *fetch_url_scp(const char *url, char **why)
{
	const char *at = strchr(url, '@'), *colon = strchr(url, ':');
	g_autofree char *host = NULL;

	if (!at || !colon || colon < at) {
		*why = g_strdup_printf("not a valid URL: %s", url);
		return NULL;
	}
	host = g_strndup(at + 1, colon - at - 1);
	return https_for_ssh(host, colon + 1, why);
}

/* git://, http:// and https:// are anonymous already: drop what is not. */
static char *fetch_url_plain(const char *url, char **why)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree char *path = NULL;
	gsize len;

	uri = g_uri_parse(url, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED, NULL);
	if (!uri || !g_uri_get_host(uri) || !*g_uri_get_host(uri)) {
		*why = g_strdup_printf("not a valid URL: %s", url);
		return NULL;
	}
	path = g_strdup(g_uri_get_path(uri));
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (!len || !strcmp(path, "/")) {
		*why = g_strdup_printf("the URL names no repository: %s", url);
		return NULL;
	}
	return g_uri_join(G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS,
			  g_uri_get_scheme(uri), NULL, g_uri_get_host(uri),
			  g_uri_get_port(uri), path, g_uri_get_query(uri),
			  NULL);
}

char *pc_pullreq_fetch_url(const char *url, char **why)
{
	*why = NULL;
	if (g_str_has_prefix(url, "git://") ||
	    g_str_has_prefix(url, "http://") ||
	    g_str_has_prefix(url, "https://"))
		return fetch_url_plain(url, why);
	if (g_str_has_prefix(url, "ssh://") ||
	    g_str_has_prefix(url, "git+ssh://") ||
	    g_str_has_prefix(url, "ssh+git://"))
		return fetch_url_ssh(url, why);
	if (!strstr(url, "://"))
		return fetch_url_scp(url, why);
	*why = g_strdup_printf("not a URL pullcheck can fetch: %s", url);
	return NULL;
}

static void read_commits(PcPullreqParser *p, const char *text, PcPullreq *pr)
{
	pr->base_commit = first_group_lower(p->base, text);
	pr->end_commit = first_group_lower(p->end, text);
	pr->tag_commit = first_group_lower(p->tag, text);
	if (pr->ref && g_str_has_prefix(pr->ref, "refs/heads/"))
		pr->signed_tag = PC_TRI_FALSE;
	else if (matches(p->signed_tag, text))
		pr->signed_tag = PC_TRI_TRUE;
}

/* Robots that report on patches and trees; they never ask to pull. */
static gboolean is_robot_sender(const char *addr)
{
	return addr && (!strcmp(addr, "lkp@intel.com") ||
			g_str_has_prefix(addr, "syzbot+") ||
			g_str_has_prefix(addr, "syzbot@"));
}

/*
 * @asks says a request phrase is anywhere in the body, quoted or not;
 * without one, no quoted pull request needs looking for.
 */
static char *why_not(PcPullreqParser *p, const PcMail *mail, const char *text,
		     gboolean asks)
{
	g_autofree char *quoted = NULL;
	PcPullreq in_quote = { 0 };
	gboolean quotes_one = FALSE;

	if (may_hold_patch(text) && matches(p->patch, text))
		return g_strdup("a patch, not a pull request");
	if (asks) {
		quoted = clean_text(mail->body ? mail->body : "", TRUE);
		quotes_one = find_request(p, quoted, &in_quote);
		pc_pullreq_clear(&in_quote);
	}
	if (quotes_one)
		return g_strdup("a reply that only quotes a pull request "
				"(quoted lines do not count)");
	if (matches(p->pull_subject, mail->subject))
		return g_strdup("the subject says pull request, but the body "
				"names no repository to pull from");
	return g_strdup("no pull request in the body: no repository URL "
			"after a request to pull");
}

void pc_pullreq_parse(PcPullreqParser *p, const PcMail *mail, PcPullreq *pr)
{
	g_autofree char *text = NULL;
	gboolean asks;

	memset(pr, 0, sizeof(*pr));
	pr->signed_tag = PC_TRI_NULL;
	/* No one a reply could go to: not a request pullcheck answers. */
	if (mail->from_error) {
		pr->reason = g_strdup(mail->from_error);
		return;
	}
	text = clean_text(mail->body ? mail->body : "", FALSE);
	/*
	 * A substring search first: these are fixed phrases, and it is far
	 * cheaper than a caseless regex pass over every patch in an mbox.
	 * Caseless like the patterns: "Has Been Merged", "Kernel Test Robot".
	 */
	if (strcasestr(text, "merged") && matches(p->merged, text)) {
		pr->reason = g_strdup("a merge acknowledgement (\"has been "
				      "merged into\"), not a pull request");
		return;
	}
	if (is_robot_sender(mail->from_addr) ||
	    ((strcasestr(text, "robot") || strcasestr(text, "syzbot")) &&
	     matches(p->robot, text))) {
		pr->reason = g_strdup("a report from a build or fuzzing robot, "
				      "not a pull request");
		return;
	}
	/*
	 * One pass of the request phrases over the whole body first: most
	 * mail has none anywhere, and then neither its own lines nor its
	 * quoted ones hold a pull request.
	 */
	asks = matches(p->intro, mail->body ? mail->body : "");
	if (!asks || !find_request(p, text, pr)) {
		pc_pullreq_clear(pr);
		pr->reason = why_not(p, mail, text, asks);
		return;
	}
	if (pr->reason) {	/* found, but not as a reader sees it */
		char *why = g_steal_pointer(&pr->reason);

		pc_pullreq_clear(pr);
		pr->reason = why;
		return;
	}
	pr->is_pull_request = TRUE;
	pr->fetch_url = pc_pullreq_fetch_url(pr->repo_url, &pr->reason);
	read_commits(p, text, pr);
}

void pc_pullreq_clear(PcPullreq *pr)
{
	g_free(pr->reason);
	g_free(pr->repo_url);
	g_free(pr->fetch_url);
	g_free(pr->ref);
	g_free(pr->base_commit);
	g_free(pr->end_commit);
	g_free(pr->tag_commit);
	memset(pr, 0, sizeof(*pr));
	pr->signed_tag = PC_TRI_NULL;
}
