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
 *
 * Then the stages (issue 12): the fast one ("rust": prepare, rust/, the
 * Rust objects the .config enables and the objects the changed files
 * reach, as kbuild lists them) and, for scope full, "make all" in the
 * same output directory. Every compiler run goes through ccache, whose
 * cache lives on the host under cache_dir.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "build_boot.h"
#include "build_kernel.h"
#include "fileio.h"
#include "kbuild.h"
#include "reason.h"
#include "verdict.h"

/* allmodconfig's .config is about 300 KiB; one past this is no kernel's. */
#define MAX_CONFIG_BYTES (16 * 1024 * 1024)
/* What kbuild lists for a few thousand directories is a few MiB. */
#define MAX_LISTING_BYTES (32 * 1024 * 1024)
/* One argument of a command line (MAX_ARG_STRLEN is 128 KiB). */
#define MAX_WALK_ARG 100000
/* Where the host's cache_dir/ccache is mounted, read-write. */
#define CCACHE_MOUNT "/tmp/ccache"
#define CCACHE_CC "CC=ccache clang"

const char pc_build_rust_fragment[] =
	"CONFIG_RUST=y\n"
	"CONFIG_RANDSTRUCT_NONE=y\n"
	"# CONFIG_MODVERSIONS is not set\n";

/*
 * Kept identical between runs, so kbuild's output does not churn (the
 * ccache variables reach no .cmd file). (transfer full)
 */
static GPtrArray *kernel_env(PcBuildRun *b)
{
	GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
	const char *const fixed[] = {
		"PATH=/usr/bin:/bin",
		"HOME=/tmp",
		"LANG=C.UTF-8",
		"KBUILD_BUILD_USER=pullcheck",
		"KBUILD_BUILD_HOST=pullcheck",
		"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
		("CCACHE_DIR=" CCACHE_MOUNT),
	};

	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(env, g_strdup(fixed[i]));
	/* ccache reads a bare number as GB: say KiB. */
	g_ptr_array_add(env, g_strdup_printf("CCACHE_MAXSIZE=%" G_GUINT64_FORMAT
					     "Ki",
					     b->spec->config->build_ccache_size >>
						     10));
	g_ptr_array_add(env, NULL);
	return env;
}

/* make and what every make of a build is given; ccache compiles. */
static GPtrArray *make_argv(PcBuildRun *b)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, "make");
	g_ptr_array_add(argv, "LLVM=1");
	g_ptr_array_add(argv, CCACHE_CC);
	g_ptr_array_add(argv, "O=" PC_BUILDROOT_OUT);
	g_ptr_array_add(argv, b->jobs);
	g_ptr_array_add(argv,
			"KCONFIG_ALLCONFIG=" PC_BUILDROOT_OUT "/"
			PC_BUILD_FRAGMENT_NAME);
	return argv;
}

static gboolean make(PcBuildRun *b, const char *step, const char *const *targets,
		     gboolean *ok)
{
	g_autoptr(GPtrArray) argv = make_argv(b);
	g_autoptr(GPtrArray) env = kernel_env(b);
	g_autofree char *joined = g_strjoinv(" ", (char **)targets);

	pc_build_step_note(b, "make %s", joined);
	if (!g_strcmp0(step, "targets"))
		g_ptr_array_add(argv, "-k");	/* every error, not the first */
	for (const char *const *t = targets; *t; t++)
		g_ptr_array_add(argv, (gpointer)*t);
	g_ptr_array_add(argv, NULL);
	return pc_build_step_run(b, b->spec->config->build_root,
				 PC_BUILDROOT_SRC, PC_BUILDROOT_OUT,
				 (const char *const *)argv->pdata,
				 (const char *const *)env->pdata, ok);
}

/*
 * The lines that make the .config of @kconfig with @fragment (quoted
 * for printf): the config target with KCONFIG_ALLCONFIG, or for the
 * bootable config defconfig, kvm_guest.config and the fragment merged.
 */
