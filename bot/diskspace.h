/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * diskspace: whether the file systems a job writes to have room for its
 * next step, so that a nearly full disk makes a job wait instead of
 * failing half way through a fetch or a build.
 */
#ifndef PC_DISKSPACE_H
#define PC_DISKSPACE_H

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

/*
 * Bytes free to an unprivileged writer on the file system holding
 * @path, or on its nearest existing parent when @path is not made yet.
 * FALSE with @error when no statvfs() succeeds.
 */
gboolean pc_diskspace_free(const char *path, guint64 *bytes, GError **error);

/*
 * Why a job may not start a fetch or a build now: the state directory
 * or the cache directory has less than [pullcheck] min_free_space
 * free. One sentence naming the directory, what is free and the key;
 * NULL when both have room, when the key is 0, or when the free space
 * cannot be told (the step itself then meets what is there).
 * (transfer full)
 */
char *pc_diskspace_short(const PcConfig *config);

G_END_DECLS

#endif
