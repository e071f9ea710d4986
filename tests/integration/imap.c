// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mail sources against the real thing: a Dovecot on loopback with its
 * own configuration (plain IMAP with STARTTLS, IMAPS, and a listener on
 * 127.0.0.2 that offers no IDLE), a self-signed certificate, and a user
 * with uid 65534. Dovecot starts on first use, on ports chosen here, in
 * its own process group, and is killed whatever happens: at exit, on
 * abort (a failed assertion), and by the kernel if this process dies
 * (PR_SET_PDEATHSIG).
 *
 * Test paths: /source/imap/... (Dovecot), /source/maildir/... (files,
 * and Dovecot to read the keywords back), /source/common/... (no
 * server). A missing Dovecot exits 77.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libetpan/libetpan.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "source.h"
#include "harness.h"

#define USER "bot"
#define PASSWORD "s3cret"
#define NOIDLE_ADDR "127.0.0.2"

static char *root;		/* this run's directory, removed at exit */

static struct {
	GPid pid;		/* 0 when not running */
	guint16 port;		/* IMAP, STARTTLS */
	guint16 tls_port;	/* IMAPS */
	guint16 noidle_port;	/* IMAP on NOIDLE_ADDR, without IDLE */
	char *dir;
	char *conf;
	char *cert;		/* the server's, self-signed */
	char *other_cert;	/* a CA that did not sign it */
	char *log;
	char *maildir;		/* the user's, INBOX */
	char *password_file;
} dc;

/* What the sources logged, for the tests to look at. */
static GString *logged;

/* --- Dovecot ------------------------------------------------------------- */

static void kill_dovecot(void)
{
	if (!dc.pid)
		return;
	pc_harness_kill(dc.pid);
	dc.pid = 0;
}

static void write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

static void run(const char *const *argv)
{
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
				   G_SPAWN_SEARCH_PATH |
					   G_SPAWN_STDOUT_TO_DEV_NULL |
					   G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL, NULL, NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_cmpint(status, ==, 0);
}

static void make_cert(const char *name, char **cert)
{
	g_autofree char *key = g_strdup_printf("%s/%s-key.pem", dc.dir, name);
	const char *argv[] = {
		"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", key, "-out", NULL, "-days", "2",
		"-subj", "/CN=pullcheck-test.invalid", "-addext",
		"subjectAltName=DNS:pullcheck-test.invalid,IP:127.0.0.1", NULL
	};

	*cert = g_strdup_printf("%s/%s.pem", dc.dir, name);
	argv[9] = *cert;
	run(argv);
}

static char *dovecot_conf(void)
{
	return g_strdup_printf(
		"base_dir = %1$s/run\n"
		"state_dir = %1$s/state\n"
		"log_path = %2$s\n"
		"listen = 127.0.0.1\n"
		"protocols = imap\n"
		"ssl = yes\n"
		"ssl_cert = <%3$s\n"
		"ssl_key = <%1$s/server-key.pem\n"
		"disable_plaintext_auth = no\n"
		"auth_mechanisms = plain\n"
		"auth_failure_delay = 0\n"
		"mail_location = maildir:~/Maildir\n"
		"passdb {\n  driver = passwd-file\n  args = %1$s/passwd\n}\n"
		"userdb {\n  driver = passwd-file\n  args = %1$s/passwd\n}\n"
		"service imap-login {\n"
		"  inet_listener imap {\n"
		"    address = 127.0.0.1\n    port = %4$u\n  }\n"
		"  inet_listener imaps {\n"
		"    address = 127.0.0.1\n    port = %5$u\n    ssl = yes\n  }\n"
		"  inet_listener noidle {\n"
		"    address = " NOIDLE_ADDR "\n    port = %6$u\n  }\n"
		"}\n"
		/* What a server without IDLE says after login. */
		"local " NOIDLE_ADDR " {\n"
		"  protocol imap {\n"
		"    imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n"
		"  }\n"
		"}\n",
		dc.dir, dc.log, dc.cert, dc.port, dc.tls_port, dc.noidle_port);
}

static mailimap *admin_try(void)
{
	mailimap *imap = mailimap_new(0, NULL);

	mailimap_set_timeout(imap, 10);
	if (mailimap_socket_connect(imap, "127.0.0.1", dc.port) ==
		    MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    mailimap_login(imap, USER, PASSWORD) == MAILIMAP_NO_ERROR)
		return imap;
	mailimap_free(imap);
	return NULL;
}

/* Ready is a real LOGIN: Dovecot drops connections while it starts. */
static void spawn_dovecot(void)
{
	const char *argv[] = { "dovecot", "-F", "-c", dc.conf, NULL };
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			       "LANG=C.UTF-8", NULL };
	g_autofree char *out = g_build_filename(dc.dir, "dovecot.out", NULL);
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	g_autoptr(GError) error = NULL;
	int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	mailimap *imap;

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, (char **)envp,
					     G_SPAWN_DO_NOT_REAP_CHILD |
						     G_SPAWN_SEARCH_PATH,
					     pc_harness_child_setup, NULL,
					     &dc.pid, -1, fd, fd, &error));
	g_assert_no_error(error);
	close(fd);
	pc_harness_track(dc.pid);
	while (!(imap = admin_try())) {
		if (waitpid(dc.pid, NULL, WNOHANG) == dc.pid ||
		    g_get_monotonic_time() > deadline) {
			g_autofree char *text = NULL;

			g_file_get_contents(dc.log, &text, NULL, NULL);
			pc_harness_kill(dc.pid);
			dc.pid = 0;
			g_error("Dovecot did not come up:\n%s", text);
		}
		g_usleep(100 * 1000);
	}
	mailimap_logout(imap);
	mailimap_free(imap);
}