static void config_lines(GPtrArray *r, const PcConfig *config,
			 const char *kconfig, const char *fragment)
{
	if (!strcmp(kconfig, PC_BUILD_KCONFIG_BOOT) &&
	    pc_build_boot_small(config))
		kconfig = "allnoconfig";
	if (strcmp(kconfig, PC_BUILD_KCONFIG_BOOT)) {
		g_ptr_array_add(r, g_strdup_printf("$ printf '%s' >rust.config",
						   fragment));
		g_ptr_array_add(r, g_strdup_printf(
					   "$ make LLVM=1 O=out KCONFIG_ALLCONFIG="
					   "$PWD/rust.config %s", kconfig));
		return;
	}
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out defconfig "
				    "kvm_guest.config"));
	g_ptr_array_add(r, g_strdup_printf("$ printf '%s' >boot.config",
					   fragment));
	g_ptr_array_add(r, g_strdup("$ scripts/kconfig/merge_config.sh -m -O "
				    "out out/.config boot.config"));
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out olddefconfig"));
}

/*
 * What a maintainer runs to see the same: no ccache, their own -j, and
 * the stage that gave the verdict (@stage NULL: none ran).
 */
static void set_reproduce(PcBuildRun *b, const PcBuildStage *stage)
{
	const PcBuildSpec *spec = b->spec;
	g_autofree char *lines = pc_build_fragment_lines(b->result->fragment);
	g_autofree char *fragment = pc_build_step_printf_quoted(lines);
	GPtrArray *r = g_ptr_array_new();

	pc_build_source_lines(spec, r);
	config_lines(r, spec->config, b->result->kconfig, fragment);
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out rustavailable"));
	g_ptr_array_add(r, g_strdup("$ grep CONFIG_RUST= out/.config"));
	if (stage && !strcmp(stage->name, "rust")) {
		g_autofree char *joined = g_strjoinv(" ", stage->targets);

		g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out -j$(nproc) prepare"));
		g_ptr_array_add(r, g_strdup_printf("$ make LLVM=1 O=out -j$(nproc) -k %s",
						   joined));
	} else if (stage) {
		g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out -j$(nproc)"));
	}
	g_ptr_array_add(r, NULL);
	b->result->reproduce = (char **)g_ptr_array_free(r, FALSE);
}

/* The config target that made the .config: [build] kconfig. */
static const char *config_target(const PcBuildResult *result)
{
	return result->kconfig ? result->kconfig : "allmodconfig";
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
			       PC_SEVERITY_INFRA, "make %s left no .config",
			       config_target(result));
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
		       "CONFIG_RUST is %s in the .config make %s made "
		       "with CONFIG_RUST=y asked for, so Rust cannot be "
		       "built: init/Kconfig: %s", result->config_rust,
		       config_target(result), *why ? why : "(no config RUST)");
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
	g_autoptr(GPtrArray) env = kernel_env(b);
	g_autofree char *said = NULL;
	goffset from;
	gboolean ok;

	pc_build_step_note(b, "scripts/min-tool-version.sh %s", tool);
	from = log_size(b);
	if (!pc_build_step_run(b, b->spec->config->build_root,
			       PC_BUILDROOT_SRC, PC_BUILDROOT_OUT, argv,
			       (const char *const *)env->pdata, &ok) || !ok)
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

/*
 * The bootable config: what `make defconfig kvm_guest.config` makes,
 * with the fragment merged in by the kernel's own merge_config.sh (run
 * in the output directory, where it writes its temporary files), then
 * olddefconfig. [boot] config = small: allnoconfig with the fragment.
 */
