// SPDX-License-Identifier: GPL-2.0-only
/*
 * The build sandbox, with the real bubblewrap: what the command sees
 * (no network, read-only system and source, a clean environment), and
 * that limits and timeouts end the whole process tree.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "sandbox.h"

typedef struct {
	char *dir, *src, *out, *log;
	char *bwrap;	/* a wrapper in @dir, when the test needs one */
	PcSandboxSpec spec;
	PcSandboxResult result;
} Fixture;

static const char *const ENV[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
				   NULL };

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("pc-sandbox-XXXXXX", NULL);
	f->src = g_build_filename(f->dir, "src", NULL);
	f->out = g_build_filename(f->dir, "out", NULL);
	f->log = g_build_filename(f->dir, "build.log", NULL);
	g_mkdir(f->src, 0755);
	g_mkdir(f->out, 0755);
	memset(&f->spec, 0, sizeof(f->spec));
	f->spec.root = "/";
	f->spec.src = f->src;
	f->spec.src_mount = "/tmp/src";
	f->spec.out = f->out;
	f->spec.out_mount = "/tmp/out";
	f->spec.env = ENV;
	f->spec.timeout_s = 60;
	f->spec.log_path = f->log;
	f->spec.max_log_bytes = 1 << 20;
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->src);
	g_free(f->out);
	g_free(f->log);
	g_free(f->bwrap);
}

