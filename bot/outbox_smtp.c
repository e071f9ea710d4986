// SPDX-License-Identifier: GPL-2.0-only
/*
 * outbox_smtp: hands each reply to a mail server with libetpan, one
 * connection per message: connect (plain, SMTPS or STARTTLS), check the
 * server's certificate, EHLO, AUTH, MAIL, RCPT, DATA, QUIT.
 *
 * Debian builds libetpan with GnuTLS, and there libetpan checks no
 * certificate at all (mailstream_ssl_set_server_certicate() is "not
 * implemented"). So once the handshake is done, and before a single
 * SMTP byte goes over TLS, the chain the server sent is verified here
 * with GnuTLS against [smtp] ca_file or the system's CAs, for the host
 * name we connected to.
 */
#define G_LOG_DOMAIN "pullcheck-smtp"

#include <string.h>

#include <libetpan/libetpan.h>

#include "connection.h"
#include "outbox_drivers.h"

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define MAX_PATH 254

typedef struct {
	PcOutbox parent;
	char *password;		/* NULL without [smtp] user */
	PcTls *tls;		/* NULL for tls = none */
} SmtpOutbox;

/* One connection, for the length of one send. */
typedef struct {
	SmtpOutbox *self;
	const PcConfig *c;
	mailsmtp *smtp;
} Session;

#define TEMPORARY PC_OUTBOX_ERROR_TEMPORARY
#define PERMANENT PC_OUTBOX_ERROR_PERMANENT

/* The server's last reply on one line: "550 5.1.1 No such user". */
static char *reply_text(const mailsmtp *smtp)
{
	g_autofree char *raw = g_strndup(smtp->response ? smtp->response : "",
					 400);
	g_autofree char *text = g_utf8_make_valid(raw, -1);

	g_strchomp(text);
	g_strdelimit(text, "\r\n", ' ');
	return g_strdup_printf("%d %s", smtp->response_code, text);
}

/*
 * The reply code decides, as RFC 5321 says: 4xx try again later, 5xx do
 * not. libetpan's own codes cannot (450 and 550 to RCPT are both
 * MAILSMTP_ERROR_MAILBOX_UNAVAILABLE, a 550 after DATA is "unexpected"),
 * so they only add words. A stream error is a connection closed or a
 * read or write that timed out; its response_code is left over from the
 * command before and means nothing.
 */
static gboolean reply_error(Session *s, int r, const char *step,
			    GError **error)
{
	int code = s->smtp->response_code;
	g_autofree char *reply = NULL;

	if (r == MAILSMTP_ERROR_STREAM || code < 100 || code > 599) {
		g_set_error(error, PC_OUTBOX_ERROR, TEMPORARY,
			    "%s: connection closed, or no answer within %u s",
			    step, s->c->smtp_timeout);
		return FALSE;
	}
	reply = reply_text(s->smtp);
	g_set_error(error, PC_OUTBOX_ERROR, code >= 500 ? PERMANENT : TEMPORARY,
		    "%s: %s: %s", step, mailsmtp_strerror(r), reply);
	return FALSE;
}

/* The server's certificate, for [smtp] host: a TLS failure is temporary. */
static gboolean verify_peer(Session *s, mailstream *stream, GError **error)
{
	return pc_tls_verify(s->self->tls, stream, s->c->smtp_host,
			     PC_OUTBOX_ERROR, TEMPORARY, error);
}

static gboolean open_stream(Session *s, GError **error)
{
	const PcConfig *c = s->c;
	gboolean smtps = !strcmp(c->smtp_tls, "smtps");
	mailstream *stream;
	int r;

	/* Not reaching the server, TLS included, is temporary. */
	stream = pc_connection_open(c->smtp_host, c->smtp_port, c->smtp_timeout,
				    smtps ? s->self->tls : NULL,
				    PC_OUTBOX_ERROR, TEMPORARY, error);
	if (!stream)
		return FALSE;
	r = mailsmtp_connect(s->smtp, stream);	/* closes it on failure */
	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "greeting", error);
	return TRUE;
}

/* EHLO, or HELO for a server that knows no extensions. */
static gboolean hello(Session *s, GError **error)
{
	int r = mailesmtp_ehlo(s->smtp);

	if (r == MAILSMTP_NO_ERROR)
		return TRUE;
	if (r == MAILSMTP_ERROR_STREAM || s->smtp->response_code < 500)
		return reply_error(s, r, "EHLO", error);
	r = mailsmtp_helo(s->smtp);
	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "HELO", error);
	return TRUE;
}

