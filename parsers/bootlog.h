/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bootlog: a kernel's serial console, as QEMU printed it, in; the boot
 * verdict out. Pure: bytes in, plain data out.
 *
 * A boot passes when the init marker appears, every sample's init line
 * appeared before it, and no line that says the kernel went wrong
 * (Kernel panic, BUG:, Oops, WARNING:, general protection, an RCU
 * stall, KASAN) came before the marker. The console is the guest's:
 * untrusted, so what is kept of it is bounded, valid UTF-8 and free of
 * control characters.
 */
#ifndef PC_BOOTLOG_H
#define PC_BOOTLOG_H

#include <glib.h>

G_BEGIN_DECLS

/* What is kept of one console line, and of an excerpt in all. */
#define PC_BOOTLOG_MAX_LINE 200
#define PC_BOOTLOG_MAX_EXCERPT 4096
/* The excerpt: lines before the first bad one, and from it on. */
#define PC_BOOTLOG_BEFORE 8
#define PC_BOOTLOG_AFTER 24

typedef struct {
	gboolean pass;
	/*
	 * The finding, NULL for a pass: boot-panic, boot-bug, boot-oops,
	 * boot-warning, boot-gpf, boot-rcu-stall, boot-kasan (a bad line
	 * before the marker), boot-timeout (no marker and the run was
	 * stopped), boot-no-marker (the guest ended without it),
	 * boot-sample-missing (the marker, but a sample's line not).
	 */
	const char *reason;
	char *first_bad;	/* the first bad line, cleaned; NULL: none */
	guint first_bad_line;	/* its number, from 1; 0: none */
	char *missing;		/* boot-sample-missing: which sample */
	gboolean marker;	/* the marker appeared */
	gboolean kernel_started;	/* a "Linux version" line appeared */
	GPtrArray *samples;	/* char*: each sample's init line, cleaned */
	/*
	 * Lines around the first bad one, or the last lines for a boot
	 * with none; at most PC_BOOTLOG_MAX_EXCERPT bytes.
	 */
	char *excerpt;
} PcBootlog;

/*
 * Judges @len bytes of @text (need not be NUL-terminated). @marker is
 * the line our init prints; @samples the module names whose
 * "NAME: ... (init)" line must appear; @timed_out whether the run was
 * stopped for its time.
 */
void pc_bootlog_judge(const char *text, gsize len, const char *marker,
		      const char *const *samples, gboolean timed_out,
		      PcBootlog *out);
void pc_bootlog_clear(PcBootlog *log);

/* A few words for @reason: "a kernel panic". (transfer none) */
const char *pc_bootlog_reason_words(const char *reason);

G_END_DECLS

#endif
