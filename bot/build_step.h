/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build_step: what both recipes of build.c share, for build.c and
 * build_kernel.c only: one run's budget, its steps in the sandbox, the
 * notes it leaves in the build log, the output directory and the space
 * it needs.
 */
#ifndef PC_BUILD_STEP_H
#define PC_BUILD_STEP_H

#include "build.h"

G_BEGIN_DECLS

/* One pc_build_run(): what it was asked, what it found so far. */
typedef struct {
	const PcBuildSpec *spec;
	PcBuildResult *result;
	gint64 deadline;	/* monotonic, µs */
	char *jobs;		/* "-jN" */
	gint64 lap;		/* when the last step ended, for the debug log */
	/* The stage running ("rust", "full"), named in each progress line. */
	const char *stage;
	/* The fragment the config target is given (build.c reads it). */
	const char *fragment;
	/* A read-write directory kept between builds (ccache); NULL: none. */
	const char *cache;
	const char *cache_mount;
	/* Where a step starts, inside; NULL: the tree. */
	const char *chdir;
} PcBuildRun;

/*
 * What no sandbox may show (the state directory, password files,
 * credentials). (transfer container; NULL-terminated)
 */
GPtrArray *pc_build_step_secret_paths(const PcConfig *config);

/* How long a step of our own took, for G_MESSAGES_DEBUG=pullcheck-build. */
void pc_build_step_lap(PcBuildRun *b, const char *step);

/* A line of our own in the build log, so a reader sees each step. */
void pc_build_step_note(PcBuildRun *b, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

/*
 * Runs @argv in the sandbox, on @root (NULL: the host's /usr), with the
 * tree at @src_mount and the output at @out_mount. Returns FALSE when it
 * could not run, was stopped (timeout, cancel, a signal) or ran out of
 * space: the build is then not checkable, and a reason says why. *@ok
 * says whether it exited 0.
 */
gboolean pc_build_step_run(PcBuildRun *b, const char *root,
			   const char *src_mount, const char *out_mount,
			   const char *const *argv, const char *const *env,
			   gboolean *ok);

/*
 * pc_build_step_run(), with the output going to @log_path (replaced) and
 * to no on_line callback: for a step whose output pullcheck reads
 * itself, not one a maintainer reads in the build log.
 */
gboolean pc_build_step_run_quiet(PcBuildRun *b, const char *root,
				 const char *src_mount, const char *out_mount,
				 const char *const *argv,
				 const char *const *env, const char *log_path,
				 gboolean *ok);

/*
 * Empties the output directory @out, keeping the directory (it may be a
 * mount point); makes it if missing.
 */
gboolean pc_build_step_empty_out(const char *out, GError **error);

/*
 * @text as the body of a printf '...' format: \, %, ' and newlines
 * escaped. (transfer full)
 */
char *pc_build_step_printf_quoted(const char *text);

/* Replaces @result's verdict with @verdict (verdict.h). */
void pc_build_step_verdict(PcBuildResult *result, const char *verdict);

G_END_DECLS

#endif
