// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbuild: what a kernel tree's .config and kbuild Makefiles say, read
 * without running make, for the kernel recipe's rust scope.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "kbuild.h"

/*
 * The tree is the pull request's: a Kconfig or Makefile may be a link
 * (to /dev/zero, or through "init -> /etc"), a FIFO or huge. The largest
 * kernel Makefile is some 100 KiB; one past this is no kernel's.
 */
#define MAX_KBUILD_FILE_BYTES (4 * 1024 * 1024)

char *pc_kbuild_config_value(const char *config_text, const char *symbol)
{
	g_autofree char *set = g_strdup_printf("\nCONFIG_%s=", symbol);
	g_autofree char *text = g_strconcat("\n", config_text, NULL);
	const char *p = strstr(text, set);

	if (!p)
		return g_strdup("n");
	p += strlen(set);
	return g_strndup(p, strcspn(p, "\n"));
}

char *pc_kbuild_explain_rust_off(const char *src, const char *config_text)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *kconfig = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);
	gboolean in_rust = FALSE;

	if (!pc_fileio_read_below(src, "init/Kconfig", MAX_KBUILD_FILE_BYTES,
				  &kconfig, NULL, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_string_append_printf(out, "(not read: %s)",
					       error->message);
		return g_string_free(out, FALSE);
	}
	lines = g_strsplit(kconfig, "\n", -1);
	for (char **l = lines; *l; l++) {
		const char *t = *l + strspn(*l, " \t");

		if (g_str_has_prefix(*l, "config ") || g_str_has_prefix(*l, "menuconfig "))
			in_rust = !strcmp(*l, "config RUST");
		if (!in_rust || !g_str_has_prefix(t, "depends on "))
			continue;
		g_string_append_printf(out, "%s%s [", out->len ? "; " : "", t);
		for (const char *s = t + 11; *s;) {
			gsize n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

			if (n && !g_ascii_isdigit(*s)) {
				g_autofree char *sym = g_strndup(s, n);
				g_autofree char *v =
					pc_kbuild_config_value(config_text, sym);

				g_string_append_printf(out, "%s=%s ", sym, v);
			}
			s += n ? n : 1;
		}
		if (out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, ']');
	}
	return g_string_free(out, FALSE);
}

static gboolean symbol_on(const char *config_text, const char *symbol)
{
	g_autofree char *v = pc_kbuild_config_value(config_text, symbol);

	return !strcmp(v, "y") || !strcmp(v, "m");
}

/* "$(CONFIG_FOO)" at @s: FOO, else NULL. (transfer full) */
static char *config_ref(const char *s)
{
	const char *end;

	if (!g_str_has_prefix(s, "$(CONFIG_"))
		return NULL;
	s += strlen("$(CONFIG_");
	end = strchr(s, ')');
	return end ? g_strndup(s, end - s) : NULL;
}

/*
 * Whether an ifdef/ifndef/ifeq/ifneq line holds under @config. Only the
 * forms kbuild Makefiles use on CONFIG_ symbols are understood; any
 * other condition counts as true.
 */
static gboolean condition_holds(const char *line, const char *config)
{
	gboolean negate = g_str_has_prefix(line, "ifndef") ||
			  g_str_has_prefix(line, "ifneq");
	const char *arg = line + strcspn(line, " \t(");
	g_autofree char *sym = NULL;

	arg += strspn(arg, " \t(");
	if (g_str_has_prefix(line, "ifdef") || g_str_has_prefix(line, "ifndef")) {
		if (!g_str_has_prefix(arg, "CONFIG_"))
			return TRUE;
		sym = g_strndup(arg + 7, strcspn(arg + 7, " \t"));
		return symbol_on(config, sym) != negate;
	}
	/* ifeq ($(CONFIG_X),y), ($(CONFIG_X),m), ($(CONFIG_X),) */
	sym = config_ref(arg);
	if (!sym || !strchr(arg, ','))
		return TRUE;
	{
		const char *want = strchr(arg, ',') + 1;
		g_autofree char *v = pc_kbuild_config_value(config, sym);
		gboolean equal;

		if (*want == ')')
			equal = !strcmp(v, "n");
		else if (!g_str_has_prefix(want, "y)") &&
			 !g_str_has_prefix(want, "m)"))
			return TRUE;
		else
			equal = v[0] == want[0] && !v[1];
		return equal != negate;
	}
}

