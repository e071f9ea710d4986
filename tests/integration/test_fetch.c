// SPDX-License-Identifier: GPL-2.0-only
/*
 * fetch.c against real servers on loopback: git daemon for git://,
 * lighttpd running git http-backend for smart HTTP, and slow_server.py
 * for servers that accept and then never answer (or never finish). The
 * repositories come from fetch_repos.sh: a throwaway mainline and a
 * maintainer's tree with one branch or tag per case, signed by a key in
 * the test keyring, by one not in it, and tampered with.
 *
 * Servers start on first use, on ports chosen here, each in its own
 * process group, and are killed whatever happens: at exit, on abort (a
 * failed assertion) and, through PR_SET_PDEATHSIG, if this process dies.
 * One ctest entry per group: /fetch/refuse needs no server.
 * A missing git, lighttpd, gpg or python3 exits 77.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <git2.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "fetch.h"
#include "fetch_run.h"
#include "harness.h"
#include "urlpolicy.h"
#include "worktree.h"

#define PYTHON "/usr/bin/python3"
#define LIGHTTPD "/usr/sbin/lighttpd"
#define HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
#define ENV_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

static char *root;		/* this run's directory, removed at exit */

static struct {
	gboolean up;
	GHashTable *ids;	/* name → value, from fetch_repos.sh */
	char *git;		/* git://127.0.0.1:PORT */
	char *http;		/* http://127.0.0.1:PORT/git */
	guint16 silent_port, drip_port;
	char *http_base;	/* http://127.0.0.1:PORT */
	char *https;		/* https://127.0.0.1:PORT/git */
	char *https_base;	/* https://127.0.0.1:PORT */
	char *ca_file;		/* the test CA of the https servers */
	guint16 wrong_port;	/* https, a certificate for another name */
	guint16 tls_silent_port;	/* TLS handshake, then nothing */
	char *allow[7];		/* NULL-terminated; [5] for one test */
	char *store, *keyring;
} t;

/* --- servers ----------------------------------------------------------- */

static char **child_env(void)
{
	g_autofree char *home = g_build_filename(root, "work", "home", NULL);
	char **env = g_new0(char *, 6);

	env[0] = g_strdup(ENV_PATH);
	env[1] = g_strdup("LANG=C.UTF-8");
	env[2] = g_strdup("GIT_CONFIG_NOSYSTEM=1");
	env[3] = g_strdup_printf("HOME=%s", home);
	return env;
}

static void spawn(const char *const *argv, const char *log_name)
{
	g_autofree char *log = g_build_filename(root, log_name, NULL);
	g_auto(GStrv) env = child_env();
	g_autoptr(GError) error = NULL;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	GPid pid;

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, env,
					     G_SPAWN_DO_NOT_REAP_CHILD,
					     pc_harness_child_setup, NULL, &pid,
					     -1, fd, fd, &error));
	g_assert_no_error(error);
	close(fd);
	pc_harness_track(pid);
}

/* Runs @argv to the end; its stdout, or NULL if it failed. */
static char *run_cmd_full(const char *const *argv, gboolean quiet)
{
	g_auto(GStrv) env = child_env();
	g_autofree char *err = NULL;
	char *out = NULL;
	int status;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, env, 0, NULL, NULL,
				   &out, &err, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL)) {
		if (!quiet)
			g_test_message("%s failed: %s", argv[0], err);
		g_free(out);
		return NULL;
	}
	return out;
}

static char *run_cmd(const char *const *argv)
{
	return run_cmd_full(argv, FALSE);
}

/* Ready means a real git ls-remote answers, not an open port. */
static void wait_git(const char *url)
{
	const char *argv[] = { "/usr/bin/git", "ls-remote", url, NULL };

	for (int i = 0; i < 100; i++) {
		g_autofree char *out = run_cmd_full(argv, TRUE);

		if (out && *out)
			return;
		g_usleep(100 * 1000);
	}
	g_error("no git server answers at %s; logs in %s", url, root);
}

static gboolean port_open(guint16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	gboolean ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void start_git_daemon(const char *srv)
{
	guint16 port = pc_harness_free_port("127.0.0.1");
	g_autofree char *base = g_strdup_printf("--base-path=%s", srv);
	g_autofree char *port_arg = g_strdup_printf("--port=%u", port);
	const char *argv[] = { "/usr/bin/git", "daemon", "--export-all",
			       base, "--listen=127.0.0.1", port_arg,
			       "--reuseaddr", srv, NULL };
	g_autofree char *url = NULL;

	spawn(argv, "git-daemon.log");
	t.git = g_strdup_printf("git://127.0.0.1:%u", port);
	url = g_strdup_printf("%s/mainline.git", t.git);
	wait_git(url);
}

/* openssl @args...; the test fails if it does. */
static void openssl(const char *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *out = NULL;
	const char *arg;
	va_list ap;

	g_ptr_array_add(argv, "/usr/bin/openssl");
	va_start(ap, first);
	for (arg = first; arg; arg = va_arg(ap, const char *))
		g_ptr_array_add(argv, (char *)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	out = run_cmd((const char *const *)argv->pdata);
	g_assert_nonnull(out);
}

/* DIR/NAME.pem and DIR/NAME-key.pem: a server certificate from the CA. */
static void issue(const char *dir, const char *name, const char *cn,
		  const char *san)
{
	g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dir, name);
	g_autofree char *csr = g_strdup_printf("%s/%s.csr", dir, name);
	g_autofree char *cert = g_strdup_printf("%s/%s.pem", dir, name);
	g_autofree char *ext = g_strdup_printf("%s/%s.ext", dir, name);
	g_autofree char *ca_key = g_strdup_printf("%s/ca-key.pem", dir);
	g_autofree char *subj = g_strdup_printf("/CN=%s", cn);
	g_autofree char *text = g_strdup_printf(
		"subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
		"extendedKeyUsage=serverAuth\n", san);

	g_assert_true(g_file_set_contents(ext, text, -1, NULL));
	openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subj,
		"-keyout", key, "-out", csr, NULL);
	openssl("x509", "-req", "-in", csr, "-CA", t.ca_file, "-CAkey", ca_key,
		"-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert,
		NULL);
}

/*
 * A test CA, which [fetch] ca_file trusts and the system does not, and
 * two server certificates from it: "cert" for 127.0.0.1 and localhost,
 * "wrong" for another name only.
 */
static void make_certificate(const char *dir)
{
	g_autofree char *ca_key = g_build_filename(dir, "ca-key.pem", NULL);

	t.ca_file = g_build_filename(dir, "ca.pem", NULL);
	openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
		"-subj", "/CN=pullcheck test CA", "-addext",
		"basicConstraints=critical,CA:TRUE", "-addext",
		"keyUsage=critical,keyCertSign,cRLSign", "-keyout", ca_key,
		"-out", t.ca_file, NULL);
	issue(dir, "cert", "127.0.0.1", "IP:127.0.0.1,DNS:localhost");
	issue(dir, "wrong", "wrong.example", "DNS:wrong.example");
}

/*
 * lighttpd with git http-backend under /git/, on a plain port and a TLS
 * one; /mCODE/ on either sends a redirect with that code to /git/.
 */
static void start_lighttpd(const char *srv)
{
	guint16 port = pc_harness_free_port("127.0.0.1");
	guint16 tls_port = pc_harness_free_port("127.0.0.1");
	guint16 wrong_port = pc_harness_free_port("127.0.0.1");
	g_autofree char *dir = g_build_filename(root, "http", NULL);
	g_autofree char *conf = g_build_filename(dir, "lighttpd.conf", NULL);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *url = NULL;
	const char *argv[] = { LIGHTTPD, "-D", "-f", conf, NULL };
	static const int codes[] = { 301, 302, 307, 308 };

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	make_certificate(dir);
	g_string_printf(text,
		"server.document-root = \"%s\"\n"
		"server.bind = \"127.0.0.1\"\n"
		"server.port = %u\n"
		"server.errorlog = \"%s/error.log\"\n"
		"server.modules = ( \"mod_alias\", \"mod_cgi\", \"mod_setenv\",\n"
		"\t\"mod_redirect\", \"mod_gnutls\" )\n"
		"alias.url = ( \"/git/\" => \"" HTTP_BACKEND "/\" )\n"
		"$HTTP[\"url\"] =~ \"^/git/\" {\n"
		"\tcgi.assign = ( \"\" => \"\" )\n"
		"\tsetenv.set-environment = ( \"GIT_PROJECT_ROOT\" => \"%s\",\n"
		"\t\t\"GIT_HTTP_EXPORT_ALL\" => \"1\",\n"
		"\t\t\"PATH\" => \"/usr/bin:/bin\" )\n"
		"}\n"
		"$SERVER[\"socket\"] == \"127.0.0.1:%u\" {\n"
		"\tssl.engine = \"enable\"\n"
		"\tssl.pemfile = \"%s/cert.pem\"\n"
		"\tssl.privkey = \"%s/cert-key.pem\"\n"
		"}\n"
		"$SERVER[\"socket\"] == \"127.0.0.1:%u\" {\n"
		"\tssl.engine = \"enable\"\n"
		"\tssl.pemfile = \"%s/wrong.pem\"\n"
		"\tssl.privkey = \"%s/wrong-key.pem\"\n"
		"}\n"
		"$HTTP[\"url\"] =~ \"^/xhost/\" {\n"
		"\turl.redirect = ( \"^/xhost/(.*)$\" => "
		"\"https://localhost:%u/git/$1\" )\n"
		"\turl.redirect-code = 302\n"
		"}\n", dir, port, dir, srv, tls_port, dir, dir, wrong_port, dir,
		dir, tls_port);
	for (guint i = 0; i < G_N_ELEMENTS(codes); i++)
		g_string_append_printf(text,
			"$HTTP[\"url\"] =~ \"^/m%d/\" {\n"
			"\turl.redirect = ( \"^/m%d/(.*)$\" => \"/git/$1\" )\n"
			"\turl.redirect-code = %d\n"
			"}\n", codes[i], codes[i], codes[i]);
	g_assert_true(g_file_set_contents(conf, text->str, -1, NULL));
	spawn(argv, "lighttpd.log");
	t.http_base = g_strdup_printf("http://127.0.0.1:%u", port);
	t.http = g_strdup_printf("%s/git", t.http_base);
	t.https_base = g_strdup_printf("https://127.0.0.1:%u", tls_port);
	t.https = g_strdup_printf("%s/git", t.https_base);
	t.wrong_port = wrong_port;
	url = g_strdup_printf("%s/mainline.git", t.http);
	wait_git(url);
}

static guint16 start_slow(const char *mode)
{
	guint16 port = pc_harness_free_port("127.0.0.1");
	g_autofree char *script = g_build_filename(PC_INTEGRATION_DIR,
						   "slow_server.py", NULL);
	g_autofree char *port_arg = g_strdup_printf("%u", port);
	g_autofree char *log = g_strdup_printf("slow-%s.log", mode);
	g_autofree char *cert = g_build_filename(root, "http", "cert.pem",
						 NULL);
	g_autofree char *key = g_build_filename(root, "http", "cert-key.pem",
						NULL);
	const char *argv[] = { PYTHON, script, mode, port_arg, cert, key,
			       NULL };

	spawn(argv, log);
	for (int i = 0; i < 100 && !port_open(port); i++)
		g_usleep(50 * 1000);
	g_assert_true(port_open(port));
	return port;
}

static void read_ids(void)
{
	g_autofree char *path = g_build_filename(root, "ids", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	t.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		char *eq = strchr(lines[i], '=');

		if (eq)
			g_hash_table_insert(t.ids,
					    g_strndup(lines[i], eq - lines[i]),
					    g_strdup(eq + 1));
	}
}

static const char *id(const char *name)
{
	const char *v = g_hash_table_lookup(t.ids, name);

	g_assert_nonnull(v);
	return v;
}

/* Repositories, servers and the store, once per process. */
static void need_servers(void)
{
	g_autofree char *script = g_build_filename(PC_INTEGRATION_DIR,
						   "fetch_repos.sh", NULL);
	g_autofree char *srv = g_build_filename(root, "srv", NULL);
	const char *argv[] = { "/bin/bash", script, root, NULL };
	g_autofree char *out = NULL;

	if (t.up)
		return;
	out = run_cmd(argv);
	g_assert_nonnull(out);
	read_ids();
	start_git_daemon(srv);
	start_lighttpd(srv);
	t.silent_port = start_slow("silent");
	t.drip_port = start_slow("drip");
	t.tls_silent_port = start_slow("tls-silent");
	t.allow[0] = g_strdup_printf("%s/", t.git);
	t.allow[1] = g_strdup_printf("%s/", t.http);
	t.allow[2] = g_strdup_printf("git://127.0.0.1:%u/", t.silent_port);
	t.allow[3] = g_strdup_printf("http://127.0.0.1:%u/", t.drip_port);
	t.allow[4] = g_strdup_printf("%s/", t.https);
	t.store = g_build_filename(root, "store", NULL);
	t.keyring = g_build_filename(root, "keyring", NULL);
	t.up = TRUE;
}

/* --- helpers ----------------------------------------------------------- */

typedef struct {
	char *mainline;
	PcFetchOptions o;
} Opts;

static void opts_init(Opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mainline = g_strdup_printf("%s/mainline.git", t.git);
	o->o.store = t.store;
	o->o.allow_urls = (const char *const *)t.allow;
	o->o.timeout = 30;
	o->o.max_bytes = 64 << 20;
	o->o.keyring = t.keyring;
	o->o.tree = PC_FETCH_TREE_TIP;
	o->o.mainline_url = o->mainline;
}

static void opts_clear(Opts *o)
{
	g_free(o->mainline);
}

static void pr_set(PcPullreq *pr, const char *url, const char *ref,
		   const char *base, const char *end)
{
	memset(pr, 0, sizeof(*pr));
	pr->is_pull_request = TRUE;
	pr->repo_url = g_strdup(url);
	pr->fetch_url = g_strdup(url);
	pr->ref = g_strdup(ref);
	pr->base_commit = g_strdup(base);
	pr->end_commit = g_strdup(end);
	pr->signed_tag = PC_TRI_NULL;
}

