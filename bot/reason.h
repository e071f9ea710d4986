/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reason: one finding of a check, with a stable code for machines and a
 * sentence for people. Fetch, build and the job all speak in these.
 */
#ifndef PC_REASON_H
#define PC_REASON_H

#include <glib.h>

G_BEGIN_DECLS

#define PC_SEVERITY_ERROR "error"	/* the policy is not met */
/*
 * The pull request is not as its mail says (tip or tag elsewhere, ref
 * not there, base not an ancestor): nothing is built, and the verdict
 * is could not check, worded as "could not be verified as sent".
 */
#define PC_SEVERITY_UNVERIFIED "unverified"
#define PC_SEVERITY_WARNING "warning"	/* worth a maintainer's look */
#define PC_SEVERITY_INFO "info"
#define PC_SEVERITY_INFRA "infra"	/* our side: the check could not run */

typedef struct {
	char *code;	/* stable, e.g. "tip-mismatch" */
	char *severity;	/* one of PC_SEVERITY_* */
	char *text;	/* one sentence */
} PcReason;

void pc_reason_free(PcReason *reason);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcReason, pc_reason_free)

/* A new array that frees its PcReasons. (transfer full) */
GPtrArray *pc_reasons_new(void);

/* Appends a reason whose text is printf(@fmt, ...). */
void pc_reasons_add(GPtrArray *reasons, const char *code,
		    const char *severity, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* The first reason of @severity, or NULL. (transfer none) */
const PcReason *pc_reasons_find(GPtrArray *reasons, const char *severity);

/*
 * How much @severity weighs: error 4, unverified 3, infra 2, warning 1,
 * anything else 0.
 */
int pc_severity_rank(const char *severity);

/*
 * The cause of the verdict: the first reason of the highest severity
 * (error, unverified, infra, warning), never merely the first one found;
 * NULL for none. (transfer none)
 */
const PcReason *pc_reasons_worst(GPtrArray *reasons);

G_END_DECLS

#endif
