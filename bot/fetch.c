// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch: the pull request's ref into the shared store, its checks, and
 * the checkout of the tree to build.
 *
 * This file keeps the session (one connection with its limits, on the
 * sockets of stream.c) and the run: the URL and ref checks first
 * (urlpolicy.c), the fetch, then the checks on what was fetched (ref,
 * tag signature with tagsig.c, the tree's names and sizes, mail, base,
 * merge) and the checkout (worktree.c).
 */
#define G_LOG_DOMAIN "pullcheck-fetch"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/repository.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autocleanup-git.h"
#include "fetch.h"
#include "fetch_run.h"
#include "gitutil.h"
#include "stream.h"
#include "tagsig.h"
#include "urlpolicy.h"
#include "worktree.h"

G_DEFINE_QUARK(pc-fetch-error-quark, pc_fetch_error)

#define MAINLINE_NS PC_FETCH_MAINLINE_NS
#define MAINLINE_HEAD MAINLINE_NS "HEAD"
#define JOB_NS PC_FETCH_JOB_NS
#define MAX_JOB_ID 64


/* --- the run's helpers (fetch_run.h) ----------------------------------- */

void pc_fetch_add(PcFetchRun *r, const char *code, const char *severity,
		  const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pc_reasons_add(r->out->reasons, code, severity, "%s", text);
}

char *pc_fetch_hex(const git_oid *oid)
{
	char buf[GIT_OID_HEXSZ + 1];

	return g_strdup(git_oid_tostr(buf, sizeof(buf), oid));
}

gboolean pc_fetch_git_fail(GError **error, PcFetchError code,
			   const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PC_FETCH_ERROR, code, "%s: %s", what,
		    pc_git_message());
	return FALSE;
}

static double seconds_since(gint64 start)
{
	return (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC;
}

static gpointer init_once(gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (git_libgit2_init() < 0)
		return g_strdup_printf("cannot set up libgit2: %s",
				       pc_git_message());
	if (!pc_stream_register(&error))
		return g_strdup(error->message);
	return NULL;
}

static gboolean fetch_init(GError **error)
{
	static GOnce once = G_ONCE_INIT;
	const char *failed = g_once(&once, init_once, NULL);

	if (failed) {
		g_set_error_literal(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE,
				    failed);
		return FALSE;
	}
	return TRUE;
}

/* --- the store and a fetch session ------------------------------------- */

git_repository *pc_fetch_open_store(const char *path, GError **error)
{
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;

	if (git_repository_open_bare(&repo, path) == 0)
		return repo;
	init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	if (git_repository_init_ext(&repo, path, &init) < 0) {
		pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
				  "cannot open or create the object store %s",
				  path);
		return NULL;
	}
	return repo;
}

/* One connection to one remote, within its limits. */
typedef struct {
	git_remote *remote;
	git_remote_callbacks callbacks;
	PcStreamLimits limits;
	const char *const *allow;	/* what its requests may go to */
	const char *own[2];		/* for mainline: its own URL */
	gboolean refused;		/* a request went elsewhere */
	gint64 start;
	PcFetchProgressFunc on_progress;	/* NULL: none */
	gpointer progress_data;
	PcFetchProgress progress;	/* as last told */
	gint64 told;			/* when, monotonic */
} Session;

static void session_clear(Session *s)
{
	if (s->remote) {
		git_remote_disconnect(s->remote);
		git_remote_free(s->remote);
	}
	pc_stream_limits_clear(&s->limits);
	memset(s, 0, sizeof(*s));
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Session, session_clear)

#define PROGRESS_EVERY_US (G_USEC_PER_SEC / 2)

/* Tells where the fetch is: on a change of phase, else twice a second. */
static void tell(Session *s, PcFetchPhase phase,
		 const git_indexer_progress *stats)
{
	gint64 now = g_get_monotonic_time();

	if (!s->on_progress ||
	    (phase == s->progress.phase && now - s->told < PROGRESS_EVERY_US))
		return;
	s->progress.phase = phase;
	if (stats) {
		s->progress.objects = stats->received_objects;
		s->progress.total_objects = stats->total_objects;
		s->progress.deltas = stats->indexed_deltas;
		s->progress.total_deltas = stats->total_deltas;
		s->progress.bytes = stats->received_bytes;
	}
	s->progress.elapsed_s = (now - s->start) / (double)G_USEC_PER_SEC;
	s->told = now;
	s->on_progress(&s->progress, s->progress_data);
}

/* The stream cannot see the pack's size or a clock during indexing. */
static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	Session *s = payload;
	PcStreamLimits *l = &s->limits;

	if (l->max_bytes && stats->received_bytes > l->max_bytes)
		return pc_stream_too_many_bytes(l);
	if (l->deadline && g_get_monotonic_time() > l->deadline)
		return pc_stream_time_out(l);
	tell(s, stats->received_objects < stats->total_objects ||
			!stats->total_objects
			? PC_FETCH_PHASE_RECEIVE : PC_FETCH_PHASE_INDEX,
	     stats);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	Session *s = payload;

	if (s->limits.deadline && g_get_monotonic_time() > s->limits.deadline)
		return pc_stream_time_out(&s->limits);
	return 0;
}

