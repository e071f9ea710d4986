/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reply: the answer to a pull request, as a threaded RFC 5322 message
 * rendered from the templates in templates/.
 */
#ifndef PC_REPLY_H
#define PC_REPLY_H

#include <glib.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "mail.h"
#include "pullreq.h"

G_BEGIN_DECLS

#define PC_REPLY_ERROR (pc_reply_error_quark())
GQuark pc_reply_error_quark(void);

typedef enum {
	PC_REPLY_ERROR_TEMPLATE,	/* a template is missing or bad */
	PC_REPLY_ERROR_ADDRESS,		/* no address to reply to or from */
	PC_REPLY_ERROR_HEADER,		/* a header would hold a control char */
} PcReplyError;

/* Who hears of a verdict (DESIGN.md, "Replies"). */
typedef enum {
	PC_REPLY_NOBODY,	/* no mail: the feed, dashboard and digest */
	PC_REPLY_SENDER,	/* the sender, the lists, the top level on a fail */
	PC_REPLY_OPERATOR,	/* our side could not check: [reply] contact */
} PcReplyAudience;

/*
 * Who hears of @result (the job result) for @mail: the policy reply
 * goes only to a pull request addressed to a [reply] top_level
 * recipient; a could-not-check for our own reasons (the network,
 * mainline, the sandbox, the toolchain, the disk) only to [reply]
 * contact, and to nobody without one. With @why, why it is not the
 * sender: NULL for PC_REPLY_SENDER. (transfer full)
 */
PcReplyAudience pc_reply_audience(const PcConfig *config, const PcMail *mail,
				  JsonObject *result, char **why);

/*
 * Renders the reply to @mail for @result, the job result object as
 * `pullcheck check --json` prints it (verdict, reasons, fetch, build).
 * Templates come from [reply] templates, else the built-in copies.
 * (transfer full)
 */
GMimeMessage *pc_reply_build(const PcConfig *config, const PcMail *mail,
			     const PcPullreq *pr, JsonObject *result,
			     GError **error);

/*
 * Who gets the reply to @mail for @result, by pc_reply_audience: for the
 * sender, the sender and, on a fail, the [reply] top_level recipients
 * it was addressed to (To), then each address of its To and Cc that
 * [reply] cc_lists names (Cc), each once; for the operator, [reply]
 * contact alone; for nobody, an empty list. This list, made with the
 * reply, is its envelope: pullcheck never reads recipients back from a
 * rendered reply. NULL with PC_REPLY_ERROR_ADDRESS when the mail has no
 * sender a reply can go to, or [reply] contact is no address.
 * (transfer full, NULL-terminated)
 */
char **pc_reply_recipients(const PcConfig *config, const PcMail *mail,
			   JsonObject *result, GError **error);

/*
 * The domain of [reply] from, lower case, with only letters, digits,
 * dots and hyphens: what both a Message-ID's right side and a tag: URI
 * (RFC 4151) accept, so the replies', the digest's and the feed's ids
 * name the same domain. "pullcheck.invalid" when there is none.
 * (transfer full)
 */
char *pc_reply_from_domain(const PcConfig *config);

/*
 * The reply's Message-ID (without brackets): the same pull request and
 * verdict always give the same one, so a repeat collapses in an archive
 * that deduplicates by Message-ID. A re-check's reply passes its key
 * with @tip, so that it is a message of its own. (transfer full)
 */
char *pc_reply_message_id(const PcConfig *config, const PcMail *mail,
			  const char *verdict, const char *tip);

G_END_DECLS

#endif
