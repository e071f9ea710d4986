/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build_kernel: the kernel recipe, for build.c only.
 */
#ifndef PC_BUILD_KERNEL_H
#define PC_BUILD_KERNEL_H

#include "build_step.h"

G_BEGIN_DECLS

/*
 * The name of pc_build_rust_fragment in the output directory, where
 * build.c writes it before every build.
 */
#define PC_BUILD_FRAGMENT_NAME "pullcheck-rust.config"

/*
 * allmodconfig with the fragment, rustavailable, the CONFIG_RUST check,
 * then the scope's targets: sets @b's verdict, reasons, toolchain,
 * targets and reproduce lines.
 */
void pc_build_kernel_recipe(PcBuildRun *b);

G_END_DECLS

#endif
