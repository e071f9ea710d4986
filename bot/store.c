// SPDX-License-Identifier: GPL-2.0-only
/*
 * store: SQLite in WAL mode, prepared statements only, BEGIN IMMEDIATE
 * around every change, PRAGMA user_version for migrations.
 */
#define G_LOG_DOMAIN "pullcheck-store"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "store.h"
#include "verdict.h"

G_DEFINE_QUARK(pc-store-error-quark, pc_store_error)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

struct _PcStore {
	sqlite3 *db;
};

/* One entry per schema version; a database at version N runs N.. on. */
static const char *const MIGRATIONS[] = {
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL,"
	"  body_sha256 TEXT NOT NULL,"
	"  source TEXT, subject TEXT, from_addr TEXT, thread TEXT,"
	"  state TEXT NOT NULL, reason TEXT, verdict TEXT, result_json TEXT,"
	"  reply_message_id TEXT, reply TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  reply_sent_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (message_id, body_sha256));"
	"CREATE INDEX jobs_state ON jobs (state, id);"
	"CREATE INDEX jobs_sender ON jobs (from_addr, reply_sent_at);"
	"CREATE TABLE job_events ("
	"  job_id INTEGER NOT NULL REFERENCES jobs (id),"
	"  at INTEGER NOT NULL, state TEXT NOT NULL, note TEXT);"
	"CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT);",
	/* 2: the message itself, so a job outlives its source's copy. */
	"ALTER TABLE jobs ADD COLUMN raw BLOB;"
	"ALTER TABLE jobs ADD COLUMN topic TEXT;"
	"CREATE INDEX jobs_thread ON jobs (thread, state);",
	/* 3: the repository, so only a request for it supersedes. */
	"ALTER TABLE jobs ADD COLUMN repo TEXT;",
	/* 4: a reply's envelope, one address a line, kept with the reply. */
	"ALTER TABLE jobs ADD COLUMN reply_rcpts TEXT;",
	/* 5: a re-check asked by mail: who asked (issue 14). */
	"ALTER TABLE jobs ADD COLUMN recheck_by TEXT;",
	/* 6: whether it went to a [reply] top_level recipient: 1, 0, NULL. */
	"ALTER TABLE jobs ADD COLUMN top_level INTEGER;",
	/* 7: fetches tried again ([fetch] retry_window), and since when. */
	("ALTER TABLE jobs ADD COLUMN fetch_tries INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE jobs ADD COLUMN fetch_since INTEGER NOT NULL DEFAULT 0;"),
	/* 8: when a merge acknowledgement said it was pulled (Unix s). */
	"ALTER TABLE jobs ADD COLUMN pulled_at INTEGER;",
};

/*
 * A full disk is SQLITE_FULL, or for a write the VFS could not finish
 * only "disk I/O error"; the errno SQLite saw tells it apart.
 */
static gboolean no_space(sqlite3 *db)
{
	int code = sqlite3_errcode(db) & 0xff;

	return code == SQLITE_FULL ||
	       ((code == SQLITE_IOERR || code == SQLITE_CANTOPEN) &&
		(sqlite3_system_errno(db) == ENOSPC ||
		 sqlite3_system_errno(db) == EDQUOT));
}

static gboolean sql_error(PcStore *store, GError **error, const char *what)
{
	if (no_space(store->db))
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_SQLITE,
			    "%s: no space left on %s", what,
			    sqlite3_db_filename(store->db, "main"));
	else
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_SQLITE,
			    "%s: %s", what, sqlite3_errmsg(store->db));
	return FALSE;
}

static sqlite3_stmt *prepare(PcStore *store, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		sql_error(store, error, "prepare");
		return NULL;
	}
	return stmt;
}

static gboolean exec(PcStore *store, const char *sql, GError **error)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_error(store, error, sql);
	return TRUE;
}

/* Runs a statement that returns no rows; finalises it. */
static gboolean step_done(PcStore *store, sqlite3_stmt *stmt, GError **error)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return sql_error(store, error, "step");
	return TRUE;
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text)
{
	sqlite3_bind_text(stmt, i, text, -1, SQLITE_TRANSIENT);
}

