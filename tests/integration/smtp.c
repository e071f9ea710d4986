// SPDX-License-Identifier: GPL-2.0-only
/*
 * The outboxes against real servers on loopback: the aiosmtpd sink (with
 * smtp_handlers.py, which refuses with 4xx or 5xx on demand), Dovecot's
 * submission service in front of it for AUTH and TLS, and sockets that
 * never answer. Servers start on first use, on ports chosen here, each
 * in its own process group, and are killed whatever happens: at exit,
 * on abort (a failed assertion), and by the kernel if this process dies
 * (PR_SET_PDEATHSIG).
 *
 * Three test paths, one per ctest entry: /outbox/maildir (no server),
 * /outbox/smtp (aiosmtpd), /outbox/submission (Dovecot and aiosmtpd).
 * A missing server program exits 77.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "outbox.h"

#define PYTHON "/usr/bin/python3"

static char *root;		/* this run's directory, removed at exit */

static struct {
	guint16 port;
	char *dir;
} sink;

static struct {
	guint16 port;		/* submission, STARTTLS */
	guint16 tls_port;	/* submissions, TLS from the start */
	char *cert;
	char *log;
} dovecot;

/* --- servers ----------------------------------------------------------- */

static GPid spawn(const char *const *argv, const char *log_name)
{
	g_autofree char *log = g_build_filename(root, log_name, NULL);
	g_autofree char *pythonpath =
		g_strdup_printf("PYTHONPATH=%s", PC_INTEGRATION_DIR);
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			       "LANG=C.UTF-8", pythonpath, NULL };
	g_autoptr(GError) error = NULL;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	GPid pid;

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv,
					     (char **)envp,
					     G_SPAWN_DO_NOT_REAP_CHILD,
					     pc_harness_child_setup, NULL, &pid,
					     -1, fd, fd, &error));
	g_assert_no_error(error);
	close(fd);
	pc_harness_track(pid);
	return pid;
}