/* Why the session failed: the limit that stopped it, else libgit2's word. */
static const char *session_error(const Session *s)
{
	return s->limits.why ? s->limits.why : pc_git_message();
}

/*
 * Every request a session sends, the first and any a redirect makes: the
 * first is the URL checked before any network, so one that is not under
 * the allow list was sent elsewhere by the server.
 */
static char *request_refused(const char *url, gpointer data)
{
	Session *s = data;

	if (pc_urlpolicy_allows(url, s->allow))
		return NULL;
	s->refused = TRUE;
	return g_strdup_printf("the server sent the fetch on to %s, which is "
			       "not under the URL prefixes pullcheck may "
			       "fetch from", url);
}

/*
 * @allow: NULL for mainline, which may go to @url alone. A session's
 * limits are @timeout seconds and @max_bytes (0: none); s->on_progress
 * may be set before.
 */
static gboolean session_open(Session *s, git_repository *repo,
			     const char *url, const char *const *allow,
			     const PcFetchOptions *opts, guint timeout,
			     guint64 max_bytes)
{
	git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_remote_connect_options connect = GIT_REMOTE_CONNECT_OPTIONS_INIT;

	s->start = g_get_monotonic_time();
	s->limits.timeout_s = timeout;
	s->limits.max_bytes = max_bytes;
	s->limits.ca_file = opts->ca_file;
	s->limits.check_url = request_refused;
	s->limits.check_data = s;
	s->own[0] = url;
	s->allow = allow ? allow : s->own;
	if (timeout)
		s->limits.deadline =
			s->start + (gint64)timeout * G_USEC_PER_SEC;
	git_remote_init_callbacks(&s->callbacks, GIT_REMOTE_CALLBACKS_VERSION);
	s->callbacks.transfer_progress = on_transfer;
	s->callbacks.sideband_progress = on_sideband;
	s->callbacks.payload = s;
	tell(s, PC_FETCH_PHASE_CONNECT, NULL);

	/* Anonymous and in memory; insteadOf from any config is ignored. */
	create.repository = repo;
	create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		       GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&s->remote, url, &create) < 0)
		return FALSE;
	pc_stream_begin(&s->limits);
	connect.callbacks = s->callbacks;
	/* A redirect would leave the hosts the allow list names. */
	connect.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	return git_remote_connect_ext(s->remote, GIT_DIRECTION_FETCH,
				      &connect) == 0;
}

/* Downloads @specs over the open connection and writes their refs. */
static gboolean session_download(Session *s, const char **specs, size_t n)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_strarray arr = { (char **)specs, n };

	fo.callbacks = s->callbacks;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;	/* jobs share the store */
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	if (git_remote_download(s->remote, &arr, &fo) < 0)
		return FALSE;
	return git_remote_update_tips(s->remote, &s->callbacks, 0,
				      GIT_REMOTE_DOWNLOAD_TAGS_NONE,
				      "pullcheck: fetch") == 0;
}

/* --- mainline ---------------------------------------------------------- */

gboolean pc_fetch_check_options(const PcFetchOptions *opts, GError **error)
{
	if (!opts->store || !opts->mainline_url ||
	    (opts->tree && strcmp(opts->tree, PC_FETCH_TREE_TIP) &&
	     strcmp(opts->tree, PC_FETCH_TREE_MERGE))) {
		g_set_error_literal(error, PC_FETCH_ERROR,
				    PC_FETCH_ERROR_INVALID,
				    "fetch options need a store, a mainline "
				    "URL and a tree of tip or merge");
		return FALSE;
	}
	return fetch_init(error);
}

#define SEED_NS PC_FETCH_SEED_NS
#define FETCHED_KEY "pullcheck.mainlinefetched"

static gboolean delete_refs(git_repository *repo, const char *glob,
			    guint *deleted, GError **error);

/* The seed's refs go once mainline's own refs hold what is needed. */
static gboolean drop_seed(git_repository *repo, GError **error)
{
	guint n = 0;

	return delete_refs(repo, SEED_NS "*", &n, error);
}

/* When mainline was last fetched, in the store's own config. */
static gboolean mark_fetched(git_repository *repo, GError **error)
{
	g_autoptr(git_config) config = NULL;

	if (git_repository_config(&config, repo) < 0 ||
	    git_config_set_int64(config, FETCHED_KEY,
				 g_get_real_time() / G_USEC_PER_SEC) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot record when mainline was "
					 "fetched");
	return TRUE;
}