static gboolean starttls(Session *s, GError **error)
{
	int r;

	/* Not offered may be a server so set up, or someone in between. */
	if (!(s->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
		g_set_error(error, PC_OUTBOX_ERROR, TEMPORARY,
			    "the server does not offer STARTTLS "
			    "([smtp] tls = starttls)");
		return FALSE;
	}
	r = mailsmtp_socket_starttls_with_callback(s->smtp, pc_tls_setup,
						   s->c->smtp_host);
	if (r == MAILSMTP_ERROR_SSL) {
		g_set_error(error, PC_OUTBOX_ERROR, TEMPORARY,
			    "STARTTLS: TLS handshake failed or timed out");
		return FALSE;
	}
	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "STARTTLS", error);
	/* RFC 3207: forget what was learnt before TLS, ask again. */
	return verify_peer(s, s->smtp->stream, error) && hello(s, error);
}

static gboolean authenticate(Session *s, GError **error)
{
	const char *user = s->c->smtp_user;
	const char *mech;
	int r;

	if (!user)
		return TRUE;
	if (s->smtp->auth & MAILSMTP_AUTH_PLAIN) {
		mech = "PLAIN";
	} else if (s->smtp->auth & MAILSMTP_AUTH_LOGIN) {
		mech = "LOGIN";
	} else {
		g_set_error(error, PC_OUTBOX_ERROR, PERMANENT,
			    "AUTH: the server offers neither PLAIN nor LOGIN "
			    "(over %s)", s->c->smtp_tls);
		return FALSE;
	}
	r = mailesmtp_auth_sasl(s->smtp, mech, s->c->smtp_host, NULL, NULL,
				user, user, s->self->password, NULL);
	if (r == MAILSMTP_NO_ERROR)
		return TRUE;
	/*
	 * "Login failed" with no failing reply from the server is Cyrus
	 * SASL refusing on our side, nearly always for want of its plugins.
	 */
	if (r == MAILSMTP_ERROR_AUTH_LOGIN && s->smtp->response_code < 400) {
		g_set_error(error, PC_OUTBOX_ERROR, PERMANENT,
			    "AUTH %s: the SASL library cannot do it here "
			    "(is libsasl2-modules installed?)", mech);
		return FALSE;
	}
	/* 535 and other 5xx: credentials refused; 454: try again later. */
	return reply_error(s, r, "AUTH", error);
}

static gboolean envelope(Session *s, const char *from,
			 const char *const *rcpts, gsize size, GError **error)
{
	int r = mailesmtp_mail_size(s->smtp, from, 0, NULL, size);

	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "MAIL FROM", error);
	/*
	 * All or nothing: one refused recipient ends the transaction, so
	 * that a retry cannot send the others a second copy.
	 */
	for (const char *const *to = rcpts; *to; to++) {
		r = mailesmtp_rcpt(s->smtp, *to, 0, NULL);
		if (r != MAILSMTP_NO_ERROR) {
			g_autofree char *step = g_strdup_printf("RCPT TO:<%s>",
								*to);

			return reply_error(s, r, step, error);
		}
	}
	return TRUE;
}

static gboolean transfer(Session *s, const GString *text, GError **error)
{
	int r = mailsmtp_data(s->smtp);

	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "DATA", error);
	r = mailsmtp_data_message(s->smtp, text->str, text->len);
	if (r != MAILSMTP_NO_ERROR)
		return reply_error(s, r, "end of DATA", error);
	return TRUE;
}

/*
 * The message as DATA wants it: CRLF line ends, a bare LF and a bare CR
 * each made one. A bare CR is never passed on: a lax relay may read
 * "\r.\r" as the end of DATA (SMTP smuggling). It is turned into a line
 * end rather than refused, so that one stray byte does not cost the
 * maintainer the reply. libetpan's
 * mailsmtp_data_message() adds the dot-stuffing and the closing
 * "CRLF . CRLF" itself; so that it does not add an empty line too, the
 * message's own last line end is left off.
 */
static GString *smtp_text(GBytes *message)
{
	gsize len;
	const char *p = g_bytes_get_data(message, &len);
	GString *s = g_string_sized_new(len + len / 32 + 2);

	for (gsize i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			g_string_append(s, "\r\n");
			if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
				i++;
			continue;
		}
		g_string_append_c(s, p[i]);
	}
	if (s->len >= 2 && !memcmp(s->str + s->len - 2, "\r\n", 2))
		g_string_truncate(s, s->len - 2);
	return s;
}

/*
 * A path for MAIL or RCPT: the address inside "Name <addr>" if given so,
 * checked for what could break the command line (libetpan pastes it in
 * as it is). An empty sender is the null path.
 */
