// SPDX-License-Identifier: GPL-2.0-only
/*
 * source_maildir: the built-in default source. Mail is delivered into a
 * Maildir (by the MTA, procmail, fdm, getmail, dovecot-lda...); every
 * file in new/ is a message pullcheck has not handled yet. Once the
 * daemon has recorded it, ack() moves it to cur/ with the standard info
 * part ":2,", keeping any flags it had, as a mail client would on reading.
 *
 * The verdict is written the way Dovecot keeps IMAP keywords in a
 * Maildir: a letter a-z in the file name's flags, mapped to the keyword
 * by the "dovecot-keywords" file beside cur/ ("0 $PullcheckPass"). A
 * maintainer whose mail client reads this Maildir through Dovecot (the
 * common setup for a server-side Maildir) sees the $PullcheckPass,
 * $PullcheckFail and $PullcheckUnchecked keywords and can filter, sort
 * and search on them like any other IMAP keyword; tools that speak
 * Dovecot's convention (doveadm, mbsync's Maildir side) keep them. A
 * sidecar file would be seen by no client at all, and an added header
 * would mean rewriting the maintainer's message. Lowercase letters are
 * outside the Maildir standard's flags, which is exactly why Dovecot
 * uses them for keywords: clients that do not know the convention
 * ignore them and keep them when they rename the file.
 */
#define G_LOG_DOMAIN "pullcheck-maildir"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "source_drivers.h"
#include "verdict.h"

#define KEYWORDS_FILE "dovecot-keywords"
/* Dovecot's limit too: one letter each, a to z. */
#define MAX_KEYWORDS 26
/* A dovecot-keywords file is a few hundred bytes; more is not one. */
#define MAX_KEYWORDS_SIZE 65536
/* A lock older than this was left by a process that died. */
#define STALE_LOCK_S 60
#define READ_CHUNK 65536

typedef struct {
	PcSource parent;
	char *dir;
	char *new_dir;
	char *cur_dir;
	int inotify_fd;	/* on new/, -1 if inotify is not available */
	GHashTable *passed_over;	/* names in new/ that are no mail file */
} MaildirSource;

static gboolean fail_errno(GError **error, int err, const char *what,
			   const char *path)
{
	g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL, "%s %s: %s",
		    what, path, g_strerror(err));
	return FALSE;
}

/* The message's id: its file name without the ":2,FLAGS" info part. */
static char *name_id(const char *name)
{
	return g_strndup(name, strcspn(name, ":"));
}

/* An id as fetch_new hands it out: a plain file name, not a path. */
static gboolean check_id(const char *id, GError **error)
{
	if (*id && *id != '.' && !strchr(id, '/') && !strchr(id, ':'))
		return TRUE;
	g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
		    "\"%s\" is not a Maildir message id", id);
	return FALSE;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names in @dir, sorted; dot files left out. (transfer full) */
static GPtrArray *list_names(const char *dir, GError **error)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, error);
	GPtrArray *names;
	const char *name;

	if (!d) {
		g_prefix_error(error, "Maildir: ");
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d))) {
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	return names;
}

/*
 * The name in @dir of the message @id, in *@name, NULL if there is none.
 * (transfer full)
 */
static gboolean find_name(const char *dir, const char *id, char **name,
			  GError **error)
{
	g_autoptr(GPtrArray) names = list_names(dir, error);
	gsize len = strlen(id);

	*name = NULL;
	if (!names)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		const char *n = names->pdata[i];

		if (!strncmp(n, id, len) && (!n[len] || n[len] == ':')) {
			*name = g_strdup(n);
			break;
		}
	}
	return TRUE;
}

/*
 * Reads @fd to the end, but never more than @cap bytes: a file that
 * turns out longer (it may grow while we read) leaves *@raw NULL, with
 * the length seen so far in *@size.
 */
