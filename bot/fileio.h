/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fileio: the few file-system steps more than one module takes the same
 * way. They answer as the system calls under them do, with errno, so
 * that each caller words the error in its own domain (a full disk is
 * temporary to the outbox, a bad checkout to the worktree).
 */
#ifndef PC_FILEIO_H
#define PC_FILEIO_H

#include <glib.h>

G_BEGIN_DECLS

/*
 * Writes all @len bytes of @data to @fd, again after EINTR and after a
 * short write. FALSE with errno set when a write fails (EIO for one that
 * wrote nothing).
 */
gboolean pc_fileio_write_all(int fd, const void *data, gsize len);

/*
 * Makes the Maildir @path where it is missing: @path and its cur/, new/
 * and tmp/, mode 0700. FALSE with errno set, and the folder that could
 * not be made in @failed (transfer full), when one cannot be.
 */
gboolean pc_fileio_make_maildir(const char *path, char **failed);

G_END_DECLS

#endif
