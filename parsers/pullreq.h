/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pullreq: is this mail a pull request, and what does it ask to pull?
 *
 * Pure code. The patterns are compiled once in pc_pullreq_parser_new();
 * one parser serves any number of mails, from one thread at a time.
 */
#ifndef PC_PULLREQ_H
#define PC_PULLREQ_H

#include <glib.h>

#include "mail.h"

G_BEGIN_DECLS

typedef struct _PcPullreqParser PcPullreqParser;

typedef enum {
	PC_TRI_NULL = -1,	/* the mail does not say */
	PC_TRI_FALSE = 0,
	PC_TRI_TRUE = 1,
} PcTri;

/*
 * The answer for one mail. Strings are owned, NULL when absent; never
 * empty strings and never guesses.
 */
typedef struct {
	gboolean is_pull_request;
	/*
	 * Why it is not a pull request; or, for a pull request, what is
	 * wrong with it (no anonymous URL). NULL when there is nothing.
	 */
	char *reason;
	char *repo_url;		/* as written in the mail */
	char *fetch_url;	/* normalised for an anonymous fetch */
	char *ref;		/* as written; NULL means the remote's HEAD */
	char *base_commit;	/* lower-case hex */
	char *end_commit;
	char *tag_commit;	/* the tag object's id, when the mail gives it */
	PcTri signed_tag;
} PcPullreq;

/* (transfer full) Never fails: the patterns are fixed and tested. */
PcPullreqParser *pc_pullreq_parser_new(void);
void pc_pullreq_parser_free(PcPullreqParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcPullreqParser, pc_pullreq_parser_free)

/* Fills @pr from @mail. @pr must be zeroed or cleared. */
void pc_pullreq_parse(PcPullreqParser *parser, const PcMail *mail,
		      PcPullreq *pr);
void pc_pullreq_clear(PcPullreq *pr);

/*
 * The anonymous-fetch form of @url, or NULL with *@why set to a
 * sentence (transfer full) saying why there is none.
 */
char *pc_pullreq_fetch_url(const char *url, char **why);

G_END_DECLS

#endif
