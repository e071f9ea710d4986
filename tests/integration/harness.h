/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * harness: what the integration tests that start servers share: the
 * run's directory, the servers' lives and free ports on loopback.
 */
#ifndef PC_HARNESS_H
#define PC_HARNESS_H

#include <glib.h>

/*
 * Makes this run's directory from @tmpl (g_dir_make_tmp), readable by
 * the servers' own users, and arranges the end: at exit the servers are
 * killed and the directory removed (kept with PC_KEEP_TEST_DIR); on a
 * failed assertion or a signal the servers go and the files stay, with
 * their place printed. (transfer none: lives to the end)
 */
char *pc_harness_init(const char *tmpl);

/* For g_spawn_*: the server leads a process group of its own and dies
 * with the test. */
void pc_harness_child_setup(gpointer data);

/* A server started with pc_harness_child_setup, killed at the end. */
void pc_harness_track(GPid pid);

/* Kills (its process group) and reaps one tracked server now. */
void pc_harness_kill(GPid pid);

/* Kills and reaps every tracked server now. */
void pc_harness_kill_all(void);

/* Exits 77 (skip) when @path is not an executable; names @package. */
void pc_harness_skip_without(const char *path, const char *package);

/* A TCP port free on @addr ("127.0.0.1") at the time of asking. */
guint16 pc_harness_free_port(const char *addr);

#endif
