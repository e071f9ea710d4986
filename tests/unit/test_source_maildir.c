// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Maildir source's dovecot-keywords, when someone with write access
 * to the Maildir planted a FIFO or a link to /dev/zero there: setting a
 * verdict fails promptly with an error naming the file, never blocks or
 * reads without end. An alarm fails a test that blocks. Dovecot reading
 * the keywords back is tests/integration/imap.c's.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "source.h"

#define MESSAGE "1700000001.M1P1.pullcheck-test"

typedef struct {
	char *dir, *maildir, *keywords;
	PcConfig *config;
	PcSource *src;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL, *text = NULL, *msg = NULL;
	g_autofree char *failed = NULL;

	f->dir = g_dir_make_tmp("pc-maildir-XXXXXX", NULL);
	f->maildir = g_build_filename(f->dir, "Maildir", NULL);
	f->keywords = g_build_filename(f->maildir, "dovecot-keywords", NULL);
	g_assert_true(pc_fileio_make_maildir(f->maildir, &failed));
	msg = g_build_filename(f->maildir, "cur", MESSAGE ":2,S", NULL);
	g_assert_true(g_file_set_contents(msg, "Subject: x\n\nx\n", -1, NULL));
	conf = g_build_filename(f->dir, "pullcheck.conf", NULL);
	text = g_strdup_printf("[pullcheck]\nstate_dir=%s\n"
			       "[source]\ntype=maildir\nmaildir=%s\n",
			       f->dir, f->maildir);
	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	f->config = pc_config_load(conf, &error);
	g_assert_no_error(error);
	f->src = pc_source_new(f->config, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(f->src->ops->open(f->src, &error));
	g_assert_no_error(error);
	alarm(10);	/* a read that blocks fails here, not in ctest's timeout */
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	alarm(0);
	pc_source_free(f->src);
	pc_config_free(f->config);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->keywords);
	g_free(f->maildir);
	g_free(f->dir);
}

static void assert_refused(Fixture *f, const char *why)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *msg = g_build_filename(f->maildir, "cur",
						MESSAGE ":2,S", NULL);

	g_assert_false(f->src->ops->set_verdict(f->src, MESSAGE, "pass",
						&error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "dovecot-keywords"));
	g_assert_nonnull(strstr(error->message, why));
	g_assert_true(g_file_test(msg, G_FILE_TEST_IS_REGULAR));
}

static void test_fifo(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(mkfifo(f->keywords, 0600), ==, 0);
	assert_refused(f, "not a regular file");
}

static void test_dev_zero(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(symlink("/dev/zero", f->keywords), ==, 0);
	assert_refused(f, "symbolic link");
}

/* The same path with a good file: the verdict is set. */
static void test_good(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *msg = g_build_filename(f->maildir, "cur",
						MESSAGE ":2,Sb", NULL);

	g_assert_true(g_file_set_contents(f->keywords, "0 $Other\n", -1,
					  NULL));
	g_assert_true(f->src->ops->set_verdict(f->src, MESSAGE, "pass",
					       &error));
	g_assert_no_error(error);
	g_assert_true(g_file_test(msg, G_FILE_TEST_IS_REGULAR));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGALRM, SIG_DFL);
#define ADD(name, fn) \
	g_test_add("/source/maildir/keywords/" name, Fixture, NULL, setup, \
		   fn, teardown)
	ADD("fifo", test_fifo);
	ADD("dev-zero", test_dev_zero);
	ADD("good", test_good);
	return g_test_run();
}
