// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as a serial console, through the boot
 * verdict, checked against what bootlog.h promises.
 */
#include <stdint.h>
#include <string.h>

#include "bootlog.h"

static const char *const samples[] = { "rust_minimal", "rust_print", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PcBootlog log;

	pc_bootlog_judge((const char *)data, size,
			 "pullcheck-boot: init reached, rebooting", samples,
			 size & 1, &log);
	if (log.pass != (log.reason == NULL) || !log.excerpt ||
	    strlen(log.excerpt) > PC_BOOTLOG_MAX_EXCERPT ||
	    !g_utf8_validate(log.excerpt, -1, NULL))
		__builtin_trap();
	if (log.first_bad && (!g_utf8_validate(log.first_bad, -1, NULL) ||
			      !log.first_bad_line))
		__builtin_trap();
	for (guint i = 0; i < log.samples->len; i++)
		if (!g_utf8_validate(log.samples->pdata[i], -1, NULL))
			__builtin_trap();
	pc_bootlog_clear(&log);
	return 0;
}
