// SPDX-License-Identifier: GPL-2.0-only
/*
 * build: runs the recipe in the sandbox and turns what make said into a
 * verdict.
 *
 * The kernel recipe follows netdev's CI for Rust builds: allmodconfig
 * with a fragment that asks for CONFIG_RUST=y and turns off what blocks
 * it (COMPILE_TEST selects full randstruct; MODVERSIONS excludes Rust on
 * 6.12), `rustavailable` to tell our toolchain's faults from the tree's,
 * then a check that CONFIG_RUST really is y in the .config built: a build
 * with Rust silently off is never a pass.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "build.h"
#include "buildlog.h"
#include "reason.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-build-error-quark, pc_build_error)

const char pc_build_rust_fragment[] =
	"CONFIG_RUST=y\n"
	"CONFIG_RANDSTRUCT_NONE=y\n"
	"# CONFIG_MODVERSIONS is not set\n";

#define FRAGMENT_NAME "pullcheck-rust.config"
/* Where the command recipe sees its tree and output. */
#define COMMAND_SRC "/tmp/src"
#define COMMAND_OUT "/tmp/out"
#define MAX_LOG_BYTES (64ull << 20)
#define MAX_DIAGNOSTICS 20

typedef struct {
	const PcBuildSpec *spec;
	PcBuildResult *result;
	gint64 deadline;	/* monotonic, µs */
	char *jobs;		/* "-jN" */
	gint64 lap;		/* when the last step ended, for the debug log */
} Build;

/* How long a step of our own took, for G_MESSAGES_DEBUG=pullcheck-build. */
static void lap(Build *b, const char *step)
{
	gint64 now = g_get_monotonic_time();

	g_debug("%s: %s took %.3f s", b->spec->log_path, step,
		(now - b->lap) / 1e6);
	b->lap = now;
}

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

static void note(Build *b, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A line of our own in the build log, so a reader sees each step. */
static void note(Build *b, const char *fmt, ...)
{
	g_autofree char *line = NULL;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_message("%s", line);
	fd = open(b->spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;
	if (write(fd, "### pullcheck: ", 15) < 0 ||
	    write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		g_warning("%s: %s", b->spec->log_path, g_strerror(errno));
	close(fd);
}

static guint seconds_left(Build *b)
{
	gint64 left = (b->deadline - g_get_monotonic_time()) / G_USEC_PER_SEC;

	return left > 0 ? left : 1;
}

/*
 * What no sandbox may show, whatever its root: the state directory (the
 * store, the object store, the root's own parent), the password files,
 * systemd's credentials, and the host's shadow files for a root that is
 * the host's own. The build's tree and output, though under the state
 * directory by default, are mounted on their own and stay visible.
 * (transfer full; NULL-terminated)
 */
static GPtrArray *secret_paths(const PcConfig *config)
{
	GPtrArray *p = g_ptr_array_new();

	g_ptr_array_add(p, config->state_dir);
	if (config->imap_password_file)
		g_ptr_array_add(p, config->imap_password_file);
	if (config->smtp_password_file)
		g_ptr_array_add(p, config->smtp_password_file);
	if (g_getenv("CREDENTIALS_DIRECTORY"))
		g_ptr_array_add(p, (char *)g_getenv("CREDENTIALS_DIRECTORY"));
	if (config->path)
		g_ptr_array_add(p, config->path);
	g_ptr_array_add(p, "/etc/shadow");
	g_ptr_array_add(p, "/etc/gshadow");
	g_ptr_array_add(p, NULL);
	return p;
}

static gboolean spawn_check(const char *const *argv, GError **error)
{
	g_autofree char *err = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
			  NULL, NULL, &err, &status, error))
		return FALSE;
	if (g_spawn_check_wait_status(status, NULL))
		return TRUE;
	g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP, "%s: %s",
		    argv[0], g_strchomp(err));
	return FALSE;
}

/*
 * Empties the output directory, keeping the directory (it may be a
 * mount point). rm, not a walk of our own: the build wrote this tree,
 * and may have made it deep, full of links or unreadable; rm -rf
 * follows no link and needs no descriptor per level. chmod first, for
 * what the build made unwritable (root needs none).
 */
