// SPDX-License-Identifier: GPL-2.0-only
/*
 * The job store: a second copy of a message is no new job, a transition
 * from the wrong state is refused, a reply is stored before it is sent
 * and marked sent once, and a crash inside a transaction loses nothing
 * committed and keeps nothing half-written.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"

typedef struct {
	char *dir;
	char *path;
	PcStore *store;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("pc-store-XXXXXX", NULL);
	f->path = g_build_filename(f->dir, "pullcheck.db", NULL);
	f->store = pc_store_open(f->path, &error);
	g_assert_no_error(error);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	pc_store_close(f->store);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->path);
	g_free(f->dir);
}

static gint64 add(PcStore *store, const char *mid, const char *sha,
		  gboolean expect_new)
{
	PcStoreJob job = { .message_id = (char *)mid, .body_sha256 = (char *)sha,
			   .from_addr = (char *)"ann@example.org",
			   .state = (char *)PC_STATE_QUEUED };
	g_autoptr(GError) error = NULL;
	gboolean is_new;
	gint64 id;

	g_assert_true(pc_store_add_job(store, &job, &id, &is_new, &error));
	g_assert_no_error(error);
	g_assert_cmpint(is_new, ==, expect_new);
	g_assert_cmpint(id, >, 0);
	return id;
}

static void test_dedupe(Fixture *f, gconstpointer data)
{
	gint64 a = add(f->store, "m1@x", "aa", TRUE);
	gint64 b = add(f->store, "m1@x", "aa", FALSE);
	gint64 c = add(f->store, "m1@x", "bb", TRUE);	/* same id, new body */

	g_assert_cmpint(a, ==, b);
	g_assert_cmpint(a, !=, c);
}

