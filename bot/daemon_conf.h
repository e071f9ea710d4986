/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon_conf: the configuration the daemon runs under, with what is
 * made from it, the source and the outbox; read again on SIGHUP. A
 * reload that fails leaves everything in force as it was.
 */
#ifndef PC_DAEMON_CONF_H
#define PC_DAEMON_CONF_H

#include <glib.h>

#include "config.h"
#include "outbox.h"
#include "source.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
	char *path;		/* as given with --config; NULL: the default */
	PcConfig *config;
	PcSource *source;	/* not opened yet */
	PcOutbox *outbox;
} PcDaemonConf;

/*
 * Opens the source and the outbox @config asks for (the source's state
 * in @store) and makes them, with @config, the ones in force. Takes
 * @config, also on failure: then those in force stay.
 */
gboolean pc_daemon_conf_take(PcDaemonConf *c, PcConfig *config,
			     PcStore *store, GError **error);

/*
 * Reads @c->path again (NULL: the default file, or the built-in
 * defaults) and takes it; a new state_dir is refused. Logs the outcome:
 * TRUE when a new configuration, source and outbox are in force.
 */
gboolean pc_daemon_conf_reload(PcDaemonConf *c, PcStore *store);

void pc_daemon_conf_clear(PcDaemonConf *c);

G_END_DECLS

#endif