static gboolean make_boot_config(PcBuildRun *b, gboolean *ok)
{
	const char *const base[] = { "defconfig", "kvm_guest.config", NULL };
	const char *const merge[] = {
		"sh", PC_BUILDROOT_SRC "/scripts/kconfig/merge_config.sh", "-m",
		".config", PC_BUILD_FRAGMENT_NAME, NULL,
	};
	const char *const olddefconfig[] = { "olddefconfig", NULL };
	const char *const small[] = { "allnoconfig", NULL };
	g_autoptr(GPtrArray) env = kernel_env(b);
	gboolean run;

	if (pc_build_boot_small(b->spec->config))
		return make(b, "config", small, ok);
	if (!make(b, "config", base, ok) || !*ok)
		return TRUE;
	pc_build_step_note(b, "merge_config.sh -m .config %s",
			   PC_BUILD_FRAGMENT_NAME);
	b->chdir = PC_BUILDROOT_OUT;
	run = pc_build_step_run(b, b->spec->config->build_root,
				PC_BUILDROOT_SRC, PC_BUILDROOT_OUT, merge,
				(const char *const *)env->pdata, ok);
	b->chdir = NULL;
	if (!run)
		return FALSE;
	if (!*ok)
		return TRUE;
	return make(b, "config", olddefconfig, ok);
}