static gint64 now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static gboolean migrate(PcStore *store, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(store, "PRAGMA user_version",
					       error);
	int version;

	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW)
		return stmt ? sql_error(store, error, "user_version") : FALSE;
	version = sqlite3_column_int(stmt, 0);
	if (version > (int)G_N_ELEMENTS(MIGRATIONS)) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_VERSION,
			    "the database is at schema version %d, newer than "
			    "this pullcheck knows (%d)",
			    version, (int)G_N_ELEMENTS(MIGRATIONS));
		return FALSE;
	}
	for (; version < (int)G_N_ELEMENTS(MIGRATIONS); version++) {
		g_autofree char *bump = g_strdup_printf(
			"PRAGMA user_version = %d", version + 1);

		if (!exec(store, "BEGIN IMMEDIATE", error))
			return FALSE;
		if (!exec(store, MIGRATIONS[version], error) ||
		    !exec(store, bump, error)) {
			exec(store, "ROLLBACK", NULL);
			return FALSE;
		}
		if (!exec(store, "COMMIT", error))
			return FALSE;
	}
	return TRUE;
}

PcStore *pc_store_open_readonly(const char *path, GError **error)
{
	g_autofree PcStore *store = g_new0(PcStore, 1);
	g_autoptr(sqlite3_stmt) stmt = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(store->db, 10000);
		stmt = prepare(store, "PRAGMA user_version", NULL);
	}
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_SQLITE,
			    "%s: %s", path,
			    store->db ? sqlite3_errmsg(store->db)
				      : sqlite3_errstr(rc));
		g_clear_pointer(&stmt, sqlite3_finalize);
		sqlite3_close(store->db);
		return NULL;
	}
	rc = sqlite3_column_int(stmt, 0);
	if (rc != (int)G_N_ELEMENTS(MIGRATIONS)) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_VERSION,
			    "%s: the database is at schema version %d; this "
			    "pullcheck reads version %d (run watch once to "
			    "migrate it)", path, rc, (int)G_N_ELEMENTS(MIGRATIONS));
		g_clear_pointer(&stmt, sqlite3_finalize);
		sqlite3_close(store->db);
		return NULL;
	}
	return g_steal_pointer(&store);
}

char *pc_store_path(const char *state_dir)
{
	return g_build_filename(state_dir, "pullcheck.db", NULL);
}

PcStore *pc_store_open(const char *path, GError **error)
{
	g_autofree PcStore *store = g_new0(PcStore, 1);
	int rc;

	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_SQLITE,
			    "%s: %s", path,
			    store->db ? sqlite3_errmsg(store->db)
				      : sqlite3_errstr(rc));
		sqlite3_close(store->db);
		return NULL;
	}
	sqlite3_busy_timeout(store->db, 10000);
	if (!exec(store, "PRAGMA journal_mode = WAL", error) ||
	    !exec(store, "PRAGMA synchronous = FULL", error) ||
	    !exec(store, "PRAGMA foreign_keys = ON", error) ||
	    !migrate(store, error)) {
		g_prefix_error(error, "%s: ", path);
		sqlite3_close(store->db);
		return NULL;
	}
	return g_steal_pointer(&store);
}

void pc_store_close(PcStore *store)
{
	if (!store)
		return;
	sqlite3_close(store->db);
	g_free(store);
}

static gboolean add_event(PcStore *store, gint64 id, const char *state,
			  const char *note, GError **error)
{
	sqlite3_stmt *stmt = prepare(store,
				     "INSERT INTO job_events (job_id, at, state,"
				     " note) VALUES (?, ?, ?, ?)",
				     error);

	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now());
	bind_text(stmt, 3, state);
	bind_text(stmt, 4, note);
	return step_done(store, stmt, error);
}

/* Runs @body between BEGIN IMMEDIATE and COMMIT, rolling back on error. */
typedef gboolean (*TxnFunc)(PcStore *store, gpointer data, GError **error);

static gboolean in_transaction(PcStore *store, TxnFunc body, gpointer data,
			       GError **error)
{
	if (!exec(store, "BEGIN IMMEDIATE", error))
		return FALSE;
	if (!body(store, data, error)) {
		exec(store, "ROLLBACK", NULL);
		return FALSE;
	}
	return exec(store, "COMMIT", error);
}

typedef struct {
	const PcStoreJob *job;
	gint64 *id;
	gboolean *is_new;
} AddJob;

static gboolean find_job(PcStore *store, const char *message_id,
			 const char *body_sha256, gint64 *id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT id FROM jobs WHERE message_id = ? AND body_sha256 = ?",
		error);
	int rc;

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, message_id);
	bind_text(stmt, 2, body_sha256);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_DONE)
		return sql_error(store, error, "find job");
	return TRUE;
}

