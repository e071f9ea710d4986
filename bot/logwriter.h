/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * logwriter: the daemon's log lines, one per event. To the journal when
 * stderr is connected to it, else one stamped line each on stderr, in
 * syslog's priorities. Log lines name subjects and Message-IDs from
 * mail and make steps from the build: control characters in them are
 * escaped (terminal.h), so a newline in a subject cannot forge a line.
 */
#ifndef PC_LOGWRITER_H
#define PC_LOGWRITER_H

#include <glib.h>

G_BEGIN_DECLS

/* Makes this writer GLib's for the rest of the process. */
void pc_logwriter_install(void);

G_END_DECLS

#endif
