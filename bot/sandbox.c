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
#include <stdlib.h>
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

/*
 * What the command sees of the host when the spec names no root: the
 * programs and libraries, and from /etc what running them needs (the
 * alternatives links behind cc, the loader's cache) and files that hold
 * no secret. Not /etc/shadow, not /home, /root, /var, /run, /srv or
 * /opt: the daemon's state, its credentials and other users' files stay
 * out of reach even though the build runs with the daemon's uid.
 */
static const char *const HOST_SYSTEM[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};
static const char *const HOST_ETC[] = {
	"/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf",
	"/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
	"/etc/nsswitch.conf", "/etc/localtime",
};

/* A host directory and where the sandbox shows it. */
typedef struct {
	char *host;	/* real path */
	const char *inside;
} Mount;

static gboolean mount_point_ok(const char *root, const char *point,
			       GError **error)
{
	g_autofree char *path = NULL;

	if (!root || g_str_has_prefix(point, "/tmp/"))
		return TRUE;	/* made by bwrap on a tmpfs of its own */
	path = g_build_filename(root, point, NULL);
	if (g_file_test(path, G_FILE_TEST_IS_DIR))
		return TRUE;
	g_set_error(error, PC_SANDBOX_ERROR, PC_SANDBOX_ERROR_SETUP,
		    "mount point %s is missing in the build root %s "
		    "(a read-only root cannot grow it; see setup-root)",
		    point, root);
	return FALSE;
}

#define ADD(a, s) g_ptr_array_add((a), g_strdup(s))

static void add3(GPtrArray *a, const char *op, const char *x, const char *y)
{
	ADD(a, op);
	ADD(a, x);
	ADD(a, y);
}

static void add_mount(GPtrArray *a, GArray *mounts, const char *op,
		      const char *host, const char *inside)
{
	Mount m = { realpath(host, NULL), inside };

	add3(a, op, host, inside);
	if (m.host)
		g_array_append_val(mounts, m);
}

/* A link stays a link (merged /usr), a directory is bound read-only. */
static void add_host_system(GPtrArray *a, GArray *mounts)
{
	for (gsize i = 0; i < G_N_ELEMENTS(HOST_SYSTEM); i++) {
		const char *path = HOST_SYSTEM[i];
		g_autofree char *target = g_file_read_link(path, NULL);

		if (target)
			add3(a, "--symlink", target, path);
		else if (g_file_test(path, G_FILE_TEST_IS_DIR))
			add_mount(a, mounts, "--ro-bind", path, path);
	}
	ADD(a, "--dir");
	ADD(a, "/etc");
	for (gsize i = 0; i < G_N_ELEMENTS(HOST_ETC); i++)
		if (g_file_test(HOST_ETC[i], G_FILE_TEST_EXISTS))
			add_mount(a, mounts, "--ro-bind", HOST_ETC[i],
				  HOST_ETC[i]);
}

/* Where the host path @real shows inside through @m, or NULL. */
static char *shown_at(const Mount *m, const char *real)
{
	gsize n = strlen(m->host);

	if (!strcmp(m->host, "/"))
		return g_build_filename(m->inside, real, NULL);
	if (strncmp(real, m->host, n) || (real[n] && real[n] != '/'))
		return NULL;
	return g_build_filename(m->inside, real + n, NULL);
}

/*
 * Covers each hidden path wherever a mount shows it: an empty read-only
 * tmpfs over a directory, /dev/null over anything else. Real paths on
 * both sides, so a symlink on the host does not lead around the cover.
 */
static void add_covers(GPtrArray *a, GArray *mounts,
		       const char *const *hide)
{
	for (const char *const *h = hide; h && *h; h++) {
		g_autofree char *real = realpath(*h, NULL);
		gboolean dir = real && g_file_test(real, G_FILE_TEST_IS_DIR);

		for (guint i = 0; real && i < mounts->len; i++) {
			g_autofree char *inside = shown_at(
				&g_array_index(mounts, Mount, i), real);

			if (!inside)
				continue;
			if (!dir) {
				add3(a, "--ro-bind", "/dev/null", inside);
				continue;
			}
			ADD(a, "--tmpfs");
			ADD(a, inside);
			ADD(a, "--remount-ro");
			ADD(a, inside);
		}
	}
}

