/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * result: the job result — what one check learned (verdict, reasons,
 * fetch, build) as one JSON object: `check --json` prints it, the store
 * keeps it, the reply templates read it. This module writes it
 * (result_writer.h, for job.c) and reads it back, so its key names are
 * spelled in result.c and, for the operator's templates, in templates/.
 *
 * The readers take the result as written or as read back from the
 * store, and trust neither: a member that is missing or of another type
 * reads as NULL (0).
 */
#ifndef PC_RESULT_H
#define PC_RESULT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "verdict.h"

G_BEGIN_DECLS

/* @text (a stored result) as an object, NULL if it is none. (transfer full) */
JsonObject *pc_result_parse(const char *text);

/*
 * The job key: a hash of the Message-ID and the body, because
 * Message-IDs are not always unique in the wild. The result's "job".
 * (transfer full)
 */
char *pc_result_job_key(const char *message_id, const char *body_sha256);

const char *pc_result_verdict(JsonObject *result);

/*
 * The outcome: the result's "outcome" when it is one of its verdict's,
 * else (a result written before it was) as verdict.c derives it from
 * the verdict, the build and the cause.
 */
PcOutcome pc_result_outcome(JsonObject *result);

/*
 * What was built, borrowed from @result: the recipe, the coverage (for
 * a result written before build.coverage, the scope it then mirrored)
 * and the kconfig. FALSE, all NULL, when nothing was built.
 */
gboolean pc_result_ran(JsonObject *result, PcCoverage *ran);

/*
 * The cause the verdict line names: the first reason of the highest
 * severity, the one that decided the verdict, not a warning that
 * happened to come first. (transfer none)
 */
const char *pc_result_cause(JsonObject *result);
/* The code of that finding, as pc_result_cause. */
const char *pc_result_cause_code(JsonObject *result);

/*
 * The first error: a compiler's ("file:line: message"; @brief: the
 * file's base name only), else the first reason that is an error, else,
 * for a could-not-check @verdict, what stopped us. (transfer full)
 */
char *pc_result_first_error(JsonObject *result, const char *verdict,
			    gboolean brief);

/* The first diagnostic of any severity, as above, else NULL. (transfer full) */
char *pc_result_first_diagnostic(JsonObject *result);

/* --- the fetch: all NULL (0, FALSE) when nothing was fetched --- */

gboolean pc_result_fetched(JsonObject *result);
const char *pc_result_tip(JsonObject *result);
/* verified, unknown-key, bad, unchecked, none; NULL when not fetched */
const char *pc_result_signature(JsonObject *result, const char **signer);
gint64 pc_result_commits(JsonObject *result);
/* FALSE when the result has no diffstat (no tip, or files_changed null). */
gboolean pc_result_diffstat(JsonObject *result, gint64 *files,
			    gint64 *insertions, gint64 *deletions);

/* --- the build: all NULL (0, FALSE) when nothing was built --- */

gboolean pc_result_built(JsonObject *result);
const char *pc_result_recipe(JsonObject *result);
const char *pc_result_scope(JsonObject *result);
/* boot.status: pass, fail, could-not-check; NULL when not run. */
const char *pc_result_boot_status(JsonObject *result);
/*
 * One line on the boot for the feed and the dashboard, beside the
 * build's: "boot: pass (QEMU with KVM, 3 s, ...)"; NULL when no boot
 * ran. (transfer full)
 */
char *pc_result_boot_line(JsonObject *result);

/* build.coverage: full, rust, command; NULL when nothing was built. */
const char *pc_result_coverage(JsonObject *result);
/* build.kconfig: the config target, NULL for recipe command. */
const char *pc_result_kconfig(JsonObject *result);
/* tip | merge, and the commit built */
const char *pc_result_tree(JsonObject *result, const char **commit);
/* The tools whose versions the result names, in order. (NULL-terminated) */
const char *const *pc_result_tools(void);
/* @tool's own first line of --version */
const char *pc_result_tool_version(JsonObject *result, const char *tool);
double pc_result_duration(JsonObject *result);
/* How many diagnostics the result holds (the first ones of them all). */
guint pc_result_diagnostics_shown(JsonObject *result);
const char *pc_result_log_path(JsonObject *result);
/* The commands that reproduce the build, one a line. (transfer full) */
char *pc_result_reproduce(JsonObject *result);

G_END_DECLS

#endif