static void dump(const PcFetchResult *r)
{
	g_test_message("url=%s ref=%s resolved=%s tip=%s tag=%s sig=%s "
		       "signer=%s base=%s commits=%u files=%u +%u -%u "
		       "tree=%s/%s %" G_GUINT64_FORMAT " bytes in %.3f s, "
		       "all %.3f s", r->url, r->ref,
		       r->resolved_ref, r->tip_commit, r->tag_object,
		       r->signature, r->signer, r->base_commit, r->commits,
		       r->files_changed, r->insertions, r->deletions,
		       r->tree_kind, r->tree_commit, r->received_bytes,
		       r->fetch_s,
		       r->duration_s);
	for (guint i = 0; r->reasons && i < r->reasons->len; i++) {
		const PcReason *x = r->reasons->pdata[i];

		g_test_message("  %s [%s] %s", x->code, x->severity, x->text);
	}
}

/* Fetches @ref from @repo (a URL, or a name under the git daemon). */
static void fetch(const Opts *o, const char *job, const char *repo,
		  const char *ref, const char *base, const char *end,
		  PcFetchResult *res)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;
	PcPullreq pr;
	gboolean ok;

	url = !repo || strstr(repo, ":") ? g_strdup(repo) :
		g_strdup_printf("%s/%s", t.git, repo);
	pr_set(&pr, url, ref, base, end);
	ok = pc_fetch_run(&o->o, job, &pr, res, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_false(res->infra_failure);
	dump(res);
	pc_pullreq_clear(&pr);
}

static const PcReason *find(const PcFetchResult *r, const char *code)
{
	for (guint i = 0; i < r->reasons->len; i++) {
		const PcReason *x = r->reasons->pdata[i];

		if (!strcmp(x->code, code))
			return x;
	}
	return NULL;
}

static const PcReason *expect(const PcFetchResult *r, const char *code,
			      const char *severity)
{
	const PcReason *x = find(r, code);

	if (!x)
		g_error("no reason %s", code);
	g_assert_cmpstr(x->severity, ==, severity);
	g_assert_true(g_str_has_suffix(x->text, ".") ||
		      g_str_has_suffix(x->text, "?"));
	return x;
}

/* No error and no warning: what a clean pull request gives. */
static void expect_clean(const PcFetchResult *r)
{
	g_assert_null(pc_reasons_find(r->reasons, PC_SEVERITY_ERROR));
	g_assert_null(pc_reasons_find(r->reasons, PC_SEVERITY_UNVERIFIED));
	g_assert_null(pc_reasons_find(r->reasons, PC_SEVERITY_WARNING));
}

static guint n_reasons(const PcFetchResult *r, const char *severity)
{
	guint n = 0;

	for (guint i = 0; i < r->reasons->len; i++)
		n += !strcmp(((PcReason *)r->reasons->pdata[i])->severity,
			     severity);
	return n;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* --- git:// ------------------------------------------------------------ */

static void test_prime(void)
{
	g_autoptr(GError) error = NULL;
	git_repository *repo;
	git_object *head;
	Opts o;

	need_servers();
	opts_init(&o);
	g_assert_true(pc_fetch_prime_mainline(&o.o, &error));
	g_assert_no_error(error);
	g_assert_cmpint(git_repository_open_bare(&repo, t.store), ==, 0);
	g_assert_cmpint(git_revparse_single(&head, repo,
					    "refs/pullcheck/mainline/HEAD"),
			==, 0);
	g_assert_cmpstr(git_oid_tostr_s(git_object_id(head)), ==, id("M3"));
	git_object_free(head);
	g_assert_cmpint(git_revparse_single(&head, repo,
					    "refs/pullcheck/mainline/tags/v1.0"),
			==, 0);
	git_object_free(head);
	git_repository_free(repo);
	opts_clear(&o);
}

/* The pull request as it should be: a branch, the mail's base and end. */
static void test_branch(gconstpointer data)
{
	const char *host = data;
	g_autofree char *url = NULL;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	url = g_strdup_printf("%s/maint.git", !strcmp(host, "http") ? t.http :
			      !strcmp(host, "https") ? t.https : t.git);
	o.o.ca_file = t.ca_file;
	fetch(&o, host, url, "for-linus", id("M2"), id("F3"), &r);
	expect_clean(&r);
	g_assert_cmpstr(r.url, ==, url);
	g_assert_cmpstr(r.resolved_ref, ==, "refs/heads/for-linus");
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	g_assert_null(r.tag_object);
	g_assert_cmpint(r.signed_, ==, PC_TRI_NULL);
	g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_NONE);
	g_assert_cmpstr(r.base_commit, ==, id("M2"));
	g_assert_true(r.base_from_mail);
	/* git diff --stat M2..F3: bar.c +7, sched.c +1 -1, README +1. */
	g_assert_cmpuint(r.commits, ==, 3);
	g_assert_cmpuint(r.files_changed, ==, 3);
	g_assert_cmpuint(r.insertions, ==, 9);
	g_assert_cmpuint(r.deletions, ==, 1);
	g_assert_cmpuint(r.changed_files->len, ==, 3);
	g_assert_null(r.changed_files->pdata[3]);	/* a string vector */
	g_assert_cmpuint(r.merge_conflicts->len, ==, 0);
	g_assert_cmpstr(r.mainline_commit, ==, id("M3"));
	g_assert_cmpstr(r.tree_kind, ==, PC_FETCH_TREE_TIP);
	g_assert_cmpstr(r.tree_commit, ==, id("F3"));
	g_assert_null(r.worktree);
	g_assert_cmpfloat(r.fetch_s, >, 0);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* An annotated tag, by its bare name and as tags/NAME: peeled, unsigned. */
static void test_annotated_tag(void)
{
	const char *refs[] = { "v1-pull", "tags/v1-pull", "refs/tags/v1-pull" };
	Opts o;

	need_servers();
	opts_init(&o);
	for (guint i = 0; i < G_N_ELEMENTS(refs); i++) {
		g_autofree char *job = g_strdup_printf("tag%u", i);
		PcFetchResult r;

		fetch(&o, job, "maint.git", refs[i], id("M2"), id("F3"), &r);
		g_assert_cmpstr(r.resolved_ref, ==, "refs/tags/v1-pull");
		g_assert_cmpstr(r.tip_commit, ==, id("F3"));
		g_assert_cmpstr(r.tag_object, ==, id("T_V1"));
		g_assert_cmpint(r.signed_, ==, PC_TRI_FALSE);
		g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_NONE);
		expect(&r, "tag-unsigned", PC_SEVERITY_WARNING);
		g_assert_null(pc_reasons_find(r.reasons, PC_SEVERITY_ERROR));
		g_assert_cmpuint(r.commits, ==, 3);
		pc_fetch_result_clear(&r);
	}
	opts_clear(&o);
}

static void test_lightweight_tag(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "lw", "maint.git", "lw-tag", NULL, id("F3"), &r);
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	g_assert_null(r.tag_object);
	g_assert_cmpint(r.signed_, ==, PC_TRI_FALSE);
	expect(&r, "tag-unsigned", PC_SEVERITY_WARNING);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_tag_not_pushed(void)
{
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "notpushed", "maint.git", "not-pushed", id("M2"), id("F3"),
	      &r);
	x = expect(&r, "ref-not-found", PC_SEVERITY_UNVERIFIED);
	g_assert_nonnull(strstr(x->text, "was it pushed?"));
	g_assert_null(r.tip_commit);
	g_assert_null(r.signature);
	g_assert_null(r.tree_commit);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* The mail was written at F2; the branch has moved on to F3. */
static void test_tip_mismatch(void)
{
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "moved", "maint.git", "for-linus", id("M2"), id("F2"), &r);
	x = expect(&r, "tip-mismatch", PC_SEVERITY_UNVERIFIED);
	g_assert_nonnull(strstr(x->text, id("F3")));
	g_assert_nonnull(strstr(x->text, id("F2")));
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	g_assert_cmpuint(n_reasons(&r, PC_SEVERITY_UNVERIFIED), ==, 1);
	g_assert_cmpuint(n_reasons(&r, PC_SEVERITY_ERROR), ==, 0);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* M3 came after the branch point: no base of for-linus. */
static void test_base_not_ancestor(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "badbase", "maint.git", "for-linus", id("M3"), id("F3"), &r);
	expect(&r, "base-not-ancestor", PC_SEVERITY_UNVERIFIED);
	/* The statistics fall back to the merge-base with mainline. */
	g_assert_false(r.base_from_mail);
	g_assert_cmpstr(r.base_commit, ==, id("M2"));
	g_assert_cmpuint(r.commits, ==, 3);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_base_unknown(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "nobase", "maint.git", "for-linus",
	      "0123456789abcdef0123456789abcdef01234567", id("F3"), &r);
	expect(&r, "base-unknown", PC_SEVERITY_WARNING);
	g_assert_null(pc_reasons_find(r.reasons, PC_SEVERITY_ERROR));
	g_assert_cmpstr(r.base_commit, ==, id("M2"));
	pc_fetch_result_clear(&r);

	/* No base in the mail at all: the merge-base, quietly. */
	fetch(&o, "nobase2", "maint.git", "for-linus", NULL, NULL, &r);
	expect_clean(&r);
	g_assert_false(r.base_from_mail);
	g_assert_cmpstr(r.base_commit, ==, id("M2"));
	g_assert_cmpuint(r.commits, ==, 3);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* The mail names the tag object, and the remote's is another. */
static void test_tag_mismatch(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *url = g_strdup_printf("%s/maint.git", t.git);
	const PcReason *x;
	PcFetchResult r;
	PcPullreq pr;
	Opts o;

	need_servers();
	opts_init(&o);
	pr_set(&pr, url, "v1-pull", id("M2"), id("F3"));
	pr.tag_commit = g_strdup(id("T_GOOD"));
	g_assert_true(pc_fetch_run(&o.o, "tagmismatch", &pr, &r, &error));
	g_assert_no_error(error);
	dump(&r);
	x = expect(&r, "tag-mismatch", PC_SEVERITY_UNVERIFIED);
	g_assert_nonnull(strstr(x->text, id("T_V1")));
	g_assert_nonnull(strstr(x->text, id("T_GOOD")));
	g_assert_null(find(&r, "tip-mismatch"));
	pc_fetch_result_clear(&r);
	pc_pullreq_clear(&pr);
	opts_clear(&o);
}

/* Mainline's own master: nothing new, already merged. */
static void test_already_merged(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "merged", "mainline.git", "master", NULL, id("M3"), &r);
	expect(&r, "already-merged", PC_SEVERITY_INFO);
	expect_clean(&r);
	g_assert_cmpuint(r.commits, ==, 0);
	g_assert_cmpuint(r.merge_conflicts->len, ==, 0);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* What the store has does not travel again. */
static void test_warm_store(void)
{
	PcFetchResult r;
	guint64 first;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "warm1", "maint.git", "big", NULL, NULL, &r);
	first = r.received_bytes;
	g_assert_cmpuint(first, >, 2 << 20);
	pc_fetch_result_clear(&r);
	fetch(&o, "warm2", "maint.git", "big", NULL, NULL, &r);
	g_test_message("first fetch %" G_GUINT64_FORMAT " bytes, second %"
		       G_GUINT64_FORMAT, first, r.received_bytes);
	g_assert_cmpuint(r.received_bytes, <, 16 << 10);
	g_assert_cmpuint(r.commits, ==, 1);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* No ref: the remote's HEAD, which is main-dev here, never "master". */
static void test_remote_head(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "head", "maint.git", NULL, NULL, NULL, &r);
	g_assert_null(r.ref);
	g_assert_cmpstr(r.resolved_ref, ==, "refs/heads/main-dev");
	g_assert_cmpstr(r.tip_commit, ==, id("D1"));
	expect(&r, "ref-from-head", PC_SEVERITY_INFO);
	expect_clean(&r);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* What git itself takes for `git pull URL NAME`. */
static char *git_pull_takes(const char *url, const char *name)
{
	g_autofree char *dir = g_build_filename(root, "work", "gitpull", NULL);
	const char *init[] = { "/usr/bin/git", "init", "-q", dir, NULL };
	const char *fetch_argv[] = { "/usr/bin/git", "-C", dir, "fetch", "-q",
				     url, name, NULL };
	const char *parse[] = { "/usr/bin/git", "-C", dir, "rev-parse",
				"FETCH_HEAD^{commit}", NULL };
	char *out;

	g_free(run_cmd(init));
	g_free(run_cmd(fetch_argv));
	out = run_cmd(parse);
	g_assert_nonnull(out);
	return g_strchomp(out);
}

/* A branch at F1 and a tag at F2 both called amb: git takes the tag. */
static void test_ambiguous(void)
{
	g_autofree char *url = g_strdup_printf("%s/maint.git", t.git);
	g_autofree char *git_tip = NULL;
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "amb", url, "amb", NULL, NULL, &r);
	x = expect(&r, "ref-ambiguous", PC_SEVERITY_WARNING);
	g_assert_nonnull(strstr(x->text, "refs/tags/amb"));
	g_assert_cmpstr(r.resolved_ref, ==, "refs/tags/amb");
	g_assert_cmpstr(r.tip_commit, ==, id("F2"));
	git_tip = git_pull_takes(url, "amb");
	g_assert_cmpstr(r.tip_commit, ==, git_tip);
	pc_fetch_result_clear(&r);

	/* Said in full, it is not ambiguous. */
	fetch(&o, "amb2", url, "refs/heads/amb", NULL, NULL, &r);
	g_assert_null(find(&r, "ref-ambiguous"));
	g_assert_cmpstr(r.tip_commit, ==, id("F1"));
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* --- signed tags ------------------------------------------------------- */

