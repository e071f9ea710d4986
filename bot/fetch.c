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
#include <sys/stat.h>
#include <unistd.h>

#include "autocleanup-git.h"
#include "fetch.h"
#include "gitutil.h"
#include "stream.h"
#include "tagsig.h"
#include "urlpolicy.h"
#include "worktree.h"

G_DEFINE_QUARK(pc-fetch-error-quark, pc_fetch_error)

#define MAINLINE_NS "refs/pullcheck/mainline/"
#define MAINLINE_HEAD MAINLINE_NS "HEAD"
#define JOB_NS "refs/pullcheck/"
#define MAX_JOB_ID 64
#define MAX_LISTED 10	/* conflicting paths named in the reason's text */

/* --- errors ------------------------------------------------------------ */

/* Translates libgit2's last error, once, into @error. Returns FALSE. */
static G_GNUC_PRINTF(3, 4) gboolean git_fail(GError **error, PcFetchError code,
					     const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, PC_FETCH_ERROR, code, "%s: %s", what, pc_git_message());
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

static git_repository *open_store(const char *path, GError **error)
{
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;

	if (git_repository_open_bare(&repo, path) == 0)
		return repo;
	init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	if (git_repository_init_ext(&repo, path, &init) < 0) {
		git_fail(error, PC_FETCH_ERROR_STORE,
			 "cannot open or create the object store %s", path);
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

/* The stream cannot see the pack's size or a clock during indexing. */
static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	PcStreamLimits *l = payload;

	if (l->max_bytes && stats->received_bytes > l->max_bytes)
		return pc_stream_too_many_bytes(l);
	if (l->deadline && g_get_monotonic_time() > l->deadline)
		return pc_stream_time_out(l);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	PcStreamLimits *l = payload;

	if (l->deadline && g_get_monotonic_time() > l->deadline)
		return pc_stream_time_out(l);
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

/* @allow: NULL for mainline, which may go to @url alone. */
static gboolean session_open(Session *s, git_repository *repo,
			     const char *url, const char *const *allow,
			     const PcFetchOptions *opts)
{
	git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_remote_connect_options connect = GIT_REMOTE_CONNECT_OPTIONS_INIT;

	s->start = g_get_monotonic_time();
	s->limits.timeout_s = opts->timeout;
	s->limits.max_bytes = opts->max_bytes;
	s->limits.ca_file = opts->ca_file;
	s->limits.check_url = request_refused;
	s->limits.check_data = s;
	s->own[0] = url;
	s->allow = allow ? allow : s->own;
	if (opts->timeout)
		s->limits.deadline =
			s->start + (gint64)opts->timeout * G_USEC_PER_SEC;
	git_remote_init_callbacks(&s->callbacks, GIT_REMOTE_CALLBACKS_VERSION);
	s->callbacks.transfer_progress = on_transfer;
	s->callbacks.sideband_progress = on_sideband;
	s->callbacks.payload = &s->limits;

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

static gboolean check_options(const PcFetchOptions *opts, GError **error)
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

static gboolean prime(git_repository *repo, const PcFetchOptions *opts,
		      GError **error)
{
	const char *specs[] = { "+refs/heads/*:" MAINLINE_NS "heads/*",
				"+refs/tags/*:" MAINLINE_NS "tags/*" };
	g_auto(Session) s = { 0 };
	g_auto(git_buf) head = { 0 };
	g_autoptr(git_reference) ref = NULL;
	g_autofree char *local = NULL;

	if (!session_open(&s, repo, opts->mainline_url, NULL, opts) ||
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
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot record mainline's HEAD");
	return TRUE;
}

gboolean pc_fetch_prime_mainline(const PcFetchOptions *opts, GError **error)
{
	g_autoptr(git_repository) repo = NULL;

	if (!check_options(opts, error))
		return FALSE;
	repo = open_store(opts->store, error);
	return repo && prime(repo, opts, error);
}

/* --- one pull request -------------------------------------------------- */

/* What one run knows; the result it fills is @out. */
typedef struct {
	const PcFetchOptions *opts;
	const char *job;
	const PcPullreq *pr;
	PcFetchResult *out;
	git_repository *repo;
	git_oid mainline;	/* mainline's HEAD, peeled */
	git_oid tip;		/* the ref, peeled to its commit */
	git_oid base;
	gboolean have_base;
	git_index *merged;	/* mainline and tip, merged in memory */
	git_oid merged_tree;	/* their merge, when it does not conflict */
	gint64 lap;		/* when the last step ended, for the debug log */
} Run;

static void add(Run *r, const char *code, const char *severity,
		const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void add(Run *r, const char *code, const char *severity,
		const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pc_reasons_add(r->out->reasons, code, severity, "%s", text);
}

static char *hex(const git_oid *oid)
{
	char buf[GIT_OID_HEXSZ + 1];

	return g_strdup(git_oid_tostr(buf, sizeof(buf), oid));
}

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
static gboolean check_request(Run *r)
{
	g_autofree char *why = NULL;

	why = pc_urlpolicy_check_url(r->pr->fetch_url, r->opts->allow_urls,
				 &r->out->url);
	if (why) {
		add(r, "url-not-allowed", PC_SEVERITY_ERROR,
		    "Not fetched: %s.", why);
		return FALSE;
	}
	why = pc_urlpolicy_check_ref(r->pr->ref);
	if (why) {
		add(r, "ref-invalid", PC_SEVERITY_ERROR, "Not fetched: %s.",
		    why);
		return FALSE;
	}
	return TRUE;
}

static gboolean ensure_mainline(Run *r, GError **error)
{
	g_autoptr(git_object) head = NULL;

	if (git_revparse_single(&head, r->repo, MAINLINE_HEAD "^{commit}") < 0) {
		if (!prime(r->repo, r->opts, error))
			return FALSE;
		if (git_revparse_single(&head, r->repo,
					MAINLINE_HEAD "^{commit}") < 0)
			return git_fail(error, PC_FETCH_ERROR_MAINLINE,
					"mainline has no HEAD commit");
	}
	git_oid_cpy(&r->mainline, git_object_id(head));
	return TRUE;
}

static gboolean fetch_failed(Run *r, const Session *s)
{
	/* Not worth a retry: the server will send it on again. */
	add(r, s->refused ? "url-not-allowed" : "fetch-failed",
	    PC_SEVERITY_ERROR,
	    "Fetching %s from %s failed: %s.",
	    r->out->resolved_ref ? r->out->resolved_ref :
	    r->pr->ref ? r->pr->ref : "HEAD", r->out->url, session_error(s));
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

static gboolean resolve_name(Run *r, const git_remote_head **heads, size_t n)
{
	const char *name = r->pr->ref;
	g_autofree char *tag = g_strconcat("refs/tags/", name, NULL);
	g_autofree char *branch = g_strconcat("refs/heads/", name, NULL);

	r->out->resolved_ref = find_ref(heads, n, name);
	if (!r->out->resolved_ref) {
		add(r, "ref-not-found", PC_SEVERITY_ERROR,
		    "%s is not on %s: was it pushed?", name, r->out->url);
		return FALSE;
	}
	if (!g_str_has_prefix(name, "refs/") && remote_has(heads, n, tag) &&
	    remote_has(heads, n, branch))
		add(r, "ref-ambiguous", PC_SEVERITY_WARNING,
		    "%s has both a branch and a tag called %s; like git pull, "
		    "pullcheck took %s.", r->out->url, name,
		    r->out->resolved_ref);
	return TRUE;
}

/* No ref in the mail: git pull takes what the remote's HEAD points to. */
static gboolean resolve_head(Run *r, Session *s)
{
	g_auto(git_buf) head = { 0 };

	if (git_remote_default_branch(&head, s->remote) < 0) {
		add(r, "ref-not-found", PC_SEVERITY_ERROR,
		    "The mail names no branch or tag and %s has no HEAD to "
		    "pull.", r->out->url);
		return FALSE;
	}
	r->out->resolved_ref = g_strdup(head.ptr);
	add(r, "ref-from-head", PC_SEVERITY_INFO,
	    "The mail names no branch or tag, so pullcheck fetched %s, where "
	    "the repository's HEAD points.", head.ptr);
	return TRUE;
}

static gboolean resolve_ref(Run *r, Session *s)
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
static char *job_ref(const Run *r, const char *remote_ref)
{
	if (g_str_has_prefix(remote_ref, "refs/"))
		remote_ref += strlen("refs/");
	return g_strdup_printf(JOB_NS "%s/remote/%s", r->job, remote_ref);
}

/* The fetched ref, peeled: its commit and, for a tag, the tag object. */
static gboolean peel_tip(Run *r, const char *local)
{
	g_autoptr(git_reference) ref = NULL;
	g_autoptr(git_object) commit = NULL;
	const git_oid *target;

	if (git_reference_lookup(&ref, r->repo, local) < 0 ||
	    git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) < 0) {
		add(r, "ref-not-found", PC_SEVERITY_ERROR,
		    "%s on %s does not point to a commit: %s.",
		    r->out->resolved_ref, r->out->url, pc_git_message());
		return FALSE;
	}
	git_oid_cpy(&r->tip, git_object_id(commit));
	r->out->tip_commit = hex(&r->tip);
	target = git_reference_target(ref);
	if (target && !git_oid_equal(target, &r->tip))
		r->out->tag_object = hex(target);
	return TRUE;
}

/* FALSE: nothing was fetched; the reasons say why. */
static gboolean fetch_pr(Run *r)
{
	g_auto(Session) s = { 0 };
	g_autofree char *local = NULL, *spec = NULL;
	const char *specs[1];
	gboolean ok;

	if (!session_open(&s, r->repo, r->out->url, r->opts->allow_urls,
			  r->opts))
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
	return peel_tip(r, local);
}

/* --- the tag's signature (tagsig.c) ----------------------------------- */

static void set_signature(Run *r, const char *verdict, char *signer)
{
	g_free(r->out->signature);
	r->out->signature = g_strdup(verdict);
	g_free(r->out->signer);
	r->out->signer = signer;
}

static void unsigned_tag(Run *r)
{
	r->out->signed_ = PC_TRI_FALSE;
	set_signature(r, PC_FETCH_SIG_NONE, NULL);
	add(r, "tag-unsigned", PC_SEVERITY_WARNING,
	    "%s is not a signed tag.", r->out->resolved_ref);
}

/* The tag's signature as the result's fields and findings. */
static void take_signature(Run *r, PcTagsig *sig)
{
	const char *tag = r->out->resolved_ref;

	r->out->signed_ = PC_TRI_TRUE;	/* unsigned_tag() says otherwise */
	switch (sig->status) {
	case PC_TAGSIG_NONE:
		unsigned_tag(r);
		break;
	case PC_TAGSIG_OTHER_KIND:
	case PC_TAGSIG_NO_KEYRING:
		set_signature(r, PC_FETCH_SIG_UNCHECKED, NULL);
		add(r, "tag-signature-unchecked", PC_SEVERITY_INFO,
		    "%s is signed, but %s.", tag,
		    sig->status == PC_TAGSIG_OTHER_KIND ?
		    "not with OpenPGP, the only kind pullcheck verifies" :
		    "pullcheck has no keyring to verify it with");
		break;
	case PC_TAGSIG_VERIFIED:
		set_signature(r, PC_FETCH_SIG_VERIFIED,
			      g_steal_pointer(&sig->signer));
		break;
	case PC_TAGSIG_UNKNOWN_KEY:
		set_signature(r, PC_FETCH_SIG_UNKNOWN_KEY, g_strdup(sig->fpr));
		add(r, "tag-key-unknown", PC_SEVERITY_WARNING,
		    "%s is signed by key %s, which is not in pullcheck's "
		    "keyring.", tag, sig->fpr ? sig->fpr : "(unknown)");
		break;
	case PC_TAGSIG_BAD:
		set_signature(r, PC_FETCH_SIG_BAD, g_strdup(sig->fpr));
		add(r, "tag-signature-bad", PC_SEVERITY_ERROR,
		    "The signature on %s does not verify: %s.", tag, sig->why);
		break;
	}
}

static gboolean check_tag_object(Run *r, const git_oid *id, GError **error)
{
	g_autoptr(git_odb) odb = NULL;
	g_autoptr(git_odb_object) raw = NULL;
	g_autoptr(GError) local = NULL;
	PcTagsig sig;

	if (git_repository_odb(&odb, r->repo) < 0 ||
	    git_odb_read(&raw, odb, id) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot read tag %s", r->out->tag_object);
	if (!pc_tagsig_check(git_odb_object_data(raw),
			     git_odb_object_size(raw), r->opts->keyring, &sig,
			     &local)) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_SIGNATURE,
			    "%s: %s", r->out->resolved_ref, local->message);
		return FALSE;
	}
	take_signature(r, &sig);
	pc_tagsig_clear(&sig);
	return TRUE;
}

static gboolean check_signature(Run *r, GError **error)
{
	git_oid id;

	if (!g_str_has_prefix(r->out->resolved_ref, "refs/tags/")) {
		set_signature(r, PC_FETCH_SIG_NONE, NULL);
		return TRUE;
	}
	if (!r->out->tag_object) {
		unsigned_tag(r);	/* a lightweight tag */
		return TRUE;
	}
	git_oid_fromstr(&id, r->out->tag_object);
	return check_tag_object(r, &id, error);
}

/* --- the mail's commits, the base and the statistics ------------------- */

/* @given may be abbreviated, as in a hand-written mail. */
static gboolean same_id(const char *full, const char *given)
{
	size_t n = strlen(given);

	return n >= 4 && n <= GIT_OID_HEXSZ &&
	       !g_ascii_strncasecmp(full, given, n);
}

static void check_mail(Run *r)
{
	const PcPullreq *pr = r->pr;

	if (pr->end_commit && !same_id(r->out->tip_commit, pr->end_commit))
		add(r, "tip-mismatch", PC_SEVERITY_ERROR,
		    "%s points to %s, but the mail says %s: was it changed "
		    "after the mail was sent?", r->out->resolved_ref,
		    r->out->tip_commit, pr->end_commit);
	if (pr->tag_commit && r->out->tag_object &&
	    !same_id(r->out->tag_object, pr->tag_commit))
		add(r, "tag-mismatch", PC_SEVERITY_ERROR,
		    "The tag object of %s is %s, but the mail says %s: was it "
		    "re-created after the mail was sent?", r->out->resolved_ref,
		    r->out->tag_object, pr->tag_commit);
}

static gboolean lookup_commit_prefix(Run *r, const char *hexid, git_oid *out)
{
	g_autoptr(git_object) obj = NULL;
	git_oid prefix;
	size_t n = strlen(hexid);

	if (git_oid_fromstrn(&prefix, hexid, n) < 0 ||
	    git_object_lookup_prefix(&obj, r->repo, &prefix, n,
				     GIT_OBJECT_COMMIT) < 0)
		return FALSE;
	git_oid_cpy(out, git_object_id(obj));
	return TRUE;
}

static void base_from_mail(Run *r)
{
	const char *given = r->pr->base_commit;
	git_oid id;

	if (!lookup_commit_prefix(r, given, &id)) {
		add(r, "base-unknown", PC_SEVERITY_WARNING,
		    "The base commit %s the mail names is neither in mainline "
		    "nor in the history of %s.", given, r->out->resolved_ref);
		return;
	}
	if (!git_oid_equal(&id, &r->tip) &&
	    git_graph_descendant_of(r->repo, &r->tip, &id) != 1) {
		add(r, "base-not-ancestor", PC_SEVERITY_ERROR,
		    "The base commit %s the mail names is not an ancestor of "
		    "%s (%s).", given, r->out->resolved_ref,
		    r->out->tip_commit);
		return;
	}
	git_oid_cpy(&r->base, &id);
	r->have_base = r->out->base_from_mail = TRUE;
}

/* The mail's base if it is one, else where the tip left mainline. */
static void find_base(Run *r)
{
	if (r->pr->base_commit)
		base_from_mail(r);
	if (r->have_base)
		return;
	if (git_merge_base(&r->base, r->repo, &r->tip, &r->mainline) < 0) {
		add(r, "base-unknown", PC_SEVERITY_WARNING,
		    "%s shares no history with mainline.",
		    r->out->resolved_ref);
		return;
	}
	r->have_base = TRUE;
}

static gboolean count_commits(Run *r, GError **error)
{
	g_autoptr(git_revwalk) walk = NULL;
	git_oid id;
	int rc;

	if (git_revwalk_new(&walk, r->repo) < 0 ||
	    git_revwalk_push(walk, &r->tip) < 0 ||
	    git_revwalk_hide(walk, &r->base) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot walk the history of %s",
				r->out->tip_commit);
	r->out->commits = 0;
	while ((rc = git_revwalk_next(&id, walk)) == 0)
		r->out->commits++;
	if (rc != GIT_ITEROVER)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot walk the history of %s",
				r->out->tip_commit);
	return TRUE;
}

static gboolean commit_tree(Run *r, const git_oid *id, git_tree **tree)
{
	g_autoptr(git_commit) commit = NULL;

	return git_commit_lookup(&commit, r->repo, id) == 0 &&
	       git_commit_tree(tree, commit) == 0;
}

static void list_changed(Run *r, git_diff *diff)
{
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		g_ptr_array_add(r->out->changed_files,
				g_strdup(d->new_file.path));
		if (strcmp(d->old_file.path, d->new_file.path))
			g_ptr_array_add(r->out->changed_files,
					g_strdup(d->old_file.path));
	}
}

/* As git request-pull shows it: git diff -M --stat base..tip. */
static gboolean diffstat(Run *r, GError **error)
{
	g_autoptr(git_tree) old = NULL, new = NULL;
	g_autoptr(git_diff) diff = NULL;
	g_autoptr(git_diff_stats) stats = NULL;
	git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;

	find.flags = GIT_DIFF_FIND_RENAMES;
	if (!commit_tree(r, &r->base, &old) || !commit_tree(r, &r->tip, &new) ||
	    pc_git_diff_trees(&diff, r->repo, old, new, 0) < 0 ||
	    git_diff_find_similar(diff, &find) < 0 ||
	    git_diff_get_stats(&stats, diff) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot diff %s against its base",
				r->out->tip_commit);
	r->out->files_changed = git_diff_stats_files_changed(stats);
	r->out->insertions = git_diff_stats_insertions(stats);
	r->out->deletions = git_diff_stats_deletions(stats);
	list_changed(r, diff);
	return TRUE;
}

static gboolean stats(Run *r, GError **error)
{
	find_base(r);
	if (!r->have_base)
		return TRUE;
	r->out->base_commit = hex(&r->base);
	return count_commits(r, error) && diffstat(r, error);
}

/* --- the merge with mainline ------------------------------------------- */

static void list_conflicts(Run *r)
{
	g_autoptr(git_index_conflict_iterator) it = NULL;
	g_autoptr(GString) names = g_string_new(NULL);
	const git_index_entry *anc, *ours, *theirs;
	GPtrArray *paths = r->out->merge_conflicts;

	if (git_index_conflict_iterator_new(&it, r->merged) < 0)
		return;
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0)
		g_ptr_array_add(paths, g_strdup(ours ? ours->path :
						theirs ? theirs->path :
						anc->path));
	for (guint i = 0; i < paths->len && i < MAX_LISTED; i++)
		g_string_append_printf(names, "%s%s", i ? ", " : "",
				       (char *)paths->pdata[i]);
	if (paths->len > MAX_LISTED)
		g_string_append_printf(names, " and %u more",
				       paths->len - MAX_LISTED);
	add(r, "merge-conflict", PC_SEVERITY_WARNING,
	    "Merging %s into mainline (%.12s) conflicts in %u file%s: %s.",
	    r->out->resolved_ref, r->out->mainline_commit, paths->len,
	    paths->len == 1 ? "" : "s", names->str);
}

/* The tree of @id into r->merged_tree. */
static gboolean tree_of(Run *r, const git_oid *id)
{
	g_autoptr(git_commit) commit = NULL;

	if (git_commit_lookup(&commit, r->repo, id) < 0)
		return FALSE;
	git_oid_cpy(&r->merged_tree, git_commit_tree_id(commit));
	return TRUE;
}

/*
 * When one side contains the other the merge is that side's tree, with
 * nothing to conflict: no need for libgit2 to build an index of the
 * whole merged tree (a tenth of a second for the kernel).
 */
static int merge_trivially(Run *r)
{
	if (git_oid_equal(&r->mainline, &r->tip) ||
	    git_graph_descendant_of(r->repo, &r->mainline, &r->tip) == 1) {
		add(r, "already-merged", PC_SEVERITY_INFO,
		    "%s (%.12s) is already in mainline.",
		    r->out->resolved_ref, r->out->tip_commit);
		return tree_of(r, &r->mainline) ? 1 : -1;
	}
	if (git_graph_descendant_of(r->repo, &r->tip, &r->mainline) == 1)
		return tree_of(r, &r->tip) ? 1 : -1;
	return 0;
}

static gboolean check_merge(Run *r, GError **error)
{
	g_autoptr(git_commit) ours = NULL, theirs = NULL;
	git_merge_options mo = GIT_MERGE_OPTIONS_INIT;
	int trivial;

	r->out->mainline_commit = hex(&r->mainline);
	trivial = merge_trivially(r);
	if (trivial > 0)
		return TRUE;
	if (trivial < 0 ||
	    git_commit_lookup(&ours, r->repo, &r->mainline) < 0 ||
	    git_commit_lookup(&theirs, r->repo, &r->tip) < 0 ||
	    git_merge_commits(&r->merged, r->repo, ours, theirs, &mo) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot merge %s into mainline",
				r->out->tip_commit);
	if (git_index_has_conflicts(r->merged))
		list_conflicts(r);
	else if (git_index_write_tree_to(&r->merged_tree, r->merged,
					 r->repo) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot write the merge with mainline");
	return TRUE;
}

/* A real commit, so the merged tree can be named, built and reproduced. */
static gboolean merge_commit(Run *r, git_oid *id, GError **error)
{
	g_autoptr(git_commit) ours = NULL, theirs = NULL;
	g_autoptr(git_tree) tree = NULL;
	g_autoptr(git_signature) sig = NULL;
	g_autoptr(git_reference) ref = NULL;
	g_autofree char *msg = NULL, *name = NULL;
	const git_commit *parents[2];

	if (git_tree_lookup(&tree, r->repo, &r->merged_tree) < 0 ||
	    git_commit_lookup(&ours, r->repo, &r->mainline) < 0 ||
	    git_commit_lookup(&theirs, r->repo, &r->tip) < 0 ||
	    git_signature_new(&sig, "pullcheck", "pullcheck@localhost",
			      MAX(git_commit_time(ours),
				  git_commit_time(theirs)), 0) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot write the merge with mainline");
	parents[0] = ours;
	parents[1] = theirs;
	msg = g_strdup_printf("Merge %s of %s\n", r->out->resolved_ref,
			      r->out->url);
	name = g_strdup_printf(JOB_NS "%s/merge", r->job);
	if (git_commit_create(id, r->repo, NULL, sig, sig, NULL, msg, tree, 2,
			      parents) < 0 ||
	    git_reference_create(&ref, r->repo, name, id, 1,
				 "pullcheck: merge") < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot write the merge with mainline");
	return TRUE;
}

/* --- the tree's paths and sizes ----------------------------------------- */

static void worktree_options(const Run *r, PcWorktreeOptions *wo)
{
	memset(wo, 0, sizeof(*wo));
	wo->dir = r->opts->worktree;
	wo->store = r->opts->store;
	wo->max_file_bytes = r->opts->max_file_bytes;
	wo->max_tree_bytes = r->opts->max_tree_bytes;
}

/*
 * A tree that cannot be written safely, or is over the limits, is the
 * pull request's: a finding that names the path, not a failure of ours
 * (and nothing to retry). FALSE when @local was something else.
 */
static gboolean refused_tree(Run *r, const GError *local)
{
	g_autofree char *tip = hex(&r->tip);

	if (local->domain != PC_WORKTREE_ERROR)
		return FALSE;
	if (local->code == PC_WORKTREE_ERROR_UNSAFE)
		add(r, "tree-unsafe", PC_SEVERITY_INFRA,
		    "The tree of %s cannot be checked out safely, so it was "
		    "not built: %s.", tip, local->message);
	else if (local->code == PC_WORKTREE_ERROR_TOO_LARGE)
		add(r, "tree-too-large", PC_SEVERITY_INFRA,
		    "The tree of %s is larger than this installation checks "
		    "out, so it was not built: %s.", tip, local->message);
	else
		return FALSE;
	return TRUE;
}

/*
 * Before anything reads the tip's files (the statistics, the merge, the
 * checkout): its names and file sizes, where it differs from mainline.
 * FALSE with *@refused when it got a finding, without when our side
 * failed (@error set).
 */
static gboolean scan_tip(Run *r, gboolean *refused, GError **error)
{
	g_autoptr(git_tree) known = NULL, tip = NULL;
	g_autoptr(GError) local = NULL;
	PcWorktreeOptions wo;

	*refused = FALSE;
	worktree_options(r, &wo);
	if (!commit_tree(r, &r->tip, &tip) ||
	    !commit_tree(r, &r->mainline, &known))
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot read the tree to check");
	if (pc_worktree_check_tree(r->repo, &wo, known, tip, &local))
		return TRUE;
	*refused = refused_tree(r, local);
	if (!*refused)
		g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static gboolean checkout(Run *r, const git_oid *id, GError **error)
{
	g_autoptr(GError) local = NULL;
	PcWorktreeOptions wo;

	worktree_options(r, &wo);
	if (pc_worktree_checkout(&wo, id, r->out->rust_files, &local)) {
		r->out->worktree = g_strdup(wo.dir);
		return TRUE;
	}
	if (refused_tree(r, local))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

static gboolean build_tree(Run *r, GError **error)
{
	gboolean merge = !g_strcmp0(r->opts->tree, PC_FETCH_TREE_MERGE);
	git_oid id;

	git_oid_cpy(&id, &r->tip);
	if (merge && r->out->merge_conflicts->len)
		add(r, "tree-tip", PC_SEVERITY_INFO,
		    "The merge with mainline conflicts, so the tip of %s is "
		    "checked out instead.", r->out->resolved_ref);
	else if (merge && !merge_commit(r, &id, error))
		return FALSE;
	merge = merge && !r->out->merge_conflicts->len;
	r->out->tree_kind = g_strdup(merge ? PC_FETCH_TREE_MERGE :
					     PC_FETCH_TREE_TIP);
	r->out->tree_commit = hex(&id);
	return !r->opts->worktree || checkout(r, &id, error);
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
static gboolean lap(Run *r, const char *step, gboolean ok)
{
	gint64 now = g_get_monotonic_time();

	g_debug("job %s: %s took %.3f s", r->job, step, (now - r->lap) / 1e6);
	r->lap = now;
	return ok;
}

static gboolean run(Run *r, GError **error)
{
	gboolean refused;

	r->lap = g_get_monotonic_time();
	if (!check_options(r->opts, error) || !check_job_id(r->job, error))
		return FALSE;
	if (!check_request(r))
		return TRUE;
	r->repo = open_store(r->opts->store, error);
	if (!lap(r, "store", r->repo && ensure_mainline(r, error)))
		return FALSE;
	if (!lap(r, "fetch", fetch_pr(r)))
		return TRUE;
	if (!lap(r, "signature", check_signature(r, error)))
		return FALSE;
	if (!lap(r, "tree scan", scan_tip(r, &refused, error)))
		return refused;
	check_mail(r);
	return lap(r, "stats", stats(r, error)) &&
	       lap(r, "merge check", check_merge(r, error)) &&
	       lap(r, "tree and checkout", build_tree(r, error));
}

gboolean pc_fetch_run(const PcFetchOptions *opts, const char *job_id,
		      const PcPullreq *pr, PcFetchResult *out, GError **error)
{
	Run r = { .opts = opts, .job = job_id, .pr = pr, .out = out };
	gint64 start = g_get_monotonic_time();
	gboolean ok;

	result_init(out, pr);
	ok = run(&r, error);
	git_index_free(r.merged);
	git_repository_free(r.repo);
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
}

gboolean pc_fetch_forget(const PcFetchOptions *opts, const char *job_id,
			 GError **error)
{
	g_autoptr(git_repository) repo = NULL;
	g_autoptr(git_reference_iterator) it = NULL;
	g_autofree char *glob = NULL;
	git_reference *ref;
	int rc;

	if (!check_options(opts, error) || !check_job_id(job_id, error))
		return FALSE;
	repo = open_store(opts->store, error);
	if (!repo)
		return FALSE;
	glob = g_strdup_printf(JOB_NS "%s/*", job_id);
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot list the refs of job %s", job_id);
	while ((rc = git_reference_next(&ref, it)) == 0) {
		rc = git_reference_delete(ref);
		git_reference_free(ref);
		if (rc < 0)
			break;
	}
	if (rc != GIT_ITEROVER)
		return git_fail(error, PC_FETCH_ERROR_STORE,
				"cannot delete the refs of job %s", job_id);
	return TRUE;
}
