// SPDX-License-Identifier: GPL-2.0-only
/*
 * pullcheck report end to end, no mocks: a real job store filled with
 * known pull requests (pass, fail, could not check, in progress, ignored,
 * too old; hostile subjects with <script>, &, quotes, non-ASCII), the real
 * binary's `report --out`, then
 *   - feed.atom parsed by libxml2, Atom's required elements checked by
 *     XPath (Debian ships no Atom schema);
 *   - index.html loaded in headless Chromium: a screenshot kept in the
 *     output directory, and the DOM Chromium built checked for the rows
 *     of the store, the hostile subject as text and no injected element;
 *   - `report --digest` into the Maildir outbox: grouping, headers, line
 *     widths, the same Message-ID twice.
 * The output goes to PC_REPORT_OUT/NAME, NAME the first argument (so
 * that ctest can run groups side by side), and stays after the run.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

#include "autocleanup.h"
#include "config.h"
#include "report.h"
#include "store.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define HOSTILE_SUBJECT                                                      \
	"[GIT PULL] <script>alert(\"pwned\")</script> & 'quotes' — "          \
	"Grüße <img src=x onerror=alert(1)> für Rust"
#define HOSTILE_MID "20261126.abc+def/ghi?x=1&y\"<b>@example.org"
#define HOSTILE_LORE                                                         \
	"https://lore.kernel.org/r/"                                         \
	"20261126.abc%2Bdef%2Fghi%3Fx%3D1%26y%22%3Cb%3E@example.org"
#define FAIL_ERROR "rust/kernel/sync.rs:42: mismatched types <b>&amp;"
#define TIP_FAIL "deadbeef0123456789abcdef0123456789abcdef"
#define TIP_PASS "0123456789abcdef0123456789abcdef01234567"
#define TIP_PARTIAL "abcdef0123456789abcdef0123456789abcdef01"
#define NONASCII_SUBJECT "[GIT PULL] Ünïcødé 日本語 fixes for 6.13"
#define RFL "rust-for-linux@vger.kernel.org"
#define LKML "linux-kernel@vger.kernel.org"

static struct {
	char *out;		/* the test's directory */
	char *conf;
	char *report;		/* where report --out writes */
	char *outbox;
	gint64 now;
	gint64 id_fail, id_unchecked, id_pass, id_old_pass, id_ignored;
	gint64 id_partial, id_unverified;
	gint64 id_too_old, id_queued;
	char *big_log;		/* the fail job's log, over the cap */
} T;

/* --- helpers --------------------------------------------------------- */

static char *path_in(const char *name)
{
	return g_build_filename(T.out, name, NULL);
}

static void write_text(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

/* Runs @argv; returns the exit status, output in @out and @err. */
static int run(const char *const *argv, char **out, char **err)
{
	g_autoptr(GError) error = NULL;
	int wait_status;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
				   G_SPAWN_SEARCH_PATH, NULL, NULL, out, err,
				   &wait_status, &error));
	g_assert_no_error(error);
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	return 128 + WTERMSIG(wait_status);
}