/* One SMTP exchange: TRUE if the server greets and answers EHLO. */
static gboolean smtp_ready(guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autofree char *greeting = NULL;
	GOutputStream *out;
	char *line;
	gboolean ok = FALSE;

	g_socket_client_set_timeout(client, 2);
	conn = g_socket_client_connect_to_host(client, "127.0.0.1", port,
					       NULL, NULL);
	if (!conn)
		return FALSE;
	in = g_data_input_stream_new(
		g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	greeting = g_data_input_stream_read_line(in, NULL, NULL, NULL);
	if (!greeting || !g_str_has_prefix(greeting, "220") ||
	    !g_output_stream_write_all(out, "EHLO ready\r\n", 12, NULL, NULL,
				       NULL))
		return FALSE;
	while ((line = g_data_input_stream_read_line(in, NULL, NULL, NULL))) {
		gboolean last = strlen(line) < 4 || line[3] != '-';

		ok = g_str_has_prefix(line, "250");
		g_free(line);
		if (last)
			break;
	}
	g_output_stream_write_all(out, "QUIT\r\n", 6, NULL, NULL, NULL);
	return ok;
}

static void wait_ready(GPid pid, guint16 port, const char *log_name)
{
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

	while (!smtp_ready(port)) {
		if (waitpid(pid, NULL, WNOHANG) == pid ||
		    g_get_monotonic_time() > deadline) {
			g_autofree char *log =
				g_build_filename(root, log_name, NULL);
			g_autofree char *text = NULL;

			g_file_get_contents(log, &text, NULL, NULL);
			g_error("server on port %u did not come up:\n%s", port,
				text ? text : "");
		}
		g_usleep(100 * 1000);
	}
}

static void start_sink(void)
{
	g_autofree char *listen = NULL;
	GPid pid;

	if (sink.port)
		return;
	pc_harness_skip_without(PYTHON, "python3");
	{
		const char *argv[] = { PYTHON, "-c", "import aiosmtpd", NULL };
		int status = -1;

		g_spawn_sync(NULL, (char **)argv, NULL,
			     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
			     NULL, &status, NULL);
		if (status != 0) {
			g_printerr("SKIP: aiosmtpd is missing "
				   "(python3-aiosmtpd)\n");
			exit(77);
		}
	}
	sink.port = pc_harness_free_port("127.0.0.1");
	/* Not created here: aiosmtpd makes cur/ new/ tmp/ only for a new one. */
	sink.dir = g_build_filename(root, "sink", NULL);
	listen = g_strdup_printf("127.0.0.1:%u", sink.port);
	{
		const char *argv[] = { PYTHON, "-m", "aiosmtpd", "-n", "-l",
				       listen, "-c", "smtp_handlers.Sink",
				       sink.dir, NULL };

		pid = spawn(argv, "aiosmtpd.log");
	}
	wait_ready(pid, sink.port, "aiosmtpd.log");
}

static void write_file(const char *path, const char *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

static void make_cert(const char *dir)
{
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	const char *argv[] = {
		"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", key, "-out", dovecot.cert, "-days", "2",
		"-subj", "/CN=pullcheck-test.invalid", "-addext",
		"subjectAltName=DNS:pullcheck-test.invalid,IP:127.0.0.1", NULL
	};
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

static char *dovecot_conf(const char *d)
{
	return g_strdup_printf(
		"base_dir = %1$s/run\n"
		"state_dir = %1$s/state\n"
		"log_path = %2$s\n"
		"listen = 127.0.0.1\n"
		"protocols = submission\n"
		"ssl = yes\n"
		"ssl_cert = <%3$s\n"
		"ssl_key = <%1$s/key.pem\n"
		"auth_mechanisms = plain login\n"
		"auth_failure_delay = 0\n"
		"mail_location = maildir:~/Maildir\n"
		"hostname = pullcheck-test.invalid\n"
		"submission_relay_host = 127.0.0.1\n"
		"submission_relay_port = %4$u\n"
		"submission_relay_trusted = yes\n"
		"passdb {\n  driver = passwd-file\n  args = %1$s/passwd\n}\n"
		"userdb {\n  driver = passwd-file\n  args = %1$s/passwd\n}\n"
		"service submission-login {\n"
		"  inet_listener submission {\n"
		"    address = 127.0.0.1\n    port = %5$u\n  }\n"
		"  inet_listener submissions {\n"
		"    address = 127.0.0.1\n    port = %6$u\n    ssl = yes\n"
		"  }\n}\n",
		d, dovecot.log, dovecot.cert, sink.port, dovecot.port,
		dovecot.tls_port);
}

/*
 * Dovecot's submission service as the AUTH and TLS server, relaying to
 * the sink. The mail user has uid 65534: Dovecot refuses root.
 */
static void start_dovecot(void)
{
	g_autofree char *d = g_build_filename(root, "dovecot", NULL);
	g_autofree char *home = g_build_filename(d, "home", NULL);
	g_autofree char *passwd = g_build_filename(d, "passwd", NULL);
	g_autofree char *conf_path = g_build_filename(d, "dovecot.conf", NULL);
	g_autofree char *conf = NULL;
	g_autofree char *users = NULL;
	g_autofree char *dovecot_bin = g_find_program_in_path("dovecot");
	GPid pid;

	if (dovecot.port)
		return;
	pc_harness_skip_without(dovecot_bin ? dovecot_bin : "/usr/sbin/dovecot",
		     "dovecot-core");
	pc_harness_skip_without("/usr/lib/dovecot/submission", "dovecot-submissiond");
	start_sink();
	g_assert_cmpint(g_mkdir_with_parents(home, 0755), ==, 0);
	g_assert_cmpint(chown(home, 65534, 65534), ==, 0);
	dovecot.cert = g_build_filename(d, "cert.pem", NULL);
	dovecot.log = g_build_filename(d, "dovecot.log", NULL);
	make_cert(d);
	users = g_strdup_printf("bot:{PLAIN}s3cret:65534:65534::%s\n", home);
	write_file(passwd, users);
	dovecot.port = pc_harness_free_port("127.0.0.1");
	dovecot.tls_port = pc_harness_free_port("127.0.0.1");
	conf = dovecot_conf(d);
	write_file(conf_path, conf);
	{
		const char *argv[] = { dovecot_bin ? dovecot_bin
						   : "/usr/sbin/dovecot",
				       "-F", "-c", conf_path, NULL };

		pid = spawn(argv, "dovecot.out");
	}
	wait_ready(pid, dovecot.port, "dovecot.out");
}

/* --- the sink's Maildir -------------------------------------------------- */

static GPtrArray *list_dir(const char *dir)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d)))
		g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	return names;
}

