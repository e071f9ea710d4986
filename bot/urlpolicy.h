/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * urlpolicy: the checks on a URL and a ref that a mail names, before
 * anything touches the network, and on every URL a fetch then requests.
 *
 * URLs and allowed prefixes are compared in one form: scheme and host in
 * lower case, no default port, no credentials, query, fragment or dot
 * segments. A prefix matches whole path segments, so git.kernel.org is
 * not git.kernel.org.evil.
 */
#ifndef PC_URLPOLICY_H
#define PC_URLPOLICY_H

#include <glib.h>

G_BEGIN_DECLS

/*
 * NULL if @url may be fetched under @allow_urls (prefixes,
 * NULL-terminated), else one sentence saying why not. (transfer full)
 * @normalised, if not NULL, receives the URL to fetch. (transfer full)
 */
char *pc_urlpolicy_check_url(const char *url, const char *const *allow_urls,
			     char **normalised);

/* NULL if @ref (NULL: the remote's HEAD) may be asked for, else why not. */
char *pc_urlpolicy_check_ref(const char *ref);

/*
 * Whether a request's URL, already in the compared form (as stream.c
 * builds it), is under @allow and has no dot segment.
 */
gboolean pc_urlpolicy_allows(const char *url, const char *const *allow);

G_END_DECLS

#endif