/* pullcheck --config CONF report ARGS...; prints its stderr on failure. */
static int pullcheck(const char *conf, const char *a1, const char *a2,
		     const char *a3, char **err_out)
{
	const char *argv[] = { PC_PULLCHECK, "report", "--config", conf, a1,
			       a2, a3, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status = run(argv, &out, &err);

	if (err && *err)
		g_test_message("pullcheck report %s %s: %s", a1 ? a1 : "",
			       a2 ? a2 : "", err);
	if (err_out)
		*err_out = g_steal_pointer(&err);
	return status;
}

/* --- the store ------------------------------------------------------- */

static char *reply_text(const char *to, const char *cc, const char *subject,
			const char *body)
{
	return g_strdup_printf("From: pullcheck <pullcheck@bot.example.org>\n"
			       "To: %s\n%s%s%s"
			       "Subject: Re: %s\n"
			       "Message-ID: <pullcheck-%s@bot.example.org>\n"
			       "Auto-Submitted: auto-generated\n"
			       "MIME-Version: 1.0\n"
			       "Content-Type: text/plain; charset=utf-8\n"
			       "Content-Transfer-Encoding: 8bit\n\n%s\n",
			       to, cc ? "Cc: " : "", cc ? cc : "",
			       cc ? "\n" : "", subject, to, body);
}

typedef struct {
	const char *mid, *subject, *from, *state;
	gint64 age;		/* seconds before now */
	const char *verdict;	/* NULL: no reply stored */
	const char *result;
	const char *cc;
	const char *body;
} Made;

static gint64 make_job(PcStore *store, const Made *m)
{
	g_autofree char *sha = g_compute_checksum_for_string(
		G_CHECKSUM_SHA256, m->subject, -1);
	PcStoreJob job = { .message_id = (char *)m->mid, .body_sha256 = sha,
			   .subject = (char *)m->subject,
			   .from_addr = (char *)m->from, .thread = (char *)m->mid,
			   .state = (char *)m->state,
			   .received_at = T.now - m->age };
	g_autoptr(GError) error = NULL;
	g_autofree char *reply = NULL;
	g_autofree char *reply_id = NULL;
	gboolean is_new;
	gint64 id;

	if (!g_strcmp0(m->state, PC_STATE_IGNORED))
		job.reason = (char *)"not a pull request";
	g_assert_true(pc_store_add_job(store, &job, &id, &is_new, &error));
	g_assert_no_error(error);
	g_assert_true(is_new);
	if (!m->verdict)
		return id;
	reply = reply_text(m->from, m->cc, m->subject, m->body);
	reply_id = g_strdup_printf("pullcheck-%" G_GINT64_FORMAT
				   "@bot.example.org", id);
	g_assert_true(pc_store_set_reply(store, id, m->verdict, m->result,
					 reply_id, reply, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(pc_store_mark_sent(store, id, &error));
	g_assert_no_error(error);
	return id;
}

/*
 * A job result; @ran: the build's recipe, coverage and kconfig members
 * ("" for a result written before they were, NULL for no build).
 */
static char *result_ran(const char *verdict, const char *tip,
			const char *log, const char *extra_reasons,
			const char *diagnostics, const char *ran)
{
	g_autofree char *fetch = tip ? g_strdup_printf(
		"{\"url\": \"https://git.kernel.org/pub/scm/x.git\","
		" \"ref\": \"tags/x\", \"tip_commit\": \"%s\"}", tip)
				      : g_strdup("null");
	g_autofree char *build = ran ? g_strdup_printf(
		"{%s\"scope\": \"rust\", \"diagnostics\": [%s],"
		" \"log_path\": \"%s\", \"reproduce\": ["
		"\"git fetch https://git.kernel.org/pub/scm/x.git tags/x\","
		" \"make LLVM=1 O=out allmodconfig && make LLVM=1 O=out rust/ <&>\"]}",
		ran, diagnostics, log ? log : "")
				     : g_strdup("null");

	return g_strdup_printf("{\"verdict\": \"%s\", \"reasons\": [%s],"
			       " \"fetch\": %s, \"build\": %s}",
			       verdict, extra_reasons, fetch, build);
}

static char *result_json(const char *verdict, const char *tip,
			 const char *log, const char *extra_reasons,
			 const char *diagnostics)
{
	return result_ran(verdict, tip, log, extra_reasons, diagnostics,
			  log ? "" : NULL);
}

#define RAN_POLICY "\"recipe\": \"kernel\", \"coverage\": \"full\", " \
		   "\"kconfig\": \"allmodconfig\", "
#define RAN_FAST "\"recipe\": \"kernel\", \"coverage\": \"rust\", " \
		 "\"kconfig\": \"allmodconfig\", "

static void make_log(const char *path, gsize size)
{
	GString *log = g_string_new("HEAD-OF-LOG <script>alert(3)</script>\n");

	while (log->len < size - 64)
		g_string_append(log, "  CC [M]  drivers/gpu/drm/nova/foo.o\n");
	g_string_append(log, "TAIL-OF-LOG make: *** [Makefile:1] Error 2\n");
	write_text(path, log->str);
	g_string_free(log, TRUE);
}

static void fill_store(void)
{
	g_autofree char *state = path_in("state");
	g_autofree char *db = g_build_filename(state, "pullcheck.db", NULL);
	g_autofree char *small_log = path_in("pass-build.log");
	g_autoptr(GError) error = NULL;
	g_autoptr(PcStore) store = NULL;
	g_autofree char *fail = NULL, *unchecked = NULL, *pass = NULL;
	g_autofree char *old = NULL, *partial = NULL, *unverified = NULL;

	g_assert_cmpint(g_mkdir_with_parents(state, 0755), ==, 0);
	store = pc_store_open(db, &error);
	g_assert_no_error(error);
	T.big_log = path_in("fail-build.log");
	make_log(T.big_log, PC_REPORT_LOG_MAX_BYTES * 3 / 2);
	make_log(small_log, 4096);
	fail = result_json("fail", TIP_FAIL, T.big_log,
			   "{\"code\": \"build-error\", \"severity\": \"error\","
			   " \"text\": \"the build failed\"}",
			   "{\"file\": \"rust/kernel/sync.rs\", \"line\": 42,"
			   " \"severity\": \"error\", \"language\": \"rust\","
			   " \"message\": \"mismatched types <b>&amp;\"}");
	unchecked = result_json("could-not-check", NULL, NULL,
				"{\"code\": \"fetch-timeout\", \"severity\":"
				" \"infra\", \"text\": \"fetching"
				" https://git.example.org/x.git timed out after"
				" 900 s\"}", "");
	pass = result_ran("pass", TIP_PASS, small_log, "", "", RAN_POLICY);
	/* Stored before build.coverage: the scope, rust, it mirrored. */
	old = result_ran("pass", TIP_PASS, NULL, "", "", "");
	partial = result_ran("pass", TIP_PARTIAL, NULL, "", "", RAN_FAST);
	unverified = result_json("could-not-check", TIP_PARTIAL, NULL,
				 "{\"code\": \"tip-mismatch\", \"severity\":"
				 " \"unverified\", \"text\": \"refs/tags/x points"
				 " to " TIP_PARTIAL ", but the mail says 1234\"}",
				 "");

	T.id_fail = make_job(store, &(Made){
		HOSTILE_MID, HOSTILE_SUBJECT, "attacker@example.org",
		PC_STATE_QUEUED, 2 * 3600, "fail", fail, RFL,
		"FAIL <script>alert(2)</script> & more" });
	T.id_unchecked = make_job(store, &(Made){
		"net-1@example.net", "[GIT PULL] net: fixes for 6.13",
		"dave@example.net", PC_STATE_QUEUED, 5 * 3600,
		"could-not-check", unchecked, "netdev@vger.kernel.org",
		"could not check" });
	T.id_pass = make_job(store, &(Made){
		"rust-1@example.org", "[GIT PULL] Rust for 6.13",
		"miguel@example.org", PC_STATE_QUEUED, 3600, "pass", pass,
		RFL ", " LKML, "pass" });
	T.id_old_pass = make_job(store, &(Made){
		"old-1@example.org", NONASCII_SUBJECT, "ünï@example.org",
		PC_STATE_QUEUED, 3 * 86400, "pass", old, LKML, "pass, older" });
	T.id_partial = make_job(store, &(Made){
		"fast-1@example.org", "[GIT PULL] FAST-ONE for 6.13",
		"quick@example.org", PC_STATE_QUEUED, 150 * 60, "pass",
		partial, LKML, "partial" });
	T.id_unverified = make_job(store, &(Made){
		"moved-1@example.org", "[GIT PULL] MOVED-ONE for 6.13",
		"mover@example.org", PC_STATE_QUEUED, 4 * 3600,
		"could-not-check", unverified, LKML, "unverified" });
	T.id_ignored = make_job(store, &(Made){
		"re-1@example.org", "Re: [GIT PULL] IGNORED-ONE",
		"chatty@example.org", PC_STATE_IGNORED, 1800 });
	T.id_too_old = make_job(store, &(Made){
		"ancient-1@example.org", "[GIT PULL] TOO-OLD-ONE",
		"slow@example.org", PC_STATE_QUEUED, 20 * 86400, "fail", fail,
		RFL, "too old" });
	T.id_queued = make_job(store, &(Made){
		"queued-1@example.org", "[GIT PULL] QUEUED-ONE",
		"eager@example.org", PC_STATE_QUEUED, 1800 });
}

static void setup(void)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", T.out);
	g_autofree char *conf = NULL;
	g_autofree char *stale_dir = NULL;

	g_assert_cmpint(system(cmd), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(T.out, 0755), ==, 0);
	T.conf = path_in("pullcheck.conf");
	T.report = path_in("report");
	T.outbox = path_in("outbox");
	T.now = g_get_real_time() / G_USEC_PER_SEC;
	conf = g_strdup_printf("[pullcheck]\nstate_dir=%s/state\n"
			       "[reply]\nfrom=pullcheck <pullcheck@bot.example.org>\n"
			       "[outbox]\nmaildir=%s\n"
			       "[report]\ndays=14\n"
			       "digest_to=maintainer@example.org;Triage <triage@example.org>\n",
			       T.out, T.outbox);
	write_text(T.conf, conf);
	fill_store();
	/* Stale files of ours go, anything else stays. */
	stale_dir = g_build_filename(T.report, "logs", NULL);
	g_assert_cmpint(g_mkdir_with_parents(stale_dir, 0755), ==, 0);
	{
		g_autofree char *a = g_build_filename(T.report, "list-gone.html", NULL);
		g_autofree char *b = g_build_filename(stale_dir, "99999.log", NULL);
		g_autofree char *c = g_build_filename(T.report, "keep.txt", NULL);

		write_text(a, "stale");
		write_text(b, "stale");
		write_text(c, "not ours");
	}
	g_assert_cmpint(pullcheck(T.conf, "--out", T.report, NULL, NULL), ==, 0);
}

/* --- XPath ----------------------------------------------------------- */

static xmlXPathObjectPtr eval(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);

	if (!obj)
		g_error("bad XPath: %s", expr);
	return obj;
}

static double xcount(xmlXPathContextPtr ctx, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *expr = NULL;
	g_autofree char *wrapped = NULL;
	xmlXPathObjectPtr obj;
	double n;

	va_start(ap, fmt);
	expr = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	wrapped = g_strdup_printf("count(%s)", expr);
	obj = eval(ctx, wrapped);
	n = obj->floatval;
	xmlXPathFreeObject(obj);
	return n;
}

static char *xstring(xmlXPathContextPtr ctx, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *expr = NULL;
	g_autofree char *wrapped = NULL;
	xmlXPathObjectPtr obj;
	char *s;

	va_start(ap, fmt);
	expr = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	wrapped = g_strdup_printf("string(%s)", expr);
	obj = eval(ctx, wrapped);
	s = g_strdup((const char *)obj->stringval);
	xmlXPathFreeObject(obj);
	return s;
}

/* --- feed.atom ------------------------------------------------------- */

static void assert_rfc3339(const char *text)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);

	g_assert_nonnull(dt);
	g_assert_true(g_str_has_suffix(text, "Z"));
}

