// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbuild: what a kernel tree's .config says, what kbuild lists for it,
 * and what the .cmd files kbuild writes beside every object say it was
 * made from: the kernel recipe's choice of targets (issue 12). kbuild
 * is the only judge of what an x86-64 build compiles; nothing here
 * reads a Makefile.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* --- what kbuild lists --------------------------------------------------- */

/*
 * One make run lists every directory asked for: the top Makefile's
 * $(build)=DIR descends into each with kbuild's own Makefile.build, which
 * reads the directory's Makefile under the .config and leaves the
 * subdirectories it would descend into and the objects it would build
 * in subdir-ym, real-obj-y (with lib-y) and real-obj-m.
 */
const char *const pc_kbuild_walk_args[] = {
	"--eval",
	"pc-walk: ; $(Q)$(foreach d,$(" PC_KBUILD_WALK_VAR "),"
	"$(MAKE) $(build)=$(d) pc-list;)",
	"--eval",
	"pc-list: ; @echo \"PCLIST $(obj): $(subdir-ym) | $(real-obj-y) "
	"$(lib-y) | $(real-obj-m)\"",
	NULL,
};

/* Each .cmd is some 60 KiB (one line per header); one past this is no kbuild's. */
#define MAX_CMD_BYTES (4 * 1024 * 1024)
/* An allmodconfig O= holds some 40,000; a hostile build may make more. */
#define MAX_CMD_FILES 1000000
#define MAX_DEPTH 64
/* Past this many objects, the fast stage asks for their directories. */
#define MAX_FAST_OBJECTS 3000

gboolean pc_kbuild_path_ok(const char *path)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+,-/";
	g_auto(GStrv) parts = NULL;

	if (!*path || path[strspn(path, ok)] || path[0] == '-' ||
	    path[0] == '/' || strlen(path) > 1024)
		return FALSE;
	parts = g_strsplit(path, "/", -1);
	for (char **p = parts; *p; p++)
		if (!strcmp(*p, "..") || (!**p && p[1]))
			return FALSE;
	return TRUE;
}

/* The directory of @path, "." at the top. (transfer full) */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? g_strndup(path, slash - path) : g_strdup(".");
}

static gint compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @set, sorted. (transfer full; NULL-terminated) */
static char **sorted_keys(GHashTable *set)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(a, g_strdup(key));
	g_ptr_array_sort(a, compare_str);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

char **pc_kbuild_walk_dirs(const char *const *paths)
{
	g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);

	g_hash_table_add(dirs, g_strdup("."));
	for (const char *const *p = paths; p && *p; p++) {
		char *d;

		if (!pc_kbuild_path_ok(*p))
			continue;
		d = dir_of(*p);
		while (strcmp(d, ".") && !g_hash_table_contains(dirs, d)) {
			char *up = dir_of(d);

			g_hash_table_add(dirs, d);
			d = up;
		}
		g_free(d);
	}
	return sorted_keys(dirs);
}

struct _PcKbuildListing {
	/* dir -> its subdirectories (a set) */
	GHashTable *subdirs;
	/* object -> the directory that lists it */
	GHashTable *objects;
	/* dir -> its objects, in kbuild's order (GPtrArray of borrowed) */
	GHashTable *dir_objects;
};

static void add_words(PcKbuildListing *l, const char *dir, const char *text,
		      gboolean subdirs)
{
	g_auto(GStrv) words = g_strsplit_set(text, " \t", -1);
	GHashTable *subs = g_hash_table_lookup(l->subdirs, dir);
	GPtrArray *objs = g_hash_table_lookup(l->dir_objects, dir);

	for (char **w = words; *w; w++) {
		gsize n = strlen(*w);

		while (n > 1 && (*w)[n - 1] == '/')
			(*w)[--n] = '\0';
		if (!n || !pc_kbuild_path_ok(*w))
			continue;
		if (subdirs) {
			g_hash_table_add(subs, g_strdup(*w));
		} else if (g_str_has_suffix(*w, ".o") &&
			   !g_hash_table_contains(l->objects, *w)) {
			char *obj = g_strdup(*w);

			g_hash_table_insert(l->objects, obj, g_strdup(dir));
			g_ptr_array_add(objs, obj);
		}
	}
}