static void start_dovecot(void)
{
	g_autofree char *home = NULL;
	g_autofree char *passwd = NULL;
	g_autofree char *users = NULL;
	g_autofree char *conf = NULL;
	g_autofree char *bin = g_find_program_in_path("dovecot");

	if (dc.pid)
		return;
	if (dc.conf) {
		spawn_dovecot();
		return;
	}
	if (!bin &&
	    !g_file_test("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE)) {
		g_printerr("SKIP: dovecot is missing (dovecot-core)\n");
		exit(77);
	}
	if (!g_file_test("/usr/lib/dovecot/imap", G_FILE_TEST_IS_EXECUTABLE)) {
		g_printerr("SKIP: Dovecot's IMAP is missing (dovecot-imapd)\n");
		exit(77);
	}
	dc.dir = g_build_filename(root, "dovecot", NULL);
	home = g_build_filename(dc.dir, "home", NULL);
	g_assert_cmpint(g_mkdir_with_parents(home, 0755), ==, 0);
	g_assert_cmpint(chown(home, 65534, 65534), ==, 0);
	dc.maildir = g_build_filename(home, "Maildir", NULL);
	dc.log = g_build_filename(dc.dir, "dovecot.log", NULL);
	make_cert("server", &dc.cert);
	make_cert("other", &dc.other_cert);
	users = g_strdup_printf(USER ":{PLAIN}" PASSWORD ":65534:65534::%s\n",
				home);
	passwd = g_build_filename(dc.dir, "passwd", NULL);
	write_file(passwd, users);
	dc.password_file = g_build_filename(root, "password", NULL);
	write_file(dc.password_file, PASSWORD "\n");
	dc.port = pc_harness_free_port("127.0.0.1");
	dc.tls_port = pc_harness_free_port("127.0.0.1");
	dc.noidle_port = pc_harness_free_port(NOIDLE_ADDR);
	conf = dovecot_conf();
	dc.conf = g_build_filename(dc.dir, "dovecot.conf", NULL);
	write_file(dc.conf, conf);
	spawn_dovecot();
}

static gboolean dovecot_logged_in(void)
{
	g_autofree char *log = NULL;

	g_file_get_contents(dc.log, &log, NULL, NULL);
	return log && strstr(log, "Login: user=<" USER ">");
}

/* --- a second client, to put mail in and look at it ---------------------- */

static mailimap *admin(void)
{
	mailimap *imap = admin_try();

	g_assert_nonnull(imap);
	return imap;
}

static void admin_done(mailimap *imap)
{
	mailimap_logout(imap);
	mailimap_free(imap);
}

static void admin_create(const char *folder)
{
	mailimap *imap = admin();

	g_assert_cmpint(mailimap_create(imap, folder), ==, MAILIMAP_NO_ERROR);
	admin_done(imap);
}

static void admin_delete(const char *folder)
{
	mailimap *imap = admin();

	g_assert_cmpint(mailimap_delete(imap, folder), ==, MAILIMAP_NO_ERROR);
	admin_done(imap);
}

static void admin_append(const char *folder, const char *text)
{
	mailimap *imap = admin();

	g_assert_cmpint(mailimap_append(imap, folder, NULL, NULL, text,
					strlen(text)),
			==, MAILIMAP_NO_ERROR);
	admin_done(imap);
}

static void append_flag(GString *s, const struct mailimap_flag *f)
{
	static const char *const names[] = {
		[MAILIMAP_FLAG_ANSWERED] = "\\Answered",
		[MAILIMAP_FLAG_FLAGGED] = "\\Flagged",
		[MAILIMAP_FLAG_DELETED] = "\\Deleted",
		[MAILIMAP_FLAG_SEEN] = "\\Seen",
		[MAILIMAP_FLAG_DRAFT] = "\\Draft",
	};

	if (s->len)
		g_string_append_c(s, ' ');
	if (f->fl_type == MAILIMAP_FLAG_KEYWORD)
		g_string_append(s, f->fl_data.fl_keyword);
	else if (f->fl_type < (int)G_N_ELEMENTS(names) && names[f->fl_type])
		g_string_append(s, names[f->fl_type]);
}

/* The flags of @uid in @folder, as "\Seen $PullcheckPass" (no \Recent). */
static char *admin_flags(const char *folder, guint32 uid)
{
	mailimap *imap = admin();
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att(
		mailimap_fetch_att_new_flags());
	GString *s = g_string_new(NULL);
	clist *result = NULL;

	g_assert_cmpint(mailimap_examine(imap, folder), ==, MAILIMAP_NO_ERROR);
	g_assert_cmpint(mailimap_uid_fetch(imap, set, ft, &result), ==,
			MAILIMAP_NO_ERROR);
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);

		for (clistiter *i = clist_begin(att->att_list); i;
		     i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);
			clist *flags;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC ||
			    !item->att_data.att_dyn->att_list)
				continue;
			flags = item->att_data.att_dyn->att_list;
			for (clistiter *f = clist_begin(flags); f;
			     f = clist_next(f)) {
				struct mailimap_flag_fetch *ff =
					clist_content(f);

				if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER)
					append_flag(s, ff->fl_flag);
			}
		}
	}
	mailimap_fetch_list_free(result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	admin_done(imap);
	return g_string_free(s, FALSE);
}

/* Delivery as an MTA does it, for when Dovecot is not running. */
static void deliver_file(const char *maildir, const char *name,
			 const char *text)
{
	g_autofree char *tmp = g_build_filename(maildir, "tmp", name, NULL);
	g_autofree char *new = g_build_filename(maildir, "new", name, NULL);

	write_file(tmp, text);
	g_assert_cmpint(chown(tmp, 65534, 65534), ==, 0);
	g_assert_cmpint(rename(tmp, new), ==, 0);
}

/* --- the source under test ------------------------------------------------ */

static char *make_message(const char *id, gsize body_size)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s,
			       "From: A Maintainer <maintainer@example.org>\r\n"
			       "To: " USER "@example.org\r\n"
			       "Subject: [GIT PULL] %s\r\n"
			       "Message-ID: <%s@pullcheck.test>\r\n"
			       "\r\n"
			       "The following changes since commit 1234:\r\n",
			       id, id);
	while (s->len < body_size)
		g_string_append(s, "  some line of the pull request body\r\n");
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *tls;	/* NULL: none */
	guint16 port;		/* 0: the one for tls */
	const char *host;	/* NULL: 127.0.0.1 */
	const char *ca_file;
	const char *folder;
	const char *password_file;	/* NULL: the right one */
	guint64 max_bytes;	/* 0: the default */
} Setup;

typedef struct {
	PcConfig *config;
	PcStore *store;
	PcSource *src;
} Fix;

static PcConfig *load_config(const Setup *s)
{
	const char *tls = s->tls ? s->tls : "none";
	guint16 port = s->port ? s->port
		       : !strcmp(tls, "imaps") ? dc.tls_port
					       : dc.port;
	g_autofree char *path = g_strdup_printf("%s/%s.conf", root, s->folder);
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir=%s\n"
		"max_message_bytes=%" G_GUINT64_FORMAT "\n[source]\ntype=imap\n"
		"[imap]\nhost=%s\nport=%u\ntls=%s\n%s%s%suser=" USER "\n"
		"password_file=%s\nfolder=%s\npoll_interval=1\n",
		root, s->max_bytes ? s->max_bytes : 10 * 1024 * 1024,
		s->host ? s->host : "127.0.0.1", port, tls,
		s->ca_file ? "ca_file=" : "", s->ca_file ? s->ca_file : "",
		s->ca_file ? "\n" : "",
		s->password_file ? s->password_file : dc.password_file,
		s->folder);
	g_autoptr(GError) error = NULL;
	PcConfig *config;

	write_file(path, text);
	config = pc_config_load(path, &error);
	g_assert_no_error(error);
	return config;
}

