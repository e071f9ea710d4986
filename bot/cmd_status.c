// SPDX-License-Identifier: GPL-2.0-only
/* pullcheck status: being written. */
#include <stdio.h>

#include "cmd.h"

int pc_cmd_status(int argc, char **argv)
{
	fprintf(stderr, "pullcheck status: not yet implemented\n");
	return PC_EXIT_FAILURE;
}
