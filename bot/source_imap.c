// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap: pull requests from one IMAP folder, with libetpan.
 *
 * One connection, kept open: connect (IMAPS, STARTTLS or plain), check
 * the server's certificate, AUTHENTICATE PLAIN (or LOGIN), SELECT the
 * folder. New mail is every UID above the last one the daemon
 * acknowledged; that UID and the folder's UIDVALIDITY live in the store,
 * so a restart picks up where the last run stopped. Messages are read
 * with BODY.PEEK[], which leaves them unread for the maintainer, and
 * marked with a keyword ($PullcheckPass...) once checked.
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

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "source_drivers.h"
#include "connection.h"
#include "verdict.h"

/* Seconds for each network read or write (there is no [imap] key). */
#define IO_TIMEOUT 60
/* On the way out, a server that does not answer LOGOUT is not waited for. */
#define LOGOUT_TIMEOUT 5
/*
 * RFC 2177: a server may drop a client idle for 30 minutes, so IDLE is
 * ended and issued again before 29.
 */
#define IDLE_MAX_S (28 * 60)

typedef struct {
	guint32 uid;
	gboolean acked;
} Pending;

typedef struct {
	guint32 uid;
	guint32 size;
} Listed;

typedef struct {
	PcSource parent;
	char *password;
	PcTls *tls;		/* NULL for tls = none */
	char *mailbox;		/* the folder's name on the wire (UTF-7) */
	char *url;		/* imap://user@host:port/folder, for logs */
	char *key_uidvalidity;
	char *key_last_uid;
	mailimap *imap;		/* NULL while disconnected */
	const char *auth;	/* how we logged in, for the log */
	gboolean keywords_ok;	/* PERMANENTFLAGS has \* */
	gboolean read_only;
	guint32 uidvalidity;	/* 0 until known */
	guint32 last_uid;	/* everything up to here is acknowledged */
	GArray *pending;	/* Pending: handed out, in UID order */
} ImapSource;

#define CONNECT PC_SOURCE_ERROR_CONNECT
#define AUTH PC_SOURCE_ERROR_AUTH
#define PROTOCOL PC_SOURCE_ERROR_PROTOCOL
#define LOCAL PC_SOURCE_ERROR_LOCAL

/* libetpan's constructors return NULL only when malloc() did. */
static void *need(void *p)
{
	if (!p)
		g_error("out of memory");
	return p;
}

/* --- the connection ------------------------------------------------------ */

/*
 * Closes the connection without a word to the server: after an error
 * its state is unknown (mailimap_free() would try a LOGOUT and wait).
 */
static void drop(ImapSource *self)
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
static char *reply_text(ImapSource *self)
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
static gboolean peer_closed(ImapSource *self)
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

/*
 * Translates libetpan's @r for @step. A connection that broke, or that
 * said what we cannot follow, is dropped; a plain NO keeps it.
 */
static gboolean imap_fail(ImapSource *self, int r, const char *step,
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
	drop(self);
	return FALSE;
}

static gboolean connected(ImapSource *self, GError **error)
{
	if (self->imap)
		return TRUE;
	g_set_error(error, PC_SOURCE_ERROR, CONNECT, "%s: not connected",
		    self->url);
	return FALSE;
}

/* The server's certificate, for [imap] host. */
static gboolean verify_peer(ImapSource *self, mailstream *stream,
			    GError **error)
{
	return pc_tls_verify(self->tls, stream, self->parent.config->imap_host,
			     PC_SOURCE_ERROR, CONNECT, error);
}

/* TCP, TLS for imaps (checked before the greeting is read), greeting. */
static gboolean open_stream(ImapSource *self, GError **error)
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
		return imap_fail(self, r, "greeting", error);
	return TRUE;
}

/* Asks for the capabilities (libetpan keeps them for has_extension). */
static gboolean capabilities(ImapSource *self, GError **error)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(self->imap, &caps);

	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(self, r, "CAPABILITY", error);
	mailimap_capability_data_free(caps);
	return TRUE;
}

static gboolean starttls(ImapSource *self, GError **error)
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
		return imap_fail(self, r, "STARTTLS", error);
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