static gboolean configure(PcBuildRun *b)
{
	const char *const kconfig[] = { b->result->kconfig, NULL };
	const char *const rustavailable[] = { "rustavailable", NULL };
	g_autofree char *said = NULL;
	goffset from;
	gboolean ok;

	if (!strcmp(b->result->kconfig, PC_BUILD_KCONFIG_BOOT)) {
		if (!make_boot_config(b, &ok))
			return FALSE;
	} else if (!make(b, "config", kconfig, &ok)) {
		return FALSE;
	}
	if (!ok) {
		pc_reasons_add(b->result->reasons, "config-failed",
			       PC_SEVERITY_ERROR, "make %s failed",
			       b->result->kconfig);
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

/* --- the fast stage's targets -------------------------------------------- */

/* Trees no Rust crate of the fast stage is looked for in. */
static gboolean walk_skipped(const char *rel)
{
	const char *const skip[] = { "rust", "samples/rust", "tools",
				     "Documentation", "scripts" };

	for (gsize i = 0; i < G_N_ELEMENTS(skip); i++)
		if (!strcmp(rel, skip[i]))
			return TRUE;
	return FALSE;
}

/*
 * The .rs files of @src when the fetch gave no list: readdir's d_type
 * says what is a directory; links are not followed.
 */
static void walk_rust_files(GPtrArray *files, const char *src,
			    const char *rel, guint depth)
{
	g_autofree char *dir = g_build_filename(src, rel, NULL);
	DIR *d = depth < 32 ? opendir(dir) : NULL;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		g_autofree char *child = *rel ? g_build_filename(rel, e->d_name,
								 NULL)
					      : g_strdup(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' || walk_skipped(child))
			continue;
		if (e->d_type == DT_DIR ||
		    (e->d_type == DT_UNKNOWN &&
		     fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		     S_ISDIR(st.st_mode)))
			walk_rust_files(files, src, child, depth + 1);
		else if (g_str_has_suffix(e->d_name, ".rs"))
			g_ptr_array_add(files, g_steal_pointer(&child));
	}
	if (d)
		closedir(d);
}

/* "PC_DIRS=. a a/b ...", as long as one argument may be. (transfer full) */
static char *walk_dirs_arg(char **dirs, guint *asked)
{
	GString *arg = g_string_new(PC_KBUILD_WALK_VAR "=");

	*asked = 0;
	for (char **d = dirs; *d; d++) {
		if (arg->len + strlen(*d) + 1 > MAX_WALK_ARG)
			break;
		g_string_append_printf(arg, "%s%s", *asked ? " " : "", *d);
		(*asked)++;
	}
	return g_string_free(arg, FALSE);
}

/*
 * Asks kbuild, in the sandbox, what it builds in @dirs under the
 * .config. NULL when the run could not be made (the build is then not
 * checkable, and a reason says why); an empty listing when make said
 * nothing of use. (transfer full)
 */
static PcKbuildListing *list_dirs(PcBuildRun *b, char **dirs, gboolean *run)
{
	g_autoptr(GPtrArray) argv = make_argv(b);
	g_autoptr(GPtrArray) env = kernel_env(b);
	g_autofree char *log = g_strconcat(b->spec->log_path, ".kbuild", NULL);
	g_autofree char *arg = NULL;
	g_autoptr(GMappedFile) map = NULL;
	PcKbuildListing *listing;
	guint asked;
	gboolean ok;

	arg = walk_dirs_arg(dirs, &asked);
	g_ptr_array_add(argv, "-s");
	for (const char *const *a = pc_kbuild_walk_args; *a; a++)
		g_ptr_array_add(argv, (gpointer)*a);
	g_ptr_array_add(argv, arg);
	g_ptr_array_add(argv, "pc-walk");
	g_ptr_array_add(argv, NULL);
	*run = pc_build_step_run_quiet(b, b->spec->config->build_root,
				       PC_BUILDROOT_SRC, PC_BUILDROOT_OUT,
				       (const char *const *)argv->pdata,
				       (const char *const *)env->pdata, log,
				       &ok);
	if (!*run) {
		g_unlink(log);
		return NULL;
	}
	map = g_mapped_file_new(log, FALSE, NULL);
	listing = pc_kbuild_listing_parse(
		map ? g_mapped_file_get_contents(map) : "",
		map ? MIN(g_mapped_file_get_length(map), MAX_LISTING_BYTES) : 0);
	g_unlink(log);
	if (asked < g_strv_length(dirs))
		pc_build_step_note(b, "kbuild was asked about %u of %u "
				   "directories (the rest did not fit)",
				   asked, g_strv_length(dirs));
	return listing;
}

/*
 * What the fast stage builds after prepare, chosen by kbuild (issue 12,
 * §3): the .cmd files of this output directory name the objects a
 * changed file reaches; kbuild's listing says which objects and
 * directories the x86-64 build under this .config compiles at all.
 * NULL when the listing could not be run. (transfer full)
 */
static char **fast_targets(PcBuildRun *b)
{
	const PcBuildSpec *spec = b->spec;
	g_autoptr(GPtrArray) walked = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) paths = g_ptr_array_new();
	g_auto(GStrv) dependents = NULL;
	g_auto(GStrv) dirs = NULL;
	g_autoptr(PcKbuildListing) listing = NULL;
	const char *const *rust = spec->rust_files;
	gboolean run;

	if (!rust) {
		walk_rust_files(walked, spec->src, "", 0);
		g_ptr_array_add(walked, NULL);
		rust = (const char *const *)walked->pdata;
	}
	dependents = pc_kbuild_cmd_dependents(spec->out, PC_BUILDROOT_SRC,
					      spec->changed);
	pc_build_step_lap(b, "the .cmd files");
	for (const char *const *r = rust; *r; r++)
		if (!g_str_has_prefix(*r, "rust/"))
			g_ptr_array_add(paths, (gpointer)*r);
	for (const char *const *c = spec->changed; c && *c; c++)
		g_ptr_array_add(paths, (gpointer)*c);
	for (char **d = dependents; *d; d++)
		g_ptr_array_add(paths, *d);
	g_ptr_array_add(paths, "samples/rust/Makefile");
	g_ptr_array_add(paths, NULL);
	dirs = pc_kbuild_walk_dirs((const char *const *)paths->pdata);
	listing = list_dirs(b, dirs, &run);
	if (!listing)
		return NULL;
	pc_build_step_lap(b, "the kbuild listing");
	pc_build_step_note(b, "kbuild listed %u directories; objects the "
			   ".cmd files of earlier builds tie to the changed "
			   "files: %u", g_strv_length(dirs),
			   g_strv_length(dependents));
	return pc_kbuild_fast_targets(listing, rust, spec->changed,
				      (const char *const *)dependents);
}

/* --- the stages ------------------------------------------------------------ */

static PcBuildStage *stage_begin(PcBuildRun *b, const char *name)
{
	PcBuildStage *stage = g_new0(PcBuildStage, 1);

	stage->name = g_strdup(name);
	g_ptr_array_add(b->result->stages, stage);
	b->stage = stage->name;
	return stage;
}

static void stage_end(PcBuildStage *stage, gint64 start, gboolean ok)
{
	stage->ok = ok;
	stage->seconds = (g_get_monotonic_time() - start) / 1e6;
}

/*
 * The fast stage: prepare, then every target with -k (every error, not
 * just the first). FALSE when it could not run to its end.
 */
static gboolean fast_stage(PcBuildRun *b, gboolean *ok)
{
	const char *const prepare[] = { "prepare", NULL };
	gint64 start = g_get_monotonic_time();
	PcBuildStage *stage = stage_begin(b, "rust");

	pc_build_step_note(b, "stage rust: prepare, rust/, the Rust objects "
			   "and what the changed files reach");
	stage->targets = fast_targets(b);
	if (!stage->targets)
		return FALSE;
	if (!make(b, "prepare", prepare, ok))
		return FALSE;
	if (*ok && !make(b, "targets", (const char *const *)stage->targets, ok))
		return FALSE;
	stage_end(stage, start, *ok);
	pc_build_step_note(b, "stage rust %s in %.0f s", *ok ? "passed" : "failed",
			   stage->seconds);
	return TRUE;
}

/* make all in the same output: vmlinux, the modules, modpost. */
static gboolean full_stage(PcBuildRun *b, gboolean *ok)
{
	const char *const all[] = { "all", NULL };
	gint64 start = g_get_monotonic_time();
	PcBuildStage *stage = stage_begin(b, "full");

	pc_build_step_note(b, "stage full: make all (vmlinux, modules, "
			   "modpost)");
	stage->targets = g_strdupv((char **)all);
	if (!make(b, "all", all, ok))
		return FALSE;
	stage_end(stage, start, *ok);
	pc_build_step_note(b, "stage full %s in %.0f s", *ok ? "passed" : "failed",
			   stage->seconds);
	return TRUE;
}

static void stage_failed(PcBuildRun *b, const PcBuildStage *stage)
{
	pc_reasons_add(b->result->reasons, "build-failed", PC_SEVERITY_ERROR,
		       !strcmp(stage->name, "rust")
			       ? "the fast stage (prepare, rust/ and the "
				 "objects the changes reach) failed"
			       : "the full build (make all: vmlinux, modules, "
				 "modpost) failed");
	pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
}

/*
 * The base's build (PcBuildSpec.targets): prepare, then the tip's
 * targets, so that the two logs can be compared error by error.
 */
static const PcBuildStage *compile_given(PcBuildRun *b)
{
	const char *const prepare[] = { "prepare", NULL };
	const char *const *targets = b->spec->targets;
	gboolean all = g_strv_length((char **)targets) == 1 &&
		       !strcmp(targets[0], "all");
	gint64 start = g_get_monotonic_time();
	PcBuildStage *stage = stage_begin(b, all ? "full" : "rust");
	gboolean ok = TRUE;

	stage->targets = g_strdupv((char **)targets);
	b->result->targets = g_strdupv((char **)targets);
	if (!all && !make(b, "prepare", prepare, &ok))
		return NULL;
	if (ok && !make(b, "targets", targets, &ok))
		return NULL;
	stage_end(stage, start, ok);
	b->result->coverage = g_strdup(b->spec->coverage ? b->spec->coverage
							 : b->result->scope);
	if (!ok) {
		pc_reasons_add(b->result->reasons, "build-failed",
			       PC_SEVERITY_ERROR, "the build failed");
		pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
		return stage;
	}
	pc_build_step_verdict(b->result, PC_VERDICT_PASS);
	return stage;
}

/* --- the boot (issue 16) ------------------------------------------------ */

/*
 * The bootable config's samples must be built in: their init lines are
 * what the boot looks for. FALSE, with the boot's finding, when not.
 */
static gboolean boot_samples_built_in(PcBuildRun *bb, PcBootResult *boot)
{
	const char *const symbols[] = { "SAMPLE_RUST_MINIMAL",
					"SAMPLE_RUST_PRINT" };
	g_autofree char *text = read_config(bb->spec->out, bb->result);

	for (gsize i = 0; text && i < G_N_ELEMENTS(symbols); i++) {
		g_autofree char *v = pc_kbuild_config_value(text, symbols[i]);

		if (strcmp(v, "y")) {
			boot->status = g_strdup(PC_VERDICT_UNCHECKED);
			boot->reason = g_strdup("boot-config");
			boot->text = g_strdup_printf(
				"the bootable config has CONFIG_%s=%s, not y, so "
				"the boot could not show its init line",
				symbols[i], v);
			return FALSE;
		}
	}
	if (text)
		return TRUE;
	boot->status = g_strdup(PC_VERDICT_UNCHECKED);
	boot->reason = g_strdup("boot-config");
	boot->text = g_strdup("the bootable config left no .config to read");
	return FALSE;
}

/*
 * Configures and builds the bootable config (bzImage) in its own output
 * directory, in the run @bb (the build's, with that directory and a
 * result of its own). FALSE, with the boot's status and finding in
 * @boot and @bb->result, when there is nothing to boot.
 */
static gboolean build_bootable(PcBuildRun *bb, PcBootResult *boot)
{
	const char *const bzimage[] = { "bzImage", NULL };
	gboolean ok;

	if (!configure(bb)) {
		const PcReason *worst = pc_reasons_worst(bb->result->reasons);

		boot->status = g_strdup(!g_strcmp0(bb->result->verdict,
						   PC_VERDICT_FAIL)
						? PC_VERDICT_FAIL
						: PC_VERDICT_UNCHECKED);
		boot->reason = g_strdup(worst ? worst->code : "boot-config");
		boot->text = g_strdup_printf("the bootable config could not be "
					     "made: %s", worst ? worst->text
							       : "(no reason)");
		return FALSE;
	}
	if (!boot_samples_built_in(bb, boot))
		return FALSE;
	if (!make(bb, "bzImage", bzimage, &ok)) {
		const PcReason *worst = pc_reasons_worst(bb->result->reasons);

		boot->status = g_strdup(PC_VERDICT_UNCHECKED);
		boot->reason = g_strdup(worst ? worst->code : "boot-build");
		boot->text = g_strdup_printf("the bootable build did not run to "
					     "its end: %s", worst ? worst->text
								  : "(no reason)");
		return FALSE;
	}
	if (ok)
		return TRUE;
	boot->status = g_strdup(PC_VERDICT_FAIL);
	boot->reason = g_strdup("boot-build-failed");
	boot->text = g_strdup("the bootable build (make bzImage of the "
			      "bootable config, CONFIG_RUST=y and the Rust "
			      "samples built in) failed");
	return FALSE;
}

/* The bootable build's reproduce lines, which the boot's continue. */
static char **boot_build_lines(PcBuildRun *bb)
{
	g_autofree char *lines = pc_build_fragment_lines(bb->fragment);
	g_autofree char *fragment = pc_build_step_printf_quoted(lines);
	GPtrArray *r = g_ptr_array_new();

	config_lines(r, bb->spec->config, PC_BUILD_KCONFIG_BOOT, fragment);
	g_ptr_array_add(r, g_strdup("$ make LLVM=1 O=out -j$(nproc) bzImage"));
	g_ptr_array_add(r, NULL);
	return (char **)g_ptr_array_free(r, FALSE);
}

/* Writes the boot's fragment where make_boot_config() reads it. */
static gboolean write_boot_fragment(const char *out, const char *text,
				    GError **error)
{
	g_autofree char *path = g_build_filename(out, PC_BUILD_FRAGMENT_NAME,
						 NULL);

	if (g_mkdir_with_parents(out, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "%s: %s", out, g_strerror(errno));
		return FALSE;
	}
	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT, 0644,
					error);
}