/* Every entry's id, in order; checks what Atom requires of an entry. */
static GPtrArray *check_entries(xmlXPathContextPtr ctx)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	int n = xcount(ctx, "/a:feed/a:entry");

	for (int i = 1; i <= n; i++) {
		g_autofree char *id = xstring(ctx, "/a:feed/a:entry[%d]/a:id", i);
		g_autofree char *updated = xstring(
			ctx, "/a:feed/a:entry[%d]/a:updated", i);

		/* RFC 4287 4.1.2: one id, one title, one updated ... */
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:id", i), ==, 1);
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:title", i), ==, 1);
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:updated", i), ==, 1);
		/* ... an alternate link, as there is no content ... */
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:link"
					 "[@rel='alternate']", i), ==, 1);
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:summary", i), ==, 1);
		/* ... and an author (the feed has one too). */
		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/a:author/a:name",
					 i), ==, 1);
		g_assert_true(g_str_has_prefix(id, "tag:bot.example.org,20"));
		g_assert_nonnull(strstr(id, ":pullcheck/job/"));
		assert_rfc3339(updated);
		for (guint j = 0; j < ids->len; j++)
			g_assert_cmpstr(ids->pdata[j], !=, id);
		g_ptr_array_add(ids, g_steal_pointer(&id));
	}
	return ids;
}

static xmlDocPtr read_feed(void)
{
	g_autofree char *path = g_build_filename(T.report, "feed.atom", NULL);
	/* Well-formedness errors are fatal in libxml2: NULL. */
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);

	g_assert_nonnull(doc);
	return doc;
}

static void test_feed(void)
{
	xmlDocPtr doc = read_feed();
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	g_autoptr(GPtrArray) ids = NULL, again = NULL;
	g_autofree char *feed_updated = NULL, *title = NULL, *href = NULL;
	g_autofree char *summary = NULL, *term = NULL, *nonascii = NULL;
	g_autofree char *e = NULL;

	g_assert_cmpstr((const char *)root->name, ==, "feed");
	g_assert_nonnull(root->ns);
	g_assert_cmpstr((const char *)root->ns->href, ==, ATOM_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST ATOM_NS);
	/* RFC 4287 4.1.1: the feed's id, title, updated, and an author. */
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:id"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:title"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:updated"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:author/a:name"), ==, 1);
	feed_updated = xstring(ctx, "/a:feed/a:updated");
	assert_rfc3339(feed_updated);

	/* The pull requests with a verdict in the window: 6 of 9 jobs. */
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry"), ==, 6);
	ids = check_entries(ctx);
	g_assert_cmpfloat(xcount(ctx, "//a:entry[contains(a:title, 'IGNORED-ONE')"
				 " or contains(a:title, 'QUEUED-ONE')"
				 " or contains(a:title, 'TOO-OLD-ONE')]"), ==, 0);

	/* The hostile subject comes back as the same text, and only text. */
	e = g_strdup_printf("//a:entry[a:link/@href='%s']", HOSTILE_LORE);
	g_assert_cmpfloat(xcount(ctx, "%s", e), ==, 1);
	title = xstring(ctx, "%s/a:title", e);
	g_assert_cmpstr(title, ==, HOSTILE_SUBJECT);
	g_assert_cmpfloat(xcount(ctx, "%s/a:title/*", e), ==, 0);
	term = xstring(ctx, "%s/a:category/@term", e);
	g_assert_cmpstr(term, ==, "fail");
	summary = xstring(ctx, "%s/a:summary", e);
	g_assert_nonnull(strstr(summary, "Verdict: fail"));
	g_assert_nonnull(strstr(summary, "Tip: " TIP_FAIL));
	g_assert_nonnull(strstr(summary, "Scope: rust"));
	g_assert_nonnull(strstr(summary, "First diagnostic: " FAIL_ERROR));
	href = xstring(ctx, "//a:entry[a:category/@term='could-not-check']"
			    "/a:link[@rel='alternate']/@href");
	g_assert_cmpstr(href, ==, "https://lore.kernel.org/r/net-1@example.net");
	/*
	 * Each outcome its own category: a pass of the fast stage, or one
	 * stored before coverage was, is never filed as the policy's pass;
	 * a pull request not as sent is not verified, not failed.
	 */
	g_assert_cmpfloat(xcount(ctx, "//a:entry[a:category/@term='pass']"),
			  ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//a:entry[a:category/@term='pass']"
				 "[contains(a:title, 'Rust for 6.13')]"
				 "[contains(a:summary, 'Verdict: pass: the "
				 "policy build (make all of allmodconfig) "
				 "passed')]"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//a:entry[a:category/@term="
				 "'pass-partial'][a:category/@label="
				 "'partial pass']"), ==, 2);
	g_assert_cmpfloat(xcount(ctx, "//a:entry[contains(a:title, 'FAST-ONE')]"
				 "[a:category/@term='pass-partial']"
				 "[contains(a:summary, 'Verdict: partial pass: "
				 "the fast stage of allmodconfig passed; the "
				 "full build was not run')]"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//a:entry[contains(a:title, "
				 "'MOVED-ONE')][a:category/@term='unverified']"
				 "[a:category/@label='not verified']"), ==, 1);
	nonascii = xstring(ctx, "//a:entry[a:link/@href="
				"'https://lore.kernel.org/r/old-1@example.org']"
				"/a:title");
	g_assert_cmpstr(nonascii, ==, NONASCII_SUBJECT);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);

	/* Stable ids: a second run gives the same ones. */
	g_assert_cmpint(pullcheck(T.conf, "--out", T.report, NULL, NULL), ==, 0);
	doc = read_feed();
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST ATOM_NS);
	again = check_entries(ctx);
	g_assert_cmpuint(again->len, ==, ids->len);
	for (guint i = 0; i < ids->len; i++)
		g_assert_cmpstr(again->pdata[i], ==, ids->pdata[i]);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

