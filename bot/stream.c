// SPDX-License-Identifier: GPL-2.0-only
/*
 * stream: libgit2's sockets, bounded in time and bytes, with every
 * request's URL checked before it is sent (stream.h).
 */
#define G_LOG_DOMAIN "pullcheck-stream"

#include <errno.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitutil.h"
#include "stream.h"

#define MAX_REQUEST_URL 4096

G_DEFINE_QUARK(pc-stream-error-quark, pc_stream_error)

static __thread PcStreamLimits *thread_limits;

void pc_stream_begin(PcStreamLimits *limits)
{
	thread_limits = limits;
}

void pc_stream_end(PcStreamLimits *limits)
{
	if (thread_limits == limits)
		thread_limits = NULL;
}

void pc_stream_limits_clear(PcStreamLimits *limits)
{
	pc_stream_end(limits);
	g_clear_pointer(&limits->why, g_free);
	limits->stop = PC_STREAM_GOING;
}

/* --- limits -------------------------------------------------------------- */

/* The first limit hit is the one reported; libgit2 gets it as its error. */
static int limit_hit(PcStreamLimits *l, PcStreamStop stop, char *why)
{
	if (l->why) {
		g_free(why);
	} else {
		l->why = why;
		l->stop = stop;
	}
	git_error_set_str(GIT_ERROR_NET, l->why);
	return -1;
}

int pc_stream_time_out(PcStreamLimits *l)
{
	return limit_hit(l, PC_STREAM_STOP_TIME,
			 g_strdup_printf("the server did not finish within "
					 "the time limit of %u seconds",
					 l->timeout_s));
}

int pc_stream_too_many_bytes(PcStreamLimits *l)
{
	return limit_hit(l, PC_STREAM_STOP_BYTES,
			 g_strdup_printf("the server sent more than the "
					 "limit of %" G_GUINT64_FORMAT " bytes",
					 l->max_bytes));
}

/* Milliseconds left before the deadline; -1 for none. */
static int ms_left(const PcStreamLimits *l)
{
	gint64 left;

	if (!l || !l->deadline)
		return -1;
	left = l->deadline - g_get_monotonic_time();
	return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, G_MAXINT);
}

static int wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int ms = ms_left(thread_limits);
		int n;

		if (ms == 0)
			return pc_stream_time_out(thread_limits);
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			git_error_set(GIT_ERROR_OS, "poll failed: %s",
				      g_strerror(errno));
			return -1;
		}
	}
}

static gboolean limit_stopped(void)
{
	return thread_limits && thread_limits->why;
}

static ssize_t count_read(ssize_t n)
{
	PcStreamLimits *l = thread_limits;

	if (!l)
		return n;
	l->bytes += n;
	if (l->max_bytes && l->bytes > l->max_bytes)
		return pc_stream_too_many_bytes(l);
	return n;
}

/* --- the request's URL --------------------------------------------------- */

static int default_port(const char *scheme)
{
	if (!strcmp(scheme, "git"))
		return 9418;
	return !strcmp(scheme, "http") ? 80 : 443;
}

/* scheme://host[:port]@path, as the allow list compares URLs. */
static char *request_url(const char *scheme, const char *host,
			 const char *port, const char *path, size_t len)
{
	g_autofree char *lower = g_ascii_strdown(host, -1);
	const char *open = strchr(lower, ':') ? "[" : "";
	const char *close = *open ? "]" : "";

	if (atoi(port) == default_port(scheme))
		return g_strdup_printf("%s://%s%s%s%.*s", scheme, open, lower,
				       close, (int)len, path);
	return g_strdup_printf("%s://%s%s%s:%s%.*s", scheme, open, lower,
			       close, port, (int)len, path);
}

/*
 * The path an HTTP request line ("GET /path?query HTTP/1.1") asks for,
 * query left out; NULL when @data does not start a request. libgit2
 * writes a request's head in one piece, and a body (pkt-lines, chunk
 * sizes) never starts with a method and a space.
 */
static const char *http_target(const char *data, size_t n, size_t *len)
{
	size_t i = 0, end;

	while (i < n && i < 16 && g_ascii_isupper(data[i]))
		i++;
	if (i == 0 || i >= n || data[i] != ' ' || i + 1 >= n ||
	    data[i + 1] != '/')
		return NULL;
	end = i + 1;
	while (end < n && data[end] != ' ' && data[end] != '?' &&
	       data[end] != '\r' && data[end] != '\n')
		end++;
	*len = end - (i + 1);
	return data + i + 1;
}