/* A source for @s, with the store of its folder (kept between fixes). */
static void fix_init(Fix *f, const Setup *s)
{
	g_autofree char *db = g_strdup_printf("%s/%s.sqlite", root, s->folder);
	g_autoptr(GError) error = NULL;

	f->config = load_config(s);
	f->store = pc_store_open(db, &error);
	g_assert_no_error(error);
	f->src = pc_source_new(f->config, f->store, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(f->src->ops->name, ==, "imap");
}

static void fix_clear(Fix *f)
{
	g_clear_pointer(&f->src, pc_source_free);
	g_clear_pointer(&f->store, pc_store_close);
	g_clear_pointer(&f->config, pc_config_free);
}

/* fix_init and open, which must work. */
static void fix_open(Fix *f, const Setup *s)
{
	g_autoptr(GError) error = NULL;

	fix_init(f, s);
	g_assert_true(f->src->ops->open(f->src, &error));
	g_assert_no_error(error);
}

typedef struct {
	char *id;
	GBytes *raw;
	guint64 size;
} Got;

static void got_free(gpointer p)
{
	Got *g = p;

	g_free(g->id);
	if (g->raw)
		g_bytes_unref(g->raw);
	g_free(g);
}

static gboolean collect(const PcSourceMessage *msg, gpointer data)
{
	Got *g = g_new0(Got, 1);

	g->id = g_strdup(msg->id);
	g->raw = msg->raw ? g_bytes_ref(msg->raw) : NULL;
	g->size = msg->size;
	g_ptr_array_add(data, g);
	return TRUE;
}

static GPtrArray *fetch_all(PcSource *src)
{
	GPtrArray *got = g_ptr_array_new_with_free_func(got_free);
	g_autoptr(GError) error = NULL;

	g_assert_true(src->ops->fetch_new(src, collect, got, &error));
	g_assert_no_error(error);
	return got;
}

static void ack_all(PcSource *src, GPtrArray *got)
{
	for (guint i = 0; i < got->len; i++) {
		g_autoptr(GError) error = NULL;

		g_assert_true(src->ops->ack(src, ((Got *)got->pdata[i])->id,
					    &error));
		g_assert_no_error(error);
	}
}

static void assert_got(const Got *g, const char *text)
{
	g_assert_nonnull(g->raw);
	g_assert_cmpmem(g_bytes_get_data(g->raw, NULL),
			g_bytes_get_size(g->raw), text, strlen(text));
	g_assert_cmpuint(g->size, ==, strlen(text));
}

static guint32 id_uid(const char *id)
{
	const char *slash = strchr(id, '/');

	g_assert_nonnull(slash);
	return (guint32)g_ascii_strtoull(slash + 1, NULL, 10);
}

static void log_clear(void)
{
	g_string_truncate(logged, 0);
}

static gboolean log_has(const char *text)
{
	return strstr(logged->str, text) != NULL;
}

static void capture_log(const char *domain, GLogLevelFlags level,
			const char *message, gpointer data)
{
	g_string_append_printf(logged, "%s: %s\n", domain, message);
	g_log_default_handler(domain, level, message, data);
}

static double since(gint64 t0)
{
	return (g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC;
}

/* --- IMAP: logging in ---------------------------------------------------- */

static void test_authenticate_plain(void)
{
	Setup s = { .folder = "INBOX" };
	Fix f = { 0 };
	g_autofree char *line = NULL;

	start_dovecot();
	log_clear();
	fix_open(&f, &s);
	g_assert_true(log_has("tls none, AUTHENTICATE PLAIN, IDLE"));
	line = f.src->ops->describe(f.src);
	g_assert_true(g_str_has_prefix(line, "imap://" USER "@127.0.0.1:"));
	g_assert_nonnull(strstr(line, "/INBOX connected, uidvalidity "));
	g_assert_nonnull(strstr(line, ", last uid 0"));
	g_test_message("%s", line);
	fix_clear(&f);
}

/*
 * LOGIN where SASL cannot do PLAIN: SASL_PATH pointed at an empty
 * directory stands in for libsasl2-modules missing. Cyrus SASL loads its
 * plugins once per process: this runs in a fresh one.
 */
static void test_login(void)
{
	g_autofree char *empty = NULL;
	Setup s = { .folder = "INBOX" };
	Fix f = { 0 };

	if (!g_test_subprocess()) {
		start_dovecot();	/* here, to skip without it */
		g_test_trap_subprocess(
			NULL, 60 * G_USEC_PER_SEC,
			G_TEST_SUBPROCESS_INHERIT_STDOUT |
				G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	start_dovecot();
	empty = g_build_filename(root, "no-plugins", NULL);
	g_assert_cmpint(g_mkdir_with_parents(empty, 0755), ==, 0);
	g_setenv("SASL_PATH", empty, TRUE);
	log_clear();
	fix_open(&f, &s);
	g_unsetenv("SASL_PATH");
	g_assert_true(log_has("tls none, LOGIN, IDLE"));
	g_assert_true(dovecot_logged_in());
	fix_clear(&f);
}

static void test_bad_password(void)
{
	g_autofree char *wrong = g_build_filename(root, "wrong", NULL);
	Setup s = { .folder = "INBOX", .password_file = wrong };
	g_autoptr(GError) error = NULL;
	Fix f = { 0 };

	start_dovecot();
	write_file(wrong, "not-the-password\n");
	fix_init(&f, &s);
	g_assert_false(f.src->ops->open(f.src, &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_AUTH);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "refused"));
	fix_clear(&f);
}

static void test_no_password_file(void)
{
	g_autofree char *missing = g_build_filename(root, "missing", NULL);
	Setup s = { .folder = "INBOX", .password_file = missing };
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(PcStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *db = g_build_filename(root, "nopw.sqlite", NULL);

	start_dovecot();
	config = load_config(&s);
	store = pc_store_open(db, &error);
	g_assert_no_error(error);
	g_assert_null(pc_source_new(config, store, &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, missing));
}

/* --- IMAP: TLS ----------------------------------------------------------- */

static void test_tls_ok(gconstpointer data)
{
	const char *tls = data;
	g_autofree char *folder = g_strdup_printf("tls-%s", tls);
	g_autofree char *text = make_message(folder, 200);
	Setup s = { .tls = tls, .folder = folder, .ca_file = NULL };
	g_autoptr(GPtrArray) got = NULL;
	g_autofree char *expect = g_strdup_printf("tls %s, AUTHENTICATE PLAIN",
						  tls);
	Fix f = { 0 };

	start_dovecot();
	s.ca_file = dc.cert;
	admin_create(folder);
	admin_append(folder, text);
	log_clear();
	fix_open(&f, &s);
	g_assert_true(log_has(expect));
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	assert_got(got->pdata[0], text);
	fix_clear(&f);
}

typedef struct {
	const char *tls;
	const char *host;
	gboolean other_ca;	/* else no ca_file: the system's CAs */
	const char *why;	/* GnuTLS's words */
} Untrusted;

static const Untrusted UNTRUSTED[] = {
	{ "imaps", NULL, FALSE, "issuer is unknown" },
	{ "imaps", NULL, TRUE, "issuer is unknown" },
	{ "imaps", "localhost", FALSE, "does not match" },
	{ "starttls", NULL, FALSE, "issuer is unknown" },
	{ "starttls", NULL, TRUE, "issuer is unknown" },
	{ "starttls", "localhost", FALSE, "does not match" },
};

/*
 * The test certificate is self-signed: refused without its CA (the
 * system's store), with another CA, and for a name it was not made for
 * (then with the right CA). The refusal comes before any login: Dovecot
 * saw none.
 */
static void test_tls_untrusted(void)
{
	start_dovecot();
	for (gsize i = 0; i < G_N_ELEMENTS(UNTRUSTED); i++) {
		const Untrusted *u = &UNTRUSTED[i];
		Setup s = { .tls = u->tls, .host = u->host,
			    .folder = "INBOX" };
		g_autoptr(GError) error = NULL;
		Fix f = { 0 };

		if (u->other_ca)
			s.ca_file = dc.other_cert;
		else if (u->host)
			s.ca_file = dc.cert;
		g_assert_cmpint(truncate(dc.log, 0), ==, 0);
		fix_init(&f, &s);
		g_assert_false(f.src->ops->open(f.src, &error));
		g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_CONNECT);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, "not trusted"));
		g_assert_nonnull(strstr(error->message, u->why));
		g_assert_false(dovecot_logged_in());
		fix_clear(&f);
	}
}

/* --- IMAP: new mail ------------------------------------------------------ */

static void test_fetch(void)
{
	Setup s = { .folder = "fetch" };
	char *texts[3];
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autofree char *line = NULL;
	g_autofree char *expect = NULL;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autofree char *id = g_strdup_printf("fetch-%u", i);

		texts[i] = make_message(id, 300 * (i + 1));
		admin_append(s.folder, texts[i]);
	}
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 3);
	for (guint i = 0; i < got->len; i++) {
		Got *g = got->pdata[i];
		g_autofree char *flags = admin_flags(s.folder, id_uid(g->id));

		assert_got(g, texts[i]);
		g_assert_cmpuint(id_uid(g->id), ==, i + 1);
		/* BODY.PEEK[]: the maintainer still sees them unread. */
		g_assert_null(strstr(flags, "\\Seen"));
	}
	/* Not acknowledged: handed out again. */
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 3);
	ack_all(f.src, got);
	g_ptr_array_set_size(again, 0);
	g_ptr_array_unref(again);
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 0);
	line = f.src->ops->describe(f.src);
	g_assert_nonnull(strstr(line, "connected, uidvalidity"));
	g_assert_true(g_str_has_suffix(line, ", last uid 3"));
	fix_clear(&f);

	/* A restart: the store remembers. */
	fix_open(&f, &s);
	g_ptr_array_unref(again);
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 0);
	admin_append(s.folder, texts[0]);
	g_ptr_array_unref(again);
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 1);
	expect = g_strdup_printf("/%u", 4);
	g_assert_true(g_str_has_suffix(((Got *)again->pdata[0])->id, expect));
	fix_clear(&f);
	for (guint i = 0; i < G_N_ELEMENTS(texts); i++)
		g_free(texts[i]);
}

