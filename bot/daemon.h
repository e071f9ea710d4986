/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon: `pullcheck watch`. One thread works: it takes mail from the
 * source, works the queue (queue.c) and waits for more (IMAP IDLE, or
 * inotify on a Maildir). Two more only watch: one takes the signals
 * (daemon_signals.h), one tells systemd and `pullcheck status` what the
 * worker is doing (daemon_status.h). The configuration and what is made
 * from it live in daemon_conf.h.
 */
#ifndef PC_DAEMON_H
#define PC_DAEMON_H

#include <glib.h>

#include "config.h"

G_BEGIN_DECLS

/*
 * Runs the daemon on @config, read from @config_path (NULL: the default
 * file, or the built-in defaults; SIGHUP reads the same again), until
 * SIGTERM or SIGINT, or with @once until nothing is due. One daemon per
 * state_dir. Takes @config. Returns the exit status (cmd.h); what
 * stopped it before it ran is said on stderr.
 */
int pc_daemon_run_take(PcConfig *config, const char *config_path,
		       gboolean once);

G_END_DECLS

#endif