/* git://: the first pkt-line, "XXXXgit-upload-pack /path\0host=...\0". */
static const char *git_target(const char *data, size_t n, size_t *len)
{
	static const char cmd[] = "git-upload-pack ";
	const char *start = data + 4 + strlen(cmd);
	const char *nul;

	if (n < 4 + strlen(cmd) + 1 || strncmp(data + 4, cmd, strlen(cmd)))
		return NULL;
	nul = memchr(start, '\0', n - (start - data));
	*len = nul ? (size_t)(nul - start) : n - (start - data);
	return start;
}

/*
 * 0, or -1 with the fetch stopped when the request @data starts may not
 * go: its URL fails the fetch's check.
 */
static int check_request(const char *scheme, const char *host,
			 const char *port, const char *data, size_t n)
{
	PcStreamLimits *l = thread_limits;
	const char *path;
	g_autofree char *url = NULL;
	char *why;
	size_t len;

	if (!l || !l->check_url)
		return 0;
	path = !strcmp(scheme, "git") ? git_target(data, n, &len)
				      : http_target(data, n, &len);
	if (!path)
		return 0;
	if (len > MAX_REQUEST_URL)
		return limit_hit(l, PC_STREAM_STOP_REFUSED,
				 g_strdup("the request's URL is too long"));
	url = request_url(scheme, host, port, path, len);
	why = l->check_url(url, l->check_data);
	return why ? limit_hit(l, PC_STREAM_STOP_REFUSED, why) : 0;
}

/* --- the plain socket ---------------------------------------------------- */

typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int fd;
	gboolean under_tls;	/* it carries TLS records, not requests */
	gboolean first_write_done;
} Stream;

/* Connects to one address, waiting no longer than the deadline. */
static int connect_addr(Stream *st, const struct addrinfo *ai)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if ((connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	     errno != EINPROGRESS) ||
	    wait_for(fd, POLLOUT) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		int saved = err ? err : errno;

		close(fd);
		errno = saved;
		return -1;
	}
	st->fd = fd;
	return 0;
}

static int stream_connect(git_stream *stream)
{
	Stream *st = (Stream *)stream;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	int rc, saved = 0;

	rc = getaddrinfo(st->host, st->port, &hints, &ai);
	if (rc) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for "
			      "%s: %s", st->host, gai_strerror(rc));
		return -1;
	}
	for (p = ai; p && st->fd < 0 && !limit_stopped(); p = p->ai_next)
		if (connect_addr(st, p) < 0)
			saved = errno;
	freeaddrinfo(ai);
	if (st->fd >= 0)
		return 0;
	if (!limit_stopped())
		git_error_set(GIT_ERROR_NET, "failed to connect to %s port "
			      "%s: %s", st->host, st->port, g_strerror(saved));
	return -1;
}

static ssize_t stream_read(git_stream *stream, void *data, size_t len)
{
	Stream *st = (Stream *)stream;

	for (;;) {
		ssize_t n = recv(st->fd, data, len, 0);

		if (n >= 0)
			return count_read(n);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			git_error_set(GIT_ERROR_NET, "error receiving data: %s",
				      g_strerror(errno));
			return -1;
		}
		if (wait_for(st->fd, POLLIN) < 0)
			return -1;
	}
}

static ssize_t send_all_or_some(Stream *st, const char *data, size_t len,
				int flags)
{
	for (;;) {
		ssize_t n = send(st->fd, data, len, flags | MSG_NOSIGNAL);

		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			git_error_set(GIT_ERROR_NET, "error sending data: %s",
				      g_strerror(errno));
			return -1;
		}
		if (wait_for(st->fd, POLLOUT) < 0)
			return -1;
	}
}

/*
 * A plain socket carries git:// or http://; which one, its first bytes
 * tell (a pkt-line or a request line). Under TLS it carries records.
 */
static ssize_t stream_write(git_stream *stream, const char *data, size_t len,
			    int flags)
{
	Stream *st = (Stream *)stream;

	if (!st->under_tls) {
		const char *scheme = !st->first_write_done &&
				     len > 4 && g_ascii_isxdigit(data[0]) &&
				     !memcmp(data + 4, "git-", 4) ? "git"
								 : "http";

		if (check_request(scheme, st->host, st->port, data, len) < 0)
			return -1;
	}
	st->first_write_done = TRUE;
	return send_all_or_some(st, data, len, flags);
}

static int stream_close(git_stream *stream)
{
	Stream *st = (Stream *)stream;
	int rc = 0;

	if (st->fd >= 0)
		rc = close(st->fd);
	st->fd = -1;
	return rc;
}

static void stream_free(git_stream *stream)
{
	Stream *st = (Stream *)stream;

	stream_close(stream);
	g_free(st->host);
	g_free(st->port);
	g_free(st);
}