static gboolean prime(git_repository *repo, const PcFetchOptions *opts,
		      guint timeout, guint64 max_bytes, GError **error)
{
	const char *specs[] = { "+refs/heads/*:" MAINLINE_NS "heads/*",
				"+refs/tags/*:" MAINLINE_NS "tags/*" };
	g_auto(Session) s = { 0 };
	g_auto(git_buf) head = { 0 };
	g_autoptr(git_reference) ref = NULL;
	g_autofree char *local = NULL;

	s.on_progress = opts->on_progress;
	s.progress_data = opts->progress_data;
	if (!session_open(&s, repo, opts->mainline_url, NULL, opts, timeout,
			  max_bytes) ||
	    git_remote_default_branch(&head, s.remote) < 0 ||
	    !g_str_has_prefix(head.ptr, "refs/heads/") ||
	    !session_download(&s, specs, G_N_ELEMENTS(specs))) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE,
			    "cannot fetch mainline from %s: %s",
			    opts->mainline_url, session_error(&s));
		return FALSE;
	}
	local = g_strconcat(MAINLINE_NS, head.ptr + strlen("refs/"), NULL);
	if (git_reference_symbolic_create(&ref, repo, MAINLINE_HEAD, local, 1,
					  "pullcheck: mainline HEAD") < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot record mainline's HEAD");
	s.progress.phase = PC_FETCH_PHASE_CONNECT;	/* so DONE is told */
	tell(&s, PC_FETCH_PHASE_DONE, git_remote_stats(s.remote));
	return mark_fetched(repo, error) && drop_seed(repo, error);
}

/* The refs a git fetch left under PC_FETCH_FETCHED_NS become mainline's. */
static gboolean take_fetched(git_repository *repo, GError **error)
{
	g_autoptr(git_reference_iterator) it = NULL;
	git_reference *ref;
	int rc;

	if (git_reference_iterator_glob_new(&it, repo,
					    PC_FETCH_FETCHED_NS "*") < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot list the fetched refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);
		g_autofree char *local = g_strconcat(
			MAINLINE_NS, name + strlen(PC_FETCH_FETCHED_NS), NULL);
		g_autoptr(git_reference) made = NULL;

		rc = id ? git_reference_create(&made, repo, local, id, 1,
					       "pullcheck: fetch") : 0;
		git_reference_free(ref);
		if (rc < 0)
			return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
						 "cannot write %s", local);
	}
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot list the fetched refs");
	return TRUE;
}

/*
 * Mainline through git (fetch_git.c says why): cloned when the store has
 * none yet, else fetched. Its refs land under PC_FETCH_FETCHED_NS and
 * become mainline's only once it is done within its limits.
 */
static gboolean prime_git(git_repository *repo, const PcFetchOptions *opts,
			  guint timeout, guint64 max_bytes, GError **error)
{
	g_autoptr(git_reference) ref = NULL;
	g_autoptr(git_object) have = NULL;
	g_autoptr(git_odb) odb = NULL;
	g_autofree char *head = NULL, *local = NULL, *clone = NULL;
	guint dropped = 0;
	gboolean ok;

	if (git_revparse_single(&have, repo, MAINLINE_HEAD "^{commit}") < 0)
		clone = g_strconcat(opts->store, ".clone", NULL);
	head = pc_fetch_git_mainline(opts, clone, timeout, max_bytes, error);
	ok = head && (!clone || pc_fetch_take_clone(opts, repo, clone, error));
	if (clone)
		pc_fetch_git_remove_clone(clone);
	if (!ok) {
		delete_refs(repo, PC_FETCH_FETCHED_NS "*", &dropped, NULL);
		g_prefix_error(error, "cannot fetch mainline from %s: ",
			       opts->mainline_url);
		return FALSE;
	}
	/* git wrote a pack behind libgit2's back. */
	if (git_repository_odb(&odb, repo) < 0 || git_odb_refresh(odb) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot read the fetched pack");
	if (!take_fetched(repo, error))
		return FALSE;
	local = g_strconcat(MAINLINE_NS, head + strlen("refs/"), NULL);
	if (git_reference_symbolic_create(&ref, repo, MAINLINE_HEAD, local, 1,
					  "pullcheck: mainline HEAD") < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot record mainline's HEAD");
	return mark_fetched(repo, error) && drop_seed(repo, error);
}

static guint or_else(guint value, guint fallback)
{
	return value ? value : fallback;
}

/*
 * The store is shared by the daemon and a `check` run by hand: two runs
 * writing its refs at once make libgit2 fail on each other's lock files
 * (a transient "could not check" for a job the daemon then retries). So
 * a run holds "<store>.lock" from the fetch to the checkout, and another
 * waits for it, up to the fetch's time limit. The descriptor, or -1 with
 * @error.
 */
int pc_fetch_lock(const PcFetchOptions *opts, guint wait_s, GError **error)
{
	g_autofree char *path = g_strconcat(opts->store, ".lock", NULL);
	g_autofree char *dir = g_path_get_dirname(opts->store);
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)MAX(wait_s, 1) * G_USEC_PER_SEC;
	int fd;

	if (g_mkdir_with_parents(dir, 0755) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		       0600)) < 0) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE,
			    "cannot open %s: %s", path, g_strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    g_get_monotonic_time() > deadline) {
			g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE,
				    errno == EWOULDBLOCK ?
				    "the object store %s stayed in use by "
				    "another pullcheck for %u s" :
				    "cannot lock the object store %s", opts->store,
				    MAX(wait_s, 1));
			close(fd);
			return -1;
		}
		g_usleep(100 * 1000);
	}
	return fd;
}

