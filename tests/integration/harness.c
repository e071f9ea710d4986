// SPDX-License-Identifier: GPL-2.0-only
/*
 * harness: the run's directory, the servers' lives, free ports. See
 * harness.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char *root;
static GPid children[16];	/* process group leaders */
static guint n_children;

void pc_harness_kill(GPid pid)
{
	for (guint i = 0; i < n_children; i++) {
		if (children[i] != pid)
			continue;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		children[i] = children[--n_children];
		return;
	}
}

void pc_harness_kill_all(void)
{
	while (n_children)
		pc_harness_kill(children[0]);
}

static void cleanup(void)
{
	pc_harness_kill_all();
	if (root && !g_getenv("PC_KEEP_TEST_DIR")) {
		const char *argv[] = { "rm", "-rf", root, NULL };

		g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
			     NULL, NULL, NULL, NULL, NULL, NULL);
	}
}

/*
 * A failed assertion aborts, a g_error() traps (SIGTRAP): either way the
 * servers go first, the files stay. A server's own children (git
 * daemon's git-daemon, Dovecot's services) share its process group, so
 * the group is killed, not only the process this test started.
 */
static void on_abort(int sig)
{
	static const char kept[] = "server logs and files kept in ";

	for (guint i = 0; i < n_children; i++)
		kill(-children[i], SIGKILL);
	if (root && write(2, kept, sizeof(kept) - 1) > 0 &&
	    write(2, root, strlen(root)) > 0)
		(void)!write(2, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

char *pc_harness_init(const char *tmpl)
{
	g_autoptr(GError) error = NULL;

	root = g_dir_make_tmp(tmpl, &error);
	g_assert_no_error(error);
	g_assert_cmpint(chmod(root, 0755), ==, 0);	/* servers' users */
	atexit(cleanup);
	signal(SIGABRT, on_abort);
	signal(SIGTRAP, on_abort);
	signal(SIGTERM, on_abort);
	signal(SIGINT, on_abort);
	return root;
}

void pc_harness_child_setup(gpointer data)
{
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void pc_harness_track(GPid pid)
{
	g_assert_cmpuint(n_children, <, G_N_ELEMENTS(children));
	children[n_children++] = pid;
}

void pc_harness_skip_without(const char *path, const char *package)
{
	if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE)) {
		g_printerr("SKIP: %s is missing (%s)\n", path, package);
		exit(77);
	}
}

guint16 pc_harness_free_port(const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(inet_pton(AF_INET, addr, &a.sin_addr), ==, 1);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
	close(fd);
	return ntohs(a.sin_port);
}