static void mount_clear(gpointer data)
{
	free(((Mount *)data)->host);
}

static void add_env(GPtrArray *a, const char *const *env)
{
	for (const char *const *e = env; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq)
			continue;
		ADD(a, "--setenv");
		g_ptr_array_add(a, g_strndup(*e, eq - *e));
		ADD(a, eq + 1);
	}
}

/* A tmpfs at @path of @size bytes; 0: bwrap's default, half of RAM. */
static void add_tmpfs(GPtrArray *a, const char *path, guint64 size)
{
	if (size) {
		ADD(a, "--size");
		g_ptr_array_add(a, g_strdup_printf("%" G_GUINT64_FORMAT, size));
	}
	ADD(a, "--tmpfs");
	ADD(a, path);
}

/*
 * bwrap's --dev is a writable tmpfs of half of RAM, and so is the
 * /dev/shm it makes there: either would let a build fill memory past
 * [build] tmp_size. /dev/shm gets the bound of /tmp, and /dev itself
 * goes read-only; the device nodes bound into it still work.
 */
static void add_dev(GPtrArray *a, guint64 tmp_size,
		    const char *const *devices)
{
	ADD(a, "--dev");
	ADD(a, "/dev");
	add_tmpfs(a, "/dev/shm", tmp_size);
	for (const char *const *d = devices; d && *d; d++)
		add3(a, "--dev-bind", *d, *d);
	ADD(a, "--remount-ro");
	ADD(a, "/dev");
}

static GPtrArray *bwrap_argv(const PcSandboxSpec *spec)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) mounts = g_array_new(FALSE, FALSE, sizeof(Mount));
	/*
	 * --disable-userns (it needs --unshare-user, which --unshare-all
	 * only tries): a build that made a user namespace of its own would
	 * hold every capability in it and could mount a tmpfs of any size
	 * over the bounded ones.
	 */
	const char *const fixed[] = {
		"--proc", "/proc", "--unshare-all", "--unshare-user",
		"--disable-userns", "--die-with-parent", "--new-session",
		"--cap-drop", "ALL", "--clearenv",
	};

	g_array_set_clear_func(mounts, mount_clear);
	ADD(a, spec->bwrap ? spec->bwrap : "bwrap");
	if (spec->root)
		add_mount(a, mounts, "--ro-bind", spec->root, "/");
	else
		add_host_system(a, mounts);
	add_dev(a, spec->tmp_size, spec->devices);
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		ADD(a, fixed[i]);
	add_tmpfs(a, "/tmp", spec->tmp_size);
	add_mount(a, mounts, "--ro-bind", spec->src, spec->src_mount);
	add_mount(a, mounts, "--bind", spec->out, spec->out_mount);
	if (spec->cache)
		add_mount(a, mounts, "--bind", spec->cache, spec->cache_mount);
	add_covers(a, mounts, spec->hide);
	if (!spec->root) {
		ADD(a, "--remount-ro");
		ADD(a, "/");
	}
	add_env(a, spec->env);
	ADD(a, "--chdir");
	ADD(a, spec->chdir ? spec->chdir : spec->src_mount);
	ADD(a, "--");
	for (const char *const *s = spec->argv; *s; s++)
		ADD(a, *s);
	g_ptr_array_add(a, NULL);
	return a;
}
#undef ADD

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
		if (w <= 0 && errno == ENOSPC) {
			g_set_error(&run->log_error, PC_SANDBOX_ERROR,
				    PC_SANDBOX_ERROR_NO_SPACE,
				    "no space left on %s", run->spec->log_path);
			break;
		}
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
	    !mount_point_ok(spec->root, spec->out_mount, error) ||
	    (spec->cache &&
	     !mount_point_ok(spec->root, spec->cache_mount, error)))
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