/*
 * The boot stage, after the fast stage passed: the bootable build in its
 * own output directory (the build's own when [build] kconfig = boot),
 * then QEMU. TRUE when it passed and the build goes on; otherwise the
 * boot's finding decides the verdict: fail for the pull request's
 * (a bad boot, or a bootable build that fails), could not check for
 * ours.
 */
static gboolean boot_stage(PcBuildRun *b)
{
	const PcBuildSpec *spec = b->spec;
	g_autofree char *out = pc_build_out_dir_for(spec->config,
						    spec->config->fetch_tree,
						    PC_BUILD_KCONFIG_BOOT);
	g_autofree char *fragment = NULL;
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	PcBuildStage *stage = stage_begin(b, "boot");
	PcBootResult *boot = g_new0(PcBootResult, 1);
	PcBuildSpec bs = *spec;
	PcBuildResult br = { 0 };
	PcBuildRun bb = *b;
	gboolean ok = FALSE;

	b->result->boot = boot;
	boot->config = g_strdup(spec->config->boot_config);
	boot->out_dir = g_strdup(out);
	stage->targets = g_strdupv((char **)(const char *const[]){ "bzImage",
								   NULL });
	pc_build_step_note(b, "stage boot: %s with CONFIG_RUST=y and the Rust "
			   "samples built in, in %s; then QEMU",
			   pc_build_boot_small(spec->config)
				   ? "allnoconfig + a serial console"
				   : "defconfig + kvm_guest.config", out);
	fragment = pc_build_fragment_for(spec->config, PC_BUILD_KCONFIG_BOOT,
					 &error);
	if (!fragment || !write_boot_fragment(out, fragment, &error)) {
		boot->status = g_strdup(PC_VERDICT_UNCHECKED);
		boot->reason = g_strdup("boot-setup");
		boot->text = g_strdup_printf("the bootable build's fragment: %s",
					     error->message);
		goto out;
	}
	bs.out = out;
	br.reasons = pc_reasons_new();
	br.verdict = g_strdup(PC_VERDICT_UNCHECKED);
	br.kconfig = g_strdup(PC_BUILD_KCONFIG_BOOT);
	br.toolchain = b->result->toolchain;	/* borrowed, for rustavailable */
	bb.spec = &bs;
	bb.result = &br;
	bb.fragment = fragment;
	bb.stage = "boot";
	if (build_bootable(&bb, boot)) {
		boot->build_seconds = (g_get_monotonic_time() - start) / 1e6;
		boot->reproduce = boot_build_lines(&bb);
		pc_build_boot_qemu(&bb, boot);
		ok = !g_strcmp0(boot->status, PC_VERDICT_PASS);
	} else {
		boot->build_seconds = (g_get_monotonic_time() - start) / 1e6;
		boot->reproduce = boot_build_lines(&bb);
	}
	b->result->make_s += br.make_s;
	memset(&br.toolchain, 0, sizeof(br.toolchain));
out:
	if (!ok && boot->reason) {
		pc_reasons_add(b->result->reasons, boot->reason,
			       !g_strcmp0(boot->status, PC_VERDICT_FAIL)
				       ? PC_SEVERITY_ERROR
				       : PC_SEVERITY_INFRA,
			       "%s", boot->text);
		pc_build_step_verdict(b->result,
				      !g_strcmp0(boot->status, PC_VERDICT_FAIL)
					      ? PC_VERDICT_FAIL
					      : PC_VERDICT_UNCHECKED);
	}
	/* The bootable build's reasons are the boot's text now. */
	pc_build_result_clear(&br);
	stage_end(stage, start, ok);
	b->stage = "rust";
	return ok;
}