static gboolean login_fail(ImapSource *self, int r, const char *step,
			   GError **error)
{
	const char *code = self->imap->imap_response_info
				   ? self->imap->imap_response_info->rsp_atom
				   : NULL;
	g_autofree char *said = NULL;

	if (r != MAILIMAP_ERROR_LOGIN)
		return imap_fail(self, r, step, error);
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
static gboolean login(ImapSource *self, GError **error)
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

/* The store's errors, as this module's: ours to report. */
static gboolean store_fail(ImapSource *self, GError *local, const char *what,
			   GError **error)
{
	g_set_error(error, PC_SOURCE_ERROR, LOCAL, "%s: cannot %s: %s",
		    self->url, what, local->message);
	g_error_free(local);
	return FALSE;
}

static gboolean save_state(ImapSource *self, GError **error)
{
	g_autofree char *v = g_strdup_printf("%u", self->uidvalidity);
	g_autofree char *u = g_strdup_printf("%u", self->last_uid);
	GError *local = NULL;

	/* last_uid first: a crash in between resets it again, harmlessly. */
	if (pc_store_set_value(self->parent.store, self->key_last_uid, u,
			       &local) &&
	    pc_store_set_value(self->parent.store, self->key_uidvalidity, v,
			       &local))
		return TRUE;
	return store_fail(self, local, "save the last UID", error);
}

/*
 * A new UIDVALIDITY means the UIDs we know name other messages now (the
 * folder was recreated, or restored): everything is handed out again,
 * and the job store, which knows messages by Message-ID and body hash,
 * keeps a second copy from becoming a second reply.
 */
static gboolean check_uidvalidity(ImapSource *self, GError **error)
{
	guint32 v = self->imap->imap_selection_info->sel_uidvalidity;

	if (v == 0) {
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "SELECT %s: no UIDVALIDITY in the answer",
			    self->parent.config->imap_folder);
		return FALSE;
	}
	if (v == self->uidvalidity)
		return TRUE;
	if (self->uidvalidity)
		g_message("%s: UIDVALIDITY changed from %u to %u: every "
			  "message is new again", self->url, self->uidvalidity,
			  v);
	self->uidvalidity = v;
	self->last_uid = 0;
	g_array_set_size(self->pending, 0);
	return save_state(self, error);
}

static gboolean select_folder(ImapSource *self, GError **error)
{
	const char *folder = self->parent.config->imap_folder;
	const struct mailimap_selection_info *sel;
	int r = mailimap_select(self->imap, self->mailbox);

	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step = g_strdup_printf("SELECT %s", folder);

		return imap_fail(self, r, step, error);
	}
	sel = self->imap->imap_selection_info;
	/* The count SELECT gives is no news (see list_new). */
	self->imap->imap_selection_info->sel_has_exists = 0;
	self->keywords_ok = allows_keywords(sel);
	self->read_only = sel->sel_perm == MAILIMAP_MAILBOX_READONLY;
	return check_uidvalidity(self, error);
}

