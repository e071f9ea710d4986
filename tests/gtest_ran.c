// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linked into every GLib test binary (tests/CMakeLists.txt, pc_gtest)
 * with -Wl,--wrap=g_test_run, so a run in which no test ran fails. A
 * `-p PATH` that matches nothing prints "1..0" and exits 0: a ctest
 * entry whose path no longer names a test stayed green and proved
 * nothing. GLib counts the tests it runs but does not tell; its TAP
 * lines ("ok N /path", "not ok N /path") all go through g_print(), so
 * they are counted on their way out.
 *
 * The exit status is g_test_run()'s own when a test ran, 77 (skipped,
 * which tests/run-all refuses unless it is allowed) when every test it
 * selected called g_test_skip(), and 1 when it selected none.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

/* The linker's names for the wrapped function and the wrapper. */
int __real_g_test_run(void);
int __wrap_g_test_run(void);

static guint ran, skipped, listed;
static GPrintFunc next_print;

static void count_print(const char *text)
{
	if (g_str_has_prefix(text, "ok ") || g_str_has_prefix(text, "not ok ")) {
		if (strstr(text, " # SKIP"))
			skipped++;
		else
			ran++;
	} else if (text[0] == '/') {
		listed++;	/* -l prints the paths it would run */
	}
	if (next_print) {
		next_print(text);
	} else {
		fputs(text, stdout);
		fflush(stdout);
	}
}

int __wrap_g_test_run(void)
{
	int status;

	/* A g_test_trap_subprocess() child runs one test its parent chose. */
	if (g_test_subprocess())
		return __real_g_test_run();
	next_print = g_set_print_handler(count_print);
	status = __real_g_test_run();
	g_set_print_handler(next_print);
	if (status || ran || listed)
		return status;
	if (skipped) {
		fprintf(stderr, "every selected test skipped itself\n");
		return 77;
	}
	fprintf(stderr, "no test ran: no test path matches what -p/-s "
			"selected\n");
	return 1;
}