/* A folder name beyond ASCII goes as modified UTF-7 (RFC 3501 5.1.3). */
static void test_utf7_folder(void)
{
	Setup s = { .folder = "f\xc3\xbcr & Co" };
	g_autofree char *text = make_message("utf7", 100);
	g_autoptr(GPtrArray) got = NULL;
	Fix f = { 0 };

	start_dovecot();
	admin_create("f&APw-r &- Co");
	admin_append("f&APw-r &- Co", text);
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	assert_got(got->pdata[0], text);
	fix_clear(&f);
}

/*
 * Acknowledged out of order: last_uid stops below the first message not
 * acknowledged, so after a restart that one comes again (and those
 * above it: the job store knows them already).
 */
static void test_ack_order(void)
{
	Setup s = { .folder = "order" };
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autoptr(GError) error = NULL;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	for (guint i = 0; i < 3; i++) {
		g_autofree char *id = g_strdup_printf("order-%u", i);
		g_autofree char *text = make_message(id, 100);

		admin_append(s.folder, text);
	}
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 3);
	g_assert_true(f.src->ops->ack(f.src, ((Got *)got->pdata[0])->id,
				      &error));
	g_assert_true(f.src->ops->ack(f.src, ((Got *)got->pdata[2])->id,
				      &error));
	g_assert_no_error(error);
	fix_clear(&f);
	fix_open(&f, &s);
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 2);
	g_assert_cmpuint(id_uid(((Got *)again->pdata[0])->id), ==, 2);
	g_assert_cmpuint(id_uid(((Got *)again->pdata[1])->id), ==, 3);
	fix_clear(&f);
}

static void test_over_cap(void)
{
	Setup s = { .folder = "big", .max_bytes = 4096 };
	g_autofree char *big = make_message("big", 20000);
	g_autofree char *small = make_message("small", 1000);
	g_autoptr(GPtrArray) got = NULL;
	Got *g;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	admin_append(s.folder, big);
	admin_append(s.folder, small);
	log_clear();
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 2);
	g = got->pdata[0];
	g_assert_null(g->raw);
	g_assert_cmpuint(g->size, ==, strlen(big));
	g_assert_true(log_has("UID 1: "));
	g_assert_true(log_has("over the limit of 4096: not downloaded"));
	assert_got(got->pdata[1], small);
	fix_clear(&f);
}

/* --- IMAP: waiting ------------------------------------------------------- */