static void test_transitions(Fixture *f, gconstpointer data)
{
	gint64 id = add(f->store, "m@x", "aa", TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(PcStoreJob) job = NULL;

	g_assert_true(pc_store_transition(f->store, id, PC_STATE_QUEUED,
					  PC_STATE_FETCHING, NULL, &error));
	/* A second worker cannot take it: it is no longer queued. */
	g_assert_false(pc_store_transition(f->store, id, PC_STATE_QUEUED,
					   PC_STATE_FETCHING, NULL, &error));
	g_assert_error(error, PC_STORE_ERROR, PC_STORE_ERROR_STATE);
	job = pc_store_get_job(f->store, id, NULL);
	g_assert_cmpstr(job->state, ==, PC_STATE_FETCHING);
	g_assert_null(pc_store_next_job(f->store, PC_STATE_QUEUED, NULL));
}

/*
 * One table of moves (jobstate.c): the store refuses a move it does not
 * hold even from the right state, and the sets of states the queries use
 * come from it.
 */
static void test_moves(Fixture *f, gconstpointer data)
{
	gint64 id = add(f->store, "m@x", "aa", TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(PcStoreJob) job = NULL;
	g_autofree const char **open = pc_jobstate_sources(NULL);
	g_autofree const char **reporting =
		pc_jobstate_sources(PC_STATE_REPORTING);
	g_autofree char *sql = pc_jobstate_sql_set(reporting);

	g_assert_false(pc_store_transition(f->store, id, PC_STATE_QUEUED,
					   PC_STATE_REPLIED, NULL, &error));
	g_assert_error(error, PC_STORE_ERROR, PC_STORE_ERROR_MOVE);
	g_assert_nonnull(strstr(error->message, "no move from queued to "
						"replied"));
	job = pc_store_get_job(f->store, id, NULL);
	g_assert_cmpstr(job->state, ==, PC_STATE_QUEUED);

	g_assert_true(pc_jobstate_may_move(PC_STATE_BUILDING, PC_STATE_QUEUED));
	g_assert_true(pc_jobstate_may_move(PC_STATE_REPORTING,
					   PC_STATE_SUPERSEDED));
	g_assert_false(pc_jobstate_may_move(PC_STATE_REPLIED,
					    PC_STATE_SUPERSEDED));
	g_assert_false(pc_jobstate_may_move(PC_STATE_IGNORED, PC_STATE_QUEUED));
	g_assert_false(pc_jobstate_may_move(PC_STATE_RECEIVED,
					    PC_STATE_REPLIED));
	g_assert_cmpuint(g_strv_length((char **)open), ==, 6);
	g_assert_false(g_strv_contains(open, PC_STATE_REPLIED));
	g_assert_cmpstr(sql, ==, "('queued', 'fetching', 'building', "
				 "'failed-infra')");
}

static void test_reply_once(Fixture *f, gconstpointer data)
{
	gint64 id = add(f->store, "m@x", "aa", TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(PcStoreJob) job = NULL;
	guint count = 99;
	const char *const rcpts[] = { "ann@example.org",
				      "linux-w@vger.kernel.org", NULL };

	g_assert_true(pc_store_set_reply(f->store, id, "fail", "{}",
					 "r@pullcheck", "Subject: x\n\nbody",
					 rcpts, &error));
	job = pc_store_get_job(f->store, id, NULL);
	g_assert_cmpstr(job->state, ==, PC_STATE_REPORTING);
	g_assert_cmpstr(job->reply_message_id, ==, "r@pullcheck");
	/* The envelope comes back as it was decided, not from the text. */
	g_assert_nonnull(job->reply_rcpts);
	g_assert_cmpstrv(job->reply_rcpts, rcpts);
	g_assert_cmpint(job->reply_sent_at, ==, 0);
	g_assert_true(pc_store_count_replies(f->store, "ann@example.org", 0,
					     &count, NULL));
	g_assert_cmpuint(count, ==, 0);
	g_assert_true(pc_store_mark_sent(f->store, id, &error));
	g_assert_false(pc_store_mark_sent(f->store, id, &error));
	g_clear_error(&error);
	/* Once sent, the reply cannot be replaced. */
	g_assert_false(pc_store_set_reply(f->store, id, "pass", "{}", "r2",
					  "x", rcpts, &error));
	g_clear_error(&error);
	g_assert_true(pc_store_count_replies(f->store, "ann@example.org", 0,
					     &count, NULL));
	g_assert_cmpuint(count, ==, 1);
}

static void test_values(Fixture *f, gconstpointer data)
{
	g_autofree char *v = NULL, *w = NULL;

	g_assert_true(pc_store_get_value(f->store, "imap.uidvalidity", &v, NULL));
	g_assert_null(v);
	g_assert_true(pc_store_set_value(f->store, "imap.uidvalidity", "7", NULL));
	g_assert_true(pc_store_set_value(f->store, "imap.uidvalidity", "8", NULL));
	g_assert_true(pc_store_get_value(f->store, "imap.uidvalidity", &w, NULL));
	g_assert_cmpstr(w, ==, "8");
}

static void test_newer_schema(Fixture *f, gconstpointer data)
{
	sqlite3 *db;
	g_autoptr(GError) error = NULL;
	PcStore *again;

	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				     NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	again = pc_store_open(f->path, &error);
	g_assert_null(again);
	g_assert_error(error, PC_STORE_ERROR, PC_STORE_ERROR_VERSION);
}

/* Runs @sql on a connection of its own, outside the store. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A trigger that never ends (a count over 1000^4 rows) on the event
 * that records the job "half@x": a store that adds that job is held
 * inside its transaction, after the job's own row is written and before
 * the transaction can commit, for as long as the test wants.
 */
static const char STALL[] =
	"CREATE TABLE stall_rows (n INTEGER);"
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r"
	" WHERE n < 1000) INSERT INTO stall_rows SELECT n FROM r;"
	"CREATE TRIGGER stall AFTER INSERT ON job_events"
	" WHEN NEW.job_id IN (SELECT id FROM jobs"
	" WHERE message_id = 'half@x') BEGIN"
	" SELECT count(*) FROM stall_rows a, stall_rows b, stall_rows c,"
	" stall_rows d; END;";

/* Whether another connection holds the database's write lock. */
static gboolean write_locked(const char *path)
{
	sqlite3 *db;
	int rc;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 0);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_BUSY;
}

/* The child: a job committed through its store, then one that stalls. */
static void G_GNUC_NORETURN crash_child(const char *path, int ready)
{
	PcStore *s = pc_store_open(path, NULL);

	if (!s)
		_exit(2);
	add(s, "child@x", "bb", TRUE);
	if (write(ready, "c", 1) != 1)
		_exit(2);
	add(s, "half@x", "cc", TRUE);
	_exit(3);	/* the trigger ended: the test cannot say anything */
}

/*
 * A second process opens the store, commits one job through it, and is
 * killed (SIGKILL) inside the store's transaction that adds another.
 * The store opened again, as a restarted daemon opens it, has both
 * committed jobs and nothing of the other, and takes new work: the dead
 * writer's lock is gone. No connection is open across fork(): SQLite
 * forbids it.
 */
static void test_crash(Fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;
	int ready[2], status;
	char c;
	pid_t pid;

	add(f->store, "before@x", "aa", TRUE);
	pc_store_close(f->store);
	f->store = NULL;
	raw_exec(f->path, STALL);
	g_assert_cmpint(pipe(ready), ==, 0);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
		crash_child(f->path, ready[1]);
	close(ready[1]);
	g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
	close(ready[0]);
	for (int i = 0; i < 1000 && !write_locked(f->path); i++)
		g_usleep(10 * 1000);
	g_assert_true(write_locked(f->path));
	g_usleep(200 * 1000);	/* from BEGIN to the INSERT that stalls */
	g_assert_cmpint(waitpid(pid, &status, WNOHANG), ==, 0);
	g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFSIGNALED(status));

	f->store = pc_store_open(f->path, &error);
	g_assert_no_error(error);
	jobs = pc_store_list_jobs(f->store, 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 2);
	for (guint i = 0; i < jobs->len; i++)
		g_assert_cmpstr(((PcStoreJob *)jobs->pdata[i])->message_id, !=,
				"half@x");
	raw_exec(f->path, "DROP TRIGGER stall");
	add(f->store, "after@x", "dd", TRUE);
	add(f->store, "child@x", "bb", FALSE);
	add(f->store, "before@x", "aa", FALSE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
	g_test_add("/store/" name, Fixture, NULL, setup, fn, teardown)
	ADD("dedupe", test_dedupe);
	ADD("transitions", test_transitions);
	ADD("moves", test_moves);
	ADD("reply-once", test_reply_once);
	ADD("values", test_values);
	ADD("newer-schema", test_newer_schema);
	ADD("crash", test_crash);
	return g_test_run();
}
