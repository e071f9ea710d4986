// SPDX-License-Identifier: GPL-2.0-only
/*
 * lock: flock(2) on a file that names its holder. flock, not fcntl
 * locks: a flock belongs to the open file, so a second descriptor in
 * the same process (SQLite's, a library's) cannot drop it by closing.
 * The descriptor is close-on-exec, so a build started while the lock is
 * held does not keep it after the daemon is gone.
 */
#define G_LOG_DOMAIN "pullcheck-lock"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "terminal.h"

/* What a holder writes is one short line; read no more than this. */
#define HOLDER_MAX 256

G_DEFINE_QUARK(pc-lock-error-quark, pc_lock_error)

struct _PcLock {
	int fd;
};

/*
 * The holder's line ("pid 123 since ... (pullcheck watch)"). It writes
 * it just after it took the lock, so an empty file is read again once.
 * (transfer full)
 */
static char *read_holder(int fd)
{
	char buf[HOLDER_MAX + 1];

	for (guint tries = 0; tries < 5; tries++) {
		ssize_t n = pread(fd, buf, HOLDER_MAX, 0);

		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			/* The file is ours, but print nothing raw from a file. */
			return pc_terminal_escape(buf, PC_TERMINAL_LINE);
		}
		g_usleep(50 * 1000);
	}
	return g_strdup("a process that did not say who it is");
}

static gboolean write_holder(int fd, const char *what, GError **error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S %z");
	g_autofree char *line = g_strdup_printf(
		"pid %d since %s (%s)\n", (int)getpid(), stamp, what);
	gsize len = strlen(line);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, len, 0) != (ssize_t)len) {
		g_set_error(error, PC_LOCK_ERROR, PC_LOCK_ERROR_FAILED,
			    "cannot write: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

PcLock *pc_lock_take(const char *path, const char *what, GError **error)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			    O_NONBLOCK, 0600);
	struct stat st;
	PcLock *lock;

	if (fd < 0) {
		g_set_error(error, PC_LOCK_ERROR, PC_LOCK_ERROR_FAILED,
			    "%s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, PC_LOCK_ERROR, PC_LOCK_ERROR_FAILED,
			    "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		g_autofree char *holder = NULL;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			g_set_error(error, PC_LOCK_ERROR, PC_LOCK_ERROR_FAILED,
				    "%s: cannot lock: %s", path,
				    g_strerror(errno));
			close(fd);
			return NULL;
		}
		holder = read_holder(fd);
		g_set_error(error, PC_LOCK_ERROR, PC_LOCK_ERROR_BUSY,
			    "%s is held by %s", path, holder);
		close(fd);
		return NULL;
	}
	if (!write_holder(fd, what, error)) {
		g_prefix_error(error, "%s: ", path);
		close(fd);
		return NULL;
	}
	lock = g_new0(PcLock, 1);
	lock->fd = fd;
	return lock;
}

void pc_lock_release(PcLock *lock)
{
	if (!lock)
		return;
	/* The line stays: it says who held it last, which is true. */
	close(lock->fd);
	g_free(lock);
}