static gboolean imap_open(PcSource *src, GError **error)
{
	ImapSource *self = (ImapSource *)src;
	const PcConfig *c = src->config;

	if (self->imap)
		return TRUE;
	if (!open_stream(self, error) ||
	    (!strcmp(c->imap_tls, "starttls") && !starttls(self, error)) ||
	    !login(self, error) ||
	    /* The capabilities after login are not those before. */
	    !capabilities(self, error) || !select_folder(self, error)) {
		drop(self);
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

/* --- new mail ------------------------------------------------------------ */

static const struct mailimap_msg_att_static *
find_static(const struct mailimap_msg_att *att, int type)
{
	for (clistiter *it = clist_begin(att->att_list); it;
	     it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static->att_type == type)
			return item->att_data.att_static;
	}
	return NULL;
}

static guint32 att_uid(const struct mailimap_msg_att *att)
{
	const struct mailimap_msg_att_static *s =
		find_static(att, MAILIMAP_MSG_ATT_UID);

	return s ? s->att_data.att_uid : 0;
}

static gint compare_listed(gconstpointer a, gconstpointer b)
{
	guint32 x = ((const Listed *)a)->uid, y = ((const Listed *)b)->uid;

	return x < y ? -1 : x > y;
}

/*
 * UID and size of every message above last_uid: sizes first, so that a
 * message over the cap is never downloaded. "n:*" also names the last
 * message when n is above every UID (RFC 3501 6.4.8), hence the filter.
 */
static gboolean list_new(ImapSource *self, GArray *out, GError **error)
{
	struct mailimap_set *set =
		need(mailimap_set_new_interval(self->last_uid + 1, 0));
	struct mailimap_fetch_type *ft =
		need(mailimap_fetch_type_new_fetch_att_list_empty());
	clist *result = NULL;
	int r;

	/*
	 * A server takes in mail that arrived since the last command at the
	 * end of the next one (Dovecot does): without the NOOP, the UID
	 * FETCH would see the folder as the previous command left it.
	 */
	r = mailimap_noop(self->imap);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		return imap_fail(self, r, "NOOP", error);
	}
	/*
	 * From here on, an EXISTS is mail this listing may not have seen:
	 * the server announces it once, in the reply to whatever command
	 * comes next (a body fetch, a keyword STORE), and wait() must not
	 * go idle over it. libetpan sets the flag; we clear it.
	 */
	self->imap->imap_selection_info->sel_has_exists = 0;
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, need(mailimap_fetch_att_new_uid()));
	mailimap_fetch_type_new_fetch_att_list_add(
		ft, need(mailimap_fetch_att_new_rfc822_size()));
	r = mailimap_uid_fetch(self->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(self, r, "UID FETCH (UID RFC822.SIZE)", error);
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		const struct mailimap_msg_att *att = clist_content(it);
		const struct mailimap_msg_att_static *size =
			find_static(att, MAILIMAP_MSG_ATT_RFC822_SIZE);
		Listed l = { att_uid(att), 0 };

		/* Unsolicited FETCH replies (flag changes) carry no size. */
		if (l.uid <= self->last_uid || !size)
			continue;
		l.size = size->att_data.att_rfc822_size;
		g_array_append_val(out, l);
	}
	mailimap_fetch_list_free(result);
	g_array_sort(out, compare_listed);
	return TRUE;
}

/*
 * BODY.PEEK[]<0.cap+1>: the whole message without setting \Seen, and
 * never more than one byte over the cap, whatever RFC822.SIZE said.
 * *@raw is left NULL for a message over the cap, and *@gone set for
 * one expunged since it was listed.
 */
static gboolean fetch_body(ImapSource *self, guint32 uid, guint64 cap,
			   GBytes **raw, guint64 *size, gboolean *gone,
			   GError **error)
{
	struct mailimap_set *set = need(mailimap_set_new_single(uid));
	struct mailimap_section *section = need(mailimap_section_new(NULL));
	struct mailimap_fetch_att *fa =
		need(mailimap_fetch_att_new_body_peek_section_partial(
			section, 0, (guint32)MIN(cap + 1, G_MAXUINT32)));
	struct mailimap_fetch_type *ft =
		need(mailimap_fetch_type_new_fetch_att(fa));
	clist *result = NULL;
	int r;

	*gone = TRUE;
	r = mailimap_uid_fetch(self->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step =
			g_strdup_printf("UID FETCH %u BODY.PEEK[]", uid);

		return imap_fail(self, r, step, error);
	}
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		const struct mailimap_msg_att *att = clist_content(it);
		const struct mailimap_msg_att_static *body =
			find_static(att, MAILIMAP_MSG_ATT_BODY_SECTION);
		const struct mailimap_msg_att_body_section *sec =
			body ? body->att_data.att_body_section : NULL;

		if (att_uid(att) != uid || !sec || !sec->sec_body_part)
			continue;
		*gone = FALSE;
		if (sec->sec_length > cap)
			*size = MAX(*size, sec->sec_length);
		else
			*raw = g_bytes_new(sec->sec_body_part, sec->sec_length);
		break;
	}
	mailimap_fetch_list_free(result);
	return TRUE;
}

