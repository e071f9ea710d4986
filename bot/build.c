// SPDX-License-Identifier: GPL-2.0-only
/*
 * build: runs the recipe in the sandbox and turns what make said into a
 * verdict. The kernel recipe is build_kernel.c (with kbuild.c, its
 * reading of the tree); the command recipe, one step, is here; what
 * both share (a step in the sandbox, the log's notes, the space) is
 * build_step.c.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "build.h"
#include "build_kernel.h"
#include "buildlog.h"
#include "reason.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-build-error-quark, pc_build_error)

/* Where the command recipe sees its tree and output. */
#define COMMAND_SRC "/tmp/src"
#define COMMAND_OUT "/tmp/out"
#define MAX_DIAGNOSTICS 20
/* A few config lines; a file past this is not one. */
#define MAX_KCONFIG_EXTRA_BYTES (64 * 1024)

const char pc_build_boot_fragment[] =
	"CONFIG_SAMPLES=y\n"
	"CONFIG_SAMPLES_RUST=y\n"
	"CONFIG_SAMPLE_RUST_MINIMAL=y\n"
	"CONFIG_SAMPLE_RUST_PRINT=y\n";

const char pc_build_boot_small_fragment[] =
	"CONFIG_64BIT=y\n"
	"CONFIG_MODULES=y\n"
	"CONFIG_PRINTK=y\n"
	"CONFIG_TTY=y\n"
	"CONFIG_SERIAL_8250=y\n"
	"CONFIG_SERIAL_8250_CONSOLE=y\n"
	"CONFIG_BLK_DEV_INITRD=y\n"
	"CONFIG_BINFMT_ELF=y\n";

gboolean pc_build_boot_small(const PcConfig *config)
{
	return !g_strcmp0(config->boot_config, "small");
}

gboolean pc_build_boot_enabled(const PcConfig *config)
{
	return !g_strcmp0(config->boot_enabled, "true");
}

char *pc_build_fragment(const PcConfig *config, GError **error)
{
	return pc_build_fragment_for(config, config->build_kconfig, error);
}

char *pc_build_fragment_for(const PcConfig *config, const char *kconfig,
			    GError **error)
{
	const char *path = config->build_kconfig_extra;
	gboolean is_boot = !g_strcmp0(kconfig, PC_BUILD_KCONFIG_BOOT);
	g_autofree char *boot = g_strconcat(
		is_boot && pc_build_boot_small(config)
			? pc_build_boot_small_fragment : "",
		is_boot ? pc_build_boot_fragment : "", NULL);
	g_autofree char *extra = NULL;
	GStatBuf st;
	gsize len;

	if (!path)
		return g_strconcat(pc_build_rust_fragment, boot, NULL);
	if (g_stat(path, &st) < 0) {
		g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP,
			    "[build] kconfig_extra %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_KCONFIG_EXTRA_BYTES) {
		g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP,
			    "[build] kconfig_extra %s: not a regular file of "
			    "at most %d bytes", path, MAX_KCONFIG_EXTRA_BYTES);
		return NULL;
	}
	if (!g_file_get_contents(path, &extra, &len, error)) {
		g_prefix_error(error, "[build] kconfig_extra: ");
		return NULL;
	}
	if (len > MAX_KCONFIG_EXTRA_BYTES || strlen(extra) != len) {
		g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP,
			    "[build] kconfig_extra %s: not a text file of at "
			    "most %d bytes", path, MAX_KCONFIG_EXTRA_BYTES);
		return NULL;
	}
	return g_strconcat(pc_build_rust_fragment, boot, extra,
			   len && extra[len - 1] != '\n' ? "\n" : "", NULL);
}

/* "# CONFIG_FOO is not set": Kconfig's way to say =n, not a comment. */
static gboolean is_not_set_line(const char *line)
{
	const char *p = line + strlen("# CONFIG_");

	if (!g_str_has_prefix(line, "# CONFIG_"))
		return FALSE;
	while (g_ascii_isalnum(*p) || *p == '_')
		p++;
	return p > line + strlen("# CONFIG_") && !strcmp(p, " is not set");
}

