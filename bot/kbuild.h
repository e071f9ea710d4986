/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kbuild: the kernel recipe's reading of a tree's .config, of what
 * kbuild lists for it and of the .cmd files kbuild leaves in O=, for
 * build_kernel.c. Nothing here runs make: build_kernel.c does, in the
 * sandbox, and hands the output in.
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
 * What kbuild itself says about a tree under one .config, for the fast
 * stage's choice of targets (issue 12): never a file the x86-64 build
 * does not compile, and every object a changed file reaches.
 *
 * The listing: for each directory asked about, the subdirectories kbuild
 * descends into and the objects it builds there, as the make run of
 * pc_kbuild_walk_argv() prints them (lines "PCLIST dir: subdirs | y |
 * m"). That output is the tree's (its Makefiles can print anything), so
 * only paths of plain characters are kept.
 */
typedef struct _PcKbuildListing PcKbuildListing;

/* The --eval arguments, the variable and the goal of the listing run. */
extern const char *const pc_kbuild_walk_args[];
#define PC_KBUILD_WALK_VAR "PC_DIRS"

/*
 * A path kbuild and a shell line may be given: letters, digits and
 * "._+,-/", no "..", not starting with "-" or "/". Everything taken
 * from a tree or a build (file names, listings, .cmd files) must pass.
 */
gboolean pc_kbuild_path_ok(const char *path);

/*
 * The directories to list for @paths (files or directories, relative
 * to the tree): each one's directory and every ancestor up to ".",
 * sorted, each once. Paths that fail pc_kbuild_path_ok() are left out.
 * (transfer full; NULL-terminated)
 */
char **pc_kbuild_walk_dirs(const char *const *paths);

/*
 * Parses the listing run's output; never fails (a bad line is skipped).
 * kbuild may print the listing twice: when the .config is newer than
 * include/config/auto.conf (a config target that wrote one, then a
 * fragment merged), the first pass reads the old auto.conf, then make
 * syncs the config, starts again and lists anew. A directory listed a
 * second time starts a new pass: only the last pass counts.
 */
PcKbuildListing *pc_kbuild_listing_parse(const char *text, gsize len);
void pc_kbuild_listing_free(PcKbuildListing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcKbuildListing, pc_kbuild_listing_free)

/* Whether the listing has an answer for @dir at all. */
gboolean pc_kbuild_listing_knows(const PcKbuildListing *listing,
				 const char *dir);

/*
 * Whether the build descends into @dir: "." does, and so does every
 * directory whose parent it descends into and lists it.
 */
gboolean pc_kbuild_listing_visits(const PcKbuildListing *listing,
				  const char *dir);

/* Whether the build compiles @object ("dir/name.o"): its dir is visited and lists it. */
gboolean pc_kbuild_listing_builds(const PcKbuildListing *listing,
				  const char *object);

/*
 * The objects @dir itself lists (not those of its subdirectories).
 * (transfer container; NULL when @dir is not known)
 */
GPtrArray *pc_kbuild_listing_objects(const PcKbuildListing *listing,
				     const char *dir);

/*
 * The objects that kbuild's .cmd files in @out (an O= the build wrote:
 * hostile) say depend on one of @changed (paths relative to the tree,
 * which the build saw at @src_mount): a changed header gives every
 * object that includes it, a .c included by another the includer.
 * Links are not followed, files over a bound are skipped, scripts/,
 * tools/ and rust/ (built whole) are not looked in. Sorted, each once.
 * (transfer full; NULL-terminated)
 */
char **pc_kbuild_cmd_dependents(const char *out, const char *src_mount,
				const char *const *changed);

/*
 * The fast stage's targets after prepare: "rust/", "samples/rust/" when
 * the build visits it, every object @listing builds of a Rust crate in
 * @rust_files, of a changed .c/.S/.rs in @changed, and of @dependents
 * (from pc_kbuild_cmd_dependents; one in a directory the listing does
 * not know is kept: this O= built it), and for a changed Kconfig,
 * Makefile or Kbuild the objects of its directory. (transfer full;
 * NULL-terminated)
 */
char **pc_kbuild_fast_targets(const PcKbuildListing *listing,
			      const char *const *rust_files,
			      const char *const *changed,
			      const char *const *dependents);

G_END_DECLS

#endif
