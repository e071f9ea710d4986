/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config: the one GLib key file, with a built-in default for every key.
 */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include <glib.h>

G_BEGIN_DECLS

#define PC_CONFIG_ERROR (pc_config_error_quark())
GQuark pc_config_error_quark(void);

typedef enum {
	PC_CONFIG_ERROR_READ,
	PC_CONFIG_ERROR_SYNTAX,
	PC_CONFIG_ERROR_UNKNOWN,
	PC_CONFIG_ERROR_VALUE,
} PcConfigError;

#define PC_CONFIG_DEFAULT_PATH "/etc/pullcheck/pullcheck.conf"

/* Plain data: every string owned, never NULL unless the key allows it. */
typedef struct {
	char *path;		/* the file read, NULL for built-in defaults */

	char *state_dir;
	guint64 max_message_bytes;
	guint retention;	/* days a finished job keeps its mail, log */
	guint64 min_free_space;	/* bytes free on state and cache, or wait */

	char *source_type;	/* maildir | imap */
	char *source_maildir;

	char *imap_host;
	guint imap_port;
	char *imap_tls;		/* imaps | starttls | none */
	char *imap_ca_file;	/* NULL: the system's CAs */
	char *imap_user;
	char *imap_password_file;
	char *imap_folder;
	guint imap_poll_interval;

	char *fetch_mainline_url;
	char **fetch_allow_urls;
	guint fetch_timeout;
	guint fetch_mainline_timeout;	/* mainline's first fetch */
	guint64 fetch_mainline_max_bytes;
	guint fetch_refresh_timeout;	/* its refresh before each job */
	guint64 fetch_max_bytes;
	guint64 fetch_max_file_bytes;	/* the checkout's largest file */
	guint64 fetch_max_tree_bytes;	/* and all its files together */
	char *fetch_keyring;	/* NULL: signatures are not verified */
	char *fetch_ca_file;	/* https; NULL: the system's CAs */
	char *fetch_tree;	/* tip | merge */
	guint fetch_retry_window;	/* seconds a missing ref, a failed
					 * fetch is tried again for; 0: not */
	guint fetch_retry_delay;	/* seconds before the first retry */

	char *build_recipe;	/* kernel | command */
	char **build_command;	/* argv, for recipe = command */
	char *build_root;
	char *build_scope;	/* rust | full */
	guint build_jobs;
	guint build_timeout;
	char *build_cache_dir;
	guint64 build_tmp_size;	/* bytes of /tmp inside the sandbox */
	char *build_kconfig;	/* the config target: allmodconfig, ... */
	char *build_kconfig_extra;	/* a file of lines added to the fragment */
	guint64 build_ccache_size;	/* of cache_dir/ccache, ccache's max_size */
	guint build_retries;	/* infra failures retried before reporting */
	guint build_retry_delay;	/* seconds before the first retry */

	char *boot_enabled;	/* true | false: boot the bootable config */
	guint boot_timeout;	/* seconds QEMU may run */
	guint64 boot_memory;	/* bytes of the guest's RAM */
	char *boot_accel;	/* auto | kvm | tcg */
	char *boot_config;	/* defconfig | small: the bootable config */

	char *reply_from;
	char **reply_top_level;	/* patterns: whom the policy reply is for */
	char *reply_other;	/* all | none: check the other pull requests */
	char *reply_contact;	/* who runs the bot; NULL: not said */
	char **reply_cc_lists;
	char **reply_opt_out;
	char *reply_templates;	/* NULL: the built-in templates */
	guint reply_max_per_sender_per_day;
	guint reply_max_rechecks_per_day;	/* per pull request */

	char *outbox_type;	/* maildir | smtp */
	char *outbox_maildir;

	char *smtp_host;
	guint smtp_port;
	char *smtp_tls;		/* starttls | smtps | none */
	char *smtp_ca_file;	/* NULL: the system's CAs */
	char *smtp_user;
	char *smtp_password_file;
	guint smtp_timeout;	/* seconds, for each network operation */

	char *report_out_dir;	/* feed.atom, index.html, logs/ */
	char *report_base_url;	/* where out_dir is served; NULL: nowhere */
	guint report_days;	/* the dashboard shows this many days */
	char **report_digest_to;	/* the daily digest's recipients */
	char *report_digest;	/* all | top_level: whose pull requests */
} PcConfig;

/*
 * Loads @path, or with @path NULL the default file if it exists, else the
 * built-in defaults. Errors name the file and line.
 * (transfer full)
 */
PcConfig *pc_config_load(const char *path, GError **error);
void pc_config_free(PcConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcConfig, pc_config_free)

/* Writes every key with its value, as a key file, to @out. */
void pc_config_dump(const PcConfig *config, GString *out);

G_END_DECLS

#endif