static gboolean empty_out(const char *out, GError **error)
{
	const char *const chmod_argv[] = { "chmod", "-R", "u+rwX", "--", out,
					   NULL };
	const char *const find_argv[] = {
		"find", out, "-mindepth", "1", "-maxdepth", "1", "-exec", "rm",
		"-rf", "--one-file-system", "--", "{}", "+", NULL,
	};

	if (g_mkdir_with_parents(out, 0755) < 0) {
		g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP, "%s: %s",
			    out, g_strerror(errno));
		return FALSE;
	}
	if (geteuid() != 0)
		spawn_check(chmod_argv, NULL);
	if (!spawn_check(find_argv, error)) {
		g_prefix_error(error, "cannot empty the build output %s: ", out);
		return FALSE;
	}
	return TRUE;
}

/* After a full disk: this job's output goes, so the next one has room. */
static void empty_out_for_next(Build *b)
{
	g_autoptr(GError) error = NULL;

	if (empty_out(b->spec->out, &error))
		note(b, "the output %s was removed to make room", b->spec->out);
	else
		g_warning("%s", error->message);
}

/* Whether the log holds the words of ENOSPC in the C locale. */
static gboolean log_says_no_space(const char *log_path)
{
	g_autoptr(GMappedFile) log = g_mapped_file_new(log_path, FALSE, NULL);
	const char words[] = "No space left on device";

	return log && g_mapped_file_get_length(log) &&
	       memmem(g_mapped_file_get_contents(log),
		      g_mapped_file_get_length(log), words,
		      sizeof(words) - 1);
}

/*
 * Nearly full: less than a twentieth of it, at most 1 GiB, left (a
 * compiler removes its half-written output when a write fails, so a
 * file system that was full a moment ago need not be full now).
 */
static gboolean nearly_full(const char *path)
{
	struct statvfs st;
	guint64 total, avail;

	if (statvfs(path, &st) < 0)
		return FALSE;
	total = (guint64)st.f_blocks * st.f_frsize;
	avail = (guint64)st.f_bavail * st.f_frsize;
	return avail < MIN(total / 20, G_GUINT64_CONSTANT(1) << 30) ||
	       (st.f_files && !st.f_favail);
}

/*
 * A step that failed for want of space failed on our side, not the pull
 * request's: the output's file system, or the sandbox's bounded /tmp,
 * filled up. The output goes when it was the output's file system, so
 * one job that fills cache_dir does not fail every job after it. (A
 * build can print the words itself; it gains a could-not-check by that,
 * which it could have had by running into the timeout.)
 */
static gboolean out_of_space(Build *b)
{
	guint64 tmp = b->spec->config->build_tmp_size;
	g_autofree char *size = NULL;

	if (!log_says_no_space(b->spec->log_path))
		return FALSE;
	if (nearly_full(b->spec->out)) {
		pc_reasons_add(b->result->reasons, "no-space", PC_SEVERITY_INFRA,
			       "no space left on %s", b->spec->out);
		empty_out_for_next(b);
		return TRUE;
	}
	size = tmp % (1 << 20) ? g_strdup_printf("%" G_GUINT64_FORMAT, tmp)
			       : g_strdup_printf("%" G_GUINT64_FORMAT "M",
						 tmp >> 20);
	pc_reasons_add(b->result->reasons, "no-space", PC_SEVERITY_INFRA,
		       "no space left on /tmp in the build sandbox ([build] "
		       "tmp_size = %s)", size);
	return TRUE;
}

/*
 * Runs @argv in the sandbox. Returns FALSE when it could not run, was
 * stopped (timeout, cancel, a signal) or ran out of space: the build is
 * then not checkable, and a reason says why. *@ok says whether it
 * exited 0.
 */
