// SPDX-License-Identifier: GPL-2.0-only
/*
 * maintain: refs, objects, raw mails, logs, the job store's file.
 *
 * The object store is repacked by `git gc`, not libgit2's packbuilder:
 * git reuses the deltas the packs already hold, writes with threads and
 * prunes unreachable loose objects; libgit2 1.5's git_packbuilder
 * computes every delta again (delta reuse is libgit2 pull request 7040,
 * still open) and there is no prune, so a repack of mainline's millions
 * of objects would be a recompression of all of them. It runs as a
 * child with an argv and an environment of its own, and no
 * configuration but ours.
 */
#define G_LOG_DOMAIN "pullcheck-maintain"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "job.h"
#include "maintain.h"
#include "result.h"
#include "store.h"

G_DEFINE_QUARK(pc-maintain-error-quark, pc_maintain_error)

#define DAY_S (24 * 60 * 60)

/* Bytes on disk below @path, links not followed; 0 when it is not there. */
static gint64 disk_bytes(const char *path)
{
	struct stat st;
	gint64 sum;
	GDir *dir;
	const char *name;

	if (lstat(path, &st) < 0)
		return 0;
	sum = (gint64)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return sum;
	dir = g_dir_open(path, 0, NULL);
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		sum += disk_bytes(child);
	}
	if (dir)
		g_dir_close(dir);
	return sum;
}

static gint64 db_bytes(const char *db)
{
	g_autofree char *wal = g_strconcat(db, "-wal", NULL);

	return disk_bytes(db) + disk_bytes(wal);
}

/* Files made by another user would be out of the daemon's reach. */
static gboolean check_owner(const char *state_dir, GError **error)
{
	guint owner = 0;

	if (pc_fileio_owned_by_me(state_dir, &owner))
		return TRUE;
	g_set_error(error, PC_MAINTAIN_ERROR, PC_MAINTAIN_ERROR_OWNER,
		    "%s belongs to uid %u, and this is uid %u: run maintain as "
		    "its owner (e.g. runuser -u pullcheck -- pullcheck "
		    "maintain), or files it makes will be out of the daemon's "
		    "reach", state_dir, owner, (guint)geteuid());
	return FALSE;
}

/*
 * The jobs whose refs and logs stay: every open job, by its key. A job
 * whose mail had no Message-ID was recorded under its key itself.
 */
static GHashTable *open_keys(PcStore *store, GError **error)
{
	g_autoptr(GPtrArray) open = pc_store_list_open(store, error);
	GHashTable *keys;

	if (!open)
		return NULL;
	keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < open->len; i++) {
		const PcStoreJob *job = open->pdata[i];

		g_hash_table_add(keys, pc_result_job_key(job->message_id,
							 job->body_sha256));
		if (job->message_id)
			g_hash_table_add(keys, g_strdup(job->message_id));
	}
	return keys;
}

static gboolean git_gc(const char *store, GError **error)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
		G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) p = NULL;
	g_autofree char *safe = g_strconcat("safe.directory=", store, NULL);
	g_autofree char *git_dir = g_strconcat("--git-dir=", store, NULL);
	g_autofree char *err = NULL;
	const char *const env[] = { "PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C",
				    "GIT_CONFIG_NOSYSTEM=1",
				    "GIT_CONFIG_GLOBAL=/dev/null", NULL };
	/*
	 * Unreachable objects go now, not in two weeks: nothing else uses
	 * the store while the lock is held. No bitmaps (they speed up
	 * serving a clone, and this store serves none) and no commit-graph
	 * (12 MB for 200,000 commits, and pc_fetch_run measured no faster
	 * with it: tests/bench/fetch/scale.sh).
	 */
	const char *const argv[] = { "git", "-c", "gc.auto=0", "-c",
				     "repack.writeBitmaps=false", "-c",
				     "gc.writeCommitGraph=false", "-c", safe,
				     git_dir, "gc", "--quiet", "--prune=now",
				     NULL };

	g_subprocess_launcher_set_environ(l, (char **)env);
	p = g_subprocess_launcher_spawnv(l, argv, error);
	if (!p) {
		g_prefix_error(error, "cannot run git gc: ");
		return FALSE;
	}
	if (!g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, error))
		return FALSE;
	if (!g_subprocess_get_successful(p)) {
		g_set_error(error, PC_MAINTAIN_ERROR, PC_MAINTAIN_ERROR_GC,
			    "git gc on %s failed: %s", store,
			    err && *err ? g_strstrip(err) : "no message");
		return FALSE;
	}
	return TRUE;
}