/* One message: fetched (or not, over the cap) and handed to @func. */
static gboolean hand_out(ImapSource *self, const Listed *l, PcSourceFunc func,
			 gpointer data, gboolean *more, GError **error)
{
	guint64 cap = self->parent.config->max_message_bytes;
	g_autofree char *id = g_strdup_printf("%u/%u", self->uidvalidity,
					      l->uid);
	g_autoptr(GBytes) raw = NULL;
	PcSourceMessage msg = { id, NULL, l->size };
	Pending p = { l->uid, FALSE };
	gboolean gone = FALSE;

	if (l->size <= cap &&
	    !fetch_body(self, l->uid, cap, &raw, &msg.size, &gone, error))
		return FALSE;
	if (gone) {
		g_debug("%s: UID %u was expunged before it could be read",
			self->url, l->uid);
		return TRUE;
	}
	msg.raw = raw;
	if (raw)
		msg.size = g_bytes_get_size(raw);
	else
		g_message("%s: UID %u: %" G_GUINT64_FORMAT " bytes, over the "
			  "limit of %" G_GUINT64_FORMAT ": not downloaded",
			  self->url, l->uid, msg.size, cap);
	g_debug("%s: UID %u: handed out (%" G_GUINT64_FORMAT " bytes)",
		self->url, l->uid, msg.size);
	g_array_append_val(self->pending, p);
	*more = func(&msg, data);
	return TRUE;
}

static gboolean imap_fetch_new(PcSource *src, PcSourceFunc func,
			       gpointer data, GError **error)
{
	ImapSource *self = (ImapSource *)src;
	g_autoptr(GArray) listed = g_array_new(FALSE, FALSE, sizeof(Listed));
	gboolean more = TRUE;

	if (!connected(self, error))
		return FALSE;
	/* What was handed out before and not acknowledged comes again. */
	g_array_set_size(self->pending, 0);
	if (self->last_uid == G_MAXUINT32)
		return TRUE;
	if (!list_new(self, listed, error))
		goto fail;
	for (guint i = 0; i < listed->len && more; i++) {
		if (!hand_out(self, &g_array_index(listed, Listed, i), func,
			      data, &more, error))
			goto fail;
	}
	return TRUE;
fail:
	g_prefix_error(error, "%s: ", self->url);
	return FALSE;
}

/* "UIDVALIDITY/UID", as hand_out() made it. */
static gboolean parse_id(const char *id, guint32 *validity, guint32 *uid,
			 GError **error)
{
	g_auto(GStrv) parts = g_strsplit(id, "/", 3);
	guint64 v, u;

	if (g_strv_length(parts) == 2 &&
	    g_ascii_string_to_unsigned(parts[0], 10, 1, G_MAXUINT32, &v,
				       NULL) &&
	    g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT32, &u,
				       NULL)) {
		*validity = v;
		*uid = u;
		return TRUE;
	}
	g_set_error(error, PC_SOURCE_ERROR, LOCAL,
		    "\"%s\" is not an IMAP message id", id);
	return FALSE;
}

/*
 * last_uid moves only over an unbroken run of acknowledged messages: if
 * the daemon acknowledged UID 7 but not 6, both come again next time
 * rather than 6 never.
 */
static gboolean imap_ack(PcSource *src, const char *id, GError **error)
{
	ImapSource *self = (ImapSource *)src;
	guint32 validity, uid, last = self->last_uid;
	gboolean found = FALSE;

	if (!parse_id(id, &validity, &uid, error))
		return FALSE;
	if (validity != self->uidvalidity || uid <= last) {
		g_debug("%s: UID %u (of UIDVALIDITY %u) needs no ack",
			self->url, uid, validity);
		return TRUE;
	}
	for (guint i = 0; i < self->pending->len; i++) {
		Pending *p = &g_array_index(self->pending, Pending, i);

		if (p->uid == uid)
			found = p->acked = TRUE;
	}
	/* Handed out by an earlier fetch_new: trust the caller's order. */
	if (!found && self->pending->len == 0)
		last = uid;
	while (self->pending->len > 0 &&
	       g_array_index(self->pending, Pending, 0).acked) {
		last = g_array_index(self->pending, Pending, 0).uid;
		g_array_remove_index(self->pending, 0);
	}
	if (last == self->last_uid)
		return TRUE;
	self->last_uid = last;
	g_debug("%s: UID %u acknowledged, last uid now %u", self->url, uid,
		last);
	return save_state(self, error);
}