static gboolean run_step(Build *b, const char *root, const char *src_mount,
			 const char *out_mount, const char *const *argv,
			 const char *const *env, gboolean *ok)
{
	const PcBuildSpec *spec = b->spec;
	g_autoptr(GPtrArray) hide = secret_paths(spec->config);
	PcSandboxSpec sb = {
		.root = root,
		.hide = (const char *const *)hide->pdata,
		.tmp_size = spec->config->build_tmp_size,
		.src = spec->src,
		.src_mount = src_mount,
		.out = spec->out,
		.out_mount = out_mount,
		.argv = argv,
		.env = env,
		.timeout_s = seconds_left(b),
		.max_memory = 16ull << 30,
		.max_file_size = 16ull << 30,
		.max_procs = 8192,
		.log_path = spec->log_path,
		.log_append = TRUE,
		.max_log_bytes = MAX_LOG_BYTES,
		.on_line = spec->on_line,
		.on_line_data = spec->on_line_data,
		.cancellable = spec->cancellable,
	};
	PcSandboxResult res;
	g_autoptr(GError) error = NULL;

	*ok = FALSE;
	lap(b, "our own work before the sandbox");
	if (!pc_sandbox_run(&sb, &res, &error) &&
	    g_error_matches(error, PC_SANDBOX_ERROR, PC_SANDBOX_ERROR_NO_SPACE)) {
		pc_reasons_add(b->result->reasons, "no-space", PC_SEVERITY_INFRA,
			       "%s", error->message);
		empty_out_for_next(b);
		return FALSE;
	}
	if (error) {
		pc_reasons_add(b->result->reasons, "sandbox-failed",
			       PC_SEVERITY_INFRA, "the build sandbox failed: %s",
			       error->message);
		return FALSE;
	}
	b->result->make_s += res.duration_ms / 1000.0;
	lap(b, argv[0]);
	if (res.timed_out || res.cancelled || !res.exited) {
		pc_reasons_add(b->result->reasons,
			       res.cancelled ? "build-cancelled" : "build-timeout",
			       PC_SEVERITY_INFRA,
			       res.timed_out ? "the build ran past [build] timeout "
					       "(%u s) and was stopped"
			       : res.cancelled ? "the build was stopped (%u s "
						 "budget; pullcheck shut down)"
					       : "the build was killed by a signal "
						 "(%u s budget; out of memory?)",
			       spec->config->build_timeout);
		return FALSE;
	}
	*ok = res.exit_status == 0;
	return *ok || !out_of_space(b);
}

static gboolean make(Build *b, const char *step, const char *const *targets,
		     gboolean *ok)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *joined = g_strjoinv(" ", (char **)targets);

	note(b, "make %s", joined);
	g_ptr_array_add(argv, "make");
	g_ptr_array_add(argv, "LLVM=1");
	g_ptr_array_add(argv, "O=" PC_BUILDROOT_OUT);
	g_ptr_array_add(argv, b->jobs);
	g_ptr_array_add(argv,
			"KCONFIG_ALLCONFIG=" PC_BUILDROOT_OUT "/" FRAGMENT_NAME);
	if (!g_strcmp0(step, "targets"))
		g_ptr_array_add(argv, "-k");	/* every error, not the first */
	for (const char *const *t = targets; *t; t++)
		g_ptr_array_add(argv, (gpointer)*t);
	g_ptr_array_add(argv, NULL);
	return run_step(b, b->spec->config->build_root, PC_BUILDROOT_SRC,
			PC_BUILDROOT_OUT, (const char *const *)argv->pdata,
			KERNEL_ENV, ok);
}

/* "y", "m", a value, or "n" for "# CONFIG_X is not set" and absence. */
static char *config_value(const char *config_text, const char *symbol)
{
	g_autofree char *set = g_strdup_printf("\nCONFIG_%s=", symbol);
	g_autofree char *text = g_strconcat("\n", config_text, NULL);
	const char *p = strstr(text, set);

	if (!p)
		return g_strdup("n");
	p += strlen(set);
	return g_strndup(p, strcspn(p, "\n"));
}

/*
 * Why Rust is off: the "depends on" lines of `config RUST` in the tree's
 * own init/Kconfig, with each symbol's value in the .config built.
 */
