// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap_session: the IMAP connection: connect (IMAPS, STARTTLS or
 * plain), check the server's certificate, AUTHENTICATE PLAIN (or
 * LOGIN), SELECT the folder; and libetpan's errors, translated once.
 *
 * Debian builds libetpan with GnuTLS, and there libetpan checks no
 * certificate at all (mailstream_ssl_set_server_certicate() is "not
 * implemented"). So once the handshake is done, and before a single
 * IMAP command goes over TLS, the chain the server sent is verified
 * here with GnuTLS against [imap] ca_file or the system's CAs, for the
 * host name we connected to (as outbox_smtp.c does for SMTP).
 *
 * Any error of the connection itself (closed, timed out, BYE, a reply
 * that cannot be parsed) drops it: the next call says
 * PC_SOURCE_ERROR_CONNECT until open() connects again.
 */
#define G_LOG_DOMAIN "pullcheck-imap"

#include <poll.h>
#include <string.h>

#include "source_imap.h"
#include "connection.h"

/* Seconds for each network read or write (there is no [imap] key). */
#define IO_TIMEOUT 60

void pc_source_imap_drop(PcSourceImap *self)
{
	if (!self->imap)
		return;
	if (self->imap->imap_stream) {
		mailstream_close(self->imap->imap_stream);
		self->imap->imap_stream = NULL;
	}
	mailimap_free(self->imap);
	self->imap = NULL;
}

/* The server's last tagged reply text, on one line. (transfer full) */
static char *reply_text(PcSourceImap *self)
{
	const char *said = self->imap ? self->imap->imap_response : NULL;
	g_autofree char *raw = g_strndup(said ? said : "", 400);
	char *text = g_utf8_make_valid(raw, -1);

	g_strdelimit(text, "\r\n", ' ');
	return g_strstrip(text);
}

/*
 * Whether the server has closed the connection. libetpan reports a reply
 * cut short by the server's end as a parse error as often as a stream
 * error; that is no protocol trouble, the server went away.
 */
static gboolean peer_closed(PcSourceImap *self)
{
	mailstream *s = self->imap ? self->imap->imap_stream : NULL;
	struct pollfd fd = { -1, POLLIN | POLLRDHUP, 0 };

	if (!s)
		return TRUE;
	fd.fd = mailstream_low_get_fd(mailstream_get_low(s));
	return fd.fd < 0 ||
	       (poll(&fd, 1, 0) > 0 &&
		(fd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)));
}

gboolean pc_source_imap_fail(PcSourceImap *self, int r, const char *step,
			     GError **error)
{
	g_autofree char *said = reply_text(self);

	if ((r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_PROTOCOL) &&
	    peer_closed(self))
		r = MAILIMAP_ERROR_STREAM;
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		g_set_error(error, PC_SOURCE_ERROR, CONNECT,
			    "%s: connection closed, or no answer within %d s",
			    step, IO_TIMEOUT);
		break;
	case MAILIMAP_ERROR_FATAL:
		g_set_error(error, PC_SOURCE_ERROR, CONNECT,
			    "%s: the server ended the session: %s", step, said);
		break;
	case MAILIMAP_ERROR_SSL:
		g_set_error(error, PC_SOURCE_ERROR, CONNECT, "%s: TLS error",
			    step);
		break;
	case MAILIMAP_ERROR_PARSE:
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: a reply that cannot be parsed", step);
		break;
	case MAILIMAP_ERROR_PROTOCOL:
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the server says BAD: %s", step, said);
		break;
	case MAILIMAP_ERROR_MEMORY:
		g_set_error(error, PC_SOURCE_ERROR, LOCAL,
			    "%s: out of memory", step);
		break;
	default:
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the server says NO: %s", step, said);
		return FALSE;
	}
	pc_source_imap_drop(self);
	return FALSE;
}

gboolean pc_source_imap_connected(PcSourceImap *self, GError **error)
{
	if (self->imap)
		return TRUE;
	g_set_error(error, PC_SOURCE_ERROR, CONNECT, "%s: not connected",
		    self->url);
	return FALSE;
}