static Stream *stream_create(const char *host, const char *port)
{
	Stream *st = g_new0(Stream, 1);

	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = stream_connect;
	st->parent.read = stream_read;
	st->parent.write = stream_write;
	st->parent.close = stream_close;
	st->parent.free = stream_free;
	st->host = g_strdup(host);
	st->port = g_strdup(port);
	st->fd = -1;
	return st;
}

static int stream_new(git_stream **out, const char *host, const char *port)
{
	*out = &stream_create(host, port)->parent;
	return 0;
}

/* --- TLS ----------------------------------------------------------------- */

/*
 * GnuTLS over a socket above: the handshake and every record wait on the
 * fetch's deadline like any read, and the requests are checked in the
 * clear before they are encrypted. The server's chain is verified
 * against the system's CAs (or [fetch] ca_file) and its name.
 */
typedef struct {
	git_stream parent;
	git_stream *io;		/* the socket below, owned */
	char *host;
	char *port;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;	/* shared: trust_for() */
	git_cert_x509 cert;
} Tls;

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *data,
			size_t len)
{
	Tls *t = ptr;
	ssize_t n = t->io->write(t->io, data, len, 0);

	if (n < 0)
		gnutls_transport_set_errno(t->session, EIO);
	return n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	Tls *t = ptr;
	ssize_t n = t->io->read(t->io, data, len);

	if (n < 0)
		gnutls_transport_set_errno(t->session, EIO);
	return n;
}

/* libgit2's error from a GnuTLS one, unless a limit already said why. */
static int tls_fail(Tls *t, const char *what, int rc)
{
	if (!limit_stopped())
		git_error_set(GIT_ERROR_SSL, "%s %s: %s", what, t->host,
			      gnutls_strerror(rc));
	return -1;
}

/*
 * The trusted CAs, read once per process for each CA file (a changed
 * file is read anew) and shared by every session: parsing the system's
 * bundle takes a noticeable part of a second, on every connection
 * otherwise. GnuTLS credentials may be shared once set up. The
 * credentials of a file that changed stay, as a session may still hold
 * them: one set per change of [fetch] ca_file, for the process's life.
 */
static gnutls_certificate_credentials_t trust_for(const char *ca_file,
						  int *rc)
{
	static GMutex lock;
	static GHashTable *cache;	/* "path mtime" → credentials */
	g_autofree char *key = NULL;
	gnutls_certificate_credentials_t cred;
	struct stat st = { 0 };

	if (ca_file && stat(ca_file, &st) < 0)
		st.st_mtime = 0;
	key = g_strdup_printf("%s %lld", ca_file ? ca_file : "",
			      (long long)st.st_mtime);
	g_mutex_lock(&lock);
	if (!cache)
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      NULL);
	cred = g_hash_table_lookup(cache, key);
	if (!cred && (*rc = gnutls_certificate_allocate_credentials(&cred)) >= 0) {
		*rc = ca_file ? gnutls_certificate_set_x509_trust_file(
					cred, ca_file, GNUTLS_X509_FMT_PEM)
			      : gnutls_certificate_set_x509_system_trust(cred);
		if (*rc > 0)
			g_hash_table_insert(cache, g_steal_pointer(&key), cred);
		else
			g_clear_pointer(&cred,
					gnutls_certificate_free_credentials);
	}
	g_mutex_unlock(&lock);
	return cred;
}

static int tls_trust(Tls *t)
{
	PcStreamLimits *l = thread_limits;
	const char *ca_file = l ? l->ca_file : NULL;
	int rc = 0;

	t->cred = trust_for(ca_file, &rc);
	if (!t->cred) {
		git_error_set(GIT_ERROR_SSL, "no CA certificates to verify %s "
			      "with (%s)%s%s", t->host,
			      ca_file ? ca_file : "the system's",
			      rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc)
						   : "");
		return -1;
	}
	return 0;
}

static int tls_setup(Tls *t)
{
	int rc;

	if (tls_trust(t) < 0)
		return -1;
	rc = gnutls_init(&t->session, GNUTLS_CLIENT);
	if (rc >= 0)
		rc = gnutls_set_default_priority(t->session);
	if (rc >= 0)
		rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
					    t->cred);
	/* SNI for a name only; an address is checked against IP SANs. */
	if (rc >= 0 && !g_hostname_is_ip_address(t->host))
		rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
					    t->host, strlen(t->host));
	if (rc < 0)
		return tls_fail(t, "cannot set up TLS for", rc);
	gnutls_session_set_verify_cert(t->session, t->host, 0);
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_push_function(t->session, tls_push);
	gnutls_transport_set_pull_function(t->session, tls_pull);
	return 0;
}