static void test_signed_verified(gconstpointer data)
{
	const char *host = data;
	g_autofree char *url = NULL;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	url = g_strdup_printf("%s/maint.git", !strcmp(host, "http") ? t.http :
			      t.git);
	fetch(&o, "signed", url, "signed-good", id("M2"), id("F3"), &r);
	expect_clean(&r);
	g_assert_cmpint(r.signed_, ==, PC_TRI_TRUE);
	g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_VERIFIED);
	g_assert_nonnull(r.signer);
	g_assert_true(g_str_has_prefix(r.signer, id("FPR_A")));
	g_assert_nonnull(strstr(r.signer, "Test Signer A <a@example.org>"));
	g_assert_cmpstr(r.tag_object, ==, id("T_GOOD"));
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_signed_unknown_key(void)
{
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "unknownkey", "maint.git", "signed-unknown", id("M2"),
	      id("F3"), &r);
	g_assert_cmpint(r.signed_, ==, PC_TRI_TRUE);
	g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_UNKNOWN_KEY);
	g_assert_cmpstr(r.signer, ==, id("FPR_B"));
	x = expect(&r, "tag-key-unknown", PC_SEVERITY_WARNING);
	g_assert_nonnull(strstr(x->text, id("FPR_B")));
	g_assert_null(find(&r, "tag-unsigned"));
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_signed_bad(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "badsig", "maint.git", "signed-bad", id("M2"), id("F3"),
	      &r);
	g_assert_cmpint(r.signed_, ==, PC_TRI_TRUE);
	g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_BAD);
	expect(&r, "tag-signature-bad", PC_SEVERITY_UNVERIFIED);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_signed_no_keyring(void)
{
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.keyring = NULL;
	fetch(&o, "nokeyring", "maint.git", "signed-good", id("M2"), id("F3"),
	      &r);
	g_assert_cmpint(r.signed_, ==, PC_TRI_TRUE);
	g_assert_cmpstr(r.signature, ==, PC_FETCH_SIG_UNCHECKED);
	expect(&r, "tag-signature-unchecked", PC_SEVERITY_INFO);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* --- the merge with mainline ------------------------------------------- */

static void test_merge_conflict(void)
{
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "conflict", "maint.git", "conflict", id("M2"), id("C1"), &r);
	x = expect(&r, "merge-conflict", PC_SEVERITY_WARNING);
	g_assert_nonnull(strstr(x->text, "drivers/net/foo.c"));
	g_assert_cmpuint(r.merge_conflicts->len, ==, 1);
	g_assert_cmpstr(r.merge_conflicts->pdata[0], ==, "drivers/net/foo.c");
	g_assert_cmpstr(r.tree_kind, ==, PC_FETCH_TREE_TIP);
	pc_fetch_result_clear(&r);

	/*
	 * tree = merge: the merge is what would be built, and it cannot
	 * be; never the tip in its place. The conflict is the verdict's
	 * cause, its paths named.
	 */
	o.o.tree = PC_FETCH_TREE_MERGE;
	fetch(&o, "conflict2", "maint.git", "conflict", id("M2"), id("C1"),
	      &r);
	x = expect(&r, "merge-conflict", PC_SEVERITY_INFRA);
	g_assert_nonnull(strstr(x->text, "in 1 file: drivers/net/foo.c. "
				"pullcheck builds the merge, so nothing was "
				"built."));
	g_assert_null(find(&r, "tree-tip"));
	g_assert_null(r.tree_kind);
	g_assert_null(r.tree_commit);
	g_assert_null(r.worktree);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static char *read_file(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	return text;
}

/* tree = merge: a merge commit of mainline and the tip, checked out. */
static void test_tree_merge(void)
{
	g_autofree char *wt = g_build_filename(root, "wt-merge", NULL);
	g_autofree char *foo = NULL, *bar = NULL;
	git_repository *repo;
	git_commit *merge;
	git_oid oid;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.tree = PC_FETCH_TREE_MERGE;
	o.o.worktree = wt;
	fetch(&o, "merge", "maint.git", "for-linus", id("M2"), id("F3"), &r);
	expect_clean(&r);
	g_assert_cmpstr(r.tree_kind, ==, PC_FETCH_TREE_MERGE);
	g_assert_cmpstr(r.worktree, ==, wt);
	g_assert_cmpint(git_repository_open_bare(&repo, t.store), ==, 0);
	g_assert_cmpint(git_oid_fromstr(&oid, r.tree_commit), ==, 0);
	g_assert_cmpint(git_commit_lookup(&merge, repo, &oid), ==, 0);
	g_assert_cmpuint(git_commit_parentcount(merge), ==, 2);
	g_assert_cmpstr(git_oid_tostr_s(git_commit_parent_id(merge, 0)), ==,
			id("M3"));
	g_assert_cmpstr(git_oid_tostr_s(git_commit_parent_id(merge, 1)), ==,
			id("F3"));
	git_commit_free(merge);
	git_repository_free(repo);
	/* Mainline's M3 and the branch's F1, both in the tree. */
	foo = read_file(wt, "drivers/net/foo.c");
	bar = read_file(wt, "drivers/net/bar.c");
	g_assert_nonnull(strstr(foo, "foo line five (mainline)"));
	g_assert_nonnull(bar);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* --- smart HTTP ---------------------------------------------------------- */

static void test_http_tag(void)
{
	g_autofree char *url = NULL;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	url = g_strdup_printf("%s/maint.git", t.http);
	fetch(&o, "httptag", url, "tags/v1-pull", id("M2"), id("F3"), &r);
	g_assert_cmpstr(r.tag_object, ==, id("T_V1"));
	expect(&r, "tag-unsigned", PC_SEVERITY_WARNING);
	pc_fetch_result_clear(&r);

	fetch(&o, "httpmissing", url, "no-such-branch", NULL, NULL, &r);
	expect(&r, "ref-not-found", PC_SEVERITY_UNVERIFIED);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* pullcheck's own TLS checks the chain: the system's CAs do not know it. */
static void test_https_untrusted(void)
{
	g_autofree char *url = NULL;
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	url = g_strdup_printf("%s/maint.git", t.https);
	fetch(&o, "untrusted", url, "for-linus", NULL, NULL, &r);
	x = expect(&r, "fetch-failed", PC_SEVERITY_ERROR);
	if (!strstr(x->text, "the certificate of 127.0.0.1 is not trusted"))
		g_error("not a certificate error: %s", x->text);
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/*
 * A redirect to another path on the same host, which libgit2 follows
 * whatever its options say: with a path-scoped allow entry for /mCODE/
 * only, the request to /git/ is never sent; with /git/ allowed too, the
 * same fetch goes through (so the redirect really happens).
 */
static void test_redirect(gconstpointer data)
{
	const char *what = data;	/* "301" ... or "https-308" */
	gboolean tls = g_str_has_prefix(what, "https-");
	const char *code = tls ? what + 6 : what;
	const char *base = tls ? t.https_base : t.http_base;
	g_autofree char *prefix = NULL, *url = NULL, *to = NULL;
	g_autofree char *git_prefix = NULL;
	const char *allow[3] = { NULL };
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	base = tls ? t.https_base : t.http_base;
	opts_init(&o);
	o.o.ca_file = t.ca_file;
	prefix = g_strdup_printf("%s/m%s/", base, code);
	git_prefix = g_strdup_printf("%s/git/", base);
	url = g_strdup_printf("%smaint.git", prefix);
	to = g_strdup_printf("sent the fetch on to %s/git/maint.git/info/refs",
			     base);
	allow[0] = prefix;
	o.o.allow_urls = allow;
	fetch(&o, "redirect", url, "for-linus", NULL, NULL, &r);
	x = expect(&r, "url-not-allowed", PC_SEVERITY_ERROR);
	if (!strstr(x->text, to))
		g_error("\"%s\" does not say \"%s\"", x->text, to);
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);

	allow[1] = git_prefix;
	fetch(&o, "redirect-ok", url, "for-linus", NULL, NULL, &r);
	expect_clean(&r);
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* A certificate from the trusted CA, for another name: refused. */
static void test_https_wrong_host(void)
{
	g_autofree char *url = NULL;
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.ca_file = t.ca_file;
	url = g_strdup_printf("https://127.0.0.1:%u/git/maint.git",
			      t.wrong_port);
	g_free(t.allow[5]);
	t.allow[5] = g_strdup(url);
	fetch(&o, "wrong-host", url, "for-linus", NULL, NULL, &r);
	x = expect(&r, "fetch-failed", PC_SEVERITY_ERROR);
	if (!strstr(x->text, "the certificate of 127.0.0.1 is not trusted") ||
	    !strstr(x->text, "does not match"))
		g_error("not a name error: %s", x->text);
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);
	g_clear_pointer(&t.allow[5], g_free);
	opts_clear(&o);
}

/*
 * A redirect to another host, one the allow list does not name: the
 * request to it is never sent. The certificate would be good for it
 * (localhost is in it), so only the allow list stops it.
 */
static void test_https_redirect_off_list(void)
{
	g_autofree char *url = NULL, *from = NULL, *git = NULL;
	const char *allow[3] = { NULL };
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.ca_file = t.ca_file;
	from = g_strdup_printf("%s/xhost/", t.https_base);
	git = g_strdup_printf("%s/git/", t.https_base);
	url = g_strdup_printf("%smaint.git", from);
	allow[0] = from;
	allow[1] = git;
	o.o.allow_urls = allow;
	fetch(&o, "xhost", url, "for-linus", NULL, NULL, &r);
	x = expect(&r, "url-not-allowed", PC_SEVERITY_ERROR);
	if (!strstr(x->text, "the server sent the fetch on to another host, "
			     "localhost,"))
		g_error("\"%s\" does not name the host it was sent to",
			x->text);
	g_assert_null(find(&r, "fetch-failed"));	/* not retried */
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* --- refused before any network ---------------------------------------- */

static void expect_refused(const char *url, const char *ref,
			   const char *code)
{
	static const char *const allow[] = {
		"https://git.kernel.org/", "git://git.kernel.org",
		"https://github.com/", NULL,
	};
	g_autofree char *store = g_build_filename(root, "never", NULL);
	PcFetchOptions o = {
		.store = store,
		.allow_urls = allow,
		.timeout = 1,
		.max_bytes = 1 << 20,
		.mainline_url = "git://127.0.0.1:1/mainline.git",
	};
	g_autoptr(GError) error = NULL;
	PcFetchResult r;
	PcPullreq pr;

	pr_set(&pr, url, ref, NULL, NULL);
	g_assert_true(pc_fetch_run(&o, "refused", &pr, &r, &error));
	g_assert_no_error(error);
	dump(&r);
	g_assert_cmpuint(r.reasons->len, ==, 1);
	/* A ref the mail gets wrong is not verified; a URL is refused. */
	expect(&r, code, !strcmp(code, "ref-invalid") ? PC_SEVERITY_UNVERIFIED
						       : PC_SEVERITY_ERROR);
	g_assert_null(r.tip_commit);
	g_assert_false(g_file_test(o.store, G_FILE_TEST_EXISTS));
	pc_fetch_result_clear(&r);
	pc_pullreq_clear(&pr);
}

static void test_refuse_url(void)
{
	static const char *const urls[] = {
		"file:///srv/git/linux.git",
		"/srv/git/linux.git",
		"../linux.git",
		"ext::sh -c touch% /tmp/pwned",
		"ext::sh",
		"ssh://git@git.kernel.org/pub/scm/linux.git",
		"https://user:secret@git.kernel.org/pub/scm/linux.git",
		"https://user@git.kernel.org/pub/scm/linux.git",
		"http://user@git.kernel.org/pub/scm/linux.git",
		"https://git.kernel.org.evil.example/pub/scm/linux.git",
		"https://evil.example/git.kernel.org/linux.git",
		"https://git.kernel.org/pub/../../evil/linux.git",
		"https://git.kernel.org/pub/%2e%2e/evil/linux.git",
		"https://git.kernel.org/pub/scm/linux.git?x=1",
		"https://git.kernel.org/pub/scm/linux.git#frag",
		"https://git.kernel.org/pub scm/linux.git",
		"https://git.kernel.org/pub/scm/linux.git\n",
		"https://git.kernel.org",
		"https://git.kernel.org:8443/pub/scm/linux.git",
		"http://git.kernel.org/pub/scm/linux.git",
		"git://git.kernel.org:9419/pub/scm/linux.git",
		"https://githubXcom/x/y.git",
		"https://github.com.evil.example/x/y.git",
		NULL,
	};

	for (guint i = 0; i < G_N_ELEMENTS(urls); i++)
		expect_refused(urls[i], "for-linus", "url-not-allowed");
}

static void test_refuse_ref(void)
{
	static const char *const refs[] = {
		"-upload-pack=touch /tmp/pwned", "--upload-pack=x", "-x",
		"a..b", "for-linus@{1}", "for linus", "for\tlinus",
		"for\001linus", "for-linus.lock", "x:y", "x~1", "x^", "*",
		"refs/heads/a/../b", "a//b", "", "x\\y", "/x", "x/",
	};

	for (guint i = 0; i < G_N_ELEMENTS(refs); i++)
		expect_refused("https://git.kernel.org/pub/scm/linux.git",
			       refs[i], "ref-invalid");
}

/* The normalised form is what is compared and what is fetched. */
static void test_normalise(void)
{
	static const char *const allow[] = { "https://git.kernel.org/",
					     "git://GIT.kernel.org:9418",
					     "https://github.com/torvalds",
					     NULL };
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "HTTPS://Git.Kernel.ORG:443/pub/scm/linux.git/",
		  "https://git.kernel.org/pub/scm/linux.git" },
		{ "git://git.kernel.org/pub/scm/x.git",
		  "git://git.kernel.org/pub/scm/x.git" },
		{ "https://github.com/torvalds/linux",
		  "https://github.com/torvalds/linux" },
	};
	char *norm, *why;

	for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
		why = pc_urlpolicy_check_url(ok[i].in, allow, &norm);
		g_assert_null(why);
		g_assert_cmpstr(norm, ==, ok[i].out);
		g_free(norm);
	}
	/* A prefix ends at a path segment. */
	why = pc_urlpolicy_check_url("https://github.com/torvaldsevil/linux",
				 allow, &norm);
	g_assert_nonnull(why);
	g_assert_null(norm);
	g_free(why);
	g_assert_null(pc_urlpolicy_check_ref("for-linus"));
	g_assert_null(pc_urlpolicy_check_ref("tags/for-linus-6.13"));
	g_assert_null(pc_urlpolicy_check_ref("refs/tags/v6.13-rc1"));
	g_assert_null(pc_urlpolicy_check_ref("HEAD"));
	g_assert_null(pc_urlpolicy_check_ref(NULL));
}

static void test_bad_job_id(void)
{
	static const char *const allow[] = { "https://git.kernel.org/", NULL };
	g_autofree char *store = g_build_filename(root, "never", NULL);
	PcFetchOptions o = { .store = store, .allow_urls = allow,
			     .mainline_url = "git://127.0.0.1:1/x" };
	const char *jobs[] = { "", "mainline", "../x", "a/b", "-x", "x.lock",
			       NULL };
	PcPullreq pr;

	pr_set(&pr, "https://git.kernel.org/x.git", "x", NULL, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(jobs); i++) {
		g_autoptr(GError) error = NULL;
		PcFetchResult r;

		g_assert_false(pc_fetch_run(&o, jobs[i], &pr, &r, &error));
		g_assert_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_INVALID);
		g_assert_true(r.infra_failure);
		pc_fetch_result_clear(&r);
	}
	pc_pullreq_clear(&pr);
}

