// SPDX-License-Identifier: GPL-2.0-only
/*
 * connection: the TCP connection, the stream over it and the password
 * file, for the mail drivers (source_imap.c, outbox_smtp.c).
 */
#define G_LOG_DOMAIN "pullcheck-connection"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "connection.h"

/* Longest password taken from a file. */
#define MAX_PASSWORD 4096

/*
 * The TCP connection, through GIO rather than libetpan's connect:
 * libetpan's connect has no timeout of its own (its global default,
 * 300 s, applies to the greeting that follows), and
 * mail_tcp_connect_timeout() is not in its public headers.
 *
 * GSocket also sets SIGPIPE to SIG_IGN for the process when its class is
 * first used (gsocket.c), which libetpan needs: it writes with send()
 * and no MSG_NOSIGNAL, so a server that hangs up while we write would
 * otherwise kill the daemon (tests/integration/smtp.c,
 * /outbox/smtp/hang-up).
 */
static int connect_fd(const char *host, guint port, guint timeout,
		      GQuark domain, gint code, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnectable) addr = g_network_address_new(host, port);
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) local = NULL;
	int fd;

	g_socket_client_set_timeout(client, timeout);
	g_socket_client_set_enable_proxy(client, FALSE);
	conn = g_socket_client_connect(client, addr, NULL, &local);
	if (!conn) {
		g_set_error(error, domain, code, "cannot connect: %s",
			    local->message);
		return -1;
	}
	/* The GSocket closes its own descriptor; libetpan gets a copy. */
	fd = fcntl(g_socket_get_fd(g_socket_connection_get_socket(conn)),
		   F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		g_set_error(error, domain, code, "cannot connect: %s",
			    g_strerror(errno));
	return fd;
}

mailstream *pc_connection_open(const char *host, guint port, guint timeout,
			       PcTls *tls, GQuark domain, gint code,
			       GError **error)
{
	int fd = connect_fd(host, port, timeout, domain, code, error);
	mailstream *stream;

	if (fd < 0)
		return NULL;
	if (tls)
		stream = mailstream_ssl_open_with_callback_timeout(
			fd, timeout, pc_tls_setup, (void *)host);
	else
		stream = mailstream_socket_open_timeout(fd, timeout);
	if (!stream) {
		close(fd);
		g_set_error(error, domain, code, "%s",
			    tls ? "TLS handshake failed or timed out"
				: "cannot set up the connection");
		return NULL;
	}
	/* Before the greeting is read: nothing comes in unchecked. */
	if (tls && !pc_tls_verify(tls, stream, host, domain, code, error)) {
		mailstream_close(stream);
		return NULL;
	}
	return stream;
}

char *pc_connection_read_password(const char *path, const char *section,
				  GQuark domain, gint code, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	char *pw = NULL;
	gsize len, n;

	if (!path) {
		g_set_error(error, domain, code,
			    "[%s] password_file is not set", section);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, domain, code,
			    "[%s] password_file: %s", section, local->message);
		return NULL;
	}
	n = strcspn(text, "\r\n");	/* stops at a NUL too */
	if (n < len && text[n] == '\0')
		g_set_error(error, domain, code,
			    "[%s] password_file %s holds a NUL byte", section,
			    path);
	else if (n == 0 || n > MAX_PASSWORD)
		g_set_error(error, domain, code,
			    "[%s] password_file %s: no password on its first "
			    "line", section, path);
	else
		pw = g_strndup(text, n);
	explicit_bzero(text, len);
	return pw;
}

void pc_connection_password_free(char *password)
{
	if (!password)
		return;
	explicit_bzero(password, strlen(password));
	g_free(password);
}
