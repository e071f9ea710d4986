// SPDX-License-Identifier: GPL-2.0-only
/*
 * worktree: the checkout of the tree to build (worktree.h).
 *
 * A file whose blob is the same in the old and the new tree is not
 * written, so its mtime stays and kbuild does not rebuild what depends
 * on it. There are two ways to get there.
 *
 * The quick one: beside the worktree lies a record of the tree it holds
 * (and of the worktree directory, so a worktree made anew is not taken
 * for the old one). The checkout diffs that tree against the new one
 * and writes only the paths that differ, after checking that each file
 * it replaces or removes still holds what the old tree says: a few
 * files read instead of a stat call for each of the kernel's 80,000.
 *
 * The full one, when there is no record, or a path to change is not as
 * recorded, or the diff holds what the quick way does not do
 * (submodules, .gitattributes): libgit2 compares every file against the
 * worktree's own index, also beside it, undoes edits made by hand,
 * removes what the tree does not have (except files its .gitignore
 * names) and writes the index. The quick way leaves the index alone, so
 * a full checkout rewrites once more what quick ones wrote since the
 * last full one (their stat data is not in the index); the content is
 * right either way, as libgit2 looks at the content when the stat data
 * disagrees.
 *
 * Either way the new tree is scanned first (see "the scan"): the quick
 * way scans only the subtrees that differ from the recorded tree, which
 * was scanned when it was checked out; the full way scans it all.
 *
 * The record goes before anything is written and comes back when the
 * worktree is whole again: after a crash in between, the next checkout
 * is a full one. An edit by hand to a file the next diff does not touch
 * is not seen: delete the record (or the worktree) after touching it.
 */
#define G_LOG_DOMAIN "pullcheck-worktree"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/repository.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autocleanup-git.h"
#include "fileio.h"
#include "gitutil.h"
#include "worktree.h"

G_DEFINE_QUARK(pc-worktree-error-quark, pc_worktree_error)

/*
 * Far above the kernel's 90,000 files: a tree of millions of empty
 * files packs small and would fill the file system's inodes.
 */
#define MAX_FILES 2000000
#define MAX_PATH 4095

/* --- errors ------------------------------------------------------------ */

static gboolean fail_errno(GError **error, const char *what, const char *path)
{
	int saved = errno;

	if (saved == ENOSPC)
		g_set_error(error, PC_WORKTREE_ERROR, PC_WORKTREE_ERROR_FAILED,
			    "no space left on %s", path);
	else
		g_set_error(error, PC_WORKTREE_ERROR, PC_WORKTREE_ERROR_FAILED,
			    "cannot %s %s: %s", what, path, g_strerror(saved));
	return FALSE;
}

static G_GNUC_PRINTF(2, 3) gboolean fail_git(GError **error, const char *fmt,
					     ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PC_WORKTREE_ERROR, PC_WORKTREE_ERROR_FAILED,
		    "%s: %s", what, pc_git_message());
	return FALSE;
}

/* --- names git would not check out -------------------------------------- */

static gboolean is_ignorable_in_hfs(const char *p, size_t *len)
{
	gunichar c = g_utf8_get_char_validated(p, -1);

	if (c == (gunichar)-1 || c == (gunichar)-2)
		return FALSE;
	*len = g_utf8_next_char(p) - p;
	return (c >= 0x200c && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x206a && c <= 0x206f) || c == 0xfeff;
}

/*
 * ".git" as one of the file systems git protects against would read
 * @name: in any case; with trailing dots and spaces, the NTFS short
 * name GIT~1 or an NTFS stream (".git::$INDEX_ALLOCATION"); with the
 * code points HFS+ ignores anywhere in it.
 */