typedef struct {
	const char *folder;
	gint64 appended;	/* monotonic µs, once appended */
	GCancellable *cancel;
} Later;

static gpointer append_later(gpointer data)
{
	Later *l = data;
	g_autofree char *text = make_message("later", 500);

	g_usleep(500 * 1000);
	admin_append(l->folder, text);
	g_atomic_pointer_set(&l->appended, g_get_monotonic_time());
	return NULL;
}

static gpointer cancel_later(gpointer data)
{
	Later *l = data;

	g_usleep(500 * 1000);
	l->appended = g_get_monotonic_time();
	g_cancellable_cancel(l->cancel);
	return NULL;
}

static gpointer kill_later(gpointer data)
{
	Later *l = data;

	g_usleep(500 * 1000);
	l->appended = g_get_monotonic_time();
	kill_dovecot();
	return NULL;
}

/*
 * A message appended while the source is in IDLE ends the wait within a
 * second or two; measured from the end of the APPEND to the return.
 * Over IMAPS too: there libetpan may have read the server's answer
 * into its buffer, where poll() does not see it.
 */
static void test_idle_wake(gconstpointer data)
{
	const char *tls = data;
	g_autofree char *folder = g_strdup_printf("idle-%s", tls);
	Setup s = { .tls = tls, .folder = folder };
	Later l = { folder, 0, NULL };
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	GThread *t;
	gint64 t0;
	double latency;
	Fix f = { 0 };

	start_dovecot();
	s.ca_file = dc.cert;
	admin_create(folder);
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 0);
	t = g_thread_new("append", append_later, &l);
	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 60, NULL, &error));
	g_assert_no_error(error);
	g_thread_join(t);
	g_assert_cmpint(l.appended, >, 0);
	latency = since(l.appended);
	g_test_message("IDLE over %s: woke %.3f s after the APPEND (%.3f s "
		       "in wait)", tls, latency, since(t0));
	g_assert_cmpfloat(latency, <, 2.0);
	g_ptr_array_unref(got);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	fix_clear(&f);
}

/*
 * Mail that came while the source was not in IDLE: the server says so as
 * IDLE begins, right behind "+ idling"; over TLS both come in one record
 * and libetpan has read the news along with the "+" before we poll().
 */
static void test_idle_pending(gconstpointer data)
{
	const char *tls = data;
	g_autofree char *folder = g_strdup_printf("pending-%s", tls);
	g_autofree char *text = make_message(folder, 100);
	Setup s = { .tls = tls, .folder = folder };
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gint64 t0;
	Fix f = { 0 };

	start_dovecot();
	s.ca_file = dc.cert;
	admin_create(folder);
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 0);
	admin_append(folder, text);
	g_usleep(700 * 1000);	/* past Dovecot's 0.5 s notify delay */
	log_clear();
	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 30, NULL, &error));
	g_assert_no_error(error);
	g_test_message("IDLE over %s, mail already there: %.3f s%s", tls,
		       since(t0),
		       log_has("already read") ? " (from libetpan's buffer)"
					       : "");
	g_assert_cmpfloat(since(t0), <, 1.0);
	g_ptr_array_unref(got);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	fix_clear(&f);
}

/*
 * Mail that arrives while fetch_new hands messages out is announced once,
 * in the reply to the next command (here the second body fetch); wait()
 * must come back at once instead of idling over it.
 */
typedef struct {
	const char *folder;
	guint seen;
	PcSource *src;
} Racing;

static gboolean append_during(const PcSourceMessage *msg, gpointer data)
{
	Racing *r = data;
	g_autoptr(GError) error = NULL;

	g_assert_true(r->src->ops->ack(r->src, msg->id, &error));
	g_assert_no_error(error);

	if (r->seen++ == 0) {
		g_autofree char *text = make_message("racing-3", 100);

		admin_append(r->folder, text);
	}
	return TRUE;
}

static void test_exists_during_fetch(void)
{
	Setup s = { .folder = "racing" };
	Racing r = { s.folder, 0 };
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	gint64 t0;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	for (guint i = 1; i <= 2; i++) {
		g_autofree char *id = g_strdup_printf("racing-%u", i);
		g_autofree char *text = make_message(id, 100);

		admin_append(s.folder, text);
	}
	fix_open(&f, &s);
	r.src = f.src;
	g_assert_true(f.src->ops->fetch_new(f.src, append_during, &r, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(r.seen, ==, 2);
	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 30, NULL, &error));
	g_assert_no_error(error);
	g_test_message("mail announced during fetch_new: wait took %.3f s",
		       since(t0));
	g_assert_cmpfloat(since(t0), <, 1.0);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	fix_clear(&f);
}

static void test_idle_cancel(void)
{
	Setup s = { .folder = "idle-cancel" };
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	Later l = { s.folder, 0, cancel };
	g_autoptr(GError) error = NULL;
	GThread *t;
	double latency;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	fix_open(&f, &s);
	t = g_thread_new("cancel", cancel_later, &l);
	g_assert_true(f.src->ops->wait(f.src, 60, cancel, &error));
	g_assert_no_error(error);
	g_thread_join(t);
	latency = since(l.appended);
	g_test_message("IDLE: returned %.3f s after the cancel", latency);
	g_assert_cmpfloat(latency, <, 1.0);
	/* The connection is still good: IDLE was ended properly. */
	g_ptr_array_unref(fetch_all(f.src));
	/* Already cancelled: no wait at all. */
	g_assert_true(f.src->ops->wait(f.src, 60, cancel, &error));
	fix_clear(&f);
}

static void test_idle_timeout(void)
{
	Setup s = { .folder = "idle-timeout" };
	g_autoptr(GError) error = NULL;
	gint64 t0;
	double took;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	fix_open(&f, &s);
	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 1, NULL, &error));
	g_assert_no_error(error);
	took = since(t0);
	g_assert_cmpfloat(took, >=, 0.9);
	g_assert_cmpfloat(took, <, 2.0);
	fix_clear(&f);
}

