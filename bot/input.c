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

/*
 * PcStreamWindow: a file read through one shared window of its bytes.
 *
 * GMime's parser reads 4 KiB at a time, and each part it hands out (with
 * persist_stream) is a substream that seeks the shared descriptor: through
 * GMimeStreamFs that was an lseek() and a read() per 4 KiB, the biggest
 * cost the kernel had in `pullcheck parse`. Here the stream and all its
 * substreams read from one buffer of WINDOW_BYTES, refilled with pread()
 * where a read falls outside it: the parser moves through it front to
 * back, and the text parts decoded after it are mostly still in it. A
 * mapping would need no buffer, but a file cut short under it ends the
 * process with SIGBUS; pread() just reads less.
 */
#define WINDOW_BYTES (128 * 1024)

/* Shared by a stream and its substreams, all in one thread. */
typedef struct {
	int refs;
	int fd;			/* owned: closed with the last reference */
	gint64 start;		/* file offset of buf[0] */
	gsize len;		/* bytes of buf that hold the file */
	char buf[WINDOW_BYTES];
} Window;

typedef struct {
	GMimeStream parent;
	Window *win;		/* NULL once closed */
	gboolean eos;
} PcStreamWindow;

typedef struct {
	GMimeStreamClass parent_class;
} PcStreamWindowClass;

G_DEFINE_TYPE(PcStreamWindow, pc_stream_window, GMIME_TYPE_STREAM)

static void window_unref(Window *win)
{
	if (--win->refs)
		return;
	close(win->fd);
	g_free(win);
}

/* Reads what it can of @len bytes at @pos: 0 at the end, -1 on error. */
static ssize_t window_read(Window *win, gint64 pos, char *out, gsize len)
{
	gsize off;

	if (pos < win->start || pos >= win->start + (gint64)win->len) {
		ssize_t n;

		do {
			n = pread(win->fd, win->buf, sizeof(win->buf), pos);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		win->start = pos;
		win->len = n;
		if (n == 0)
			return 0;
	}
	off = pos - win->start;
	len = MIN(len, win->len - off);
	memcpy(out, win->buf + off, len);
	return len;
}

static ssize_t window_stream_read(GMimeStream *stream, char *buf, size_t len)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;
	ssize_t n;

	if (!ws->win) {
		errno = EBADF;
		return -1;
	}
	if (stream->bound_end != -1 && stream->position >= stream->bound_end) {
		errno = EINVAL;
		return -1;
	}
	if (stream->bound_end != -1)
		len = MIN(stream->bound_end - stream->position, (gint64)len);
	n = window_read(ws->win, stream->position, buf, len);
	if (n > 0)
		stream->position += n;
	else if (n == 0)
		ws->eos = TRUE;
	return n;
}

static ssize_t window_stream_write(GMimeStream *stream, const char *buf,
				   size_t len)
{
	errno = EBADF;
	return -1;
}

static int window_stream_flush(GMimeStream *stream)
{
	return 0;
}

static int window_stream_close(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;

	g_clear_pointer(&ws->win, window_unref);
	return 0;
}

static gboolean window_stream_eos(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;

	if (!ws->win)
		return TRUE;
	if (stream->bound_end != -1)
		return stream->position >= stream->bound_end;
	return ws->eos;
}

static int window_stream_reset(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;

	if (!ws->win) {
		errno = EBADF;
		return -1;
	}
	ws->eos = FALSE;
	return 0;
}

/* The end of the file now, or of the bounds. */
static gint64 window_stream_end(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;
	struct stat st;

	if (stream->bound_end != -1)
		return stream->bound_end;
	if (fstat(ws->win->fd, &st) < 0)
		return -1;
	return st.st_size;
}

