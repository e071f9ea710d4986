// SPDX-License-Identifier: GPL-2.0-only
/*
 * urlpolicy: which URLs and refs a pull request may make pullcheck fetch
 * (urlpolicy.h). No network: strings in, a sentence out.
 */
#define G_LOG_DOMAIN "pullcheck-urlpolicy"

#include <git2.h>
#include <string.h>

#include "urlpolicy.h"

#define MAX_URL 2048
#define MAX_REF 255

/* git_reference_name_is_valid() wants libgit2 set up; once is enough. */
static gboolean git_ready(void)
{
	static gsize done;

	if (g_once_init_enter(&done))
		g_once_init_leave(&done, git_libgit2_init() < 0 ? 1 : 2);
	return done == 2;
}

static gboolean has_bad_bytes(const char *s)
{
	for (; *s; s++)
		if ((guchar)*s <= ' ' || *s == 0x7f)
			return TRUE;
	return FALSE;
}

static int default_port(const char *scheme)
{
	if (!strcmp(scheme, "git"))
		return 9418;
	return !strcmp(scheme, "http") ? 80 : 443;
}

/* Host names and IP addresses only: no IDN look-alikes, no tricks. */
static gboolean plain_host(const char *host)
{
	if (!*host)
		return FALSE;
	for (; *host; host++)
		if (!g_ascii_isalnum(*host) && !strchr(".-:", *host))
			return FALSE;
	return TRUE;
}

/* An encoded dot segment still walks up the tree on the server. */
static gboolean has_dot_segment(const char *path)
{
	g_autofree char *plain = g_uri_unescape_string(path, NULL);
	g_auto(GStrv) parts = NULL;

	if (!plain)
		return TRUE;
	parts = g_strsplit(plain, "/", -1);
	for (guint i = 0; parts[i]; i++)
		if (!strcmp(parts[i], ".") || !strcmp(parts[i], ".."))
			return TRUE;
	return FALSE;
}

/* The scheme and host of a parsed URL, or NULL with *@why set. */
static char *url_origin(GUri *uri, const char *url, char **why)
{
	g_autofree char *scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
	g_autofree char *host = NULL;
	int port = g_uri_get_port(uri);

	if (strcmp(scheme, "git") && strcmp(scheme, "http") &&
	    strcmp(scheme, "https")) {
		*why = g_strdup_printf("%s uses %s://; pullcheck fetches only "
				       "git://, http:// and https:// URLs",
				       url, scheme);
		return NULL;
	}
	if (g_uri_get_userinfo(uri)) {
		*why = g_strdup_printf("%s carries credentials (user@ or "
				       "user:password@); pullcheck fetches "
				       "anonymously", url);
		return NULL;
	}
	if (!g_uri_get_host(uri) || !plain_host(g_uri_get_host(uri))) {
		*why = g_strdup_printf("%s has no plain host name", url);
		return NULL;
	}
	host = g_ascii_strdown(g_uri_get_host(uri), -1);
	if (port < 0 || port == default_port(scheme))
		return g_strdup_printf(strchr(host, ':') ? "%s://[%s]" :
				       "%s://%s", scheme, host);
	return g_strdup_printf(strchr(host, ':') ? "%s://[%s]:%d" :
			       "%s://%s:%d", scheme, host, port);
}

/*
 * The one form URLs and allowed prefixes are compared in: scheme and host
 * in lower case, no default port, no credentials, query, fragment or dot
 * segments. A URL to fetch (@repo) loses its trailing slashes and must
 * name a path; a prefix keeps them, and its empty path becomes "/".
 */
static char *normalise(const char *url, gboolean repo, char **why)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree char *origin = NULL, *path = NULL;
	gsize len;

	if (strlen(url) > MAX_URL || has_bad_bytes(url)) {
		*why = g_strdup("the URL is too long or contains spaces or "
				"control characters");
		return NULL;
	}
	if (!strstr(url, "://")) {
		*why = g_strdup_printf("%s is not a URL; local paths, ext:: and "
				       "other transports are never fetched",
				       url);
		return NULL;
	}
	uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_NON_DNS, NULL);
	if (!uri) {
		*why = g_strdup_printf("%s is not a valid URL", url);
		return NULL;
	}
	origin = url_origin(uri, url, why);
	if (!origin)
		return NULL;
	/* Checked as written: g_uri_parse() removes dot segments. */
	if (g_uri_get_query(uri) || g_uri_get_fragment(uri) ||
	    has_dot_segment(strstr(url, "://") + 3)) {
		*why = g_strdup_printf("%s has a query, a fragment or . or .. "
				       "in its path", url);
		return NULL;
	}
	path = g_strdup(g_uri_get_path(uri));
	len = strlen(path);
	while (repo && len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	if (repo && !len) {
		*why = g_strdup_printf("%s names no repository", url);
		return NULL;
	}
	return g_strconcat(origin, len ? path : "/", NULL);
}

/* A prefix matches whole path segments: git.kernel.org is not git.kernel.org.evil. */
static gboolean under_prefix(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(url, prefix, n))
		return FALSE;
	return prefix[n - 1] == '/' || url[n] == '/' || url[n] == '\0';
}

static gboolean allowed(const char *url, const char *const *allow)
{
	for (guint i = 0; allow && allow[i]; i++) {
		g_autofree char *why = NULL;
		g_autofree char *prefix = normalise(allow[i], FALSE, &why);

		if (!prefix)
			g_warning("allow_urls: %s", why);
		else if (under_prefix(url, prefix))
			return TRUE;
	}
	return FALSE;
}

char *pc_urlpolicy_check_url(const char *url, const char *const *allow_urls,
			 char **normalised)
{
	g_autofree char *norm = NULL;
	char *why = NULL;

	if (normalised)
		*normalised = NULL;
	if (!url)
		return g_strdup("the mail names no URL that can be fetched "
				"anonymously");
	norm = normalise(url, TRUE, &why);
	if (!norm)
		return why;
	if (!allowed(norm, allow_urls))
		return g_strdup_printf("%s is not under any of the URL "
				       "prefixes pullcheck may fetch from",
				       norm);
	if (normalised)
		*normalised = g_steal_pointer(&norm);
	return NULL;
}

char *pc_urlpolicy_check_ref(const char *ref)
{
	g_autofree char *shown = NULL, *full = NULL;
	int valid = 0;

	if (!ref)
		return NULL;
	shown = g_strescape(ref, NULL);
	if (!*ref || strlen(ref) > MAX_REF)
		return g_strdup_printf("the ref \"%s\" is empty or too long",
				       shown);
	if (ref[0] == '-')
		return g_strdup_printf("the ref \"%s\" looks like a "
				       "command-line option", shown);
	if (has_bad_bytes(ref) || strstr(ref, "..") || strstr(ref, "@{"))
		return g_strdup_printf("the ref \"%s\" contains spaces, "
				       "control characters, \"..\" or \"@{\"",
				       shown);
	full = g_str_has_prefix(ref, "refs/") || !strcmp(ref, "HEAD") ?
		       g_strdup(ref) : g_strconcat("refs/heads/", ref, NULL);
	if (!git_ready() || git_reference_name_is_valid(&valid, full) < 0 ||
	    !valid)
		return g_strdup_printf("\"%s\" is not a valid git ref name",
				       shown);
	return NULL;
}

gboolean pc_urlpolicy_allows(const char *url, const char *const *allow)
{
	const char *rest = strstr(url, "://");

	return rest && !has_dot_segment(rest + 3) && allowed(url, allow);
}
