// SPDX-License-Identifier: GPL-2.0-only
/*
 * fileio: writing every byte, making a Maildir, reading a file below a
 * directory without following links.
 */
#define G_LOG_DOMAIN "pullcheck-fileio"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
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

gboolean pc_fileio_owned_by_me(const char *path, guint *owner)
{
	struct stat st;

	if (stat(path, &st) < 0 || st.st_uid == geteuid())
		return TRUE;
	*owner = st.st_uid;
	return FALSE;
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

static gboolean read_fail(GError **error, int err, const char *root,
			  const char *relpath, const char *why)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
		    "%s/%s: %s", root, relpath, why);
	return FALSE;
}

/* Why openat() on the directory @part of a path failed. (transfer full) */
static char *open_failure(int err, const char *part)
{
	if (err == ELOOP || err == ENOTDIR)
		return g_strdup_printf("%s is a symbolic link or not a "
				       "directory, not followed", part);
	return g_strdup_printf("%s: %s", part, g_strerror(err));
}

/*
 * The directory that holds the last component of @parts, opened below
 * @root with no link followed; -1 with @why and errno set.
 */
static int open_parent(const char *root, char **parts, const char **last,
		       char **why)
{
	int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0) {
		int err = errno;

		*why = g_strdup(g_strerror(err));
		errno = err;
		return -1;
	}
	*last = NULL;
	for (char **p = parts; *p; p++) {
		int next, err;

		if (!**p || !strcmp(*p, "."))
			continue;
		if (!strcmp(*p, "..")) {
			close(dir);
			*why = g_strdup("\"..\" is not below the root");
			errno = EINVAL;
			return -1;
		}
		if (*last) {
			next = openat(dir, *last, O_RDONLY | O_DIRECTORY |
					  O_NOFOLLOW | O_CLOEXEC);
			err = errno;
			if (next < 0) {
				*why = open_failure(err, *last);
				close(dir);
				errno = err;
				return -1;
			}
			close(dir);
			dir = next;
		}
		*last = *p;
	}
	if (!*last) {
		close(dir);
		*why = g_strdup("no file named");
		errno = EINVAL;
		return -1;
	}
	return dir;
}

/* All of @fd, which fstat() said is @size bytes, refusing past @max. */
static char *read_capped(int fd, gsize size, gsize max, gsize *len)
{
	gsize cap = MIN(size, max) + 1, n = 0;
	char *buf = g_malloc(cap + 1);

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			g_free(buf);
			return NULL;
		}
		n += r;
		if (r == 0 || n > max)
			break;
		if (n == cap) {
			cap = MIN(cap * 2, max + 1);
			buf = g_realloc(buf, cap + 1);
		}
	}
	if (n > max) {
		g_free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Why the open file @fd cannot be read as it is: NULL when it can. */
static char *refusal(int fd, gsize max_bytes, gsize *size, int *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*err = errno;
		return g_strdup(g_strerror(*err));
	}
	*err = EINVAL;
	if (!S_ISREG(st.st_mode))
		return g_strdup("not a regular file");
	*err = EFBIG;
	if ((guint64)st.st_size > max_bytes)
		return g_strdup_printf("larger than %" G_GSIZE_FORMAT " bytes",
				       max_bytes);
	*size = st.st_size;
	return NULL;
}

gboolean pc_fileio_read_below(const char *root, const char *relpath,
			      gsize max_bytes, char **contents, gsize *len,
			      GError **error)
{
	g_auto(GStrv) parts = g_strsplit(relpath, "/", -1);
	g_autofree char *why = NULL;
	const char *last;
	gsize size = 0, n = 0;
	int dir, fd, err;

	dir = open_parent(root, parts, &last, &why);
	if (dir < 0)
		return read_fail(error, errno, root, relpath, why);
	fd = openat(dir, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	err = errno;
	close(dir);
	if (fd < 0)
		return read_fail(error, err, root, relpath,
				 err == ELOOP ? "a symbolic link, not followed"
					      : g_strerror(err));
	why = refusal(fd, max_bytes, &size, &err);
	*contents = why ? NULL : read_capped(fd, size, max_bytes, &n);
	if (!why && !*contents) {
		err = errno;
		why = err == EFBIG ? g_strdup_printf("grew past %" G_GSIZE_FORMAT
						     " bytes", max_bytes)
				   : g_strdup(g_strerror(err));
	}
	close(fd);
	if (why)
		return read_fail(error, err, root, relpath, why);
	if (len)
		*len = n;
	return TRUE;
}
