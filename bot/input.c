// SPDX-License-Identifier: GPL-2.0-only
/*
 * input: opens what the command line names and hands out its messages.
 *
 * GMime's parser reads a seekable stream without copying bodies into
 * memory (persist_stream), so even a message far over the size cap costs
 * only its headers, and an mbox of any size streams in constant memory.
 */
#define G_LOG_DOMAIN "pullcheck-input"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autocleanup.h"
#include "input.h"

/* Headers of a message over the cap are read from this much of it. */
#define HEAD_BYTES (256 * 1024)

static gboolean set_errno_error(GError **error, const char *path)
{
	int saved = errno;

	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
		    "%s: %s", path, g_strerror(saved));
	return FALSE;
}

static gboolean emit(const char *file, GMimeMessage *message, guint64 size,
		     PcMailFlags flags, PcInputFunc func, gpointer data)
{
	PcInputMessage msg = {
		.file = file,
		.message = message,
		.size = size,
		.flags = flags,
	};

	return func(&msg, data);
}

static gboolean emit_error(const char *file, const GError *error,
			   PcInputFunc func, gpointer data)
{
	PcInputMessage msg = { .file = file, .error = error };

	return func(&msg, data);
}

/*
 * The offset of the next "From " line after @from, or -1. Used to step
 * over a message GMime could not read, so one bad message does not hide
 * the rest of the mbox.
 */
static gint64 next_from_line(GMimeStream *stream, gint64 from)
{
	char buf[65536 + 6];
	gsize keep = 0;
	gint64 base = from;

	if (g_mime_stream_seek(stream, from, GMIME_STREAM_SEEK_SET) < 0)
		return -1;
	for (;;) {
		ssize_t n = g_mime_stream_read(stream, buf + keep,
					       sizeof(buf) - keep);
		gsize len;

		if (n <= 0)
			return -1;
		len = keep + n;
		for (gsize i = 0; i + 6 <= len; i++)
			if (!memcmp(buf + i, "\nFrom ", 6))
				return base + i + 1;
		/* A boundary may straddle two reads: keep the tail. */
		keep = MIN(len, 5);
		memmove(buf, buf + len - keep, keep);
		base += len - keep;
	}
}

/* Takes @fd. */
static gboolean read_mbox(const char *file, int fd, PcInputFunc func,
			  gpointer data)
{
	g_autoptr(GMimeStream) stream = g_mime_stream_fs_new(fd);
	g_autoptr(GMimeParser) parser = g_mime_parser_new();
	gint64 start = 0;
	gboolean more = TRUE;

	g_mime_parser_init_with_stream(parser, stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	while (more && !g_mime_parser_eos(parser)) {
		g_autoptr(GMimeMessage) message =
			g_mime_parser_construct_message(parser, NULL);
		gint64 end, next;

		if (message) {
			start = g_mime_parser_get_mbox_marker_offset(parser);
			end = g_mime_parser_tell(parser);
			more = emit(file, message, end > start ? end - start : 0,
				    PC_MAIL_MBOX, func, data);
			start = end;
			continue;
		}
		/* Not a message: report it, then start again at the next. */
		next = next_from_line(stream, start + 1);
		end = next >= 0 ? next : g_mime_stream_length(stream);
		more = emit(file, NULL, end > start ? end - start : 0,
			    PC_MAIL_MBOX, func, data);
		if (next < 0)
			break;
		g_mime_stream_seek(stream, next, GMIME_STREAM_SEEK_SET);
		g_mime_parser_init_with_stream(parser, stream);
		start = next;
	}
	return more;
}

/* Takes @fd. */
static gboolean read_single(const char *file, int fd, guint64 size,
			    guint64 cap, PcInputFunc func, gpointer data)
{
	g_autoptr(GMimeStream) stream = g_mime_stream_fs_new(fd);
	g_autoptr(GMimeStream) head = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) message = NULL;

	/* Past the cap only the headers matter; bound what they may cost. */
	if (size > cap)
		head = g_mime_stream_substream(stream, 0,
					       MIN(size, HEAD_BYTES));
	parser = g_mime_parser_new_with_stream(head ? head : stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	/* NULL for bytes that are no mail at all: the caller says so. */
	message = g_mime_parser_construct_message(parser, NULL);
	return emit(file, message, size, PC_MAIL_NONE, func, data);
}

static gboolean is_mbox(int fd)
{
	char buf[5];

	return pread(fd, buf, sizeof(buf), 0) == sizeof(buf) &&
	       !memcmp(buf, "From ", 5);
}

/* Takes @fd. */
static gboolean read_fd(const char *file, int fd, guint64 cap,
			PcInputFunc func, gpointer data)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		g_autoptr(GError) local = NULL;

		set_errno_error(&local, file);
		close(fd);
		return emit_error(file, local, func, data);
	}
	if (is_mbox(fd))
		return read_mbox(file, fd, func, data);
	return read_single(file, fd, st.st_size, cap, func, data);
}

/*
 * Standard input is spooled to an anonymous file so that it is seekable
 * like any other input and its bodies need not sit in memory.
 */
static int spool_stdin(GError **error)
{
	int fd = open(g_get_tmp_dir(), O_TMPFILE | O_RDWR | O_EXCL, 0600);
	char buf[65536];
	ssize_t n;

	if (fd < 0) {
		g_autofree char *name = NULL;

		fd = g_file_open_tmp("pullcheck-stdin-XXXXXX", &name, error);
		if (fd < 0)
			return -1;
		unlink(name);
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, n) != n) {
			set_errno_error(error, "standard input");
			close(fd);
			return -1;
		}
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir_entries(GPtrArray *out, const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d)))
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(out, g_build_filename(dir, names->pdata[i],
						      NULL));
}

static gboolean read_maildir(const char *path, guint64 cap, PcInputFunc func,
			     gpointer data, GError **error)
{
	g_autofree char *new_dir = g_build_filename(path, "new", NULL);
	g_autofree char *cur_dir = g_build_filename(path, "cur", NULL);
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	if (!g_file_test(new_dir, G_FILE_TEST_IS_DIR) &&
	    !g_file_test(cur_dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s: a directory, but not a Maildir (no cur/ or new/)",
			    path);
		return FALSE;
	}
	add_dir_entries(files, new_dir);
	add_dir_entries(files, cur_dir);
	for (guint i = 0; i < files->len; i++) {
		const char *file = files->pdata[i];
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0) {
			g_autoptr(GError) local = NULL;

			set_errno_error(&local, file);
			if (!emit_error(file, local, func, data))
				break;
			continue;
		}
		if (!read_fd(file, fd, cap, func, data))
			break;
	}
	return TRUE;
}

gboolean pc_input_foreach(const char *path, guint64 cap, PcInputFunc func,
			  gpointer data, GError **error)
{
	int fd;

	/* The readers' own results only say whether @func wants more. */
	if (!strcmp(path, "-")) {
		fd = spool_stdin(error);
		if (fd < 0)
			return FALSE;
		read_fd(path, fd, cap, func, data);
		return TRUE;
	}
	if (g_file_test(path, G_FILE_TEST_IS_DIR))
		return read_maildir(path, cap, func, data, error);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_errno_error(error, path);
	read_fd(path, fd, cap, func, data);
	return TRUE;
}