static gboolean is_dot_git(const char *name)
{
	GString *folded = g_string_new(NULL);
	const char *p = name, *rest;
	gboolean hit;
	size_t n;

	while (*p) {
		if (is_ignorable_in_hfs(p, &n)) {
			p += n;
			continue;
		}
		g_string_append_c(folded, g_ascii_tolower(*p++));
	}
	hit = g_str_has_prefix(folded->str, ".git") ||
	      g_str_has_prefix(folded->str, "git~1");
	rest = folded->str + (folded->str[0] == '.' ? 4 : 5);
	if (hit) {
		/* ".github", ".gitignore": names of their own. */
		rest += strspn(rest, ". ");
		hit = !*rest || *rest == ':';
	}
	g_string_free(folded, TRUE);
	return hit;
}

const char *pc_worktree_check_name(const char *name)
{
	if (!*name)
		return "an empty name";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "a name that leads out of its directory";
	if (strchr(name, '/'))
		return "a name with a slash in it";
	if (strlen(name) > 255)
		return "a name longer than 255 bytes";
	for (const char *p = name; *p; p++)
		if ((guchar)*p < ' ' || *p == 0x7f)
			return "a control character in a name";
	if (is_dot_git(name))
		return "a name a file system reads as .git";
	return NULL;
}

/* --- the scan ----------------------------------------------------------- */

/*
 * What the tree to check out weighs, and whether it can be written at
 * all; nothing touches the disk. Entries are compared with the tree the
 * worktree holds, as in gitutil.c's diff: a subtree with the same id is
 * the same, already scanned and counted.
 */
typedef struct {
	git_repository *repo;
	git_odb *odb;
	const PcWorktreeOptions *opts;
	gint64 bytes;		/* every blob of the new tree */
	gint64 files;
	GError **error;
} Scan;

static gboolean refuse(Scan *s, PcWorktreeError code, const char *prefix,
		       const char *name, const char *why)
{
	g_autofree char *path = g_strconcat(prefix, name, NULL);
	g_autofree char *shown = g_strescape(path, NULL);

	g_set_error(s->error, PC_WORKTREE_ERROR, code,
		    "the tree holds \"%s\": %s", shown, why);
	return FALSE;
}

static gboolean blob_size(Scan *s, const git_oid *id, gint64 *size)
{
	git_object_t type;
	size_t len;

	if (git_odb_read_header(&len, &type, s->odb, id) < 0)
		return fail_git(s->error, "cannot read blob %s",
				git_oid_tostr_s(id));
	*size = (gint64)MIN(len, (size_t)G_MAXINT64);
	return TRUE;
}

/* A tree's own entries: safe names, each once. */
static gboolean check_entries(Scan *s, const git_tree *tree,
			      const char *prefix)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	size_t n = git_tree_entrycount(tree);

	if (strlen(prefix) > MAX_PATH)
		return refuse(s, PC_WORKTREE_ERROR_UNSAFE, prefix, "",
			      "a path longer than 4095 bytes");
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		const char *why = pc_worktree_check_name(name);

		if (!why && !g_hash_table_add(seen, (gpointer)name))
			why = "the same name twice in one directory";
		/* The merge with the old tree relies on git's order. */
		if (!why && i &&
		    git_tree_entry_cmp(git_tree_entry_byindex(tree, i - 1),
				       e) >= 0)
			why = "entries out of git's order";
		if (why)
			return refuse(s, PC_WORKTREE_ERROR_UNSAFE, prefix, name,
				      why);
	}
	return TRUE;
}

static gboolean scan_tree(Scan *s, const git_tree *old, const git_tree *new,
			  const char *prefix);

static gboolean scan_subtree(Scan *s, const git_tree_entry *old,
			     const git_tree_entry *new, const char *prefix)
{
	g_autoptr(git_tree) a = NULL, b = NULL;
	g_autofree char *under = g_strconcat(
		prefix, git_tree_entry_name(new ? new : old), "/", NULL);

	if (old && git_tree_lookup(&a, s->repo, git_tree_entry_id(old)) < 0)
		return fail_git(s->error, "cannot read tree %s", under);
	if (new && git_tree_lookup(&b, s->repo, git_tree_entry_id(new)) < 0)
		return fail_git(s->error, "cannot read tree %s", under);
	return scan_tree(s, a, b, under);
}

