/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stream: the sockets libgit2 fetches over, registered with it for every
 * plain socket (git://, http://) and every TLS one (https://).
 *
 * libgit2 1.5 reads and writes its sockets blocking, with no timeout,
 * and has no option to set one; a server that accepts and then says
 * nothing holds a fetch forever, out of reach of the progress
 * callbacks. These sockets are non-blocking and every wait is a poll()
 * against the deadline of the fetch running on this thread.
 *
 * libgit2 also follows a redirect to another path on the same host
 * whatever its follow_redirects option says, which would take a fetch
 * out of a path-scoped allow-list entry. So every request libgit2 sends
 * is read here before it goes out, over TLS too (the TLS layer is
 * pullcheck's own, GnuTLS, so the request is seen in the clear): its
 * URL must pass the fetch's check, or the request is not sent.
 */
#ifndef PC_STREAM_H
#define PC_STREAM_H

#include <glib.h>

G_BEGIN_DECLS

/*
 * What @url (scheme://host[:port]/path, default port left out, no
 * query) may not be requested for, as a sentence; NULL: it may.
 * (transfer full)
 */
typedef char *(*PcStreamCheckUrl)(const char *url, gpointer data);

/*
 * What stopped a fetch: a limit of its own (time, bytes), which another
 * try would hit again, or a request it may not send.
 */
typedef enum {
	PC_STREAM_GOING = 0,
	PC_STREAM_STOP_TIME,	/* the timeout passed */
	PC_STREAM_STOP_BYTES,	/* more than max_bytes came */
	PC_STREAM_STOP_REFUSED,	/* a request the fetch may not send */
} PcStreamStop;

/* One fetch's limits. The caller owns it; zero it before use. */
typedef struct {
	gint64 deadline;	/* g_get_monotonic_time(); 0: none */
	guint timeout_s;
	guint64 max_bytes;	/* 0: none */
	guint64 bytes;		/* read from the network so far */
	char *why;		/* set when a limit stopped the fetch */
	PcStreamStop stop;	/* which, with @why */
	PcStreamCheckUrl check_url;	/* NULL: every request may go */
	gpointer check_data;
	const char *ca_file;	/* https: PEM to trust; NULL: the system's */
} PcStreamLimits;

#define PC_STREAM_ERROR (pc_stream_error_quark())
GQuark pc_stream_error_quark(void);

/* Registers the streams with libgit2, once; after git_libgit2_init(). */
gboolean pc_stream_register(GError **error);

/*
 * The fetch on this thread goes by @limits until pc_stream_end(): libgit2
 * runs a fetch's transport on the calling thread.
 */
void pc_stream_begin(PcStreamLimits *limits);
void pc_stream_end(PcStreamLimits *limits);

/*
 * For libgit2's progress callbacks, which see what the stream cannot (the
 * pack's size, a clock during indexing): record why the fetch stops,
 * set libgit2's error and return -1.
 */
int pc_stream_time_out(PcStreamLimits *limits);
int pc_stream_too_many_bytes(PcStreamLimits *limits);

/* Frees @limits->why. */
void pc_stream_limits_clear(PcStreamLimits *limits);

G_END_DECLS

#endif
