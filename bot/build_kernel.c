// SPDX-License-Identifier: GPL-2.0-only
/*
 * build_kernel: the kernel recipe.
 *
 * It follows netdev's CI for Rust builds: allmodconfig
 * with a fragment that asks for CONFIG_RUST=y and turns off what blocks
 * it (COMPILE_TEST selects full randstruct; MODVERSIONS excludes Rust on
 * 6.12), `rustavailable` to tell our toolchain's faults from the tree's,
 * then a check that CONFIG_RUST really is y in the .config built: a build
 * with Rust silently off is never a pass.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <string.h>

#include "build_kernel.h"
#include "fileio.h"
#include "kbuild.h"
#include "reason.h"
#include "verdict.h"

/* allmodconfig's .config is about 300 KiB; one past this is no kernel's. */
#define MAX_CONFIG_BYTES (16 * 1024 * 1024)

const char pc_build_rust_fragment[] =
	"CONFIG_RUST=y\n"
	"CONFIG_RANDSTRUCT_NONE=y\n"
	"# CONFIG_MODVERSIONS is not set\n";

/* Kept identical between runs, so kbuild's output does not churn. */
static const char *const KERNEL_ENV[] = {
	"PATH=/usr/bin:/bin",
	"HOME=/tmp",
	"LANG=C.UTF-8",
	"KBUILD_BUILD_USER=pullcheck",
	"KBUILD_BUILD_HOST=pullcheck",
	"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
	NULL,
};

static gboolean make(PcBuildRun *b, const char *step, const char *const *targets,
		     gboolean *ok)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *joined = g_strjoinv(" ", (char **)targets);

	pc_build_step_note(b, "make %s", joined);
	g_ptr_array_add(argv, "make");
	g_ptr_array_add(argv, "LLVM=1");
	g_ptr_array_add(argv, "O=" PC_BUILDROOT_OUT);
	g_ptr_array_add(argv, b->jobs);
	g_ptr_array_add(argv,
			"KCONFIG_ALLCONFIG=" PC_BUILDROOT_OUT "/"
			PC_BUILD_FRAGMENT_NAME);
	if (!g_strcmp0(step, "targets"))
		g_ptr_array_add(argv, "-k");	/* every error, not the first */
	for (const char *const *t = targets; *t; t++)
		g_ptr_array_add(argv, (gpointer)*t);
	g_ptr_array_add(argv, NULL);
	return pc_build_step_run(b, b->spec->config->build_root,
				 PC_BUILDROOT_SRC, PC_BUILDROOT_OUT,
				 (const char *const *)argv->pdata, KERNEL_ENV,
				 ok);
}

static void set_reproduce(PcBuildRun *b, char **targets)
{
	const PcBuildSpec *spec = b->spec;
	g_autofree char *joined = targets ? g_strjoinv(" ", targets) : NULL;
	GPtrArray *r = g_ptr_array_new();

	pc_build_source_lines(spec, r);
	g_ptr_array_add(r, g_strdup("$ printf 'CONFIG_RUST=y\\nCONFIG_RANDSTRUCT_NONE=y"
				    "\\n# CONFIG_MODVERSIONS is not set\\n' "
				    ">rust.config"));
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out KCONFIG_ALLCONFIG="
				    "$PWD/rust.config allmodconfig"));
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out rustavailable"));
	g_ptr_array_add(r, g_strdup("$ grep CONFIG_RUST= out/.config"));
	if (targets) {
		g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out -j$(nproc) prepare"));
		g_ptr_array_add(r, g_strdup_printf("$ make LLVM=1 O=out -j$(nproc) -k %s",
						   joined));
	} else {
		g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out -j$(nproc)"));
	}
	g_ptr_array_add(r, NULL);
	b->result->reproduce = (char **)g_ptr_array_free(r, FALSE);
}

/*
 * The .config the build left in @out, read without following a link or
 * blocking on a FIFO: the tree's own Makefile ran there. NULL, with the
 * reason added to @result, when there is none to read. (transfer full)
 */
static char *read_config(const char *out, PcBuildResult *result)
{
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (pc_fileio_read_below(out, ".config", MAX_CONFIG_BYTES, &text, NULL,
				 &error))
		return text;
	if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
		pc_reasons_add(result->reasons, "config-missing",
			       PC_SEVERITY_INFRA, "allmodconfig left no .config");
	else
		pc_reasons_add(result->reasons, "config-unreadable",
			       PC_SEVERITY_INFRA,
			       "the .config the build left was not read: %s",
			       error->message);
	return NULL;
}