/* Counts @e in (@sign 1) or out (-1), with what is under it. */
static gboolean count_entry(Scan *s, const git_tree_entry *e, int sign,
			    const char *prefix)
{
	gint64 size = 0;	/* set by blob_size(); gcc -O2 cannot tell */

	switch (git_tree_entry_type(e)) {
	case GIT_OBJECT_TREE:
		return sign > 0 ? scan_subtree(s, NULL, e, prefix)
				: scan_subtree(s, e, NULL, prefix);
	case GIT_OBJECT_BLOB:
		break;
	default:
		return TRUE;	/* a submodule: nothing is written */
	}
	if (!blob_size(s, git_tree_entry_id(e), &size))
		return FALSE;
	if (sign > 0 && s->opts->max_file_bytes &&
	    (guint64)size > s->opts->max_file_bytes) {
		g_autofree char *why = g_strdup_printf(
			"%" G_GINT64_FORMAT " bytes, over the limit of %"
			G_GUINT64_FORMAT " for one file ([fetch] "
			"max_file_bytes)", size, s->opts->max_file_bytes);

		return refuse(s, PC_WORKTREE_ERROR_TOO_LARGE, prefix,
			      git_tree_entry_name(e), why);
	}
	s->bytes += sign * size;
	s->files += sign;
	return TRUE;
}

/*
 * Both trees in git's order, merged as gitutil.c merges them; @old or
 * @new may be NULL (a subtree added or removed whole). Only @new's
 * entries are checked: @old was, when it was checked out.
 */