void pc_fetch_unlock(int lock)
{
	if (lock >= 0)
		close(lock);
}

static int lock_store(const PcFetchOptions *opts, GError **error)
{
	return pc_fetch_lock(opts, opts->timeout, error);
}

gboolean pc_fetch_prime_mainline(const PcFetchOptions *opts, GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	gboolean ok;
	int lock;

	if (!pc_fetch_check_options(opts, error))
		return FALSE;
	lock = lock_store(opts, error);
	if (lock < 0)
		return FALSE;
	repo = pc_fetch_open_store(opts->store, error);
	ok = repo && prime_git(repo, opts,
			   or_else(opts->mainline_timeout, opts->timeout),
			   opts->mainline_max_bytes ? opts->mainline_max_bytes
						    : opts->max_bytes,
			   error);
	close(lock);
	return ok;
}

/* RFC 3339 of @seconds since the epoch at @offset minutes from UTC. */
static char *rfc3339(gint64 seconds, int offset)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(seconds);
	g_autoptr(GTimeZone) tz = g_time_zone_new_offset(offset * 60);
	g_autoptr(GDateTime) local = NULL;

	if (!utc || !tz)
		return NULL;
	local = g_date_time_to_timezone(utc, tz);
	return local ? g_date_time_format(local, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}

/* Mainline's HEAD in @repo: its commit, date, last fetch. */
static gboolean mainline_info(git_repository *repo, git_oid *id, char **date,
			      char **fetched_at)
{
	g_autoptr(git_object) head = NULL;
	g_autoptr(git_config) config = NULL;
	const git_commit *commit;
	gint64 when = 0;

	if (git_revparse_single(&head, repo, MAINLINE_HEAD "^{commit}") < 0)
		return FALSE;
	commit = (const git_commit *)head;
	git_oid_cpy(id, git_object_id(head));
	*date = rfc3339(git_commit_time(commit),
			git_commit_time_offset(commit));
	*fetched_at = git_repository_config_snapshot(&config, repo) == 0 &&
				      git_config_get_int64(&when, config,
							   FETCHED_KEY) == 0
			      ? rfc3339(when, 0)
			      : NULL;
	return TRUE;
}

gboolean pc_fetch_mainline_info(const PcFetchOptions *opts, char **commit,
				char **date, char **fetched_at,
				GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	git_oid id;

	*commit = *date = *fetched_at = NULL;
	if (!fetch_init(error))
		return FALSE;
	if (!g_file_test(opts->store, G_FILE_TEST_IS_DIR))
		return FALSE;
	if (git_repository_open_bare(&repo, opts->store) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot open the object store %s",
					 opts->store);
	if (!mainline_info(repo, &id, date, fetched_at))
		return FALSE;
	*commit = pc_fetch_hex(&id);
	return TRUE;
}

/* --- one pull request -------------------------------------------------- */

static gboolean check_job_id(const char *job, GError **error)
{
	gsize n = job ? strlen(job) : 0;
	gboolean ok = n > 0 && n <= MAX_JOB_ID && g_ascii_isalnum(job[0]) &&
		      strcmp(job, "mainline") && !strstr(job, "..") &&
		      !g_str_has_suffix(job, ".lock");

	for (gsize i = 0; ok && i < n; i++)
		ok = g_ascii_isalnum(job[i]) || strchr("._-", job[i]);
	if (!ok)
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_INVALID,
			    "not a job id for the store's refs: %s",
			    job ? job : "(null)");
	return ok;
}

/* Refuses, before any network, what the allow list and ref rules forbid. */
static gboolean check_request(PcFetchRun *r)
{
	g_autofree char *why = NULL;

	why = pc_urlpolicy_check_url(r->pr->fetch_url, r->opts->allow_urls,
				 &r->out->url);
	if (why) {
		pc_fetch_add(r, "url-not-allowed", PC_SEVERITY_ERROR,
			     "Not fetched: %s.", why);
		return FALSE;
	}
	why = pc_urlpolicy_check_ref(r->pr->ref);
	if (why) {
		pc_fetch_add(r, "ref-invalid", PC_SEVERITY_UNVERIFIED,
			     "Not fetched: %s.", why);
		return FALSE;
	}
	return TRUE;
}

/* Mainline's HEAD into @r and the result: commit, date, last fetch. */
static gboolean take_mainline(PcFetchRun *r)
{
	PcFetchResult *out = r->out;

	g_clear_pointer(&out->mainline_date, g_free);
	g_clear_pointer(&out->mainline_fetched_at, g_free);
	if (!mainline_info(r->repo, &r->mainline, &out->mainline_date,
			   &out->mainline_fetched_at))
		return FALSE;
	g_free(out->mainline_commit);
	out->mainline_commit = pc_fetch_hex(&r->mainline);
	return TRUE;
}

/*
 * A refresh that fails leaves the check with the mainline it has, and
 * the reply says how old that is: a merge and a count against an old
 * mainline are still worth more than no check at all.
 */
