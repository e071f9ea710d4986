// SPDX-License-Identifier: GPL-2.0-only
/* pullcheck report: being written. */
#include <stdio.h>

#include "cmd.h"

int pc_cmd_report(int argc, char **argv)
{
	fprintf(stderr, "pullcheck report: not yet implemented\n");
	return PC_EXIT_FAILURE;
}