static gboolean add_job_txn(PcStore *store, gpointer data, GError **error)
{
	AddJob *a = data;
	const PcStoreJob *job = a->job;
	sqlite3_stmt *stmt;
	gint64 t = now();

	*a->id = 0;
	if (!find_job(store, job->message_id, job->body_sha256, a->id, error))
		return FALSE;
	*a->is_new = *a->id == 0;
	if (!*a->is_new)
		return TRUE;
	stmt = prepare(store,
		       "INSERT INTO jobs (message_id, body_sha256, source,"
		       " subject, from_addr, thread, state, reason,"
		       " received_at, updated_at, raw, topic, repo, recheck_by,"
		       " top_level)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		       error);
	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, job->message_id);
	bind_text(stmt, 2, job->body_sha256);
	bind_text(stmt, 3, job->source);
	bind_text(stmt, 4, job->subject);
	bind_text(stmt, 5, job->from_addr);
	bind_text(stmt, 6, job->thread);
	bind_text(stmt, 7, job->state ? job->state : PC_STATE_RECEIVED);
	bind_text(stmt, 8, job->reason);
	sqlite3_bind_int64(stmt, 9, job->received_at ? job->received_at : t);
	sqlite3_bind_int64(stmt, 10, t);
	if (job->raw) {
		gsize len;
		const void *raw = g_bytes_get_data(job->raw, &len);

		sqlite3_bind_blob64(stmt, 11, raw ? raw : "", len,
				    SQLITE_STATIC);
	}
	bind_text(stmt, 12, job->topic);
	bind_text(stmt, 13, job->repo);
	bind_text(stmt, 14, job->recheck_by);
	if (job->top_level != PC_STORE_TOP_LEVEL_UNKNOWN)
		sqlite3_bind_int(stmt, 15,
				 job->top_level == PC_STORE_TOP_LEVEL_YES);
	if (!step_done(store, stmt, error))
		return FALSE;
	*a->id = sqlite3_last_insert_rowid(store->db);
	return add_event(store, *a->id,
			 job->state ? job->state : PC_STATE_RECEIVED,
			 job->reason, error);
}

gboolean pc_store_add_job(PcStore *store, const PcStoreJob *job, gint64 *id,
			  gboolean *is_new, GError **error)
{
	AddJob a = { job, id, is_new };

	return in_transaction(store, add_job_txn, &a, error);
}

typedef struct {
	gint64 id;
	const char *from, *to, *reason;
} Transition;

static gboolean transition_txn(PcStore *store, gpointer data, GError **error)
{
	Transition *t = data;
	sqlite3_stmt *stmt;

	if (t->from && !pc_jobstate_may_move(t->from, t->to)) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_MOVE,
			    "job %" G_GINT64_FORMAT ": no move from %s to %s",
			    t->id, t->from, t->to);
		return FALSE;
	}
	stmt = prepare(store,
		       "UPDATE jobs SET state = ?, reason = coalesce(?, reason),"
		       " updated_at = ? WHERE id = ? AND (? IS NULL OR state = ?)",
		       error);
	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, t->to);
	bind_text(stmt, 2, t->reason);
	sqlite3_bind_int64(stmt, 3, now());
	sqlite3_bind_int64(stmt, 4, t->id);
	bind_text(stmt, 5, t->from);
	bind_text(stmt, 6, t->from);
	if (!step_done(store, stmt, error))
		return FALSE;
	if (sqlite3_changes(store->db) != 1) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE,
			    "job %" G_GINT64_FORMAT " is not %s", t->id,
			    t->from ? t->from : "there");
		return FALSE;
	}
	return add_event(store, t->id, t->to, t->reason, error);
}

gboolean pc_store_transition(PcStore *store, gint64 id, const char *from,
			     const char *to, const char *reason,
			     GError **error)
{
	Transition t = { id, from, to, reason };

	return in_transaction(store, transition_txn, &t, error);
}

#define JOB_COLUMNS                                                         \
	"id, message_id, body_sha256, source, subject, from_addr, thread,"  \
	" state, reason, verdict, result_json, reply_message_id, reply,"    \
	" attempts, received_at, updated_at, next_attempt_at, reply_sent_at," \
	" topic, repo, reply_rcpts, recheck_by, top_level, fetch_tries,"    \
	" fetch_since, pulled_at"

static char *column_dup(sqlite3_stmt *stmt, int i)
{
	const char *text = (const char *)sqlite3_column_text(stmt, i);

	return text ? g_strdup(text) : NULL;
}