/*
 * PcBuildSpec.boot_only: the boot stage alone, its verdict the build's;
 * the base of a pull request whose boot failed (job.c) is booted so.
 */
static void boot_only(PcBuildRun *b)
{
	if (boot_stage(b))
		pc_build_step_verdict(b->result, PC_VERDICT_PASS);
}

/* The verdict is the last stage's that ran to its end. */
static const PcBuildStage *compile(PcBuildRun *b)
{
	PcBuildStage *stage;
	gboolean ok;

	if (!fast_stage(b, &ok))
		return NULL;
	stage = b->result->stages->pdata[0];
	b->result->coverage = g_strdup("rust");
	b->result->targets = g_strdupv(stage->targets);
	if (!ok) {
		stage_failed(b, stage);
		return stage;
	}
	if (pc_build_boot_enabled(b->spec->config) && !boot_stage(b))
		return stage;
	if (!strcmp(b->result->scope, "rust")) {
		pc_reasons_add(b->result->reasons, "scope", PC_SEVERITY_INFO,
			       "scope rust: prepare, rust/, every Rust object "
			       "and the objects the changes reach were built, "
			       "not all of vmlinux and the modules");
		pc_build_step_verdict(b->result, PC_VERDICT_PASS);
		return stage;
	}
	if (!full_stage(b, &ok))
		return stage;
	stage = b->result->stages->pdata[b->result->stages->len - 1];
	g_free(b->result->coverage);
	b->result->coverage = g_strdup("full");
	g_strfreev(b->result->targets);
	b->result->targets = g_strdupv(stage->targets);
	if (!ok) {
		stage_failed(b, stage);
		return stage;
	}
	pc_reasons_add(b->result->reasons, "scope", PC_SEVERITY_INFO,
		       "scope full: vmlinux, all modules and modpost were "
		       "built (%s)", b->result->kconfig);
	pc_build_step_verdict(b->result, PC_VERDICT_PASS);
	return stage;
}