static char *ago(gint64 s)
{
	s = MAX(s, 0);
	if (s < 2 * 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " minutes ago",
				       s / 60);
	if (s < 2 * 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " hours ago",
				       s / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT " days ago", s / 86400);
}

static void stale_mainline(PcFetchRun *r, const GError *why)
{
	g_autofree char *age = NULL;
	g_autoptr(GDateTime) then = NULL;
	const char *at = r->out->mainline_fetched_at;

	if (at && (then = g_date_time_new_from_iso8601(at, NULL)))
		age = ago(g_get_real_time() / G_USEC_PER_SEC -
			  g_date_time_to_unix(then));
	pc_fetch_add(r, "mainline-stale", PC_SEVERITY_INFO,
		     "Mainline could not be brought up to date: %s. This "
		     "check used mainline as last fetched%s%s%s%s%s, %.12s of "
		     "%s.",
		     why->message, at ? " at " : "", at ? at : "",
		     age ? " (" : "", age ? age : "", age ? ")" : "",
		     r->out->mainline_commit,
		     r->out->mainline_date ? r->out->mainline_date
					   : "an unknown date");
}

/* Mainline, fetched anew: in full the first time, else a refresh. */
static gboolean ensure_mainline(PcFetchRun *r, GError **error)
{
	const PcFetchOptions *o = r->opts;
	g_autoptr(GError) local = NULL;
	guint64 max = o->mainline_max_bytes ? o->mainline_max_bytes
					    : o->max_bytes;

	if (!take_mainline(r)) {
		if (!prime_git(r->repo, o,
			       or_else(o->mainline_timeout, o->timeout), max,
			       error))
			return FALSE;
		r->out->mainline_refreshed = TRUE;
		if (!take_mainline(r))
			return pc_fetch_git_fail(error, PC_FETCH_ERROR_MAINLINE,
						 "mainline has no HEAD commit");
		return TRUE;
	}
	if (!prime(r->repo, o, or_else(o->refresh_timeout, o->timeout), max,
		   &local)) {
		g_message("job %s: %s", r->job, local->message);
		stale_mainline(r, local);
		return TRUE;
	}
	r->out->mainline_refreshed = TRUE;
	if (!take_mainline(r))
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_MAINLINE,
					 "mainline has no HEAD commit");
	return TRUE;
}

/*
 * libgit2 refuses a redirect to another host itself, whatever the allow
 * list says, in these words (libgit2 1.5, net.c); the host, or NULL.
 */
static char *offsite_redirect(const char *why)
{
	const char *to = strstr(why, "cannot redirect from '");

	to = to ? strstr(to, "' to '") : NULL;
	if (!to || !strchr(to + 6, '\''))
		return NULL;
	return g_strndup(to + 6, strchr(to + 6, '\'') - (to + 6));
}

static gboolean fetch_failed(PcFetchRun *r, const Session *s)
{
	const char *name = r->out->resolved_ref ? r->out->resolved_ref
			   : r->pr->ref		 ? r->pr->ref
						 : "HEAD";
	const char *from = r->opts->local_repo ? r->opts->local_repo
					       : r->out->url;
	g_autofree char *host = offsite_redirect(session_error(s));
	const char *key = s->limits.stop == PC_STREAM_STOP_TIME ? "timeout"
			  : s->limits.stop == PC_STREAM_STOP_BYTES ? "max_bytes"
								  : NULL;

	/* Not worth a retry: the server will send it on again. */
	if (host) {
		pc_fetch_add(r, "url-not-allowed", PC_SEVERITY_ERROR,
			     "Fetching %s from %s failed: the server sent the "
			     "fetch on to another host, %s, and pullcheck "
			     "follows no redirect to another host.",
			     name, from, host);
	} else if (key) {
		/*
		 * Our own limit: another try would hit it again, so this is
		 * said at once, not retried over [fetch] retry_window.
		 */
		pc_fetch_add(r, "fetch-limit", PC_SEVERITY_ERROR,
			     "Fetching %s from %s stopped at this "
			     "installation's limit: %s ([fetch] %s).", name,
			     from, session_error(s), key);
	} else {
		pc_fetch_add(r, s->refused ? "url-not-allowed"
					   : "fetch-failed",
			     PC_SEVERITY_ERROR, "Fetching %s from %s failed: "
			     "%s.", name, from, session_error(s));
	}
	return FALSE;
}

static gboolean remote_has(const git_remote_head **heads, size_t n,
			   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, name))
			return TRUE;
	return FALSE;
}

/*
 * git pull URL NAME finds NAME with git's ref_rev_parse_rules, in this
 * order, and takes the first the remote has: a tag before a branch.
 */
static char *find_ref(const git_remote_head **heads, size_t n,
		      const char *name)
{
	static const char *const rules[] = {
		"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s",
		"refs/remotes/%s", "refs/remotes/%s/HEAD",
	};

	for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
		g_autofree char *full = g_strdup_printf(rules[i], name);

		if (remote_has(heads, n, full))
			return g_steal_pointer(&full);
	}
	return NULL;
}

