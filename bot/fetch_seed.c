// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch_seed: mainline's objects from what the operator already has, so
 * that the first mainline fetch does not download 5 GB twice (fetch.h).
 *
 * A local clone's packs and loose objects are copied into the store, or
 * hard-linked when the store is on the same file system: what `git
 * clone --local` does. Not a libgit2 fetch from the path: its local
 * transport builds a new pack with git_packbuilder, which searches for
 * deltas afresh: the one-commit 6.12 tree (91,526 objects) had not
 * arrived after 900 s and 690 MB here, where the copy took 2 s. Not alternates either: the store would then break the day
 * the clone is repacked, pruned or removed, and the daemon's unit cannot
 * read a home directory anyway. Git never changes a pack or an object
 * file once written, so a hard link is as good as a copy.
 *
 * A bundle (kernel.org publishes clone bundles) is a list of refs and a
 * pack; libgit2 cannot fetch from one, but its indexer takes the pack as
 * a stream, so no git subprocess is needed and progress is told as for
 * a fetch.
 *
 * Either way the seed's refs go under refs/pullcheck/seed/ until the
 * mainline fetch that follows, which they make incremental, is done.
 */
#define G_LOG_DOMAIN "pullcheck-fetch"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autocleanup-git.h"
#include "fetch.h"
#include "fetch_run.h"
#include "gitutil.h"

#define SEED_NS PC_FETCH_SEED_NS
#define MAX_BUNDLE_LINE 4096
#define MAX_BUNDLE_REFS 1000000
#define CHUNK (1 << 20)

typedef struct {
	const PcFetchOptions *opts;
	git_repository *store;
	PcFetchProgress progress;
	gint64 start, told;
	guint refs;
} Seed;

static void tell(Seed *s, PcFetchPhase phase, gboolean now)
{
	gint64 t = g_get_monotonic_time();

	if (!s->opts->on_progress ||
	    (!now && phase == s->progress.phase &&
	     t - s->told < G_USEC_PER_SEC / 2))
		return;
	s->progress.phase = phase;
	s->progress.elapsed_s = (t - s->start) / (double)G_USEC_PER_SEC;
	s->told = t;
	s->opts->on_progress(&s->progress, s->opts->progress_data);
}

static gboolean seed_fail(GError **error, const char *fmt, ...)
	G_GNUC_PRINTF(2, 3);

static gboolean seed_fail(GError **error, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, PC_FETCH_ERROR, PC_FETCH_ERROR_INVALID,
			    text);
	return FALSE;
}

/* refs/x/y of the seed is refs/pullcheck/seed/x/y in the store. */
static void add_ref(Seed *s, const char *name, const git_oid *id)
{
	g_autoptr(git_odb) odb = NULL;
	g_autoptr(git_reference) ref = NULL;
	g_autofree char *local = NULL;
	int valid = 0;

	if (!g_str_has_prefix(name, "refs/") ||
	    g_str_has_prefix(name, PC_FETCH_JOB_NS) ||
	    git_repository_odb(&odb, s->store) < 0 || !git_odb_exists(odb, id))
		return;
	local = g_strconcat(SEED_NS, name + strlen("refs/"), NULL);
	if (git_reference_name_is_valid(&valid, local) < 0 || !valid)
		return;
	if (git_reference_create(&ref, s->store, local, id, 1,
				 "pullcheck: seed") == 0)
		s->refs++;
}

/* --- a local clone ----------------------------------------------------- */

/* @from to @to: a hard link, else a copy; through a temporary name. */
static gboolean put_file(Seed *s, const char *from, const char *to,
			 GError **error)
{
	g_autofree char *tmp = g_strconcat(to, ".seed-tmp", NULL);
	g_autoptr(GFile) src = g_file_new_for_path(from);
	g_autoptr(GFile) dst = g_file_new_for_path(tmp);
	struct stat st;

	if (g_file_test(to, G_FILE_TEST_EXISTS))
		return TRUE;
	if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
		return seed_fail(error, "%s is not a regular file", from);
	unlink(tmp);
	if (link(from, tmp) < 0 &&
	    !g_file_copy(src, dst, G_FILE_COPY_NOFOLLOW_SYMLINKS, NULL, NULL,
			 NULL, error)) {
		g_prefix_error(error, "cannot copy %s: ", from);
		return FALSE;
	}
	if (rename(tmp, to) < 0) {
		unlink(tmp);
		return seed_fail(error, "cannot write %s: %s", to,
				 g_strerror(errno));
	}
	s->progress.bytes += st.st_size;
	s->progress.objects++;
	tell(s, PC_FETCH_PHASE_RECEIVE, FALSE);
	return TRUE;
}

