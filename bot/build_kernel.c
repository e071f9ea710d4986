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

#include <glib/gstdio.h>
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

/* The size of the log now: what a step prints is appended after it. */
static goffset log_size(PcBuildRun *b)
{
	GStatBuf st;

	return g_stat(b->spec->log_path, &st) == 0 ? st.st_size : 0;
}

/* make's own "make[1]: Entering directory ..." or "*** [...] Error 1". */
static gboolean is_make_line(const char *line)
{
	if (!g_str_has_prefix(line, "make"))
		return FALSE;
	line += 4;
	if (*line == '[') {
		while (g_ascii_isdigit(*++line))
			;
		if (*line++ != ']')
			return FALSE;
	}
	return g_str_has_prefix(line, ": ");
}

/*
 * What the steps since @from printed, as one line of at most @max
 * bytes: the "***" frames rust_is_available.sh draws and blank lines
 * left out, every other control character a space. The tree's own
 * scripts print it: it is untrusted. (transfer full)
 */
static char *log_since(PcBuildRun *b, goffset from, gsize max)
{
	g_autoptr(GMappedFile) log = g_mapped_file_new(b->spec->log_path,
						      FALSE, NULL);
	g_auto(GStrv) lines = NULL;
	g_autofree char *text = NULL;
	GString *out = g_string_new(NULL);
	char *valid;
	gsize len = log ? g_mapped_file_get_length(log) : 0;

	if ((gsize)from >= len)
		return g_string_free(out, FALSE);
	text = g_strndup(g_mapped_file_get_contents(log) + from,
			 MIN(len - from, 64 * 1024));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l && out->len < max; l++) {
		char *t = *l;

		if (g_str_has_prefix(t, "### pullcheck: ") || is_make_line(t))
			continue;
		while (*t == '*')
			t++;
		g_strstrip(t);
		if (!*t)
			continue;
		if (out->len)
			g_string_append_c(out, ' ');
		g_string_append(out, t);
	}
	/* Control characters become spaces, and runs of spaces one. */
	for (gsize i = 0, o = 0; i <= out->len; i++) {
		char c = out->str[i];

		if (((guchar)c < 0x20 && c) || c == 0x7f)
			c = ' ';
		if (c == ' ' && o && out->str[o - 1] == ' ')
			continue;
		out->str[o++] = c;
		if (!c)
			out->len = o - 1;
	}
	if (out->len > max)
		g_string_truncate(out, max);
	/* A cut in the middle of a character leaves no broken UTF-8. */
	valid = g_utf8_make_valid(out->str, out->len);
	g_string_free(out, TRUE);
	return valid;
}

/* The first "N.N[.N]" in @text, or NULL. (transfer full) */
static char *version_in(const char *text)
{
	for (const char *p = text; p && *p; p++) {
		const char *q = p;

		if (!g_ascii_isdigit(*p) || (p > text && (g_ascii_isalnum(p[-1]) ||
							   p[-1] == '.')))
			continue;
		while (g_ascii_isdigit(*q) || (*q == '.' && g_ascii_isdigit(q[1])))
			q++;
		if (memchr(p, '.', q - p) && q - p <= 32)
			return g_strndup(p, q - p);
	}
	return NULL;
}

/* <0, 0, >0 as version @a is older than, the same as, newer than @b. */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		guint64 x = g_ascii_strtoull(a, (char **)&a, 10);
		guint64 y = g_ascii_strtoull(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a += *a == '.';
		b += *b == '.';
	}
	return 0;
}

/*
 * What the tree's scripts/min-tool-version.sh says @tool must be at
 * least, run in the sandbox like the build; NULL when it says nothing
 * that looks like a version. (transfer full)
 */
static char *min_version(PcBuildRun *b, const char *tool)
{
	const char *const argv[] = { "sh", "scripts/min-tool-version.sh",
				     tool, NULL };
	g_autofree char *said = NULL;
	goffset from;
	gboolean ok;

	pc_build_step_note(b, "scripts/min-tool-version.sh %s", tool);
	from = log_size(b);
	if (!pc_build_step_run(b, b->spec->config->build_root,
			       PC_BUILDROOT_SRC, PC_BUILDROOT_OUT, argv,
			       KERNEL_ENV, &ok) || !ok)
		return NULL;
	said = log_since(b, from, 64);
	return version_in(said);
}