/* A server without IDLE: wait() sleeps poll_interval (1 s here). */
static void test_no_idle(void)
{
	Setup s = { .folder = "noidle", .host = NOIDLE_ADDR };
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	Later l = { s.folder, 0, cancel };
	g_autoptr(GError) error = NULL;
	g_autofree char *text = make_message("noidle", 100);
	g_autoptr(GPtrArray) got = NULL;
	GThread *t;
	gint64 t0;
	double took;
	Fix f = { 0 };

	start_dovecot();
	s.port = dc.noidle_port;
	admin_create(s.folder);
	log_clear();
	fix_open(&f, &s);
	g_assert_true(log_has("no IDLE: polling"));
	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 60, NULL, &error));
	took = since(t0);
	g_assert_cmpfloat(took, >=, 0.9);
	g_assert_cmpfloat(took, <, 2.0);
	admin_append(s.folder, text);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	fix_clear(&f);

	/* poll_interval 1 s would hide a slow cancel: use 60 here. */
	fix_open(&f, &s);
	f.config->imap_poll_interval = 60;
	t = g_thread_new("cancel", cancel_later, &l);
	g_assert_true(f.src->ops->wait(f.src, 60, cancel, &error));
	g_thread_join(t);
	g_assert_cmpfloat(since(l.appended), <, 1.0);
	fix_clear(&f);
}

/*
 * Dovecot killed while the source is in IDLE: wait() says CONNECT at
 * once, so does everything after it; mail delivered while the server is
 * down is there once it is back and open() has connected again.
 */
static void test_restart(void)
{
	Setup s = { .folder = "restart" };
	Later l = { s.folder, 0, NULL };
	g_autofree char *dir = NULL;
	g_autofree char *text = make_message("while-down", 300);
	g_autofree char *line = NULL;
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	GThread *t;
	double latency;
	Fix f = { 0 };

	start_dovecot();
	dir = g_build_filename(dc.maildir, ".restart", NULL);
	admin_create(s.folder);
	fix_open(&f, &s);
	t = g_thread_new("kill", kill_later, &l);
	g_assert_false(f.src->ops->wait(f.src, 60, NULL, &error));
	g_thread_join(t);
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_CONNECT);
	latency = since(l.appended);
	g_test_message("server killed during IDLE: %.3f s: %s", latency,
		       error->message);
	g_assert_cmpfloat(latency, <, 2.0);
	g_clear_error(&error);
	line = f.src->ops->describe(f.src);
	g_assert_nonnull(strstr(line, " disconnected, "));
	g_assert_false(f.src->ops->fetch_new(f.src, collect, NULL, &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_CONNECT);
	g_clear_error(&error);
	g_assert_false(f.src->ops->open(f.src, &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_CONNECT);
	g_test_message("while down: %s", error->message);
	g_clear_error(&error);

	deliver_file(dir, "1700000000.M1P1.pullcheck-test", text);
	start_dovecot();
	g_assert_true(f.src->ops->open(f.src, &error));
	g_assert_no_error(error);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	assert_got(got->pdata[0], text);
	fix_clear(&f);
}

/*
 * The folder deleted and created again: a new UIDVALIDITY, UIDs from 1,
 * and every message handed out again; an ack of the old ones is a no-op.
 */
static void test_uidvalidity(void)
{
	Setup s = { .folder = "recreated" };
	g_autofree char *text = make_message("recreated", 100);
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GPtrArray) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *old = NULL;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	admin_append(s.folder, text);
	admin_append(s.folder, text);
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 2);
	ack_all(f.src, got);
	old = g_strdup(((Got *)got->pdata[1])->id);
	fix_clear(&f);

	admin_delete(s.folder);
	admin_create(s.folder);
	admin_append(s.folder, text);
	log_clear();
	fix_open(&f, &s);
	g_assert_true(log_has("UIDVALIDITY changed from"));
	again = fetch_all(f.src);
	g_assert_cmpuint(again->len, ==, 1);
	g_assert_cmpuint(id_uid(((Got *)again->pdata[0])->id), ==, 1);
	g_assert_cmpstr(((Got *)again->pdata[0])->id, !=,
			((Got *)got->pdata[0])->id);
	g_test_message("before: %s, after: %s", old,
		       ((Got *)again->pdata[0])->id);
	g_assert_true(f.src->ops->ack(f.src, old, &error));
	g_assert_no_error(error);
	g_ptr_array_unref(got);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	fix_clear(&f);
}

static void test_verdict(void)
{
	static const struct {
		const char *verdict;
		const char *keyword;
	} cases[] = {
		{ "pass", "$PullcheckPass" },
		{ "fail", "$PullcheckFail" },
		{ "could-not-check", "$PullcheckUnchecked" },
		/* A pass of less than the policy: never $PullcheckPass. */
		{ "pass-partial", "$PullcheckPartialPass" },
		{ "pass-command", "$PullcheckCommandPass" },
		{ "unverified", "$PullcheckUnverified" },
		{ "pass", "$PullcheckPass" },
		{ "pass-partial", "$PullcheckPartialPass" },
	};
	Setup s = { .folder = "verdict" };
	g_autofree char *text = make_message("verdict", 100);
	g_autoptr(GPtrArray) got = NULL;
	const char *id;
	Fix f = { 0 };

	start_dovecot();
	admin_create(s.folder);
	admin_append(s.folder, text);
	fix_open(&f, &s);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	id = ((Got *)got->pdata[0])->id;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *flags = NULL;
		g_auto(GStrv) words = NULL;

		g_assert_true(f.src->ops->set_verdict(f.src, id,
						      cases[i].verdict,
						      &error));
		g_assert_no_error(error);
		flags = admin_flags(s.folder, id_uid(id));
		g_test_message("%s: %s", cases[i].verdict, flags);
		words = g_strsplit(flags, " ", -1);
		/* Exactly one verdict keyword, and still unread. */
		g_assert_cmpuint(g_strv_length(words), ==, 1);
		g_assert_cmpstr(words[0], ==, cases[i].keyword);
	}
	fix_clear(&f);
}

/* --- Maildir ------------------------------------------------------------- */

typedef struct {
	PcConfig *config;
	PcSource *src;
	char *dir;
} MdFix;

static void md_open(MdFix *f, const char *dir, guint64 max_bytes)
{
	static guint n;
	g_autofree char *path = g_strdup_printf("%s/maildir-%u.conf", root,
						n++);
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir=%s\n"
		"max_message_bytes=%" G_GUINT64_FORMAT "\n"
		"[source]\ntype=maildir\nmaildir=%s\n",
		root, max_bytes ? max_bytes : 10 * 1024 * 1024, dir);
	g_autoptr(GError) error = NULL;

	write_file(path, text);
	f->dir = g_strdup(dir);
	f->config = pc_config_load(path, &error);
	g_assert_no_error(error);
	f->src = pc_source_new(f->config, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(f->src->ops->name, ==, "maildir");
	g_assert_true(f->src->ops->open(f->src, &error));
}

static void md_clear(MdFix *f)
{
	g_clear_pointer(&f->src, pc_source_free);
	g_clear_pointer(&f->config, pc_config_free);
	g_clear_pointer(&f->dir, g_free);
}

