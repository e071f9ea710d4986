/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sandbox: runs a build command under bubblewrap, with no network, a
 * read-only system and source, one writable output directory, a /tmp of
 * bounded size, resource limits and a timeout that ends the whole
 * process tree. Nothing of the host is visible but what the spec names.
 */
#ifndef PC_SANDBOX_H
#define PC_SANDBOX_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define PC_SANDBOX_ERROR (pc_sandbox_error_quark())
GQuark pc_sandbox_error_quark(void);

typedef enum {
	PC_SANDBOX_ERROR_SETUP,	/* bwrap missing, a mount point absent, ... */
	PC_SANDBOX_ERROR_SPAWN,
	PC_SANDBOX_ERROR_LOG,
	PC_SANDBOX_ERROR_NO_SPACE,	/* the log's file system is full */
} PcSandboxError;

/* Called for each line the command prints, for progress. */
typedef void (*PcSandboxLineFunc)(const char *line, gpointer data);

typedef struct {
	const char *bwrap;	/* NULL: "bwrap" from PATH */
	/*
	 * Mounted read-only as /. NULL: a root of the host's programs and
	 * libraries only (/usr, the /bin and /lib links, a few files of
	 * /etc that hold no secret), never the host's / itself.
	 */
	const char *root;
	/*
	 * Host paths that must not be visible inside even where @root,
	 * @src or @out contains them (the state directory, password files,
	 * credentials). Paths that do not exist are skipped.
	 */
	const char *const *hide;
	const char *src;	/* host directory, mounted read-only */
	const char *src_mount;	/* where, inside; must exist in @root */
	const char *out;	/* host directory, mounted read-write */
	const char *out_mount;
	/*
	 * A second host directory mounted read-write, for a cache kept
	 * between builds (ccache); NULL: none. Its mount point must exist
	 * in @root, or lie under /tmp.
	 */
	const char *cache;
	const char *cache_mount;
	const char *chdir;	/* inside; NULL: @src_mount */
	/*
	 * Device nodes of the host bound at the same path under the
	 * sandbox's own /dev (the boot's /dev/kvm); NULL: none. Each must
	 * exist on the host.
	 */
	const char *const *devices;
	const char *const *argv;
	const char *const *env;	/* "K=V", the whole environment */
	guint timeout_s;
	guint64 tmp_size;	/* bytes of each tmpfs, /tmp and /dev/shm;
				 * 0: unbounded */
	guint64 max_memory;	/* RLIMIT_AS, bytes; 0: none */
	guint64 max_file_size;	/* RLIMIT_FSIZE, bytes; 0: none */
	guint64 max_procs;	/* RLIMIT_NPROC; root is exempt (see sandbox.c) */
	const char *log_path;	/* stdout and stderr, merged */
	gboolean log_append;	/* add to @log_path instead of replacing it */
	guint64 max_log_bytes;	/* the log stops growing here */
	PcSandboxLineFunc on_line;
	gpointer on_line_data;
	GCancellable *cancellable;	/* cancelled: the tree is killed */
} PcSandboxSpec;

typedef struct {
	gboolean exited;	/* ran to its end: @exit_status is valid */
	int exit_status;
	int term_signal;	/* killed by a signal not ours */
	gboolean timed_out;	/* we killed it: @timeout_s passed */
	gboolean cancelled;	/* we killed it: @cancellable */
	gboolean log_truncated;
	guint64 log_bytes;	/* what the command printed, in all */
	gint64 duration_ms;
} PcSandboxResult;

/*
 * Runs @spec to its end. FALSE only when it could not be run at all; a
 * command that fails, times out or is killed is a result, not an error.
 */
gboolean pc_sandbox_run(const PcSandboxSpec *spec, PcSandboxResult *result,
			GError **error);

G_END_DECLS

#endif