static PcStoreJob *job_from_row(sqlite3_stmt *stmt)
{
	PcStoreJob *job = g_new0(PcStoreJob, 1);

	job->id = sqlite3_column_int64(stmt, 0);
	job->message_id = column_dup(stmt, 1);
	job->body_sha256 = column_dup(stmt, 2);
	job->source = column_dup(stmt, 3);
	job->subject = column_dup(stmt, 4);
	job->from_addr = column_dup(stmt, 5);
	job->thread = column_dup(stmt, 6);
	job->state = column_dup(stmt, 7);
	job->reason = column_dup(stmt, 8);
	job->verdict = column_dup(stmt, 9);
	job->result_json = column_dup(stmt, 10);
	job->reply_message_id = column_dup(stmt, 11);
	job->reply = column_dup(stmt, 12);
	job->attempts = sqlite3_column_int(stmt, 13);
	job->received_at = sqlite3_column_int64(stmt, 14);
	job->updated_at = sqlite3_column_int64(stmt, 15);
	job->next_attempt_at = sqlite3_column_int64(stmt, 16);
	job->reply_sent_at = sqlite3_column_int64(stmt, 17);
	job->topic = column_dup(stmt, 18);
	job->repo = column_dup(stmt, 19);
	if (sqlite3_column_text(stmt, 20))
		job->reply_rcpts = g_strsplit(
			(const char *)sqlite3_column_text(stmt, 20), "\n", -1);
	job->recheck_by = column_dup(stmt, 21);
	if (sqlite3_column_type(stmt, 22) != SQLITE_NULL)
		job->top_level = sqlite3_column_int(stmt, 22)
					 ? PC_STORE_TOP_LEVEL_YES
					 : PC_STORE_TOP_LEVEL_NO;
	job->fetch_tries = sqlite3_column_int(stmt, 23);
	job->fetch_since = sqlite3_column_int64(stmt, 24);
	job->pulled_at = sqlite3_column_int64(stmt, 25);
	return job;
}

/* The first row of @stmt as a job; NULL with no error when none. */
static PcStoreJob *one_job(PcStore *store, sqlite3_stmt *stmt, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return job_from_row(stmt);
	if (rc != SQLITE_DONE)
		sql_error(store, error, "read job");
	return NULL;
}

PcStoreJob *pc_store_get_job(PcStore *store, gint64 id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?", error);

	if (!stmt)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	return one_job(store, stmt, error);
}

PcStoreJob *pc_store_next_job(PcStore *store, const char *state, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT " JOB_COLUMNS " FROM jobs WHERE state = ?"
		" AND next_attempt_at <= ? ORDER BY id LIMIT 1",
		error);

	if (!stmt)
		return NULL;
	bind_text(stmt, 1, state);
	sqlite3_bind_int64(stmt, 2, now());
	return one_job(store, stmt, error);
}

/* Every row of @stmt as a job. (transfer full, PcStoreJob*) */
static GPtrArray *all_jobs(PcStore *store, sqlite3_stmt *stmt,
			   const char *what, GError **error)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pc_store_job_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(jobs, job_from_row(stmt));
	if (rc != SQLITE_DONE) {
		sql_error(store, error, what);
		return NULL;
	}
	return g_steal_pointer(&jobs);
}

GPtrArray *pc_store_list_jobs(PcStore *store, guint limit, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store, "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?",
		error);
	if (!stmt)
		return NULL;
	sqlite3_bind_int64(stmt, 1, limit);
	return all_jobs(store, stmt, "list jobs", error);
}

GPtrArray *pc_store_list_jobs_received(PcStore *store, gint64 since,
				       gint64 until, guint limit,
				       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT " JOB_COLUMNS " FROM jobs WHERE received_at >= ?"
		" AND received_at < ? ORDER BY received_at DESC, id DESC LIMIT ?",
		error);
	if (!stmt)
		return NULL;
	sqlite3_bind_int64(stmt, 1, since);
	sqlite3_bind_int64(stmt, 2, until);
	sqlite3_bind_int64(stmt, 3, limit);
	return all_jobs(store, stmt, "list jobs received", error);
}

typedef struct {
	gint64 id;
	const char *verdict, *result_json, *reply_message_id, *reply;
	const char *reply_rcpts;	/* one address a line */
} SetReply;

