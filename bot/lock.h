/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lock: one process at a time on a directory. An exclusive flock(2) on
 * a file in it, held for the life of the lock; the file says who holds
 * it (pid, since when, what) so the next one can say so. The kernel
 * drops the lock when the holder dies, however it dies: there is no
 * stale lock to clean up.
 */
#ifndef PC_LOCK_H
#define PC_LOCK_H

#include <glib.h>

G_BEGIN_DECLS

#define PC_LOCK_ERROR (pc_lock_error_quark())
GQuark pc_lock_error_quark(void);

typedef enum {
	PC_LOCK_ERROR_BUSY,	/* another process holds it */
	PC_LOCK_ERROR_FAILED,	/* the lock file cannot be made or locked */
} PcLockError;

typedef struct _PcLock PcLock;

/*
 * Takes the lock file @path (made 0600 if missing) for @what (a few
 * words: "pullcheck watch"), without waiting. When another process
 * holds it, fails with PC_LOCK_ERROR_BUSY and a message that names its
 * pid, since when and what it is. (transfer full)
 */
PcLock *pc_lock_take(const char *path, const char *what, GError **error);

/* Lets go of the lock. */
void pc_lock_release(PcLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcLock, pc_lock_release)

G_END_DECLS

#endif