static void sink_clear(void)
{
	g_autofree char *new = g_build_filename(sink.dir, "new", NULL);
	g_autoptr(GPtrArray) files = list_dir(new);

	for (guint i = 0; i < files->len; i++)
		g_unlink(files->pdata[i]);
}

static guint sink_count(void)
{
	g_autofree char *new = g_build_filename(sink.dir, "new", NULL);
	g_autoptr(GPtrArray) files = list_dir(new);

	return files->len;
}

/* The one message in the sink. */
static char *sink_take(void)
{
	g_autofree char *new = g_build_filename(sink.dir, "new", NULL);
	g_autoptr(GPtrArray) files = list_dir(new);
	char *text = NULL;

	g_assert_cmpuint(files->len, ==, 1);
	g_assert_true(g_file_get_contents(files->pdata[0], &text, NULL, NULL));
	g_unlink(files->pdata[0]);
	return text;
}

/* --- messages and configuration ------------------------------------------ */

static const char HEADER[] =
	"From: pullcheck <pullcheck@example.org>\n"
	"To: maintainer@example.org\n"
	"Subject: Re: [GIT PULL] =?UTF-8?Q?f=C3=BCr?= 6.13\n"
	"Message-ID: <%s>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n";

/* What DATA must get through: dots at line starts, 8-bit text. */
static const char BODY[] =
	"Verdict: pass \xe2\x9c\x93 (gepr\xc3\xbc" "ft, \xe6\xb8\xac\xe8\xa9\xa6)\n"
	".a line that starts with a dot\n"
	"..two dots\n"
	".\n"
	"the line above is a lone dot, which ends DATA unless stuffed\n"
	"\n"
	"-- \n"
	"pullcheck\n";

static GBytes *make_message(const char *id, gboolean crlf)
{
	g_autofree char *header = g_strdup_printf(HEADER, id);
	char *text = g_strconcat(header, BODY, NULL);

	if (crlf) {
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

		g_free(text);
		text = g_strjoinv("\r\n", lines);
	}
	return g_bytes_new_take(text, strlen(text));
}

static char *password_file(const char *password)
{
	char *path = g_build_filename(root, "password", NULL);
	g_autofree char *text = g_strdup_printf("%s\n", password);

	write_file(path, text);
	return path;
}

typedef struct {
	const char *host;
	guint16 port;
	const char *tls;
	const char *ca_file;
	const char *user;
	const char *password;
	guint timeout;
} SmtpSetup;