/* --- limits ------------------------------------------------------------ */

/* Accepts the connection and never says a word (or never finishes). */
static void test_never_answers(gconstpointer data)
{
	const char *kind = data;
	const guint timeout = 3;
	g_autofree char *url = NULL;
	const PcReason *x;
	PcFetchResult r;
	double cpu;
	gint64 start;
	Opts o;

	need_servers();
	opts_init(&o);
	/* Mainline first, so the clock below is the PR's fetch alone. */
	g_assert_true(pc_fetch_prime_mainline(&o.o, NULL));
	o.o.timeout = timeout;
	if (!strcmp(kind, "drip"))
		url = g_strdup_printf("http://127.0.0.1:%u/x.git", t.drip_port);
	else if (!strcmp(kind, "tls-silent"))	/* a good handshake, then */
		url = g_strdup_printf("https://127.0.0.1:%u/x.git",
				      t.tls_silent_port);
	else
		url = g_strdup_printf("%s://127.0.0.1:%u/x.git", kind,
				      t.silent_port);
	g_free(t.allow[5]);
	t.allow[5] = g_strdup(url);
	/*
	 * The system's CAs are read once per process, on the first https
	 * connection: read them before the clock starts, so what is
	 * measured is the wait alone.
	 */
	o.o.ca_file = t.ca_file;
	if (!strcmp(kind, "https") || !strcmp(kind, "tls-silent")) {
		g_autofree char *warm = g_strdup_printf("%s/maint.git", t.https);

		fetch(&o, "warm-up", warm, "for-linus", NULL, NULL, &r);
		pc_fetch_result_clear(&r);
	}
	cpu = cpu_seconds();
	start = g_get_monotonic_time();
	fetch(&o, "silent", url, "for-linus", NULL, NULL, &r);
	g_test_message("%s: %.3f s wall, %.3f s CPU", kind,
		       (g_get_monotonic_time() - start) / 1e6,
		       cpu_seconds() - cpu);
	/* Our own limit, named: not fetch-failed, which is retried. */
	x = expect(&r, "fetch-limit", PC_SEVERITY_ERROR);
	g_assert_nonnull(strstr(x->text, "stopped at this installation's "
					 "limit: the server did not finish "
					 "within the time limit of 3 seconds "
					 "([fetch] timeout)."));
	g_assert_null(find(&r, "fetch-failed"));
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, >=,
			  timeout - 0.1);
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, <,
			  timeout + 5);
	/* Waited in poll(), not spun. */
	g_assert_cmpfloat(cpu_seconds() - cpu, <, 1.0);
	if (!strcmp(kind, "tls-silent")) {	/* the wait was after TLS */
		g_autofree char *log = read_file(root, "slow-tls-silent.log");

		g_assert_nonnull(strstr(log, "handshake done"));
	}
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);
	g_clear_pointer(&t.allow[5], g_free);
	opts_clear(&o);
}

static void test_byte_cap(void)
{
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	g_assert_true(pc_fetch_prime_mainline(&o.o, NULL));
	o.o.max_bytes = 256 << 10;
	fetch(&o, "big", "maint.git", "big", NULL, NULL, &r);
	x = expect(&r, "fetch-limit", PC_SEVERITY_ERROR);
	g_assert_nonnull(strstr(x->text, "stopped at this installation's "
					 "limit: the server sent more than the "
					 "limit of 262144 bytes ([fetch] "
					 "max_bytes)."));
	g_assert_null(find(&r, "fetch-failed"));
	g_assert_null(r.tip_commit);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

static void test_refused_connection(void)
{
	g_autofree char *url = NULL;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	g_assert_true(pc_fetch_prime_mainline(&o.o, NULL));
	url = g_strdup_printf("git://127.0.0.1:%u/x.git", pc_harness_free_port("127.0.0.1"));
	g_free(t.allow[5]);
	t.allow[5] = g_strdup(url);
	fetch(&o, "refused", url, "x", NULL, NULL, &r);
	expect(&r, "fetch-failed", PC_SEVERITY_ERROR);
	g_assert_cmpfloat(r.duration_s, <, 2);
	pc_fetch_result_clear(&r);
	g_clear_pointer(&t.allow[5], g_free);
	opts_clear(&o);
}

/* Mainline itself cannot be fetched: our side, not the pull request's. */
static void test_mainline_down(void)
{
	g_autofree char *store = g_build_filename(root, "store-nomainline",
						  NULL);
	g_autofree char *url = g_strdup_printf("%s/maint.git", t.git);
	g_autoptr(GError) error = NULL;
	PcFetchResult r;
	PcPullreq pr;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.store = store;
	o.o.timeout = 2;
	g_free(o.mainline);
	o.mainline = g_strdup_printf("git://127.0.0.1:%u/mainline.git",
				     t.silent_port);
	o.o.mainline_url = o.mainline;
	pr_set(&pr, url, "for-linus", NULL, NULL);
	g_assert_false(pc_fetch_run(&o.o, "nomainline", &pr, &r, &error));
	g_assert_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE);
	g_test_message("%s", error->message);
	g_assert_true(r.infra_failure);
	g_assert_cmpfloat(r.duration_s, <, 7);
	pc_fetch_result_clear(&r);
	pc_pullreq_clear(&pr);
	opts_clear(&o);
}

/* --- the incremental checkout ------------------------------------------ */

static struct timespec mtime_of(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_mtim;
}

static const char *const kept_files[] = {
	"README", ".gitignore", "drivers/net/foo.c", "include/linux/x.h",
};

/* Sets every file of for-linus to an old mtime, so a rewrite shows. */
static void age_files(const char *dir)
{
	const char *names[] = { "README", ".gitignore", "drivers/net/foo.c",
				"include/linux/x.h", "kernel/sched.c",
				"drivers/net/bar.c" };
	struct timespec old[2] = { { .tv_sec = 978307200 },
				   { .tv_sec = 978307200 } };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *path = g_build_filename(dir, names[i], NULL);

		g_assert_cmpint(utimensat(AT_FDCWD, path, old, 0), ==, 0);
	}
}

static void write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_incremental(void)
{
	g_autofree char *wt = g_build_filename(root, "wt", NULL);
	g_autofree char *sched = NULL, *foo = NULL, *obj = NULL;
	g_autofree char *bar = NULL, *baz = NULL;
	g_autofree char *stray = g_build_filename(wt, "stray.c", NULL);
	g_autofree char *record = g_strconcat(wt, ".tree", NULL);
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.worktree = wt;
	fetch(&o, "step1", "maint.git", "for-linus", NULL, id("F3"), &r);
	g_assert_cmpstr(r.worktree, ==, wt);
	pc_fetch_result_clear(&r);
	age_files(wt);
	/* A stray file, an edited tracked file, build output (ignored). */
	write_file(wt, "stray.c", "stray\n");
	write_file(wt, "include/linux/x.h", "edited by someone\n");
	write_file(wt, "kernel/sched.o", "object\n");
	/* Touched by hand: without its record the next checkout is full. */
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));
	g_assert_cmpint(g_unlink(record), ==, 0);

	fetch(&o, "step2", "maint.git", "step2", NULL, id("S1"), &r);
	g_assert_cmpstr(r.tree_commit, ==, id("S1"));
	pc_fetch_result_clear(&r);

	/* Unchanged between the two tips, untouched: mtimes kept. */
	for (guint i = 0; i < G_N_ELEMENTS(kept_files); i++) {
		if (!strcmp(kept_files[i], "include/linux/x.h"))
			continue;
		g_assert_cmpint(mtime_of(wt, kept_files[i]).tv_sec, ==,
				978307200);
	}
	/* Changed: rewritten. Deleted: gone. Added: there. */
	g_assert_cmpint(mtime_of(wt, "kernel/sched.c").tv_sec, >, 978307200);
	sched = read_file(wt, "kernel/sched.c");
	g_assert_nonnull(strstr(sched, "sched line nine"));
	bar = read_file(wt, "drivers/net/bar.c");
	g_assert_null(bar);
	baz = read_file(wt, "drivers/net/baz.c");
	g_assert_nonnull(baz);
	/* The edit is undone, the stray file goes, build output stays. */
	foo = read_file(wt, "include/linux/x.h");
	g_assert_cmpstr(foo, ==, "x line 1\nx line 2\nx line 3\nx line 4\n"
				 "x line 5\n");
	g_assert_false(g_file_test(stray, G_FILE_TEST_EXISTS));
	obj = read_file(wt, "kernel/sched.o");
	g_assert_cmpstr(obj, ==, "object\n");
	opts_clear(&o);
}


/* --- the quick checkout: from the recorded tree to the next ------------- */

/* Every file and link under @dir gets an old mtime, so a rewrite shows. */
static void age_tree(const char *dir)
{
	struct timespec old[2] = { { .tv_sec = 978307200 },
				   { .tv_sec = 978307200 } };
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			age_tree(path);
		g_assert_cmpint(utimensat(AT_FDCWD, path, old,
					  AT_SYMLINK_NOFOLLOW), ==, 0);
	}
}

static gboolean aged(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct stat st;

	g_assert_cmpint(lstat(path, &st), ==, 0);
	return st.st_mtim.tv_sec == 978307200;
}

static guint count_entries(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d))
		n++;
	return n;
}

/* @got holds what @want holds: names, types, exec bits, content, links. */
static void assert_same_tree(const char *want, const char *got)
{
	g_autoptr(GDir) d = g_dir_open(want, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	g_assert_cmpuint(count_entries(got), ==, count_entries(want));
	while ((name = g_dir_read_name(d))) {
		g_autofree char *w = g_build_filename(want, name, NULL);
		g_autofree char *g = g_build_filename(got, name, NULL);
		g_autofree char *wt = NULL, *gt = NULL;
		struct stat ws, gs;

		g_assert_cmpint(lstat(w, &ws), ==, 0);
		if (lstat(g, &gs) < 0)
			g_error("%s is missing", g);
		g_assert_cmpint(ws.st_mode & S_IFMT, ==, gs.st_mode & S_IFMT);
		if (S_ISDIR(ws.st_mode)) {
			assert_same_tree(w, g);
		} else if (S_ISLNK(ws.st_mode)) {
			wt = g_file_read_link(w, NULL);
			gt = g_file_read_link(g, NULL);
			g_assert_cmpstr(gt, ==, wt);
		} else {
			gsize wn, gn;

			g_assert_cmpint(ws.st_mode & 0111, ==, gs.st_mode & 0111);
			g_assert_true(g_file_get_contents(w, &wt, &wn, NULL));
			g_assert_true(g_file_get_contents(g, &gt, &gn, NULL));
			g_assert_cmpmem(gt, gn, wt, wn);
		}
	}
}

/* The worktree is exactly what git archive gives for @rev. */
static void assert_is_rev(const char *wt, const char *rev)
{
	g_autofree char *ref = g_strdup_printf("%s.want", wt);
	g_autofree char *cmd = g_strdup_printf(
		"rm -rf '%s' && mkdir '%s' && git --git-dir='%s/srv/maint.git' "
		"archive %s | tar -x -C '%s'", ref, ref, root, rev, ref);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	g_autofree char *out = run_cmd(argv);

	g_assert_nonnull(out);
	assert_same_tree(ref, wt);
}

/* Whether the index beside @wt was written since @before was taken. */
static gboolean index_rewritten(const char *wt, const struct stat *before)
{
	g_autofree char *path = g_strconcat(wt, ".index", NULL);
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_ino != before->st_ino ||
	       st.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != before->st_mtim.tv_nsec;
}

static void index_stat(const char *wt, struct stat *st)
{
	g_autofree char *path = g_strconcat(wt, ".index", NULL);

	g_assert_cmpint(stat(path, st), ==, 0);
}

static void assert_rust_files(const PcFetchResult *r, const char *a,
			      const char *b)
{
	g_assert_cmpuint(r->rust_files->len, ==, 2);
	g_assert_cmpstr(r->rust_files->pdata[0], ==, a);
	g_assert_cmpstr(r->rust_files->pdata[1], ==, b);
	g_assert_null(r->rust_files->pdata[2]);
}

/* Out of the way of other worktrees, and fetched in two steps. */
static void shapes_start(Opts *o, char **wt, const char *name)
{
	PcFetchResult r;

	need_servers();
	opts_init(o);
	*wt = g_build_filename(root, name, NULL);
	o->o.worktree = *wt;
	fetch(o, name, "maint.git", "shapes-a", NULL, id("SA"), &r);
	g_assert_cmpstr(r.worktree, ==, *wt);
	assert_rust_files(&r, "shapes/rs/kept.rs", "shapes/rs/old.rs");
	pc_fetch_result_clear(&r);
	assert_is_rev(*wt, "shapes-a");
	age_tree(*wt);
}

/*
 * With the record, the next checkout writes only what differs: modified,
 * added, deleted, renamed, a mode change, links, a file that becomes a
 * link, a directory that becomes a file and the other way round. The
 * index is not rewritten (that is how the test knows it was the quick
 * way), unchanged files keep their mtime, and the result is git's.
 */
static void test_quick(void)
{
	g_autofree char *wt = NULL;
	g_autofree char *record = NULL;
	PcFetchResult r;
	struct stat before;
	Opts o;

	shapes_start(&o, &wt, "wt-quick");
	record = g_strconcat(wt, ".tree", NULL);
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));
	index_stat(wt, &before);

	fetch(&o, "quick", "maint.git", "shapes-b", NULL, id("SB"), &r);
	g_assert_cmpstr(r.tree_commit, ==, id("SB"));
	assert_rust_files(&r, "shapes/rs/kept.rs", "shapes/rs/new.rs");
	pc_fetch_result_clear(&r);
	g_assert_false(index_rewritten(wt, &before));
	assert_is_rev(wt, "shapes-b");
	/* Unchanged, or only its mode changed: not written. */
	g_assert_true(aged(wt, "README"));
	g_assert_true(aged(wt, "kernel/sched.c"));
	g_assert_true(aged(wt, "shapes/keep.c"));
	g_assert_true(aged(wt, "shapes/script.sh"));
	/* Written: a new mtime. */
	g_assert_false(aged(wt, "shapes/mod.c"));
	g_assert_false(aged(wt, "shapes/new-name.c"));
	g_assert_false(aged(wt, "shapes/dir2file"));
	g_assert_false(aged(wt, "shapes/file2dir/inner.c"));
	g_assert_false(aged(wt, "shapes/file2link"));

	/* And back, the same way. */
	age_tree(wt);
	fetch(&o, "quick-back", "maint.git", "shapes-a", NULL, id("SA"), &r);
	assert_rust_files(&r, "shapes/rs/kept.rs", "shapes/rs/old.rs");
	pc_fetch_result_clear(&r);
	g_assert_false(index_rewritten(wt, &before));
	assert_is_rev(wt, "shapes-a");
	g_assert_true(aged(wt, "shapes/keep.c"));
	g_assert_false(aged(wt, "shapes/mod.c"));
	opts_clear(&o);
}