gboolean pc_build_check_rust_config(const char *src, const char *out,
				    PcBuildResult *result)
{
	g_autofree char *text = read_config(out, result);
	g_autofree char *why = NULL;

	if (!text)
		return FALSE;
	result->config_rust = pc_kbuild_config_value(text, "RUST");
	if (!strcmp(result->config_rust, "y"))
		return TRUE;
	why = pc_kbuild_explain_rust_off(src, text);
	pc_reasons_add(result->reasons, "rust-disabled", PC_SEVERITY_ERROR,
		       "CONFIG_RUST is %s in the .config allmodconfig made "
		       "with CONFIG_RUST=y asked for, so Rust cannot be "
		       "built: init/Kconfig: %s",
		       result->config_rust, *why ? why : "(no config RUST)");
	pc_build_step_verdict(result, PC_VERDICT_FAIL);
	return FALSE;
}

static gboolean configure(PcBuildRun *b)
{
	const char *const allmodconfig[] = { "allmodconfig", NULL };
	const char *const rustavailable[] = { "rustavailable", NULL };
	gboolean ok;

	if (!make(b, "allmodconfig", allmodconfig, &ok))
		return FALSE;
	if (!ok) {
		pc_reasons_add(b->result->reasons, "config-failed",
			       PC_SEVERITY_ERROR, "make allmodconfig failed");
		pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
		return FALSE;
	}
	if (!make(b, "rustavailable", rustavailable, &ok))
		return FALSE;
	if (!ok) {
		pc_reasons_add(b->result->reasons, "rust-unavailable",
			       PC_SEVERITY_INFRA,
			       "make rustavailable says the build root's Rust "
			       "toolchain does not suit this tree");
		return FALSE;
	}
	return pc_build_check_rust_config(b->spec->src, b->spec->out,
					  b->result);
}

static void compile(PcBuildRun *b)
{
	const char *const prepare[] = { "prepare", NULL };
	g_auto(GStrv) targets = NULL;
	gboolean ok;

	if (!strcmp(b->result->scope, "rust")) {
		g_autofree char *config = read_config(b->spec->out, b->result);

		if (!config)
			return;
		targets = pc_kbuild_rust_targets(b->spec->src,
						 b->spec->rust_files,
						 b->spec->changed, config);
		b->result->targets = g_strdupv(targets);
		pc_build_step_lap(b, "rust targets");
		if (!make(b, "prepare", prepare, &ok))
			return;
		if (ok && !make(b, "targets", (const char *const *)targets, &ok))
			return;
	} else {
		const char *const all[] = { "all", NULL };

		b->result->targets = g_strdupv((char **)all);
		if (!make(b, "all", all, &ok))
			return;
	}
	b->result->coverage = g_strdup(b->result->scope);
	if (!ok) {
		pc_reasons_add(b->result->reasons, "build-failed",
			       PC_SEVERITY_ERROR, "the %s-scope build failed",
			       b->result->scope);
		pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
		return;
	}
	pc_reasons_add(b->result->reasons, "scope", PC_SEVERITY_INFO,
		       !strcmp(b->result->scope, "rust")
			       ? "scope rust: prepare, rust/ and every Rust "
				 "object and changed C object were built, not "
				 "all of vmlinux and the modules"
			       : "scope full: vmlinux and all modules were built");
	pc_build_step_verdict(b->result, PC_VERDICT_PASS);
}

void pc_build_kernel_recipe(PcBuildRun *b)
{
	g_autoptr(GError) error = NULL;

	b->result->scope = g_strdup(b->spec->config->build_scope);
	b->result->kconfig = g_strdup("allmodconfig");
	b->result->fragment = g_strdup(pc_build_rust_fragment);
	if (!pc_buildroot_check(b->spec->config->build_root, &error) ||
	    !pc_buildroot_toolchain(b->spec->config->build_root,
				    &b->result->toolchain, &error)) {
		pc_reasons_add(b->result->reasons, "toolchain-missing",
			       PC_SEVERITY_INFRA, "%s", error->message);
		return;
	}
	pc_build_step_lap(b, "build root and toolchain");
	pc_build_step_note(b, "toolchain: %s; %s; %s; %s",
			   b->result->toolchain.rustc,
			   b->result->toolchain.bindgen,
			   b->result->toolchain.clang, b->result->toolchain.lld);
	if (configure(b))
		compile(b);
	set_reproduce(b, !strcmp(b->result->scope, "rust") ? b->result->targets
							  : NULL);
}