static gboolean has_word(const char *text, const char *word)
{
	gsize n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
		if ((p == text || g_ascii_isspace(p[-1])) &&
		    (!p[n] || g_ascii_isspace(p[n])))
			return TRUE;
	return FALSE;
}

static gboolean object_configured(const char *src, const char *dir,
				  const char *objo, const char *config,
				  guint depth);

/*
 * An assignment "LHS += ... OBJ ..." that builds @objo: obj-y, lib-y and
 * their $(CONFIG_X) forms directly; "name-y", "name-objs" and
 * "name-$(CONFIG_X)" as a part of name.o, which must then be built too.
 */
static gboolean assignment_builds(const char *src, const char *dir,
				  const char *lhs, const char *config,
				  guint depth)
{
	const char *dash = strrchr(lhs, '-');
	g_autofree char *sym = NULL, *name = NULL, *composite = NULL;

	if (!dash)
		return FALSE;
	sym = config_ref(dash + 1);
	if (sym && !symbol_on(config, sym))
		return FALSE;
	if (!sym && strcmp(dash + 1, "y") && strcmp(dash + 1, "m") &&
	    strcmp(dash + 1, "objs"))
		return FALSE;
	if (g_str_has_prefix(lhs, "obj-") || g_str_has_prefix(lhs, "lib-"))
		return TRUE;
	name = g_strndup(lhs, dash - lhs);
	composite = g_strconcat(name, ".o", NULL);
	return object_configured(src, dir, composite, config, depth + 1);
}

/*
 * The Makefile (or Kbuild) of @dir, relative to @src, as logical lines:
 * continuations joined. One that is refused (a link, not a regular file,
 * too large) is logged and counts as none: its objects are not asked for.
 */
static char **makefile_lines(const char *src, const char *dir)
{
	const char *const names[] = { "Kbuild", "Makefile" };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(dir, names[i], NULL);
		g_autofree char *text = NULL;
		g_auto(GStrv) parts = NULL;
		g_autoptr(GError) error = NULL;

		if (!pc_fileio_read_below(src, path, MAX_KBUILD_FILE_BYTES,
					  &text, NULL, &error)) {
			if (!g_error_matches(error, G_FILE_ERROR,
					     G_FILE_ERROR_NOENT))
				g_warning("rust targets: %s", error->message);
			continue;
		}
		parts = g_strsplit(text, "\\\n", -1);
		g_free(text);
		text = g_strjoinv(" ", parts);
		return g_strsplit(text, "\n", -1);
	}
	return NULL;
}

/*
 * Whether kbuild builds @objo in @dir under @config: a small reading of
 * the directory's Makefile (assignments, ifdef/ifeq on CONFIG_ symbols).
 * Asking make for one object the .config does not build fails with
 * errors that are not the pull request's, so only these are asked for.
 */
static gboolean object_configured(const char *src, const char *dir,
				  const char *objo, const char *config,
				  guint depth)
{
	g_auto(GStrv) lines = depth < 3 ? makefile_lines(src, dir) : NULL;
	gboolean stack[32];
	guint top = 0, off = 0;

	for (char **l = lines; l && *l; l++) {
		char *line = g_strstrip(*l);
		char *op;

		if (g_str_has_prefix(line, "if") && top < G_N_ELEMENTS(stack)) {
			stack[top] = condition_holds(line, config);
			off += !stack[top++];
		} else if (!strcmp(line, "else") && top) {
			off -= !stack[top - 1];
			stack[top - 1] = !stack[top - 1];
			off += !stack[top - 1];
		} else if (g_str_has_prefix(line, "endif") && top) {
			off -= !stack[--top];
		} else if (!off && (op = strchr(line, '='))) {
			/* "=", ":=", "+=" (and "?="): the left side ends before. */
			gsize lhs_len = op - line;
			g_autofree char *lhs = NULL;

			if (lhs_len && strchr("+:?", line[lhs_len - 1]))
				lhs_len--;
			lhs = g_strstrip(g_strndup(line, lhs_len));
			if (has_word(op + 1, objo) &&
			    assignment_builds(src, dir, lhs, config, depth))
				return TRUE;
		}
	}
	return FALSE;
}