static char *explain_rust_off(const char *src, const char *config_text)
{
	g_autofree char *kconfig_path = g_build_filename(src, "init", "Kconfig",
							 NULL);
	g_autofree char *kconfig = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);
	gboolean in_rust = FALSE;

	if (!g_file_get_contents(kconfig_path, &kconfig, NULL, NULL))
		return g_string_free(out, FALSE);
	lines = g_strsplit(kconfig, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *t = *l + strspn(*l, " \t");

		if (g_str_has_prefix(*l, "config ") || g_str_has_prefix(*l, "menuconfig "))
			in_rust = !strcmp(*l, "config RUST");
		if (!in_rust || !g_str_has_prefix(t, "depends on "))
			continue;
		g_string_append_printf(out, "%s%s [", out->len ? "; " : "", t);
		for (const char *s = t + 11; *s;) {
			gsize n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

			if (n && !g_ascii_isdigit(*s)) {
				g_autofree char *sym = g_strndup(s, n);
				g_autofree char *v = config_value(config_text, sym);

				g_string_append_printf(out, "%s=%s ", sym, v);
			}
			s += n ? n : 1;
		}
		if (out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, ']');
	}
	return g_string_free(out, FALSE);
}

static gboolean symbol_on(const char *config_text, const char *symbol)
{
	g_autofree char *v = config_value(config_text, symbol);

	return !strcmp(v, "y") || !strcmp(v, "m");
}

/* "$(CONFIG_FOO)" at @s: FOO, else NULL. (transfer full) */
static char *config_ref(const char *s)
{
	const char *end;

	if (!g_str_has_prefix(s, "$(CONFIG_"))
		return NULL;
	s += strlen("$(CONFIG_");
	end = strchr(s, ')');
	return end ? g_strndup(s, end - s) : NULL;
}

/*
 * Whether an ifdef/ifndef/ifeq/ifneq line holds under @config. Only the
 * forms kbuild Makefiles use on CONFIG_ symbols are understood; any
 * other condition counts as true.
 */
static gboolean condition_holds(const char *line, const char *config)
{
	gboolean negate = g_str_has_prefix(line, "ifndef") ||
			  g_str_has_prefix(line, "ifneq");
	const char *arg = line + strcspn(line, " \t(");
	g_autofree char *sym = NULL;

	arg += strspn(arg, " \t(");
	if (g_str_has_prefix(line, "ifdef") || g_str_has_prefix(line, "ifndef")) {
		if (!g_str_has_prefix(arg, "CONFIG_"))
			return TRUE;
		sym = g_strndup(arg + 7, strcspn(arg + 7, " \t"));
		return symbol_on(config, sym) != negate;
	}
	/* ifeq ($(CONFIG_X),y), ($(CONFIG_X),m), ($(CONFIG_X),) */
	sym = config_ref(arg);
	if (!sym || !strchr(arg, ','))
		return TRUE;
	{
		const char *want = strchr(arg, ',') + 1;
		g_autofree char *v = config_value(config, sym);
		gboolean equal;

		if (*want == ')')
			equal = !strcmp(v, "n");
		else if (!g_str_has_prefix(want, "y)") &&
			 !g_str_has_prefix(want, "m)"))
			return TRUE;
		else
			equal = v[0] == want[0] && !v[1];
		return equal != negate;
	}
}

static gboolean has_word(const char *text, const char *word)
{
	gsize n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
		if ((p == text || g_ascii_isspace(p[-1])) &&
		    (!p[n] || g_ascii_isspace(p[n])))
			return TRUE;
	return FALSE;
}

static gboolean object_configured(const char *dir, const char *objo,
				  const char *config, guint depth);

/*
 * An assignment "LHS += ... OBJ ..." that builds @objo: obj-y, lib-y and
 * their $(CONFIG_X) forms directly; "name-y", "name-objs" and
 * "name-$(CONFIG_X)" as a part of name.o, which must then be built too.
 */
static gboolean assignment_builds(const char *dir, const char *lhs,
				  const char *config, guint depth)
{
	const char *dash = strrchr(lhs, '-');
	g_autofree char *sym = NULL, *name = NULL, *composite = NULL;

	if (!dash)
		return FALSE;
	sym = config_ref(dash + 1);
	if (sym && !symbol_on(config, sym))
		return FALSE;
	if (!sym && strcmp(dash + 1, "y") && strcmp(dash + 1, "m") &&
	    strcmp(dash + 1, "objs"))
		return FALSE;
	if (g_str_has_prefix(lhs, "obj-") || g_str_has_prefix(lhs, "lib-"))
		return TRUE;
	name = g_strndup(lhs, dash - lhs);
	composite = g_strconcat(name, ".o", NULL);
	return object_configured(dir, composite, config, depth + 1);
}