static gboolean resolve_name(PcFetchRun *r, const git_remote_head **heads,
			     size_t n)
{
	const char *name = r->pr->ref;
	g_autofree char *tag = g_strconcat("refs/tags/", name, NULL);
	g_autofree char *branch = g_strconcat("refs/heads/", name, NULL);

	r->out->resolved_ref = find_ref(heads, n, name);
	if (!r->out->resolved_ref) {
		pc_fetch_add(r, "ref-not-found", PC_SEVERITY_UNVERIFIED,
			     r->opts->local_repo ? "%s is not in %s."
						 : "%s is not on %s: was it pushed?",
			     name, r->opts->local_repo ? r->opts->local_repo
						       : r->out->url);
		return FALSE;
	}
	if (!g_str_has_prefix(name, "refs/") && remote_has(heads, n, tag) &&
	    remote_has(heads, n, branch))
		pc_fetch_add(
			r, "ref-ambiguous", PC_SEVERITY_WARNING,
			"%s has both a branch and a tag called %s; like git pull, "
			"pullcheck took %s.",
			r->out->url, name, r->out->resolved_ref);
	return TRUE;
}

/* No ref in the mail: git pull takes what the remote's HEAD points to. */
static gboolean resolve_head(PcFetchRun *r, Session *s)
{
	g_auto(git_buf) head = { 0 };

	if (git_remote_default_branch(&head, s->remote) < 0) {
		pc_fetch_add(
			r, "ref-not-found", PC_SEVERITY_UNVERIFIED,
			"The mail names no branch or tag and %s has no HEAD to "
			"pull.",
			r->out->url);
		return FALSE;
	}
	r->out->resolved_ref = g_strdup(head.ptr);
	pc_fetch_add(
		r, "ref-from-head", PC_SEVERITY_INFO,
		"The mail names no branch or tag, so pullcheck fetched %s, where "
		"the repository's HEAD points.",
		head.ptr);
	return TRUE;
}

static gboolean resolve_ref(PcFetchRun *r, Session *s)
{
	const git_remote_head **heads;
	size_t n;

	if (git_remote_ls(&heads, &n, s->remote) < 0)
		return fetch_failed(r, s);
	if (!r->pr->ref)
		return resolve_head(r, s);
	return resolve_name(r, heads, n);
}

/* refs/heads/x on the remote is refs/pullcheck/JOB/remote/heads/x here. */
static char *job_ref(const PcFetchRun *r, const char *remote_ref)
{
	if (g_str_has_prefix(remote_ref, "refs/"))
		remote_ref += strlen("refs/");
	return g_strdup_printf(JOB_NS "%s/remote/%s", r->job, remote_ref);
}

/* The fetched ref, peeled: its commit and, for a tag, the tag object. */
static gboolean peel_tip(PcFetchRun *r, const char *local)
{
	g_autoptr(git_reference) ref = NULL;
	g_autoptr(git_object) commit = NULL;
	const git_oid *target;

	if (git_reference_lookup(&ref, r->repo, local) < 0 ||
	    git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) < 0) {
		pc_fetch_add(r, "ref-not-found", PC_SEVERITY_UNVERIFIED,
			     "%s on %s does not point to a commit: %s.",
			     r->out->resolved_ref, r->out->url,
			     pc_git_message());
		return FALSE;
	}
	git_oid_cpy(&r->tip, git_object_id(commit));
	r->out->tip_commit = pc_fetch_hex(&r->tip);
	target = git_reference_target(ref);
	if (target && !git_oid_equal(target, &r->tip))
		r->out->tag_object = pc_fetch_hex(target);
	return TRUE;
}

/* check --repo: say so, for what was checked is not what the URL has. */
static void fetched_locally(PcFetchRun *r)
{
	pc_fetch_add(r, "fetched-locally", PC_SEVERITY_INFO,
		     "%s was fetched from %s (check --repo), not from %s: "
		     "what was checked is the branch there as it is now.",
		     r->out->resolved_ref, r->opts->local_repo, r->out->url);
}

/* FALSE: nothing was fetched; the reasons say why. */
static gboolean fetch_pr(PcFetchRun *r)
{
	g_auto(Session) s = { 0 };
	g_autofree char *local = NULL, *spec = NULL;
	const char *specs[1];
	gboolean ok;

	/*
	 * --repo: the user's own repository stands in for the URL, through
	 * libgit2's local transport (which packs only what the store lacks:
	 * 3 objects, 0.34 s for a one-line branch on the 6.12 tree here).
	 */
	if (!session_open(&s, r->repo,
			  r->opts->local_repo ? r->opts->local_repo : r->out->url,
			  r->opts->allow_urls, r->opts, r->opts->timeout,
			  r->opts->max_bytes))
		return fetch_failed(r, &s);
	if (!resolve_ref(r, &s))
		return FALSE;
	local = job_ref(r, r->out->resolved_ref);
	spec = g_strdup_printf("+%s:%s", r->out->resolved_ref, local);
	specs[0] = spec;
	ok = session_download(&s, specs, 1);
	r->out->fetch_s = seconds_since(s.start);
	r->out->received_bytes = s.limits.bytes;
	if (!ok)
		return fetch_failed(r, &s);
	if (r->opts->local_repo)
		fetched_locally(r);
	return peel_tip(r, local);
}