static gboolean set_reply_txn(PcStore *store, gpointer data, GError **error)
{
	SetReply *r = data;
	g_autofree const char **from = pc_jobstate_sources(PC_STATE_REPORTING);
	g_autofree char *set = pc_jobstate_sql_set(from);
	g_autofree char *sql = g_strdup_printf(
		"UPDATE jobs SET verdict = ?, result_json = ?,"
		" reply_message_id = ?, reply = ?, reply_rcpts = ?,"
		" state = '" PC_STATE_REPORTING "', updated_at = ?"
		" WHERE id = ? AND reply_sent_at = 0 AND state IN %s", set);
	sqlite3_stmt *stmt = prepare(store, sql, error);

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, r->verdict);
	bind_text(stmt, 2, r->result_json);
	bind_text(stmt, 3, r->reply_message_id);
	bind_text(stmt, 4, r->reply);
	bind_text(stmt, 5, r->reply_rcpts);
	sqlite3_bind_int64(stmt, 6, now());
	sqlite3_bind_int64(stmt, 7, r->id);
	if (!step_done(store, stmt, error))
		return FALSE;
	if (sqlite3_changes(store->db) != 1) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE,
			    "job %" G_GINT64_FORMAT " has replied or was "
			    "superseded",
			    r->id);
		return FALSE;
	}
	return add_event(store, r->id, PC_STATE_REPORTING, r->verdict, error);
}

gboolean pc_store_set_reply(PcStore *store, gint64 id, const char *verdict,
			    const char *result_json,
			    const char *reply_message_id, const char *reply,
			    const char *const *reply_rcpts, GError **error)
{
	g_autofree char *rcpts = reply_rcpts
		? g_strjoinv("\n", (char **)reply_rcpts) : NULL;
	SetReply r = { id, verdict, result_json, reply_message_id, reply,
		       rcpts };

	return in_transaction(store, set_reply_txn, &r, error);
}

static gboolean mark_sent_txn(PcStore *store, gpointer data, GError **error)
{
	gint64 id = *(gint64 *)data;
	sqlite3_stmt *stmt = prepare(
		store,
		"UPDATE jobs SET state = '" PC_STATE_REPLIED "',"
		" reply_sent_at = ?, updated_at = ?"
		" WHERE id = ? AND state = '" PC_STATE_REPORTING "'",
		error);

	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, now());
	sqlite3_bind_int64(stmt, 2, now());
	sqlite3_bind_int64(stmt, 3, id);
	if (!step_done(store, stmt, error))
		return FALSE;
	if (sqlite3_changes(store->db) != 1) {
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE,
			    "job %" G_GINT64_FORMAT " is not reporting", id);
		return FALSE;
	}
	return add_event(store, id, PC_STATE_REPLIED, NULL, error);
}

gboolean pc_store_mark_sent(PcStore *store, gint64 id, GError **error)
{
	return in_transaction(store, mark_sent_txn, &id, error);
}

typedef struct {
	gint64 id;
	const char *reason;
	gint64 retry_at;
	gboolean a_try;	/* counts as an attempt */
} Defer;

static gboolean defer_txn(PcStore *store, gpointer data, GError **error)
{
	Defer *d = data;
	sqlite3_stmt *stmt = prepare(
		store,
		"UPDATE jobs SET attempts = attempts + ?, reason = ?,"
		" next_attempt_at = ?, updated_at = ? WHERE id = ?",
		error);

	if (!stmt)
		return FALSE;
	sqlite3_bind_int(stmt, 1, d->a_try ? 1 : 0);
	bind_text(stmt, 2, d->reason);
	sqlite3_bind_int64(stmt, 3, d->retry_at);
	sqlite3_bind_int64(stmt, 4, now());
	sqlite3_bind_int64(stmt, 5, d->id);
	return step_done(store, stmt, error) &&
	       add_event(store, d->id, d->a_try ? "deferred" : "waiting",
			 d->reason, error);
}

gboolean pc_store_defer(PcStore *store, gint64 id, const char *reason,
			gint64 retry_at, GError **error)
{
	Defer d = { id, reason, retry_at, TRUE };

	return in_transaction(store, defer_txn, &d, error);
}

gboolean pc_store_wait(PcStore *store, gint64 id, const char *reason,
		       gint64 retry_at, GError **error)
{
	Defer d = { id, reason, retry_at, FALSE };

	return in_transaction(store, defer_txn, &d, error);
}

typedef struct {
	gint64 before;
	guint count;
	guint64 bytes;
} DropRaw;