static gboolean md_has(const MdFix *f, const char *sub, const char *name)
{
	g_autofree char *path = g_build_filename(f->dir, sub, name, NULL);

	return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

static void md_put(const MdFix *f, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(f->dir, "new", name, NULL);

	write_file(path, text);
}

/* A Maildir that does not exist yet is made; new/ in name order; ack. */
static void test_md_fetch(void)
{
	g_autofree char *dir =
		g_build_filename(root, "md-fetch", "inbox", NULL);
	g_autofree char *a = make_message("md-a", 100);
	g_autofree char *b = make_message("md-b", 200);
	g_autofree char *c = make_message("md-c", 300);
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	MdFix f = { 0 };

	md_open(&f, dir, 0);
	for (guint i = 0; i < 3; i++) {
		static const char *const subs[] = { "cur", "new", "tmp" };
		g_autofree char *d = g_build_filename(dir, subs[i], NULL);

		g_assert_true(g_file_test(d, G_FILE_TEST_IS_DIR));
	}
	md_put(&f, "1700000002.M2P2.host", b);
	md_put(&f, "1700000001.M1P1.host:2,F", a);	/* flagged by someone */
	md_put(&f, "1700000003.M3P3.host", c);
	md_put(&f, ".hidden", c);
	line = f.src->ops->describe(f.src);
	g_assert_cmpstr(line + strlen(line) - 5, ==, "3 new");
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 3);
	g_assert_cmpstr(((Got *)got->pdata[0])->id, ==, "1700000001.M1P1.host");
	g_assert_cmpstr(((Got *)got->pdata[1])->id, ==, "1700000002.M2P2.host");
	assert_got(got->pdata[0], a);
	assert_got(got->pdata[1], b);
	assert_got(got->pdata[2], c);
	ack_all(f.src, got);
	g_assert_true(md_has(&f, "cur", "1700000001.M1P1.host:2,F"));
	g_assert_true(md_has(&f, "cur", "1700000002.M2P2.host:2,"));
	g_assert_true(md_has(&f, "cur", "1700000003.M3P3.host:2,"));
	g_assert_false(md_has(&f, "new", "1700000002.M2P2.host"));
	/* Again: nothing new, and a second ack is no error. */
	g_ptr_array_unref(got);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 0);
	g_assert_true(f.src->ops->ack(f.src, "1700000002.M2P2.host", &error));
	g_assert_no_error(error);
	g_assert_false(f.src->ops->ack(f.src, "no-such", &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL);
	g_clear_error(&error);
	g_assert_false(f.src->ops->ack(f.src, "../x", &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL);
	md_clear(&f);
}

static void test_md_over_cap(void)
{
	g_autofree char *dir = g_build_filename(root, "md-big", NULL);
	g_autofree char *big = make_message("md-big", 9000);
	g_autofree char *small = make_message("md-small", 900);
	g_autoptr(GPtrArray) got = NULL;
	MdFix f = { 0 };

	md_open(&f, dir, 4096);
	md_put(&f, "1.big", big);
	md_put(&f, "2.small", small);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 2);
	g_assert_null(((Got *)got->pdata[0])->raw);
	g_assert_cmpuint(((Got *)got->pdata[0])->size, ==, strlen(big));
	assert_got(got->pdata[1], small);
	md_clear(&f);
}

static char *list_one(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name = d ? g_dir_read_name(d) : NULL;

	g_assert_nonnull(name);
	g_assert_null(g_dir_read_name(d));
	return g_strdup(name);
}

/*
 * The verdict as a Dovecot keyword: on the user's own INBOX, which
 * Dovecot then serves; its FETCH FLAGS shows the keyword, and \Seen is
 * kept.
 */
static void test_md_verdict(void)
{
	g_autofree char *text = make_message("md-verdict", 100);
	g_autofree char *cur = NULL;
	g_autofree char *name = NULL;
	g_autofree char *keywords = NULL;
	g_autofree char *kw_path = NULL;
	g_autofree char *flags = NULL;
	g_autoptr(GPtrArray) got = NULL;
	g_autoptr(GError) error = NULL;
	const char *chown_argv[] = { "chown", "-R", "65534:65534", NULL, NULL };
	const char *id;
	MdFix f = { 0 };

	start_dovecot();
	md_open(&f, dc.maildir, 0);	/* Dovecot made it at the first login */
	cur = g_build_filename(dc.maildir, "cur", NULL);
	kw_path = g_build_filename(dc.maildir, "dovecot-keywords", NULL);
	md_put(&f, "1700000009.M9P9.pullcheck-test:2,S", text);
	got = fetch_all(f.src);
	g_assert_cmpuint(got->len, ==, 1);
	id = ((Got *)got->pdata[0])->id;
	g_assert_false(f.src->ops->set_verdict(f.src, id, "pass", &error));
	g_assert_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL);
	g_clear_error(&error);
	ack_all(f.src, got);

	g_assert_true(f.src->ops->set_verdict(f.src, id, "pass", &error));
	g_assert_no_error(error);
	name = list_one(cur);
	g_assert_cmpstr(name, ==, "1700000009.M9P9.pullcheck-test:2,Sa");
	g_assert_true(g_file_get_contents(kw_path, &keywords, NULL, NULL));
	g_assert_cmpstr(keywords, ==, "0 $PullcheckPass\n");

	g_assert_true(f.src->ops->set_verdict(f.src, id, "fail", &error));
	g_assert_no_error(error);
	g_free(name);
	name = list_one(cur);
	g_assert_cmpstr(name, ==, "1700000009.M9P9.pullcheck-test:2,Sb");
	g_free(keywords);
	g_assert_true(g_file_get_contents(kw_path, &keywords, NULL, NULL));
	g_assert_cmpstr(keywords, ==, "0 $PullcheckPass\n1 $PullcheckFail\n");

	/*
	 * The outcomes newer than that file: letters of their own after
	 * the ones it had; the old letters keep their keywords.
	 */
	g_assert_true(f.src->ops->set_verdict(f.src, id, "pass-partial",
					      &error));
	g_assert_no_error(error);
	g_assert_true(f.src->ops->set_verdict(f.src, id, "unverified",
					      &error));
	g_assert_no_error(error);
	g_free(name);
	name = list_one(cur);
	g_assert_cmpstr(name, ==, "1700000009.M9P9.pullcheck-test:2,Sd");
	g_free(keywords);
	g_assert_true(g_file_get_contents(kw_path, &keywords, NULL, NULL));
	g_assert_cmpstr(keywords, ==, "0 $PullcheckPass\n1 $PullcheckFail\n"
			"2 $PullcheckPartialPass\n3 $PullcheckUnverified\n");

	chown_argv[3] = dc.maildir;
	run(chown_argv);
	flags = admin_flags("INBOX", 1);
	g_test_message("Dovecot reads: %s", flags);
	g_assert_cmpstr(flags, ==, "\\Seen $PullcheckUnverified");
	md_clear(&f);
}