static gboolean scan_tree(Scan *s, const git_tree *old, const git_tree *new,
			  const char *prefix)
{
	size_t i = 0, j = 0, na = old ? git_tree_entrycount(old) : 0;
	size_t nb = new ? git_tree_entrycount(new) : 0;

	if (new && !check_entries(s, new, prefix))
		return FALSE;
	while (i < na || j < nb) {
		const git_tree_entry *ea = i < na ?
			git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *eb = j < nb ?
			git_tree_entry_byindex(new, j) : NULL;
		int cmp = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb);
		gboolean ok = TRUE;

		if (cmp == 0 && git_oid_equal(git_tree_entry_id(ea),
					      git_tree_entry_id(eb)) &&
		    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
			;	/* the same: scanned and counted before */
		else if (cmp == 0 && git_tree_entry_type(ea) == GIT_OBJECT_TREE &&
			 git_tree_entry_type(eb) == GIT_OBJECT_TREE)
			ok = scan_subtree(s, ea, eb, prefix);
		else
			ok = (cmp > 0 || count_entry(s, ea, -1, prefix)) &&
			     (cmp < 0 || count_entry(s, eb, 1, prefix));
		i += cmp <= 0;
		j += cmp >= 0;
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean scan_from(Scan *s, const git_tree *old, const git_tree *new)
{
	g_autoptr(git_odb) odb = NULL;

	if (git_repository_odb(&odb, s->repo) < 0)
		return fail_git(s->error, "cannot open the object store");
	s->odb = odb;
	return scan_tree(s, old, new, "");
}

gboolean pc_worktree_check_tree(git_repository *repo,
				const PcWorktreeOptions *opts,
				const git_tree *known, const git_tree *tree,
				GError **error)
{
	Scan s = { .repo = repo, .opts = opts, .error = error };

	return scan_from(&s, known, tree);
}

/*
 * Scans @new against @old (NULL: all of it) and sets *@bytes and *@files
 * to what @new holds, given what @old held.
 */
static gboolean scan(git_repository *repo, const PcWorktreeOptions *opts,
		     const git_tree *old, const git_tree *new, gint64 *bytes,
		     gint64 *files, GError **error)
{
	Scan s = { .repo = repo, .opts = opts, .error = error };

	s.bytes = old ? *bytes : 0;
	s.files = old ? *files : 0;
	if (!scan_from(&s, old, new))
		return FALSE;
	if (s.files > MAX_FILES)
		return refuse(&s, PC_WORKTREE_ERROR_TOO_LARGE, "", "/",
			      "more than 2,000,000 files");
	if (opts->max_tree_bytes && (guint64)s.bytes > opts->max_tree_bytes) {
		g_autofree char *why = g_strdup_printf(
			"%" G_GINT64_FORMAT " bytes in all, over the limit of %"
			G_GUINT64_FORMAT " ([fetch] max_tree_bytes)", s.bytes,
			opts->max_tree_bytes);

		return refuse(&s, PC_WORKTREE_ERROR_TOO_LARGE, "", "/", why);
	}
	*bytes = s.bytes;
	*files = s.files;
	return TRUE;
}

/* --- the worktree and its record ------------------------------------- */

typedef struct {
	const PcWorktreeOptions *opts;
	const char *dir;
	int dirfd;		/* @dir, opened once: every write is below it */
	char *record_path;
	git_repository *repo;	/* the store's objects, @dir as workdir */
	git_tree *tree;		/* the tree to check out */
	gint64 bytes, files;	/* what it holds */
	GPtrArray *rust;	/* char*: its .rs files, sorted */
	char *why;		/* why the quick way stopped */
} Worktree;

static void worktree_clear(Worktree *w)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	g_free(w->record_path);
	g_free(w->why);
	g_clear_pointer(&w->rust, g_ptr_array_unref);
	git_tree_free(w->tree);
	git_repository_free(w->repo);
	memset(w, 0, sizeof(*w));
	w->dirfd = -1;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Worktree, worktree_clear)

static gboolean worktree_open(Worktree *w, const PcWorktreeOptions *opts,
			      const git_oid *id, GError **error)
{
	g_autoptr(git_commit) commit = NULL;

	w->opts = opts;
	w->dir = opts->dir;
	w->record_path = g_strconcat(w->dir, ".tree", NULL);
	w->rust = g_ptr_array_new_with_free_func(g_free);
	if (g_mkdir_with_parents(w->dir, 0755) < 0)
		return fail_errno(error, "create", w->dir);
	w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return fail_errno(error, "open", w->dir);
	/* A handle of its own: the shared one stays bare. */
	if (git_repository_open_bare(&w->repo, opts->store) < 0 ||
	    git_repository_set_workdir(w->repo, w->dir, 0) < 0 ||
	    git_commit_lookup(&commit, w->repo, id) < 0 ||
	    git_commit_tree(&w->tree, commit) < 0)
		return fail_git(error, "cannot prepare the checkout in %s",
				w->dir);
	return TRUE;
}

static gboolean is_rust(const char *path)
{
	return g_str_has_suffix(path, ".rs");
}

/*
 * Which directory the worktree is: device, inode and, where the file
 * system keeps it, the time it was made. An inode number alone comes
 * back when a directory is removed and made anew.
 */
static char *dir_identity(const char *dir)
{
	struct statx stx;

	if (statx(AT_FDCWD, dir, 0, STATX_INO | STATX_BTIME, &stx) < 0)
		return NULL;
	if (!(stx.stx_mask & STATX_BTIME))
		stx.stx_btime.tv_sec = stx.stx_btime.tv_nsec = 0;
	return g_strdup_printf("%u:%u %llu %lld.%09u", stx.stx_dev_major,
			       stx.stx_dev_minor,
			       (unsigned long long)stx.stx_ino,
			       (long long)stx.stx_btime.tv_sec,
			       stx.stx_btime.tv_nsec);
}

/*
 * The record: "tree HEX", "dir IDENTITY", "size BYTES FILES", then
 * "rust PATH" for each .rs file of the tree, PATH as g_strescape()
 * writes it. A record without the size (written before the scan
 * existed) is no record: its tree was never scanned.
 */
static gboolean record_parse(Worktree *w, const char *text, git_oid *tree,
			     gint64 *bytes, gint64 *files)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *identity = dir_identity(w->dir);
	char hex[GIT_OID_HEXSZ + 1];

	if (g_strv_length(lines) < 3 ||
	    sscanf(lines[0], "tree %40s", hex) != 1 ||
	    git_oid_fromstr(tree, hex) < 0 ||
	    !g_str_has_prefix(lines[1], "dir ") || !identity ||
	    strcmp(lines[1] + 4, identity) ||
	    sscanf(lines[2], "size %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
		   bytes, files) != 2)
		return FALSE;
	for (char **l = lines + 3; *l; l++)
		if (g_str_has_prefix(*l, "rust "))
			g_ptr_array_add(w->rust, g_strcompress(*l + 5));
	return TRUE;
}

