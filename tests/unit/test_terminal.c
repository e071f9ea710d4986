// SPDX-License-Identifier: GPL-2.0-only
/* terminal: what a person's terminal is shown of hostile text. */
#include "terminal.h"

typedef struct {
	const char *in;
	PcTerminalFlags flags;
	const char *out;
} Case;

static const Case CASES[] = {
	{ "plain text, UTF-8: Grüße", PC_TERMINAL_LINE,
	  "plain text, UTF-8: Grüße" },
	{ "clear\x1b[2Jscreen", PC_TERMINAL_LINE, "clear\\x1b[2Jscreen" },
	{ "title\x1b]0;pwned\x07", PC_TERMINAL_LINE, "title\\x1b]0;pwned\\x07" },
	{ "forged\nline", PC_TERMINAL_LINE, "forged\\x0aline" },
	{ "over\rwrite", PC_TERMINAL_LINE, "over\\x0dwrite" },
	{ "tab\there", PC_TERMINAL_LINE, "tab\\x09here" },
	{ "del\x7f", PC_TERMINAL_LINE, "del\\x7f" },
	/* C1 CSI as UTF-8, and as the raw 8-bit byte (not UTF-8). */
	{ "c1\xc2\x9b" "2J", PC_TERMINAL_LINE, "c1\\u009b2J" },
	{ "raw\x9b" "2J", PC_TERMINAL_LINE, "raw\\x9b2J" },
	{ "cut\xe2\x82", PC_TERMINAL_LINE, "cut\\xe2\\x82" },
	{ "a\nb\r\nc\td", PC_TERMINAL_KEEP_LINES, "a\nb\r\nc\td" },
	{ "lone\rcr\x1b[1A", PC_TERMINAL_KEEP_LINES, "lone\\x0dcr\\x1b[1A" },
	{ "", PC_TERMINAL_LINE, "" },
};

static void test_escape(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(CASES); i++) {
		g_autofree char *out = pc_terminal_escape(CASES[i].in,
							  CASES[i].flags);

		g_assert_cmpstr(out, ==, CASES[i].out);
	}
	g_assert_null(pc_terminal_escape(NULL, PC_TERMINAL_LINE));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/terminal/escape", test_escape);
	return g_test_run();
}