/* The server's certificate, for [imap] host. */
static gboolean verify_peer(PcSourceImap *self, mailstream *stream,
			    GError **error)
{
	return pc_tls_verify(self->tls, stream, self->parent.config->imap_host,
			     PC_SOURCE_ERROR, CONNECT, error);
}

/* TCP, TLS for imaps (checked before the greeting is read), greeting. */
static gboolean open_stream(PcSourceImap *self, GError **error)
{
	const PcConfig *c = self->parent.config;
	gboolean imaps = !strcmp(c->imap_tls, "imaps");
	mailstream *stream;
	int r;

	stream = pc_connection_open(c->imap_host, c->imap_port, IO_TIMEOUT,
				    imaps ? self->tls : NULL, PC_SOURCE_ERROR,
				    CONNECT, error);
	if (!stream)
		return FALSE;
	self->imap = need(mailimap_new(0, NULL));
	mailimap_set_timeout(self->imap, IO_TIMEOUT);
	r = mailimap_connect(self->imap, stream);	/* takes the stream */
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return pc_source_imap_fail(self, r, "greeting", error);
	return TRUE;
}

/* Asks for the capabilities (libetpan keeps them for has_extension). */
static gboolean capabilities(PcSourceImap *self, GError **error)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(self->imap, &caps);

	if (r != MAILIMAP_NO_ERROR)
		return pc_source_imap_fail(self, r, "CAPABILITY", error);
	mailimap_capability_data_free(caps);
	return TRUE;
}

static gboolean starttls(PcSourceImap *self, GError **error)
{
	const char *host = self->parent.config->imap_host;
	int r;

	/* Not offered may be a server so set up, or someone in between. */
	if (!self->imap->imap_connection_info->imap_capability &&
	    !capabilities(self, error))
		return FALSE;
	if (!mailimap_has_extension(self->imap, "STARTTLS")) {
		g_set_error(error, PC_SOURCE_ERROR, CONNECT,
			    "the server does not offer STARTTLS "
			    "([imap] tls = starttls)");
		return FALSE;
	}
	r = mailimap_socket_starttls_with_callback(self->imap, pc_tls_setup,
						   (void *)host);
	/* After the server's OK, a stream error is the handshake's. */
	if (r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_SSL) {
		g_set_error(error, PC_SOURCE_ERROR, CONNECT,
			    "STARTTLS: connection lost, or the TLS "
			    "handshake failed or timed out");
		return FALSE;
	}
	if (r != MAILIMAP_NO_ERROR)
		return pc_source_imap_fail(self, r, "STARTTLS", error);
	/*
	 * Bytes read before the handshake came in clear, whoever sent
	 * them; taken as if they came over TLS they would be an injected
	 * reply (CVE-2020-15953).
	 */
	if (self->imap->imap_stream->read_buffer_len > 0) {
		g_set_error(error, PC_SOURCE_ERROR, CONNECT,
			    "STARTTLS: unencrypted data after the server's "
			    "answer; refused");
		return FALSE;
	}
	/* RFC 3501 6.2.1: forget what was learnt before TLS, ask again. */
	return verify_peer(self, self->imap->imap_stream, error) &&
	       capabilities(self, error);
}

static gboolean login_fail(PcSourceImap *self, int r, const char *step,
			   GError **error)
{
	const char *code = self->imap->imap_response_info
				   ? self->imap->imap_response_info->rsp_atom
				   : NULL;
	g_autofree char *said = NULL;

	if (r != MAILIMAP_ERROR_LOGIN)
		return pc_source_imap_fail(self, r, step, error);
	said = reply_text(self);
	/* RFC 5530: [UNAVAILABLE] is the server's trouble, not the password. */
	g_set_error(error, PC_SOURCE_ERROR,
		    code && !g_ascii_strcasecmp(code, "UNAVAILABLE") ? CONNECT
								     : AUTH,
		    "%s as %s refused: %s", step,
		    self->parent.config->imap_user, said);
	return FALSE;
}

/*
 * AUTHENTICATE PLAIN where the server offers it, through Cyrus SASL;
 * LOGIN where it does not, or where SASL cannot do PLAIN here (its
 * plugins are in libsasl2-modules). The two send the same secret the
 * same way; PLAIN is the one a server may offer when LOGIN is disabled.
 */