static char *envelope_address(const char *addr, GError **error)
{
	const char *lt = addr ? strchr(addr, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	g_autofree char *a = gt ? g_strndup(lt + 1, gt - lt - 1)
				: g_strdup(addr ? addr : "");

	g_strstrip(a);
	for (const char *p = a; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			goto bad;
	}
	if (strlen(a) <= MAX_PATH)
		return g_steal_pointer(&a);
bad:
	g_set_error(error, PC_OUTBOX_ERROR, PERMANENT,
		    "not an envelope address: \"%s\"", addr);
	return NULL;
}

/* The whole conversation; the final reply in @reply on success. */
static gboolean converse(Session *s, const char *from,
			 const char *const *rcpts, const GString *text,
			 char **reply, GError **error)
{
	if (!open_stream(s, error) || !hello(s, error))
		return FALSE;
	if (!strcmp(s->c->smtp_tls, "starttls") && !starttls(s, error))
		return FALSE;
	if (!authenticate(s, error) ||
	    !envelope(s, from, rcpts, text->len, error) ||
	    !transfer(s, text, error))
		return FALSE;
	*reply = reply_text(s->smtp);
	mailsmtp_quit(s->smtp);
	return TRUE;
}

static gboolean check_envelope(const char *from, const char *const *rcpts,
			       char **mail_from, GPtrArray *rcpt_to,
			       GError **error)
{
	*mail_from = envelope_address(from, error);
	if (!*mail_from)
		return FALSE;
	for (const char *const *to = rcpts; to && *to; to++) {
		char *a = envelope_address(*to, error);

		if (!a)
			return FALSE;
		if (!*a) {
			g_free(a);
			g_set_error(error, PC_OUTBOX_ERROR, PERMANENT,
				    "an empty recipient");
			return FALSE;
		}
		g_ptr_array_add(rcpt_to, a);
	}
	if (rcpt_to->len == 0) {
		g_set_error(error, PC_OUTBOX_ERROR, PERMANENT, "no recipients");
		return FALSE;
	}
	g_ptr_array_add(rcpt_to, NULL);
	return TRUE;
}

static gboolean smtp_send(PcOutbox *out, const char *from,
			  const char *const *rcpts, GBytes *message,
			  GError **error)
{
	SmtpOutbox *self = (SmtpOutbox *)out;
	const PcConfig *c = out->config;
	g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *mail_from = NULL;
	g_autofree char *id = pc_outbox_message_id(message);
	g_autofree char *reply = NULL;
	g_autoptr(GString) text = NULL;
	Session s = { self, c, NULL };
	gboolean ok;

	if (!check_envelope(from, rcpts, &mail_from, to, error))
		goto fail;
	text = smtp_text(message);
	s.smtp = mailsmtp_new(0, NULL);
	if (!s.smtp)
		g_error("out of memory");
	mailsmtp_set_timeout(s.smtp, c->smtp_timeout);
	ok = converse(&s, mail_from, (const char *const *)to->pdata, text,
		      &reply, error);
	mailsmtp_free(s.smtp);	/* sends QUIT if still connected */
	if (!ok)
		goto fail;
	g_message("%s: sent via %s:%u to %u recipient(s): %s",
		  id ? id : "(no Message-ID)", c->smtp_host, c->smtp_port,
		  to->len - 1, reply);
	return TRUE;
fail:
	g_prefix_error(error, "%s via %s:%u: ", id ? id : "(no Message-ID)",
		       c->smtp_host, c->smtp_port);
	return FALSE;
}

static void smtp_free(PcOutbox *out)
{
	SmtpOutbox *self = (SmtpOutbox *)out;

	pc_connection_password_free(self->password);
	pc_tls_free(self->tls);
	g_free(self);
}

static const PcOutboxOps smtp_ops = {
	.name = "smtp",
	.send = smtp_send,
	.free = smtp_free,
};

PcOutbox *pc_outbox_smtp_new(const PcConfig *config, GError **error)
{
	SmtpOutbox *self = g_new0(SmtpOutbox, 1);

	self->parent.ops = &smtp_ops;
	self->parent.config = config;
	if (config->smtp_user && !config->smtp_password_file) {
		g_set_error(error, PC_OUTBOX_ERROR, PERMANENT,
			    "[smtp] user is set but password_file is not");
		goto fail;
	}
	/* Configuration that cannot work is permanent: a retry won't mend it. */
	if (config->smtp_user &&
	    !(self->password = pc_connection_read_password(
		      config->smtp_password_file, "smtp", PC_OUTBOX_ERROR,
		      PERMANENT, error)))
		goto fail;
	if (strcmp(config->smtp_tls, "none") &&
	    !(self->tls = pc_tls_new(config->smtp_ca_file, PC_OUTBOX_ERROR,
				     PERMANENT, error)))
		goto fail;
	if (config->smtp_user && !strcmp(config->smtp_tls, "none"))
		g_warning("[smtp] tls = none: the password for %s goes to "
			  "%s in clear", config->smtp_user, config->smtp_host);
	return &self->parent;
fail:
	smtp_free(&self->parent);
	return NULL;
}
