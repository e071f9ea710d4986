/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * buildroot: the kernel build root, a Debian 13 (trixie) tree made with
 * mmdebstrap, that every kernel build runs in, read-only.
 */
#ifndef PC_BUILDROOT_H
#define PC_BUILDROOT_H

#include <glib.h>

G_BEGIN_DECLS

#define PC_BUILDROOT_ERROR (pc_buildroot_error_quark())
GQuark pc_buildroot_error_quark(void);

typedef enum {
	PC_BUILDROOT_ERROR_MISSING,	/* no complete root at the path */
	PC_BUILDROOT_ERROR_MIRROR,	/* apt names no Debian mirror */
	PC_BUILDROOT_ERROR_CREATE,	/* mmdebstrap failed */
	PC_BUILDROOT_ERROR_TOOL,	/* a tool in the root does not run */
	PC_BUILDROOT_ERROR_PACKAGES,	/* complete, but made before a package
					 * joined the list: setup-root adds it */
} PcBuildrootError;

/* Where the sandbox mounts things; they exist in every complete root. */
#define PC_BUILDROOT_SRC "/src"
#define PC_BUILDROOT_OUT "/out"

/* The suite and packages a root is made of (ENVIRONMENT.md, issue 5). */
#define PC_BUILDROOT_SUITE "trixie"
extern const char *const pc_buildroot_packages[];

/* Versions of the tools in a root, each the tool's own first line. */
typedef struct {
	char *rustc;
	char *bindgen;
	char *clang;
	char *lld;
} PcToolchain;

void pc_toolchain_clear(PcToolchain *tc);

/*
 * TRUE if @root was completed by pc_buildroot_create() with today's
 * package list (or more) and has its mount points; else FALSE with why:
 * PC_BUILDROOT_ERROR_PACKAGES names the packages it lacks, and that
 * setup-root adds them.
 */
gboolean pc_buildroot_check(const char *root, GError **error);

/*
 * Makes the root at @root unless it is complete already (*@made is then
 * FALSE). Builds in "@root.partial" and renames, so an interrupted run
 * never leaves a root that looks complete. A root that only lacks
 * packages of today's list gets them, from the mirror the root names,
 * and its marker is written anew after (*@made is TRUE). Progress goes
 * to stderr.
 */
gboolean pc_buildroot_create(const char *root, gboolean *made,
			     GError **error);

/* The Debian mirror apt on this host uses, e.g. http://deb.debian.org/debian */
char *pc_buildroot_mirror(GError **error);

/*
 * Each tool's --version inside @root (read-only, no network), all in one
 * sandbox run. The answer is kept in the root as etc/pullcheck-toolchain
 * and reused while the root's marker and dpkg's status file stay the
 * same (if the root is not writable, every call runs the tools).
 */
gboolean pc_buildroot_toolchain(const char *root, PcToolchain *tc,
				GError **error);

G_END_DECLS

#endif