/* "PCLIST dir: subdirs | y | m" */
static void parse_line(PcKbuildListing *l, const char *line)
{
	const char *colon = strstr(line, ": ");
	g_autofree char *dir = NULL;
	g_auto(GStrv) parts = NULL;

	if (!colon)
		return;
	dir = g_strndup(line, colon - line);
	if (strcmp(dir, ".") && !pc_kbuild_path_ok(dir))
		return;
	parts = g_strsplit(colon + 2, "|", 3);
	if (g_strv_length(parts) != 3)
		return;
	if (g_hash_table_contains(l->subdirs, dir)) {
		/* make started again, after syncing the config: a new pass */
		g_hash_table_remove_all(l->dir_objects);
		g_hash_table_remove_all(l->objects);
		g_hash_table_remove_all(l->subdirs);
	}
	g_hash_table_insert(l->subdirs, g_strdup(dir),
			    g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, NULL));
	g_hash_table_insert(l->dir_objects, g_strdup(dir),
			    g_ptr_array_new());
	add_words(l, dir, parts[0], TRUE);
	add_words(l, dir, parts[1], FALSE);
	add_words(l, dir, parts[2], FALSE);
}

PcKbuildListing *pc_kbuild_listing_parse(const char *text, gsize len)
{
	PcKbuildListing *l = g_new0(PcKbuildListing, 1);
	const char *end = text + len;

	l->subdirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)g_hash_table_unref);
	l->objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   g_free);
	l->dir_objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)g_ptr_array_unref);
	for (const char *p = text; p && p < end;) {
		const char *nl = memchr(p, '\n', end - p);
		gsize n = nl ? (gsize)(nl - p) : (gsize)(end - p);

		if (n > 7 && !memcmp(p, "PCLIST ", 7)) {
			g_autofree char *line = g_strndup(p + 7, n - 7);

			parse_line(l, line);
		}
		p = nl ? nl + 1 : NULL;
	}
	return l;
}

void pc_kbuild_listing_free(PcKbuildListing *l)
{
	if (!l)
		return;
	g_hash_table_unref(l->subdirs);
	g_hash_table_unref(l->objects);
	g_hash_table_unref(l->dir_objects);
	g_free(l);
}

gboolean pc_kbuild_listing_knows(const PcKbuildListing *l, const char *dir)
{
	return g_hash_table_contains(l->subdirs, dir);
}

gboolean pc_kbuild_listing_visits(const PcKbuildListing *l, const char *dir)
{
	g_autofree char *up = NULL;
	GHashTable *subs;

	if (!strcmp(dir, "."))
		return pc_kbuild_listing_knows(l, ".");
	up = dir_of(dir);
	subs = g_hash_table_lookup(l->subdirs, up);
	/* The parent lists it, and the parent is visited in turn. */
	return subs && g_hash_table_contains(subs, dir) &&
	       pc_kbuild_listing_visits(l, up);
}

gboolean pc_kbuild_listing_builds(const PcKbuildListing *l,
				  const char *object)
{
	const char *dir = g_hash_table_lookup(l->objects, object);

	return dir && pc_kbuild_listing_visits(l, dir);
}

GPtrArray *pc_kbuild_listing_objects(const PcKbuildListing *l,
				     const char *dir)
{
	GPtrArray *objs = g_hash_table_lookup(l->dir_objects, dir);

	return objs ? g_ptr_array_ref(objs) : NULL;
}

/* --- what the .cmd files say ------------------------------------------- */

typedef struct {
	const char *out;
	char *prefix;			/* "/src/" */
	GHashTable *changed;		/* relative paths */
	GHashTable *found;		/* objects */
	guint files;
} CmdScan;