/*
 * Issue 14: with [report] base_url the feed says where it is (rel="self")
 * and its links are absolute; every entry answers its pull request
 * (RFC 4685 thr:in-reply-to, a mid: URI and the lore page). Without
 * base_url there is no rel="self" and the dashboard links are relative.
 */
static void test_feed_links(void)
{
	g_autofree char *conf = NULL, *text = NULL, *out = NULL, *path = NULL;
	g_autofree char *self = NULL, *alt = NULL, *rel = NULL;
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	int n;

	/* The feed as written by setup(), without base_url. */
	doc = read_feed();
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST ATOM_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "thr",
			   BAD_CAST "http://purl.org/syndication/thread/1.0");
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:link[@rel='self']"), ==, 0);
	rel = xstring(ctx, "/a:feed/a:entry[1]/a:link[@title='dashboard']/@href");
	g_assert_true(g_str_has_prefix(rel, "index.html#job-"));
	n = xcount(ctx, "/a:feed/a:entry");
	g_assert_cmpint(n, >, 0);
	for (int i = 1; i <= n; i++) {
		g_autofree char *lore = xstring(
			ctx, "/a:feed/a:entry[%d]/a:link[@rel='alternate']/@href", i);
		g_autofree char *ref = xstring(
			ctx, "/a:feed/a:entry[%d]/thr:in-reply-to/@ref", i);
		g_autofree char *href = xstring(
			ctx, "/a:feed/a:entry[%d]/thr:in-reply-to/@href", i);

		g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry[%d]/thr:in-reply-to",
					 i), ==, 1);
		g_assert_true(g_str_has_prefix(ref, "mid:"));
		g_assert_true(g_str_has_prefix(href, "https://lore.kernel.org/r/"));
		g_assert_cmpstr(href, ==, lore);
	}
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);

	/* With base_url, into a directory of its own. */
	g_file_get_contents(T.conf, &text, NULL, NULL);
	conf = path_in("base-url.conf");
	out = path_in("report-base-url");
	{
		g_autofree char *with = g_strconcat(
			text, "base_url=https://pc.example.org/pullcheck/\n", NULL);

		write_text(conf, with);
	}
	g_assert_cmpint(pullcheck(conf, "--out", out, NULL, NULL), ==, 0);
	path = g_build_filename(out, "feed.atom", NULL);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	g_assert_nonnull(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST ATOM_NS);
	self = xstring(ctx, "/a:feed/a:link[@rel='self']/@href");
	g_assert_cmpstr(self, ==, "https://pc.example.org/pullcheck/feed.atom");
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:link[@rel='self'][@type="
				 "'application/atom+xml']"), ==, 1);
	alt = xstring(ctx, "/a:feed/a:link[@rel='alternate']/@href");
	g_assert_cmpstr(alt, ==, "https://pc.example.org/pullcheck/index.html");
	g_assert_cmpfloat(xcount(ctx, "//a:link[not(starts-with(@href, 'https://'))]"),
			  ==, 0);
	g_assert_cmpfloat(xcount(ctx, "/a:feed/a:entry/a:link[@title='dashboard']"
				 "[starts-with(@href, 'https://pc.example.org/"
				 "pullcheck/index.html#job-')]"), ==, n);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

/* --- files ----------------------------------------------------------- */