/* --- waiting ------------------------------------------------------------- */

typedef enum { WOKE_DATA, WOKE_TIMEOUT, WOKE_CANCELLED } Woke;

/*
 * Waits for the server to say something during IDLE. What libetpan has
 * already read sits in its stream buffer, where poll() on the socket
 * cannot see it: mail that came while we were not idling is announced
 * ("* 4 EXISTS") right behind "+ idling", and Dovecot sends both in one
 * write, so libetpan reads them together, over TCP and TLS alike
 * (tests/integration/imap.c, idle-pending: 5 ms with this check, 21 s
 * without). So the buffer is looked at first. GnuTLS holds no
 * undelivered plaintext at this point: the record that carried "+
 * idling" is small and libetpan took all of it.
 */
static Woke idle_poll(ImapSource *self, gint64 deadline,
		      GCancellable *cancellable)
{
	struct pollfd fds[2] = {
		{ mailimap_idle_get_fd(self->imap), POLLIN, 0 },
		{ g_cancellable_get_fd(cancellable), POLLIN, 0 },
	};
	Woke woke = WOKE_DATA;

	if (self->imap->imap_stream->read_buffer_len > 0) {
		g_debug("%s: IDLE: %zu bytes already read", self->url,
			self->imap->imap_stream->read_buffer_len);
		goto out;
	}
	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		int r;

		if (g_cancellable_is_cancelled(cancellable)) {
			woke = WOKE_CANCELLED;
			break;
		}
		if (left <= 0) {
			woke = WOKE_TIMEOUT;
			break;
		}
		r = poll(fds, fds[1].fd >= 0 ? 2 : 1,
			 (int)MIN(left / 1000 + 1, G_MAXINT));
		/* A poll() error is left for the next read to report. */
		if ((r < 0 && errno != EINTR) || (r > 0 && fds[0].revents))
			break;
	}
out:
	if (fds[1].fd >= 0)
		g_cancellable_release_fd(cancellable);
	return woke;
}

static gboolean idle_wait(ImapSource *self, guint timeout_s,
			  GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)MIN(timeout_s, IDLE_MAX_S) * G_USEC_PER_SEC;

	for (;;) {
		Woke woke;
		int r = mailimap_idle(self->imap);

		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(self, r, "IDLE", error);
		woke = idle_poll(self, deadline, cancellable);
		r = mailimap_idle_done(self->imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_fail(self, r, "IDLE (DONE)", error);
		/*
		 * Only new messages end the wait; Dovecot's "* OK Still
		 * here" every two minutes, flag changes and expunges do not.
		 */
		if (woke != WOKE_DATA ||
		    self->imap->imap_selection_info->sel_has_exists) {
			g_debug("%s: IDLE ended: %s", self->url,
				woke == WOKE_DATA	 ? "new mail"
				: woke == WOKE_TIMEOUT ? "time"
						       : "cancelled");
			return TRUE;
		}
	}
}

/* Without IDLE: sleep poll_interval, or until cancelled. */
static gboolean sleep_wait(guint seconds, GCancellable *cancellable)
{
	struct pollfd fd = { g_cancellable_get_fd(cancellable), POLLIN, 0 };
	gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;

	while (!g_cancellable_is_cancelled(cancellable)) {
		gint64 left = deadline - g_get_monotonic_time();

		if (left <= 0)
			break;
		if (poll(&fd, fd.fd >= 0 ? 1 : 0,
			 (int)MIN(left / 1000 + 1, G_MAXINT)) < 0 &&
		    errno != EINTR)
			break;
	}
	if (fd.fd >= 0)
		g_cancellable_release_fd(cancellable);
	return TRUE;
}

static gboolean imap_wait(PcSource *src, guint timeout_s,
			  GCancellable *cancellable, GError **error)
{
	ImapSource *self = (ImapSource *)src;

	if (!connected(self, error))
		return FALSE;
	if (timeout_s == 0 || g_cancellable_is_cancelled(cancellable))
		return TRUE;
	if (self->imap->imap_selection_info->sel_has_exists) {
		g_debug("%s: mail announced since the last listing",
			self->url);
		return TRUE;
	}
	if (!mailimap_has_idle(self->imap))
		return sleep_wait(MIN(timeout_s,
				      src->config->imap_poll_interval),
				  cancellable);
	if (idle_wait(self, timeout_s, cancellable, error))
		return TRUE;
	g_prefix_error(error, "%s: ", self->url);
	return FALSE;
}