/* The Makefile (or Kbuild) of @dir as logical lines: continuations joined. */
static char **makefile_lines(const char *dir)
{
	const char *const names[] = { "Kbuild", "Makefile" };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(dir, names[i], NULL);
		g_autofree char *text = NULL;
		g_auto(GStrv) parts = NULL;

		if (!g_file_get_contents(path, &text, NULL, NULL))
			continue;
		parts = g_strsplit(text, "\\\n", -1);
		g_free(text);
		text = g_strjoinv(" ", parts);
		return g_strsplit(text, "\n", -1);
	}
	return NULL;
}

/*
 * Whether kbuild builds @objo in @dir under @config: a small reading of
 * the directory's Makefile (assignments, ifdef/ifeq on CONFIG_ symbols).
 * Asking make for one object the .config does not build fails with
 * errors that are not the pull request's, so only these are asked for.
 */
static gboolean object_configured(const char *dir, const char *objo,
				  const char *config, guint depth)
{
	g_auto(GStrv) lines = depth < 3 ? makefile_lines(dir) : NULL;
	gboolean stack[32];
	guint top = 0, off = 0;

	for (char **l = lines; l && *l; l++) {
		char *line = g_strstrip(*l);
		char *op;

		if (g_str_has_prefix(line, "if") && top < G_N_ELEMENTS(stack)) {
			stack[top] = condition_holds(line, config);
			off += !stack[top++];
		} else if (!strcmp(line, "else") && top) {
			off -= !stack[top - 1];
			stack[top - 1] = !stack[top - 1];
			off += !stack[top - 1];
		} else if (g_str_has_prefix(line, "endif") && top) {
			off -= !stack[--top];
		} else if (!off && (op = strchr(line, '='))) {
			/* "=", ":=", "+=" (and "?="): the left side ends before. */
			gsize lhs_len = op - line;
			g_autofree char *lhs = NULL;

			if (lhs_len && strchr("+:?", line[lhs_len - 1]))
				lhs_len--;
			lhs = g_strstrip(g_strndup(line, lhs_len));
			if (has_word(op + 1, objo) &&
			    assignment_builds(dir, lhs, config, depth))
				return TRUE;
		}
	}
	return FALSE;
}

/* Trees the rust scope does not look for crates in (rust/ is built whole). */
static gboolean skipped(const char *rel)
{
	const char *const skip[] = { "rust", "samples/rust", "tools",
				     "Documentation", "scripts" };

	for (gsize i = 0; i < G_N_ELEMENTS(skip); i++)
		if (!strcmp(rel, skip[i]))
			return TRUE;
	return FALSE;
}

/*
 * A .rs file is a crate of its own when its directory's Makefile builds
 * its .o; other .rs files are modules of a crate and build with it.
 */
static void add_rust_object(GPtrArray *targets, const char *src,
			    const char *rel, const char *config)
{
	g_autofree char *dir = g_path_get_dirname(rel);
	g_autofree char *base = g_path_get_basename(rel);
	g_autofree char *abs_dir = g_build_filename(src, dir, NULL);
	g_autofree char *objo = NULL;

	base[strlen(base) - 3] = '\0';
	objo = g_strconcat(base, ".o", NULL);
	if (object_configured(abs_dir, objo, config, 0))
		g_ptr_array_add(targets, strcmp(dir, ".") ?
				g_build_filename(dir, objo, NULL) :
				g_steal_pointer(&objo));
}

/* Whether @rel lies under a skipped tree or a hidden directory. */
static gboolean in_skipped(const char *rel)
{
	g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
	g_autoptr(GString) prefix = g_string_new(NULL);

	for (char **p = parts; p[0] && p[1]; p++) {
		g_string_append_printf(prefix, "%s%s", prefix->len ? "/" : "",
				       *p);
		if ((*p)[0] == '.' || skipped(prefix->str))
			return TRUE;
	}
	return FALSE;
}

