// SPDX-License-Identifier: GPL-2.0-only
/*
 * diskspace: statvfs(3) on the directories a job writes to, against
 * [pullcheck] min_free_space.
 */
#define G_LOG_DOMAIN "pullcheck-diskspace"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <sys/statvfs.h>

#include "diskspace.h"

gboolean pc_diskspace_free(const char *path, guint64 *bytes, GError **error)
{
	g_autofree char *at = g_strdup(path);
	struct statvfs st;
	int err;

	for (;;) {
		char *up;

		if (statvfs(at, &st) == 0) {
			*bytes = (guint64)st.f_bavail * st.f_frsize;
			return TRUE;
		}
		err = errno;
		if (err != ENOENT && err != ENOTDIR)
			break;
		up = g_path_get_dirname(at);
		if (!strcmp(up, at)) {
			g_free(up);
			break;
		}
		g_free(at);
		at = up;
	}
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
		    "cannot tell the free space of %s: %s", path,
		    g_strerror(err));
	return FALSE;
}

static char *short_on(const char *path, const char *what, guint64 min)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *free_s = NULL, *min_s = NULL;
	guint64 free_b;

	if (!pc_diskspace_free(path, &free_b, &error)) {
		g_message("%s", error->message);
		return NULL;
	}
	if (free_b >= min)
		return NULL;
	free_s = g_format_size_full(free_b, G_FORMAT_SIZE_IEC_UNITS);
	min_s = g_format_size_full(min, G_FORMAT_SIZE_IEC_UNITS);
	return g_strdup_printf("waiting for disk space: %s free on the file "
			       "system of %s %s, less than [pullcheck] "
			       "min_free_space (%s)",
			       free_s, what, path, min_s);
}

char *pc_diskspace_short(const PcConfig *config)
{
	char *why;

	if (!config->min_free_space)
		return NULL;
	why = short_on(config->state_dir, "the state directory",
		       config->min_free_space);
	if (!why)
		why = short_on(config->build_cache_dir, "[build] cache_dir",
			       config->min_free_space);
	return why;
}