/* --- verdicts ------------------------------------------------------------ */

static gboolean store_flag(ImapSource *self, guint32 uid, const char *kw,
			   gboolean add, GError **error)
{
	struct mailimap_set *set = need(mailimap_set_new_single(uid));
	struct mailimap_flag_list *flags = need(mailimap_flag_list_new_empty());
	struct mailimap_store_att_flags *att;
	int r;

	mailimap_flag_list_add(flags,
			       need(mailimap_flag_new_flag_keyword(
				       need(strdup(kw)))));
	att = need(add ? mailimap_store_att_flags_new_add_flags_silent(flags)
		       : mailimap_store_att_flags_new_remove_flags_silent(
				 flags));
	r = mailimap_uid_store(self->imap, set, att);
	mailimap_store_att_flags_free(att);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *step = g_strdup_printf(
			"UID STORE %u %sFLAGS.SILENT (%s)", uid,
			add ? "+" : "-", kw);

		return imap_fail(self, r, step, error);
	}
	return TRUE;
}

static gboolean check_markable(ImapSource *self, guint32 validity,
			       GError **error)
{
	const char *folder = self->parent.config->imap_folder;

	if (!connected(self, error))
		return FALSE;
	if (validity != self->uidvalidity)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s was recreated (UIDVALIDITY %u, "
			    "was %u): the message cannot be found by its UID",
			    self->url, folder, self->uidvalidity, validity);
	else if (self->read_only)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s is read-only", self->url,
			    folder);
	else if (!self->keywords_ok)
		g_set_error(error, PC_SOURCE_ERROR, PROTOCOL,
			    "%s: the folder %s keeps no keywords (no \\* in "
			    "PERMANENTFLAGS)", self->url, folder);
	else
		return TRUE;
	return FALSE;
}

/* The verdict's keyword on, the other verdicts' off (a recheck may differ). */
static gboolean imap_set_verdict(PcSource *src, const char *id,
				 const char *verdict, GError **error)
{
	const char *const *keywords = pc_verdict_keywords();
	ImapSource *self = (ImapSource *)src;
	const char *kw = pc_source_keyword(verdict);
	guint32 validity, uid;

	if (!parse_id(id, &validity, &uid, error) ||
	    !check_markable(self, validity, error))
		return FALSE;
	for (gsize i = 0; keywords[i]; i++) {
		const char *other = keywords[i];

		if (strcmp(other, kw) && !store_flag(self, uid, other, FALSE,
						     error))
			goto fail;
	}
	if (!store_flag(self, uid, kw, TRUE, error))
		goto fail;
	g_message("%s: UID %u marked %s", self->url, uid, kw);
	return TRUE;
fail:
	g_prefix_error(error, "%s: ", self->url);
	return FALSE;
}

static char *imap_describe(PcSource *src)
{
	ImapSource *self = (ImapSource *)src;

	return g_strdup_printf("%s %s, uidvalidity %u, last uid %u", self->url,
			       self->imap ? "connected" : "disconnected",
			       self->uidvalidity, self->last_uid);
}

static void imap_free(PcSource *src)
{
	ImapSource *self = (ImapSource *)src;

	if (self->imap && self->imap->imap_stream) {
		mailstream_low_set_timeout(
			mailstream_get_low(self->imap->imap_stream),
			LOGOUT_TIMEOUT);
		mailimap_logout(self->imap);
	}
	drop(self);
	pc_connection_password_free(self->password);
	pc_tls_free(self->tls);
	g_free(self->mailbox);
	g_free(self->url);
	g_free(self->key_uidvalidity);
	g_free(self->key_last_uid);
	if (self->pending)
		g_array_unref(self->pending);
	g_free(self);
}