static gboolean read_capped(int fd, guint64 cap, GBytes **raw, guint64 *size)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();

	for (;;) {
		gsize want = MIN(READ_CHUNK, cap + 1 - buf->len);
		gsize at = buf->len;
		ssize_t n;

		g_byte_array_set_size(buf, at + want);
		n = read(fd, buf->data + at, want);
		g_byte_array_set_size(buf, at + MAX(n, 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		if (buf->len > cap) {
			*size = MAX(*size, buf->len);
			return TRUE;
		}
		if (n == 0)
			break;
	}
	*size = buf->len;
	*raw = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
	return TRUE;
}

/* What a file in new/ is when it is not a message file. */
static const char *not_mail(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISDIR(mode))
		return "a directory";
	return "not a regular file";
}

/*
 * One message file, in *@raw unless over @cap. Passed over, with
 * *@skip set: a file gone meanwhile (another reader took it; *@skip is
 * ""), and anything that is not a regular file (a symlink, a FIFO, a
 * device: *@skip says what). O_NONBLOCK, so that opening a FIFO nobody
 * writes to returns at once instead of blocking the daemon for good.
 */
static gboolean read_message(const char *path, guint64 cap, GBytes **raw,
			     guint64 *size, const char **skip, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
				    O_NONBLOCK);
	struct stat st;
	int err;

	*raw = NULL;
	*skip = NULL;
	if (fd < 0 && errno == ENOENT) {
		*skip = "";
		return TRUE;
	}
	if (fd < 0 && errno == ELOOP) {
		*skip = "a symbolic link";
		return TRUE;
	}
	if (fd < 0 && (errno == ENXIO || errno == EWOULDBLOCK)) {
		/* A socket, or a FIFO that refuses a non-blocking open. */
		*skip = "not a regular file";
		return TRUE;
	}
	if (fd < 0)
		return fail_errno(error, errno, "cannot open", path);
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return fail_errno(error, err, "cannot stat", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*skip = not_mail(st.st_mode);
		return TRUE;
	}
	*size = st.st_size;
	/* Over the cap by its size: not a byte of it is read. */
	if ((guint64)st.st_size <= cap && !read_capped(fd, cap, raw, size)) {
		err = errno;
		close(fd);
		return fail_errno(error, err, "cannot read", path);
	}
	close(fd);
	return TRUE;
}

/* Forgets what inotify saw: what is in new/ now is about to be read. */
static void drain_events(MaildirSource *self)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	if (self->inotify_fd < 0)
		return;
	while (read(self->inotify_fd, buf, sizeof(buf)) > 0)
		;
}

static gboolean maildir_open(PcSource *src, GError **error)
{
	return TRUE;
}

/*
 * Says once per daemon run that a name in new/ is no message: it stays
 * where it is, for the person who put it there, and is not read.
 */
static void pass_over(MaildirSource *self, const char *name, const char *what)
{
	if (!*what || g_hash_table_contains(self->passed_over, name))
		return;
	g_hash_table_add(self->passed_over, g_strdup(name));
	g_warning("%s/%s is %s, not a message: passed over", self->new_dir,
		  name, what);
}

static gboolean maildir_fetch_new(PcSource *src, PcSourceFunc func,
				  gpointer data, GError **error)
{
	MaildirSource *self = (MaildirSource *)src;
	g_autoptr(GPtrArray) names = NULL;
	guint64 cap = src->config->max_message_bytes;

	drain_events(self);
	names = list_names(self->new_dir, error);
	if (!names)
		return FALSE;
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path =
			g_build_filename(self->new_dir, names->pdata[i], NULL);
		g_autofree char *id = name_id(names->pdata[i]);
		g_autoptr(GBytes) raw = NULL;
		PcSourceMessage msg = { id, NULL, 0 };
		const char *skip;

		if (!read_message(path, cap, &raw, &msg.size, &skip, error))
			return FALSE;
		if (skip) {
			pass_over(self, names->pdata[i], skip);
			continue;
		}
		msg.raw = raw;
		if (!raw)
			g_message("%s: %" G_GUINT64_FORMAT " bytes, over the "
				  "limit of %" G_GUINT64_FORMAT, id, msg.size,
				  cap);
		if (!func(&msg, data))
			break;
	}
	return TRUE;
}

