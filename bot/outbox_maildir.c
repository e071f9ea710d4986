// SPDX-License-Identifier: GPL-2.0-only
/*
 * outbox_maildir: each reply becomes one file in a Maildir's new/, for
 * an operator to read, or for another program to send. The message is
 * written as it was given; Maildir keeps no envelope.
 *
 * The steps are the Maildir protocol's: write under tmp/ with a name no
 * one else uses, fsync, rename into new/, fsync new/. A reader never sees
 * a partial file, and once send() returns TRUE the file survives a crash.
 */
#define G_LOG_DOMAIN "pullcheck-outbox"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "outbox_drivers.h"

typedef struct {
	PcOutbox parent;
	char *dir;
	char *host;	/* for file names, with '/' and ':' escaped */
} MaildirOutbox;

/*
 * Whether a file system error is worth a retry. Almost all are: a full
 * disk, a full quota, a read-only remount, permissions, a missing
 * directory are states of the machine that an operator (or time) repairs,
 * and the same message goes through afterwards. Only EFBIG says something
 * about the message itself: it is larger than this file system (or our
 * file size limit) allows, and will be again next time.
 */
static PcOutboxError errno_kind(int err)
{
	return err == EFBIG ? PC_OUTBOX_ERROR_PERMANENT
			    : PC_OUTBOX_ERROR_TEMPORARY;
}

static gboolean fail_errno(GError **error, int err, const char *what,
			   const char *path)
{
	if (err == ENOSPC || err == EDQUOT)
		g_set_error(error, PC_OUTBOX_ERROR, errno_kind(err),
			    "%s: no space left on %s", what, path);
	else
		g_set_error(error, PC_OUTBOX_ERROR, errno_kind(err),
			    "%s %s: %s", what, path, g_strerror(err));
	return FALSE;
}

static gboolean fsync_path(const char *path, int flags, GError **error)
{
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return fail_errno(error, errno, "cannot open", path);
	if (fsync(fd) < 0) {
		err = errno;
		close(fd);
		return fail_errno(error, err, "cannot fsync", path);
	}
	close(fd);
	return TRUE;
}

/* Writes and fsyncs @path, which must not exist yet. */
static gboolean write_new_file(const char *path, GBytes *message,
			       GError **error)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(message, &len);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int err;

	if (fd < 0)
		return fail_errno(error, errno, "cannot create", path);
	if (!pc_fileio_write_all(fd, data, len) || fsync(fd) < 0) {
		err = errno;
		close(fd);
		return fail_errno(error, err, "cannot write", path);
	}
	if (close(fd) < 0)
		return fail_errno(error, errno, "cannot write", path);
	return TRUE;
}

/*
 * time.MusecPpidQseq.host, the modern form of the Maildir name: the
 * sequence number keeps two sends in the same microsecond apart, the
 * pid two processes, the host two machines sharing the directory.
 */
static char *unique_name(const MaildirOutbox *self)
{
	static gint seq;
	gint64 now = g_get_real_time();

	return g_strdup_printf("%" G_GINT64_FORMAT ".M%06dP%dQ%d.%s",
			       now / G_USEC_PER_SEC,
			       (int)(now % G_USEC_PER_SEC), (int)getpid(),
			       g_atomic_int_add(&seq, 1), self->host);
}

static gboolean maildir_send(PcOutbox *out, const char *from,
			     const char *const *rcpts, GBytes *message,
			     GError **error)
{
	MaildirOutbox *self = (MaildirOutbox *)out;
	g_autofree char *name = unique_name(self);
	g_autofree char *tmp = g_build_filename(self->dir, "tmp", name, NULL);
	g_autofree char *new = g_build_filename(self->dir, "new", name, NULL);
	g_autofree char *newdir = g_build_filename(self->dir, "new", NULL);
	g_autofree char *id = pc_outbox_message_id(message);

	if (!write_new_file(tmp, message, error)) {
		g_unlink(tmp);
		return FALSE;
	}
	if (rename(tmp, new) < 0) {
		int err = errno;

		g_unlink(tmp);
		return fail_errno(error, err, "cannot move into new/:", tmp);
	}
	/*
	 * Without this the rename may not survive a crash. If it fails, take
	 * the file back out so that the retry the error asks for does not
	 * leave two copies.
	 */
	if (!fsync_path(newdir, O_DIRECTORY, error)) {
		g_unlink(new);
		return FALSE;
	}
	g_message("%s: written to %s", id ? id : "(no Message-ID)", new);
	return TRUE;
}

static void maildir_free(PcOutbox *out)
{
	MaildirOutbox *self = (MaildirOutbox *)out;

	g_free(self->dir);
	g_free(self->host);
	g_free(self);
}

static const PcOutboxOps maildir_ops = {
	.name = "maildir",
	.send = maildir_send,
	.free = maildir_free,
};

/* The host name with the two characters a Maildir name cannot hold escaped. */
static char *maildir_host(void)
{
	const char *host = g_get_host_name();
	GString *s = g_string_new(NULL);

	for (const char *p = host; *p; p++) {
		if (*p == '/')
			g_string_append(s, "\\057");
		else if (*p == ':')
			g_string_append(s, "\\072");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

PcOutbox *pc_outbox_maildir_new(const PcConfig *config, GError **error)
{
	g_autofree char *failed = NULL;
	MaildirOutbox *self;

	if (!pc_fileio_make_maildir(config->outbox_maildir, &failed)) {
		fail_errno(error, errno, "cannot create outbox", failed);
		return NULL;
	}
	self = g_new0(MaildirOutbox, 1);
	self->parent.ops = &maildir_ops;
	self->parent.config = config;
	self->dir = g_strdup(config->outbox_maildir);
	self->host = maildir_host();
	return &self->parent;
}