/* Job refs of jobs not in @keep, then the gc; the caller holds the lock. */
static gboolean upkeep_store(const PcFetchOptions *opts, GHashTable *keep,
			     PcMaintainReport *out, GError **error)
{
	gint64 start = g_get_monotonic_time();
	gboolean ok;

	out->store_before = disk_bytes(out->store);
	ok = pc_fetch_prune_jobs(opts, keep, &out->refs, error) &&
	     git_gc(out->store, error);
	out->gc_s = (g_get_monotonic_time() - start) / 1e6;
	out->store_after = disk_bytes(out->store);
	return ok;
}

/*
 * Whether @name is a job's log, or the .config its build left (job.c
 * keeps it beside the log): KEY.log, KEY.config, KEY a job key.
 */
static gboolean is_job_log(const char *name, char **key)
{
	gsize n = PC_FETCH_JOB_KEY_LEN;

	if (strlen(name) <= n || (strcmp(name + n, ".log") &&
				  strcmp(name + n, ".config")))
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(name[i]) && (name[i] < 'a' || name[i] > 'f'))
			return FALSE;
	*key = g_strndup(name, n);
	return TRUE;
}

/*
 * The build logs in @dir of jobs not open whose log was last written
 * before @before: removed. Only regular files named like a job's log;
 * nothing followed through a link.
 */
static gboolean prune_logs(const char *dir_path, GHashTable *keep,
			   gint64 before, PcMaintainReport *out,
			   GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *key = NULL;
		g_autofree char *path = NULL;
		struct stat st;

		if (!is_job_log(name, &key) || g_hash_table_contains(keep, key))
			continue;
		path = g_build_filename(dir_path, name, NULL);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime >= before)
			continue;
		if (unlink(path) < 0) {
			g_set_error(error, PC_MAINTAIN_ERROR,
				    PC_MAINTAIN_ERROR_FILES, "cannot remove %s: %s",
				    path, g_strerror(errno));
			return FALSE;
		}
		out->logs_removed++;
		out->log_bytes += (gint64)st.st_blocks * 512;
	}
	return TRUE;
}

static gboolean upkeep_logs(const PcConfig *config, GHashTable *keep,
			    PcMaintainReport *out, GError **error)
{
	/* The daemon's logs, and those of `check` (its own cache dir). */
	g_autofree char *daemon = g_build_filename(config->build_cache_dir,
						   "logs", NULL);
	g_autofree char *check = g_build_filename(config->build_cache_dir,
						  "check", "logs", NULL);

	return prune_logs(daemon, keep, out->raw_before, out, error) &&
	       prune_logs(check, keep, out->raw_before, out, error);
}

static gboolean upkeep_db(PcStore *store, PcMaintainReport *out,
			  GError **error)
{
	out->db_before = db_bytes(out->db);
	if (!pc_store_drop_raw(store, out->raw_before, &out->raw_dropped,
			       &out->raw_bytes, error) ||
	    !pc_store_vacuum(store, error))
		return FALSE;
	out->db_after = db_bytes(out->db);
	return TRUE;
}

gboolean pc_maintain_run(const PcConfig *config, guint wait_s,
			 PcMaintainReport *out, GError **error)
{
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GHashTable) keep = NULL;
	gint64 start = g_get_monotonic_time();
	PcFetchOptions opts;
	gboolean ok;
	int lock = -1;

	memset(out, 0, sizeof(*out));
	out->store = pc_job_store_path(config);
	out->db = pc_store_path(config->state_dir);
	out->raw_before = g_get_real_time() / G_USEC_PER_SEC -
			  (gint64)config->retention * DAY_S;
	if (!check_owner(config->state_dir, error))
		return FALSE;
	if (g_mkdir_with_parents(config->state_dir, 0750) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot make %s: %s", config->state_dir,
			    g_strerror(errno));
		return FALSE;
	}
	store = pc_store_open(out->db, error);
	if (!store)
		return FALSE;
	pc_fetch_options_init(&opts, config);
	opts.store = out->store;
	out->have_store = g_file_test(out->store, G_FILE_TEST_IS_DIR);
	if (out->have_store && (lock = pc_fetch_lock(&opts, wait_s, error)) < 0)
		return FALSE;
	/*
	 * The open jobs are read under the lock: a job whose fetch made
	 * refs committed "fetching" before it took the lock.
	 */
	keep = open_keys(store, error);
	ok = keep && (!out->have_store || upkeep_store(&opts, keep, out, error));
	pc_fetch_unlock(lock);
	ok = ok && upkeep_logs(config, keep, out, error) &&
	     upkeep_db(store, out, error);
	out->duration_s = (g_get_monotonic_time() - start) / 1e6;
	return ok;
}

gint64 pc_maintain_reclaimed(const PcMaintainReport *r)
{
	return (r->store_before - r->store_after) +
	       (r->db_after ? r->db_before - r->db_after : 0) + r->log_bytes;
}

void pc_maintain_report_clear(PcMaintainReport *r)
{
	g_free(r->store);
	g_free(r->db);
	memset(r, 0, sizeof(*r));
}
