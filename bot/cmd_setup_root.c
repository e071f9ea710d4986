// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck setup-root: makes the kernel build root at [build] root.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <stdio.h>

#include "buildroot.h"
#include "cmd.h"

int pc_cmd_setup_root(int argc, char **argv)
{
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	PcToolchain tc;
	gboolean made;
	int status;

	config = pc_cmd_init(
		&argc, &argv, "- make the kernel build root",
		"Makes the Debian " PC_BUILDROOT_SUITE " build root that kernel "
		"builds run in, at [build] root,\nwith mmdebstrap from the "
		"Debian mirror apt uses on this host (about 2 GB,\na few "
		"minutes), then prints the toolchain versions in it. A second "
		"run on a\ncomplete root changes nothing; a root made before a "
		"package joined the list\n(ccache, qemu-system-x86 for [boot]) "
		"gets it, with apt in the root.",
		NULL, &status);
	if (!config)
		return status;
	if (argc > 1) {
		fprintf(stderr, "pullcheck setup-root: takes no arguments\n");
		return PC_EXIT_USAGE;
	}
	if (!pc_buildroot_create(config->build_root, &made, &error)) {
		fprintf(stderr, "pullcheck setup-root: %s\n", error->message);
		return PC_EXIT_FAILURE;
	}
	printf("%s: %s\n", config->build_root,
	       made ? "made (or given what it lacked)"
		    : "complete already, nothing to do");
	if (!pc_buildroot_toolchain(config->build_root, &tc, &error)) {
		fprintf(stderr, "pullcheck setup-root: %s\n", error->message);
		return PC_EXIT_FAILURE;
	}
	printf("rustc:   %s\nbindgen: %s\nclang:   %s\nld.lld:  %s\n",
	       tc.rustc, tc.bindgen, tc.clang, tc.lld);
	pc_toolchain_clear(&tc);
	return PC_EXIT_OK;
}
