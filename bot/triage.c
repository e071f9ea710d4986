// SPDX-License-Identifier: GPL-2.0-only
/*
 * triage: the never-reply-to rules of DESIGN.md ("Trust"), and thread,
 * topic and repository keys for superseding.
 *
 * A newer request supersedes an older one only when it names the same
 * repository: From and Subject are forgeable by anyone, and a forged
 * "v2" from someone else's repository must not silence the genuine
 * request. The repository is what pullcheck checks; it decides.
 */
#define G_LOG_DOMAIN "pullcheck-triage"

#include <gmime/gmime.h>
#include <string.h>

#include "autocleanup.h"
#include "triage.h"

/* RFC 3834: anything but "no" (parameters after ';' aside) is automatic. */
static gboolean automatic(const char *auto_submitted)
{
	g_autofree char *value = NULL;
	char *semi;

	if (!auto_submitted)
		return FALSE;
	value = g_ascii_strdown(auto_submitted, -1);
	semi = strchr(value, ';');
	if (semi)
		*semi = '\0';
	return strcmp(g_strstrip(value), "no") != 0;
}

/* The bare address of [reply] from, lower case. */
static char *own_address(const PcConfig *config)
{
	g_autoptr(InternetAddressList) list =
		internet_address_list_parse(NULL, config->reply_from);
	InternetAddress *a = list && internet_address_list_length(list)
				     ? internet_address_list_get_address(list, 0)
				     : NULL;

	if (!a || !INTERNET_ADDRESS_IS_MAILBOX(a))
		return NULL;
	return g_ascii_strdown(internet_address_mailbox_get_addr(
				       INTERNET_ADDRESS_MAILBOX(a)), -1);
}

/*
 * A line "pullcheck: WORD" of the sender's own (not quoted), a dot
 * after it allowed. @word is one of the fixed words below, never mail.
 */
static GRegex *command_line(const char *word)
{
	g_autofree char *pattern = g_strdup_printf(
		"^[ \\t]*pullcheck:[ \\t]*%s[ \\t]*\\.?[ \\t]*\\r?$", word);

	return g_regex_new(pattern, G_REGEX_CASELESS | G_REGEX_MULTILINE |
				   G_REGEX_OPTIMIZE, 0, NULL);
}

static gboolean says_no(const char *body)
{
	static GRegex *re;

	if (g_once_init_enter(&re))
		g_once_init_leave(&re, command_line("no"));
	return body && g_regex_match(re, body, 0, NULL);
}

gboolean pc_triage_asks_recheck(const PcMail *mail)
{
	static GRegex *re;

	if (g_once_init_enter(&re))
		g_once_init_leave(&re, command_line("recheck"));
	if (!mail->in_reply_to && !(mail->references && mail->references[0]))
		return FALSE;
	return mail->body && g_regex_match(re, mail->body, 0, NULL);
}

gboolean pc_triage_merge_ack(const PcMail *mail)
{
	static GRegex *re;

	if (g_once_init_enter(&re))
		g_once_init_leave(&re, g_regex_new(
			"^[ \\t]*has[ \\t]+been[ \\t]+merged[ \\t]+into[ \\t]+\\S+",
			G_REGEX_CASELESS | G_REGEX_MULTILINE | G_REGEX_OPTIMIZE,
			0, NULL));
	if (!mail->in_reply_to && !(mail->references && mail->references[0]))
		return FALSE;
	return mail->body && g_regex_match(re, mail->body, 0, NULL);
}

gboolean pc_triage_is_top_level(const PcConfig *config, const char *addr)
{
	g_autofree char *lower = addr ? g_ascii_strdown(addr, -1) : NULL;

	for (char **p = config->reply_top_level; lower && p && *p; p++) {
		g_autofree char *pattern = g_ascii_strdown(*p, -1);

		if (*pattern && g_pattern_match_simple(pattern, lower))
			return TRUE;
	}
	return FALSE;
}

char **pc_triage_top_level(const PcConfig *config, const PcMail *mail)
{
	GPtrArray *out = g_ptr_array_new();

	for (char **a = mail->to_cc; a && *a; a++)
		if (pc_triage_is_top_level(config, *a) &&
		    pc_mail_address_ok(*a) &&
		    !g_ptr_array_find_with_equal_func(out, *a, g_str_equal,
						      NULL))
			g_ptr_array_add(out, g_strdup(*a));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char *pc_triage_refusal(const PcConfig *config, const PcMail *mail)
{
	g_autofree char *self = own_address(config);
	const char *from = mail->from_addr ? mail->from_addr : "";

	if (automatic(mail->auto_submitted))
		return g_strdup_printf("an automatic message (Auto-Submitted: "
				       "%s)", mail->auto_submitted);
	if (self && !g_ascii_strcasecmp(self, from))
		return g_strdup("mail from pullcheck itself");
	for (char **p = config->reply_opt_out; p && *p; p++) {
		g_autofree char *pattern = g_ascii_strdown(*p, -1);

		if (*pattern && g_pattern_match_simple(pattern, from))
			return g_strdup_printf("the sender opted out ([reply] "
					       "opt_out: %s)", *p);
	}
	if (says_no(mail->body))
		return g_strdup("the sender opted out (a \"pullcheck: no\" "
				"line)");
	return NULL;
}

const char *pc_triage_thread(const PcMail *mail)
{
	if (mail->references && mail->references[0])
		return mail->references[0];
	if (mail->in_reply_to)
		return mail->in_reply_to;
	return mail->message_id;
}

char *pc_triage_topic(const char *subject)
{
	static GRegex *prefix, *version, *space;
	g_autofree char *lower = NULL, *a = NULL, *b = NULL;
	char *c;

	if (!subject)
		return NULL;
	if (g_once_init_enter(&space)) {
		prefix = g_regex_new("^(\\s*(re|fwd?|aw)\\s*:\\s*)+",
				     G_REGEX_CASELESS, 0, NULL);
		/* "[GIT PULL v2]", "[GIT PULL V3 for-6.13]": drop the version */
		version = g_regex_new("(\\[[^]]*?)\\s+v[0-9]+\\b", 0, 0, NULL);
		g_once_init_leave(&space, g_regex_new("\\s+", 0, 0, NULL));
	}
	lower = g_utf8_strdown(subject, -1);
	a = g_regex_replace_literal(prefix, lower, -1, 0, "", 0, NULL);
	b = g_regex_replace(version, a, -1, 0, "\\1", 0, NULL);
	c = g_regex_replace_literal(space, b, -1, 0, " ", 0, NULL);
	return g_strstrip(c);
}

char *pc_triage_repository(const char *fetch_url)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree char *host = NULL, *path = NULL;
	gsize len;

	if (!fetch_url)
		return NULL;
	uri = g_uri_parse(fetch_url, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED,
			  NULL);
	if (!uri || !g_uri_get_host(uri))
		return NULL;
	host = g_ascii_strdown(g_uri_get_host(uri), -1);
	path = g_strdup(g_uri_get_path(uri));
	len = strlen(path);
	while (len && path[len - 1] == '/')
		path[--len] = '\0';
	if (g_str_has_suffix(path, ".git"))
		path[len - 4] = '\0';
	if (g_uri_get_port(uri) > 0)
		return g_strdup_printf("%s:%d%s", host, g_uri_get_port(uri),
				       path);
	return g_strconcat(host, path, NULL);
}