static gboolean drop_raw_txn(PcStore *store, gpointer data, GError **error)
{
	DropRaw *d = data;
	g_autofree const char **open = pc_jobstate_sources(NULL);
	g_autofree char *set = pc_jobstate_sql_set(open);
	g_autofree char *where = g_strdup_printf(
		" WHERE raw IS NOT NULL AND updated_at < ?"
		" AND state NOT IN %s", set);
	g_autofree char *count_sql = g_strconcat(
		"SELECT count(*), coalesce(sum(length(raw)), 0) FROM jobs",
		where, NULL);
	g_autofree char *drop_sql = g_strconcat("UPDATE jobs SET raw = NULL",
						where, NULL);
	g_autoptr(sqlite3_stmt) count = prepare(store, count_sql, error);
	sqlite3_stmt *drop;

	if (!count)
		return FALSE;
	sqlite3_bind_int64(count, 1, d->before);
	if (sqlite3_step(count) != SQLITE_ROW)
		return sql_error(store, error, "count raw mails");
	d->count = sqlite3_column_int(count, 0);
	d->bytes = sqlite3_column_int64(count, 1);
	drop = prepare(store, drop_sql, error);
	if (!drop)
		return FALSE;
	sqlite3_bind_int64(drop, 1, d->before);
	return step_done(store, drop, error);
}

gboolean pc_store_drop_raw(PcStore *store, gint64 before, guint *count,
			   guint64 *bytes, GError **error)
{
	DropRaw d = { before, 0, 0 };

	if (!in_transaction(store, drop_raw_txn, &d, error))
		return FALSE;
	*count = d.count;
	*bytes = d.bytes;
	return TRUE;
}

gboolean pc_store_vacuum(PcStore *store, GError **error)
{
	/* The WAL holds the new copy until a checkpoint writes it back. */
	return exec(store, "VACUUM", error) &&
	       exec(store, "PRAGMA wal_checkpoint(TRUNCATE)", error);
}

typedef struct {
	gint64 id;
	const char *reason;
	gint64 retry_at;
	gint64 since;
} DeferFetch;

static gboolean defer_fetch_txn(PcStore *store, gpointer data, GError **error)
{
	DeferFetch *d = data;
	sqlite3_stmt *stmt = prepare(
		store,
		"UPDATE jobs SET fetch_tries = fetch_tries + 1,"
		" fetch_since = CASE fetch_since WHEN 0 THEN ? ELSE fetch_since"
		" END, reason = ?, next_attempt_at = ?, updated_at = ?"
		" WHERE id = ?",
		error);

	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, d->since);
	bind_text(stmt, 2, d->reason);
	sqlite3_bind_int64(stmt, 3, d->retry_at);
	sqlite3_bind_int64(stmt, 4, now());
	sqlite3_bind_int64(stmt, 5, d->id);
	return step_done(store, stmt, error) &&
	       add_event(store, d->id, "deferred", d->reason, error);
}

gboolean pc_store_defer_fetch(PcStore *store, gint64 id, const char *reason,
			      gint64 retry_at, gint64 since, GError **error)
{
	DeferFetch d = { id, reason, retry_at, since };

	return in_transaction(store, defer_fetch_txn, &d, error);
}

gboolean pc_store_count_replies(PcStore *store, const char *sender,
				gint64 since, guint *count, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT count(*) FROM jobs WHERE from_addr = ?"
		" AND reply_sent_at >= ? AND reply_sent_at > 0",
		error);

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, sender);
	sqlite3_bind_int64(stmt, 2, since);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return sql_error(store, error, "count replies");
	*count = sqlite3_column_int(stmt, 0);
	return TRUE;
}

gboolean pc_store_get_value(PcStore *store, const char *key, char **value,
			    GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store, "SELECT value FROM kv WHERE key = ?", error);
	int rc;

	*value = NULL;
	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*value = column_dup(stmt, 0);
	else if (rc != SQLITE_DONE)
		return sql_error(store, error, "get value");
	return TRUE;
}

gboolean pc_store_set_value(PcStore *store, const char *key,
			    const char *value, GError **error)
{
	sqlite3_stmt *stmt = prepare(
		store, "INSERT INTO kv (key, value) VALUES (?, ?)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		error);

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, key);
	bind_text(stmt, 2, value);
	return step_done(store, stmt, error);
}

