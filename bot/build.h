/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build: the recipe that decides whether a tree meets the policy.
 *
 * "kernel": x86-64 allmodconfig with CONFIG_RUST=y, LLVM=1, in the build
 * root, in one of two scopes (rust, full). "command": a configured argv
 * run in the same sandbox, for other trees and for tests.
 */
#ifndef PC_BUILD_H
#define PC_BUILD_H

#include <gio/gio.h>

#include "buildroot.h"
#include "config.h"
#include "sandbox.h"

G_BEGIN_DECLS

#define PC_BUILD_ERROR (pc_build_error_quark())
GQuark pc_build_error_quark(void);

typedef enum {
	PC_BUILD_ERROR_SETUP,	/* the output directory, the log */
	PC_BUILD_ERROR_NO_SPACE,	/* their file system is full */
} PcBuildError;

/* The fragment allmodconfig is given (KCONFIG_ALLCONFIG). */
extern const char pc_build_rust_fragment[];

typedef struct {
	const PcConfig *config;
	const char *src;	/* the tree, on the host */
	const char *out;	/* O=, kept between builds of this tree kind */
	const char *log_path;	/* the whole build log */
	/* Files base..tip changes, relative to @src; NULL if unknown. */
	const char *const *changed;
	/*
	 * Every .rs file of @src, relative to it (PcFetchResult.rust_files);
	 * NULL if unknown: the rust scope then walks @src to find them.
	 */
	const char *const *rust_files;
	/* For the reproduce commands: what a maintainer would fetch. */
	const char *fetch_url;
	const char *ref;
	const char *tip;
	/*
	 * When the tree built is the tip merged into mainline ([fetch]
	 * tree = merge): mainline's URL and the commit merged into; NULL
	 * when the tip was built as it is.
	 */
	const char *mainline_url;
	const char *merged_into;
	PcSandboxLineFunc on_line;
	gpointer on_line_data;
	GCancellable *cancellable;
	/*
	 * For the build of a pull request's base (job.c), which must build
	 * what the tip's build did: make exactly @targets after prepare
	 * (NULL: the scope chooses) and call that coverage @coverage.
	 */
	const char *const *targets;
	const char *coverage;
	/*
	 * Stop after allmodconfig, rustavailable and the CONFIG_RUST
	 * check: whether the base has Rust on is all job.c asks then.
	 */
	gboolean configure_only;
	/*
	 * Only the boot ([boot]): the bootable build in its own output
	 * directory and QEMU, no config or stage of [build]; for the base
	 * of a pull request whose boot failed (job.c).
	 */
	gboolean boot_only;
} PcBuildSpec;

/*
 * The base's build that a failed build was compared with
 * (build_baseline.h): plain data for the job result, build.baseline.
 */
typedef struct {
	char *commit;		/* hex */
	char *verdict;		/* the base's: pass | fail | could-not-check */
	gboolean cached;	/* from the cache: not built for this job */
	double duration_s;	/* the base's build for this job; 0 when cached */
	char *config_rust;	/* CONFIG_RUST in the base's .config; NULL: unknown */
	char *first_error;	/* the base's, one line; NULL: none */
	guint errors_common;	/* the tip's errors the base has too */
	guint errors_new;	/* the tip's errors the base does not have */
} PcBuildBaseline;

void pc_build_baseline_free(PcBuildBaseline *baseline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcBuildBaseline, pc_build_baseline_free)

/*
 * One stage of a kernel build: "rust" (the fast one: prepare, rust/, the
 * Rust objects and what the changed files reach) or "full" (make all:
 * vmlinux, modules, modpost), in the order they ran.
 */
typedef struct {
	char *name;
	gboolean ok;		/* make exited 0 */
	double seconds;		/* wall time, listing and every make of it */
	char **targets;		/* what make was asked for after prepare */
} PcBuildStage;

/*
 * The boot (issue 16): the bootable config (defconfig, kvm_guest.config,
 * CONFIG_RUST=y and the Rust samples built in) built in its own output
 * directory and booted in QEMU in the sandbox. Plain data for the job
 * result's "boot".
 */
typedef struct {
	char *status;		/* pass | fail | could-not-check */
	char *config;		/* [boot] config: defconfig | small */
	char *reason;		/* the boot-* code; NULL for a pass */
	char *text;		/* what happened, one line */
	char *accel;		/* kvm | tcg; NULL: QEMU did not run */
	char *accel_why;	/* why TCG though /dev/kvm opens; NULL: not so */
	double seconds;		/* QEMU's run */
	double build_seconds;	/* the bootable build */
	char *out_dir;		/* its output directory, on the host */
	char *first_bad;	/* the console's first bad line; NULL: none */
	char *excerpt;		/* the console around it (bounded) */
	char **samples;		/* each Rust sample's init line, as printed */
	char *console_path;	/* the whole console (bounded) */
	char *sandbox;		/* what the sandbox was seen to be */
	char **reproduce;	/* shell lines: build, initramfs, QEMU */
} PcBootResult;

