// SPDX-License-Identifier: GPL-2.0-only
/*
 * A reason's text quotes others (a .config value, a Kconfig line, a git
 * server's "remote error"): what reaches the reply has no control
 * character but newline and tab, and is valid UTF-8.
 */
#include "reason.h"

static const char *add(GPtrArray *reasons, const char *quoted)
{
	const PcReason *r;

	pc_reasons_add(reasons, "test", PC_SEVERITY_ERROR,
		       "CONFIG_RUST is %s", quoted);
	r = reasons->pdata[reasons->len - 1];
	return r->text;
}

static void test_controls(void)
{
	g_autoptr(GPtrArray) reasons = pc_reasons_new();

	g_assert_cmpstr(add(reasons, "n\r.\r\nMAIL FROM:<x>"), ==,
			"CONFIG_RUST is n\xef\xbf\xbd.\xef\xbf\xbd\n"
			"MAIL FROM:<x>");
	g_assert_cmpstr(add(reasons, "\x1b]0;owned\x07\x1b[2J"), ==,
			"CONFIG_RUST is \xef\xbf\xbd]0;owned\xef\xbf\xbd"
			"\xef\xbf\xbd[2J");
	/* DEL, and C1's CSI (U+009B) that some terminals obey. */
	g_assert_cmpstr(add(reasons, "a\x7f" "b\xc2\x9b" "c"), ==,
			"CONFIG_RUST is a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
}

static void test_kept(void)
{
	g_autoptr(GPtrArray) reasons = pc_reasons_new();

	g_assert_cmpstr(add(reasons, "y\tand\nmore, \xc3\xa9t\xc3\xa9"), ==,
			"CONFIG_RUST is y\tand\nmore, \xc3\xa9t\xc3\xa9");
}

static void test_invalid_utf8(void)
{
	g_autoptr(GPtrArray) reasons = pc_reasons_new();

	g_assert_cmpstr(add(reasons, "\xff" "y"), ==,
			"CONFIG_RUST is \xef\xbf\xbd" "y");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/reason/clean/controls", test_controls);
	g_test_add_func("/reason/clean/kept", test_kept);
	g_test_add_func("/reason/clean/invalid-utf8", test_invalid_utf8);
	return g_test_run();
}