/*
 * The full checkout takes over when a file the diff would replace is not
 * what the recorded tree says (edited by hand), and when the record is
 * missing; either way the result is git's and unchanged files keep
 * their mtime.
 */
static void test_quick_fallback(void)
{
	g_autofree char *wt = NULL;
	g_autofree char *record = NULL;
	PcFetchResult r;
	struct stat before;
	Opts o;

	shapes_start(&o, &wt, "wt-fallback");
	record = g_strconcat(wt, ".tree", NULL);

	/* Dirty: shapes/mod.c differs between the trees and was edited. */
	write_file(wt, "shapes/mod.c", "edited by hand\n");
	index_stat(wt, &before);
	fetch(&o, "dirty", "maint.git", "shapes-b", NULL, id("SB"), &r);
	assert_rust_files(&r, "shapes/rs/kept.rs", "shapes/rs/new.rs");
	pc_fetch_result_clear(&r);
	g_assert_true(index_rewritten(wt, &before));
	assert_is_rev(wt, "shapes-b");
	g_assert_true(aged(wt, "shapes/keep.c"));
	g_assert_true(aged(wt, "README"));
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));

	/* No record: the same. */
	g_assert_cmpint(g_unlink(record), ==, 0);
	age_tree(wt);
	index_stat(wt, &before);
	fetch(&o, "no-record", "maint.git", "shapes-a", NULL, id("SA"), &r);
	assert_rust_files(&r, "shapes/rs/kept.rs", "shapes/rs/old.rs");
	pc_fetch_result_clear(&r);
	g_assert_true(index_rewritten(wt, &before));
	assert_is_rev(wt, "shapes-a");
	g_assert_true(aged(wt, "shapes/keep.c"));
	g_assert_false(aged(wt, "shapes/mod.c"));
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));

	/* A worktree made anew under the same name is not the recorded one. */
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", wt);
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		g_autofree char *out = run_cmd(argv);

		g_assert_nonnull(out);
		g_assert_cmpint(g_mkdir(wt, 0755), ==, 0);
	}
	fetch(&o, "new-dir", "maint.git", "shapes-b", NULL, id("SB"), &r);
	pc_fetch_result_clear(&r);
	assert_is_rev(wt, "shapes-b");
	opts_clear(&o);
}

/* Names the kernel has must pass; what git itself refuses must not. */
static void test_tree_names(void)
{
	static const char *const fair[] = {
		".gitignore", ".gitattributes", ".github", ".mailmap",
		".git-blame-ignore-revs", "git~10", "...", "a..b", "Kconfig",
		"\xc3\xa9t\xc3\xa9.c", ".get_maintainer.ignore",
	};
	static const char *const refused[] = {
		"", ".", "..", "a/b", "/", ".git", ".GIT", ".Git", ".git.",
		".git ", ".git. .", "git~1", "GIT~1", ".git::$INDEX_ALLOCATION",
		".g\xe2\x80\x8cit", "\xef\xbb\xbf.git", "tab\there", "esc\x1b",
		"del\x7f",
	};

	for (guint i = 0; i < G_N_ELEMENTS(fair); i++)
		g_assert_null(pc_worktree_check_name(fair[i]));
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++)
		if (!pc_worktree_check_name(refused[i]))
			g_error("\"%s\" was not refused", refused[i]);
}

/* --- hostile trees (tests/hostile/trees.py) ----------------------------- */

/* The hostile branches, added to maint.git once per process. */
static void need_hostile(void)
{
	static gboolean done;
	g_autofree char *script = g_build_filename(PC_HOSTILE_DIR, "trees.py",
						   NULL);
	g_autofree char *git_dir = g_build_filename(root, "srv", "maint.git",
						    NULL);
	g_autofree char *ids = g_build_filename(root, "ids", NULL);
	const char *argv[] = { PYTHON, script, git_dir, NULL, ids, NULL };
	g_autofree char *out = NULL;

	need_servers();
	if (done)
		return;
	argv[3] = id("M2");
	out = run_cmd(argv);
	g_assert_nonnull(out);
	g_hash_table_unref(t.ids);
	read_ids();
	done = TRUE;
}

/* ROOT/NAME/victim/victim.txt, the file every escape aims at. */
static char *make_victim(const char *name)
{
	g_autofree char *dir = g_build_filename(root, name, "victim", NULL);
	char *path = g_build_filename(dir, "victim.txt", NULL);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, "untouched\n", -1, NULL));
	return path;
}

static void assert_victim_untouched(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "untouched\n");
	g_assert_cmpuint(count_entries(dir), ==, 1);
}

/* No path below @wt is called @name, in any case. */
static void assert_no_entry(const char *wt, const char *name)
{
	g_autofree char *cmd = g_strdup_printf(
		"find '%s' -iname '%s' -print -quit", wt, name);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	g_autofree char *out = run_cmd(argv);

	g_assert_cmpstr(out, ==, "");
}

/* The hostile tree gets its finding, naming the path; nothing written. */
static void expect_refused_tree(const Opts *o, const char *job,
				const char *branch, const char *code,
				const char *says)
{
	PcFetchResult r;
	const PcReason *x;

	fetch(o, job, "maint.git", branch, NULL, NULL, &r);
	x = expect(&r, code, PC_SEVERITY_INFRA);
	if (!strstr(x->text, says))
		g_error("\"%s\" does not say \"%s\"", x->text, says);
	g_assert_null(r.worktree);
	pc_fetch_result_clear(&r);
}

/* A fair tree into @o's worktree: checked out, with its record. */
static void checkout_fair(const Opts *o, const char *job, const char *ref)
{
	g_autofree char *record = g_strconcat(o->o.worktree, ".tree", NULL);
	PcFetchResult r;

	fetch(o, job, "maint.git", ref, NULL, NULL, &r);
	g_assert_cmpstr(r.worktree, ==, o->o.worktree);
	pc_fetch_result_clear(&r);
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));
}

typedef struct {
	const char *branch;
	const char *says;	/* in the finding's text */
} HostileCase;

static const HostileCase hostile_cases[] = {
	{ "hostile-slash", "\"../victim/victim.txt\": a name with a slash" },
	{ "hostile-dotdot", "\"..\": a name that leads out" },
	{ "hostile-dot", "\".\": a name that leads out" },
	{ "hostile-dotgit", "\".git\": a name a file system reads as .git" },
	{ "hostile-dotgit-case", "\".GiT\": a name a file system reads" },
	{ "hostile-dotgit-ntfs", "\"git~1\": a name a file system reads" },
	{ "hostile-dotgit-dots", "a name a file system reads as .git" },
	{ "hostile-dotgit-hfs", "a name a file system reads as .git" },
	{ "hostile-duplicate", "\"d\": the same name twice" },
	{ "hostile-control", "\"esc\\033[2Jape\": a control character" },
	{ "hostile-unsorted", "out of git's order" },
};

/* worktree.c on its own, quick or full: refused, @says in the message. */
static void expect_checkout_refused(const char *wt, const char *commit,
				    const char *says)
{
	PcWorktreeOptions wo = { .dir = wt, .store = t.store };
	g_autoptr(GPtrArray) rust = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	git_oid id;

	g_assert_cmpint(git_oid_fromstr(&id, commit), ==, 0);
	g_assert_false(pc_worktree_checkout(&wo, &id, rust, &error));
	g_assert_error(error, PC_WORKTREE_ERROR, PC_WORKTREE_ERROR_UNSAFE);
	if (!strstr(error->message, says))
		g_error("\"%s\" does not say \"%s\"", error->message, says);
}

/*
 * Each hostile tree, after a fair one: the fetch refuses it before
 * anything reads its files, and the worktree stays as it was. The
 * checkout on its own refuses it too, from the record (quick) and
 * without (full). The victim outside stays untouched, no .git appears
 * inside, and the worktree is still good for the next fair tree.
 */
static void test_hostile_tree(gconstpointer data)
{
	const HostileCase *c = data;
	g_autofree char *victim = make_victim(c->branch);
	g_autofree char *wt = g_build_filename(root, c->branch, "wt", NULL);
	g_autofree char *record = g_strconcat(wt, ".tree", NULL);
	g_autofree char *name = g_ascii_strup(c->branch + 8, -1);
	g_autofree char *key = g_strdup_printf("H_%s", name);
	Opts o;

	need_hostile();
	g_strdelimit(key, "-", '_');
	opts_init(&o);
	o.o.worktree = wt;
	checkout_fair(&o, "fair", "for-linus");
	expect_refused_tree(&o, "hostile", c->branch, "tree-unsafe", c->says);
	assert_victim_untouched(victim);
	assert_is_rev(wt, "for-linus");
	g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));

	expect_checkout_refused(wt, id(key), c->says);	/* quick */
	assert_victim_untouched(victim);
	/* Nothing was written, so the record still holds: take it away. */
	g_assert_cmpint(g_unlink(record), ==, 0);
	expect_checkout_refused(wt, id(key), c->says);	/* full */
	assert_victim_untouched(victim);
	assert_no_entry(wt, ".git");
	assert_no_entry(wt, "victim.txt");
	checkout_fair(&o, "fair-again", "for-linus");
	assert_is_rev(wt, "for-linus");
	opts_clear(&o);
}

/*
 * Two fair trees: a link d to the victim's directory, then a directory
 * d holding victim.txt. The second replaces the link, quick or full,
 * and never writes through it.
 */
static void test_hostile_link_then_dir(void)
{
	g_autofree char *victim = make_victim("link-then-dir");
	g_autofree char *wt = g_build_filename(root, "link-then-dir", "wt",
					       NULL);
	g_autofree char *record = g_strconcat(wt, ".tree", NULL);
	g_autofree char *inside = g_build_filename(wt, "d", "victim.txt", NULL);
	Opts o;

	need_hostile();
	opts_init(&o);
	o.o.worktree = wt;
	for (int full = 0; full <= 1; full++) {
		checkout_fair(&o, "link", "link-d");
		g_assert_true(g_file_test(inside, G_FILE_TEST_EXISTS));
		g_assert_cmpint(g_unlink(record), ==, 0);
		checkout_fair(&o, "link-again", "link-d");
		if (full)
			g_assert_cmpint(g_unlink(record), ==, 0);
		checkout_fair(&o, "dir", "dir-d");
		assert_victim_untouched(victim);
		assert_is_rev(wt, "dir-d");
	}
	opts_clear(&o);
}

/*
 * Sizes are bounded before anything is inflated: an 8 MiB file over a
 * 4 MiB limit, 10 MiB of files over an 8 MiB limit, whether the tree
 * comes quick (from the record) or full.
 */
static void test_hostile_sizes(void)
{
	g_autofree char *wt = g_build_filename(root, "sizes", "wt", NULL);
	g_autofree char *record = g_strconcat(wt, ".tree", NULL);
	Opts o;

	need_hostile();
	opts_init(&o);
	o.o.worktree = wt;
	o.o.max_file_bytes = 4 << 20;
	o.o.max_tree_bytes = 8 << 20;
	for (int full = 0; full <= 1; full++) {
		checkout_fair(&o, "fair", "for-linus");
		if (full)
			g_assert_cmpint(g_unlink(record), ==, 0);
		expect_refused_tree(&o, "big-file", "big-file",
				    "tree-too-large", "\"zeros\": 8388608 "
				    "bytes, over the limit of 4194304 for one "
				    "file ([fetch] max_file_bytes)");
		checkout_fair(&o, "fair", "for-linus");
		if (full)
			g_assert_cmpint(g_unlink(record), ==, 0);
		expect_refused_tree(&o, "big-tree", "big-tree",
				    "tree-too-large", "over the limit of "
				    "8388608 ([fetch] max_tree_bytes)");
	}
	/* Under the limits, the same trees check out. */
	o.o.max_file_bytes = o.o.max_tree_bytes = 0;
	checkout_fair(&o, "big-file-ok", "big-file");
	assert_is_rev(wt, "big-file");
	checkout_fair(&o, "big-tree-ok", "big-tree");
	assert_is_rev(wt, "big-tree");
	opts_clear(&o);
}

/*
 * The store is one run's at a time: with its lock held elsewhere (here
 * by another open file description, as another pullcheck would), a run
 * waits up to its time limit and then says the store stayed in use;
 * once the lock is let go, the same run goes through.
 */
