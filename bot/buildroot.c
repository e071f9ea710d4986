// SPDX-License-Identifier: GPL-2.0-only
/*
 * buildroot: makes and checks the Debian 13 kernel build root.
 *
 * Debian 12's bindgen (0.60) is too old for current kernels; trixie's
 * rustc 1.85, bindgen 0.71 and LLVM 19 build 6.12. mmdebstrap makes the
 * root from the mirror apt already uses here, so no host is hard-coded.
 */
#define G_LOG_DOMAIN "pullcheck-buildroot"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>

#include "buildroot.h"

G_DEFINE_QUARK(pc-buildroot-error-quark, pc_buildroot_error)

const char *const pc_buildroot_packages[] = {
	"rustc", "rust-src", "bindgen", "clang", "lld", "llvm", "make", "bc",
	"bison", "flex", "libelf-dev", "libssl-dev", "gcc", "libc6-dev",
	"python3", "cpio", "kmod", "ccache", "qemu-system-x86", NULL,
};

/*
 * Of those, what only the boot ([boot]) needs: a root without them
 * still builds (the boot then says it could not check), and setup-root
 * adds them.
 */
static const char *const BOOT_ONLY[] = { "qemu-system-x86", NULL };

/* Written last, so its presence means the root was finished. */
#define MARKER "etc/pullcheck-buildroot"
/* The versions of the tools, and what they were asked for under. */
#define TOOLCHAIN_CACHE "etc/pullcheck-toolchain"

static char *marker_text(void)
{
	g_autofree char *pkgs = g_strjoinv(",", (char **)pc_buildroot_packages);

	return g_strdup_printf("suite=%s\npackages=%s\n", PC_BUILDROOT_SUITE,
			       pkgs);
}

/*
 * The packages of today's list that the marker @have does not name.
 * NULL when @have is no marker of this suite. (transfer full)
 */
static char **missing_packages(const char *have, gboolean all)
{
	g_autofree char *suite = g_strdup_printf("suite=%s\npackages=",
						 PC_BUILDROOT_SUITE);
	g_auto(GStrv) listed = NULL;
	g_autofree char *line = NULL;
	GPtrArray *missing;
	const char *rest;

	if (!g_str_has_prefix(have, suite))
		return NULL;
	rest = have + strlen(suite);
	line = g_strndup(rest, strcspn(rest, "\n"));
	listed = g_strsplit(line, ",", -1);
	missing = g_ptr_array_new();
	for (const char *const *p = pc_buildroot_packages; *p; p++)
		if (!g_strv_contains((const char *const *)listed, *p) &&
		    (all || !g_strv_contains(BOOT_ONLY, *p)))
			g_ptr_array_add(missing, g_strdup(*p));
	g_ptr_array_add(missing, NULL);
	return (char **)g_ptr_array_free(missing, FALSE);
}

/*
 * Whether @root's marker names every package of the list (@all), or
 * every one a build needs; *@missing (may be NULL): what it lacks.
 */
static gboolean check_marker(const char *root, gboolean all, char ***missing,
			     GError **error)
{
	g_autofree char *marker = g_build_filename(root, MARKER, NULL);
	g_autofree char *have = NULL;
	g_auto(GStrv) lacks = NULL;
	g_autofree char *names = NULL;

	if (!g_file_get_contents(marker, &have, NULL, NULL)) {
		g_set_error(error, PC_BUILDROOT_ERROR,
			    PC_BUILDROOT_ERROR_MISSING,
			    "no complete build root at %s (run pullcheck "
			    "setup-root)", root);
		return FALSE;
	}
	lacks = missing_packages(have, all);
	if (!lacks) {
		g_set_error(error, PC_BUILDROOT_ERROR,
			    PC_BUILDROOT_ERROR_MISSING,
			    "the build root %s was made with other packages; "
			    "remove it and run setup-root", root);
		return FALSE;
	}
	if (!*lacks)
		return TRUE;
	names = g_strjoinv(", ", lacks);
	g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_PACKAGES,
		    "the build root %s lacks %s: run pullcheck setup-root to "
		    "add %s", root, names, lacks[1] ? "them" : "it");
	if (missing)
		*missing = g_steal_pointer(&lacks);
	return FALSE;
}

gboolean pc_buildroot_check(const char *root, GError **error)
{
	const char *const points[] = { PC_BUILDROOT_SRC, PC_BUILDROOT_OUT };

	if (!check_marker(root, FALSE, NULL, error))
		return FALSE;
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

/*
 * apt in the root itself, with the network (the host's resolv.conf) and
 * the root writable: the mirror and keys are the ones mmdebstrap left
 * there. The package names are ours, never a mail's.
 */
static gboolean add_packages(const char *root, char **packages,
			     GError **error)
{
	static const char script[] =
		"apt-get -qq -o APT::Sandbox::User=root update && "
		"apt-get -qq -y -o APT::Sandbox::User=root "
		"--no-install-recommends install \"$@\" && apt-get clean";
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree char *names = g_strjoinv(" ", packages);
	const char *const fixed[] = {
		"bwrap", "--bind", root, "/", "--dev", "/dev", "--proc", "/proc",
		"--tmpfs", "/tmp", "--ro-bind", "/etc/resolv.conf",
		"/etc/resolv.conf", "--die-with-parent", "--clearenv",
		"--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
		"--setenv", "DEBIAN_FRONTEND", "noninteractive", "--",
		"/bin/sh", "-c", script, "sh",
	};

	fprintf(stderr, "pullcheck setup-root: adding %s to %s\n", names, root);
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(argv, (gpointer)fixed[i]);
	for (char **p = packages; *p; p++)
		g_ptr_array_add(argv, *p);
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const char *const *)argv->pdata,
				 G_SUBPROCESS_FLAGS_NONE, error);
	if (!proc || !g_subprocess_wait_check(proc, NULL, error)) {
		g_prefix_error(error, "adding %s to the build root %s: ", names,
			       root);
		return FALSE;
	}
	return TRUE;
}