static const PcSourceOps imap_ops = {
	.name = "imap",
	.open = imap_open,
	.fetch_new = imap_fetch_new,
	.wait = imap_wait,
	.ack = imap_ack,
	.set_verdict = imap_set_verdict,
	.describe = imap_describe,
	.free = imap_free,
};

/* --- set-up -------------------------------------------------------------- */

/*
 * A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), in
 * which "&" is "&-" and other than printable ASCII goes as UTF-16 in a
 * base64 with "," for "/", between "&" and "-".
 */
static char *mailbox_utf7(const char *name)
{
	GString *s = g_string_new(NULL);
	const char *p = name;

	while (*p) {
		const char *end = p;
		g_autofree gunichar2 *u16 = NULL;
		g_autofree guchar *be = NULL;
		g_autofree char *b64 = NULL;
		glong n = 0;

		if (*p == '&') {
			g_string_append(s, "&-");
			p++;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			g_string_append_c(s, *p++);
			continue;
		}
		while (*end && !(*end >= 0x20 && *end < 0x7f))
			end++;
		u16 = g_utf8_to_utf16(p, end - p, NULL, &n, NULL);
		if (!u16) {	/* config.c passes only UTF-8 */
			g_string_append_len(s, p, end - p);
			p = end;
			continue;
		}
		be = g_new(guchar, 2 * n);
		for (glong i = 0; i < n; i++) {
			be[2 * i] = u16[i] >> 8;
			be[2 * i + 1] = u16[i] & 0xff;
		}
		b64 = g_base64_encode(be, 2 * n);
		g_strdelimit(b64, "/", ',');
		g_string_append_printf(s, "&%.*s-", (int)strcspn(b64, "="),
				       b64);
		p = end;
	}
	return g_string_free(s, FALSE);
}

static gboolean load_state(ImapSource *self, GError **error)
{
	g_autofree char *v = NULL;
	g_autofree char *u = NULL;
	GError *local = NULL;
	guint64 n;

	if (!pc_store_get_value(self->parent.store, self->key_uidvalidity, &v,
				&local) ||
	    !pc_store_get_value(self->parent.store, self->key_last_uid, &u,
				&local))
		return store_fail(self, local, "read the last UID", error);
	if (v && g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT32, &n, NULL))
		self->uidvalidity = n;
	if (u && g_ascii_string_to_unsigned(u, 10, 0, G_MAXUINT32, &n, NULL))
		self->last_uid = n;
	return TRUE;
}

static gboolean is_loopback(const char *host)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(host);

	return !strcmp(host, "localhost") ||
	       (a && g_inet_address_get_is_loopback(a));
}

PcSource *pc_source_imap_new(const PcConfig *config, PcStore *store,
			     GError **error)
{
	ImapSource *self = g_new0(ImapSource, 1);
	g_autofree char *key = g_strdup_printf("imap/%s@%s/%s",
					       config->imap_user,
					       config->imap_host,
					       config->imap_folder);

	self->parent.ops = &imap_ops;
	self->parent.config = config;
	self->parent.store = store;
	self->pending = g_array_new(FALSE, FALSE, sizeof(Pending));
	self->mailbox = mailbox_utf7(config->imap_folder);
	self->url = g_strdup_printf("imap://%s@%s:%u/%s", config->imap_user,
				    config->imap_host, config->imap_port,
				    config->imap_folder);
	self->key_uidvalidity = g_strconcat(key, "/uidvalidity", NULL);
	self->key_last_uid = g_strconcat(key, "/last_uid", NULL);
	self->password = pc_connection_read_password(
		config->imap_password_file, "imap", PC_SOURCE_ERROR, LOCAL,
		error);
	if (!self->password || !load_state(self, error))
		goto fail;
	if (strcmp(config->imap_tls, "none") &&
	    !(self->tls = pc_tls_new(config->imap_ca_file, PC_SOURCE_ERROR,
				     LOCAL, error)))
		goto fail;
	if (!strcmp(config->imap_tls, "none") &&
	    !is_loopback(config->imap_host))
		g_warning("[imap] tls = none: the password for %s goes to %s "
			  "in clear", config->imap_user, config->imap_host);
	return &self->parent;
fail:
	imap_free(&self->parent);
	return NULL;
}