/* The tree the record says the worktree holds, if it is still that one. */
static gboolean record_read(Worktree *w, git_oid *tree, gint64 *bytes,
			    gint64 *files)
{
	g_autofree char *text = NULL;

	return g_file_get_contents(w->record_path, &text, NULL, NULL) &&
	       record_parse(w, text, tree, bytes, files);
}

static gboolean record_forget(const Worktree *w, GError **error)
{
	if (unlink(w->record_path) < 0 && errno != ENOENT)
		return fail_errno(error, "remove", w->record_path);
	return TRUE;
}

static gboolean record_write(const Worktree *w, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *identity = dir_identity(w->dir);
	char hex[GIT_OID_HEXSZ + 1];

	if (!identity)
		return fail_errno(error, "stat", w->dir);
	git_oid_tostr(hex, sizeof(hex), git_tree_id(w->tree));
	g_string_append_printf(text, "tree %s\ndir %s\nsize %" G_GINT64_FORMAT
			       " %" G_GINT64_FORMAT "\n", hex, identity,
			       w->bytes, w->files);
	for (guint i = 0; i < w->rust->len; i++) {
		g_autofree char *path = g_strescape(w->rust->pdata[i], NULL);

		g_string_append_printf(text, "rust %s\n", path);
	}
	return g_file_set_contents(w->record_path, text->str, text->len,
				   error);
}

/* --- paths below the worktree, never through a link --------------------- */

/*
 * The directory holding @rel (a path the scan accepted), opened from the
 * worktree one component at a time with O_NOFOLLOW, so a symbolic link
 * anywhere on the way is an error (ELOOP, ENOTDIR), never followed.
 * With @create, missing directories are made. *@base points into @rel
 * at the last component. -1 with errno on failure.
 */