char *pc_build_fragment_lines(const char *fragment)
{
	g_auto(GStrv) lines = g_strsplit(fragment ? fragment : "", "\n", -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l; l++) {
		const char *t = *l + strspn(*l, " \t");

		if (!*t || (*t == '#' && !is_not_set_line(*l)))
			continue;
		g_string_append_printf(out, "%s\n", *l);
	}
	return g_string_free(out, FALSE);
}

char *pc_build_out_dir(const PcConfig *config, const char *tree_kind)
{
	return pc_build_out_dir_for(config, tree_kind, config->build_kconfig);
}

char *pc_build_out_dir_for(const PcConfig *config, const char *tree_kind,
			   const char *kconfig)
{
	g_autofree char *fragment = NULL;
	g_autofree char *sum = NULL;
	g_autofree char *name = NULL;

	if (strcmp(config->build_recipe, "kernel")) {
		name = g_strconcat("out-", tree_kind, NULL);
		return g_build_filename(config->build_cache_dir, name, NULL);
	}
	/* Unreadable: the build says so; the name only has to be stable. */
	fragment = pc_build_fragment_for(config, kconfig, NULL);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
					    fragment ? fragment : "", -1);
	name = g_strdup_printf("out-%s-%s-%.12s", tree_kind, kconfig, sum);
	return g_build_filename(config->build_cache_dir, name, NULL);
}

const char *pc_build_log_prefix(const char *recipe)
{
	return !g_strcmp0(recipe, "kernel") ? PC_BUILDROOT_SRC "/"
					    : COMMAND_SRC "/";
}

static void read_diagnostics(PcBuildRun *b)
{
	g_autoptr(PcBuildlogParser) parser = pc_buildlog_parser_new();
	g_autofree char *log = NULL;
	gsize len = 0;
	PcDiagnostics diags = { 0 };

	if (!g_file_get_contents(b->spec->log_path, &log, &len, NULL))
		return;
	pc_buildlog_parse(parser, log, len,
			  pc_build_log_prefix(b->result->recipe),
			  MAX_DIAGNOSTICS, &diags);
	b->result->diagnostics = g_steal_pointer(&diags.items);
	b->result->diagnostics_total = diags.total;
	pc_diagnostics_clear(&diags);
}

/*
 * "the build failed" says little: name the first error, so the verdict
 * line of the reply already points at the file and line.
 */
static void name_first_error(PcBuildResult *result)
{
	PcReason *failed = NULL;
	const PcDiagnostic *d = NULL;
	g_autofree char *where = NULL;
	char *text;

	for (guint i = 0; i < result->reasons->len; i++)
		if (!strcmp(((PcReason *)result->reasons->pdata[i])->code,
			    "build-failed"))
			failed = result->reasons->pdata[i];
	for (guint i = 0; result->diagnostics && i < result->diagnostics->len; i++) {
		const PcDiagnostic *x = result->diagnostics->pdata[i];

		if (!strcmp(x->severity, "error")) {
			d = x;
			break;
		}
	}
	if (!failed || !d)
		return;
	where = pc_diagnostic_where(d);
	if (where && d->line)
		text = g_strdup_printf("%s; the first error, in %s code, is at "
				       "%s:%u: %s", failed->text, d->language,
				       d->file, d->line, d->message);
	else if (where)	/* modpost: a module, no line in it */
		text = g_strdup_printf("%s; the first error (%s) is in %s: %s",
				       failed->text, d->tool, where,
				       d->message);
	else
		text = g_strdup_printf("%s; the first error (%s): %s",
				       failed->text, d->tool, d->message);
	g_free(failed->text);
	failed->text = text;
}

/* ENOSPC in the words of the issue: which file system is full. */
static void set_no_space(GError **error, const char *path)
{
	g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_NO_SPACE,
		    "no space left on %s", path);
}