static void test_files(void)
{
	g_autofree char *log = NULL, *name = NULL, *path = NULL;
	g_autofree char *stale = g_build_filename(T.report, "list-gone.html", NULL);
	g_autofree char *stale_log = g_build_filename(T.report, "logs",
						      "99999.log", NULL);
	g_autofree char *keep = g_build_filename(T.report, "keep.txt", NULL);
	g_autoptr(GDir) dir = g_dir_open(T.report, 0, NULL);
	const char *entry;
	gsize len;

	/* The big log: capped, head and tail kept, the cut said. */
	name = g_strdup_printf("%" G_GINT64_FORMAT ".log", T.id_fail);
	path = g_build_filename(T.report, "logs", name, NULL);
	g_assert_true(g_file_get_contents(path, &log, &len, NULL));
	g_assert_cmpuint(len, >, PC_REPORT_LOG_MAX_BYTES);
	g_assert_cmpuint(len, <, PC_REPORT_LOG_MAX_BYTES + 200);
	g_assert_true(g_str_has_prefix(log, "HEAD-OF-LOG"));
	g_assert_nonnull(strstr(log, "TAIL-OF-LOG"));
	g_assert_nonnull(strstr(log, "bytes of the log left out here]"));
	/* Stale pages and logs of ours gone, other files kept. */
	g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(stale_log, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
	/* No temporary file left behind. */
	while ((entry = g_dir_read_name(dir)))
		g_assert_true(!strcmp(entry, "feed.atom") ||
			      !strcmp(entry, "index.html") ||
			      !strcmp(entry, "logs") ||
			      !strcmp(entry, "keep.txt") ||
			      (g_str_has_prefix(entry, "list-") &&
			       g_str_has_suffix(entry, ".html")));
}

/*
 * The daemon holds the write lock while it records a step; the report
 * reads beside it (WAL) and neither waits for the other.
 */
static void test_busy(void)
{
	g_autofree char *db = path_in("state/pullcheck.db");
	g_autofree char *out = path_in("report-busy");
	g_autofree char *index = g_build_filename(out, "index.html", NULL);
	sqlite3 *writer = NULL;
	gint64 start;

	g_assert_cmpint(sqlite3_open(db, &writer), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(writer, "BEGIN IMMEDIATE; UPDATE jobs SET"
				     " updated_at = updated_at + 1", NULL, NULL,
				     NULL), ==, SQLITE_OK);
	start = g_get_monotonic_time();
	g_assert_cmpint(pullcheck(T.conf, "--out", out, NULL, NULL), ==, 0);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	g_assert_true(g_file_test(index, G_FILE_TEST_EXISTS));
	g_assert_cmpint(sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(writer);
}

/* --- index.html in Chromium ------------------------------------------ */

static const char *chromium(void)
{
	static const char *const names[] = { "chromium", "chromium-browser" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *p = g_find_program_in_path(names[i]);

		if (p)
			return names[i];
	}
	return NULL;
}

static char *browse(const char *page, const char *what, const char *arg)
{
	g_autofree char *profile = path_in("chromium-profile");
	g_autofree char *profile_arg = g_strconcat("--user-data-dir=", profile,
						   NULL);
	g_autofree char *url = g_strconcat("file://", T.report, "/", page, NULL);
	g_autofree char *flag = g_strconcat(what, arg, NULL);
	const char *argv[] = { "timeout", "180", chromium(), "--headless",
			       "--no-sandbox", "--disable-gpu",
			       "--disable-dev-shm-usage", "--no-first-run",
			       "--hide-scrollbars", profile_arg,
			       "--window-size=1200,2000", flag, url, NULL };
	g_autofree char *err = NULL;
	char *out = NULL;
	int status = run(argv, &out, &err);

	if (status != 0)
		g_test_message("chromium: %s", err);
	g_assert_cmpint(status, ==, 0);
	return out;
}

static htmlDocPtr dom_of(const char *page)
{
	g_autofree char *dom = browse(page, "--dump-dom", "");
	htmlDocPtr doc;

	g_assert_nonnull(strstr(dom, "</html>"));
	doc = htmlReadMemory(dom, strlen(dom), page, "utf-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR |
				     HTML_PARSE_NOWARNING);
	g_assert_nonnull(doc);
	return doc;
}

/* Nothing the mail said became markup: no script, image, handler. */
static void assert_no_injection(xmlXPathContextPtr ctx)
{
	g_assert_cmpfloat(xcount(ctx, "//script"), ==, 0);
	g_assert_cmpfloat(xcount(ctx, "//img"), ==, 0);
	g_assert_cmpfloat(xcount(ctx, "//b"), ==, 0);
	g_assert_cmpfloat(xcount(ctx, "//@*[starts-with(name(), 'on')]"), ==, 0);
}

static void check_fail_row(xmlXPathContextPtr ctx)
{
	g_autofree char *row = g_strdup_printf("//tr[@id='job-%" G_GINT64_FORMAT
					       "']", T.id_fail);
	g_autofree char *more = g_strdup_printf(
		"//tr[@class='job-more'][@data-job='%" G_GINT64_FORMAT "']",
		T.id_fail);
	g_autofree char *subject = xstring(ctx, "%s//a[@class='subject-link']",
					   row);
	g_autofree char *href = xstring(ctx, "%s//a[@class='subject-link']/@href",
					row);
	g_autofree char *error = xstring(ctx, "%s/td[@class='error']", row);
	g_autofree char *tip = xstring(ctx, "%s/td[@class='tip']/code/@title", row);
	g_autofree char *tip_short = xstring(ctx, "%s/td[@class='tip']/code", row);
	g_autofree char *sender = xstring(ctx, "%s/td[@class='sender']", row);
	g_autofree char *reply = xstring(ctx, "%s//details[@class='reply']/pre",
					 more);
	g_autofree char *repro = xstring(ctx, "%s//details[@class='reproduce']/pre",
					 more);
	g_autofree char *log = xstring(ctx, "%s//a[@class='log']/@href", more);
	g_autofree char *log_name = g_strdup_printf("logs/%" G_GINT64_FORMAT ".log",
						    T.id_fail);

	g_assert_cmpstr(subject, ==, HOSTILE_SUBJECT);
	g_assert_cmpstr(href, ==, HOSTILE_LORE);
	g_assert_cmpstr(error, ==, FAIL_ERROR);
	g_assert_cmpstr(tip, ==, TIP_FAIL);
	g_assert_cmpstr(tip_short, ==, "deadbeef0123");
	g_assert_cmpstr(sender, ==, "attacker@example.org");
	g_assert_nonnull(strstr(reply, "FAIL <script>alert(2)</script> & more"));
	g_assert_nonnull(strstr(reply, "Cc: " RFL));
	g_assert_nonnull(strstr(reply, "Subject: Re: " HOSTILE_SUBJECT));
	g_assert_nonnull(strstr(repro, "make LLVM=1 O=out rust/ <&>"));
	g_assert_cmpstr(log, ==, log_name);
}

static void test_dashboard(void)
{
	g_autofree char *png = path_in("dashboard.png");
	g_autofree char *shot_arg = NULL;
	g_autofree char *shot_out = NULL;
	g_autofree char *data = NULL;
	g_autofree char *page = NULL;
	htmlDocPtr doc;
	xmlXPathContextPtr ctx;
	gsize len;

	if (!chromium()) {
		g_printerr("chromium is not installed: skipped\n");
		exit(77);
	}
	doc = dom_of("index.html");
	ctx = xmlXPathNewContext(doc);
	/*
	 * The rows of the store: 1 fail, 1 not verified, 1 could not
	 * check, 2 partial passes, 1 pass, 1 queued.
	 */
	g_assert_cmpfloat(xcount(ctx, "//tr[@class='job']"), ==, 7);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='unverified']"
				 "//tr[@class='job'][@data-verdict="
				 "'unverified']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='pass-partial']"
				 "//tr[@class='job'][@data-verdict="
				 "'pass-partial']"), ==, 2);
	g_assert_cmpfloat(xcount(ctx, "//tr[@id='job-%" G_GINT64_FORMAT "']"
				 "//div[@class='outcome'][.='partial pass: the "
				 "fast stage of allmodconfig passed; the full "
				 "build was not run']", T.id_partial), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//a[.='partial pass (2)']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//a[.='pass (1)']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='fail']//tr[@class='job']"
				 "[@data-verdict='fail']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='could-not-check']"
				 "//tr[@class='job']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='pass']//tr[@class='job']"),
			  ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//tr[@id='job-%" G_GINT64_FORMAT "']"
				 "[ancestor::section/@id='pass']", T.id_pass),
			  ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//section[@id='in-progress']"
				 "//tr[@class='job']"), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//tr[contains(., 'IGNORED-ONE') or "
				 "contains(., 'TOO-OLD-ONE')]"), ==, 0);
	g_assert_cmpfloat(xcount(ctx, "//a[.='fail (1)']"), ==, 1);
	assert_no_injection(ctx);
	check_fail_row(ctx);
	g_assert_cmpfloat(xcount(ctx, "//a[@class='subject-link'][.='%s']",
				 NONASCII_SUBJECT), ==, 1);
	/* The could-not-check row says what stopped us. */
	g_assert_cmpfloat(xcount(ctx, "//tr[@id='job-%" G_GINT64_FORMAT "']"
				 "/td[@class='error'][contains(., 'timed out')]",
				 T.id_unchecked), ==, 1);
	/* Per-list pages, linked from the navigation. */
	page = xstring(ctx, "//nav[@class='lists-nav']/a[starts-with(., '"
			    RFL " ')]/@href");
	g_assert_cmpstr(page, ==, "list-rust-for-linux_at_vger.kernel.org.html");
	g_assert_cmpfloat(xcount(ctx, "//nav[@class='lists-nav']/a"), ==, 4);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);

	/* The list's page holds the rows that went to that list only. */
	doc = dom_of(page);
	ctx = xmlXPathNewContext(doc);
	g_assert_cmpfloat(xcount(ctx, "//tr[@class='job']"), ==, 2);
	g_assert_cmpfloat(xcount(ctx, "//tr[@id='job-%" G_GINT64_FORMAT "']",
				 T.id_fail), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//tr[@id='job-%" G_GINT64_FORMAT "']",
				 T.id_pass), ==, 1);
	g_assert_cmpfloat(xcount(ctx, "//nav[@class='lists-nav']/a[@class="
				 "'current'][starts-with(., '" RFL "')]"), ==, 1);
	assert_no_injection(ctx);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);

	/* The screenshot, kept for a human to look at. */
	shot_arg = g_strconcat(png, NULL);
	g_unlink(png);
	shot_out = browse("index.html", "--screenshot=", shot_arg);
	g_assert_true(g_file_get_contents(png, &data, &len, NULL));
	g_assert_cmpuint(len, >, 1000);
	g_assert_cmpmem(data, 8, "\x89PNG\r\n\x1a\n", 8);
	g_print("dashboard screenshot: %s\n", png);
}

