// SPDX-License-Identifier: GPL-2.0-only
/*
 * sandbox: bubblewrap around a build.
 *
 * The tree dies whole: bwrap runs in its own process group and, with
 * --unshare-pid and --die-with-parent, its child is PID 1 of a namespace
 * whose every process the kernel kills when that child goes. A timeout
 * or a cancel sends SIGKILL to the group.
 *
 * RLIMIT_NPROC does not bind root, so a fork bomb is stopped by the
 * timeout alone when pullcheck runs as root; the systemd unit runs it as
 * its own user, where the limit holds.
 */
#define G_LOG_DOMAIN "pullcheck-sandbox"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sandbox.h"

G_DEFINE_QUARK(pc-sandbox-error-quark, pc_sandbox_error)

#define MAX_LINE (64 * 1024)

typedef struct {
	const PcSandboxSpec *spec;
	PcSandboxResult *result;
	GMainLoop *loop;
	GSubprocess *proc;
	int log_fd;
	GString *line;
	gboolean eof;
	gboolean exited;
	GError *log_error;
} Run;

static gboolean mount_point_ok(const char *root, const char *point,
			       GError **error)
{
	g_autofree char *path = NULL;

	if (g_str_has_prefix(point, "/tmp/"))
		return TRUE;	/* made by bwrap on its own tmpfs */
	path = g_build_filename(root, point, NULL);
	if (g_file_test(path, G_FILE_TEST_IS_DIR))
		return TRUE;
	g_set_error(error, PC_SANDBOX_ERROR, PC_SANDBOX_ERROR_SETUP,
		    "mount point %s is missing in the build root %s "
		    "(a read-only root cannot grow it; see setup-root)",
		    point, root);
	return FALSE;
}

static GPtrArray *bwrap_argv(const PcSandboxSpec *spec)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *const fixed[] = {
		"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
		"--unshare-all", "--die-with-parent", "--new-session",
		"--cap-drop", "ALL", "--clearenv",
	};

#define ADD(s) g_ptr_array_add(a, g_strdup(s))
	ADD(spec->bwrap ? spec->bwrap : "bwrap");
	ADD("--ro-bind");
	ADD(spec->root);
	ADD("/");
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		ADD(fixed[i]);
	ADD("--ro-bind");
	ADD(spec->src);
	ADD(spec->src_mount);
	ADD("--bind");
	ADD(spec->out);
	ADD(spec->out_mount);
	for (const char *const *e = spec->env; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq)
			continue;
		ADD("--setenv");
		g_ptr_array_add(a, g_strndup(*e, eq - *e));
		ADD(eq + 1);
	}
	ADD("--chdir");
	ADD(spec->chdir ? spec->chdir : spec->src_mount);
	ADD("--");
	for (const char *const *s = spec->argv; *s; s++)
		ADD(*s);
	g_ptr_array_add(a, NULL);
#undef ADD
	return a;
}

static void set_limit(int resource, guint64 value)
{
	struct rlimit rl = { value, value };

	if (value)
		setrlimit(resource, &rl);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_setup(gpointer data)
{
	const PcSandboxSpec *spec = data;

	setpgid(0, 0);
	set_limit(RLIMIT_AS, spec->max_memory);
	set_limit(RLIMIT_FSIZE, spec->max_file_size);
	set_limit(RLIMIT_NPROC, spec->max_procs);
	set_limit(RLIMIT_CORE, 0);
}

static void kill_tree(Run *run)
{
	const char *pid = g_subprocess_get_identifier(run->proc);

	if (pid)
		kill(-(pid_t)g_ascii_strtoll(pid, NULL, 10), SIGKILL);
	g_subprocess_force_exit(run->proc);
}

static void write_log(Run *run, const char *buf, gsize len)
{
	guint64 room = run->spec->max_log_bytes > run->result->log_bytes
			       ? run->spec->max_log_bytes - run->result->log_bytes
			       : 0;
	gsize n = MIN(len, room);

	if (n < len)
		run->result->log_truncated = TRUE;
	while (n > 0 && !run->log_error) {
		ssize_t w = write(run->log_fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			g_set_error(&run->log_error, PC_SANDBOX_ERROR,
				    PC_SANDBOX_ERROR_LOG, "%s: %s",
				    run->spec->log_path, g_strerror(errno));
			break;
		}
		buf += w;
		n -= w;
	}
	run->result->log_bytes += len;
}

static void feed_lines(Run *run, const char *buf, gsize len)
{
	if (!run->spec->on_line)
		return;
	for (gsize i = 0; i < len; i++) {
		if (buf[i] == '\n' || run->line->len >= MAX_LINE) {
			run->spec->on_line(run->line->str, run->spec->on_line_data);
			g_string_truncate(run->line, 0);
			if (buf[i] == '\n')
				continue;
		}
		g_string_append_c(run->line, buf[i]);
	}
}

static void maybe_quit(Run *run)
{
	if (run->eof && run->exited)
		g_main_loop_quit(run->loop);
}

static gboolean on_output(int fd, GIOCondition cond, gpointer data)
{
	Run *run = data;
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		run->eof = TRUE;
		maybe_quit(run);
		return G_SOURCE_REMOVE;
	}
	write_log(run, buf, n);
	feed_lines(run, buf, n);
	return G_SOURCE_CONTINUE;
}

