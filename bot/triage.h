/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * triage: which mail gets a job, and what thread and topic a pull
 * request belongs to. Pure decisions on the parsed mail; the limits that
 * need the store (per sender, per thread) are queue.c's.
 */
#ifndef PC_TRIAGE_H
#define PC_TRIAGE_H

#include <glib.h>

#include "config.h"
#include "mail.h"

G_BEGIN_DECLS

/*
 * Why @mail must get no reply whatever it holds: an automatic message
 * (Auto-Submitted other than "no"), mail from ourselves ([reply] from),
 * a sender on [reply] opt_out (shell-style patterns on the address), or
 * a "pullcheck: no" line of its own in the body. NULL when none of
 * these holds. (transfer full)
 */
char *pc_triage_refusal(const PcConfig *config, const PcMail *mail);

/*
 * The addresses of @mail's To and Cc that [reply] top_level names
 * (shell-style patterns, caseless): the policy binds a pull request only
 * when one is there. Empty when none is. (transfer full, NULL-terminated)
 */
char **pc_triage_top_level(const PcConfig *config, const PcMail *mail);

/* Whether @addr (a bare address) is one [reply] top_level names. */
gboolean pc_triage_is_top_level(const PcConfig *config, const char *addr);

/*
 * Whether @mail asks for a check again: a reply (it has In-Reply-To or
 * References) with a line "pullcheck: recheck" of its own, not quoted.
 */
gboolean pc_triage_asks_recheck(const PcMail *mail);

/*
 * Whether @mail says a pull request of its thread was pulled: a reply
 * whose own (unquoted) text says it "has been merged into" a tree, as
 * pr-tracker-bot's acknowledgement does. For the digest's order only:
 * anyone can write it.
 */
gboolean pc_triage_merge_ack(const PcMail *mail);

/* The Message-ID of the thread's root: first of References, else
 * In-Reply-To, else the message's own. (transfer none) */
const char *pc_triage_thread(const PcMail *mail);

/*
 * The subject as a topic: lower case, without "Re:"/"Fwd:" and without
 * the version in a "[GIT PULL v2]" tag, so a corrected request finds the
 * one it replaces. (transfer full)
 */
char *pc_triage_topic(const char *subject);

/*
 * The repository a fetch URL names, as a key for superseding: host in
 * lower case, the port if one is written, the path without a trailing
 * "/" or ".git"; the scheme left out, since git:// and https:// of a
 * host serve the same repositories. NULL for NULL or no URL.
 * (transfer full)
 */
char *pc_triage_repository(const char *fetch_url);

G_END_DECLS

#endif
