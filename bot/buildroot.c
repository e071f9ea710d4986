// SPDX-License-Identifier: GPL-2.0-only
/*
 * buildroot: makes and checks the Debian 13 kernel build root.
 *
 * Debian 12's bindgen (0.60) is too old for current kernels; trixie's
 * rustc 1.85, bindgen 0.71 and LLVM 19 build 6.12. mmdebstrap makes the
 * root from the mirror apt already uses here, so no host is hard-coded.
 */
#define G_LOG_DOMAIN "pullcheck-buildroot"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "buildroot.h"

G_DEFINE_QUARK(pc-buildroot-error-quark, pc_buildroot_error)

const char *const pc_buildroot_packages[] = {
	"rustc", "rust-src", "bindgen", "clang", "lld", "llvm", "make", "bc",
	"bison", "flex", "libelf-dev", "libssl-dev", "gcc", "libc6-dev",
	"python3", "cpio", "kmod", NULL,
};

/* Written last, so its presence means the root was finished. */
#define MARKER "etc/pullcheck-buildroot"

static char *marker_text(void)
{
	g_autofree char *pkgs = g_strjoinv(",", (char **)pc_buildroot_packages);

	return g_strdup_printf("suite=%s\npackages=%s\n", PC_BUILDROOT_SUITE,
			       pkgs);
}

gboolean pc_buildroot_check(const char *root, GError **error)
{
	g_autofree char *marker = g_build_filename(root, MARKER, NULL);
	g_autofree char *want = marker_text();
	g_autofree char *have = NULL;
	const char *const points[] = { PC_BUILDROOT_SRC, PC_BUILDROOT_OUT };

	if (!g_file_get_contents(marker, &have, NULL, NULL) ||
	    strcmp(have, want)) {
		g_set_error(error, PC_BUILDROOT_ERROR,
			    PC_BUILDROOT_ERROR_MISSING,
			    have ? "the build root %s was made with other "
				   "packages; remove it and run setup-root"
				 : "no complete build root at %s (run "
				   "pullcheck setup-root)",
			    root);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(points); i++) {
		g_autofree char *p = g_build_filename(root, points[i], NULL);

		if (!g_file_test(p, G_FILE_TEST_IS_DIR)) {
			g_set_error(error, PC_BUILDROOT_ERROR,
				    PC_BUILDROOT_ERROR_MISSING,
				    "the build root %s lacks the mount point %s",
				    root, points[i]);
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * apt answers for itself which archive it uses: the repository of a
 * plain suite (not -updates, not -security) of the Debian archive.
 */
char *pc_buildroot_mirror(GError **error)
{
	const char *argv[] = { "apt-get", "indextargets", "--format",
			       "$(REPO_URI) $(RELEASE)",
			       "Identifier: Packages", NULL };
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
			  G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
			  &status, error))
		return NULL;
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, " ", 2);
		gsize len;

		if (g_strv_length(f) != 2 || strchr(f[1], '-') ||
		    !g_str_has_suffix(f[0], "/debian/"))
			continue;
		len = strlen(f[0]);
		return g_strndup(f[0], len - 1);
	}
	g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_MIRROR,
		    "apt names no Debian archive to make the build root from "
		    "(apt-get indextargets lists none ending in /debian/)");
	return NULL;
}

static gboolean run_mmdebstrap(const char *partial, const char *mirror,
			       GError **error)
{
	g_autofree char *pkgs = g_strjoinv(",", (char **)pc_buildroot_packages);
	g_autofree char *include = g_strconcat("--include=", pkgs, NULL);
	const char *argv[] = { "mmdebstrap", "--variant=apt", include,
			       PC_BUILDROOT_SUITE, partial, mirror, NULL };
	g_autoptr(GSubprocess) proc = NULL;

	fprintf(stderr, "pullcheck setup-root: mmdebstrap %s %s from %s\n",
		PC_BUILDROOT_SUITE, partial, mirror);
	proc = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, error);
	if (!proc || !g_subprocess_wait_check(proc, NULL, error)) {
		g_prefix_error(error, "mmdebstrap: ");
		return FALSE;
	}
	return TRUE;
}