/* --- the digest ------------------------------------------------------ */

/* The messages in the outbox's new/, oldest name first. */
static GPtrArray *outbox_messages(void)
{
	g_autofree char *new = g_build_filename(T.outbox, "new", NULL);
	g_autoptr(GDir) dir = g_dir_open(new, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (dir && (name = g_dir_read_name(dir)))
		g_ptr_array_add(names, g_build_filename(new, name, NULL));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	return names;
}

static GMimeMessage *read_message(const char *path)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, &error);
	GMimeParser *parser;
	GMimeMessage *msg;

	g_assert_no_error(error);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	g_assert_nonnull(msg);
	return msg;
}

static char *body_of(GMimeMessage *msg)
{
	GMimeObject *body = g_mime_message_get_body(msg);

	g_assert_true(GMIME_IS_TEXT_PART(body));
	return g_mime_text_part_get_text(GMIME_TEXT_PART(body));
}

/* The index of the line that starts with @prefix, -1 if none. */
static int line_index(char **lines, const char *prefix)
{
	for (int i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], prefix))
			return i;
	return -1;
}

static void check_digest_body(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	int fail = line_index(lines, "FAIL (1)");
	int unverified = line_index(lines, "NOT VERIFIED (1)");
	int unchecked = line_index(lines, "COULD NOT CHECK (1)");
	int partial = line_index(lines, "PARTIAL PASS (1)");
	int pass = line_index(lines, "PASS (1)");
	int progress = line_index(lines, "IN PROGRESS (1)");

	g_test_message("digest:\n%s", text);
	for (int i = 0; lines[i]; i++)
		g_assert_cmpint(g_utf8_strlen(lines[i], -1), <, 80);
	g_assert_cmpint(fail, >=, 0);
	g_assert_cmpint(unverified, >, fail);
	g_assert_cmpint(unchecked, >, unverified);
	g_assert_cmpint(partial, >, unchecked);
	g_assert_cmpint(pass, >, partial);
	/* No section of command passes: there were none. */
	g_assert_cmpint(line_index(lines, "COMMAND PASS"), ==, -1);
	g_assert_cmpint(progress, >, pass);
	/* One line each: tip, sender, subject, first error. */
	g_assert_true(g_str_has_prefix(lines[fail + 1], "  deadbeef0123  "
				       "attacker@example.org  <script>"));
	g_assert_true(g_str_has_suffix(lines[fail + 1], " -- sync.rs:42: mism..."));
	g_assert_true(g_str_has_prefix(lines[unchecked + 1], "  (no tip)    "
				       "  dave@example.net  net: fixes for 6.13 -- "
				       "fetching https://gi..."));
	g_assert_true(g_str_has_prefix(lines[unverified + 1], "  abcdef012345"
				       "  mover@example.org  MOVED-ONE for 6.13 "
				       "-- refs/tags/x points"));
	/* What passed, and that the full build was not run. */
	g_assert_cmpstr(lines[partial + 1], ==, "  Less than the policy build "
			"passed: no full allmodconfig build.");
	g_assert_cmpstr(lines[partial + 2], ==, "  abcdef012345  "
			"quick@example.org  FAST-ONE for 6.13 -- fast stage "
			"only");
	g_assert_cmpstr(lines[pass + 1], ==, "  0123456789ab  miguel@example.org"
			"  Rust for 6.13");
	g_assert_true(g_str_has_prefix(lines[progress + 1], "  (no tip)    "
				       "  eager@example.org  QUEUED-ONE"));
	g_assert_null(strstr(text, "IGNORED-ONE"));
	g_assert_null(strstr(text, "TOO-OLD-ONE"));
	g_assert_null(strstr(text, "Ünïcødé"));	/* 3 days old */
}