void pc_boot_result_free(PcBootResult *boot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcBootResult, pc_boot_result_free)

typedef struct {
	char *verdict;		/* pass | fail | could-not-check */
	GPtrArray *reasons;	/* PcReason* */
	char *recipe;		/* kernel | command */
	char *scope;		/* rust | full; NULL for recipe command */
	/*
	 * What the build that gave the verdict covered: "full" (make all:
	 * vmlinux, modules, modpost), "rust" (the fast stage only) or
	 * "command" (recipe command). NULL: nothing was built.
	 */
	char *coverage;
	/* The config target: "allmodconfig" unless [build] kconfig says. */
	char *kconfig;
	char *config_rust;	/* CONFIG_RUST in the .config built: y, n; NULL: none read */
	char *fragment;		/* the fragment given to allmodconfig */
	PcToolchain toolchain;
	char **targets;		/* what the stage that gave the verdict built */
	GPtrArray *stages;	/* PcBuildStage*, those that ran */
	double duration_s;	/* all of it */
	double make_s;		/* inside the sandbox */
	GPtrArray *diagnostics;	/* PcDiagnostic*, the first ones */
	guint diagnostics_total;
	char *log_path;
	char **reproduce;	/* shell lines, in order */
	PcBuildBaseline *baseline;	/* NULL: no base was compared */
	PcBootResult *boot;	/* NULL: no boot was tried ([boot] enabled) */
} PcBuildResult;

/*
 * The fragment the config target is given: pc_build_rust_fragment and
 * the lines of [build] kconfig_extra. NULL when that file cannot be
 * read. (transfer full)
 */
char *pc_build_fragment(const PcConfig *config, GError **error);

/*
 * The lines of @fragment that Kconfig reads, for a maintainer to type:
 * its comments and blank lines left out, "# CONFIG_FOO is not set"
 * kept (Kconfig reads it as =n). (transfer full)
 */
char *pc_build_fragment_lines(const char *fragment);

/*
 * The same for the config target @kconfig: for PC_BUILD_KCONFIG_BOOT
 * the Rust samples' lines (pc_build_boot_fragment) come between the two.
 * (transfer full)
 */
char *pc_build_fragment_for(const PcConfig *config, const char *kconfig,
			    GError **error);

/*
 * [build] kconfig = boot, and the boot's own config: make defconfig
 * kvm_guest.config, the fragment merged in (merge_config.sh -m), make
 * olddefconfig.
 */
#define PC_BUILD_KCONFIG_BOOT "boot"
extern const char pc_build_boot_fragment[];

/*
 * [boot] config = small: allnoconfig with these lines (and the Rust
 * fragment, the samples' lines, kconfig_extra) as KCONFIG_ALLCONFIG,
 * instead of defconfig + kvm_guest.config: a kernel that boots to a
 * serial console and an initramfs, for tests and small hosts.
 */
extern const char pc_build_boot_small_fragment[];
gboolean pc_build_boot_small(const PcConfig *config);

/* [boot] enabled = true. */
gboolean pc_build_boot_enabled(const PcConfig *config);

/*
 * pc_build_out_dir() for the config target @kconfig: the boot's output
 * directory is this with PC_BUILD_KCONFIG_BOOT, which is the build's
 * own when [build] kconfig = boot. (transfer full)
 */
char *pc_build_out_dir_for(const PcConfig *config, const char *tree_kind,
			   const char *kconfig);

/*
 * The output directory a build of @tree_kind ("tip", "merge") keeps
 * under [build] cache_dir: one per config for the kernel recipe (its
 * target and a hash of its fragment), so switching configs does not
 * start from nothing. (transfer full)
 */
char *pc_build_out_dir(const PcConfig *config, const char *tree_kind);

/*
 * Builds @spec->src. A build that fails, or one that cannot be checked
 * on our side, is a result with that verdict and its reasons; FALSE is
 * only for an error before anything could run.
 */
gboolean pc_build_run(const PcBuildSpec *spec, PcBuildResult *result,
		      GError **error);
void pc_build_result_clear(PcBuildResult *result);
void pc_build_stage_free(PcBuildStage *stage);

/*
 * The first reproduce lines, the ones that make the tree built: fetch and
 * check out the tip, or check out mainline and merge the tip into it.
 * Appended to @lines (char*, owned by the array's free function).
 */
void pc_build_source_lines(const PcBuildSpec *spec, GPtrArray *lines);

/*
 * Where @recipe's build sees its tree, with a slash: the prefix its
 * log's file names start with. (transfer none)
 */
const char *pc_build_log_prefix(const char *recipe);

/*
 * The kernel recipe's check that the .config allmodconfig left in @out
 * really has CONFIG_RUST=y: sets @result->config_rust and, when Rust is
 * off, adds the reason (explained from @src's init/Kconfig) and makes
 * the verdict fail. FALSE: the build must not go on. @result needs its
 * reasons array. Public so a test can check it without a kernel.
 */
gboolean pc_build_check_rust_config(const char *src, const char *out,
				    PcBuildResult *result);

G_END_DECLS

#endif