static gboolean maildir_wait(PcSource *src, guint timeout_s,
			     GCancellable *cancellable, GError **error)
{
	MaildirSource *self = (MaildirSource *)src;
	int cancel_fd = g_cancellable_get_fd(cancellable);
	struct pollfd fds[2];
	nfds_t n = 0;
	gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;
	int err = 0;

	if (self->inotify_fd >= 0)
		fds[n++] = (struct pollfd){ self->inotify_fd, POLLIN, 0 };
	if (cancel_fd >= 0)
		fds[n++] = (struct pollfd){ cancel_fd, POLLIN, 0 };
	while (!g_cancellable_is_cancelled(cancellable)) {
		gint64 left = deadline - g_get_monotonic_time();
		int r;

		if (left <= 0)
			break;
		r = poll(fds, n, (int)MIN(left / 1000 + 1, G_MAXINT));
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR) {
			err = errno;
			break;
		}
	}
	if (cancel_fd >= 0)
		g_cancellable_release_fd(cancellable);
	if (err)
		return fail_errno(error, err, "cannot watch", self->new_dir);
	return TRUE;
}

/* The flags of a name with an info part, "" without one. */
static const char *name_flags(const char *name)
{
	const char *info = strstr(name, ":2,");

	return info ? info + 3 : "";
}

static gboolean rename_message(const char *from, const char *to,
			       GError **error)
{
	if (rename(from, to) == 0)
		return TRUE;
	return fail_errno(error, errno, "cannot rename", from);
}

static gboolean maildir_ack(PcSource *src, const char *id, GError **error)
{
	MaildirSource *self = (MaildirSource *)src;
	g_autofree char *name = NULL;
	g_autofree char *done = NULL;
	g_autofree char *from = NULL;
	g_autofree char *to = NULL;

	if (!check_id(id, error) ||
	    !find_name(self->new_dir, id, &name, error))
		return FALSE;
	if (!name) {
		/* Acknowledged before: ack is idempotent. */
		if (!find_name(self->cur_dir, id, &done, error))
			return FALSE;
		if (done)
			return TRUE;
		g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
			    "%s: no such message in %s", id, self->dir);
		return FALSE;
	}
	from = g_build_filename(self->new_dir, name, NULL);
	to = g_strdup_printf("%s/%s:2,%s", self->cur_dir, id, name_flags(name));
	if (!rename_message(from, to, error))
		return FALSE;
	g_debug("%s: moved to cur/", id);
	return TRUE;
}

/* --- verdicts as Dovecot keywords ---------------------------------------- */

/*
 * The keyword names of dovecot-keywords by index ("0 $PullcheckPass"),
 * NULL where an index is free. A missing file is an empty table. Read
 * without following a link or blocking: a FIFO or a link to /dev/zero
 * planted in the Maildir is refused, not waited on or slurped.
 */
static gboolean read_keywords(const char *path, char *names[MAX_KEYWORDS],
			      GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;

	if (!pc_fileio_read_below(dir, base, MAX_KEYWORDS_SIZE, &text, &len,
				  &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
			    "%s", local->message);
		return FALSE;
	}
	if (memchr(text, '\0', len)) {
		g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
			    "%s is not a dovecot-keywords file", path);
		return FALSE;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char *sp = strchr(*l, ' ');
		guint64 i;

		/* Dovecot skips what it cannot read; so do we. */
		if (!sp || !sp[1])
			continue;
		*sp = '\0';
		if (!g_ascii_string_to_unsigned(*l, 10, 0, MAX_KEYWORDS - 1,
						&i, NULL) || names[i])
			continue;
		names[i] = g_strdup(sp + 1);
	}
	return TRUE;
}