/* Trees the rust scope does not look for crates in (rust/ is built whole). */
static gboolean skipped(const char *rel)
{
	const char *const skip[] = { "rust", "samples/rust", "tools",
				     "Documentation", "scripts" };

	for (gsize i = 0; i < G_N_ELEMENTS(skip); i++)
		if (!strcmp(rel, skip[i]))
			return TRUE;
	return FALSE;
}

/*
 * A .rs file is a crate of its own when its directory's Makefile builds
 * its .o; other .rs files are modules of a crate and build with it.
 */
static void add_rust_object(GPtrArray *targets, const char *src,
			    const char *rel, const char *config)
{
	g_autofree char *dir = g_path_get_dirname(rel);
	g_autofree char *base = g_path_get_basename(rel);
	g_autofree char *objo = NULL;

	base[strlen(base) - 3] = '\0';
	objo = g_strconcat(base, ".o", NULL);
	if (object_configured(src, dir, objo, config, 0))
		g_ptr_array_add(targets, strcmp(dir, ".") ?
				g_build_filename(dir, objo, NULL) :
				g_steal_pointer(&objo));
}

/* Whether @rel lies under a skipped tree or a hidden directory. */
static gboolean in_skipped(const char *rel)
{
	g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
	g_autoptr(GString) prefix = g_string_new(NULL);

	for (char **p = parts; p[0] && p[1]; p++) {
		g_string_append_printf(prefix, "%s%s", prefix->len ? "/" : "",
				       *p);
		if ((*p)[0] == '.' || skipped(prefix->str))
			return TRUE;
	}
	return FALSE;
}

/* From the list the checkout gives: no walk over the tree. */
static void add_listed_rust_objects(GPtrArray *targets, const char *src,
				    const char *const *files,
				    const char *config)
{
	for (const char *const *f = files; *f; f++) {
		const char *base = strrchr(*f, '/');

		base = base ? base + 1 : *f;
		if (g_str_has_suffix(*f, ".rs") && base[0] != '.' &&
		    !in_skipped(*f))
			add_rust_object(targets, src, *f, config);
	}
}

/* Without a list: readdir's d_type says what is a directory, no stat. */
static void walk_rust_objects(GPtrArray *targets, const char *src,
			      const char *rel, const char *config)
{
	g_autofree char *dir = g_build_filename(src, rel, NULL);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		g_autofree char *child = *rel ? g_build_filename(rel, e->d_name,
								 NULL)
					      : g_strdup(e->d_name);
		gboolean is_dir = e->d_type == DT_DIR;

		if (e->d_name[0] == '.' || skipped(child))
			continue;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = fstatat(dirfd(d), e->d_name, &st,
					 AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		}
		if (is_dir)
			walk_rust_objects(targets, src, child, config);
		else if (g_str_has_suffix(e->d_name, ".rs"))
			add_rust_object(targets, src, child, config);
	}
	if (d)
		closedir(d);
}

static void add_changed_c_objects(GPtrArray *targets, const char *src,
				  const char *const *changed, const char *config)
{
	for (const char *const *c = changed; c && *c; c++) {
		g_autofree char *dir = NULL, *base = NULL, *objo = NULL;

		if (!g_str_has_suffix(*c, ".c") || g_str_has_prefix(*c, "tools/") ||
		    g_str_has_prefix(*c, "scripts/"))
			continue;
		dir = g_path_get_dirname(*c);
		base = g_path_get_basename(*c);
		base[strlen(base) - 2] = '\0';
		objo = g_strconcat(base, ".o", NULL);
		if (object_configured(src, dir, objo, config, 0))
			g_ptr_array_add(targets, g_build_filename(dir, objo, NULL));
	}
}

char **pc_kbuild_rust_targets(const char *src, const char *const *rust_files,
			      const char *const *changed, const char *config)
{
	GPtrArray *t = g_ptr_array_new();
	g_autofree char *samples = g_build_filename(src, "samples", "rust",
						    NULL);

	g_ptr_array_add(t, g_strdup("rust/"));
	if (g_file_test(samples, G_FILE_TEST_IS_DIR))
		g_ptr_array_add(t, g_strdup("samples/rust/"));
	if (rust_files)
		add_listed_rust_objects(t, src, rust_files, config);
	else
		walk_rust_objects(t, src, "", config);
	add_changed_c_objects(t, src, changed, config);
	g_ptr_array_add(t, NULL);
	return (char **)g_ptr_array_free(t, FALSE);
}