/* From the list the checkout gives: no walk over the tree. */
static void add_listed_rust_objects(GPtrArray *targets, const char *src,
				    const char *const *files,
				    const char *config)
{
	for (const char *const *f = files; *f; f++) {
		const char *base = strrchr(*f, '/');

		base = base ? base + 1 : *f;
		if (g_str_has_suffix(*f, ".rs") && base[0] != '.' &&
		    !in_skipped(*f))
			add_rust_object(targets, src, *f, config);
	}
}

/* Without a list: readdir's d_type says what is a directory, no stat. */
static void walk_rust_objects(GPtrArray *targets, const char *src,
			      const char *rel, const char *config)
{
	g_autofree char *dir = g_build_filename(src, rel, NULL);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		g_autofree char *child = *rel ? g_build_filename(rel, e->d_name,
								 NULL)
					      : g_strdup(e->d_name);
		gboolean is_dir = e->d_type == DT_DIR;

		if (e->d_name[0] == '.' || skipped(child))
			continue;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = fstatat(dirfd(d), e->d_name, &st,
					 AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		}
		if (is_dir)
			walk_rust_objects(targets, src, child, config);
		else if (g_str_has_suffix(e->d_name, ".rs"))
			add_rust_object(targets, src, child, config);
	}
	if (d)
		closedir(d);
}

static void add_changed_c_objects(GPtrArray *targets, const char *src,
				  const char *const *changed, const char *config)
{
	for (const char *const *c = changed; c && *c; c++) {
		g_autofree char *dir = NULL, *base = NULL, *objo = NULL;
		g_autofree char *abs_dir = NULL;

		if (!g_str_has_suffix(*c, ".c") || g_str_has_prefix(*c, "tools/") ||
		    g_str_has_prefix(*c, "scripts/"))
			continue;
		dir = g_path_get_dirname(*c);
		base = g_path_get_basename(*c);
		base[strlen(base) - 2] = '\0';
		objo = g_strconcat(base, ".o", NULL);
		abs_dir = g_build_filename(src, dir, NULL);
		if (object_configured(abs_dir, objo, config, 0))
			g_ptr_array_add(targets, g_build_filename(dir, objo, NULL));
	}
}

/*
 * What the rust scope builds after prepare, given the .config that was
 * made. (transfer full)
 */
static char **rust_targets(const PcBuildSpec *spec, const char *config)
{
	GPtrArray *t = g_ptr_array_new();
	g_autofree char *samples = g_build_filename(spec->src, "samples",
						    "rust", NULL);

	g_ptr_array_add(t, g_strdup("rust/"));
	if (g_file_test(samples, G_FILE_TEST_IS_DIR))
		g_ptr_array_add(t, g_strdup("samples/rust/"));
	if (spec->rust_files)
		add_listed_rust_objects(t, spec->src, spec->rust_files, config);
	else
		walk_rust_objects(t, spec->src, "", config);
	add_changed_c_objects(t, spec->src, spec->changed, config);
	g_ptr_array_add(t, NULL);
	return (char **)g_ptr_array_free(t, FALSE);
}