static void clear_keywords(char *names[MAX_KEYWORDS])
{
	for (guint i = 0; i < MAX_KEYWORDS; i++)
		g_clear_pointer(&names[i], g_free);
}

static int keyword_index(char *const names[MAX_KEYWORDS], const char *kw)
{
	for (int i = 0; i < MAX_KEYWORDS; i++) {
		if (names[i] && !strcmp(names[i], kw))
			return i;
	}
	return -1;
}

/*
 * Takes Dovecot's lock on dovecot-keywords: the lock file is also the new
 * file, renamed over the old one when written (Dovecot's file_dotlock).
 */
static int lock_keywords(const char *lock, GError **error)
{
	for (guint tries = 0; tries < 50; tries++) {
		int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;
		struct stat st;

		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0)
				fail_errno(error, errno, "cannot create", lock);
			return fd;
		}
		if (stat(lock, &st) == 0 && st.st_mtime + STALE_LOCK_S < now)
			g_unlink(lock);
		else
			g_usleep(100 * 1000);
	}
	g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
		    "%s: locked by another process for 5 s", lock);
	return -1;
}

static gboolean write_keywords(int fd, const char *lock, const char *path,
			       char *const names[MAX_KEYWORDS], GError **error)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < MAX_KEYWORDS; i++) {
		if (names[i])
			g_string_append_printf(s, "%u %s\n", i, names[i]);
	}
	if (!pc_fileio_write_all(fd, s->str, s->len) || fsync(fd) < 0)
		return fail_errno(error, errno, "cannot write", lock);
	if (rename(lock, path) < 0)
		return fail_errno(error, errno, "cannot rename", lock);
	return TRUE;
}

/* Gives @kw a letter in dovecot-keywords, under the lock. */
static int add_keyword(MaildirSource *self, const char *kw, GError **error)
{
	g_autofree char *path =
		g_build_filename(self->dir, KEYWORDS_FILE, NULL);
	g_autofree char *lock = g_strconcat(path, ".lock", NULL);
	char *names[MAX_KEYWORDS] = { NULL };
	gboolean written = FALSE;
	int fd = lock_keywords(lock, error);
	int i = -1;

	if (fd < 0)
		return -1;
	if (!read_keywords(path, names, error))
		goto out;
	i = keyword_index(names, kw);
	if (i >= 0)
		goto out;	/* someone else added it meanwhile */
	for (i = 0; i < MAX_KEYWORDS && names[i]; i++)
		;
	if (i == MAX_KEYWORDS) {
		g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
			    "%s: all %d keyword letters are taken", path,
			    MAX_KEYWORDS);
		i = -1;
		goto out;
	}
	names[i] = g_strdup(kw);
	written = write_keywords(fd, lock, path, names, error);
	if (!written)
		i = -1;
out:
	close(fd);
	if (!written)
		g_unlink(lock);
	clear_keywords(names);
	return i;
}

