// SPDX-License-Identifier: GPL-2.0-only
/*
 * fileio: writing every byte, and making a Maildir.
 */
#define G_LOG_DOMAIN "pullcheck-fileio"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fileio.h"

gboolean pc_fileio_write_all(int fd, const void *data, gsize len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= n;
	}
	return TRUE;
}

gboolean pc_fileio_make_maildir(const char *path, char **failed)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };

	for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *d = g_build_filename(path, subdirs[i], NULL);

		if (g_mkdir_with_parents(d, 0700) < 0) {
			*failed = g_steal_pointer(&d);
			return FALSE;
		}
	}
	return TRUE;
}
