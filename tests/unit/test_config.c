// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration: defaults with no file, every key read, and errors
 * that name the file and line.
 */
#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

#include "config.h"

static char *write_conf(const char *text)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("pullcheck-conf-XXXXXX", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static PcConfig *load_text(const char *text, GError **error)
{
	g_autofree char *path = write_conf(text);
	PcConfig *config = pc_config_load(path, error);

	g_unlink(path);
	return config;
}

static void test_defaults(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) c = load_text("", &error);

	g_assert_no_error(error);
	g_assert_cmpuint(c->max_message_bytes, ==, 10 * 1024 * 1024);
	g_assert_cmpstr(c->source_type, ==, "maildir");
	g_assert_true(g_str_has_suffix(c->source_maildir, "/inbox"));
	g_assert_true(g_str_has_prefix(c->source_maildir, c->state_dir));
	g_assert_cmpstr(c->build_scope, ==, "rust");
	g_assert_cmpstr(c->build_kconfig, ==, "allmodconfig");
	g_assert_null(c->build_kconfig_extra);
	g_assert_cmpuint(c->build_ccache_size, ==, G_GUINT64_CONSTANT(20) << 30);
	g_assert_cmpstr(c->fetch_allow_urls[0], ==, "https://git.kernel.org/");
	g_assert_cmpuint(g_strv_length(c->fetch_allow_urls), ==, 21);
	g_assert_null(c->imap_password_file);
}

static void test_values(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) c = load_text(
		"# a comment\n[pullcheck]\nstate_dir = /tmp/pc-state\n"
		"max_message_bytes = 2M\n\n[fetch]\n"
		"allow_urls = git://127.0.0.1:9418/;https://x.org/\n"
		"[build]\nscope=full\ncommand=make;-C;src\n"
		"kconfig = allnoconfig\nkconfig_extra = /etc/x.config\n"
		"ccache_size = 5G\n",
		&error);

	g_assert_no_error(error);
	g_assert_cmpuint(c->max_message_bytes, ==, 2 * 1024 * 1024);
	g_assert_cmpstr(c->state_dir, ==, "/tmp/pc-state");
	g_assert_cmpstr(c->source_maildir, ==, "/tmp/pc-state/inbox");
	g_assert_cmpstr(c->fetch_allow_urls[0], ==, "git://127.0.0.1:9418/");
	g_assert_cmpstr(c->fetch_allow_urls[1], ==, "https://x.org/");
	g_assert_cmpstr(c->build_scope, ==, "full");
	g_assert_cmpstr(c->build_command[2], ==, "src");
	g_assert_cmpstr(c->build_kconfig, ==, "allnoconfig");
	g_assert_cmpstr(c->build_kconfig_extra, ==, "/etc/x.config");
	g_assert_cmpuint(c->build_ccache_size, ==, G_GUINT64_CONSTANT(5) << 30);
}

typedef struct {
	const char *text;
	const char *message_has;
} BadRow;

static const BadRow BAD[] = {
	{ "[pullcheck]\nstate_dir=/x\n\n[fetch]\ntimout = 3\n", ":5: unknown key \"timout\" in [fetch]" },
	{ "[pullcheck]\n[nope]\nx=1\n", ":2: unknown section [nope]" },
	{ "[build]\n\nscope = most\n", ":3: [build] scope is \"most\"" },
	{ "[imap]\nport = 0\n", ":2: [imap] port is \"0\"" },
	/* a make target: never an option, a variable or a shell word */
	{ "[build]\nkconfig = -j99\n", ":2: [build] kconfig is \"-j99\"; it must be a make target" },
	{ "[build]\nkconfig = O=/etc\n", ":2: [build] kconfig is \"O=/etc\"" },
	{ "[build]\nkconfig = all config\n", ":2: [build] kconfig is \"all config\"" },
	{ "[build]\nkconfig =\n", ":2: [build] kconfig is \"\"" },
	{ "[imap]\nport = 99999\n", ":2: [imap] port" },
	{ "[pullcheck]\nmax_message_bytes = 10X\n", ":2: [pullcheck] max_message_bytes" },
	{ "[reply]\nfrom =\n", ":2: [reply] from must not be empty" },
	{ "[reply]\nother = some\n", ":2: [reply] other is \"some\"" },
	/* [report] base_url starts every link in a reply and the feed. */
	{ "[report]\ndays = 3\nbase_url = ftp://x.example.org/\n",
	  ":3: [report] base_url is \"ftp://x.example.org/\"" },
	{ "[report]\nbase_url = /pullcheck/\n", ":2: [report] base_url" },
	{ "[report]\nbase_url = https:///x\n", ":2: [report] base_url" },
	{ "[report]\nbase_url = https://x.example.org/a\"b\n",
	  ":2: [report] base_url" },
	{ "[report]\nbase_url = https://x.example.org/a b\n",
	  ":2: [report] base_url" },
	{ "[report]\nbase_url = https://x.example.org/?q=1\n",
	  ":2: [report] base_url" },
	/* GKeyFile's own words (translated), with the line quoted. */
	{ "[reply]\nfrom = a@example.org\nthis is not a key file\n",
	  "this is not a key file" },
};

/* Each error names the file first, then what is wrong and where. */
static void test_bad(gconstpointer data)
{
	const BadRow *row = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = write_conf(row->text);
	g_autoptr(PcConfig) c = pc_config_load(path, &error);
	g_autofree char *prefix = g_strconcat(path, ":", NULL);

	g_unlink(path);
	g_assert_null(c);
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	g_assert_nonnull(strstr(error->message, row->message_has));
}

static void test_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) c = pc_config_load("/nonexistent/pullcheck.conf",
					       &error);

	g_assert_null(c);
	g_assert_nonnull(strstr(error->message, "/nonexistent/pullcheck.conf"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/missing-file", test_missing_file);
	for (gsize i = 0; i < G_N_ELEMENTS(BAD); i++) {
		g_autofree char *path = g_strdup_printf("/config/bad/%zu", i);

		g_test_add_data_func(path, &BAD[i], test_bad);
	}
	return g_test_run();
}