static gboolean is_hex(const char *s, gsize n)
{
	gsize i;

	for (i = 0; i < n && g_ascii_isxdigit(s[i]) && !g_ascii_isupper(s[i]);
	     i++)
		;
	return i == n;
}

/* pack-<40 hex>.pack with its .idx: the .idx last, so a pack is whole. */
static gboolean copy_packs(Seed *s, const char *from, const char *to,
			   GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(from, 0, error);
	const char *name;

	if (!dir)
		return FALSE;
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *stem = NULL;
		const char *exts[] = { ".pack", ".idx" };

		if (strlen(name) != 5 + GIT_OID_HEXSZ + 4 ||
		    !g_str_has_prefix(name, "pack-") ||
		    !g_str_has_suffix(name, ".idx") ||
		    !is_hex(name + 5, GIT_OID_HEXSZ))
			continue;
		stem = g_strndup(name, strlen(name) - 4);
		for (guint i = 0; i < G_N_ELEMENTS(exts); i++) {
			g_autofree char *base = g_strconcat(stem, exts[i], NULL);
			g_autofree char *a = g_build_filename(from, base, NULL);
			g_autofree char *b = g_build_filename(to, base, NULL);

			if (!put_file(s, a, b, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* objects/xx/<38 hex>, each into the same place in the store. */
static gboolean copy_loose(Seed *s, const char *from, const char *to,
			   GError **error)
{
	for (guint i = 0; i < 256; i++) {
		char sub[3];
		g_autofree char *a = NULL, *b = NULL;
		g_autoptr(GDir) dir = NULL;
		const char *name;

		g_snprintf(sub, sizeof(sub), "%02x", i);
		a = g_build_filename(from, sub, NULL);
		if (!(dir = g_dir_open(a, 0, NULL)))
			continue;
		b = g_build_filename(to, sub, NULL);
		if (g_mkdir_with_parents(b, 0755) < 0)
			return seed_fail(error, "cannot create %s: %s", b,
					 g_strerror(errno));
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *x = NULL, *y = NULL;

			if (strlen(name) != GIT_OID_HEXSZ - 2 ||
			    !is_hex(name, GIT_OID_HEXSZ - 2))
				continue;
			x = g_build_filename(a, name, NULL);
			y = g_build_filename(b, name, NULL);
			if (!put_file(s, x, y, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* What a clone must not be for its objects to stand on their own. */
static gboolean check_clone(git_repository *src, const char *path,
			    const char *objects, GError **error)
{
	g_autofree char *alt = g_build_filename(objects, "info", "alternates",
						NULL);
	struct stat st;

	if (git_repository_is_shallow(src) == 1)
		return seed_fail(error, "%s is a shallow clone: it lacks the "
				 "history mainline needs", path);
	if (stat(alt, &st) == 0 && st.st_size > 0)
		return seed_fail(error, "%s borrows objects from another "
				 "repository (%s): seed from that one",
				 path, alt);
	return TRUE;
}

static gboolean seed_refs_of(Seed *s, git_repository *src, GError **error)
{
	g_autoptr(git_reference_iterator) it = NULL;
	git_reference *ref;
	int rc;

	if (git_reference_iterator_new(&it, src) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_INVALID,
					 "cannot list the clone's refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT)
			add_ref(s, git_reference_name(ref),
				git_reference_target(ref));
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_INVALID,
					 "cannot list the clone's refs");
	return TRUE;
}

static gboolean seed_clone(Seed *s, const char *path, GError **error)
{
	g_autoptr(git_repository) src = NULL;
	g_autofree char *from = NULL, *to = NULL;
	g_autofree char *from_pack = NULL, *to_pack = NULL;

	if (git_repository_open_ext(&src, path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_INVALID,
					 "%s is not a git repository", path);
	from = g_build_filename(git_repository_commondir(src), "objects",
				NULL);
	to = g_build_filename(git_repository_path(s->store), "objects", NULL);
	if (!check_clone(src, path, from, error))
		return FALSE;
	from_pack = g_build_filename(from, "pack", NULL);
	to_pack = g_build_filename(to, "pack", NULL);
	if (g_mkdir_with_parents(to_pack, 0755) < 0)
		return seed_fail(error, "cannot create %s: %s", to_pack,
				 g_strerror(errno));
	if (!copy_packs(s, from_pack, to_pack, error) ||
	    !copy_loose(s, from, to, error))
		return FALSE;
	tell(s, PC_FETCH_PHASE_INDEX, TRUE);
	return seed_refs_of(s, src, error);
}

/* --- a clone git made for the first mainline fetch (fetch_git.c) -------- */

gboolean pc_fetch_take_clone(const PcFetchOptions *opts,
			     git_repository *store, const char *clone,
			     GError **error)
{
	PcFetchOptions quiet = *opts;
	Seed s = { .opts = &quiet, .store = store };
	g_autoptr(git_repository) src = NULL;
	g_autoptr(git_reference_iterator) it = NULL;
	g_autofree char *from = g_build_filename(clone, "objects", NULL);
	g_autofree char *to = g_build_filename(git_repository_path(store),
					       "objects", NULL);
	g_autofree char *from_pack = g_build_filename(from, "pack", NULL);
	g_autofree char *to_pack = g_build_filename(to, "pack", NULL);
	git_reference *ref;
	int rc;

	quiet.on_progress = NULL;
	if (g_mkdir_with_parents(to_pack, 0755) < 0)
		return seed_fail(error, "cannot create %s: %s", to_pack,
				 g_strerror(errno));
	if (!copy_packs(&s, from_pack, to_pack, error) ||
	    !copy_loose(&s, from, to, error))
		return FALSE;
	if (git_repository_open_bare(&src, clone) < 0 ||
	    git_reference_iterator_new(&it, src) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot read the clone %s", clone);
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);
		g_autofree char *local = g_strconcat(
			PC_FETCH_FETCHED_NS, name + strlen("refs/"), NULL);
		g_autoptr(git_reference) made = NULL;

		if (id && (g_str_has_prefix(name, "refs/heads/") ||
			   g_str_has_prefix(name, "refs/tags/")))
			rc = git_reference_create(&made, store, local, id, 1,
						  "pullcheck: clone");
		git_reference_free(ref);
		if (rc < 0)
			return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
						 "cannot write %s", local);
	}
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot list the refs of %s", clone);
	return TRUE;
}

/* --- a bundle ---------------------------------------------------------- */

typedef struct {
	GPtrArray *names;	/* char* */
	GArray *ids;		/* git_oid */
} BundleRefs;

/* One header line without its newline; NULL at the end or when too long. */
static char *read_line(FILE *f)
{
	char buf[MAX_BUNDLE_LINE + 2];
	gsize n;

	if (!fgets(buf, sizeof(buf), f))
		return NULL;
	n = strlen(buf);
	if (n == 0 || buf[n - 1] != '\n')
		return NULL;
	return g_strndup(buf, n - 1);
}

static gboolean header_line(Seed *s, const char *line, BundleRefs *refs,
			    const char *path, GError **error)
{
	g_autoptr(git_odb) odb = NULL;
	git_oid id;

	if (line[0] == '@')
		return !strcmp(line, "@object-format=sha1") ||
		       seed_fail(error, "%s needs a capability pullcheck does "
				 "not have: %s", path, line);
	if (line[0] == '-') {
		if (git_oid_fromstrn(&id, line + 1, GIT_OID_HEXSZ) < 0 ||
		    git_repository_odb(&odb, s->store) < 0 ||
		    !git_odb_exists(odb, &id))
			return seed_fail(error, "%s is incremental: it needs "
					 "commit %.40s first, which the store "
					 "does not have", path, line + 1);
		return TRUE;
	}
	if (strlen(line) < GIT_OID_HEXSZ + 2 || line[GIT_OID_HEXSZ] != ' ' ||
	    git_oid_fromstrn(&id, line, GIT_OID_HEXSZ) < 0 ||
	    refs->names->len >= MAX_BUNDLE_REFS)
		return seed_fail(error, "%s: not a bundle's ref line", path);
	g_ptr_array_add(refs->names, g_strdup(line + GIT_OID_HEXSZ + 1));
	g_array_append_val(refs->ids, id);
	return TRUE;
}

/* The header up to its blank line; the pack follows in @f. */
static gboolean read_header(Seed *s, FILE *f, const char *path,
			    BundleRefs *refs, GError **error)
{
	g_autofree char *first = read_line(f);

	if (!first || (strcmp(first, "# v2 git bundle") &&
		       strcmp(first, "# v3 git bundle")))
		return seed_fail(error, "%s is not a git bundle (v2 or v3)",
				 path);
	for (;;) {
		g_autofree char *line = read_line(f);

		if (!line)
			return seed_fail(error, "%s: the bundle's header is "
					 "cut short or has an overlong line",
					 path);
		if (!*line)
			return TRUE;
		if (!header_line(s, line, refs, path, error))
			return FALSE;
	}
}

static int on_index(const git_indexer_progress *stats, void *payload)
{
	Seed *s = payload;

	s->progress.objects = stats->received_objects;
	s->progress.total_objects = stats->total_objects;
	s->progress.deltas = stats->indexed_deltas;
	s->progress.total_deltas = stats->total_deltas;
	/* The bytes are index_pack()'s count: the indexer counts none. */
	tell(s, stats->received_objects < stats->total_objects
			? PC_FETCH_PHASE_RECEIVE : PC_FETCH_PHASE_INDEX,
	     FALSE);
	return 0;
}

/* The pack after the header, through libgit2's indexer into the store. */
static gboolean index_pack(Seed *s, FILE *f, const char *path,
			   GError **error)
{
	g_autofree char *dir = g_build_filename(git_repository_path(s->store),
						"objects", "pack", NULL);
	g_autofree guchar *buf = g_malloc(CHUNK);
	git_indexer_options io = GIT_INDEXER_OPTIONS_INIT;
	g_autoptr(git_indexer) idx = NULL;
	g_autoptr(git_odb) odb = NULL;
	git_indexer_progress stats = { 0 };
	size_t n;

	io.progress_cb = on_index;
	io.progress_cb_payload = s;
	if (g_mkdir_with_parents(dir, 0755) < 0 ||
	    git_repository_odb(&odb, s->store) < 0 ||
	    git_indexer_new(&idx, dir, 0, odb, &io) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot index %s into the store",
					 path);
	while ((n = fread(buf, 1, CHUNK, f)) > 0) {
		s->progress.bytes += n;
		if (git_indexer_append(idx, buf, n, &stats) < 0)
			return pc_fetch_git_fail(error, PC_FETCH_ERROR_INVALID,
						 "the pack in %s", path);
	}
	if (ferror(f))
		return seed_fail(error, "cannot read %s: %s", path,
				 g_strerror(errno));
	if (git_indexer_commit(idx, &stats) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_INVALID,
					 "the pack in %s", path);
	return TRUE;
}

static gboolean seed_bundle(Seed *s, const char *path, GError **error)
{
	BundleRefs refs = { g_ptr_array_new_with_free_func(g_free),
			    g_array_new(FALSE, FALSE, sizeof(git_oid)) };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	gboolean ok;

	if (!f) {
		ok = seed_fail(error, "cannot open %s: %s", path,
			       g_strerror(errno));
		if (fd >= 0)
			close(fd);
	} else {
		ok = read_header(s, f, path, &refs, error) &&
		     index_pack(s, f, path, error);
		fclose(f);
	}
	for (guint i = 0; ok && i < refs.names->len; i++)
		add_ref(s, refs.names->pdata[i],
			&g_array_index(refs.ids, git_oid, i));
	g_ptr_array_unref(refs.names);
	g_array_unref(refs.ids);
	return ok;
}

gboolean pc_fetch_seed_mainline(const PcFetchOptions *opts, const char *clone,
				const char *bundle, guint *refs,
				GError **error)
{
	Seed s = { .opts = opts, .start = g_get_monotonic_time() };
	gboolean ok;
	int lock;

	if (!clone == !bundle)
		return seed_fail(error, "seed from a clone or a bundle, one "
				 "of the two");
	if (!pc_fetch_check_options(opts, error))
		return FALSE;
	lock = pc_fetch_lock(opts, opts->timeout, error);
	if (lock < 0)
		return FALSE;
	s.store = pc_fetch_open_store(opts->store, error);
	ok = s.store && (clone ? seed_clone(&s, clone, error)
			       : seed_bundle(&s, bundle, error));
	if (ok && !s.refs)
		ok = seed_fail(error, "%s has no refs to commits: nothing to "
			       "seed mainline with", clone ? clone : bundle);
	if (ok)
		tell(&s, PC_FETCH_PHASE_DONE, TRUE);
	git_repository_free(s.store);
	pc_fetch_unlock(lock);
	if (refs)
		*refs = s.refs;
	return ok;
}
