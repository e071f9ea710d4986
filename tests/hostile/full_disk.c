// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 11, §6: a full disk says "no space left on <path>", not SQLite's
 * "disk I/O error" nor a bare strerror, for the job store and the
 * Maildir outbox. The full file system is a real tmpfs of a few hundred
 * kilobytes, mounted in a mount namespace of this process's own
 * (unshare), so nothing is seen outside the test; that needs root, as
 * the tests run here and in CI. (The build output's full disk is
 * tests/hostile/sandbox.c.)
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "config.h"
#include "outbox.h"
#include "store.h"

typedef struct {
	char *dir;	/* the small tmpfs */
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("pc-full-XXXXXX", NULL);
	g_assert_cmpint(mount("pc-full", f->dir, "tmpfs", 0,
			      "size=256k,mode=0755"), ==, 0);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(umount2(f->dir, MNT_DETACH), ==, 0);
	g_rmdir(f->dir);
	g_free(f->dir);
}

/* Fills what is left of the file system with one file. */
static void fill(Fixture *f)
{
	g_autofree char *path = g_build_filename(f->dir, "fill", NULL);
	g_autofree char *cmd = g_strdup_printf(
		"head -c 1M /dev/zero >'%s' 2>/dev/null", path);

	g_assert_cmpint(system(cmd), !=, 0);
}

/* The store grows until the disk is full: the error says so, and where. */
static void test_store(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "pullcheck.db", NULL);
	g_autofree char *want = g_strdup_printf("no space left on %s", path);
	g_autofree char *value = g_strnfill(16 * 1024, 'x');
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GError) error = NULL;
	guint i;

	store = pc_store_open(path, &error);
	g_assert_no_error(error);
	for (i = 0; i < 1000 && !error; i++) {
		g_autofree char *key = g_strdup_printf("k%u", i);

		pc_store_set_value(store, key, value, &error);
	}
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, want));
	g_assert_null(strstr(error->message, "disk I/O error"));
}

/*
 * The disk full before the store is opened: SQLite fails at its first
 * write, switching to WAL, and the error still names the file.
 */
static void test_store_full_at_open(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "pullcheck.db", NULL);
	g_autofree char *want = g_strdup_printf("no space left on %s", path);
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GError) error = NULL;

	fill(f);
	store = pc_store_open(path, &error);
	if (store)
		pc_store_set_value(store, "k", "v", &error);
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, want));
	g_assert_null(strstr(error->message, "disk I/O error"));
}

/* The Maildir outbox on a full disk: a temporary error naming the path. */
static void test_outbox(Fixture *f, gconstpointer data)
{
	g_autofree char *conf = g_build_filename(f->dir, "pullcheck.conf", NULL);
	g_autofree char *box = g_build_filename(f->dir, "outbox", NULL);
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir = %s\n[outbox]\nmaildir = %s\n",
		f->dir, box);
	g_autofree char *body = g_strnfill(4096, 'y');
	g_autofree char *msg = g_strdup_printf(
		"From: pullcheck <pc@example.org>\nTo: ann@example.org\n"
		"Subject: Re: [GIT PULL] x\nMessage-ID: <r@example.org>\n\n%s\n",
		body);
	g_autoptr(GBytes) bytes = g_bytes_new(msg, strlen(msg));
	const char *const rcpts[] = { "ann@example.org", NULL };
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcOutbox) out = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *want = NULL;

	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	config = pc_config_load(conf, &error);
	g_assert_no_error(error);
	out = pc_outbox_new(config, &error);
	g_assert_no_error(error);
	fill(f);
	g_assert_false(out->ops->send(out, "pc@example.org", rcpts, bytes,
				      &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	want = g_strdup_printf("no space left on %s/tmp/", box);
	g_assert_nonnull(strstr(error->message, want));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (geteuid() != 0) {
		g_print("not root: cannot mount the small file systems\n");
		return 77;
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		g_printerr("cannot make a private mount namespace: %s\n",
			   g_strerror(errno));
		return 1;
	}
#define ADD(name, fn) \
	g_test_add("/hostile/full-disk/" name, Fixture, NULL, setup, fn, \
		   teardown)
	ADD("store", test_store);
	ADD("store-full-at-open", test_store_full_at_open);
	ADD("outbox", test_outbox);
	return g_test_run();
}