/* Directories of O= whose objects the fast stage never asks for. */
static gboolean cmd_skipped(const char *rel)
{
	const char *const skip[] = { "scripts", "tools", "rust", "include",
				     "source", "usr" };

	for (gsize i = 0; i < G_N_ELEMENTS(skip); i++)
		if (!strcmp(rel, skip[i]))
			return TRUE;
	return FALSE;
}

/* Whether the .cmd text names one of the changed files as a whole word. */
static gboolean cmd_names_changed(CmdScan *s, char *text)
{
	gsize plen = strlen(s->prefix);

	for (char *p = text; (p = strstr(p, s->prefix));) {
		char *end;
		char save;
		gboolean hit;

		if (p != text && !g_ascii_isspace(p[-1])) {
			p += plen;
			continue;
		}
		p += plen;
		end = p + strcspn(p, " \t\n\\)");
		save = *end;
		*end = '\0';
		hit = g_hash_table_contains(s->changed, p);
		*end = save;
		if (hit)
			return TRUE;
		p = end;
	}
	return FALSE;
}

/* ".name.o.cmd" in @rel_dir: reads it, and notes "rel_dir/name.o" on a hit. */
static void scan_cmd(CmdScan *s, const char *rel_dir, const char *name)
{
	gsize n = strlen(name);
	g_autofree char *rel = g_build_filename(rel_dir, name, NULL);
	g_autofree char *obj = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;

	if (n < 8 || name[0] != '.' || !g_str_has_suffix(name, ".o.cmd") ||
	    g_str_has_suffix(name, ".mod.o.cmd"))
		return;
	obj = g_strdup_printf("%s/%.*s", rel_dir, (int)(n - 5), name + 1);
	if (!pc_kbuild_path_ok(obj) || s->files++ >= MAX_CMD_FILES)
		return;
	if (!pc_fileio_read_below(s->out, rel, MAX_CMD_BYTES, &text, NULL,
				  &error)) {
		g_debug("%s", error->message);
		return;
	}
	if (cmd_names_changed(s, text))
		g_hash_table_add(s->found, g_steal_pointer(&obj));
}

/*
 * The walk holds a descriptor per level: each directory is opened below
 * its parent with O_NOFOLLOW, so no link leads out of O=.
 */
static void scan_dir(CmdScan *s, int fd, const char *rel, guint depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		g_autofree char *child = NULL;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_REG && *rel) {
			scan_cmd(s, rel, e->d_name);
			continue;
		}
		if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
		    depth >= MAX_DEPTH)
			continue;
		child = *rel ? g_build_filename(rel, e->d_name, NULL)
			     : g_strdup(e->d_name);
		if (!*rel && cmd_skipped(child))
			continue;
		sub = openat(dirfd(d), e->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			scan_dir(s, sub, child, depth + 1);
		else if (e->d_type == DT_UNKNOWN && errno == ENOTDIR && *rel)
			scan_cmd(s, rel, e->d_name);
	}
	closedir(d);
}

char **pc_kbuild_cmd_dependents(const char *out, const char *src_mount,
				const char *const *changed)
{
	g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) found = g_hash_table_new_full(g_str_hash,
							    g_str_equal,
							    g_free, NULL);
	CmdScan s = { .out = out, .changed = set, .found = found };
	int fd;

	for (const char *const *c = changed; c && *c; c++)
		g_hash_table_add(set, (gpointer)*c);
	if (g_hash_table_size(set) == 0)
		return g_new0(char *, 1);
	s.prefix = g_strconcat(src_mount, "/", NULL);
	fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		scan_dir(&s, fd, "", 0);
	g_free(s.prefix);
	return sorted_keys(found);
}

/* --- the fast stage ------------------------------------------------------ */

typedef struct {
	GPtrArray *list;
	GHashTable *seen;
} Targets;

static void add_target(Targets *t, const char *target)
{
	if (g_hash_table_contains(t->seen, target))
		return;
	g_ptr_array_add(t->list, g_strdup(target));
	g_hash_table_add(t->seen, t->list->pdata[t->list->len - 1]);
}

