// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch_git: mainline's fetch through git itself, for `pullcheck
 * mainline` and a job's first mainline fetch (fetch.h). Only there: the
 * URL is the operator's ([fetch] mainline_url), never a mail's, and the
 * pull requests' fetches stay on libgit2 with stream.c's checks.
 *
 * Why git: on the 200,000-commit scale repository (tests/bench/fetch/
 * scale.sh) the first fetch through libgit2 1.5.1 took 271.7 s against
 * 110.5 s for `git clone --bare` (2.46x wall, 2.18x CPU, 532 against
 * 311 MiB peak RSS), 77% of it in git_indexer_commit resolving deltas on
 * one thread; git's index-pack resolves them on every core, and is
 * faster per object besides. git is already in the package's Depends
 * (`pullcheck maintain` runs git gc).
 *
 * git runs with nothing from outside: no system or global config (an
 * empty HOME), no hooks, no credential helpers, no prompt, protocols
 * git, http(s) and file only, no redirect followed, in the C locale; in
 * a process group of its own, killed whole at the time limit or when
 * what it received passes the byte limit. What it received is the size
 * of the pack index-pack is writing (objects/pack/tmp_pack_*), read
 * four times a second, and its own "Receiving objects" count. Its
 * --progress output (bounded lines) gives objects, bytes and the
 * indexing to the caller's progress function.
 *
 * The first fetch is `git clone --bare --reference STORE` into
 * STORE.clone, whose packs are then hard-linked into the store: unlike
 * `git fetch`, a clone skips the walk of every object that checks the
 * pack is connected, since index-pack checked it (on the scale
 * repository that walk alone is 20 s of CPU and 517 MiB). Later ones
 * are `git fetch`. With --no-local, a path is cloned through
 * upload-pack and index-pack too, within the same limits.
 *
 * The fetch writes its refs under refs/pullcheck/seed/fetched/ first;
 * fetch.c moves them to mainline's only when the fetch stayed within
 * its limits, so a fetch stopped half-way leaves mainline as it was.
 */
#define G_LOG_DOMAIN "pullcheck-fetch"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetch.h"
#include "fetch_run.h"
#include "terminal.h"

#define GIT "/usr/bin/git"
#define TICK_MS 250
#define MAX_LINE 512		/* a progress line; the rest is dropped */
#define MAX_ERROR 1024		/* git's last error, continued lines too */
#define MAX_STDOUT (1 << 20)	/* ls-remote's answer for HEAD */
#define PROGRESS_EVERY_US (G_USEC_PER_SEC / 2)

typedef struct {
	const PcFetchOptions *opts;
	guint timeout;
	guint64 max_bytes;
	gint64 start, deadline;
	char *pack_dir;
	char *home;		/* an empty HOME for git */
	const char *clone;	/* git clone into this; NULL: git fetch */
	PcFetchProgress progress;
	gint64 told;
	guint64 stat_bytes;	/* the pack being written, at most */
	GHashTable *packs_before;	/* pack-*.pack names before git ran */
	GString *line;		/* stderr's line being read */
	gboolean line_cut;	/* it is longer than MAX_LINE */
	GString *out;		/* stdout */
	char *last_error;	/* git's last "fatal:" or "error:" line */
	char *why;		/* the limit that stopped git */
} GitRun;

static void git_run_clear(GitRun *g)
{
	if (g->home) {
		g_rmdir(g->home);
		g_free(g->home);
	}
	g_free(g->pack_dir);
	g_clear_pointer(&g->packs_before, g_hash_table_unref);
	if (g->line)
		g_string_free(g->line, TRUE);
	if (g->out)
		g_string_free(g->out, TRUE);
	g_free(g->last_error);
	g_free(g->why);
	memset(g, 0, sizeof(*g));
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(GitRun, git_run_clear)

/* --- what git says on stderr ------------------------------------------- */

/* "12.34 MiB" at @s, in bytes; FALSE when it is not a size. */
static gboolean parse_size(const char *s, guint64 *bytes)
{
	static const struct {
		const char *unit;
		guint64 scale;
	} units[] = { { "GiB", 1 << 30 }, { "MiB", 1 << 20 },
		      { "KiB", 1 << 10 }, { "bytes", 1 }, { "byte", 1 } };
	char *end;
	double v = g_ascii_strtod(s, &end);

	if (end == s || v < 0 || *end != ' ')
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(units); i++)
		if (g_str_has_prefix(end + 1, units[i].unit)) {
			*bytes = (guint64)(v * units[i].scale);
			return TRUE;
		}
	return FALSE;
}

/* "(12/345)" in @s: done and total. */
static gboolean parse_count(const char *s, guint64 *done, guint64 *total)
{
	const char *open = strchr(s, '(');
	unsigned long long a, b;
	char close;

	if (!open || sscanf(open, "(%llu/%llu%c", &a, &b, &close) != 3 ||
	    close != ')')
		return FALSE;
	*done = a;
	*total = b;
	return TRUE;
}

gboolean pc_fetch_git_progress_line(const char *line, PcFetchProgress *p)
{
	const char *rest;
	guint64 bytes;

	if (g_str_has_prefix(line, "Receiving objects:") ||
	    g_str_has_prefix(line, "Unpacking objects:")) {
		if (!parse_count(line, &p->objects, &p->total_objects))
			return FALSE;
		p->phase = PC_FETCH_PHASE_RECEIVE;
		rest = strstr(line, "), ");
		if (rest && parse_size(rest + 3, &bytes) && bytes > p->bytes)
			p->bytes = bytes;
		return TRUE;
	}
	if (g_str_has_prefix(line, "Resolving deltas:")) {
		if (!parse_count(line, &p->deltas, &p->total_deltas))
			return FALSE;
		p->phase = PC_FETCH_PHASE_INDEX;
		/* Every object arrived before the deltas are resolved. */
		p->objects = p->total_objects;
		return TRUE;
	}
	return FALSE;
}

static void tell(GitRun *g, gboolean now)
{
	gint64 t = g_get_monotonic_time();

	if (!g->opts->on_progress ||
	    (!now && t - g->told < PROGRESS_EVERY_US))
		return;
	g->progress.elapsed_s = (t - g->start) / (double)G_USEC_PER_SEC;
	g->told = t;
	g->opts->on_progress(&g->progress, g->opts->progress_data);
}

/* One line of stderr, without its \r or \n. */
static void take_line(GitRun *g, const char *line)
{
	PcFetchPhase before = g->progress.phase;

	if (pc_fetch_git_progress_line(line, &g->progress)) {
		tell(g, g->progress.phase != before);
		return;
	}
	if (g_str_has_prefix(line, "fatal: ") ||
	    g_str_has_prefix(line, "error: ")) {
		g_free(g->last_error);
		g->last_error = pc_terminal_escape(line, PC_TERMINAL_LINE);
	} else if (g->last_error && strlen(g->last_error) < MAX_ERROR &&
		   !g_str_has_prefix(line, "remote: ")) {
		/* "fatal: unable to connect to h:" and then the why. */
		g_autofree char *more = pc_terminal_escape(line,
							   PC_TERMINAL_LINE);
		char *both = g_strconcat(g->last_error, " ", more, NULL);

		g_free(g->last_error);
		g->last_error = both;
	}
}

static void take_stderr(GitRun *g, const char *buf, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			if (g->line->len)
				take_line(g, g->line->str);
			g_string_truncate(g->line, 0);
			g->line_cut = FALSE;
		} else if (g->line->len < MAX_LINE) {
			g_string_append_c(g->line, buf[i]);
		} else {
			g->line_cut = TRUE;
		}
	}
}

/* --- the limits -------------------------------------------------------- */

/* What index-pack (tmp_pack_*) and a dumb HTTP fetch (*.temp) write. */
static guint64 receiving_bytes(const GitRun *g)
{
	g_autoptr(GDir) dir = g_dir_open(g->pack_dir, 0, NULL);
	const char *name;
	guint64 n = 0;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = NULL;
		struct stat st;

		if (!g_str_has_prefix(name, "tmp_pack_") &&
		    !g_str_has_suffix(name, ".temp"))
			continue;
		path = g_build_filename(g->pack_dir, name, NULL);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			n += st.st_size;
	}
	return n;
}

/*
 * Why git must stop now, or NULL. The pack's size counts only while it
 * is received: index-pack then appends the bases of a thin pack to it,
 * which the server did not send.
 */
static char *over_limit(GitRun *g)
{
	if (g->progress.phase <= PC_FETCH_PHASE_RECEIVE) {
		g->stat_bytes = MAX(g->stat_bytes, receiving_bytes(g));
		g->progress.bytes = MAX(g->progress.bytes, g->stat_bytes);
	}
	if (g->max_bytes && g->progress.bytes > g->max_bytes)
		return g_strdup_printf("the server sent more than the limit "
				       "of %" G_GUINT64_FORMAT " bytes",
				       g->max_bytes);
	if (g->deadline && g_get_monotonic_time() >= g->deadline)
		return g_strdup_printf(
			"%s did not finish within the time limit of %u "
			"seconds", g->progress.phase == PC_FETCH_PHASE_INDEX
			? "resolving the pack's deltas" : "the server",
			g->timeout);
	return NULL;
}

/* The names of the pack-*.pack files in objects/pack. */
static GHashTable *packs_now(const GitRun *g)
{
	GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, NULL);
	g_autoptr(GDir) dir = g_dir_open(g->pack_dir, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir)))
		if (g_str_has_prefix(name, "pack-") &&
		    g_str_has_suffix(name, ".pack"))
			g_hash_table_add(names, g_strdup(name));
	return names;
}

/*
 * After git: the packs it wrote, together. git's count of what it read
 * is not always printed (not for a pack that came at once), and the
 * pack was perhaps too quick for a tick to see.
 */
static guint64 new_pack_bytes(const GitRun *g)
{
	g_autoptr(GHashTable) now = packs_now(g);
	GHashTableIter it;
	gpointer name;
	guint64 n = 0;

	g_hash_table_iter_init(&it, now);
	while (g_hash_table_iter_next(&it, &name, NULL)) {
		g_autofree char *path = NULL;
		struct stat st;

		if (g->packs_before && g_hash_table_contains(g->packs_before,
							     name))
			continue;
		path = g_build_filename(g->pack_dir, name, NULL);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			n += st.st_size;
	}
	return n;
}

static char *pack_over_limit(const GitRun *g)
{
	guint64 n;

	if (!g->max_bytes || (n = new_pack_bytes(g)) <= g->max_bytes)
		return NULL;
	return g_strdup_printf("the fetch brought a pack of %" G_GUINT64_FORMAT
			       " bytes, over the limit of %" G_GUINT64_FORMAT
			       " bytes", n, g->max_bytes);
}

/* Files a killed git leaves in objects/pack: its pack and index, half
 * written, and the .keep that guards a pack until its refs are set. */
static void remove_leftovers(const GitRun *g)
{
	g_autoptr(GDir) dir = g_dir_open(g->pack_dir, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(g->pack_dir, name,
							 NULL);
		g_autofree char *keep = NULL;

		if (g_str_has_prefix(name, "tmp_pack_") ||
		    g_str_has_prefix(name, "tmp_idx_") ||
		    g_str_has_prefix(name, "tmp_rev_") ||
		    g_str_has_suffix(name, ".temp")) {
			unlink(path);
		} else if (g_str_has_suffix(name, ".keep") &&
			   g_file_get_contents(path, &keep, NULL, NULL) &&
			   g_str_has_prefix(keep, "fetch-pack ")) {
			unlink(path);
		}
	}
}

/* --- running git ------------------------------------------------------- */

static void child_setup(gpointer data)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* The environment: nothing of ours but what git needs to run. */
static char **git_env(const GitRun *g)
{
	char **env = g_new0(char *, 10);
	guint n = 0;

	env[n++] = g_strdup("PATH=/usr/bin:/bin");
	env[n++] = g_strdup_printf("HOME=%s", g->home);
	env[n++] = g_strdup_printf("XDG_CONFIG_HOME=%s", g->home);
	env[n++] = g_strdup("LC_ALL=C");
	env[n++] = g_strdup("GIT_CONFIG_NOSYSTEM=1");
	env[n++] = g_strdup("GIT_CONFIG_GLOBAL=/dev/null");
	env[n++] = g_strdup("GIT_TERMINAL_PROMPT=0");
	env[n++] = g_strdup("GIT_PROTOCOL_FROM_USER=0");
	if (!g->clone)
		env[n++] = g_strdup_printf("GIT_DIR=%s", g->opts->store);
	return env;
}

/* git -c ... for every command: what may not come from anywhere else. */
static void add_config(GPtrArray *argv, const GitRun *g)
{
	static const char *const config[] = {
		"protocol.allow=never", "protocol.git.allow=always",
		"protocol.http.allow=always", "protocol.https.allow=always",
		"protocol.file.allow=always", "core.hooksPath=/dev/null",
		"credential.helper=", "core.askPass=", "http.followRedirects=false",
		"http.sslVerify=true", "http.proxy=", "core.fsmonitor=false",
		/* Always index-pack, whose pack's size can be watched. */
		"fetch.unpackLimit=1", "gc.auto=0", "maintenance.auto=false",
		"fetch.writeCommitGraph=false",
	};

	g_ptr_array_add(argv, g_strdup(GIT));
	for (guint i = 0; i < G_N_ELEMENTS(config); i++) {
		g_ptr_array_add(argv, g_strdup("-c"));
		g_ptr_array_add(argv, g_strdup(config[i]));
	}
	if (g->opts->ca_file) {
		g_ptr_array_add(argv, g_strdup("-c"));
		g_ptr_array_add(argv, g_strconcat("http.sslCAInfo=",
						  g->opts->ca_file, NULL));
	}
}

static void drain(GitRun *g, int *fd, gboolean is_stdout)
{
	char buf[16384];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (!is_stdout)
		take_stderr(g, buf, n);
	else if (g->out->len + n <= MAX_STDOUT)
		g_string_append_len(g->out, buf, n);
	else if (!g->why)
		g->why = g_strdup("the server's list of refs is too long");
}

/* Waits for @pid, killing its group at the deadline; its wait status. */
static int reap(GitRun *g, GPid pid)
{
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return status;
		if (!g->why)
			g->why = over_limit(g);
		if (g->why)
			kill(-pid, SIGKILL);
		g_usleep(20 * 1000);
	}
}

/*
 * Runs git with @args after the common -c options, reading its output
 * until it ends or a limit stops it (then its group is killed). TRUE
 * when it exited 0 within the limits; else @error says why.
 */
static gboolean run_git(GitRun *g, const char *const *args, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) env = git_env(g);
	int out = -1, err = -1, null;
	GPid pid;
	int status;
	gboolean ok;

	add_config(argv, g);
	for (guint i = 0; args[i]; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	g_string_truncate(g->out, 0);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ok = g_spawn_async_with_pipes_and_fds(
		NULL, (const char *const *)argv->pdata,
		(const char *const *)env, G_SPAWN_DO_NOT_REAP_CHILD |
		G_SPAWN_CLOEXEC_PIPES, child_setup, NULL, null, -1, -1, NULL,
		NULL, 0, &pid, NULL, &out, &err, error);
	if (null >= 0)
		close(null);
	if (!ok) {
		g_prefix_error(error, "cannot run git: ");
		return FALSE;
	}
	while ((out >= 0 || err >= 0) && !g->why) {
		struct pollfd p[2] = { { .fd = out, .events = POLLIN },
				       { .fd = err, .events = POLLIN } };

		if (poll(p, 2, TICK_MS) < 0 && errno != EINTR)
			break;
		if (out >= 0 && p[0].revents)
			drain(g, &out, TRUE);
		if (err >= 0 && p[1].revents)
			drain(g, &err, FALSE);
		if (!g->why)
			g->why = over_limit(g);
		tell(g, FALSE);
	}
	if (g->why)
		kill(-pid, SIGKILL);
	status = reap(g, pid);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	g_spawn_close_pid(pid);
	if (!g->why && g_spawn_check_wait_status(status, NULL))
		g->why = over_limit(g);
	if (!g->why && g_spawn_check_wait_status(status, NULL))
		g->why = pack_over_limit(g);
	if (g->why) {
		tell(g, TRUE);	/* how far it got */
		g_set_error_literal(error, PC_FETCH_ERROR,
				    PC_FETCH_ERROR_MAINLINE, g->why);
		return FALSE;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE,
			    "git %s failed: %s", args[0],
			    g->last_error ? g->last_error
					  : "it said nothing about why");
		return FALSE;
	}
	return TRUE;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void pc_fetch_git_remove_clone(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The branch a clone's HEAD names: "ref: refs/heads/x". */
static char *clone_head(const char *clone, GError **error)
{
	g_autofree char *path = g_build_filename(clone, "HEAD", NULL);
	g_autofree char *text = NULL;
	gsize n = 0;

	if (g_file_get_contents(path, &text, &n, NULL) && n < 1024 &&
	    g_str_has_prefix(text, "ref: refs/heads/") &&
	    strchr(text, '\n') == text + n - 1 && !strchr(text + 5, ' '))
		return g_strndup(text + strlen("ref: "),
				 n - strlen("ref: ") - 1);
	g_set_error_literal(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE,
			    "its HEAD names no branch");
	return NULL;
}

/* The branch the remote's HEAD names: "ref: refs/heads/x\tHEAD". */
static char *remote_head(GitRun *g, GError **error)
{
	const char *args[] = { "ls-remote", "--symref", "--",
			       g->opts->mainline_url, "HEAD", NULL };
	g_auto(GStrv) lines = NULL;

	if (!run_git(g, args, error))
		return NULL;
	lines = g_strsplit(g->out->str, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		const char *l = lines[i];
		const char *tab = strchr(l, '\t');

		if (g_str_has_prefix(l, "ref: refs/heads/") && tab &&
		    !strcmp(tab, "\tHEAD"))
			return g_strndup(l + strlen("ref: "),
					 tab - l - strlen("ref: "));
	}
	g_set_error_literal(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE,
			    "its HEAD names no branch");
	return NULL;
}

char *pc_fetch_git_mainline(const PcFetchOptions *opts, const char *clone,
			    guint timeout, guint64 max_bytes, GError **error)
{
	const char *fetch[] = {
		"fetch", "--progress", "--no-tags", "--atomic",
		"--no-write-fetch-head", "--no-auto-gc",
		"--no-auto-maintenance", "--no-recurse-submodules",
		"--no-show-forced-updates", "--",
		opts->mainline_url,
		"+refs/heads/*:" PC_FETCH_FETCHED_NS "heads/*",
		"+refs/tags/*:" PC_FETCH_FETCHED_NS "tags/*", NULL,
	};
	/* What the store has is not asked for again (its refs are haves). */
	const char *cloning[] = { "clone", "--bare", "--no-local", "--progress",
				  "--reference", opts->store, "--",
				  opts->mainline_url, clone, NULL };
	g_auto(GitRun) g = { .opts = opts, .clone = clone, .timeout = timeout,
			     .max_bytes = max_bytes };
	g_autofree char *head = NULL;

	g.start = g_get_monotonic_time();
	if (timeout)
		g.deadline = g.start + (gint64)timeout * G_USEC_PER_SEC;
	g.pack_dir = g_build_filename(clone ? clone : opts->store, "objects",
				      "pack", NULL);
	g.line = g_string_new(NULL);
	g.out = g_string_new(NULL);
	g.progress.phase = PC_FETCH_PHASE_CONNECT;
	tell(&g, TRUE);
	if (opts->mainline_url[0] == '-') {
		g_set_error_literal(error, PC_FETCH_ERROR,
				    PC_FETCH_ERROR_INVALID,
				    "not a URL: it starts with '-'");
		return NULL;
	}
	g.home = g_dir_make_tmp("pullcheck-git-XXXXXX", error);
	if (!g.home)
		return NULL;
	if (clone) {
		pc_fetch_git_remove_clone(clone);
		if (run_git(&g, cloning, error))
			head = clone_head(clone, error);
		if (!head)
			pc_fetch_git_remove_clone(clone);
	} else if (g_mkdir_with_parents(g.pack_dir, 0755) < 0) {
		g_set_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE,
			    "cannot create %s: %s", g.pack_dir,
			    g_strerror(errno));
	} else {
		/* Under the store's lock: what is there is a dead fetch's. */
		remove_leftovers(&g);
		g.packs_before = packs_now(&g);
		head = remote_head(&g, error);
		if (head && !run_git(&g, fetch, error))
			g_clear_pointer(&head, g_free);
		if (!head)
			remove_leftovers(&g);
	}
	if (!head)
		return NULL;
	g.progress.phase = PC_FETCH_PHASE_DONE;
	g.progress.objects = g.progress.total_objects;
	g.progress.deltas = g.progress.total_deltas;
	tell(&g, TRUE);
	return g_steal_pointer(&head);
}
