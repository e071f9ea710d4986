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

/*
 * Whether files made under the directory @path by this process stay in
 * reach of its owner: TRUE when this process runs as its owner, or when
 * @path does not exist yet. Else FALSE, with the owner in *@owner.
 */
gboolean pc_fileio_owned_by_me(const char *path, guint *owner);

/*
 * Reads @relpath below the directory @root without following a link in
 * any of its components, and without blocking: each directory of
 * @relpath is opened O_NOFOLLOW, the file itself O_NOFOLLOW|O_NONBLOCK,
 * and it must be a regular file of at most @max_bytes. For what a build
 * or a fetched tree controls: a FIFO, a link to /dev/zero or to /etc,
 * a huge file. @root itself is trusted and may be a link; ".." in
 * @relpath is refused.
 *
 * Unlike the functions above this one words its own error, in
 * G_FILE_ERROR, naming the path: G_FILE_ERROR_NOENT for a file that is
 * missing, so that a caller can tell it from one that is refused.
 * @contents is NUL-terminated (transfer full); @len may be NULL.
 */
gboolean pc_fileio_read_below(const char *root, const char *relpath,
			      gsize max_bytes, char **contents, gsize *len,
			      GError **error);

G_END_DECLS

#endif