static void test_store_busy(void)
{
	g_autofree char *path = g_strconcat(t.store, ".lock", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;
	PcFetchResult r;
	PcPullreq pr;
	gint64 start;
	Opts o;
	int fd;

	need_servers();
	opts_init(&o);
	o.o.timeout = 1;
	url = g_strdup_printf("%s/maint.git", t.git);
	pr_set(&pr, url, "for-linus", NULL, NULL);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(flock(fd, LOCK_EX), ==, 0);
	start = g_get_monotonic_time();
	g_assert_false(pc_fetch_run(&o.o, "busy", &pr, &r, &error));
	g_assert_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE);
	g_assert_nonnull(strstr(error->message, "stayed in use by another "
						"pullcheck for 1 s"));
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, >=, 0.9);
	g_assert_true(r.infra_failure);
	pc_fetch_result_clear(&r);
	g_clear_error(&error);
	close(fd);
	o.o.timeout = 30;
	g_assert_true(pc_fetch_run(&o.o, "busy", &pr, &r, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	pc_fetch_result_clear(&r);
	pc_pullreq_clear(&pr);
	opts_clear(&o);
}

static void test_forget(void)
{
	g_autoptr(GError) error = NULL;
	git_repository *repo;
	git_reference *ref;
	PcFetchResult r;
	guint n;
	Opts o;

	need_servers();
	opts_init(&o);
	fetch(&o, "forget", "maint.git", "for-linus", NULL, NULL, &r);
	pc_fetch_result_clear(&r);
	g_assert_cmpint(git_repository_open_bare(&repo, t.store), ==, 0);
	g_assert_cmpint(git_reference_lookup(&ref, repo,
		"refs/pullcheck/forget/remote/heads/for-linus"), ==, 0);
	git_reference_free(ref);
	g_assert_true(pc_fetch_forget(&o.o, "forget", &n, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(git_reference_lookup(&ref, repo,
		"refs/pullcheck/forget/remote/heads/for-linus"), ==,
		GIT_ENOTFOUND);
	g_assert_cmpint(git_reference_lookup(&ref, repo,
		"refs/pullcheck/mainline/HEAD"), ==, 0);
	git_reference_free(ref);
	/* Nothing left: a second forget deletes nothing, and says so. */
	g_assert_true(pc_fetch_forget(&o.o, "forget", &n, &error));
	g_assert_cmpuint(n, ==, 0);
	git_repository_free(repo);
	opts_clear(&o);
}

static gboolean has_ref(git_repository *repo, const char *name)
{
	git_reference *ref;

	if (git_reference_lookup(&ref, repo, name) < 0)
		return FALSE;
	git_reference_free(ref);
	return TRUE;
}

/*
 * maintain's sweep: every job ref but those of the jobs kept goes;
 * mainline and names not shaped like a job key stay. It waits for the
 * store's lock like a fetch, so a forget never runs under a fetch.
 */
static void test_prune_jobs(void)
{
	const char *gone = "0123456789abcdef", *kept = "fedcba9876543210";
	g_autoptr(GHashTable) keep = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) error = NULL;
	git_repository *repo;
	PcFetchPruned pruned;
	PcFetchResult r;
	guint n;
	Opts o;
	int lock;

	need_servers();
	opts_init(&o);
	fetch(&o, gone, "maint.git", "for-linus", NULL, NULL, &r);
	pc_fetch_result_clear(&r);
	fetch(&o, kept, "maint.git", "for-linus", NULL, NULL, &r);
	pc_fetch_result_clear(&r);
	fetch(&o, "bench-not-a-key", "maint.git", "for-linus", NULL, NULL, &r);
	pc_fetch_result_clear(&r);
	g_hash_table_add(keep, (gpointer)kept);
	g_assert_cmpint(git_repository_open_bare(&repo, t.store), ==, 0);
	g_assert_true(has_ref(repo, "refs/pullcheck/0123456789abcdef/remote/heads/for-linus"));

	lock = pc_fetch_lock(&o.o, 5, &error);
	g_assert_no_error(error);
	g_assert_true(pc_fetch_prune_jobs(&o.o, keep, &pruned, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(pruned.jobs, ==, 1);
	g_assert_cmpuint(pruned.refs, ==, 1);
	g_assert_cmpuint(pruned.jobs_kept, ==, 1);
	g_assert_false(has_ref(repo, "refs/pullcheck/0123456789abcdef/remote/heads/for-linus"));
	g_assert_true(has_ref(repo, "refs/pullcheck/fedcba9876543210/remote/heads/for-linus"));
	g_assert_true(has_ref(repo, "refs/pullcheck/bench-not-a-key/remote/heads/for-linus"));
	g_assert_true(has_ref(repo, "refs/pullcheck/mainline/HEAD"));

	/* While the lock is held, a forget waits, then gives up. */
	o.o.timeout = 1;
	g_assert_false(pc_fetch_forget(&o.o, kept, &n, &error));
	g_assert_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_STORE);
	g_assert_nonnull(strstr(error->message, "stayed in use"));
	g_clear_error(&error);
	g_assert_true(has_ref(repo, "refs/pullcheck/fedcba9876543210/remote/heads/for-linus"));
	pc_fetch_unlock(lock);
	g_assert_true(pc_fetch_forget(&o.o, kept, &n, &error));
	g_assert_cmpuint(n, ==, 1);
	g_assert_false(has_ref(repo, "refs/pullcheck/fedcba9876543210/remote/heads/for-linus"));
	git_repository_free(repo);
	opts_clear(&o);
}

/* --- mainline: the seed, the first fetch, the refresh ------------------- */

typedef struct {
	guint calls;
	gboolean phases[PC_FETCH_PHASE_DONE + 1];
	PcFetchProgress last;
} Seen;

static void on_seen(const PcFetchProgress *p, gpointer data)
{
	Seen *seen = data;

	seen->calls++;
	seen->phases[p->phase] = TRUE;
	seen->last = *p;
}

/* git -C @dir ARGS...: its output, stripped; the test fails if git does. */
static char *git_in(const char *dir, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	const char *arg;
	char *out;
	va_list ap;

	g_ptr_array_add(argv, "/usr/bin/git");
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, "user.name=Test");
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, "user.email=test@example.org");
	if (dir) {
		g_ptr_array_add(argv, "-C");
		g_ptr_array_add(argv, (char *)dir);
	}
	va_start(ap, dir);
	while ((arg = va_arg(ap, const char *)))
		g_ptr_array_add(argv, (char *)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	out = run_cmd((const char *const *)argv->pdata);
	g_assert_nonnull(out);
	return g_strstrip(out);
}

/* A copy of mainline for one test to move on; its git:// URL. */
static char *own_mainline(const char *name)
{
	g_autofree char *from = g_build_filename(root, "srv", "mainline.git",
						 NULL);
	g_autofree char *dir = g_strdup_printf("%s/srv/%s.git", root, name);

	g_free(git_in(NULL, "clone", "-q", "--bare", "--no-local", from, dir,
		      NULL));
	return g_strdup_printf("%s/%s.git", t.git, name);
}

/* A commit on top of @name's master, which then points to it. */
static char *advance(const char *name, const char *message)
{
	g_autofree char *dir = g_strdup_printf("%s/srv/%s.git", root, name);
	g_autofree char *tree = git_in(dir, "rev-parse", "master^{tree}",
				       NULL);
	char *id = git_in(dir, "commit-tree", "-p", "master", "-m", message,
			  tree, NULL);

	g_free(git_in(dir, "update-ref", "refs/heads/master", id, NULL));
	return id;
}

static char *ref_target(const char *store, const char *name)
{
	git_repository *repo;
	git_object *obj;
	char *hex = NULL;

	g_assert_cmpint(git_repository_open_bare(&repo, store), ==, 0);
	if (git_revparse_single(&obj, repo, name) == 0) {
		hex = g_strdup(git_oid_tostr_s(git_object_id(obj)));
		git_object_free(obj);
	}
	git_repository_free(repo);
	return hex;
}

/* The objects came with the seed: the fetch after it brings none. */
static void prime_after_seed(Opts *o, const char *store)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *head = NULL, *seed = NULL;
	Seen seen = { 0 };

	o->o.on_progress = on_seen;
	o->o.progress_data = &seen;
	g_assert_true(pc_fetch_prime_mainline(&o->o, &error));
	g_assert_no_error(error);
	g_assert_true(seen.phases[PC_FETCH_PHASE_CONNECT]);
	g_assert_true(seen.phases[PC_FETCH_PHASE_DONE]);
	g_assert_cmpuint(seen.last.objects, ==, 0);
	head = ref_target(store, "refs/pullcheck/mainline/HEAD");
	g_assert_cmpstr(head, ==, id("M3"));
	/* The seed's refs are gone once mainline's own are there. */
	seed = ref_target(store, "refs/pullcheck/seed/heads/master");
	g_assert_null(seed);
}

static void test_seed_clone(void)
{
	g_autofree char *store = g_build_filename(root, "store-seed", NULL);
	g_autofree char *plain = g_build_filename(root, "store-plain", NULL);
	g_autofree char *clone = g_build_filename(root, "seed-clone.git", NULL);
	g_autofree char *from = g_build_filename(root, "srv", "mainline.git",
						 NULL);
	g_autofree char *out = NULL, *loose = NULL, *tree = NULL;
	g_autofree char *seeded = NULL, *pack = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = NULL;
	Seen seen = { 0 };
	struct stat st;
	guint refs = 0;
	const char *name;
	Opts o;

	need_servers();
	opts_init(&o);
	g_free(o.mainline);
	o.mainline = own_mainline("ml-seed");
	o.o.mainline_url = o.mainline;
	/* A packed clone, with one commit as a loose object besides. */
	out = git_in(NULL, "clone", "-q", "--bare", "--no-local", from, clone,
		     NULL);
	tree = git_in(clone, "rev-parse", "master^{tree}", NULL);
	loose = git_in(clone, "commit-tree", "-p", "master", "-m", "local",
		       tree, NULL);
	g_free(out);
	out = git_in(clone, "update-ref", "refs/heads/local", loose, NULL);

	/* Without the seed, the fetch brings every object. */
	o.o.store = plain;
	o.o.on_progress = on_seen;
	o.o.progress_data = &seen;
	g_assert_true(pc_fetch_prime_mainline(&o.o, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(seen.last.objects, >, 10);
	g_assert_cmpuint(seen.last.objects, ==, seen.last.total_objects);
	g_assert_true(seen.phases[PC_FETCH_PHASE_RECEIVE] ||
		      seen.phases[PC_FETCH_PHASE_INDEX]);

	o.o.store = store;
	g_assert_true(pc_fetch_seed_mainline(&o.o, clone, NULL, &refs,
					     &error));
	g_assert_no_error(error);
	g_assert_cmpuint(refs, >=, 3);	/* master, local, v1.0 */
	seeded = ref_target(store, "refs/pullcheck/seed/heads/local");
	g_assert_cmpstr(seeded, ==, loose);
	/* On one file system, the pack is the clone's, hard-linked. */
	pack = g_build_filename(store, "objects", "pack", NULL);
	dir = g_dir_open(pack, 0, NULL);
	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)))
		if (g_str_has_suffix(name, ".pack")) {
			g_autofree char *p = g_build_filename(pack, name, NULL);

			g_assert_cmpint(stat(p, &st), ==, 0);
			g_assert_cmpuint(st.st_nlink, ==, 2);
		}
	prime_after_seed(&o, store);
	opts_clear(&o);
}

static void test_seed_bundle(void)
{
	g_autofree char *store = g_build_filename(root, "store-bundle", NULL);
	g_autofree char *bundle = g_build_filename(root, "ml.bundle", NULL);
	g_autofree char *from = g_build_filename(root, "srv", "mainline.git",
						 NULL);
	g_autofree char *out = NULL, *seeded = NULL;
	g_autoptr(GError) error = NULL;
	Seen seen = { 0 };
	guint refs = 0;
	Opts o;

	need_servers();
	opts_init(&o);
	g_free(o.mainline);
	o.mainline = own_mainline("ml-bundle");
	o.o.mainline_url = o.mainline;
	o.o.store = store;
	out = git_in(from, "bundle", "create", "-q", bundle, "--all", NULL);
	o.o.on_progress = on_seen;
	o.o.progress_data = &seen;
	g_assert_true(pc_fetch_seed_mainline(&o.o, NULL, bundle, &refs,
					     &error));
	g_assert_no_error(error);
	g_assert_cmpuint(refs, >=, 2);
	g_assert_true(seen.phases[PC_FETCH_PHASE_DONE]);
	g_assert_cmpuint(seen.last.objects, >, 10);
	g_assert_cmpuint(seen.last.objects, ==, seen.last.total_objects);
	seeded = ref_target(store, "refs/pullcheck/seed/heads/master");
	g_assert_cmpstr(seeded, ==, id("M3"));
	prime_after_seed(&o, store);
	opts_clear(&o);
}

static void expect_no_seed(Opts *o, const char *clone, const char *bundle,
			   const char *says)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(pc_fetch_seed_mainline(&o->o, clone, bundle, NULL,
					      &error));
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	if (!strstr(error->message, says))
		g_error("\"%s\" does not say \"%s\"", error->message, says);
}

/* What a seed cannot stand on: its objects would not all be there. */
static void test_seed_refused(void)
{
	g_autofree char *store = g_build_filename(root, "store-refused", NULL);
	g_autofree char *from = g_build_filename(root, "srv", "mainline.git",
						 NULL);
	g_autofree char *url = g_strconcat("file://", from, NULL);
	g_autofree char *shallow = g_build_filename(root, "shallow.git", NULL);
	g_autofree char *shared = g_build_filename(root, "shared.git", NULL);
	g_autofree char *junk = g_build_filename(root, "junk.bundle", NULL);
	g_autofree char *inc = g_build_filename(root, "inc.bundle", NULL);
	g_autofree char *a = NULL, *b = NULL, *c = NULL;
	g_autofree char *range = g_strdup_printf("%s..master", id("M2"));
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.store = store;
	a = git_in(NULL, "clone", "-q", "--bare", "--depth", "1", url, shallow,
		   NULL);
	b = git_in(NULL, "clone", "-q", "--bare", "--shared", from, shared,
		   NULL);
	c = git_in(from, "bundle", "create", "-q", inc, range, NULL);
	g_assert_true(g_file_set_contents(junk, "# v9 git bundle\n", -1,
					  NULL));
	expect_no_seed(&o, shallow, NULL, "is a shallow clone");
	expect_no_seed(&o, shared, NULL, "borrows objects from another");
	expect_no_seed(&o, junk, NULL, "is not a git repository");
	expect_no_seed(&o, NULL, junk, "is not a git bundle");
	expect_no_seed(&o, NULL, inc, "is incremental: it needs commit");
	expect_no_seed(&o, NULL, NULL, "a clone or a bundle");
	opts_clear(&o);
}