static gboolean write_out_file(const char *path, const char *text,
			       GError **error)
{
	g_autoptr(GError) local = NULL;

	/*
	 * Replaced, not written into: with FLAGS_NONE GLib writes over the
	 * old file without truncating it, so a longer file a build left at
	 * this name would keep its tail (lines of its own in the next job's
	 * Rust fragment). No DURABLE: written anew by every build.
	 */
	if (g_file_set_contents_full(path, text, -1,
				     G_FILE_SET_CONTENTS_CONSISTENT, 0644,
				     &local))
		return TRUE;
	if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
		set_no_space(error, path);
	else
		g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static gboolean write_out_files(PcBuildRun *b, const char *fragment_text,
				GError **error)
{
	g_autofree char *fragment = g_build_filename(b->spec->out,
						     PC_BUILD_FRAGMENT_NAME, NULL);

	if (g_mkdir_with_parents(b->spec->out, 0755) < 0) {
		if (errno == ENOSPC)
			set_no_space(error, b->spec->out);
		else
			g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP,
				    "%s: %s", b->spec->out, g_strerror(errno));
		return FALSE;
	}
	return write_out_file(b->spec->log_path, "", error) &&
	       write_out_file(fragment, fragment_text, error);
}

/*
 * The command recipe's output is emptied before every build: what one
 * job left there must not decide the next one's verdict. The kernel's
 * is kept for make to build incrementally, unless pullcheck cannot write
 * its files there: the disk is full, or a build left a directory (or
 * anything else) where one goes. Then it is emptied once and the build
 * starts from nothing, so one job cannot fail every job after it.
 */
static gboolean prepare_out(PcBuildRun *b, const char *fragment,
			    GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!strcmp(b->spec->config->build_recipe, "command") &&
	    !pc_build_step_empty_out(b->spec->out, error))
		return FALSE;
	if (write_out_files(b, fragment, &local))
		return TRUE;
	if (!pc_build_step_empty_out(b->spec->out, NULL)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (!write_out_files(b, fragment, error))
		return FALSE;
	pc_build_step_note(b, "the output %s was emptied, it could not be "
			   "prepared: %s", b->spec->out, local->message);
	return TRUE;
}

/*
 * [build] command: the argv runs with the tree at /tmp/src (read-only)
 * and its output at /tmp/out, on a root of the host's /usr and a few
 * secret-free files of /etc (sandbox.c), never on the host's /. Not on
 * the kernel build root: this recipe builds other projects, and the
 * tests, with the host's own compilers, and needs no setup-root.
 */
static void command_recipe(PcBuildRun *b)
{
	const char *const env[] = { "PATH=/usr/bin:/bin", "HOME=/tmp",
				    "LANG=C.UTF-8", "OUT=" COMMAND_OUT, NULL };
	char **argv = b->spec->config->build_command;
	gboolean ok;

	if (!argv || !argv[0]) {
		pc_reasons_add(b->result->reasons, "no-command",
			       PC_SEVERITY_INFRA,
			       "[build] recipe = command, but [build] command "
			       "is empty");
		return;
	}
	pc_build_step_note(b, "command: %s", argv[0]);
	b->result->coverage = g_strdup("command");
	if (!pc_build_step_run(b, NULL, COMMAND_SRC, COMMAND_OUT,
			       (const char *const *)argv, env, &ok))
		return;
	if (ok) {
		pc_build_step_verdict(b->result, PC_VERDICT_PASS);
		return;
	}
	pc_reasons_add(b->result->reasons, "build-failed", PC_SEVERITY_ERROR,
		       "the build command %s failed", argv[0]);
	pc_build_step_verdict(b->result, PC_VERDICT_FAIL);
}