static gint64 window_stream_seek(GMimeStream *stream, gint64 offset,
				 GMimeSeekWhence whence)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;
	gint64 real, end;

	if (!ws->win) {
		errno = EBADF;
		return -1;
	}
	switch (whence) {
	case GMIME_STREAM_SEEK_SET:
		real = offset;
		break;
	case GMIME_STREAM_SEEK_CUR:
		real = stream->position + offset;
		break;
	default:
		if ((end = window_stream_end(stream)) < 0)
			return -1;
		real = end + offset;
		break;
	}
	if (real < stream->bound_start ||
	    (stream->bound_end != -1 && real > stream->bound_end)) {
		errno = EINVAL;
		return -1;
	}
	if ((stream->bound_end != -1 && real < stream->bound_end) ||
	    (ws->eos && real < stream->position))
		ws->eos = FALSE;
	stream->position = real;
	return real;
}

static gint64 window_stream_tell(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;

	if (!ws->win) {
		errno = EBADF;
		return -1;
	}
	return stream->position;
}

static gint64 window_stream_length(GMimeStream *stream)
{
	PcStreamWindow *ws = (PcStreamWindow *)stream;
	gint64 end;

	if (!ws->win) {
		errno = EBADF;
		return -1;
	}
	if ((end = window_stream_end(stream)) < 0)
		return -1;
	if (end < stream->bound_start) {
		errno = EINVAL;
		return -1;
	}
	return end - stream->bound_start;
}

static GMimeStream *window_stream_new(Window *win, gint64 start, gint64 end)
{
	PcStreamWindow *ws = g_object_new(pc_stream_window_get_type(), NULL);

	g_mime_stream_construct(GMIME_STREAM(ws), start, end);
	ws->win = win;
	win->refs++;
	return GMIME_STREAM(ws);
}

static GMimeStream *window_stream_substream(GMimeStream *stream, gint64 start,
					    gint64 end)
{
	return window_stream_new(((PcStreamWindow *)stream)->win, start, end);
}

static void window_stream_finalize(GObject *object)
{
	window_stream_close(GMIME_STREAM(object));
	G_OBJECT_CLASS(pc_stream_window_parent_class)->finalize(object);
}

static void pc_stream_window_class_init(PcStreamWindowClass *klass)
{
	GMimeStreamClass *stream_class = GMIME_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = window_stream_finalize;
	stream_class->read = window_stream_read;
	stream_class->write = window_stream_write;
	stream_class->flush = window_stream_flush;
	stream_class->close = window_stream_close;
	stream_class->eos = window_stream_eos;
	stream_class->reset = window_stream_reset;
	stream_class->seek = window_stream_seek;
	stream_class->tell = window_stream_tell;
	stream_class->length = window_stream_length;
	stream_class->substream = window_stream_substream;
}

static void pc_stream_window_init(PcStreamWindow *ws)
{
}

/* (transfer full) A stream of the file at @fd, from its start. Takes @fd. */
static GMimeStream *open_mbox_stream(int fd)
{
	Window *win = g_new(Window, 1);

	win->refs = 0;
	win->fd = fd;
	win->start = 0;
	win->len = 0;
	return window_stream_new(win, 0, -1);
}

/* Takes @fd. */
static gboolean read_mbox(const char *file, int fd, PcInputFunc func,
			  gpointer data)
{
	g_autoptr(GMimeStream) stream = open_mbox_stream(fd);
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

/*
 * A file of a Maildir, open for reading, or -1 with @error. Anyone who
 * can deliver mail can leave a FIFO, a device or a symlink there: it is
 * opened without blocking and without following, and anything but a
 * regular file is an error for that entry, not a read that never ends.
 */
static int open_mail_file(const char *file, GError **error)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
				    O_NONBLOCK);
	struct stat st;

	if (fd < 0) {
		set_errno_error(error, file);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		set_errno_error(error, file);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s: not a regular file, not read", file);
		close(fd);
		return -1;
	}
	return fd;
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
		g_autoptr(GError) local = NULL;
		int fd = open_mail_file(file, &local);

		if (fd < 0) {
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
