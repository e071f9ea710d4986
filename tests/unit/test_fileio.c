// SPDX-License-Identifier: GPL-2.0-only
/*
 * pc_fileio_read_below() on what a hostile tree or build leaves: a FIFO,
 * a link to /dev/zero, a link in a middle component, "..", a file over
 * the cap; and a good file. An alarm fails a test that blocks.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

typedef struct {
	char *dir;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *sub = NULL, *file = NULL;

	f->dir = g_dir_make_tmp("pc-fileio-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	sub = g_build_filename(f->dir, "init", NULL);
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	file = g_build_filename(sub, "Kconfig", NULL);
	g_assert_true(g_file_set_contents(file, "config RUST\n", -1, NULL));
	alarm(10);	/* a read that blocks fails here, not in ctest's timeout */
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	alarm(0);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

/* Reads @rel below the fixture with a cap of @max; the error, or NULL. */
static GError *read_error(Fixture *f, const char *rel, gsize max)
{
	GError *error = NULL;
	char *text = NULL;
	gsize len = 0;

	if (pc_fileio_read_below(f->dir, rel, max, &text, &len, &error)) {
		g_free(text);
		return NULL;
	}
	g_assert_null(text);
	g_test_message("%s: %s", rel, error->message);
	return error;
}

static void make_link(Fixture *f, const char *target, const char *name)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);

	g_assert_cmpint(symlink(target, path), ==, 0);
}

static void test_good(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	g_assert_true(pc_fileio_read_below(f->dir, "init/Kconfig", 100, &text,
					   &len, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, "config RUST\n");
	g_assert_cmpuint(len, ==, 12);
	g_clear_pointer(&text, g_free);
	/* Exactly at the cap is still good; "." and "//" are no harm. */
	g_assert_true(pc_fileio_read_below(f->dir, "./init//Kconfig", 12,
					   &text, NULL, &error));
	g_assert_cmpstr(text, ==, "config RUST\n");
}

static void test_missing(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_error(f, "init/Makefile", 100);

	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);
	error = read_error(f, "nodir/Makefile", 100);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void test_fifo(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, ".config", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(mkfifo(path, 0644), ==, 0);
	error = read_error(f, ".config", 1 << 20);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, ".config: not a regular file"));
}

static void test_dev_zero(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	make_link(f, "/dev/zero", ".config");
	error = read_error(f, ".config", 1 << 20);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
}

/* A link to a regular file is refused too: it may lead anywhere. */
static void test_link_to_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	make_link(f, "init/Kconfig", "Kconfig");
	error = read_error(f, "Kconfig", 1 << 20);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
}

/* "etc -> /etc": /etc/passwd is a regular file, but not below the root. */
static void test_middle_link(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	make_link(f, "/etc", "etc");
	error = read_error(f, "etc/passwd", 1 << 20);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message,
				"etc is a symbolic link or not a directory"));
}

static void test_dot_dot(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_error(f, "init/../init/Kconfig", 100);

	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "\"..\""));
}

static void test_over_size(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_error(f, "init/Kconfig", 11);

	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message,
				"init/Kconfig: larger than 11 bytes"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGALRM, SIG_DFL);
#define ADD(name, fn) \
	g_test_add("/fileio/read-below/" name, Fixture, NULL, setup, fn, \
		   teardown)
	ADD("good", test_good);
	ADD("missing", test_missing);
	ADD("fifo", test_fifo);
	ADD("dev-zero", test_dev_zero);
	ADD("link-to-file", test_link_to_file);
	ADD("middle-link", test_middle_link);
	ADD("dot-dot", test_dot_dot);
	ADD("over-size", test_over_size);
	return g_test_run();
}
