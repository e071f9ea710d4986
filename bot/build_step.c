// SPDX-License-Identifier: GPL-2.0-only
/*
 * build_step: a step of either recipe in the sandbox, the notes in the
 * build log, and the space the output needs: a step that fails for want
 * of space fails on our side, and the output is emptied so the next job
 * has room.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "build_step.h"
#include "reason.h"

#define MAX_LOG_BYTES (64ull << 20)

void pc_build_step_lap(PcBuildRun *b, const char *step)
{
	gint64 now = g_get_monotonic_time();

	g_debug("%s: %s took %.3f s", b->spec->log_path, step,
		(now - b->lap) / 1e6);
	b->lap = now;
}

/*
 * A line of progress for the caller (pullcheck status shows the last),
 * with the stage it belongs to in front.
 */
static void stage_line(const char *line, gpointer data)
{
	PcBuildRun *b = data;
	g_autofree char *tagged = NULL;

	if (b->stage)
		tagged = g_strdup_printf("[%s] %s", b->stage, line);
	b->spec->on_line(tagged ? tagged : line, b->spec->on_line_data);
}

void pc_build_step_note(PcBuildRun *b, const char *fmt, ...)
{
	g_autofree char *line = NULL;
	g_autofree char *marked = NULL;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_message("%s", line);
	if (b->spec->on_line) {
		marked = g_strconcat("### pullcheck: ", line, NULL);
		stage_line(marked, b);
	}
	fd = open(b->spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return;
	if (write(fd, "### pullcheck: ", 15) < 0 ||
	    write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		g_warning("%s: %s", b->spec->log_path, g_strerror(errno));
	close(fd);
}

static guint seconds_left(PcBuildRun *b)
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
GPtrArray *pc_build_step_secret_paths(const PcConfig *config)
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
 * rm, not a walk of our own: the build wrote this tree, and may have
 * made it deep, full of links or unreadable; rm -rf follows no link and
 * needs no descriptor per level. chmod first, for what the build made
 * unwritable (root needs none).
 */
gboolean pc_build_step_empty_out(const char *out, GError **error)
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
static void empty_out_for_next(PcBuildRun *b)
{
	g_autoptr(GError) error = NULL;

	if (pc_build_step_empty_out(b->spec->out, &error))
		pc_build_step_note(b, "the output %s was removed to make room",
				   b->spec->out);
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
 * request's: the output's file system, or the sandbox's bounded /tmp
 * or /dev/shm, filled up. The output goes when it was the output's file
 * system, so one job that fills cache_dir does not fail every job after
 * it. (A build can print the words itself; it gains a could-not-check by
 * that, which it could have had by running into the timeout.)
 */
static gboolean out_of_space(PcBuildRun *b)
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
		       "no space left on /tmp or /dev/shm in the build "
		       "sandbox ([build] tmp_size = %s)", size);
	return TRUE;
}

static gboolean run_step(PcBuildRun *b, const char *root,
			 const char *src_mount, const char *out_mount,
			 const char *const *argv, const char *const *env,
			 const char *quiet_log, gboolean *ok)
{
	const PcBuildSpec *spec = b->spec;
	g_autoptr(GPtrArray) hide = pc_build_step_secret_paths(spec->config);
	PcSandboxSpec sb = {
		.root = root,
		.hide = (const char *const *)hide->pdata,
		.tmp_size = spec->config->build_tmp_size,
		.src = spec->src,
		.src_mount = src_mount,
		.out = spec->out,
		.out_mount = out_mount,
		.cache = b->cache,
		.cache_mount = b->cache_mount,
		.chdir = b->chdir,
		.argv = argv,
		.env = env,
		.timeout_s = seconds_left(b),
		.max_memory = 16ull << 30,
		.max_file_size = 16ull << 30,
		.max_procs = 8192,
		.log_path = quiet_log ? quiet_log : spec->log_path,
		.log_append = !quiet_log,
		.max_log_bytes = MAX_LOG_BYTES,
		.on_line = quiet_log || !spec->on_line ? NULL : stage_line,
		.on_line_data = b,
		.cancellable = spec->cancellable,
	};
	PcSandboxResult res;
	g_autoptr(GError) error = NULL;

	*ok = FALSE;
	pc_build_step_lap(b, "our own work before the sandbox");
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
	pc_build_step_lap(b, argv[0]);
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

gboolean pc_build_step_run(PcBuildRun *b, const char *root,
			   const char *src_mount, const char *out_mount,
			   const char *const *argv, const char *const *env,
			   gboolean *ok)
{
	return run_step(b, root, src_mount, out_mount, argv, env, NULL, ok);
}

gboolean pc_build_step_run_quiet(PcBuildRun *b, const char *root,
				 const char *src_mount, const char *out_mount,
				 const char *const *argv,
				 const char *const *env, const char *log_path,
				 gboolean *ok)
{
	return run_step(b, root, src_mount, out_mount, argv, env, log_path,
			ok);
}

void pc_build_step_verdict(PcBuildResult *result, const char *verdict)
{
	g_free(result->verdict);
	result->verdict = g_strdup(verdict);
}

/* @text as the body of a printf '...' format: \, %, ' and newlines escaped. */
char *pc_build_step_printf_quoted(const char *text)
{
	GString *q = g_string_new(NULL);

	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '\\': g_string_append(q, "\\\\"); break;
		case '%': g_string_append(q, "%%"); break;
		case '\'': g_string_append(q, "'\\''"); break;
		case '\n': g_string_append(q, "\\n"); break;
		default: g_string_append_c(q, *p);
		}
	}
	return g_string_free(q, FALSE);
}