/* Runs `sh -c SCRIPT` in the sandbox; returns the log. */
static char *run_sh(Fixture *f, const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	g_autoptr(GError) error = NULL;
	char *log = NULL;

	f->spec.argv = argv;
	g_assert_true(pc_sandbox_run(&f->spec, &f->result, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
	return log;
}

static void test_exit_status(Fixture *f, gconstpointer data)
{
	g_autofree char *log = run_sh(f, "echo hello; echo oops >&2; exit 3");

	g_assert_true(f->result.exited);
	g_assert_cmpint(f->result.exit_status, ==, 3);
	g_assert_cmpstr(log, ==, "hello\noops\n");
}

static void test_environment(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;

	g_setenv("PULLCHECK_SECRET", "leak", TRUE);
	log = run_sh(f, "env | sort");
	g_assert_null(strstr(log, "PULLCHECK_SECRET"));
	g_assert_nonnull(strstr(log, "LANG=C.UTF-8\n"));
	g_assert_nonnull(strstr(log, "PATH=/usr/bin:/bin\n"));
}

/*
 * The root the spec names (here the host's own /) is shown whole and
 * read-only: /root is there but cannot be written, though the command
 * runs as root; the source cannot be written either, the output can.
 */
static void test_filesystem(Fixture *f, gconstpointer data)
{
	g_autofree char *mark = g_build_filename(f->out, "made", NULL);
	g_autofree char *log = run_sh(
		f, "touch /tmp/src/x 2>/dev/null && echo src-writable;"
		   "touch /usr/x 2>/dev/null && echo usr-writable;"
		   "test -d /root && echo root-shown;"
		   "touch /root/pc-sandbox-x 2>/dev/null && echo root-writable;"
		   "touch /tmp/out/made && echo ok");

	g_assert_cmpstr(log, ==, "root-shown\nok\n");
	g_assert_true(g_file_test(mark, G_FILE_TEST_EXISTS));
}

static void test_no_network(Fixture *f, gconstpointer data)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	g_autofree char *script = NULL, *log = NULL;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(s, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(s, 1), ==, 0);
	getsockname(s, (struct sockaddr *)&addr, &len);
	/* The host's listener is out of reach from the build's namespace. */
	script = g_strdup_printf("exec 3<>/dev/tcp/127.0.0.1/%d && echo "
				 "reached || echo unreachable",
				 ntohs(addr.sin_port));
	{
		const char *argv[] = { "/bin/bash", "-c", script, NULL };

		f->spec.argv = argv;
		g_assert_true(pc_sandbox_run(&f->spec, &f->result, NULL));
	}
	g_file_get_contents(f->log, &log, NULL, NULL);
	g_assert_nonnull(strstr(log, "unreachable"));
	close(s);
}

static gboolean marker_running(const char *marker)
{
	g_autofree char *cmd = g_strdup_printf(
		"pgrep -f '^sleep 1000 %s' >/dev/null", marker);

	return system(cmd) == 0;
}

static void test_timeout_kills_tree(Fixture *f, gconstpointer data)
{
	g_autofree char *marker = g_strdup_printf("%d.%d", getpid(),
						  g_random_int_range(1, 1 << 30));
	g_autofree char *script = g_strdup_printf(
		"setsid sleep 1000 %s & sleep 1000 %s & wait", marker, marker);
	g_autofree char *log = NULL;

	f->spec.timeout_s = 1;
	/* sleep takes the marker as a second duration: still valid. */
	log = run_sh(f, script);
	g_assert_true(f->result.timed_out);
	g_assert_false(f->result.exited);
	g_assert_cmpint(f->result.duration_ms, <, 10000);
	g_usleep(200 * 1000);
	g_assert_false(marker_running(marker));
	/* And the check itself can see a sleeper: it is not vacuous. */
	{
		g_autofree char *cmd = g_strdup_printf(
			"sleep 1000 %s & echo $! > '%s/pid'", marker, f->dir);
		g_autofree char *pidfile = g_build_filename(f->dir, "pid", NULL);
		g_autofree char *pid = NULL;

		g_assert_cmpint(system(cmd), ==, 0);
		g_usleep(100 * 1000);
		g_assert_true(marker_running(marker));
		g_file_get_contents(pidfile, &pid, NULL, NULL);
		kill(atoi(pid), SIGKILL);
	}
}

static gboolean cancel_soon(gpointer data)
{
	g_cancellable_cancel(data);
	return G_SOURCE_REMOVE;
}

static gpointer cancel_thread(gpointer data)
{
	g_usleep(500 * 1000);
	cancel_soon(data);
	return NULL;
}

static void test_cancel(Fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	GThread *t = g_thread_new("cancel", cancel_thread, cancel);
	g_autofree char *log = NULL;

	f->spec.cancellable = cancel;
	log = run_sh(f, "sleep 30");
	g_thread_join(t);
	g_assert_true(f->result.cancelled);
	g_assert_cmpint(f->result.duration_ms, <, 10000);
}

static void test_log_cap(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;

	f->spec.max_log_bytes = 1000;
	log = run_sh(f, "yes | head -c 1000000");
	g_assert_true(f->result.exited);
	g_assert_cmpuint(strlen(log), ==, 1000);
	g_assert_true(f->result.log_truncated);
	g_assert_cmpuint(f->result.log_bytes, ==, 1000000);
}

/*
 * The writer is stopped at the limit by SIGXFSZ, not by some other
 * failure (the shell says so, then names the signal), and the file
 * holds exactly the limit.
 */
static void test_file_size_limit(Fixture *f, gconstpointer data)
{
	g_autofree char *big = g_build_filename(f->out, "big", NULL);
	g_autofree char *log = NULL;
	GStatBuf st;

	f->spec.max_file_size = 1 << 20;
	log = run_sh(f, "head -c 10000000 /dev/zero > /tmp/out/big; "
			"kill -l $?");
	g_assert_cmpstr(log, ==, "File size limit exceeded\nXFSZ\n");
	g_assert_cmpint(g_stat(big, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, 1 << 20);
}

/* Tasks (threads too) of @uid now: RLIMIT_NPROC counts them all. */
static guint tasks_of(uid_t uid)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	const char *pid;
	guint n = 0;

	while (proc && (pid = g_dir_read_name(proc))) {
		g_autofree char *path = g_build_filename("/proc", pid, "task",
							 NULL);
		g_autoptr(GDir) tasks = NULL;
		GStatBuf st;

		if (!g_ascii_isdigit(pid[0]) || g_stat(path, &st) ||
		    st.st_uid != uid)
			continue;
		tasks = g_dir_open(path, 0, NULL);
		while (tasks && g_dir_read_name(tasks))
			n++;
	}
	return n;
}

/*
 * RLIMIT_NPROC binds no process of root, and pullcheck's own user may
 * run other processes. As root, bwrap is started through setpriv as a
 * uid nothing else uses; the limit sandbox.c sets before the exec stays
 * across it. Returns that uid.
 */
static uid_t run_as_other_uid(Fixture *f)
{
	uid_t uid = 2000000000 + g_random_int_range(0, 1 << 20);
	char *wrapper = g_build_filename(f->dir, "bwrap-as", NULL);
	g_autofree char *text = g_strdup_printf(
		"#!/bin/sh\nexec setpriv --reuid=%u --regid=%u --clear-groups "
		"bwrap \"$@\"\n", uid, uid);

	f->bwrap = wrapper;
	if (getuid() != 0)
		return getuid();
	g_assert_true(g_file_set_contents(wrapper, text, -1, NULL));
	g_assert_cmpint(g_chmod(wrapper, 0755), ==, 0);
	/* bwrap, as that uid, must reach the source to mount it. */
	g_assert_cmpint(g_chmod(f->dir, 0755), ==, 0);
	f->spec.bwrap = wrapper;
	return uid;
}

/*
 * A command that forks past the process limit is refused the fork: the
 * shell says so in the build log and fails, long before the timeout.
 */
static void test_process_limit(Fixture *f, gconstpointer data)
{
	uid_t uid = run_as_other_uid(f);
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;
	guint started = 0;

	/* bwrap, its child and the shell take three of the ten. */
	f->spec.max_procs = tasks_of(uid) + 10;
	log = run_sh(f, "i=0; while [ $i -lt 50 ]; do sleep 30 & "
			"i=$((i + 1)); echo started; done; echo all started");
	lines = g_strsplit(log, "\n", -1);
	for (char **l = lines; *l; l++)
		started += !strcmp(*l, "started");
	g_assert_true(f->result.exited);
	g_assert_cmpint(f->result.exit_status, ==, 2);	/* dash: fork failed */
	g_assert_nonnull(strstr(log, "Cannot fork"));
	g_assert_false(g_strv_contains((const char *const *)lines,
				       "all started"));
	g_assert_cmpuint(started, >=, 1);
	g_assert_cmpuint(started, <, 10);
	g_assert_cmpint(f->result.duration_ms, <, 10000);
}

static void test_memory_limit(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;

	f->spec.max_memory = 512ull << 20;
	log = run_sh(f, "/usr/bin/python3 -c 'x = bytearray(2 << 30)' "
			"2>/dev/null; echo $?");
	g_assert_cmpstr(log, ==, "1\n");
}

static void collect_line(const char *line, gpointer data)
{
	g_ptr_array_add(data, g_strdup(line));
}

static void test_lines(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *log = NULL;

	f->spec.on_line = collect_line;
	f->spec.on_line_data = lines;
	log = run_sh(f, "printf 'one\\ntwo\\nthree'");
	g_assert_cmpuint(lines->len, ==, 3);
	g_assert_cmpstr(lines->pdata[0], ==, "one");
	g_assert_cmpstr(lines->pdata[2], ==, "three");
}

/*
 * Hidden paths stay hidden even under a root that is the host's own /
 * (issue 11): a directory, a file, a symlink to a file; a file beside
 * them still reads, so the check is not vacuous.
 */
static void test_hidden(Fixture *f, gconstpointer data)
{
	g_autofree char *d = g_strdup("/var/tmp/pc-sandbox-XXXXXX");
	g_autofree char *state = NULL, *db = NULL, *pw = NULL, *link = NULL;
	g_autofree char *open_file = NULL, *script = NULL, *log = NULL;
	g_autofree char *cmd = NULL;
	const char *hide[4];

	g_assert_nonnull(g_mkdtemp(d));
	state = g_build_filename(d, "state", NULL);
	db = g_build_filename(state, "pullcheck.db", NULL);
	pw = g_build_filename(d, "smtp.pw", NULL);
	link = g_build_filename(d, "pw-link", NULL);
	open_file = g_build_filename(d, "readme", NULL);
	g_mkdir(state, 0700);
	g_assert_true(g_file_set_contents(db, "secret-db", -1, NULL));
	g_assert_true(g_file_set_contents(pw, "secret-pw", -1, NULL));
	g_assert_true(g_file_set_contents(open_file, "open", -1, NULL));
	g_assert_cmpint(symlink(pw, link), ==, 0);
	hide[0] = state;
	hide[1] = link;
	hide[2] = "/etc/shadow";
	hide[3] = NULL;
	f->spec.hide = hide;
	script = g_strdup_printf("for f in %s %s %s /etc/shadow; do "
				 "cat $f >/dev/null 2>&1 && echo LEAK $f; done; "
				 "ls %s 2>/dev/null | sed 's/^/LEAK /'; cat %s",
				 db, pw, link, state, open_file);
	log = run_sh(f, script);
	g_assert_cmpstr(log, ==, "open");
	cmd = g_strdup_printf("rm -rf '%s'", d);
	g_assert_cmpint(system(cmd), ==, 0);
}

/*
 * Without a root the command sees the host's programs and nothing of
 * its data; /tmp is as large as asked, not half of RAM.
 */
static void test_host_system(Fixture *f, gconstpointer data)
{
	const char *const absent[] = { "home", "root", "var", "run", "srv",
				       "opt", "mnt", "media", "boot", "work" };
	g_autofree char *log = NULL;
	g_auto(GStrv) lines = NULL;

	f->spec.root = NULL;
	f->spec.tmp_size = 4 << 20;
	log = run_sh(f, "ls /etc | tr '\\n' ' '; echo; ls /; "
			"head -c 8M /dev/zero >/tmp/x 2>/dev/null || echo full; "
			"touch /usr/x /x 2>/dev/null && echo writable; "
			"cc --version >/dev/null && echo cc");
	lines = g_strsplit(log, "\n", -1);
	g_assert_null(strstr(lines[0], "shadow"));
	g_assert_nonnull(strstr(lines[0], "alternatives"));
	g_assert_true(g_strv_contains((const char *const *)lines, "usr"));
	g_assert_true(g_strv_contains((const char *const *)lines, "tmp"));
	for (gsize i = 0; i < G_N_ELEMENTS(absent); i++)
		g_assert_false(g_strv_contains((const char *const *)lines,
					       absent[i]));
	g_assert_true(g_strv_contains((const char *const *)lines, "full"));
	g_assert_false(g_strv_contains((const char *const *)lines, "writable"));
	g_assert_true(g_strv_contains((const char *const *)lines, "cc"));
}

/*
 * /dev is no way around the bound on /tmp: /dev/shm is as large as
 * /tmp, /dev itself takes no new file, and the devices still work.
 * Under the root of the kernel recipe (here the host's /) and under the
 * host's programs alike.
 */
static void check_dev_bounded(Fixture *f)
{
	g_autofree char *log = NULL;

	f->spec.tmp_size = 4 << 20;
	log = run_sh(f, "head -c 8M /dev/zero >/dev/shm/x 2>/dev/null || "
			"echo shm-full; wc -c </dev/shm/x; "
			"touch /dev/x 2>/dev/null && echo dev-writable; "
			"mkdir /dev/d 2>/dev/null && echo dev-writable; "
			"echo x >/dev/null && head -c 3 /dev/urandom | wc -c");
	g_assert_cmpstr(log, ==, "shm-full\n4194304\n3\n");
}

static void test_dev_bounded(Fixture *f, gconstpointer data)
{
	check_dev_bounded(f);
	f->spec.root = NULL;
	check_dev_bounded(f);
}

/*
 * No user namespace inside: in one of its own a build would hold every
 * capability and could mount a tmpfs of any size over the bounded one.
 * As another uid, as the systemd unit runs pullcheck; as root too.
 */
/*
 * A device is in the sandbox only when the spec names it (the boot's
 * /dev/kvm), and then it opens; /dev stays read-only around it.
 */
static void test_devices(Fixture *f, gconstpointer data)
{
	const char *const kvm[] = { "/dev/kvm", NULL };
	const char *script = "test -c /dev/kvm && echo there;"
			     "(exec 3<>/dev/kvm) 2>/dev/null && echo opens;"
			     "touch /dev/x 2>/dev/null && echo dev-writable;"
			     "echo done";
	g_autofree char *without = NULL, *with = NULL;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	without = run_sh(f, script);
	g_assert_cmpstr(without, ==, "done\n");
	if (fd < 0)
		return;	/* no KVM here: only that nothing is bound unasked */
	close(fd);
	f->spec.devices = kvm;
	with = run_sh(f, script);
	g_assert_cmpstr(with, ==, "there\nopens\ndone\n");
}

static void test_no_user_namespace(Fixture *f, gconstpointer data)
{
	const char *script =
		"unshare -U true 2>/dev/null && echo userns; "
		"unshare -Urm sh -c 'mount -t tmpfs none /tmp' 2>/dev/null "
		"&& echo mounted; echo done";
	g_autofree char *as_root = run_sh(f, script);
	g_autofree char *log = NULL;

	g_assert_cmpstr(as_root, ==, "done\n");
	run_as_other_uid(f);
	log = run_sh(f, script);
	g_assert_cmpstr(log, ==, "done\n");
}

static void test_missing_mount_point(Fixture *f, gconstpointer data)
{
	const char *argv[] = { "/bin/true", NULL };
	g_autoptr(GError) error = NULL;

	f->spec.argv = argv;
	f->spec.src_mount = "/no-such-mount-point";
	g_assert_false(pc_sandbox_run(&f->spec, &f->result, &error));
	g_assert_error(error, PC_SANDBOX_ERROR, PC_SANDBOX_ERROR_SETUP);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	{
		g_autofree char *bwrap = g_find_program_in_path("bwrap");

		if (!bwrap) {
			g_print("bwrap not installed\n");
			return 77;
		}
	}
#define ADD(name, fn) \
	g_test_add("/sandbox/" name, Fixture, NULL, setup, fn, teardown)
	ADD("exit-status", test_exit_status);
	ADD("environment", test_environment);
	ADD("filesystem", test_filesystem);
	ADD("no-network", test_no_network);
	ADD("timeout-kills-tree", test_timeout_kills_tree);
	ADD("cancel", test_cancel);
	ADD("log-cap", test_log_cap);
	ADD("file-size-limit", test_file_size_limit);
	ADD("process-limit", test_process_limit);
	ADD("memory-limit", test_memory_limit);
	ADD("lines", test_lines);
	ADD("missing-mount-point", test_missing_mount_point);
	ADD("hidden", test_hidden);
	ADD("host-system", test_host_system);
	ADD("dev-bounded", test_dev_bounded);
	ADD("devices", test_devices);
	ADD("no-user-namespace", test_no_user_namespace);
	return g_test_run();
}