static void test_digest(void)
{
	g_autoptr(GDateTime) today = g_date_time_new_from_unix_utc(T.now);
	g_autofree char *day = g_date_time_format(today, "%Y-%m-%d");
	g_autofree char *mid = g_strdup_printf("pullcheck-digest-%s@bot.example.org",
					       day);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autofree char *text = NULL, *to = NULL, *subject = NULL, *from = NULL;
	InternetAddressList *rcpts;

	g_assert_cmpint(pullcheck(T.conf, "--digest", NULL, NULL, NULL), ==, 0);
	names = outbox_messages();
	g_assert_cmpuint(names->len, ==, 1);
	msg = read_message(names->pdata[0]);
	g_assert_cmpstr(g_mime_message_get_message_id(msg), ==, mid);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(msg),
						 "Auto-Submitted"), ==,
			"auto-generated");
	subject = g_strdup_printf("pullcheck digest %s: 1 fail, 1 not "
				  "verified, 1 could not check, 1 partial "
				  "pass, 1 pass", day);
	g_assert_cmpstr(g_mime_message_get_subject(msg), ==, subject);
	rcpts = g_mime_message_get_to(msg);
	to = internet_address_list_to_string(rcpts, NULL, FALSE);
	g_assert_cmpstr(to, ==, "maintainer@example.org, Triage "
				"<triage@example.org>");
	from = internet_address_list_to_string(g_mime_message_get_from(msg),
					       NULL, FALSE);
	g_assert_cmpstr(from, ==, "pullcheck <pullcheck@bot.example.org>");
	text = body_of(msg);
	check_digest_body(text);

	/* A re-run the same day: the same Message-ID, so it collapses. */
	g_assert_cmpint(pullcheck(T.conf, "--digest", NULL, NULL, NULL), ==, 0);
	g_ptr_array_unref(names);
	names = outbox_messages();
	g_assert_cmpuint(names->len, ==, 2);
	for (guint i = 0; i < names->len; i++) {
		g_autoptr(GMimeMessage) m = read_message(names->pdata[i]);

		g_assert_cmpstr(g_mime_message_get_message_id(m), ==, mid);
	}
}

static void test_digest_day(void)
{
	g_autoptr(GDateTime) then = g_date_time_new_from_unix_utc(T.now - 3 * 86400);
	g_autofree char *day = g_date_time_format(then, "%Y-%m-%d");
	g_autofree char *mid = g_strdup_printf("pullcheck-digest-%s@bot.example.org",
					       day);
	g_autofree char *outbox_new = g_build_filename(T.outbox, "new", NULL);
	g_autoptr(GPtrArray) names = NULL;
	g_autofree char *text = NULL;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", outbox_new);
	GMimeMessage *msg = NULL;

	g_assert_cmpint(system(cmd), ==, 0);
	g_assert_cmpint(pullcheck(T.conf, "--digest", "--day", day, NULL), ==, 0);
	names = outbox_messages();
	g_assert_cmpuint(names->len, ==, 1);
	msg = read_message(names->pdata[0]);
	g_assert_cmpstr(g_mime_message_get_message_id(msg), ==, mid);
	text = body_of(msg);
	g_test_message("digest of %s:\n%s", day, text);
	g_assert_nonnull(strstr(text, "FAIL (0)\n  none\n"));
	/* Stored before build.coverage, of scope rust: a partial pass. */
	g_assert_nonnull(strstr(text, "\nPARTIAL PASS (1)\n  Less than the "
				"policy build passed: no full allmodconfig "
				"build.\n  0123456789ab  ünï@example.org  "
				"Ünïcødé 日本語 fixes for 6.13 -- fast stage "
				"only\n"));
	g_assert_nonnull(strstr(text, "\nPASS (0)\n  none\n"));
	g_assert_null(strstr(text, "attacker@"));
	g_object_unref(msg);
}

/*
 * Issue 14: [report] digest = top_level keeps the pull requests sent to
 * the top level (and those recorded before that was kept), grouped by
 * verdict, the oldest first in each group.
 */