static int open_parent(const Worktree *w, const char *rel, gboolean create,
		       const char **base)
{
	const char *slash = strrchr(rel, '/');
	g_autofree char *dir = slash ? g_strndup(rel, slash - rel) : NULL;
	g_auto(GStrv) parts = dir ? g_strsplit(dir, "/", -1) : NULL;
	int fd = fcntl(w->dirfd, F_DUPFD_CLOEXEC, 0);

	*base = slash ? slash + 1 : rel;
	for (char **p = parts; p && *p && fd >= 0; p++) {
		int next;

		if (create && mkdirat(fd, *p, 0755) < 0 && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, *p, O_RDONLY | O_DIRECTORY |
					      O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* What the quick update cannot do the way libgit2's checkout would. */
static gboolean needs_full_checkout(const git_diff_delta *d)
{
	const char *base = strrchr(d->new_file.path, '/');

	base = base ? base + 1 : d->new_file.path;
	return d->old_file.mode == GIT_FILEMODE_COMMIT ||
	       d->new_file.mode == GIT_FILEMODE_COMMIT ||
	       !strcmp(base, ".gitattributes");
}

static gboolean mode_matches(mode_t st_mode, uint32_t mode)
{
	if (mode == GIT_FILEMODE_LINK)
		return S_ISLNK(st_mode);
	return S_ISREG(st_mode) &&
	       !!(st_mode & S_IXUSR) == (mode == GIT_FILEMODE_BLOB_EXECUTABLE);
}

/* The blob id of what a symbolic link points to. */
static gboolean hash_link(git_oid *id, int dirfd, const char *name,
			  off_t size)
{
	g_autofree char *target = g_malloc(size + 1);
	ssize_t n = readlinkat(dirfd, name, target, size + 1);

	return n == size &&
	       git_odb_hash(id, target, n, GIT_OBJECT_BLOB) == 0;
}

/*
 * The blob id of a regular file, through the tree's filters as checkout
 * wrote it. libgit2 hashes by path: the file opened here with O_NOFOLLOW
 * is named to it through /proc/self/fd.
 */
static gboolean hash_file(const Worktree *w, git_oid *id, int dirfd,
			  const char *name, const char *as_path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	g_autofree char *path = NULL;
	int rc;

	if (fd < 0)
		return FALSE;
	path = g_strdup_printf("/proc/self/fd/%d", fd);
	rc = git_repository_hashfile(id, w->repo, path, GIT_OBJECT_BLOB,
				     as_path);
	close(fd);
	return rc == 0;
}

/* The file on disk holds what the old tree says: type, mode, content. */
static gboolean is_clean(const Worktree *w, const git_diff_file *f)
{
	const char *base;
	int dirfd = open_parent(w, f->path, FALSE, &base);
	struct stat st;
	gboolean ok = FALSE;
	git_oid id;

	if (dirfd < 0)
		return FALSE;
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    mode_matches(st.st_mode, f->mode))
		ok = S_ISLNK(st.st_mode)
			     ? hash_link(&id, dirfd, base, st.st_size)
			     : hash_file(w, &id, dirfd, base, f->path);
	close(dirfd);
	return ok && git_oid_equal(&id, &f->id);
}

/* Directories left empty by a deletion go, as git's checkout does. */
static void prune_parents(const Worktree *w, const char *rel)
{
	g_autofree char *dir = g_path_get_dirname(rel);

	while (strcmp(dir, ".")) {
		const char *base;
		int fd = open_parent(w, dir, FALSE, &base);
		int rc = fd < 0 ? -1 : unlinkat(fd, base, AT_REMOVEDIR);
		char *up;

		if (fd >= 0)
			close(fd);
		if (rc < 0)
			return;
		up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
}

static gboolean remove_old(Worktree *w, const git_diff_delta *d)
{
	const char *base;
	int fd = open_parent(w, d->old_file.path, FALSE, &base);
	int rc = fd < 0 ? -1 : unlinkat(fd, base, 0);

	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return FALSE;
	if (d->status == GIT_DELTA_DELETED)
		prune_parents(w, d->old_file.path);
	return TRUE;
}

/*
 * The blob's content as checkout writes it: through the tree's filters.
 * The scan has bounded its size, so holding it whole is bounded too.
 */
static gboolean write_content(git_blob *blob, const git_diff_file *f,
			      int dirfd, const char *base)
{
	git_blob_filter_options fo = GIT_BLOB_FILTER_OPTIONS_INIT;
	g_auto(git_buf) buf = { 0 };
	int fd;
	gboolean ok;

	if (f->mode == GIT_FILEMODE_LINK) {
		g_autofree char *target = g_strndup(git_blob_rawcontent(blob),
						    git_blob_rawsize(blob));

		return symlinkat(target, dirfd, base) == 0;
	}
	/*
	 * By default git_blob_filter() gives nothing at all for a binary
	 * blob; checkout writes it whole (the filters themselves leave
	 * binary content alone).
	 */
	fo.flags &= ~GIT_BLOB_FILTER_CHECK_FOR_BINARY;
	if (git_blob_filter(&buf, blob, f->path, &fo) < 0)
		return FALSE;
	fd = openat(dirfd, base,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    f->mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
	if (fd < 0)
		return FALSE;
	ok = pc_fileio_write_all(fd, buf.ptr, buf.size);
	return close(fd) == 0 && ok;
}

static gboolean write_blob(Worktree *w, const git_diff_file *f, int dirfd,
			   const char *base)
{
	git_blob *blob;
	gboolean ok;

	if (git_blob_lookup(&blob, w->repo, &f->id) < 0)
		return FALSE;
	ok = write_content(blob, f, dirfd, base);
	git_blob_free(blob);
	return ok;
}

/* Only the mode changed: the content and its mtime stay. */
static gboolean change_mode(int dirfd, const char *base, uint32_t mode)
{
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fchmod(fd, mode & 0777);

	if (fd >= 0)
		close(fd);
	return rc == 0;
}

/* A file written anew gets a new mtime: kbuild rebuilds what uses it. */
static gboolean write_new(Worktree *w, const git_diff_delta *d)
{
	const git_diff_file *f = &d->new_file;
	gboolean mode_only = d->status == GIT_DELTA_MODIFIED &&
			     git_oid_equal(&d->old_file.id, &f->id) &&
			     d->old_file.mode != GIT_FILEMODE_LINK &&
			     f->mode != GIT_FILEMODE_LINK;
	const char *base;
	int dirfd = open_parent(w, f->path, !mode_only, &base);
	gboolean ok = FALSE;
	struct stat st;

	if (dirfd < 0)
		return FALSE;
	if (mode_only)
		ok = change_mode(dirfd, base, f->mode);
	else if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 (S_ISDIR(st.st_mode) || unlinkat(dirfd, base, 0) < 0))
		ok = FALSE;	/* a directory in the way: left to libgit2 */
	else
		ok = write_blob(w, f, dirfd, base);
	close(dirfd);
	return ok;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The record's list of .rs files, brought from the old tree to the new. */
static void update_rust(Worktree *w, git_diff *diff)
{
	g_autoptr(GHashTable) gone = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);

	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		if (d->status == GIT_DELTA_DELETED && is_rust(d->old_file.path))
			g_hash_table_add(gone, (gpointer)d->old_file.path);
		else if (d->status == GIT_DELTA_ADDED &&
			 is_rust(d->new_file.path))
			g_ptr_array_add(kept, g_strdup(d->new_file.path));
	}
	for (guint i = 0; i < w->rust->len; i++)
		if (!g_hash_table_contains(gone, w->rust->pdata[i]))
			g_ptr_array_add(kept, g_strdup(w->rust->pdata[i]));
	g_ptr_array_sort(kept, compare_paths);
	g_ptr_array_set_size(w->rust, 0);
	g_ptr_array_extend_and_steal(w->rust, g_steal_pointer(&kept));
}

/* Why the quick way stopped; FALSE, for the full checkout to take over. */
static gboolean stop(Worktree *w, const char *path, const char *what)
{
	w->why = g_strdup_printf("%s %s", path, what);
	return FALSE;
}

static gboolean stop_errno(Worktree *w, const char *path)
{
	return stop(w, path, git_error_last() ? pc_git_message()
					      : g_strerror(errno));
}

/*
 * Updates the worktree from @old to the tree to check out by writing only
 * the paths that differ. FALSE when the full checkout must finish the
 * job (which it can from wherever this stopped).
 */
static gboolean update_from(Worktree *w, git_tree *old)
{
	g_autoptr(git_diff) diff = NULL;
	size_t n;

	if (pc_git_diff_trees(&diff, w->repo, old, w->tree,
			      GIT_DIFF_INCLUDE_TYPECHANGE) < 0)
		return stop_errno(w, "the diff:");
	n = git_diff_num_deltas(diff);
	/* Nothing is touched unless every path to change is as recorded. */
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		if (needs_full_checkout(d))
			return stop(w, d->new_file.path, "is a submodule or "
				    ".gitattributes");
		if (d->status != GIT_DELTA_ADDED && !is_clean(w, &d->old_file))
			return stop(w, d->old_file.path, "is not as the "
				    "recorded tree has it");
	}
	/* Removals first: a file may replace a directory it sorts before. */
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		git_error_clear();
		if ((d->status == GIT_DELTA_DELETED ||
		     d->status == GIT_DELTA_TYPECHANGE) && !remove_old(w, d))
			return stop_errno(w, d->old_file.path);
	}
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		git_error_clear();
		if (d->status != GIT_DELTA_DELETED && !write_new(w, d))
			return stop_errno(w, d->new_file.path);
	}
	update_rust(w, diff);
	g_debug("%s: %zu paths updated from the recorded tree", w->dir, n);
	return TRUE;
}

