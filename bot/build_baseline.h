/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build_baseline: whether a failed build's errors are the pull
 * request's own. job.c builds the base (the "changes since" commit, else
 * the merge-base with mainline) the way the tip was built; this module
 * keeps that result in a cache, keyed by everything that decides it, and
 * compares the two: an error the base has too is not the pull request's.
 *
 * Errors are matched by tool, file, message and code (rustc's E0061,
 * clang's -W flag), never by line or column: the pull request may move
 * the base's error down a file without adding one.
 */
#ifndef PC_BUILD_BASELINE_H
#define PC_BUILD_BASELINE_H

#include <glib.h>

#include "build.h"
#include "buildlog.h"

G_BEGIN_DECLS

/* Most errors of one build remembered; the rest are counted only. */
#define PC_BASELINE_MAX_ERRORS 1000

/* What a failed build of the tip needs from its base. */
typedef enum {
	PC_BASELINE_NONE,  /* nothing: it passed, or failed before a build */
	PC_BASELINE_BUILD, /* the base built the same way, to compare errors */
	PC_BASELINE_CONFIGURE, /* only whether the base has CONFIG_RUST=y */
	PC_BASELINE_BOOT,      /* the base booted the same way ([boot]) */
} PcBaselineNeed;

/* One error, as compared: all four fields are owned. */
typedef struct {
	char *tool;
	char *file;	/* "" when the log named none */
	char *message;	/* without the code */
	char *code;	/* "E0061", "-Wunused"; "" for none */
} PcBaselineError;

/* The base's build as far as the comparison needs it. */
typedef struct {
	char *commit;		/* hex */
	/*
	 * pass | fail | could-not-check: its build's, or for
	 * PC_BASELINE_BOOT its boot's, first_error then the boot's own
	 * words for how it failed
	 */
	char *verdict;
	char *config_rust;	/* NULL: no .config was read */
	char *first_error;	/* one line; NULL: none */
	GPtrArray *errors;	/* PcBaselineError*, at most PC_BASELINE_MAX_ERRORS */
	gboolean cached;	/* loaded from the cache */
	double duration_s;	/* its build, for this job; 0 from the cache */
} PcBaseline;

void pc_baseline_clear(PcBaseline *base);

/* What @tip, a finished build of the tip, needs of the base. */
PcBaselineNeed pc_baseline_need(const PcBuildResult *tip);

/*
 * The cache key of the base @commit built as @tip was: the commit, the
 * build root's toolchain, the config target and fragment, the coverage,
 * the targets and @need; for PC_BASELINE_BOOT also the bootable config
 * (its output directory's name holds its fragment's digest) and the
 * accelerator the tip's boot ran with. 64 hex digits. (transfer full)
 */
char *pc_baseline_key(const char *commit, const PcBuildResult *tip,
		      PcBaselineNeed need);

/*
 * Reads @dir/@key.json into @out (zeroed or cleared). FALSE when there
 * is none, or it is not one this module wrote (too large, not JSON, a
 * field missing or of the wrong type): a miss, to be built again.
 */
gboolean pc_baseline_load(const char *dir, const char *key, PcBaseline *out);

/*
 * Writes @base to @dir/@key.json, atomically (a reader sees the old
 * file or the new one), making @dir if needed. Only a base whose build
 * was checked (pass or fail, or a known CONFIG_RUST) is worth keeping:
 * for another, TRUE without writing anything.
 */
gboolean pc_baseline_save(const char *dir, const char *key,
			  const PcBaseline *base, GError **error);

/*
 * Fills @out (zeroed or cleared) from @result, the base @commit's build:
 * its verdict, CONFIG_RUST, first error and every error of its log.
 */
void pc_baseline_from_build(PcBaseline *out, const char *commit,
			    const PcBuildResult *result);

/*
 * Fills @out (zeroed or cleared) from @result, the base @commit's boot
 * (its build run with PcBuildSpec.boot_only): the boot's status as the
 * verdict, and for one that did not pass, its text as the first error.
 */
void pc_baseline_from_boot(PcBaseline *out, const char *commit,
			   const PcBuildResult *result);

/*
 * The errors among @diags (PcDiagnostic*), each split into message and
 * code. (transfer full: PcBaselineError*)
 */
GPtrArray *pc_baseline_errors(GPtrArray *diags);

/*
 * Judges @tip, a failed build, against @base, the base's build (its
 * verdict could-not-check when it could not be built: @why says why)
 * and records @tip->baseline. @tip_errors: every error of the tip's log
 * (PcDiagnostic*, from pc_buildlog_parse), or NULL to use
 * @tip->diagnostics.
 *
 * An error the base has too (by tool, file, message and code; each of
 * the base's matches one of the tip's) is not the pull request's. When
 * the tip adds none, its verdict becomes could-not-check (reason "base-broken",
 * the build's own "build-failed" kept as information); when it adds
 * some, it stays a fail and its diagnostics become the new errors only,
 * the reason counting the base's. When CONFIG_RUST is off on the tip
 * and on the base too, "rust-disabled" gives way to could-not-check
 * ("base-rust-disabled"). A base that could not be built makes the
 * verdict could-not-check ("base-unchecked"): which errors are whose
 * is then not known.
 *
 * A failed boot (PC_BASELINE_BOOT) against the base's boot: a base that
 * boots leaves the fail the pull request's, and its boot reason says
 * so; a base that fails to boot too makes it could-not-check
 * ("base-boot-broken": whether the pull request's tree would boot on a
 * base that does is not known); a base whose boot could not be tried,
 * could-not-check ("base-unchecked"). The tip's own boot reason is kept
 * as information in both.
 */
void pc_baseline_judge(PcBuildResult *tip, GPtrArray *tip_errors,
		       const PcBaseline *base, const char *why);

/*
 * Every error diagnostic of the build log at @log_path (at most
 * PC_BASELINE_MAX_ERRORS), file names relative to @src_prefix; NULL
 * when the log cannot be read. (transfer full: PcDiagnostic*)
 */
GPtrArray *pc_baseline_read_log(const char *log_path, const char *src_prefix);

G_END_DECLS

#endif