static void on_exited(GObject *source, GAsyncResult *res, gpointer data)
{
	Run *run = data;

	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
	run->exited = TRUE;
	if (g_subprocess_get_if_exited(run->proc)) {
		run->result->exited = TRUE;
		run->result->exit_status = g_subprocess_get_exit_status(run->proc);
	} else if (g_subprocess_get_if_signaled(run->proc)) {
		run->result->term_signal = g_subprocess_get_term_sig(run->proc);
	}
	maybe_quit(run);
}

static gboolean on_timeout(gpointer data)
{
	Run *run = data;

	run->result->timed_out = TRUE;
	kill_tree(run);
	return G_SOURCE_REMOVE;
}

static void on_cancel(GCancellable *cancellable, gpointer data)
{
	Run *run = data;

	run->result->cancelled = TRUE;
	kill_tree(run);
}

static GSubprocess *spawn(const PcSandboxSpec *spec, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GPtrArray) argv = bwrap_argv(spec);
	const char *const env[] = { "PATH=/usr/bin:/bin", NULL };

	/* bwrap itself gets a bare environment; the build gets spec->env. */
	g_subprocess_launcher_set_environ(launcher, (char **)env);
	g_subprocess_launcher_set_child_setup(launcher, child_setup,
					      (gpointer)spec, NULL);
	g_subprocess_launcher_set_stdin_file_path(launcher, "/dev/null");
	return g_subprocess_launcher_spawnv(
		launcher, (const char *const *)argv->pdata, error);
}

static void watch(Run *run, GMainContext *ctx)
{
	GInputStream *out = g_subprocess_get_stdout_pipe(run->proc);
	int fd = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(out));
	g_autoptr(GSource) reader = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP);
	g_autoptr(GSource) timer = NULL;

	g_unix_set_fd_nonblocking(fd, TRUE, NULL);
	g_source_set_callback(reader, G_SOURCE_FUNC(on_output), run, NULL);
	g_source_attach(reader, ctx);
	if (run->spec->timeout_s) {
		timer = g_timeout_source_new_seconds(run->spec->timeout_s);
		g_source_set_callback(timer, on_timeout, run, NULL);
		g_source_attach(timer, ctx);
	}
	g_subprocess_wait_async(run->proc, NULL, on_exited, run);
	g_main_loop_run(run->loop);
	if (timer)
		g_source_destroy(timer);
	g_source_destroy(reader);
}

gboolean pc_sandbox_run(const PcSandboxSpec *spec, PcSandboxResult *result,
			GError **error)
{
	g_autoptr(GMainContext) ctx = g_main_context_new();
	Run run = { .spec = spec, .result = result };
	gint64 start = g_get_monotonic_time();
	gulong cancel_id = 0;

	memset(result, 0, sizeof(*result));
	if (!mount_point_ok(spec->root, spec->src_mount, error) ||
	    !mount_point_ok(spec->root, spec->out_mount, error))
		return FALSE;
	run.log_fd = open(spec->log_path,
			  O_WRONLY | O_CREAT | O_CLOEXEC |
				  (spec->log_append ? O_APPEND : O_TRUNC),
			  0644);
	if (run.log_fd < 0) {
		g_set_error(error, PC_SANDBOX_ERROR, PC_SANDBOX_ERROR_LOG,
			    "%s: %s", spec->log_path, g_strerror(errno));
		return FALSE;
	}
	g_main_context_push_thread_default(ctx);
	run.proc = spawn(spec, error);
	if (run.proc) {
		run.loop = g_main_loop_new(ctx, FALSE);
		run.line = g_string_new(NULL);
		if (spec->cancellable)
			cancel_id = g_cancellable_connect(spec->cancellable,
							  G_CALLBACK(on_cancel),
							  &run, NULL);
		watch(&run, ctx);
		g_cancellable_disconnect(spec->cancellable, cancel_id);
		if (run.line->len && spec->on_line)
			spec->on_line(run.line->str, spec->on_line_data);
		g_string_free(run.line, TRUE);
		g_main_loop_unref(run.loop);
		g_object_unref(run.proc);
	}
	g_main_context_pop_thread_default(ctx);
	close(run.log_fd);
	result->duration_ms = (g_get_monotonic_time() - start) / 1000;
	if (!run.proc) {
		g_prefix_error(error, "cannot start bubblewrap: ");
		return FALSE;
	}
	if (run.log_error) {
		g_propagate_error(error, run.log_error);
		return FALSE;
	}
	return TRUE;
}