static void read_diagnostics(Build *b)
{
	g_autoptr(PcBuildlogParser) parser = pc_buildlog_parser_new();
	g_autofree char *log = NULL;
	gsize len = 0;
	PcDiagnostics diags = { 0 };

	if (!g_file_get_contents(b->spec->log_path, &log, &len, NULL))
		return;
	pc_buildlog_parse(parser, log, len,
			  !strcmp(b->result->recipe, "kernel")
				  ? PC_BUILDROOT_SRC "/" : COMMAND_SRC "/",
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
	if (d->file)
		text = g_strdup_printf("%s; the first error, in %s code, is at "
				       "%s:%u: %s", failed->text, d->language,
				       d->file, d->line, d->message);
	else
		text = g_strdup_printf("%s; the first error (%s): %s",
				       failed->text, d->tool, d->message);
	g_free(failed->text);
	failed->text = text;
}

static void set_reproduce(Build *b, char **targets)
{
	const PcBuildSpec *spec = b->spec;
	g_autofree char *joined = targets ? g_strjoinv(" ", targets) : NULL;
	GPtrArray *r = g_ptr_array_new();

	g_ptr_array_add(r, g_strdup_printf("$ git fetch %s %s",
					   spec->fetch_url ? spec->fetch_url : "URL",
					   spec->ref ? spec->ref : ""));
	g_ptr_array_add(r, g_strdup_printf("$ git checkout %s",
					   spec->tip ? spec->tip : "FETCH_HEAD"));
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

static void set_verdict(PcBuildResult *result, const char *verdict)
{
	g_free(result->verdict);
	result->verdict = g_strdup(verdict);
}

gboolean pc_build_check_rust_config(const char *src, const char *out,
				    PcBuildResult *result)
{
	g_autofree char *path = g_build_filename(out, ".config", NULL);
	g_autofree char *text = NULL, *why = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		pc_reasons_add(result->reasons, "config-missing",
			       PC_SEVERITY_INFRA, "allmodconfig left no .config");
		return FALSE;
	}
	result->config_rust = config_value(text, "RUST");
	if (!strcmp(result->config_rust, "y"))
		return TRUE;
	why = explain_rust_off(src, text);
	pc_reasons_add(result->reasons, "rust-disabled", PC_SEVERITY_ERROR,
		       "CONFIG_RUST is %s in the .config allmodconfig made "
		       "with CONFIG_RUST=y asked for, so Rust cannot be "
		       "built: init/Kconfig: %s",
		       result->config_rust, *why ? why : "(no config RUST)");
	set_verdict(result, PC_VERDICT_FAIL);
	return FALSE;
}

static gboolean configure(Build *b)
{
	const char *const allmodconfig[] = { "allmodconfig", NULL };
	const char *const rustavailable[] = { "rustavailable", NULL };
	gboolean ok;

	if (!make(b, "allmodconfig", allmodconfig, &ok))
		return FALSE;
	if (!ok) {
		pc_reasons_add(b->result->reasons, "config-failed",
			       PC_SEVERITY_ERROR, "make allmodconfig failed");
		set_verdict(b->result, PC_VERDICT_FAIL);
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

static void compile(Build *b)
{
	const char *const prepare[] = { "prepare", NULL };
	g_auto(GStrv) targets = NULL;
	gboolean ok;

	if (!strcmp(b->result->scope, "rust")) {
		g_autofree char *path = g_build_filename(b->spec->out, ".config",
							 NULL);
		g_autofree char *config = NULL;

		g_file_get_contents(path, &config, NULL, NULL);
		targets = rust_targets(b->spec, config ? config : "");
		b->result->targets = g_strdupv(targets);
		lap(b, "rust targets");
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
	if (!ok) {
		pc_reasons_add(b->result->reasons, "build-failed",
			       PC_SEVERITY_ERROR, "the %s-scope build failed",
			       b->result->scope);
		set_verdict(b->result, PC_VERDICT_FAIL);
		return;
	}
	pc_reasons_add(b->result->reasons, "scope", PC_SEVERITY_INFO,
		       !strcmp(b->result->scope, "rust")
			       ? "scope rust: prepare, rust/ and every Rust "
				 "object and changed C object were built, not "
				 "all of vmlinux and the modules"
			       : "scope full: vmlinux and all modules were built");
	set_verdict(b->result, PC_VERDICT_PASS);
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

	/* No fsync: written anew by every build. */
	if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE,
				     0644, &local))
		return TRUE;
	if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
		set_no_space(error, path);
	else
		g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static gboolean write_out_files(Build *b, GError **error)
{
	g_autofree char *fragment = g_build_filename(b->spec->out,
						     FRAGMENT_NAME, NULL);

	if (g_mkdir_with_parents(b->spec->out, 0755) < 0) {
		if (errno == ENOSPC)
			set_no_space(error, b->spec->out);
		else
			g_set_error(error, PC_BUILD_ERROR, PC_BUILD_ERROR_SETUP,
				    "%s: %s", b->spec->out, g_strerror(errno));
		return FALSE;
	}
	return write_out_file(b->spec->log_path, "", error) &&
	       write_out_file(fragment, pc_build_rust_fragment, error);
}

/*
 * The command recipe's output is emptied before every build: what one
 * job left there must not decide the next one's verdict. The kernel's
 * is kept for make to build incrementally, unless the disk is full: then
 * it goes, and the build starts from nothing.
 */
static gboolean prepare_out(Build *b, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!strcmp(b->spec->config->build_recipe, "command") &&
	    !empty_out(b->spec->out, error))
		return FALSE;
	if (write_out_files(b, &local))
		return TRUE;
	if (!g_error_matches(local, PC_BUILD_ERROR, PC_BUILD_ERROR_NO_SPACE) ||
	    !empty_out(b->spec->out, NULL)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return write_out_files(b, error);
}

static void kernel_recipe(Build *b)
{
	g_autoptr(GError) error = NULL;

	b->result->scope = g_strdup(b->spec->config->build_scope);
	b->result->fragment = g_strdup(pc_build_rust_fragment);
	if (!pc_buildroot_check(b->spec->config->build_root, &error) ||
	    !pc_buildroot_toolchain(b->spec->config->build_root,
				    &b->result->toolchain, &error)) {
		pc_reasons_add(b->result->reasons, "toolchain-missing",
			       PC_SEVERITY_INFRA, "%s", error->message);
		return;
	}
	lap(b, "build root and toolchain");
	note(b, "toolchain: %s; %s; %s; %s", b->result->toolchain.rustc,
	     b->result->toolchain.bindgen, b->result->toolchain.clang,
	     b->result->toolchain.lld);
	if (configure(b))
		compile(b);
	set_reproduce(b, !strcmp(b->result->scope, "rust") ? b->result->targets
							  : NULL);
}

/*
 * [build] command: the argv runs with the tree at /tmp/src (read-only)
 * and its output at /tmp/out, on a root of the host's /usr and a few
 * secret-free files of /etc (sandbox.c), never on the host's /. Not on
 * the kernel build root: this recipe builds other projects, and the
 * tests, with the host's own compilers, and needs no setup-root.
 */
static void command_recipe(Build *b)
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
	note(b, "command: %s", argv[0]);
	if (!run_step(b, NULL, COMMAND_SRC, COMMAND_OUT,
		      (const char *const *)argv, env, &ok))
		return;
	if (ok) {
		set_verdict(b->result, PC_VERDICT_PASS);
		return;
	}
	pc_reasons_add(b->result->reasons, "build-failed", PC_SEVERITY_ERROR,
		       "the build command %s failed", argv[0]);
	set_verdict(b->result, PC_VERDICT_FAIL);
}

gboolean pc_build_run(const PcBuildSpec *spec, PcBuildResult *result,
		      GError **error)
{
	Build b = { .spec = spec, .result = result };
	gint64 start = g_get_monotonic_time();

	memset(result, 0, sizeof(*result));
	result->reasons = pc_reasons_new();
	result->recipe = g_strdup(spec->config->build_recipe);
	result->log_path = g_strdup(spec->log_path);
	/* could-not-check until a step says otherwise */
	result->verdict = g_strdup(PC_VERDICT_UNCHECKED);
	b.lap = start;
	if (!prepare_out(&b, error))
		return FALSE;
	b.deadline = start + (gint64)spec->config->build_timeout * G_USEC_PER_SEC;
	b.jobs = g_strdup_printf("-j%u", g_get_num_processors());
	if (!strcmp(spec->config->build_recipe, "kernel"))
		kernel_recipe(&b);
	else
		command_recipe(&b);
	g_free(b.jobs);
	b.lap = g_get_monotonic_time();
	read_diagnostics(&b);
	name_first_error(result);
	lap(&b, "diagnostics");
	result->duration_s = (g_get_monotonic_time() - start) / 1e6;
	return TRUE;
}

void pc_build_result_clear(PcBuildResult *r)
{
	g_free(r->verdict);
	if (r->reasons)
		g_ptr_array_unref(r->reasons);
	g_free(r->recipe);
	g_free(r->scope);
	g_free(r->config_rust);
	g_free(r->fragment);
	pc_toolchain_clear(&r->toolchain);
	g_strfreev(r->targets);
	if (r->diagnostics)
		g_ptr_array_unref(r->diagnostics);
	g_free(r->log_path);
	g_strfreev(r->reproduce);
	memset(r, 0, sizeof(*r));
}