/* Built whole by "rust/" and "samples/rust/". */
static gboolean in_rust_dirs(const char *path)
{
	return g_str_has_prefix(path, "rust/") ||
	       g_str_has_prefix(path, "samples/rust/");
}

/* "dir/name.c" -> "dir/name.o" for a source kbuild compiles. (transfer full) */
static char *object_of(const char *path)
{
	const char *const suffixes[] = { ".c", ".S", ".rs" };

	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++)
		if (g_str_has_suffix(path, suffixes[i]))
			return g_strdup_printf("%.*s.o",
					       (int)(strlen(path) -
						     strlen(suffixes[i])),
					       path);
	return NULL;
}

static gboolean is_kbuild_file(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return g_str_has_prefix(base, "Kconfig") || !strcmp(base, "Makefile") ||
	       !strcmp(base, "Kbuild");
}

static void add_sources(Targets *t, const PcKbuildListing *l,
			const char *const *files)
{
	for (const char *const *f = files; f && *f; f++) {
		g_autofree char *obj = NULL;

		if (in_rust_dirs(*f) || !pc_kbuild_path_ok(*f) ||
		    !(obj = object_of(*f)))
			continue;
		if (pc_kbuild_listing_builds(l, obj))
			add_target(t, obj);
	}
}

/* A changed Kconfig, Makefile or Kbuild: the objects of its directory. */
static void add_kbuild_dirs(Targets *t, const PcKbuildListing *l,
			    const char *const *changed)
{
	for (const char *const *c = changed; c && *c; c++) {
		g_autofree char *dir = NULL;
		g_autoptr(GPtrArray) objs = NULL;

		if (!is_kbuild_file(*c) || !pc_kbuild_path_ok(*c))
			continue;
		dir = dir_of(*c);
		if (!strcmp(dir, ".") || in_rust_dirs(*c) ||
		    !pc_kbuild_listing_visits(l, dir))
			continue;
		objs = pc_kbuild_listing_objects(l, dir);
		for (guint i = 0; objs && i < objs->len; i++)
			add_target(t, objs->pdata[i]);
	}
}

/* Too many objects for one command line: their directories instead. */
static GPtrArray *collapse(GPtrArray *objects)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);

	for (guint i = 0; i < objects->len; i++) {
		char *d = dir_of(objects->pdata[i]);

		if (g_hash_table_contains(seen, d)) {
			g_free(d);
			continue;
		}
		g_hash_table_add(seen, d);
		g_ptr_array_add(dirs, g_strconcat(d, "/", NULL));
	}
	return dirs;
}

char **pc_kbuild_fast_targets(const PcKbuildListing *l,
			      const char *const *rust_files,
			      const char *const *changed,
			      const char *const *dependents)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	Targets t = { g_ptr_array_new_with_free_func(g_free), seen };
	GPtrArray *out = g_ptr_array_new();

	add_sources(&t, l, rust_files);
	add_sources(&t, l, changed);
	for (const char *const *d = dependents; d && *d; d++) {
		g_autofree char *dir = dir_of(*d);

		if (!in_rust_dirs(*d) && pc_kbuild_path_ok(*d) &&
		    (!pc_kbuild_listing_knows(l, dir) ||
		     pc_kbuild_listing_builds(l, *d)))
			add_target(&t, *d);
	}
	add_kbuild_dirs(&t, l, changed);
	if (t.list->len > MAX_FAST_OBJECTS) {
		GPtrArray *dirs = collapse(t.list);

		g_ptr_array_unref(t.list);
		t.list = dirs;
	}
	g_ptr_array_add(out, g_strdup("rust/"));
	if (pc_kbuild_listing_visits(l, "samples/rust"))
		g_ptr_array_add(out, g_strdup("samples/rust/"));
	for (guint i = 0; i < t.list->len; i++)
		g_ptr_array_add(out, g_strdup(t.list->pdata[i]));
	g_ptr_array_unref(t.list);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}