typedef struct {
	const char *path;
	gint64 at;
	GCancellable *cancel;
} MdLater;

static gpointer md_deliver_later(gpointer data)
{
	MdLater *l = data;
	g_autofree char *text = make_message("md-later", 100);

	g_usleep(300 * 1000);
	l->at = g_get_monotonic_time();
	if (l->cancel)
		g_cancellable_cancel(l->cancel);
	else
		write_file(l->path, text);	/* tmp file, then rename */
	return NULL;
}

/* wait() returns as a message is delivered (inotify), or cancelled. */
static void test_md_wait(void)
{
	g_autofree char *dir = g_build_filename(root, "md-wait", NULL);
	g_autofree char *path = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	MdLater l = { NULL, 0, NULL };
	GThread *t;
	gint64 t0;
	MdFix f = { 0 };

	md_open(&f, dir, 0);
	path = g_build_filename(dir, "new", "1700000010.M1P1.host", NULL);
	l.path = path;
	t = g_thread_new("deliver", md_deliver_later, &l);
	g_assert_true(f.src->ops->wait(f.src, 30, NULL, &error));
	g_thread_join(t);
	g_test_message("Maildir: woke %.3f s after the delivery",
		       since(l.at));
	g_assert_cmpfloat(since(l.at), <, 1.0);
	g_ptr_array_unref(fetch_all(f.src));

	l.cancel = cancel;
	t = g_thread_new("cancel", md_deliver_later, &l);
	g_assert_true(f.src->ops->wait(f.src, 30, cancel, &error));
	g_thread_join(t);
	g_assert_cmpfloat(since(l.at), <, 1.0);

	t0 = g_get_monotonic_time();
	g_assert_true(f.src->ops->wait(f.src, 1, NULL, &error));
	g_assert_cmpfloat(since(t0), >=, 0.9);
	g_assert_no_error(error);
	md_clear(&f);
}

/* --- shared -------------------------------------------------------------- */

static void test_keyword(void)
{
	g_assert_cmpstr(pc_source_keyword("pass"), ==, "$PullcheckPass");
	g_assert_cmpstr(pc_source_keyword("fail"), ==, "$PullcheckFail");
	g_assert_cmpstr(pc_source_keyword("could-not-check"), ==,
			"$PullcheckUnchecked");
	g_assert_cmpstr(pc_source_keyword(NULL), ==, "$PullcheckUnchecked");
	g_assert_cmpstr(pc_source_keyword("pass-partial"), ==,
			"$PullcheckPartialPass");
	g_assert_cmpstr(pc_source_keyword("pass-command"), ==,
			"$PullcheckCommandPass");
	g_assert_cmpstr(pc_source_keyword("unverified"), ==,
			"$PullcheckUnverified");
}

static void test_backoff(void)
{
	static const guint base[] = { 1, 1, 2, 4, 8, 16, 32, 64, 128, 256,
				      300, 300, 300 };
	gboolean varied = FALSE;

	for (guint a = 0; a < G_N_ELEMENTS(base); a++) {
		guint first = pc_source_backoff(a);

		for (guint i = 0; i < 200; i++) {
			guint s = pc_source_backoff(a);

			g_assert_cmpuint(s, >=, MAX(1, base[a] * 8 / 10));
			g_assert_cmpuint(s, <=,
					 MIN(300, (base[a] * 12 + 9) / 10));
			varied |= s != first;
		}
	}
	g_assert_cmpuint(pc_source_backoff(G_MAXUINT), <=, 300);
	g_assert_true(varied);
}

int main(int argc, char **argv)
{

	g_test_init(&argc, &argv, NULL);
	logged = g_string_new(NULL);
	g_log_set_handler("pullcheck-imap", G_LOG_LEVEL_MASK, capture_log,
			  NULL);
	g_log_set_handler("pullcheck-maildir", G_LOG_LEVEL_MASK, capture_log,
			  NULL);
	root = pc_harness_init("pc-imap-XXXXXX");

	g_test_add_func("/source/imap/authenticate-plain",
			test_authenticate_plain);
	g_test_add_func("/source/imap/login", test_login);
	g_test_add_func("/source/imap/bad-password", test_bad_password);
	g_test_add_func("/source/imap/no-password-file",
			test_no_password_file);
	g_test_add_data_func("/source/imap/imaps", "imaps", test_tls_ok);
	g_test_add_data_func("/source/imap/starttls", "starttls", test_tls_ok);
	g_test_add_func("/source/imap/tls-untrusted", test_tls_untrusted);
	g_test_add_func("/source/imap/fetch", test_fetch);
	g_test_add_func("/source/imap/utf7-folder", test_utf7_folder);
	g_test_add_func("/source/imap/ack-order", test_ack_order);
	g_test_add_func("/source/imap/over-cap", test_over_cap);
	g_test_add_data_func("/source/imap/idle-wake-plain", "none",
			     test_idle_wake);
	g_test_add_data_func("/source/imap/idle-wake-imaps", "imaps",
			     test_idle_wake);
	g_test_add_data_func("/source/imap/idle-pending-plain", "none",
			     test_idle_pending);
	g_test_add_data_func("/source/imap/idle-pending-imaps", "imaps",
			     test_idle_pending);
	g_test_add_func("/source/imap/exists-during-fetch",
			test_exists_during_fetch);
	g_test_add_func("/source/imap/idle-cancel", test_idle_cancel);
	g_test_add_func("/source/imap/idle-timeout", test_idle_timeout);
	g_test_add_func("/source/imap/no-idle", test_no_idle);
	g_test_add_func("/source/imap/restart", test_restart);
	g_test_add_func("/source/imap/uidvalidity", test_uidvalidity);
	g_test_add_func("/source/imap/verdict", test_verdict);

	g_test_add_func("/source/maildir/fetch", test_md_fetch);
	g_test_add_func("/source/maildir/over-cap", test_md_over_cap);
	g_test_add_func("/source/maildir/verdict", test_md_verdict);
	g_test_add_func("/source/maildir/wait", test_md_wait);

	g_test_add_func("/source/common/keyword", test_keyword);
	g_test_add_func("/source/common/backoff", test_backoff);

	return g_test_run();
}