/* Before each run mainline is brought up to date; if it cannot be, the
 * run goes on with the one it has and says how old it is. */
static void test_refresh(void)
{
	g_autofree char *store = g_build_filename(root, "store-refresh", NULL);
	g_autofree char *m4 = NULL, *silent = NULL, *short_m4 = NULL;
	const PcReason *x;
	PcFetchResult r;
	gint64 start;
	Opts o;

	need_servers();
	opts_init(&o);
	g_free(o.mainline);
	o.mainline = own_mainline("ml-refresh");
	o.o.mainline_url = o.mainline;
	o.o.store = store;
	fetch(&o, "refresh1", "maint.git", "for-linus", id("M2"), id("F3"),
	      &r);
	g_assert_true(r.mainline_refreshed);
	g_assert_cmpstr(r.mainline_commit, ==, id("M3"));
	/* M3 is fetch_repos.sh's third commit: @1700000180. */
	g_assert_cmpstr(r.mainline_date, ==, "2023-11-14T22:16:20+00:00");
	g_assert_nonnull(r.mainline_fetched_at);
	g_assert_null(find(&r, "mainline-stale"));
	pc_fetch_result_clear(&r);

	m4 = advance("ml-refresh", "M4: a new mainline commit");
	fetch(&o, "refresh2", "maint.git", "for-linus", id("M2"), id("F3"),
	      &r);
	g_assert_true(r.mainline_refreshed);
	g_assert_cmpstr(r.mainline_commit, ==, m4);
	pc_fetch_result_clear(&r);

	/* Mainline's server stops answering: 2 s, and the check goes on. */
	silent = g_strdup_printf("git://127.0.0.1:%u/x.git", t.silent_port);
	o.o.mainline_url = silent;
	o.o.refresh_timeout = 2;
	start = g_get_monotonic_time();
	fetch(&o, "refresh3", "maint.git", "for-linus", id("M2"), id("F3"),
	      &r);
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, <, 6);
	g_assert_false(r.mainline_refreshed);
	g_assert_cmpstr(r.mainline_commit, ==, m4);
	g_assert_cmpstr(r.tip_commit, ==, id("F3"));
	x = expect(&r, "mainline-stale", PC_SEVERITY_INFO);
	g_assert_nonnull(strstr(x->text, "time limit of 2 seconds"));
	g_assert_nonnull(strstr(x->text, "as last fetched at 20"));
	g_assert_nonnull(strstr(x->text, "(0 minutes ago)"));
	short_m4 = g_strndup(m4, 12);
	g_assert_nonnull(strstr(x->text, short_m4));
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* --- mainline through git: limits, isolation, progress ----------------- */

/* A mainline of one commit holding @mib MiB of noise, served by the git
 * daemon as @name.git; its git:// URL. */
static char *noisy_mainline(const char *name, guint mib)
{
	g_autofree char *dir = g_strdup_printf("%s/srv/%s.git", root, name);
	g_autofree char *n = g_strdup_printf("%u", mib);
	const char *argv[] = {
		"/bin/bash", "-ec",
		"export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.org "
		"GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.org\n"
		"git init -q --bare \"$0\"\n"
		"b=$(head -c \"${1}M\" /dev/urandom | "
		"git --git-dir=\"$0\" hash-object -w --stdin)\n"
		"t=$(printf '100644 blob %s\\tnoise\\n' \"$b\" | "
		"git --git-dir=\"$0\" mktree)\n"
		"c=$(git --git-dir=\"$0\" commit-tree -m noise \"$t\")\n"
		"git --git-dir=\"$0\" update-ref refs/heads/master \"$c\"\n"
		"git --git-dir=\"$0\" symbolic-ref HEAD refs/heads/master\n",
		dir, n, NULL };

	g_free(run_cmd(argv));
	return g_strdup_printf("%s/%s.git", t.git, name);
}

/* slow_server.py throttle in front of the git daemon: @rate bytes a
 * second, and only @stall_after bytes if not 0. Its port. */
static guint16 start_throttle(guint rate, guint stall_after)
{
	guint16 port = pc_harness_free_port("127.0.0.1");
	g_autofree char *script = g_build_filename(PC_INTEGRATION_DIR,
						   "slow_server.py", NULL);
	g_autofree char *port_arg = g_strdup_printf("%u", port);
	g_autofree char *rate_arg = g_strdup_printf("%u", rate);
	g_autofree char *stall_arg = g_strdup_printf("%u", stall_after);
	g_autofree char *log = g_strdup_printf("throttle-%u.log", port);
	const char *argv[] = { PYTHON, script, "throttle", port_arg,
			       strrchr(t.git, ':') + 1, rate_arg, stall_arg,
			       NULL };

	spawn(argv, log);
	for (int i = 0; i < 100 && !port_open(port); i++)
		g_usleep(50 * 1000);
	return port;
}

/* What a stopped fetch must not leave: mainline's refs, the fetch's own
 * refs, a half-written pack, its index or the .keep of one. */
static void expect_nothing_left(const char *store)
{
	g_autofree char *pack = g_build_filename(store, "objects", "pack",
						 NULL);
	g_autofree char *head = ref_target(store,
					   "refs/pullcheck/mainline/HEAD");
	g_autofree char *master = ref_target(
		store, "refs/pullcheck/mainline/heads/master");
	g_autofree char *fetched = ref_target(
		store, "refs/pullcheck/seed/fetched/heads/master");
	g_autoptr(GDir) dir = g_dir_open(pack, 0, NULL);
	const char *name;

	g_assert_null(head);
	g_assert_null(master);
	g_assert_null(fetched);
	while (dir && (name = g_dir_read_name(dir))) {
		g_test_message("left in objects/pack: %s", name);
		g_assert_false(g_str_has_prefix(name, "tmp_"));
		g_assert_false(g_str_has_suffix(name, ".keep"));
	}
}

static void expect_mainline_error(const GError *error, const char *says)
{
	g_assert_error(error, PC_FETCH_ERROR, PC_FETCH_ERROR_MAINLINE);
	g_test_message("%s", error->message);
	if (!strstr(error->message, says))
		g_error("\"%s\" does not say \"%s\"", error->message, says);
}

/*
 * mainline_max_bytes smaller than mainline: git is stopped while the
 * pack comes (8 MiB at 1 MiB/s, stopped past 1 MiB), or after it came
 * when it came faster than the pack's size is read; either way nothing
 * of it is mainline, and a fetch within the limit then works.
 */
static void test_git_byte_cap(void)
{
	g_autofree char *store = g_build_filename(root, "store-gitcap", NULL);
	g_autofree char *direct = NULL, *slow = NULL, *head = NULL;
	g_autoptr(GError) error = NULL;
	Seen seen = { 0 };
	gint64 start;
	Opts o;

	need_servers();
	opts_init(&o);
	direct = noisy_mainline("ml-noise", 8);
	slow = g_strdup_printf("git://127.0.0.1:%u/ml-noise.git",
			       start_throttle(1 << 20, 0));
	o.o.store = store;
	o.o.mainline_url = slow;
	o.o.mainline_timeout = 60;
	o.o.mainline_max_bytes = 1 << 20;
	o.o.on_progress = on_seen;
	o.o.progress_data = &seen;
	start = g_get_monotonic_time();
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	g_test_message("stopped after %.3f s, %" G_GUINT64_FORMAT " bytes",
		       (g_get_monotonic_time() - start) / 1e6, seen.last.bytes);
	expect_mainline_error(error, "the server sent more than the limit "
				     "of 1048576 bytes");
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, <, 5);
	g_assert_true(seen.phases[PC_FETCH_PHASE_RECEIVE]);
	g_assert_cmpuint(seen.last.bytes, >, 1 << 20);
	expect_nothing_left(store);
	g_clear_error(&error);

	/* At full speed on loopback: stopped, or refused when it is in. */
	o.o.mainline_url = direct;
	o.o.mainline_max_bytes = 64 << 10;
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	expect_mainline_error(error, "the limit of 65536 bytes");
	expect_nothing_left(store);
	g_clear_error(&error);

	/*
	 * A pack smaller than what is read in a tick: it is all in, with
	 * its refs, before the count is checked; they are not mainline's.
	 */
	o.o.mainline_url = o.mainline;
	o.o.mainline_max_bytes = 512;	/* of 1.2 KiB */
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	expect_mainline_error(error, "the limit of 512 bytes");
	expect_nothing_left(store);
	g_clear_error(&error);

	o.o.mainline_url = direct;
	o.o.mainline_max_bytes = 16 << 20;
	g_assert_true(pc_fetch_prime_mainline(&o.o, &error));
	g_assert_no_error(error);
	head = ref_target(store, "refs/pullcheck/mainline/HEAD");
	g_assert_nonnull(head);
	g_assert_cmpuint(seen.last.phase, ==, PC_FETCH_PHASE_DONE);
	g_assert_cmpuint(seen.last.bytes, >=, 8 << 20);
	g_assert_cmpuint(seen.last.bytes, <, 9 << 20);
	opts_clear(&o);
}

/* The server stops sending half-way through the pack: the time limit. */
static void test_git_stall(void)
{
	g_autofree char *store = g_build_filename(root, "store-gitstall",
						  NULL);
	g_autofree char *url = NULL, *direct = NULL;
	g_autoptr(GError) error = NULL;
	Seen seen = { 0 };
	gint64 start;
	double cpu;
	Opts o;

	need_servers();
	opts_init(&o);
	direct = noisy_mainline("ml-stall", 2);
	url = g_strdup_printf("git://127.0.0.1:%u/ml-stall.git",
			      start_throttle(1 << 20, 512 << 10));
	o.o.store = store;
	o.o.mainline_url = url;
	o.o.mainline_timeout = 3;
	o.o.on_progress = on_seen;
	o.o.progress_data = &seen;
	cpu = cpu_seconds();
	start = g_get_monotonic_time();
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	expect_mainline_error(error, "the server did not finish within the "
				     "time limit of 3 seconds");
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, >=, 2.9);
	g_assert_cmpfloat((g_get_monotonic_time() - start) / 1e6, <, 8);
	g_assert_cmpfloat(cpu_seconds() - cpu, <, 1.0);
	g_assert_true(seen.phases[PC_FETCH_PHASE_RECEIVE]);
	g_assert_cmpuint(seen.last.bytes, >, 0);
	expect_nothing_left(store);
	opts_clear(&o);
}

/*
 * git takes nothing from outside: not the caller's ~/.gitconfig (whose
 * insteadOf would send the fetch elsewhere), not a hook in the store,
 * not a protocol but git, http(s) and file (ext:: runs a command, ssh
 * would ask for keys).
 */
static void test_git_isolated(void)
{
	g_autofree char *store = g_build_filename(root, "store-gitiso", NULL);
	g_autofree char *home = g_build_filename(root, "evil-home", NULL);
	g_autofree char *rc = g_build_filename(home, ".gitconfig", NULL);
	g_autofree char *hooks = g_build_filename(store, "hooks", NULL);
	g_autofree char *hook = g_build_filename(hooks,
						 "reference-transaction", NULL);
	g_autofree char *mark = g_build_filename(root, "hook-ran", NULL);
	g_autofree char *ext_mark = g_build_filename(root, "ext-ran", NULL);
	g_autofree char *text = NULL, *script = NULL, *ext = NULL;
	g_autofree char *old_home = g_strdup(g_getenv("HOME"));
	g_autofree char *head = NULL, *m4 = NULL;
	g_autoptr(GError) error = NULL;
	git_repository *repo;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.store = store;
	g_free(o.mainline);
	o.mainline = own_mainline("ml-iso");
	o.o.mainline_url = o.mainline;
	g_assert_cmpint(g_mkdir_with_parents(home, 0755), ==, 0);
	text = g_strdup_printf("[url \"git://127.0.0.1:1/\"]\n"
			       "\tinsteadOf = %s/\n", t.git);
	g_assert_true(g_file_set_contents(rc, text, -1, NULL));
	repo = pc_fetch_open_store(store, &error);
	g_assert_no_error(error);
	git_repository_free(repo);
	g_assert_cmpint(g_mkdir_with_parents(hooks, 0755), ==, 0);
	script = g_strdup_printf("#!/bin/sh\ntouch %s\n", mark);
	g_assert_true(g_file_set_contents(hook, script, -1, NULL));
	g_assert_cmpint(chmod(hook, 0755), ==, 0);
	g_setenv("HOME", home, TRUE);
	g_setenv("XDG_CONFIG_HOME", home, TRUE);
	/* The first fetch is a clone, the second a fetch into the store. */
	g_assert_true(pc_fetch_prime_mainline(&o.o, &error));
	g_assert_no_error(error);
	head = ref_target(store, "refs/pullcheck/mainline/HEAD");
	g_assert_cmpstr(head, ==, id("M3"));
	m4 = advance("ml-iso", "M4: for the fetch");
	g_assert_true(pc_fetch_prime_mainline(&o.o, &error));
	g_setenv("HOME", old_home ? old_home : "/", TRUE);
	g_unsetenv("XDG_CONFIG_HOME");
	g_assert_no_error(error);
	g_free(head);
	head = ref_target(store, "refs/pullcheck/mainline/HEAD");
	g_assert_cmpstr(head, ==, m4);
	g_assert_false(g_file_test(mark, G_FILE_TEST_EXISTS));

	ext = g_strdup_printf("ext::sh -c touch%% %s", ext_mark);
	o.o.mainline_url = ext;
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	expect_mainline_error(error, "transport 'ext' not allowed");
	g_assert_false(g_file_test(ext_mark, G_FILE_TEST_EXISTS));
	g_clear_error(&error);
	/* git's own default allows ssh: refused before any connection. */
	o.o.mainline_url = "ssh://127.0.0.1:1/x.git";
	g_assert_false(pc_fetch_prime_mainline(&o.o, &error));
	expect_mainline_error(error, "transport 'ssh' not allowed");
	opts_clear(&o);
}