static int tls_untrusted(Tls *t)
{
	gnutls_datum_t text = { 0 };
	unsigned int status = gnutls_session_get_verify_cert_status(t->session);

	gnutls_certificate_verification_status_print(
		status, GNUTLS_CRT_X509, &text, 0);
	git_error_set(GIT_ERROR_SSL, "the certificate of %s is not trusted: %s",
		      t->host, text.data ? (char *)text.data : "unknown");
	gnutls_free(text.data);
	return GIT_ECERTIFICATE;
}

static int tls_connect(git_stream *stream)
{
	Tls *t = (Tls *)stream;
	int rc;

	if (t->io->connect(t->io) < 0 || tls_setup(t) < 0)
		return -1;
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && !limit_stopped());
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		return tls_untrusted(t);
	return rc < 0 ? tls_fail(t, "TLS handshake failed with", rc) : 0;
}

static int tls_certificate(git_cert **out, git_stream *stream)
{
	Tls *t = (Tls *)stream;
	unsigned int n = 0;
	const gnutls_datum_t *chain =
		gnutls_certificate_get_peers(t->session, &n);

	if (!chain || !n) {
		git_error_set(GIT_ERROR_SSL, "%s sent no certificate", t->host);
		return -1;
	}
	t->cert.parent.cert_type = GIT_CERT_X509;
	t->cert.data = chain[0].data;
	t->cert.len = chain[0].size;
	*out = &t->cert.parent;
	return 0;
}

static ssize_t tls_read(git_stream *stream, void *data, size_t len)
{
	Tls *t = (Tls *)stream;
	ssize_t rc;

	do
		rc = gnutls_record_recv(t->session, data, len);
	while ((rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) &&
	       !limit_stopped());
	/* Many servers close without a close_notify: that is the end. */
	if (rc == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return rc < 0 ? tls_fail(t, "cannot read from", rc) : rc;
}

static ssize_t tls_write(git_stream *stream, const char *data, size_t len,
			 int flags)
{
	Tls *t = (Tls *)stream;
	ssize_t rc;

	if (check_request("https", t->host, t->port, data, len) < 0)
		return -1;
	do
		rc = gnutls_record_send(t->session, data, len);
	while ((rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) &&
	       !limit_stopped());
	return rc < 0 ? tls_fail(t, "cannot write to", rc) : rc;
}

static int tls_close(git_stream *stream)
{
	Tls *t = (Tls *)stream;

	if (t->session)
		gnutls_bye(t->session, GNUTLS_SHUT_WR);
	return t->io->close(t->io);
}

static void tls_free(git_stream *stream)
{
	Tls *t = (Tls *)stream;

	if (t->session)
		gnutls_deinit(t->session);
	t->io->free(t->io);
	g_free(t->host);
	g_free(t->port);
	g_free(t);
}

static Tls *tls_create(git_stream *io, const char *host, const char *port)
{
	Tls *t = g_new0(Tls, 1);

	t->parent.version = GIT_STREAM_VERSION;
	t->parent.encrypted = 1;
	t->parent.connect = tls_connect;
	t->parent.certificate = tls_certificate;
	t->parent.read = tls_read;
	t->parent.write = tls_write;
	t->parent.close = tls_close;
	t->parent.free = tls_free;
	t->io = io;
	t->host = g_strdup(host);
	t->port = g_strdup(port);
	return t;
}

static int tls_new(git_stream **out, const char *host, const char *port)
{
	Stream *io = stream_create(host, port);

	io->under_tls = TRUE;
	*out = &tls_create(&io->parent, host, port)->parent;
	return 0;
}

/* Over a stream libgit2 already has (a proxy's CONNECT): not used here. */
static int tls_wrap(git_stream **out, git_stream *in, const char *host)
{
	*out = &tls_create(in, host, "443")->parent;
	return 0;
}

gboolean pc_stream_register(GError **error)
{
	static git_stream_registration plain = {
		.version = GIT_STREAM_VERSION,
		.init = stream_new,
	};
	static git_stream_registration tls = {
		.version = GIT_STREAM_VERSION,
		.init = tls_new,
		.wrap = tls_wrap,
	};

	if (git_stream_register(GIT_STREAM_STANDARD, &plain) < 0 ||
	    git_stream_register(GIT_STREAM_TLS, &tls) < 0) {
		g_set_error(error, PC_STREAM_ERROR, 0,
			    "cannot register the streams with libgit2: %s",
			    pc_git_message());
		return FALSE;
	}
	return TRUE;
}