/*
 * The quick way, if there is a record: the scan first, against the
 * recorded tree. *@done FALSE: the full checkout is due (and has not
 * scanned yet: *@scanned says whether this did).
 */
static gboolean try_quick(Worktree *w, gboolean *done, gboolean *scanned,
			  GError **error)
{
	g_autoptr(git_tree) old = NULL;
	git_oid old_id;

	*done = *scanned = FALSE;
	if (!record_read(w, &old_id, &w->bytes, &w->files) ||
	    git_tree_lookup(&old, w->repo, &old_id) < 0) {
		g_ptr_array_set_size(w->rust, 0);
		return record_forget(w, error);
	}
	if (git_oid_equal(&old_id, git_tree_id(w->tree))) {
		*done = TRUE;	/* already there; the record stays */
		return TRUE;
	}
	if (!scan(w->repo, w->opts, old, w->tree, &w->bytes, &w->files,
		  error))
		return FALSE;
	*scanned = TRUE;
	if (!record_forget(w, error))
		return FALSE;
	*done = update_from(w, old);
	if (!*done)
		g_debug("%s: the full checkout takes over: %s", w->dir, w->why);
	return TRUE;
}

/* The tree's .rs files, from the index of a full checkout. */
static void list_rust(Worktree *w, git_index *index)
{
	size_t n = git_index_entrycount(index);

	g_ptr_array_set_size(w->rust, 0);
	for (size_t i = 0; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);

		if (is_rust(e->path) && !GIT_INDEX_ENTRY_STAGE(e))
			g_ptr_array_add(w->rust, g_strdup(e->path));
	}
	g_ptr_array_sort(w->rust, compare_paths);
}