/*
 * make rustavailable failed: our toolchain does not suit the tree, which
 * is no fault of the pull request's. Says what the tree asks for
 * (scripts/min-tool-version.sh) beside what the build root has, and
 * what rust_is_available.sh printed.
 */
static void rust_unavailable(PcBuildRun *b, const char *said)
{
	const PcToolchain *tc = &b->result->toolchain;
	g_autofree char *want_rustc = min_version(b, "rustc");
	g_autofree char *want_bindgen = min_version(b, "bindgen");
	g_autofree char *have_rustc = version_in(tc->rustc);
	g_autofree char *have_bindgen = version_in(tc->bindgen);
	gboolean old = (want_rustc && have_rustc &&
			version_cmp(have_rustc, want_rustc) < 0) ||
		       (want_bindgen && have_bindgen &&
			version_cmp(have_bindgen, want_bindgen) < 0);

	pc_reasons_add(b->result->reasons,
		       old ? "toolchain-too-old" : "rust-unavailable",
		       PC_SEVERITY_INFRA,
		       "make rustavailable failed: the tree asks for rustc "
		       ">= %s and bindgen >= %s (scripts/min-tool-version.sh); "
		       "the build root has rustc %s and bindgen %s; "
		       "rustavailable said: %s",
		       want_rustc ? want_rustc : "(unknown)",
		       want_bindgen ? want_bindgen : "(unknown)",
		       have_rustc ? have_rustc : "(unknown)",
		       have_bindgen ? have_bindgen : "(unknown)",
		       *said ? said : "(nothing)");
}

static gboolean configure(PcBuildRun *b)
{
	const char *const allmodconfig[] = { "allmodconfig", NULL };
	const char *const rustavailable[] = { "rustavailable", NULL };
	g_autofree char *said = NULL;
	goffset from;
	gboolean ok;

	if (!make(b, "allmodconfig", allmodconfig, &ok))
		return FALSE;
	if (!ok) {
		pc_reasons_add(b->result->reasons, "config-failed",
			       PC_SEVERITY_ERROR, "make allmodconfig failed");
		pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
		return FALSE;
	}
	from = log_size(b);
	if (!make(b, "rustavailable", rustavailable, &ok))
		return FALSE;
	if (!ok) {
		said = log_since(b, from, 400);
		rust_unavailable(b, said);
		return FALSE;
	}
	return pc_build_check_rust_config(b->spec->src, b->spec->out,
					  b->result);
}

/*
 * The base's build (PcBuildSpec.targets): prepare, then the tip's
 * targets, so that the two logs can be compared error by error.
 */
static void compile_given(PcBuildRun *b)
{
	const char *const prepare[] = { "prepare", NULL };
	const char *const *targets = b->spec->targets;
	gboolean all = g_strv_length((char **)targets) == 1 &&
		       !strcmp(targets[0], "all");
	gboolean ok = TRUE;

	b->result->targets = g_strdupv((char **)targets);
	if (!all && !make(b, "prepare", prepare, &ok))
		return;
	if (ok && !make(b, "targets", targets, &ok))
		return;
	b->result->coverage = g_strdup(b->spec->coverage ? b->spec->coverage
							 : b->result->scope);
	if (!ok) {
		pc_reasons_add(b->result->reasons, "build-failed",
			       PC_SEVERITY_ERROR, "the build failed");
		pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
		return;
	}
	pc_build_step_verdict(b->result, PC_VERDICT_PASS);
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
	if (configure(b) && !b->spec->configure_only) {
		if (b->spec->targets)
			compile_given(b);
		else
			compile(b);
	}
	set_reproduce(b, !strcmp(b->result->scope, "rust") ? b->result->targets
							  : NULL);
}