GBytes *pc_store_get_raw(PcStore *store, gint64 id, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store, "SELECT raw FROM jobs WHERE id = ?", error);
	int rc;

	if (!stmt)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_BLOB)
		return g_bytes_new(sqlite3_column_blob(stmt, 0),
				   sqlite3_column_bytes(stmt, 0));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sql_error(store, error, "read message");
	else
		g_set_error(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE,
			    "job %" G_GINT64_FORMAT " has no stored message",
			    id);
	return NULL;
}

/* Moves every job in @state to @to, each with an event. */
typedef struct {
	const char *const *states;
	const char *to, *reason;
	const char *thread, *sender, *topic, *repo;	/* supersede only */
	gint64 below;			/* supersede only: older jobs */
	guint count;
} Sweep;

static gboolean sweep_txn(PcStore *store, gpointer data, GError **error)
{
	Sweep *w = data;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT id, state FROM jobs WHERE reply_sent_at = 0"
		" AND (?2 IS NULL OR (from_addr = ?2 AND id < ?3"
		"  AND repo = ?5 AND (thread = ?1 OR topic = ?4))) ORDER BY id",
		error);
	int rc;

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, w->thread);
	bind_text(stmt, 2, w->sender);
	sqlite3_bind_int64(stmt, 3, w->below);
	bind_text(stmt, 4, w->topic);
	bind_text(stmt, 5, w->repo);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		gint64 id = sqlite3_column_int64(stmt, 0);
		const char *state = (const char *)sqlite3_column_text(stmt, 1);

		if (state && g_strv_contains(w->states, state)) {
			g_array_append_val(ids, id);
			g_ptr_array_add(from, g_strdup(state));
		}
	}
	if (rc != SQLITE_DONE)
		return sql_error(store, error, "sweep");
	for (guint i = 0; i < ids->len; i++) {
		Transition t = { g_array_index(ids, gint64, i),
				 from->pdata[i], w->to, w->reason };

		if (!transition_txn(store, &t, error))
			return FALSE;
	}
	w->count = ids->len;
	return TRUE;
}

gboolean pc_store_recover(PcStore *store, guint *count, GError **error)
{
	static const char *const busy[] = { PC_STATE_FETCHING,
					    PC_STATE_BUILDING, NULL };
	Sweep w = { busy, PC_STATE_QUEUED,
		    "interrupted: the step starts again" };

	if (!in_transaction(store, sweep_txn, &w, error))
		return FALSE;
	*count = w.count;
	return TRUE;
}

gboolean pc_store_supersede(PcStore *store, const char *thread,
			    const char *topic, const char *sender,
			    const char *repo, gint64 newer, guint *count,
			    GError **error)
{
	g_autofree const char **open = pc_jobstate_sources(PC_STATE_SUPERSEDED);
	g_autofree char *reason = g_strdup_printf(
		"superseded by job %" G_GINT64_FORMAT, newer);
	Sweep w = { (const char *const *)open, PC_STATE_SUPERSEDED, reason,
		    thread, sender, topic,
		    repo, newer };

	*count = 0;
	if (!sender || !repo)
		return TRUE;
	if (!in_transaction(store, sweep_txn, &w, error))
		return FALSE;
	*count = w.count;
	return TRUE;
}

gboolean pc_store_thread_has_reply(PcStore *store, const char *thread,
				   const char *verdict, gboolean *found,
				   GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT 1 FROM jobs WHERE thread = ? AND verdict = ?"
		" AND reply_sent_at > 0 LIMIT 1",
		error);
	int rc;

	*found = FALSE;
	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, thread);
	bind_text(stmt, 2, verdict);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_error(store, error, "thread replies");
	*found = rc == SQLITE_ROW;
	return TRUE;
}

PcStoreJob *pc_store_find_checked(PcStore *store,
				  const char *const *message_ids,
				  GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT " JOB_COLUMNS " FROM jobs WHERE message_id = ?"
		" AND recheck_by IS NULL AND verdict IS NOT NULL"
		" AND verdict != '" PC_VERDICT_NOT_PR "' AND raw IS NOT NULL"
		" ORDER BY id DESC LIMIT 1",
		error);

	if (!stmt)
		return NULL;
	/* The nearest first: In-Reply-To, then References from the end. */
	for (const char *const *id = message_ids; id && *id; id++) {
		g_autoptr(GError) local = NULL;
		PcStoreJob *job;

		sqlite3_reset(stmt);
		bind_text(stmt, 1, *id);
		job = one_job(store, stmt, &local);
		if (local) {
			g_propagate_error(error, g_steal_pointer(&local));
			return NULL;
		}
		if (job)
			return job;
	}
	return NULL;
}