static gboolean finish_root(const char *partial, GError **error)
{
	const char *const points[] = { PC_BUILDROOT_SRC, PC_BUILDROOT_OUT };
	g_autofree char *marker = g_build_filename(partial, MARKER, NULL);
	g_autofree char *text = marker_text();

	for (gsize i = 0; i < G_N_ELEMENTS(points); i++) {
		g_autofree char *p = g_build_filename(partial, points[i], NULL);

		if (g_mkdir_with_parents(p, 0755) < 0) {
			g_set_error(error, PC_BUILDROOT_ERROR,
				    PC_BUILDROOT_ERROR_CREATE, "%s: %s", p,
				    g_strerror(errno));
			return FALSE;
		}
	}
	return g_file_set_contents(marker, text, -1, error);
}

gboolean pc_buildroot_create(const char *root, gboolean *made,
			     GError **error)
{
	g_autofree char *partial = g_strconcat(root, ".partial", NULL);
	g_autofree char *mirror = NULL;

	*made = FALSE;
	if (pc_buildroot_check(root, NULL))
		return TRUE;
	if (g_file_test(root, G_FILE_TEST_EXISTS)) {
		g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_CREATE,
			    "%s exists but is not a complete build root; "
			    "remove it first", root);
		return FALSE;
	}
	if (g_file_test(partial, G_FILE_TEST_EXISTS)) {
		g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_CREATE,
			    "%s is left from an interrupted run; remove it "
			    "first", partial);
		return FALSE;
	}
	mirror = pc_buildroot_mirror(error);
	if (!mirror || !run_mmdebstrap(partial, mirror, error) ||
	    !finish_root(partial, error))
		return FALSE;
	if (rename(partial, root) < 0) {
		g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_CREATE,
			    "rename %s: %s", partial, g_strerror(errno));
		return FALSE;
	}
	*made = TRUE;
	return TRUE;
}

/* The first line @argv prints inside @root, or NULL with an error. */
static char *version_in_root(const char *root, const char *const *cmd,
			     GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	const char *const head[] = { "bwrap", "--ro-bind", root, "/", "--dev",
				     "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
				     "--unshare-all", "--die-with-parent",
				     "--clearenv", "--setenv", "PATH",
				     "/usr/bin:/bin", "--" };
	g_autofree char *out = NULL;
	int status;

	for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
		g_ptr_array_add(argv, (gpointer)head[i]);
	for (const char *const *c = cmd; *c; c++)
		g_ptr_array_add(argv, (gpointer)*c);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, &out, NULL, &status, error))
		return NULL;
	if (!g_spawn_check_wait_status(status, NULL) || !*out) {
		g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_TOOL,
			    "%s --version does not run in the build root %s",
			    cmd[0], root);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return g_steal_pointer(&out);
}

gboolean pc_buildroot_toolchain(const char *root, PcToolchain *tc,
				GError **error)
{
	const char *const rustc[] = { "rustc", "--version", NULL };
	const char *const bindgen[] = { "bindgen", "--version", NULL };
	const char *const clang[] = { "clang", "--version", NULL };
	const char *const lld[] = { "ld.lld", "--version", NULL };

	memset(tc, 0, sizeof(*tc));
	if (!(tc->rustc = version_in_root(root, rustc, error)) ||
	    !(tc->bindgen = version_in_root(root, bindgen, error)) ||
	    !(tc->clang = version_in_root(root, clang, error)) ||
	    !(tc->lld = version_in_root(root, lld, error))) {
		pc_toolchain_clear(tc);
		return FALSE;
	}
	return TRUE;
}

void pc_toolchain_clear(PcToolchain *tc)
{
	g_free(tc->rustc);
	g_free(tc->bindgen);
	g_free(tc->clang);
	g_free(tc->lld);
	memset(tc, 0, sizeof(*tc));
}