/* cache_dir/ccache, made if missing; NULL (no ccache) if it cannot be. */
static char *ccache_dir(PcBuildRun *b)
{
	char *dir = g_build_filename(b->spec->config->build_cache_dir,
				     "ccache", NULL);

	if (g_mkdir_with_parents(dir, 0755) == 0)
		return dir;
	pc_build_step_note(b, "%s: %s", dir, g_strerror(errno));
	g_free(dir);
	return NULL;
}

void pc_build_kernel_recipe(PcBuildRun *b)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *cache = NULL;
	const PcBuildStage *stage = NULL;

	b->result->scope = g_strdup(b->spec->config->build_scope);
	b->result->kconfig = g_strdup(b->spec->config->build_kconfig);
	b->result->fragment = g_strdup(b->fragment ? b->fragment
						   : pc_build_rust_fragment);
	if (!pc_buildroot_check(b->spec->config->build_root, &error) ||
	    !pc_buildroot_toolchain(b->spec->config->build_root,
				    &b->result->toolchain, &error)) {
		pc_reasons_add(b->result->reasons, "toolchain-missing",
			       PC_SEVERITY_INFRA, "%s", error->message);
		set_reproduce(b, NULL);
		return;
	}
	pc_build_step_lap(b, "build root and toolchain");
	pc_build_step_note(b, "toolchain: %s; %s; %s; %s",
			   b->result->toolchain.rustc,
			   b->result->toolchain.bindgen,
			   b->result->toolchain.clang, b->result->toolchain.lld);
	cache = ccache_dir(b);
	if (!cache) {
		pc_reasons_add(b->result->reasons, "build-setup",
			       PC_SEVERITY_INFRA,
			       "the compiler cache cannot be made under %s",
			       b->spec->config->build_cache_dir);
		set_reproduce(b, NULL);
		return;
	}
	b->cache = cache;
	b->cache_mount = CCACHE_MOUNT;
	if (b->spec->boot_only)
		boot_only(b);
	else if (configure(b) && !b->spec->configure_only)
		stage = b->spec->targets ? compile_given(b) : compile(b);
	set_reproduce(b, stage);
	b->cache = NULL;
	b->stage = NULL;
}