static int checkout_with(Worktree *w, git_index *index)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;

	co.checkout_strategy = GIT_CHECKOUT_FORCE |
			       GIT_CHECKOUT_REMOVE_UNTRACKED;
	co.baseline_index = index;
	return git_checkout_tree(w->repo, (git_object *)w->tree, &co);
}

static gboolean full_checkout(Worktree *w, GError **error)
{
	g_autofree char *index_path = g_strconcat(w->dir, ".index", NULL);
	g_autoptr(git_index) index = NULL;

	if (git_index_open(&index, index_path) < 0 ||
	    git_repository_set_index(w->repo, index) < 0)
		return fail_git(error, "cannot read %s", index_path);
	/*
	 * An index that no longer describes the worktree (emptied by hand,
	 * say) can make libgit2 1.5 fail on a path that changed from a file
	 * to a directory; then every file is written afresh.
	 */
	if (checkout_with(w, index) < 0) {
		g_debug("%s: checkout against the index failed (%s); "
			"writing every file", w->dir, pc_git_message());
		if (git_index_clear(index) < 0 || checkout_with(w, index) < 0)
			return fail_git(error, "cannot check out the tree in "
					"%s", w->dir);
	}
	if (git_index_write(index) < 0)
		return fail_git(error, "cannot write %s", index_path);
	list_rust(w, index);
	return TRUE;
}

gboolean pc_worktree_checkout(const PcWorktreeOptions *opts,
			      const git_oid *commit, GPtrArray *rust_files,
			      GError **error)
{
	g_auto(Worktree) w = { .dirfd = -1 };
	gboolean done, scanned;

	if (!worktree_open(&w, opts, commit, error) ||
	    !try_quick(&w, &done, &scanned, error))
		return FALSE;
	if (!done && !scanned &&
	    !scan(w.repo, opts, NULL, w.tree, &w.bytes, &w.files, error))
		return FALSE;
	if (!done && !full_checkout(&w, error))
		return FALSE;
	if (!record_write(&w, error))
		return FALSE;
	for (guint i = 0; i < w.rust->len; i++)
		g_ptr_array_add(rust_files, g_strdup(w.rust->pdata[i]));
	return TRUE;
}