static gboolean login(PcSourceImap *self, GError **error)
{
	const char *user = self->parent.config->imap_user;
	mailimap *imap = self->imap;
	int r;

	if (imap->imap_state == MAILIMAP_STATE_AUTHENTICATED) {
		self->auth = "PREAUTH";
		return TRUE;
	}
	if (!imap->imap_connection_info->imap_capability &&
	    !capabilities(self, error))
		return FALSE;
	if (mailimap_has_authentication(imap, "PLAIN")) {
		/*
		 * imap_response points into libetpan's reply buffer; left
		 * NULL, it tells a refusal from the server (which sets it)
		 * from one by SASL on our side (which sends nothing).
		 */
		imap->imap_response = NULL;
		r = mailimap_authenticate(imap, "PLAIN",
					  self->parent.config->imap_host, NULL,
					  NULL, user, user, self->password,
					  NULL);
		if (r == MAILIMAP_NO_ERROR) {
			self->auth = "AUTHENTICATE PLAIN";
			return TRUE;
		}
		if (r != MAILIMAP_ERROR_LOGIN || imap->imap_response)
			return login_fail(self, r, "AUTHENTICATE PLAIN", error);
		g_debug("%s: SASL cannot do PLAIN here (is libsasl2-modules "
			"installed?); trying LOGIN", self->url);
	}
	if (mailimap_has_extension(imap, "LOGINDISABLED")) {
		g_set_error(error, PC_SOURCE_ERROR, AUTH,
			    "the server allows no login over this connection "
			    "(LOGINDISABLED; [imap] tls = %s)",
			    self->parent.config->imap_tls);
		return FALSE;
	}
	r = mailimap_login(imap, user, self->password);
	if (r != MAILIMAP_NO_ERROR)
		return login_fail(self, r, "LOGIN", error);
	self->auth = "LOGIN";
	return TRUE;
}

static gboolean allows_keywords(const struct mailimap_selection_info *sel)
{
	clistiter *it;

	if (!sel->sel_perm_flags)
		return FALSE;
	for (it = clist_begin(sel->sel_perm_flags); it; it = clist_next(it)) {
		const struct mailimap_flag_perm *f = clist_content(it);

		if (f->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return TRUE;
	}
	return FALSE;
}

static gboolean select_folder(PcSourceImap *self, GError **error)
{
	const char *folder = self->parent.config->imap_folder;
	const struct mailimap_selection_info *sel;
	int r = mailimap_select(self->imap, self->mailbox);

	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step = g_strdup_printf("SELECT %s", folder);

		return pc_source_imap_fail(self, r, step, error);
	}
	sel = self->imap->imap_selection_info;
	/* The count SELECT gives is no news (see source_imap_fetch.c). */
	self->imap->imap_selection_info->sel_has_exists = 0;
	self->keywords_ok = allows_keywords(sel);
	self->read_only = sel->sel_perm == MAILIMAP_MAILBOX_READONLY;
	return pc_source_imap_check_uidvalidity(self, error);
}

gboolean pc_source_imap_open(PcSource *src, GError **error)
{
	PcSourceImap *self = (PcSourceImap *)src;
	const PcConfig *c = src->config;

	if (self->imap)
		return TRUE;
	if (!open_stream(self, error) ||
	    (!strcmp(c->imap_tls, "starttls") && !starttls(self, error)) ||
	    !login(self, error) ||
	    /* The capabilities after login are not those before. */
	    !capabilities(self, error) || !select_folder(self, error)) {
		pc_source_imap_drop(self);
		g_prefix_error(error, "%s: ", self->url);
		return FALSE;
	}
	g_message("%s: connected (tls %s, %s, %s), uidvalidity %u, last uid "
		  "%u", self->url, c->imap_tls, self->auth,
		  mailimap_has_idle(self->imap) ? "IDLE" : "no IDLE: polling",
		  self->uidvalidity, self->last_uid);
	if (!self->keywords_ok)
		g_message("%s: the folder keeps no keywords (no \\* in "
			  "PERMANENTFLAGS): verdicts are not marked",
			  self->url);
	return TRUE;
}