gboolean pc_store_mark_pulled(PcStore *store, const char *const *message_ids,
			      gint64 at, guint *count, GError **error)
{
	*count = 0;
	/* The nearest pull request of the thread that has a verdict. */
	for (const char *const *id = message_ids; id && *id && !*count; id++) {
		/* step_done finalizes it. */
		sqlite3_stmt *stmt = prepare(
			store,
			"UPDATE jobs SET pulled_at = ? WHERE message_id = ?"
			" AND pulled_at IS NULL AND verdict IS NOT NULL"
			" AND verdict != '" PC_VERDICT_NOT_PR "'",
			error);

		if (!stmt)
			return FALSE;
		sqlite3_bind_int64(stmt, 1, at);
		bind_text(stmt, 2, *id);
		if (!step_done(store, stmt, error))
			return FALSE;
		*count = sqlite3_changes(store->db);
	}
	return TRUE;
}

gboolean pc_store_count_rechecks(PcStore *store, const char *message_id,
				 gint64 since, guint *count, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT count(*) FROM jobs WHERE message_id = ?"
		" AND recheck_by IS NOT NULL AND received_at >= ?",
		error);

	if (!stmt)
		return FALSE;
	bind_text(stmt, 1, message_id);
	sqlite3_bind_int64(stmt, 2, since);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return sql_error(store, error, "count re-checks");
	*count = sqlite3_column_int(stmt, 0);
	return TRUE;
}

GPtrArray *pc_store_list_open(PcStore *store, GError **error)
{
	g_autofree const char **open = pc_jobstate_sources(NULL);
	g_autofree char *set = pc_jobstate_sql_set(open);
	g_autofree char *sql = g_strdup_printf(
		"SELECT " JOB_COLUMNS " FROM jobs WHERE state IN %s ORDER BY id",
		set);
	g_autoptr(sqlite3_stmt) stmt = prepare(store, sql, error);
	if (!stmt)
		return NULL;
	return all_jobs(store, stmt, "list open jobs", error);
}

gboolean pc_store_count_verdicts(PcStore *store, gint64 since,
				 GHashTable *counts, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT verdict, count(*) FROM jobs WHERE verdict IS NOT NULL"
		" AND updated_at >= ? GROUP BY verdict",
		error);
	int rc;

	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_insert(counts, column_dup(stmt, 0),
				    GUINT_TO_POINTER(sqlite3_column_int(stmt, 1)));
	if (rc != SQLITE_DONE)
		return sql_error(store, error, "count verdicts");
	return TRUE;
}

gboolean pc_store_next_due(PcStore *store, gint64 *at, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store,
		"SELECT min(next_attempt_at) FROM jobs WHERE state IN ('"
		PC_STATE_REPORTING "', '" PC_STATE_FAILED_INFRA "')"
		" AND next_attempt_at > ? AND next_attempt_at < ?",
		error);

	*at = 0;
	if (!stmt)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, now());
	sqlite3_bind_int64(stmt, 2, G_MAXINT64);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return sql_error(store, error, "next due");
	*at = sqlite3_column_int64(stmt, 0);
	return TRUE;
}

gboolean pc_store_count_states(PcStore *store, GHashTable *counts,
			       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = prepare(
		store, "SELECT state, count(*) FROM jobs GROUP BY state", error);
	int rc;

	if (!stmt)
		return FALSE;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_hash_table_insert(counts, column_dup(stmt, 0),
				    GUINT_TO_POINTER(sqlite3_column_int(stmt, 1)));
	if (rc != SQLITE_DONE)
		return sql_error(store, error, "count states");
	return TRUE;
}

void pc_store_job_clear(PcStoreJob *job)
{
	g_free(job->message_id);
	g_free(job->body_sha256);
	g_free(job->source);
	g_free(job->subject);
	g_free(job->from_addr);
	g_free(job->thread);
	g_free(job->topic);
	g_free(job->repo);
	g_free(job->state);
	g_free(job->reason);
	g_free(job->verdict);
	g_free(job->result_json);
	g_free(job->reply_message_id);
	g_free(job->reply);
	g_strfreev(job->reply_rcpts);
	g_free(job->recheck_by);
	g_clear_pointer(&job->raw, g_bytes_unref);
	memset(job, 0, sizeof(*job));
}

void pc_store_job_free(PcStoreJob *job)
{
	if (!job)
		return;
	pc_store_job_clear(job);
	g_free(job);
}