/* --- the run ----------------------------------------------------------- */

static void result_init(PcFetchResult *out, const PcPullreq *pr)
{
	memset(out, 0, sizeof(*out));
	out->ref = g_strdup(pr->ref);
	out->signed_ = PC_TRI_NULL;
	/* NULL-terminated, so pdata is a string vector too. */
	out->merge_conflicts = g_ptr_array_new_null_terminated(8, g_free, TRUE);
	out->changed_files = g_ptr_array_new_null_terminated(8, g_free, TRUE);
	out->rust_files = g_ptr_array_new_null_terminated(64, g_free, TRUE);
	out->reasons = pc_reasons_new();
}

/* How long each step took, for G_MESSAGES_DEBUG=pullcheck-fetch. */
static gboolean lap(PcFetchRun *r, const char *step, gboolean ok)
{
	gint64 now = g_get_monotonic_time();

	g_debug("job %s: %s took %.3f s", r->job, step, (now - r->lap) / 1e6);
	r->lap = now;
	return ok;
}

static gboolean run(PcFetchRun *r, GError **error)
{
	gboolean refused;

	r->lap = g_get_monotonic_time();
	if (!pc_fetch_check_options(r->opts, error) || !check_job_id(r->job, error))
		return FALSE;
	if (!check_request(r))
		return TRUE;
	r->store_lock = lock_store(r->opts, error);
	if (r->store_lock < 0)
		return FALSE;
	r->repo = pc_fetch_open_store(r->opts->store, error);
	if (!lap(r, "store", r->repo && ensure_mainline(r, error)))
		return FALSE;
	if (!lap(r, "fetch", fetch_pr(r)))
		return TRUE;
	if (!lap(r, "signature", pc_fetch_check_signature(r, error)))
		return FALSE;
	if (!lap(r, "tree scan", pc_fetch_scan_tip(r, &refused, error)))
		return refused;
	pc_fetch_check_mail(r);
	return lap(r, "stats", pc_fetch_stats(r, error)) &&
	       lap(r, "merge check", pc_fetch_check_merge(r, error)) &&
	       lap(r, "tree and checkout", pc_fetch_build_tree(r, error));
}

gboolean pc_fetch_run(const PcFetchOptions *opts, const char *job_id,
		      const PcPullreq *pr, PcFetchResult *out, GError **error)
{
	PcFetchRun r = { .opts = opts, .job = job_id, .pr = pr, .out = out,
			 .store_lock = -1 };
	gint64 start = g_get_monotonic_time();
	gboolean ok;

	result_init(out, pr);
	ok = run(&r, error);
	git_index_free(r.merged);
	git_repository_free(r.repo);
	if (r.store_lock >= 0)
		close(r.store_lock);
	out->infra_failure = !ok;
	out->duration_s = seconds_since(start);
	return ok;
}

void pc_fetch_result_clear(PcFetchResult *res)
{
	g_free(res->url);
	g_free(res->ref);
	g_free(res->resolved_ref);
	g_free(res->tip_commit);
	g_free(res->tag_object);
	g_free(res->signature);
	g_free(res->signer);
	g_free(res->base_commit);
	g_free(res->mainline_commit);
	g_free(res->mainline_date);
	g_free(res->mainline_fetched_at);
	g_free(res->base_name);
	g_free(res->tree_kind);
	g_free(res->tree_commit);
	g_free(res->worktree);
	g_clear_pointer(&res->merge_conflicts, g_ptr_array_unref);
	g_clear_pointer(&res->changed_files, g_ptr_array_unref);
	g_clear_pointer(&res->rust_files, g_ptr_array_unref);
	g_clear_pointer(&res->reasons, g_ptr_array_unref);
	memset(res, 0, sizeof(*res));
	res->signed_ = PC_TRI_NULL;
}

void pc_fetch_options_init(PcFetchOptions *opts, const PcConfig *config)
{
	memset(opts, 0, sizeof(*opts));
	opts->allow_urls = (const char *const *)config->fetch_allow_urls;
	opts->timeout = config->fetch_timeout;
	opts->max_bytes = config->fetch_max_bytes;
	opts->max_file_bytes = config->fetch_max_file_bytes;
	opts->max_tree_bytes = config->fetch_max_tree_bytes;
	opts->keyring = config->fetch_keyring;
	opts->ca_file = config->fetch_ca_file;
	opts->tree = config->fetch_tree;
	opts->mainline_url = config->fetch_mainline_url;
	opts->mainline_timeout = config->fetch_mainline_timeout;
	opts->mainline_max_bytes = config->fetch_mainline_max_bytes;
	opts->refresh_timeout = config->fetch_refresh_timeout;
}