static PcConfig *smtp_config(const SmtpSetup *s)
{
	static guint n;
	g_autofree char *path = g_strdup_printf("%s/smtp-%u.conf", root, n++);
	g_autofree char *pw = s->password ? password_file(s->password) : NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	PcConfig *config;

	g_string_append_printf(text,
			       "[pullcheck]\nstate_dir=%s\n"
			       "[outbox]\ntype=smtp\n"
			       "[smtp]\nhost=%s\nport=%u\ntls=%s\ntimeout=%u\n",
			       root, s->host ? s->host : "127.0.0.1", s->port,
			       s->tls ? s->tls : "none",
			       s->timeout ? s->timeout : 10);
	if (s->ca_file)
		g_string_append_printf(text, "ca_file=%s\n", s->ca_file);
	if (s->user)
		g_string_append_printf(text, "user=%s\npassword_file=%s\n",
				       s->user, pw);
	write_file(path, text->str);
	config = pc_config_load(path, &error);
	g_assert_no_error(error);
	return config;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef struct {
	double wall, cpu;	/* seconds */
} Timing;

/*
 * Sends @message with @setup from @from to @rcpts; returns whether it
 * went, the error in @error, the time the send took in @t.
 */
static gboolean send_with(const SmtpSetup *setup, const char *from,
			  const char *const *rcpts, GBytes *message,
			  Timing *t, GError **error)
{
	g_autoptr(PcConfig) config = smtp_config(setup);
	g_autoptr(PcOutbox) out = pc_outbox_new(config, error);
	gint64 start = g_get_monotonic_time();
	double cpu = cpu_seconds();
	gboolean ok;

	if (!out)
		return FALSE;
	g_assert_cmpstr(out->ops->name, ==, "smtp");
	ok = out->ops->send(out, from, rcpts, message, error);
	if (t) {
		t->wall = (g_get_monotonic_time() - start) / 1e6;
		t->cpu = cpu_seconds() - cpu;
	}
	g_clear_pointer(&out, pc_outbox_free);	/* before its config */
	return ok;
}

static gboolean send_simple(const SmtpSetup *setup, const char *from,
			    const char *const *rcpts, GError **error)
{
	g_autoptr(GBytes) msg = make_message("simple@pullcheck.test", FALSE);

	return send_with(setup, from, rcpts, msg, NULL, error);
}

/* The value of header @name in @text (first occurrence), or NULL. */
static char *header_value(const char *text, const char *name)
{
	g_autofree char *prefix = g_strdup_printf("\n%s: ", name);
	const char *p = strstr(text, prefix);
	const char *eol;

	if (!p)
		return NULL;
	p += strlen(prefix);
	eol = strchr(p, '\n');
	return g_strndup(p, eol ? eol - p : (gssize)strlen(p));
}

/* The delivered copy carries every header line we sent and our body. */
static void assert_delivered(const char *got, const char *id)
{
	g_autofree char *header = g_strdup_printf(HEADER, id);
	g_auto(GStrv) lines = g_strsplit(header, "\n", -1);
	const char *body = strstr(got, "\n\n");

	for (char **l = lines; *l && **l; l++) {
		g_autofree char *needle = g_strdup_printf("%s\n", *l);

		g_assert_nonnull(strstr(got, needle));
	}
	g_assert_nonnull(body);
	g_assert_cmpstr(body + 2, ==, BODY);
	g_assert_null(strchr(got, '\r'));
}

/* --- Maildir ------------------------------------------------------------- */

static void test_maildir_send(void)
{
	g_autofree char *dir = g_build_filename(root, "outbox-md", NULL);
	g_autofree char *path = g_build_filename(root, "maildir.conf", NULL);
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir=%s\n[outbox]\ntype=maildir\n"
		"maildir=%s\n", root, dir);
	g_autofree char *tmp = g_build_filename(dir, "tmp", NULL);
	g_autofree char *new = g_build_filename(dir, "new", NULL);
	g_autofree char *cur = g_build_filename(dir, "cur", NULL);
	const char *rcpts[] = { "maintainer@example.org", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) config = NULL;
	PcOutbox *out;

	write_file(path, text);
	config = pc_config_load(path, &error);
	g_assert_no_error(error);
	out = pc_outbox_new(config, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(out->ops->name, ==, "maildir");
	g_assert_true(g_file_test(cur, G_FILE_TEST_IS_DIR));

	for (guint i = 0; i < 2; i++) {
		g_autoptr(GBytes) msg = make_message("md@pullcheck.test", i);
		g_autoptr(GPtrArray) files = NULL;
		g_autoptr(GPtrArray) left = NULL;
		g_autofree char *got = NULL;
		gsize len;

		g_assert_true(out->ops->send(out, "pullcheck@example.org",
					     rcpts, msg, &error));
		g_assert_no_error(error);
		files = list_dir(new);
		left = list_dir(tmp);
		g_assert_cmpuint(files->len, ==, 1);
		g_assert_cmpuint(left->len, ==, 0);
		g_assert_true(g_file_get_contents(files->pdata[0], &got, &len,
						  NULL));
		g_assert_cmpmem(got, len, g_bytes_get_data(msg, NULL),
				g_bytes_get_size(msg));
		g_unlink(files->pdata[0]);
	}
	pc_outbox_free(out);
}

/* A file system error is temporary: here, new/ is not a directory. */
static void test_maildir_error(void)
{
	g_autofree char *dir = g_build_filename(root, "outbox-bad", NULL);
	g_autofree char *path = g_build_filename(root, "maildir-bad.conf", NULL);
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir=%s\n[outbox]\nmaildir=%s\n", root, dir);
	g_autofree char *new = g_build_filename(dir, "new", NULL);
	g_autofree char *tmp = g_build_filename(dir, "tmp", NULL);
	g_autoptr(GBytes) msg = make_message("bad@pullcheck.test", FALSE);
	const char *rcpts[] = { "maintainer@example.org", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) config = NULL;
	g_autoptr(GPtrArray) left = NULL;
	PcOutbox *out;

	write_file(path, text);
	config = pc_config_load(path, &error);
	g_assert_no_error(error);
	out = pc_outbox_new(config, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_rmdir(new), ==, 0);
	write_file(new, "in the way\n");
	g_assert_false(out->ops->send(out, "", rcpts, msg, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_test_message("%s", error->message);
	left = list_dir(tmp);
	g_assert_cmpuint(left->len, ==, 0);
	pc_outbox_free(out);
}

/* --- SMTP: the sink ---------------------------------------------------- */

static void test_smtp_deliver(void)
{
	const char *rcpts[] = { "maintainer@example.org",
				"Some List <list@vger.example.org>", NULL };
	g_autoptr(GError) error = NULL;

	start_sink();
	for (guint crlf = 0; crlf < 2; crlf++) {
		SmtpSetup setup = { .port = sink.port };
		g_autofree char *id = g_strdup_printf("deliver-%u@pullcheck.test",
						      crlf);
		g_autoptr(GBytes) msg = make_message(id, crlf);
		g_autofree char *got = NULL;
		g_autofree char *from = NULL;
		g_autofree char *to = NULL;

		sink_clear();
		g_assert_true(send_with(&setup, "pullcheck <bot@example.org>",
					rcpts, msg, NULL, &error));
		g_assert_no_error(error);
		got = sink_take();
		from = header_value(got, "X-MailFrom");
		to = header_value(got, "X-RcptTo");
		g_assert_cmpstr(from, ==, "bot@example.org");
		g_assert_cmpstr(to, ==,
				"maintainer@example.org, list@vger.example.org");
		assert_delivered(got, id);
	}
}

typedef struct {
	const char *from;
	const char *rcpt;
	int kind;		/* PcOutboxError */
	const char *code;
} Refusal;

static const Refusal REFUSALS[] = {
	{ "bot@example.org", "refuse-rcpt-451@example.org",
	  PC_OUTBOX_ERROR_TEMPORARY, "451" },
	{ "bot@example.org", "refuse-rcpt-550@example.org",
	  PC_OUTBOX_ERROR_PERMANENT, "550" },
	{ "bot@example.org", "refuse-data-451@example.org",
	  PC_OUTBOX_ERROR_TEMPORARY, "451" },
	{ "bot@example.org", "refuse-data-554@example.org",
	  PC_OUTBOX_ERROR_PERMANENT, "554" },
	{ "refuse-mail-421@example.org", "a@example.org",
	  PC_OUTBOX_ERROR_TEMPORARY, "421" },
	{ "refuse-mail-553@example.org", "a@example.org",
	  PC_OUTBOX_ERROR_PERMANENT, "553" },
};

static void test_smtp_refused(void)
{
	start_sink();
	for (gsize i = 0; i < G_N_ELEMENTS(REFUSALS); i++) {
		const Refusal *r = &REFUSALS[i];
		/* The good recipient first: all or nothing, even so. */
		const char *rcpts[] = { "good@example.org", r->rcpt, NULL };
		SmtpSetup setup = { .port = sink.port };
		g_autoptr(GError) error = NULL;

		sink_clear();
		g_assert_false(send_simple(&setup, r->from, rcpts, &error));
		g_assert_error(error, PC_OUTBOX_ERROR, r->kind);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, r->code));
		g_assert_nonnull(strstr(error->message, "pullcheck test: refused"));
		g_assert_cmpuint(sink_count(), ==, 0);
	}
}

/* A bad address never reaches the wire (it would end the command line). */
static void test_smtp_bad_address(void)
{
	const char *rcpts[] = { "a@example.org\r\nRSET", NULL };
	const char *none[] = { NULL };
	SmtpSetup setup = { .port = sink.port };
	g_autoptr(GError) error = NULL;

	start_sink();
	setup.port = sink.port;
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT);
	g_clear_error(&error);
	g_assert_false(send_simple(&setup, "bot@example.org", none, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT);
}

static void test_smtp_no_starttls(void)
{
	const char *rcpts[] = { "a@example.org", NULL };
	SmtpSetup setup = { .tls = "starttls" };
	g_autoptr(GError) error = NULL;

	start_sink();
	setup.port = sink.port;
	sink_clear();
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_assert_nonnull(strstr(error->message, "STARTTLS"));
	g_assert_cmpuint(sink_count(), ==, 0);
}

/* AUTH configured, the server offers none: do not send unauthenticated. */
static void test_smtp_no_auth(void)
{
	const char *rcpts[] = { "a@example.org", NULL };
	SmtpSetup setup = { .user = "bot", .password = "x" };
	g_autoptr(GError) error = NULL;

	start_sink();
	setup.port = sink.port;
	sink_clear();
	g_test_expect_message("pullcheck-smtp", G_LOG_LEVEL_WARNING,
			      "*tls = none*in clear*");
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_test_assert_expected_messages();
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT);
	g_test_message("%s", error->message);
	g_assert_cmpuint(sink_count(), ==, 0);
}