static int compare_chars(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

/*
 * The new flags: @flags without the letters of the verdict keywords in
 * @drop, with @add, sorted as the Maildir specification asks.
 */
static char *verdict_flags(const char *flags, const char *drop, char add)
{
	GString *s = g_string_new(NULL);

	for (const char *p = flags; *p; p++) {
		if (!strchr(drop, *p) && *p != add)
			g_string_append_c(s, *p);
	}
	g_string_append_c(s, add);
	qsort(s->str, s->len, 1, compare_chars);
	return g_string_free(s, FALSE);
}

static gboolean maildir_set_verdict(PcSource *src, const char *id,
				    const char *verdict, GError **error)
{
	const char *const *keywords = pc_outcome_keywords();
	MaildirSource *self = (MaildirSource *)src;
	g_autofree char *path =
		g_build_filename(self->dir, KEYWORDS_FILE, NULL);
	const char *kw = pc_source_keyword(verdict);
	char *names[MAX_KEYWORDS] = { NULL };
	char drop[MAX_KEYWORDS + 1] = "";
	gboolean ok = FALSE;
	int i;

	if (!check_id(id, error) || !read_keywords(path, names, error))
		goto out;
	i = keyword_index(names, kw);
	if (i < 0 && (i = add_keyword(self, kw, error)) < 0)
		goto out;
	for (gsize v = 0; keywords[v]; v++) {
		int j = keyword_index(names, keywords[v]);

		if (j >= 0 && j != i)
			drop[strlen(drop)] = 'a' + j;
	}
	/* Another program may rename the file between our look and ours. */
	for (guint tries = 0; tries < 3 && !ok; tries++) {
		g_autofree char *name = NULL;
		g_autofree char *flags = NULL;
		g_autofree char *from = NULL;
		g_autofree char *to = NULL;

		if (!find_name(self->cur_dir, id, &name, error))
			goto out;
		if (!name) {
			g_set_error(error, PC_SOURCE_ERROR,
				    PC_SOURCE_ERROR_LOCAL,
				    "%s: no such message in %s "
				    "(not acknowledged yet?)",
				    id, self->cur_dir);
			goto out;
		}
		flags = verdict_flags(name_flags(name), drop, 'a' + i);
		from = g_build_filename(self->cur_dir, name, NULL);
		to = g_strdup_printf("%s/%s:2,%s", self->cur_dir, id, flags);
		ok = !strcmp(from, to) || rename(from, to) == 0;
		if (!ok && errno != ENOENT) {
			fail_errno(error, errno, "cannot rename", from);
			goto out;
		}
	}
	if (!ok)
		g_set_error(error, PC_SOURCE_ERROR, PC_SOURCE_ERROR_LOCAL,
			    "%s: renamed by another program again and again",
			    id);
	else
		g_message("%s: marked %s", id, kw);
out:
	clear_keywords(names);
	return ok;
}

static char *maildir_describe(PcSource *src)
{
	MaildirSource *self = (MaildirSource *)src;
	g_autoptr(GPtrArray) names = list_names(self->new_dir, NULL);

	if (!names)
		return g_strdup_printf("maildir:%s cannot be read", self->dir);
	return g_strdup_printf("maildir:%s %u new", self->dir, names->len);
}

static void maildir_free(PcSource *src)
{
	MaildirSource *self = (MaildirSource *)src;

	if (self->inotify_fd >= 0)
		close(self->inotify_fd);
	g_hash_table_unref(self->passed_over);
	g_free(self->dir);
	g_free(self->new_dir);
	g_free(self->cur_dir);
	g_free(self);
}

static const PcSourceOps maildir_ops = {
	.name = "maildir",
	.open = maildir_open,
	.fetch_new = maildir_fetch_new,
	.wait = maildir_wait,
	.ack = maildir_ack,
	.set_verdict = maildir_set_verdict,
	.describe = maildir_describe,
	.free = maildir_free,
};

/*
 * inotify on new/, so that wait() returns as a message is delivered
 * (Maildir delivery renames into new/). Without it, wait() sleeps.
 */
static int watch_new(const char *new_dir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, new_dir, IN_MOVED_TO | IN_CREATE) < 0) {
		g_debug("cannot watch %s: %s", new_dir, g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

PcSource *pc_source_maildir_new(const PcConfig *config, PcStore *store,
				GError **error)
{
	g_autofree char *failed = NULL;
	MaildirSource *self;

	if (!pc_fileio_make_maildir(config->source_maildir, &failed)) {
		fail_errno(error, errno, "cannot create Maildir", failed);
		return NULL;
	}
	self = g_new0(MaildirSource, 1);
	self->parent.ops = &maildir_ops;
	self->parent.config = config;
	self->parent.store = store;
	self->dir = g_strdup(config->source_maildir);
	self->new_dir = g_build_filename(self->dir, "new", NULL);
	self->cur_dir = g_build_filename(self->dir, "cur", NULL);
	self->inotify_fd = watch_new(self->new_dir);
	self->passed_over = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, NULL);
	return &self->parent;
}