/* git's --progress lines, as fetch_git.c reads them. */
static void test_git_progress_lines(void)
{
	static const struct {
		const char *line;
		gboolean is;
		PcFetchPhase phase;
		guint64 objects, total, bytes, deltas, total_deltas;
	} cases[] = {
		{ "Receiving objects:  45% (1234/5678), 12.34 MiB | 1.23 MiB/s",
		  TRUE, PC_FETCH_PHASE_RECEIVE, 1234, 5678,
		  (guint64)(12.34 * (1 << 20)), 0, 0 },
		{ "Receiving objects: 100% (3/3), 243 bytes | 243.00 KiB/s, "
		  "done.", TRUE, PC_FETCH_PHASE_RECEIVE, 3, 3, 243, 0, 0 },
		{ "Receiving objects:   0% (1/2084977)", TRUE,
		  PC_FETCH_PHASE_RECEIVE, 1, 2084977, 0, 0, 0 },
		{ "Receiving objects:  12% (9/70), 1.50 GiB | 3 MiB/s", TRUE,
		  PC_FETCH_PHASE_RECEIVE, 9, 70, 3ULL << 29, 0, 0 },
		{ "Resolving deltas:  12% (34/567)", TRUE,
		  PC_FETCH_PHASE_INDEX, 0, 0, 0, 34, 567 },
		{ "remote: Counting objects: 100% (5/5), done.", FALSE },
		{ "Receiving objects: (x/y)", FALSE },
		{ "Resolving deltas: 12% (34/567", FALSE },
		{ "fatal: the remote end hung up unexpectedly", FALSE },
		{ "", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PcFetchProgress p = { 0 };

		g_test_message("%s", cases[i].line);
		g_assert_cmpint(pc_fetch_git_progress_line(cases[i].line, &p),
				==, cases[i].is);
		if (!cases[i].is)
			continue;
		g_assert_cmpint(p.phase, ==, cases[i].phase);
		g_assert_cmpuint(p.objects, ==, cases[i].objects);
		g_assert_cmpuint(p.total_objects, ==, cases[i].total);
		g_assert_cmpuint(p.bytes, ==, cases[i].bytes);
		g_assert_cmpuint(p.deltas, ==, cases[i].deltas);
		g_assert_cmpuint(p.total_deltas, ==, cases[i].total_deltas);
	}
}

/* --- the base against mainline, and what reproduces the tree ----------- */

/* Mainline moved on since the branch was based: said, and by how much. */
static void test_behind(void)
{
	g_autofree char *store = g_build_filename(root, "store-behind", NULL);
	g_autofree char *dir = g_strdup_printf("%s/srv/ml-behind.git", root);
	g_autofree char *a = NULL, *b = NULL, *c = NULL;
	const PcReason *x;
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	g_free(o.mainline);
	o.mainline = own_mainline("ml-behind");
	o.o.mainline_url = o.mainline;
	o.o.store = store;
	/* Mainline at the branch's base, M2 (v1.0): nothing behind. */
	g_free(git_in(dir, "update-ref", "refs/heads/master", id("M2"), NULL));
	fetch(&o, "behind0", "maint.git", "for-linus", id("M2"), id("F3"),
	      &r);
	g_assert_cmpuint(r.behind_mainline, ==, 0);
	g_assert_null(find(&r, "behind-mainline"));
	g_assert_cmpuint(r.commits, ==, 3);
	pc_fetch_result_clear(&r);

	/* Three commits later: the count from its own base stays 3. */
	a = advance("ml-behind", "M4");
	b = advance("ml-behind", "M5");
	c = advance("ml-behind", "M6");
	fetch(&o, "behind3", "maint.git", "for-linus", id("M2"), id("F3"),
	      &r);
	g_assert_cmpstr(r.mainline_commit, ==, c);
	g_assert_cmpuint(r.behind_mainline, ==, 3);
	g_assert_cmpstr(r.base_name, ==, "v1.0");
	g_assert_cmpstr(r.base_commit, ==, id("M2"));
	g_assert_cmpuint(r.commits, ==, 3);
	g_assert_cmpuint(r.files_changed, ==, 3);
	x = expect(&r, "behind-mainline", PC_SEVERITY_INFO);
	g_assert_true(g_str_has_prefix(x->text, "Based on v1.0, 3 commits "
					"behind mainline ("));
	pc_fetch_result_clear(&r);

	/* A base with no tag on it is named by its id. */
	fetch(&o, "behind-id", "maint.git", "step2", id("F3"), id("S1"), &r);
	g_assert_null(find(&r, "behind-mainline"));	/* F3: not mainline's */
	pc_fetch_result_clear(&r);
	g_free(git_in(dir, "update-ref", "refs/heads/master", id("M3"), NULL));
	fetch(&o, "behind-m1", "maint.git", "for-linus", id("M1"), id("F3"),
	      &r);
	g_assert_cmpuint(r.behind_mainline, ==, 2);
	g_assert_true(g_str_has_prefix(r.base_commit, r.base_name));
	g_assert_cmpuint(strlen(r.base_name), ==, 12);
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

/* Runs the reproduce lines in a new repository; its HEAD's tree. */
static char *replay(const char *name, GPtrArray *lines)
{
	g_autofree char *dir = g_build_filename(root, name, NULL);
	g_auto(GStrv) env = child_env();

	g_free(git_in(NULL, "init", "-q", dir, NULL));
	env = g_environ_setenv(env, "GIT_AUTHOR_NAME", "Ann", TRUE);
	env = g_environ_setenv(env, "GIT_AUTHOR_EMAIL", "ann@example.org",
			       TRUE);
	env = g_environ_setenv(env, "GIT_COMMITTER_NAME", "Ann", TRUE);
	env = g_environ_setenv(env, "GIT_COMMITTER_EMAIL", "ann@example.org",
			       TRUE);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = lines->pdata[i];
		const char *argv[] = { "/bin/sh", "-ec", line + 2, NULL };
		g_autofree char *err = NULL;
		int status;

		g_test_message("%s", line);
		g_assert_true(g_str_has_prefix(line, "$ "));
		g_assert_true(g_spawn_sync(dir, (char **)argv, env, 0, NULL,
					   NULL, NULL, &err, &status, NULL));
		if (!g_spawn_check_wait_status(status, NULL))
			g_error("%s failed: %s", line, err);
	}
	return git_in(dir, "rev-parse", "HEAD^{tree}", NULL);
}

static char *tree_of_commit(const char *commit)
{
	g_autofree char *dir = g_build_filename(root, "store", NULL);
	g_autofree char *rev = g_strconcat(commit, "^{tree}", NULL);

	return git_in(dir, "rev-parse", rev, NULL);
}

/* The reproduce lines make the very tree that was checked out. */
static void test_reproduce(gconstpointer data)
{
	const char *tree = data;
	gboolean merge = !strcmp(tree, PC_FETCH_TREE_MERGE);
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *name = g_strconcat("replay-", tree, NULL);
	g_autofree char *got = NULL, *want = NULL;
	PcBuildSpec spec = { 0 };
	PcFetchResult r;
	Opts o;

	need_servers();
	opts_init(&o);
	o.o.tree = tree;
	fetch(&o, name, "maint.git", "for-linus", id("M2"), id("F3"), &r);
	g_assert_cmpstr(r.tree_kind, ==, tree);
	spec.fetch_url = r.url;
	spec.ref = "for-linus";
	spec.tip = r.tip_commit;
	spec.mainline_url = o.mainline;
	spec.merged_into = merge ? r.mainline_commit : NULL;
	pc_build_source_lines(&spec, lines);
	g_assert_cmpuint(lines->len, ==, merge ? 4 : 2);
	got = replay(name, lines);
	want = tree_of_commit(r.tree_commit);
	g_assert_cmpstr(got, ==, want);
	if (merge) {	/* not the tip's tree: the merge's */
		g_autofree char *tip = tree_of_commit(r.tip_commit);

		g_assert_cmpstr(got, !=, tip);
	}
	pc_fetch_result_clear(&r);
	opts_clear(&o);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	pc_harness_skip_without("/usr/bin/git", "git");
	pc_harness_skip_without(HTTP_BACKEND, "git");
	pc_harness_skip_without(LIGHTTPD, "lighttpd");
	pc_harness_skip_without("/usr/bin/gpg", "gnupg");
	pc_harness_skip_without(PYTHON, "python3");
	root = pc_harness_init("pc-fetch-XXXXXX");
	git_libgit2_init();

	g_test_add_func("/fetch/git/prime", test_prime);
	g_test_add_data_func("/fetch/git/branch", "git", test_branch);
	g_test_add_func("/fetch/git/annotated-tag", test_annotated_tag);
	g_test_add_func("/fetch/git/lightweight-tag", test_lightweight_tag);
	g_test_add_func("/fetch/git/tag-not-pushed", test_tag_not_pushed);
	g_test_add_func("/fetch/git/tip-mismatch", test_tip_mismatch);
	g_test_add_func("/fetch/git/base-not-ancestor", test_base_not_ancestor);
	g_test_add_func("/fetch/git/base-unknown", test_base_unknown);
	g_test_add_func("/fetch/git/remote-head", test_remote_head);
	g_test_add_func("/fetch/git/tag-mismatch", test_tag_mismatch);
	g_test_add_func("/fetch/git/already-merged", test_already_merged);
	g_test_add_func("/fetch/git/warm-store", test_warm_store);
	g_test_add_func("/fetch/git/ambiguous", test_ambiguous);
	g_test_add_data_func("/fetch/git/signed-verified", "git",
			     test_signed_verified);
	g_test_add_func("/fetch/git/signed-unknown-key",
			test_signed_unknown_key);
	g_test_add_func("/fetch/git/signed-bad", test_signed_bad);
	g_test_add_func("/fetch/git/signed-no-keyring", test_signed_no_keyring);
	g_test_add_func("/fetch/git/merge-conflict", test_merge_conflict);
	g_test_add_func("/fetch/git/tree-merge", test_tree_merge);
	g_test_add_func("/fetch/git/forget", test_forget);
	g_test_add_func("/fetch/git/prune-jobs", test_prune_jobs);
	g_test_add_func("/fetch/git/store-busy", test_store_busy);

	g_test_add_data_func("/fetch/http/branch", "http", test_branch);
	g_test_add_data_func("/fetch/http/signed-verified", "http",
			     test_signed_verified);
	g_test_add_func("/fetch/http/tag", test_http_tag);
	g_test_add_data_func("/fetch/http/https-branch", "https", test_branch);
	g_test_add_func("/fetch/http/https-untrusted", test_https_untrusted);
	g_test_add_func("/fetch/http/https-wrong-host", test_https_wrong_host);
	g_test_add_func("/fetch/http/https-redirect-off-list",
			test_https_redirect_off_list);
	g_test_add_data_func("/fetch/http/redirect-301", "301", test_redirect);
	g_test_add_data_func("/fetch/http/redirect-302", "302", test_redirect);
	g_test_add_data_func("/fetch/http/redirect-307", "307", test_redirect);
	g_test_add_data_func("/fetch/http/redirect-308", "308", test_redirect);
	g_test_add_data_func("/fetch/http/redirect-https-301", "https-301",
			     test_redirect);

	g_test_add_func("/fetch/refuse/url", test_refuse_url);
	g_test_add_func("/fetch/refuse/ref", test_refuse_ref);
	g_test_add_func("/fetch/refuse/normalise", test_normalise);
	g_test_add_func("/fetch/refuse/job-id", test_bad_job_id);
	g_test_add_func("/fetch/refuse/tree-names", test_tree_names);

	g_test_add_data_func("/fetch/limits/never-answers-git", "git",
			     test_never_answers);
	g_test_add_data_func("/fetch/limits/never-answers-http", "http",
			     test_never_answers);
	g_test_add_data_func("/fetch/limits/never-answers-https", "https",
			     test_never_answers);
	g_test_add_data_func("/fetch/limits/never-answers-https-after-handshake",
			     "tls-silent", test_never_answers);
	g_test_add_data_func("/fetch/limits/never-finishes-http", "drip",
			     test_never_answers);
	g_test_add_func("/fetch/limits/byte-cap", test_byte_cap);
	g_test_add_func("/fetch/limits/refused", test_refused_connection);
	g_test_add_func("/fetch/limits/mainline-down", test_mainline_down);

	g_test_add_func("/fetch/checkout/incremental", test_incremental);
	g_test_add_func("/fetch/checkout/quick", test_quick);
	g_test_add_func("/fetch/checkout/quick-fallback", test_quick_fallback);

	for (guint i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
		g_autofree char *path = g_strconcat(
			"/fetch/hostile/", hostile_cases[i].branch + 8, NULL);

		g_test_add_data_func(path, &hostile_cases[i],
				     test_hostile_tree);
	}
	g_test_add_func("/fetch/hostile/link-then-dir",
			test_hostile_link_then_dir);
	g_test_add_func("/fetch/hostile/sizes", test_hostile_sizes);

	g_test_add_func("/fetch/mainline/seed-clone", test_seed_clone);
	g_test_add_func("/fetch/mainline/seed-bundle", test_seed_bundle);
	g_test_add_func("/fetch/mainline/seed-refused", test_seed_refused);
	g_test_add_func("/fetch/mainline/refresh", test_refresh);
	g_test_add_func("/fetch/mainline/git-byte-cap", test_git_byte_cap);
	g_test_add_func("/fetch/mainline/git-stall", test_git_stall);
	g_test_add_func("/fetch/mainline/git-isolated", test_git_isolated);
	g_test_add_func("/fetch/refuse/git-progress-lines",
			test_git_progress_lines);
	g_test_add_func("/fetch/mainline/behind", test_behind);
	g_test_add_data_func("/fetch/mainline/reproduce-tip",
			     PC_FETCH_TREE_TIP, test_reproduce);
	g_test_add_data_func("/fetch/mainline/reproduce-merge",
			     PC_FETCH_TREE_MERGE, test_reproduce);

	ret = g_test_run();
	git_libgit2_shutdown();
	return ret;
}
