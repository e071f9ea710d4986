/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kbuild: the kernel recipe's reading of a tree's .config and of its
 * kbuild Makefiles (assignments, ifdef/ifeq on CONFIG_ symbols), for
 * build_kernel.c. Only files are read: nothing runs.
 */
#ifndef PC_KBUILD_H
#define PC_KBUILD_H

#include <glib.h>

G_BEGIN_DECLS

/*
 * CONFIG_@symbol in @config_text: "y", "m", a value, or "n" for
 * "# CONFIG_X is not set" and absence. (transfer full)
 */
char *pc_kbuild_config_value(const char *config_text, const char *symbol);

/*
 * Why Rust is off: the "depends on" lines of `config RUST` in @src's
 * own init/Kconfig, with each symbol's value in @config_text; "" when
 * there are none. (transfer full)
 */
char *pc_kbuild_explain_rust_off(const char *src, const char *config_text);

/*
 * What the rust scope builds after prepare, given the .config that was
 * made (@config, its text): rust/, samples/rust/ when the tree has it,
 * every Rust crate's object and every changed C file's object that
 * @config builds. @rust_files: every .rs file of @src, relative to it,
 * or NULL to walk @src for them; @changed: the files base..tip changes,
 * or NULL. (transfer full; NULL-terminated)
 */
char **pc_kbuild_rust_targets(const char *src, const char *const *rust_files,
			      const char *const *changed, const char *config);

G_END_DECLS

#endif
