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
} PcReplyError;

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
 * The reply's Message-ID (without brackets): the same pull request and
 * verdict always give the same one, so a repeat collapses in an archive
 * that deduplicates by Message-ID. (transfer full)
 */
char *pc_reply_message_id(const PcConfig *config, const PcMail *mail,
			  const char *verdict, const char *tip);

G_END_DECLS

#endif