/* A root made before a package joined the list gets it, then its marker. */
static gboolean upgrade_root(const char *root, char **missing, GError **error)
{
	g_autofree char *marker = g_build_filename(root, MARKER, NULL);
	g_autofree char *text = marker_text();

	return add_packages(root, missing, error) &&
	       g_file_set_contents(marker, text, -1, error);
}

gboolean pc_buildroot_create(const char *root, gboolean *made,
			     GError **error)
{
	g_autofree char *partial = g_strconcat(root, ".partial", NULL);
	g_autofree char *mirror = NULL;
	g_auto(GStrv) missing = NULL;

	*made = FALSE;
	if (pc_buildroot_check(root, NULL) &&
	    check_marker(root, TRUE, NULL, NULL))
		return TRUE;
	if (!check_marker(root, TRUE, &missing, NULL) && missing) {
		if (!upgrade_root(root, missing, error))
			return FALSE;
		*made = TRUE;
		return pc_buildroot_check(root, error);
	}
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

/*
 * The versions, asked for in one sandbox: each bwrap start costs about
 * a tenth of a second, and a verdict used to pay for four. The script
 * is fixed text; nothing from a mail reaches it.
 */
static const char VERSIONS_SCRIPT[] =
	"nl='\n'\n"
	"for t in rustc bindgen clang ld.lld; do\n"
	"	v=$(\"$t\" --version 2>/dev/null) && [ -n \"$v\" ] ||"
	" { echo \"$t\"; exit 1; }\n"
	"	printf '%s\\n' \"${v%%\"$nl\"*}\"\n"
	"done\n";

static gboolean probe(const char *root, PcToolchain *tc, GError **error)
{
	const char *const argv[] = { "bwrap", "--ro-bind", root, "/", "--dev",
				     "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
				     "--unshare-all", "--die-with-parent",
				     "--clearenv", "--setenv", "PATH",
				     "/usr/bin:/bin", "--", "/bin/sh", "-c",
				     VERSIONS_SCRIPT, NULL };
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, &out, NULL, &status, error))
		return FALSE;
	lines = g_strsplit(out, "\n", -1);
	if (!g_spawn_check_wait_status(status, NULL) ||
	    g_strv_length(lines) < 4) {
		g_strchomp(out);
		g_set_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_TOOL,
			    "%s --version does not run in the build root %s",
			    *out && !strchr(out, '\n') ? out : "a tool", root);
		return FALSE;
	}
	tc->rustc = g_strdup(lines[0]);
	tc->bindgen = g_strdup(lines[1]);
	tc->clang = g_strdup(lines[2]);
	tc->lld = g_strdup(lines[3]);
	return TRUE;
}

/*
 * What the versions depend on: the marker (the root's package list) and
 * dpkg's status file, which every install or upgrade in the root
 * rewrites. NULL if the root has no status file: then no cache.
 */
static char *cache_key(const char *root)
{
	g_autofree char *marker = g_build_filename(root, MARKER, NULL);
	g_autofree char *status = g_build_filename(root, "var", "lib", "dpkg",
						   "status", NULL);
	g_autofree char *text = NULL;
	struct stat st;

	if (!g_file_get_contents(marker, &text, NULL, NULL) ||
	    stat(status, &st) < 0)
		return NULL;
	g_strdelimit(text, "\n", ' ');
	return g_strdup_printf("%s| %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT
			       ".%09ld %" G_GINT64_FORMAT, text,
			       (guint64)st.st_ino, (gint64)st.st_mtim.tv_sec,
			       st.st_mtim.tv_nsec, (gint64)st.st_size);
}

static const char *const TOOL_KEYS[] = { "rustc", "bindgen", "clang", "lld" };

static char **tool_field(PcToolchain *tc, gsize i)
{
	char **fields[] = { &tc->rustc, &tc->bindgen, &tc->clang, &tc->lld };

	return fields[i];
}

static gboolean cache_read(const char *path, const char *key,
			   PcToolchain *tc)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *have = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return FALSE;
	have = g_key_file_get_string(kf, "toolchain", "key", NULL);
	if (g_strcmp0(have, key))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(TOOL_KEYS); i++) {
		char **field = tool_field(tc, i);

		*field = g_key_file_get_string(kf, "toolchain", TOOL_KEYS[i],
					       NULL);
		if (!*field || !**field) {
			pc_toolchain_clear(tc);
			return FALSE;
		}
	}
	return TRUE;
}

/* Best effort: a root pullcheck may not write to is probed every time. */
static void cache_write(const char *path, const char *key, PcToolchain *tc)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;

	g_key_file_set_string(kf, "toolchain", "key", key);
	for (gsize i = 0; i < G_N_ELEMENTS(TOOL_KEYS); i++)
		g_key_file_set_string(kf, "toolchain", TOOL_KEYS[i],
				      *tool_field(tc, i));
	if (!g_key_file_save_to_file(kf, path, &error))
		g_debug("cannot cache the toolchain versions: %s",
			error->message);
}

gboolean pc_buildroot_toolchain(const char *root, PcToolchain *tc,
				GError **error)
{
	g_autofree char *key = cache_key(root);
	g_autofree char *cache = g_build_filename(root, TOOLCHAIN_CACHE, NULL);

	memset(tc, 0, sizeof(*tc));
	if (key && cache_read(cache, key, tc))
		return TRUE;
	if (!probe(root, tc, error)) {
		pc_toolchain_clear(tc);
		return FALSE;
	}
	if (key)
		cache_write(cache, key, tc);
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