/* --- SMTP: servers that are not there or do not answer ------------------- */

static void test_smtp_down(void)
{
	const char *rcpts[] = { "a@example.org", NULL };
	SmtpSetup setup = { .port = pc_harness_free_port("127.0.0.1"), .timeout = 30 };
	g_autoptr(GBytes) msg = make_message("down@pullcheck.test", FALSE);
	g_autoptr(GError) error = NULL;
	Timing t;

	g_assert_false(send_with(&setup, "bot@example.org", rcpts, msg, &t,
				 &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_test_message("nothing listening: %.3f s: %s", t.wall,
		       error->message);
	g_assert_cmpfloat(t.wall, <, 1.0);
}

/* A socket that listens but never accepts: the kernel completes the TCP
 * handshake, and then nothing is ever said. */
static int silent_socket(guint16 *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(fd, 8), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_smtp_silent(gconstpointer data)
{
	const char *tls = data;
	const char *rcpts[] = { "a@example.org", NULL };
	SmtpSetup setup = { .tls = tls, .timeout = 2 };
	g_autoptr(GBytes) msg = make_message("silent@pullcheck.test", FALSE);
	g_autoptr(GError) error = NULL;
	int fd = silent_socket(&setup.port);
	Timing t;

	g_assert_false(send_with(&setup, "bot@example.org", rcpts, msg, &t,
				 &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_test_message("silent server, tls=%s, timeout=2: %.3f s (%.3f s CPU): "
		       "%s", tls, t.wall, t.cpu, error->message);
	g_assert_cmpfloat(t.wall, >=, 1.9);
	g_assert_cmpfloat(t.wall, <, 5.0);
	/* Waited, not spun. */
	g_assert_cmpfloat(t.cpu, <, 0.5);
	close(fd);
}

/* Greets, then hangs up: writes after that must not kill us (SIGPIPE). */
static gpointer hang_up_thread(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);
	int c = accept(fd, NULL, NULL);

	if (c >= 0) {
		const char greeting[] = "220 hello and goodbye\r\n";

		if (write(c, greeting, sizeof(greeting) - 1) < 0)
			g_warning("write: %s", g_strerror(errno));
		close(c);
	}
	return NULL;
}

static void test_smtp_hang_up(void)
{
	const char *rcpts[] = { "a@example.org", NULL };
	SmtpSetup setup = { .timeout = 5 };
	g_autoptr(GError) error = NULL;
	int fd = silent_socket(&setup.port);
	GThread *t = g_thread_new("hang-up", hang_up_thread,
				  GINT_TO_POINTER(fd));

	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_test_message("%s", error->message);
	g_thread_join(t);
	close(fd);
}

/* --- SMTP: AUTH and TLS through Dovecot submission ----------------------- */

static gboolean dovecot_logged_in(void)
{
	g_autofree char *log = NULL;

	g_file_get_contents(dovecot.log, &log, NULL, NULL);
	return log && strstr(log, "Login: user=<bot>");
}

static void test_submission_deliver(gconstpointer data)
{
	gboolean smtps = GPOINTER_TO_INT(data);
	const char *rcpts[] = { "maintainer@example.org", NULL };
	SmtpSetup setup = { .user = "bot", .password = "s3cret" };
	g_autofree char *id = g_strdup_printf("%s@pullcheck.test",
					      smtps ? "smtps" : "starttls");
	g_autoptr(GBytes) msg = make_message(id, FALSE);
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;
	g_autofree char *from = NULL;

	start_dovecot();
	setup.tls = smtps ? "smtps" : "starttls";
	setup.port = smtps ? dovecot.tls_port : dovecot.port;
	setup.ca_file = dovecot.cert;
	sink_clear();
	g_assert_true(send_with(&setup, "bot@example.org", rcpts, msg, NULL,
				&error));
	g_assert_no_error(error);
	got = sink_take();
	from = header_value(got, "X-MailFrom");
	g_assert_cmpstr(from, ==, "bot@example.org");
	g_assert_nonnull(strstr(got, "with ESMTPSA"));	/* TLS and AUTH */
	assert_delivered(got, id);
}

static void test_submission_bad_password(void)
{
	const char *rcpts[] = { "maintainer@example.org", NULL };
	SmtpSetup setup = { .tls = "starttls", .user = "bot",
			    .password = "wrong" };
	g_autoptr(GError) error = NULL;

	start_dovecot();
	setup.port = dovecot.port;
	setup.ca_file = dovecot.cert;
	sink_clear();
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "535"));
	g_assert_cmpuint(sink_count(), ==, 0);
}

/*
 * Without Cyrus SASL's plugins (libsasl2-modules) libetpan only says
 * "Login failed"; the error says what is missing. SASL_PATH pointed at
 * an empty directory stands in for the package not being installed. Cyrus
 * SASL loads its plugins once per process: this runs in a fresh one.
 */
static void test_submission_no_sasl_plugins(void)
{
	const char *rcpts[] = { "maintainer@example.org", NULL };
	SmtpSetup setup = { .tls = "starttls", .user = "bot",
			    .password = "s3cret" };
	g_autofree char *empty = g_build_filename(root, "no-plugins", NULL);
	g_autoptr(GError) error = NULL;

	start_dovecot();	/* here too, to skip without it */
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC,
				       G_TEST_SUBPROCESS_INHERIT_STDOUT |
					       G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	setup.port = dovecot.port;
	setup.ca_file = dovecot.cert;
	g_assert_cmpint(g_mkdir_with_parents(empty, 0755), ==, 0);
	g_setenv("SASL_PATH", empty, TRUE);
	sink_clear();
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_unsetenv("SASL_PATH");
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_PERMANENT);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "libsasl2-modules"));
	g_assert_cmpuint(sink_count(), ==, 0);
}

