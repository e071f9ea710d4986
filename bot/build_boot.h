/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * build_boot: the boot of the bootable config in QEMU (issue 16), for
 * build_kernel.c only, which builds that config first.
 */
#ifndef PC_BUILD_BOOT_H
#define PC_BUILD_BOOT_H

#include "build_step.h"

G_BEGIN_DECLS

/* The line pullcheck's init prints before it powers the guest off. */
#define PC_BOOT_MARKER "pullcheck-boot: init reached, rebooting"

/* The Rust samples whose init line a boot must show. */
extern const char *const pc_boot_samples[];

/*
 * Boots arch/x86/boot/bzImage of @b->spec->out (the bootable build's
 * output) in QEMU in the build's sandbox, with an initramfs made there
 * at run time, and fills @boot: status, reason, accel, console. Adds
 * the boot's finding to @b->result->reasons when it is not a pass.
 */
void pc_build_boot_qemu(PcBuildRun *b, PcBootResult *boot);

/* Whether /dev/kvm opens read-write and answers KVM's API version. */
gboolean pc_build_boot_kvm_usable(void);

G_END_DECLS

#endif
