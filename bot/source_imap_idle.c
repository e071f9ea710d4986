// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_imap_idle: waiting for new mail, with IDLE where the server
 * offers it, else by sleeping [imap] poll_interval.
 */
#define G_LOG_DOMAIN "pullcheck-imap"

#include <errno.h>
#include <poll.h>

#include "source_imap.h"

/*
 * RFC 2177: a server may drop a client idle for 30 minutes, so IDLE is
 * ended and issued again before 29.
 */
#define IDLE_MAX_S (28 * 60)

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
static Woke idle_poll(PcSourceImap *self, gint64 deadline,
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

static gboolean idle_wait(PcSourceImap *self, guint timeout_s,
			  GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)MIN(timeout_s, IDLE_MAX_S) * G_USEC_PER_SEC;

	for (;;) {
		Woke woke;
		int r = mailimap_idle(self->imap);

		if (r != MAILIMAP_NO_ERROR)
			return pc_source_imap_fail(self, r, "IDLE", error);
		woke = idle_poll(self, deadline, cancellable);
		r = mailimap_idle_done(self->imap);
		if (r != MAILIMAP_NO_ERROR)
			return pc_source_imap_fail(self, r, "IDLE (DONE)",
						   error);
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

gboolean pc_source_imap_wait(PcSource *src, guint timeout_s,
			     GCancellable *cancellable, GError **error)
{
	PcSourceImap *self = (PcSourceImap *)src;

	if (!pc_source_imap_connected(self, error))
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
