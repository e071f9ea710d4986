// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the SMTP outbox puts on the wire in DATA, seen by a minimal SMTP
 * server on loopback in a thread: a bare CR in the message (a reason
 * quoting a server's text, say) arrives as a CRLF line end, never bare,
 * so that no relay can read "\r.\r" as the end of DATA (SMTP
 * smuggling). The real servers are tests/integration/smtp.c's.
 */
#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "outbox.h"

typedef struct {
	int listener;
	GString *data;	/* what came between DATA and "CRLF . CRLF" */
} Server;

static void say(int fd, const char *line)
{
	g_assert_cmpint(write(fd, line, strlen(line)), ==, strlen(line));
}

/* Reads from @fd into @buf until it holds @end; FALSE at EOF. */
static gboolean read_until(int fd, GString *buf, const char *end)
{
	char chunk[4096];

	while (!strstr(buf->str, end)) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			return FALSE;
		g_string_append_len(buf, chunk, n);
	}
	return TRUE;
}

/* One session: every command is answered 250, DATA 354 then 250. */
static gpointer serve(gpointer data)
{
	Server *s = data;
	g_autoptr(GString) buf = g_string_new(NULL);
	int fd = accept(s->listener, NULL, NULL);

	g_assert_cmpint(fd, >=, 0);
	say(fd, "220 test ESMTP\r\n");
	while (read_until(fd, buf, "\r\n")) {
		gsize n = strstr(buf->str, "\r\n") - buf->str + 2;
		g_autofree char *cmd = g_ascii_strup(buf->str, 4);

		g_string_erase(buf, 0, n);
		if (!strcmp(cmd, "QUIT")) {
			say(fd, "221 bye\r\n");
			break;
		}
		if (strcmp(cmd, "DATA")) {
			say(fd, "250 ok\r\n");
			continue;
		}
		say(fd, "354 go on\r\n");
		g_string_prepend(buf, "\r\n");	/* an empty message ends too */
		g_assert_true(read_until(fd, buf, "\r\n.\r\n"));
		n = strstr(buf->str, "\r\n.\r\n") - buf->str;
		g_string_append_len(s->data, buf->str + 2, n - 2);
		g_string_erase(buf, 0, n + 5);
		say(fd, "250 queued\r\n");
	}
	close(fd);
	return NULL;
}

static guint16 listen_loopback(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(*fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(*fd, 1), ==, 0);
	g_assert_cmpint(getsockname(*fd, (struct sockaddr *)&a, &len), ==, 0);
	return ntohs(a.sin_port);
}

/* Sends @message through the SMTP outbox; what the server got. */
static char *send_message(const char *message)
{
	g_autofree char *dir = g_dir_make_tmp("pc-smtp-XXXXXX", NULL);
	g_autofree char *conf = g_build_filename(dir, "pullcheck.conf", NULL);
	g_autofree char *text = NULL, *rm = NULL;
	const char *rcpts[] = { "maintainer@example.org", NULL };
	g_autoptr(GBytes) bytes = g_bytes_new(message, strlen(message));
	g_autoptr(GError) error = NULL;
	Server s = { .data = g_string_new(NULL) };
	guint16 port = listen_loopback(&s.listener);
	GThread *t = g_thread_new("smtp", serve, &s);
	PcConfig *config;
	PcOutbox *out;

	text = g_strdup_printf("[pullcheck]\nstate_dir=%s\n[outbox]\n"
			       "type=smtp\n[smtp]\nhost=127.0.0.1\nport=%u\n"
			       "tls=none\ntimeout=5\n", dir, port);
	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	config = pc_config_load(conf, &error);
	g_assert_no_error(error);
	out = pc_outbox_new(config, &error);
	g_assert_no_error(error);
	g_assert_true(out->ops->send(out, "bot@example.org", rcpts, bytes,
				     &error));
	g_assert_no_error(error);
	pc_outbox_free(out);
	pc_config_free(config);
	g_thread_join(t);
	close(s.listener);
	rm = g_strdup_printf("rm -rf '%s'", dir);
	g_assert_cmpint(system(rm), ==, 0);
	return g_string_free(s.data, FALSE);
}

static void assert_crlf_only(const char *data)
{
	for (const char *p = data; *p; p++) {
		if (*p == '\r')
			g_assert_cmpint(p[1], ==, '\n');
		if (*p == '\n')
			g_assert_true(p > data && p[-1] == '\r');
	}
}

static void test_bare_cr(void)
{
	g_autofree char *got = send_message(
		"Message-ID: <cr@pullcheck.test>\n"
		"Subject: bare CR\n\n"
		"remote error: denied\r.\rMAIL FROM:<evil@example.org>\r\n"
		"lone LF\nend\n");
	g_autofree char *shown = g_strescape(got, NULL);

	g_test_message("DATA: %s", shown);
	assert_crlf_only(got);
	g_assert_cmpstr(got, ==,
			"Message-ID: <cr@pullcheck.test>\r\n"
			"Subject: bare CR\r\n\r\n"
			"remote error: denied\r\n..\r\n"
			"MAIL FROM:<evil@example.org>\r\n"
			"lone LF\r\nend");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/smtp-text/bare-cr", test_bare_cr);
	return g_test_run();
}
