// SPDX-License-Identifier: GPL-2.0-only
/*
 * bootlog: the boot verdict from consoles, table-driven, and from the
 * fixtures (tests/fixtures/bootlog, also the fuzz target's seeds).
 */
#include <string.h>

#include "bootlog.h"

#define M "pullcheck-boot: init reached, rebooting"
#define LV "[    0.000000] Linux version 6.12.117\n"
#define MINIMAL "[    0.8] rust_minimal: Rust minimal sample (init)\n"
#define PRINT "[    0.9] rust_print: Rust printing macros sample (init)\n"

static const char *const samples[] = { "rust_minimal", "rust_print", NULL };

static const struct {
	const char *name;
	const char *console;
	gboolean timed_out;
	const char *reason;	/* NULL: pass */
	const char *first_bad;	/* a part of it; NULL: none */
} CASES[] = {
	{ "pass", LV MINIMAL PRINT M "\n", FALSE, NULL, NULL },
	{ "pass, bad lines after the marker", LV MINIMAL PRINT M "\nKernel panic\n",
	  FALSE, NULL, NULL },
	{ "panic", LV MINIMAL "[ 1.0] Kernel panic - not syncing: VFS\n" PRINT,
	  FALSE, "boot-panic", "Kernel panic - not syncing" },
	{ "BUG", LV "[ 1.0] BUG: kernel NULL pointer dereference\n" MINIMAL PRINT M,
	  FALSE, "boot-bug", "NULL pointer" },
	{ "kernel BUG at", LV "[ 1.0] kernel BUG at mm/slub.c:1!\n", TRUE,
	  "boot-bug", "mm/slub.c" },
	{ "Oops", LV "[ 1.0] Oops: 0002 [#1] SMP\n" MINIMAL PRINT M, FALSE,
	  "boot-oops", "0002" },
	{ "WARNING", LV MINIMAL "[ 1.0] WARNING: CPU: 0 PID: 1 at x.c:3\n" PRINT M,
	  FALSE, "boot-warning", "x.c:3" },
	{ "gpf", LV "[ 1.0] Oops: general protection fault, probably\n", FALSE,
	  "boot-gpf", "general protection" },
	{ "RCU stall", LV "[ 22.0] rcu: INFO: rcu_preempt self-detected stall on CPU\n",
	  TRUE, "boot-rcu-stall", "self-detected stall" },
	{ "KASAN", LV "[ 1.0] BUG: KASAN: slab-out-of-bounds in f\n" M, FALSE,
	  "boot-kasan", "slab-out-of-bounds" },
	{ "timeout", LV MINIMAL PRINT "[ 1.0] Run /init as init process\n", TRUE,
	  "boot-timeout", NULL },
	{ "no marker", LV MINIMAL PRINT "[ 1.0] reboot: Power down\n", FALSE,
	  "boot-no-marker", NULL },
	{ "a sample missing", LV MINIMAL M "\n", FALSE, "boot-sample-missing", NULL },
	{ "a sample's line after the marker", LV MINIMAL M "\n" PRINT, FALSE,
	  "boot-sample-missing", NULL },
	{ "empty", "", FALSE, "boot-no-marker", NULL },
};

static void test_table(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(CASES); i++) {
		PcBootlog log;

		g_test_message("case %s", CASES[i].name);
		pc_bootlog_judge(CASES[i].console, strlen(CASES[i].console), M,
				 samples, CASES[i].timed_out, &log);
		g_assert_cmpstr(log.reason, ==, CASES[i].reason);
		g_assert_true(log.pass == (CASES[i].reason == NULL));
		if (CASES[i].first_bad)
			g_assert_nonnull(strstr(log.first_bad, CASES[i].first_bad));
		else
			g_assert_null(log.first_bad);
		g_assert_nonnull(log.excerpt);
		g_assert_cmpuint(strlen(log.excerpt), <=, PC_BOOTLOG_MAX_EXCERPT);
		pc_bootlog_clear(&log);
	}
}

/* Both samples' lines are kept as printed; \r and escapes cleaned. */
static void test_fixture_pass(void)
{
	g_autofree char *path = g_build_filename(PC_BOOTLOG_FIXTURES,
						 "pass.console", NULL);
	g_autofree char *text = NULL;
	gsize len;
	PcBootlog log;

	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	pc_bootlog_judge(text, len, M, samples, FALSE, &log);
	g_assert_true(log.pass);
	g_assert_true(log.marker);
	g_assert_true(log.kernel_started);
	g_assert_cmpuint(log.samples->len, ==, 2);
	g_assert_cmpstr(log.samples->pdata[0], ==,
			"[    0.812345] rust_minimal: Rust minimal sample (init)");
	g_assert_cmpstr(log.samples->pdata[1], ==,
			"[    0.813000] rust_print: Rust printing macros sample (init)");
	pc_bootlog_clear(&log);
}

/* The excerpt around the first bad line quotes the Rust panic before it. */
static void test_fixture_panic(void)
{
	g_autofree char *path = g_build_filename(PC_BOOTLOG_FIXTURES,
						 "panic.console", NULL);
	g_autofree char *text = NULL;
	gsize len;
	PcBootlog log;

	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	pc_bootlog_judge(text, len, M, samples, FALSE, &log);
	g_assert_cmpstr(log.reason, ==, "boot-bug");
	g_assert_cmpuint(log.first_bad_line, ==, 6);
	g_assert_nonnull(strstr(log.excerpt, "panicked at samples/rust/rust_minimal.rs"));
	g_assert_nonnull(strstr(log.excerpt, "Kernel panic - not syncing"));
	pc_bootlog_clear(&log);
}

/* Hostile consoles: long lines, control bytes, bad UTF-8, NUL bytes. */
static void test_hostile(void)
{
	GString *s = g_string_new(LV);
	PcBootlog log;

	g_string_append(s, "\x1b[31mKernel panic \xff\xfe");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(s, 'x');
	g_string_append(s, "\n");
	for (int i = 0; i < 5000; i++)
		g_string_append(s, "\x01line\x7f\n");
	pc_bootlog_judge(s->str, s->len, M, samples, FALSE, &log);
	g_assert_cmpstr(log.reason, ==, "boot-panic");
	g_assert_cmpuint(strlen(log.first_bad), <=, PC_BOOTLOG_MAX_LINE * 2);
	g_assert_true(g_utf8_validate(log.first_bad, -1, NULL));
	g_assert_true(g_utf8_validate(log.excerpt, -1, NULL));
	g_assert_null(strchr(log.excerpt, '\x1b'));
	g_assert_cmpuint(strlen(log.excerpt), <=, PC_BOOTLOG_MAX_EXCERPT);
	pc_bootlog_clear(&log);
	g_string_free(s, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bootlog/table", test_table);
	g_test_add_func("/bootlog/fixture-pass", test_fixture_pass);
	g_test_add_func("/bootlog/fixture-panic", test_fixture_panic);
	g_test_add_func("/bootlog/hostile", test_hostile);
	return g_test_run();
}
