/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * terminal: text from mail and from builds made safe to print for a
 * person. A subject, a Message-ID or a compiler's line can hold escape
 * sequences that clear the operator's screen, retitle the window or
 * forge log lines; what pullcheck prints for people shows them as \xNN.
 * JSON output needs none of this: its encoder escapes them already.
 */
#ifndef PC_TERMINAL_H
#define PC_TERMINAL_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	PC_TERMINAL_LINE = 0,		/* one line: \n and \r escaped too */
	PC_TERMINAL_KEEP_LINES = 1 << 0,	/* a text: \n, \r\n and \t kept */
} PcTerminalFlags;

/*
 * @text with every control character (C0, DEL, C1) and every byte that
 * is not UTF-8 written as \xNN (a C1 character as \u00NN). NULL gives
 * NULL. (transfer full)
 */
char *pc_terminal_escape(const char *text, PcTerminalFlags flags);

G_END_DECLS

#endif