gboolean pc_fetch_checkout(const PcFetchOptions *opts, const char *commit,
			   GPtrArray *rust_files, GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	g_autoptr(git_commit) c = NULL;
	PcWorktreeOptions wo = {
		.dir = opts->worktree,
		.store = opts->store,
		.max_file_bytes = opts->max_file_bytes,
		.max_tree_bytes = opts->max_tree_bytes,
	};
	gboolean ok;
	git_oid id;
	int lock;

	if (!pc_fetch_check_options(opts, error))
		return FALSE;
	if (!opts->worktree || !commit || strlen(commit) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&id, commit) < 0) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_INVALID,
			    "not a commit to check out: %s",
			    commit ? commit : "(null)");
		return FALSE;
	}
	lock = lock_store(opts, error);
	if (lock < 0)
		return FALSE;
	repo = pc_fetch_open_store(opts->store, error);
	if (!repo)
		ok = FALSE;
	else if (git_commit_lookup(&c, repo, &id) < 0)
		ok = pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
				       "the store has no commit %s", commit);
	else
		ok = pc_worktree_checkout(&wo, &id, rust_files, error);
	close(lock);
	return ok;
}

/* The job refs under @glob, deleted; their count in *@deleted. */
static gboolean delete_refs(git_repository *repo, const char *glob,
			    guint *deleted, GError **error)
{
	g_autoptr(git_reference_iterator) it = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	git_reference *ref;
	int rc;

	/* Listed first: a deletion rewrites what the iterator reads. */
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot list the refs %s", glob);
	while ((rc = git_reference_next(&ref, it)) == 0) {
		g_ptr_array_add(names, g_strdup(git_reference_name(ref)));
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER)
		return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
					 "cannot list the refs %s", glob);
	for (guint i = 0; i < names->len; i++) {
		rc = git_reference_remove(repo, names->pdata[i]);
		if (rc < 0 && rc != GIT_ENOTFOUND)
			return pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
						 "cannot delete %s",
						 (char *)names->pdata[i]);
		*deleted += rc == 0;
	}
	return TRUE;
}

gboolean pc_fetch_forget(const PcFetchOptions *opts, const char *job_id,
			 guint *deleted, GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	g_autofree char *glob = NULL;
	gboolean ok;
	int lock;

	*deleted = 0;
	if (!pc_fetch_check_options(opts, error) || !check_job_id(job_id, error))
		return FALSE;
	if (!g_file_test(opts->store, G_FILE_TEST_IS_DIR))
		return TRUE;	/* no store: nothing to forget */
	lock = lock_store(opts, error);
	if (lock < 0)
		return FALSE;
	repo = pc_fetch_open_store(opts->store, error);
	if (!repo) {
		pc_fetch_unlock(lock);
		return FALSE;
	}
	glob = g_strdup_printf(JOB_NS "%s/*", job_id);
	ok = delete_refs(repo, glob, deleted, error);
	pc_fetch_unlock(lock);
	if (!ok)
		g_prefix_error(error, "job %s: ", job_id);
	return ok;
}

/* Whether @id is shaped like a job key: 16 lowercase hex digits. */
static gboolean is_job_key(const char *id, gsize len)
{
	if (len != PC_FETCH_JOB_KEY_LEN)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isdigit(id[i]) && (id[i] < 'a' || id[i] > 'f'))
			return FALSE;
	return TRUE;
}

/* The distinct job ids under refs/pullcheck/, mainline's aside. */
static GPtrArray *job_ids(git_repository *repo, GError **error)
{
	g_autoptr(git_reference_iterator) it = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
							   g_str_equal, g_free,
							   NULL);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	int rc;

	if (git_reference_iterator_glob_new(&it, repo, JOB_NS "*") < 0) {
		pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
				  "cannot list the job refs");
		g_ptr_array_unref(ids);
		return NULL;
	}
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		const char *id = name + strlen(JOB_NS);
		const char *end = strchr(id, '/');
		char *copy;

		if (!end || !is_job_key(id, end - id))
			continue;
		copy = g_strndup(id, end - id);
		if (g_hash_table_add(seen, copy))
			g_ptr_array_add(ids, g_strdup(copy));
	}
	if (rc != GIT_ITEROVER) {
		pc_fetch_git_fail(error, PC_FETCH_ERROR_STORE,
				  "cannot list the job refs");
		g_ptr_array_unref(ids);
		return NULL;
	}
	return ids;
}

gboolean pc_fetch_prune_jobs(const PcFetchOptions *opts, GHashTable *keep,
			     PcFetchPruned *out, GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	g_autoptr(GPtrArray) ids = NULL;

	memset(out, 0, sizeof(*out));
	if (!pc_fetch_check_options(opts, error))
		return FALSE;
	if (!g_file_test(opts->store, G_FILE_TEST_IS_DIR))
		return TRUE;	/* no store yet: nothing to prune */
	repo = pc_fetch_open_store(opts->store, error);
	if (!repo)
		return FALSE;
	ids = job_ids(repo, error);
	if (!ids)
		return FALSE;
	for (guint i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		g_autofree char *glob = g_strdup_printf(JOB_NS "%s/*", id);
		guint n = 0;

		if (keep && g_hash_table_contains(keep, id)) {
			out->jobs_kept++;
			continue;
		}
		if (!delete_refs(repo, glob, &n, error))
			return FALSE;
		out->jobs++;
		out->refs += n;
	}
	return TRUE;
}
