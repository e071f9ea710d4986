// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_conf: a new configuration replaces the old one whole, or not
 * at all.
 */
#define G_LOG_DOMAIN "pullcheck"

#include <string.h>

#include "daemon_conf.h"

gboolean pc_daemon_conf_take(PcDaemonConf *c, PcConfig *config,
			     PcStore *store, GError **error)
{
	g_autoptr(PcConfig) taken = config;
	g_autoptr(PcSource) source = NULL;
	g_autoptr(PcOutbox) outbox = NULL;

	if (!(source = pc_source_new(taken, store, error)) ||
	    !(outbox = pc_outbox_new(taken, error)))
		return FALSE;
	g_clear_pointer(&c->source, pc_source_free);
	g_clear_pointer(&c->outbox, pc_outbox_free);
	g_clear_pointer(&c->config, pc_config_free);
	c->config = g_steal_pointer(&taken);
	c->source = g_steal_pointer(&source);
	c->outbox = g_steal_pointer(&outbox);
	return TRUE;
}

gboolean pc_daemon_conf_reload(PcDaemonConf *c, PcStore *store)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) config = pc_config_load(c->path, &error);

	if (config && strcmp(config->state_dir, c->config->state_dir)) {
		g_warning("reload: state_dir cannot change while running; "
			  "restart instead");
		return FALSE;
	}
	if (!config ||
	    !pc_daemon_conf_take(c, g_steal_pointer(&config), store, &error)) {
		g_warning("reload: %s; the configuration in force stays",
			  error->message);
		return FALSE;
	}
	g_message("reload: %s read", c->config->path ? c->config->path
						     : "built-in defaults");
	return TRUE;
}

void pc_daemon_conf_clear(PcDaemonConf *c)
{
	g_clear_pointer(&c->source, pc_source_free);
	g_clear_pointer(&c->outbox, pc_outbox_free);
	g_clear_pointer(&c->config, pc_config_free);
	g_clear_pointer(&c->path, g_free);
}