void pc_build_source_lines(const PcBuildSpec *spec, GPtrArray *lines)
{
	const char *tip = spec->tip ? spec->tip : "FETCH_HEAD";

	if (spec->merged_into) {	/* what was built: the merge */
		g_ptr_array_add(lines, g_strdup_printf("$ git fetch %s",
						       spec->mainline_url));
		g_ptr_array_add(lines, g_strdup_printf("$ git checkout %s",
						       spec->merged_into));
	}
	g_ptr_array_add(lines, g_strdup_printf(
				       "$ git fetch %s %s",
				       spec->fetch_url ? spec->fetch_url : "URL",
				       spec->ref ? spec->ref : ""));
	g_ptr_array_add(lines, g_strdup_printf(spec->merged_into
					       ? "$ git merge --no-edit %s"
					       : "$ git checkout %s", tip));
}

gboolean pc_build_run(const PcBuildSpec *spec, PcBuildResult *result,
		      GError **error)
{
	PcBuildRun b = { .spec = spec, .result = result };
	gint64 start = g_get_monotonic_time();
	g_autoptr(GError) local = NULL;
	g_autofree char *fragment = NULL;

	memset(result, 0, sizeof(*result));
	result->reasons = pc_reasons_new();
	result->stages = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_build_stage_free);
	result->recipe = g_strdup(spec->config->build_recipe);
	result->log_path = g_strdup(spec->log_path);
	/* could-not-check until a step says otherwise */
	result->verdict = g_strdup(PC_VERDICT_UNCHECKED);
	b.lap = start;
	fragment = pc_build_fragment(spec->config, &local);
	if (!fragment) {
		pc_reasons_add(result->reasons, "kconfig-extra",
			       PC_SEVERITY_INFRA, "%s", local->message);
		return TRUE;
	}
	if (!prepare_out(&b, fragment, error))
		return FALSE;
	b.fragment = fragment;
	b.deadline = start + (gint64)spec->config->build_timeout * G_USEC_PER_SEC;
	b.jobs = g_strdup_printf("-j%u", g_get_num_processors());
	if (!strcmp(spec->config->build_recipe, "kernel"))
		pc_build_kernel_recipe(&b);
	else
		command_recipe(&b);
	g_free(b.jobs);
	b.lap = g_get_monotonic_time();
	read_diagnostics(&b);
	name_first_error(result);
	pc_build_step_lap(&b, "diagnostics");
	result->duration_s = (g_get_monotonic_time() - start) / 1e6;
	return TRUE;
}

void pc_build_stage_free(PcBuildStage *stage)
{
	g_free(stage->name);
	g_strfreev(stage->targets);
	g_free(stage);
}

void pc_build_result_clear(PcBuildResult *r)
{
	g_free(r->verdict);
	if (r->reasons)
		g_ptr_array_unref(r->reasons);
	g_free(r->recipe);
	g_free(r->scope);
	g_free(r->coverage);
	g_free(r->kconfig);
	g_free(r->config_rust);
	g_free(r->fragment);
	pc_toolchain_clear(&r->toolchain);
	g_strfreev(r->targets);
	if (r->stages)
		g_ptr_array_unref(r->stages);
	if (r->diagnostics)
		g_ptr_array_unref(r->diagnostics);
	g_free(r->log_path);
	g_strfreev(r->reproduce);
	g_clear_pointer(&r->baseline, pc_build_baseline_free);
	g_clear_pointer(&r->boot, pc_boot_result_free);
	memset(r, 0, sizeof(*r));
}

void pc_build_baseline_free(PcBuildBaseline *bl)
{
	if (!bl)
		return;
	g_free(bl->commit);
	g_free(bl->verdict);
	g_free(bl->config_rust);
	g_free(bl->first_error);
	g_free(bl);
}

void pc_boot_result_free(PcBootResult *boot)
{
	if (!boot)
		return;
	g_free(boot->status);
	g_free(boot->config);
	g_free(boot->reason);
	g_free(boot->text);
	g_free(boot->accel);
	g_free(boot->accel_why);
	g_free(boot->out_dir);
	g_free(boot->first_bad);
	g_free(boot->excerpt);
	g_strfreev(boot->samples);
	g_free(boot->console_path);
	g_free(boot->sandbox);
	g_strfreev(boot->reproduce);
	g_free(boot);
}