static void test_digest_top_level(void)
{
	g_autofree char *state = path_in("state");
	g_autofree char *db_path = g_build_filename(state, "pullcheck.db", NULL);
	g_autofree char *conf = path_in("top-level.conf");
	g_autofree char *text = NULL, *base = NULL, *older = NULL;
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree char *outbox_new = g_build_filename(T.outbox, "new", NULL);
	g_autofree char *rm_new = g_strdup_printf("rm -rf '%s'", outbox_new);
	sqlite3 *db;
	int fail;

	{
		g_autoptr(PcStore) store = pc_store_open(db_path, &error);

		g_assert_no_error(error);
		older = result_json("fail", "0ddba11000000000000000000000000000000000",
				    NULL, "{\"code\": \"build-error\", \"severity\":"
				    " \"error\", \"text\": \"older\"}", "");
		make_job(store, &(Made){
			"older-1@example.org", "[GIT PULL] OLDER-FAIL",
			"early@example.org", PC_STATE_QUEUED, 6 * 3600, "fail",
			older, RFL, "older fail" });
	}
	/* Dave's went to a sub-maintainer; the rest stay unknown or yes. */
	g_assert_cmpint(sqlite3_open(db_path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "UPDATE jobs SET top_level = 0 WHERE"
				     " message_id = 'net-1@example.net';"
				     "UPDATE jobs SET top_level = 1 WHERE"
				     " message_id = 'older-1@example.org'",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	g_file_get_contents(T.conf, &base, NULL, NULL);
	text = g_strconcat(base, "digest=top_level\n", NULL);
	write_text(conf, text);
	g_clear_pointer(&text, g_free);
	g_assert_cmpint(system(rm_new), ==, 0);
	g_assert_cmpint(pullcheck(conf, "--digest", NULL, NULL, NULL), ==, 0);
	names = outbox_messages();
	g_assert_cmpuint(names->len, ==, 1);
	msg = read_message(names->pdata[0]);
	text = body_of(msg);
	g_test_message("top-level digest:\n%s", text);
	g_assert_nonnull(strstr(text, "\nOnly those to the [reply] top_level "
				"recipients; the oldest unpulled first.\n"));
	g_assert_nonnull(strstr(text, "COULD NOT CHECK (0)\n  none\n"));
	g_assert_null(strstr(text, "dave@example.net"));
	lines = g_strsplit(text, "\n", -1);
	fail = line_index(lines, "FAIL (2)");
	g_assert_cmpint(fail, >=, 0);
	/* The older one (6 h) before the newer (2 h). */
	g_assert_true(g_str_has_prefix(lines[fail + 1], "  0ddba1100000  "
				       "early@example.org  OLDER-FAIL"));
	g_assert_true(g_str_has_prefix(lines[fail + 2], "  deadbeef0123  "
				       "attacker@example.org"));

	/* Pulled (a merge acknowledgement came): last, and marked. */
	g_assert_cmpint(sqlite3_open(db_path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "UPDATE jobs SET pulled_at = 1 WHERE"
				     " message_id = 'older-1@example.org'",
				     NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	/* The outbox's new/ emptied: its listing has no order to rely on. */
	g_assert_cmpint(system(rm_new), ==, 0);
	g_assert_cmpint(pullcheck(conf, "--digest", NULL, NULL, NULL), ==, 0);
	g_ptr_array_unref(names);
	names = outbox_messages();
	g_assert_cmpuint(names->len, ==, 1);
	g_clear_object(&msg);
	msg = read_message(names->pdata[0]);
	g_free(text);
	text = body_of(msg);
	g_test_message("with one pulled:\n%s", text);
	g_strfreev(lines);
	lines = g_strsplit(text, "\n", -1);
	fail = line_index(lines, "FAIL (2)");
	g_assert_true(g_str_has_prefix(lines[fail + 1], "  deadbeef0123  "
				       "attacker@example.org"));
	g_assert_true(g_str_has_prefix(lines[fail + 2], "  0ddba1100000  "
				       "early@example.org  OLDER-FAIL (pulled)"));
}

/* --- the command line and [report] ----------------------------------- */

static void test_usage(void)
{
	g_autofree char *bad = path_in("bad.conf");
	g_autofree char *empty = path_in("no-digest-to.conf");
	g_autofree char *text = NULL, *err = NULL, *expect = NULL;
	g_autofree char *out = NULL;
	const char *check_argv[] = { PC_PULLCHECK, "check-config", "--config",
				     T.conf, NULL };

	/* A bad value names its file and line. */
	write_text(bad, "[pullcheck]\nstate_dir=/nonexistent\n\n[report]\n"
			"days=0\n");
	g_assert_cmpint(pullcheck(bad, NULL, NULL, NULL, &err), ==, 2);
	expect = g_strdup_printf("%s:5: [report] days", bad);
	g_assert_nonnull(strstr(err, expect));
	g_clear_pointer(&err, g_free);

	/* No digest_to: the digest is a configuration error. */
	text = g_strdup_printf("[pullcheck]\nstate_dir=%s/state\n[outbox]\n"
			       "maildir=%s/outbox-empty\n", T.out, T.out);
	write_text(empty, text);
	g_assert_cmpint(pullcheck(empty, "--digest", NULL, NULL, &err), ==, 2);
	g_assert_nonnull(strstr(err, "digest_to"));
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(pullcheck(T.conf, "--day", "2026-01-01", NULL, &err), ==, 2);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(pullcheck(T.conf, "--digest", "--day", "2026-02-30", &err),
			==, 2);
	g_clear_pointer(&err, g_free);

	/* [reply] templates overrides the dashboard's template too. */
	{
		g_autofree char *tdir = path_in("my-templates");
		g_autofree char *tfile = g_build_filename(tdir, "index.html", NULL);
		g_autofree char *tconf = path_in("templates.conf");
		g_autofree char *tout = path_in("report-custom");
		g_autofree char *index = g_build_filename(tout, "index.html", NULL);
		g_autofree char *conf = NULL, *page = NULL;

		g_assert_cmpint(g_mkdir_with_parents(tdir, 0755), ==, 0);
		write_text(tfile, "CUSTOM {{total}}{{for s in sections}} "
				  "{{s.name}}={{s.count}}{{end}}\n");
		conf = g_strdup_printf("[pullcheck]\nstate_dir=%s/state\n"
				       "[reply]\ntemplates=%s\n", T.out, tdir);
		write_text(tconf, conf);
		g_assert_cmpint(pullcheck(tconf, "--out", tout, NULL, NULL), ==, 0);
		g_assert_true(g_file_get_contents(index, &page, NULL, NULL));
		g_assert_cmpstr(page, ==, "CUSTOM 7 fail=1 unverified=1 "
					  "could-not-check=1 pass-partial=2 "
					  "pass-command=0 pass=1 in-progress=1");
	}

	/* check-config shows the [report] keys. */
	g_assert_cmpint(run(check_argv, &out, NULL), ==, 0);
	g_assert_nonnull(strstr(out, "[report]\nout_dir="));
	g_assert_nonnull(strstr(out, "\ndays=14\n"));
	g_assert_nonnull(strstr(out, "\ndigest_to=maintainer@example.org;"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	T.out = g_build_filename(PC_REPORT_OUT, argc > 1 ? argv[1] : "all",
				 NULL);
	setup();
	g_test_add_func("/report/feed", test_feed);
	g_test_add_func("/report/feed-links", test_feed_links);
	g_test_add_func("/report/files", test_files);
	g_test_add_func("/report/busy", test_busy);
	g_test_add_func("/report/dashboard", test_dashboard);
	g_test_add_func("/report/digest", test_digest);
	g_test_add_func("/report/digest-day", test_digest_day);
	g_test_add_func("/report/digest-top-level", test_digest_top_level);
	g_test_add_func("/report/usage", test_usage);
	return g_test_run();
}