/*
 * The test certificate is self-signed: without ca_file (the system's
 * CAs) it is refused, and so it is for a name it was not made for. The
 * refusal comes before AUTH: Dovecot saw no login.
 */
static void test_submission_untrusted(gconstpointer data)
{
	gboolean wrong_name = GPOINTER_TO_INT(data);
	const char *rcpts[] = { "maintainer@example.org", NULL };
	SmtpSetup setup = { .tls = "starttls", .user = "bot",
			    .password = "s3cret" };
	g_autoptr(GError) error = NULL;

	start_dovecot();
	setup.port = dovecot.port;
	if (wrong_name) {
		setup.host = "localhost";
		setup.ca_file = dovecot.cert;
	}
	g_assert_cmpint(truncate(dovecot.log, 0), ==, 0);
	sink_clear();
	g_assert_false(send_simple(&setup, "bot@example.org", rcpts, &error));
	g_assert_error(error, PC_OUTBOX_ERROR, PC_OUTBOX_ERROR_TEMPORARY);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "not trusted"));
	g_assert_nonnull(strstr(error->message,
				wrong_name ? "name in the certificate does not match"
					   : "issuer is unknown"));
	g_assert_cmpuint(sink_count(), ==, 0);
	g_assert_false(dovecot_logged_in());
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	root = pc_harness_init("pc-smtp-XXXXXX");

	g_test_add_func("/outbox/maildir/send", test_maildir_send);
	g_test_add_func("/outbox/maildir/error", test_maildir_error);

	g_test_add_func("/outbox/smtp/deliver", test_smtp_deliver);
	g_test_add_func("/outbox/smtp/refused", test_smtp_refused);
	g_test_add_func("/outbox/smtp/bad-address", test_smtp_bad_address);
	g_test_add_func("/outbox/smtp/no-starttls", test_smtp_no_starttls);
	g_test_add_func("/outbox/smtp/no-auth", test_smtp_no_auth);
	g_test_add_func("/outbox/smtp/down", test_smtp_down);
	g_test_add_data_func("/outbox/smtp/silent-plain", "none",
			     test_smtp_silent);
	g_test_add_data_func("/outbox/smtp/silent-smtps", "smtps",
			     test_smtp_silent);
	g_test_add_func("/outbox/smtp/hang-up", test_smtp_hang_up);

	g_test_add_data_func("/outbox/submission/starttls",
			     GINT_TO_POINTER(FALSE), test_submission_deliver);
	g_test_add_data_func("/outbox/submission/smtps",
			     GINT_TO_POINTER(TRUE), test_submission_deliver);
	g_test_add_func("/outbox/submission/bad-password",
			test_submission_bad_password);
	g_test_add_func("/outbox/submission/no-sasl-plugins",
			test_submission_no_sasl_plugins);
	g_test_add_data_func("/outbox/submission/untrusted",
			     GINT_TO_POINTER(FALSE), test_submission_untrusted);
	g_test_add_data_func("/outbox/submission/wrong-name",
			     GINT_TO_POINTER(TRUE), test_submission_untrusted);

	ret = g_test_run();
	return ret;
}
