// SPDX-License-Identifier: GPL-2.0-only
/*
 * config: reads the key file against one table of every key, its type and
 * its default, so a typo is an error that names the line instead of a
 * setting silently ignored.
 */
#define G_LOG_DOMAIN "pullcheck-config"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

G_DEFINE_QUARK(pc-config-error-quark, pc_config_error)

typedef enum {
	T_STRING,	/* any text */
	T_OPTIONAL,	/* any text, or unset */
	T_ENUM,		/* one of a '|'-separated list */
	T_UINT,		/* 0 .. max */
	T_SIZE,		/* bytes, with an optional K, M or G */
	T_LIST,		/* ';'-separated, GLib's list syntax */
	T_NAME,		/* letters, digits, '_' and '-' only: a make target */
} KeyType;

typedef struct {
	const char *group;
	const char *key;
	KeyType type;
	gsize offset;
	const char *def;	/* as it would be written in the file */
	const char *choices;	/* T_ENUM */
	guint64 min, max;	/* T_UINT, T_SIZE */
} Key;

#define KEY(g, k, t, field, def) \
	{ g, k, t, offsetof(PcConfig, field), def, NULL, 0, 0 }
#define KEY_ENUM(g, k, field, def, choices) \
	{ g, k, T_ENUM, offsetof(PcConfig, field), def, choices, 0, 0 }
#define KEY_NUM(g, k, t, field, def, min, max) \
	{ g, k, t, offsetof(PcConfig, field), def, NULL, min, max }

/*
 * Defaults that name "@STATE@" are under the state directory, which is
 * itself configurable, so they are filled in after it is known.
 */
static const Key KEYS[] = {
	KEY("pullcheck", "state_dir", T_OPTIONAL, state_dir, NULL),
	KEY_NUM("pullcheck", "max_message_bytes", T_SIZE, max_message_bytes,
		"10M", 1024, G_GUINT64_CONSTANT(1) << 32),
	KEY_NUM("pullcheck", "retention", T_UINT, retention, "30", 1, 36500),
	KEY_NUM("pullcheck", "min_free_space", T_SIZE, min_free_space, "4G", 0,
		G_GUINT64_CONSTANT(1) << 50),

	KEY_ENUM("source", "type", source_type, "maildir", "maildir|imap"),
	KEY("source", "maildir", T_STRING, source_maildir, "@STATE@/inbox"),

	KEY("imap", "host", T_STRING, imap_host, "localhost"),
	KEY_NUM("imap", "port", T_UINT, imap_port, "993", 1, 65535),
	KEY_ENUM("imap", "tls", imap_tls, "imaps", "imaps|starttls|none"),
	KEY("imap", "ca_file", T_OPTIONAL, imap_ca_file, NULL),
	KEY("imap", "user", T_STRING, imap_user, "pullcheck"),
	KEY("imap", "password_file", T_OPTIONAL, imap_password_file, NULL),
	KEY("imap", "folder", T_STRING, imap_folder, "INBOX"),
	KEY_NUM("imap", "poll_interval", T_UINT, imap_poll_interval, "60", 1, 86400),

	KEY("fetch", "mainline_url", T_STRING, fetch_mainline_url,
	    "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"),
	/*
	 * Every host a "T: git" line of the kernel's MAINTAINERS names, as
	 * tests/doc/allow-list.sh checks (it says which are left out, and
	 * why), and gitlab.com.
	 */
	KEY("fetch", "allow_urls", T_LIST, fetch_allow_urls,
	    "https://git.kernel.org/;git://git.kernel.org/;"
	    "https://github.com/;https://gitlab.com/;"
	    "https://gitlab.freedesktop.org/;git://linuxtv.org/;"
	    "git://git.infradead.org/;git://git.armlinux.org.uk/;"
	    "git://git.kernel.dk/;git://git.samba.org/;"
	    "git://git.pengutronix.de/;git://git.linbit.com/;"
	    "git://git.lwn.net/;git://git.linux-nfs.org/;"
	    "git://www.linux-watchdog.org/;https://evilpiepirate.org/;"
	    "git://git.monstr.eu/;https://git.open-mesh.org/;"
	    "git://repo.or.cz/;git://git.code.sf.net/;"
	    "git://www.alejandro-colomar.es/;"),
	KEY_NUM("fetch", "timeout", T_UINT, fetch_timeout, "900", 1, 86400),
	/*
	 * Mainline's first fetch: the kernel's history is some 5 GB, and
	 * git's index-pack resolves its deltas inside the same limit.
	 */
	KEY_NUM("fetch", "mainline_timeout", T_UINT, fetch_mainline_timeout,
		"21600", 1, 7 * 86400),
	KEY_NUM("fetch", "mainline_max_bytes", T_SIZE, fetch_mainline_max_bytes,
		"16G", 1024, G_GUINT64_CONSTANT(1) << 42),
	/*
	 * Bringing mainline up to date before each job: after days down,
	 * a merge window's worth (a few hundred MB) must fit, indexing
	 * included, or every job would start it again and give up.
	 */
	KEY_NUM("fetch", "refresh_timeout", T_UINT, fetch_refresh_timeout,
		"600", 1, 86400),
	KEY_NUM("fetch", "max_bytes", T_SIZE, fetch_max_bytes, "4G", 1024,
		G_GUINT64_CONSTANT(1) << 40),
	KEY_NUM("fetch", "max_file_bytes", T_SIZE, fetch_max_file_bytes, "64M",
		1024, G_GUINT64_CONSTANT(1) << 40),
	KEY_NUM("fetch", "max_tree_bytes", T_SIZE, fetch_max_tree_bytes, "4G",
		1024, G_GUINT64_CONSTANT(1) << 40),
	KEY("fetch", "keyring", T_OPTIONAL, fetch_keyring, NULL),
	KEY("fetch", "ca_file", T_OPTIONAL, fetch_ca_file, NULL),
	KEY_ENUM("fetch", "tree", fetch_tree, "tip", "tip|merge"),
	/* Mirrors lag minutes behind a push: try a missing ref again. */
	KEY_NUM("fetch", "retry_window", T_UINT, fetch_retry_window, "1800",
		0, 86400),
	KEY_NUM("fetch", "retry_delay", T_UINT, fetch_retry_delay, "60", 1,
		3600),

	KEY_ENUM("build", "recipe", build_recipe, "kernel", "kernel|command"),
	KEY("build", "command", T_LIST, build_command, ""),
	KEY("build", "root", T_STRING, build_root, "@STATE@/root"),
	KEY_ENUM("build", "scope", build_scope, "rust", "rust|full"),
	/* One build at a time: each already runs make -j(cores). */
	KEY_NUM("build", "jobs", T_UINT, build_jobs, "1", 1, 1),
	KEY_NUM("build", "timeout", T_UINT, build_timeout, "14400", 1, 7 * 86400),
	KEY("build", "cache_dir", T_STRING, build_cache_dir, "@STATE@/cache"),
	/* A tmpfs is memory: a build may not take half of it through /tmp. */
	KEY_NUM("build", "tmp_size", T_SIZE, build_tmp_size, "1G", 1 << 20,
		G_GUINT64_CONSTANT(1) << 40),
	/* The config target, always with the Rust fragment (issue 12). */
	KEY("build", "kconfig", T_NAME, build_kconfig, "allmodconfig"),
	KEY("build", "kconfig_extra", T_OPTIONAL, build_kconfig_extra, NULL),
	KEY_NUM("build", "ccache_size", T_SIZE, build_ccache_size, "20G",
		1 << 20, G_GUINT64_CONSTANT(1) << 44),
	KEY_NUM("build", "retries", T_UINT, build_retries, "3", 0, 100),
	KEY_NUM("build", "retry_delay", T_UINT, build_retry_delay, "300", 1,
		86400),

	/* The QEMU boot of the bootable config (issue 16); off by default. */
	KEY_ENUM("boot", "enabled", boot_enabled, "false", "false|true"),
	KEY_NUM("boot", "timeout", T_UINT, boot_timeout, "300", 5, 7200),
	KEY_NUM("boot", "memory", T_SIZE, boot_memory, "1G", 128 << 20,
		G_GUINT64_CONSTANT(64) << 30),
	KEY_ENUM("boot", "accel", boot_accel, "auto", "auto|kvm|tcg"),
	/* defconfig + kvm_guest.config; small: allnoconfig, for tests. */
	KEY_ENUM("boot", "config", boot_config, "defconfig",
		 "defconfig|small"),

	KEY("reply", "from", T_STRING, reply_from,
	    "pullcheck <pullcheck@localhost>"),
	/* The policy binds pull requests to Linus: only those get its reply. */
	KEY("reply", "top_level", T_LIST, reply_top_level,
	    "torvalds@linux-foundation.org;"),
	KEY_ENUM("reply", "other", reply_other, "all", "all|none"),
	KEY("reply", "contact", T_OPTIONAL, reply_contact, NULL),
	KEY("reply", "cc_lists", T_LIST, reply_cc_lists, ""),
	KEY("reply", "opt_out", T_LIST, reply_opt_out, ""),
	KEY_NUM("reply", "max_per_sender_per_day", T_UINT,
		reply_max_per_sender_per_day, "20", 0, 100000),
	KEY_NUM("reply", "max_rechecks_per_day", T_UINT,
		reply_max_rechecks_per_day, "3", 0, 100),
	KEY("reply", "templates", T_OPTIONAL, reply_templates, NULL),

	KEY_ENUM("outbox", "type", outbox_type, "maildir", "maildir|smtp"),
	KEY("outbox", "maildir", T_STRING, outbox_maildir, "@STATE@/outbox"),

	KEY("smtp", "host", T_STRING, smtp_host, "localhost"),
	KEY_NUM("smtp", "port", T_UINT, smtp_port, "587", 1, 65535),
	KEY_ENUM("smtp", "tls", smtp_tls, "starttls", "starttls|smtps|none"),
	KEY("smtp", "ca_file", T_OPTIONAL, smtp_ca_file, NULL),
	KEY("smtp", "user", T_OPTIONAL, smtp_user, NULL),
	KEY("smtp", "password_file", T_OPTIONAL, smtp_password_file, NULL),
	KEY_NUM("smtp", "timeout", T_UINT, smtp_timeout, "60", 1, 3600),

	KEY("report", "out_dir", T_STRING, report_out_dir, "@STATE@/report"),
	KEY("report", "base_url", T_OPTIONAL, report_base_url, NULL),
	KEY_NUM("report", "days", T_UINT, report_days, "14", 1, 3660),
	KEY("report", "digest_to", T_LIST, report_digest_to, ""),
	KEY_ENUM("report", "digest", report_digest, "all", "all|top_level"),
};

static const Key *find_key(const char *group, const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++)
		if (!strcmp(KEYS[i].group, group) && !strcmp(KEYS[i].key, key))
			return &KEYS[i];
	return NULL;
}

static gboolean known_group(const char *group)
{
	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++)
		if (!strcmp(KEYS[i].group, group))
			return TRUE;
	return FALSE;
}

/*
 * GKeyFile keeps no line numbers, so an error finds its line again in the
 * text: the group header, or the key's line inside its group.
 */
static guint find_line(const char *text, const char *group, const char *key)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *header = g_strdup_printf("[%s]", group);
	gboolean in_group = FALSE;

	for (guint i = 0; lines[i]; i++) {
		char *line = g_strstrip(lines[i]);

		if (line[0] == '[') {
			in_group = !strcmp(line, header);
			if (in_group && !key)
				return i + 1;
			continue;
		}
		if (in_group && key && g_str_has_prefix(line, key)) {
			const char *rest = line + strlen(key);

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest == '=')
				return i + 1;
		}
	}
	return 0;
}

static gboolean parse_size(const char *s, guint64 *out)
{
	char *end;
	guint64 v, mult = 1;

	if (!g_ascii_isdigit(*s))
		return FALSE;
	v = g_ascii_strtoull(s, &end, 10);
	switch (g_ascii_toupper(*end)) {
	case 'K': mult = 1024; end++; break;
	case 'M': mult = 1024 * 1024; end++; break;
	case 'G': mult = 1024 * 1024 * 1024; end++; break;
	case '\0': break;
	default: return FALSE;
	}
	if (*end || v > G_MAXUINT64 / mult)
		return FALSE;
	*out = v * mult;
	return TRUE;
}

#define NAME_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

static gboolean enum_has(const char *choices, const char *value)
{
	g_auto(GStrv) list = g_strsplit(choices, "|", -1);

	return g_strv_contains((const char *const *)list, value);
}

/* Stores @value (the text of the key) into its field. */
static gboolean set_value(PcConfig *c, const Key *k, const char *value,
			  GError **error)
{
	void *field = (char *)c + k->offset;
	guint64 n;

	switch (k->type) {
	case T_STRING:
	case T_OPTIONAL:
		g_free(*(char **)field);
		*(char **)field = *value ? g_strdup(value) : NULL;
		if (k->type == T_STRING && !*value) {
			g_set_error(error, PC_CONFIG_ERROR, PC_CONFIG_ERROR_VALUE,
				    "%s must not be empty", k->key);
			return FALSE;
		}
		return TRUE;
	case T_NAME:
		if (!*value || *value == '-' || value[strspn(value, NAME_CHARS)]) {
			g_set_error(error, PC_CONFIG_ERROR, PC_CONFIG_ERROR_VALUE,
				    "%s is \"%s\"; it must be a make target: "
				    "letters, digits, _ and - only, not "
				    "starting with -", k->key,
				    value);
			return FALSE;
		}
		g_free(*(char **)field);
		*(char **)field = g_strdup(value);
		return TRUE;
	case T_ENUM:
		if (!enum_has(k->choices, value)) {
			g_set_error(error, PC_CONFIG_ERROR, PC_CONFIG_ERROR_VALUE,
				    "%s is \"%s\"; it must be one of %s", k->key,
				    value, k->choices);
			return FALSE;
		}
		g_free(*(char **)field);
		*(char **)field = g_strdup(value);
		return TRUE;
	case T_UINT:
	case T_SIZE:
		if (!(k->type == T_SIZE ? parse_size(value, &n)
					: g_ascii_string_to_unsigned(
						  value, 10, 0, G_MAXUINT, &n,
						  NULL)) ||
		    n < k->min || n > k->max) {
			g_set_error(error, PC_CONFIG_ERROR, PC_CONFIG_ERROR_VALUE,
				    "%s is \"%s\"; it must be a %s from %"
				    G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
				    k->key, value,
				    k->type == T_SIZE ? "size in bytes (K, M, G)"
						      : "whole number",
				    k->min, k->max);
			return FALSE;
		}
		if (k->type == T_SIZE)
			*(guint64 *)field = n;
		else
			*(guint *)field = n;
		return TRUE;
	case T_LIST:
		g_strfreev(*(char ***)field);
		*(char ***)field = NULL;
		{
			g_autoptr(GKeyFile) kf = g_key_file_new();
			g_autofree char *data =
				g_strdup_printf("[x]\nk=%s\n", value);

			g_key_file_load_from_data(kf, data, -1, 0, NULL);
			*(char ***)field =
				g_key_file_get_string_list(kf, "x", "k", NULL,
							   NULL);
		}
		if (!*(char ***)field)
			*(char ***)field = g_new0(char *, 1);
		return TRUE;
	}
	g_assert_not_reached();
}

static char *default_state_dir(void)
{
	if (geteuid() == 0)
		return g_strdup("/var/lib/pullcheck");
	return g_build_filename(g_get_user_state_dir(), "pullcheck", NULL);
}

static void set_defaults(PcConfig *c)
{
	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++) {
		const Key *k = &KEYS[i];

		if (k->def && !g_str_has_prefix(k->def, "@STATE@") &&
		    !set_value(c, k, k->def, NULL))
			g_error("built-in default of %s is bad", k->key);
	}
}

/* Fills what defaults to a place under the state directory. */
static void resolve_state_paths(PcConfig *c, GKeyFile *kf)
{
	if (!c->state_dir)
		c->state_dir = default_state_dir();
	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++) {
		const Key *k = &KEYS[i];
		char **field = (char **)((char *)c + k->offset);

		if (!k->def || !g_str_has_prefix(k->def, "@STATE@") ||
		    (kf && g_key_file_has_key(kf, k->group, k->key, NULL)))
			continue;
		g_free(*field);
		*field = g_build_filename(c->state_dir,
					  k->def + strlen("@STATE@/"), NULL);
	}
}

static gboolean apply_file(PcConfig *c, GKeyFile *kf, const char *text,
			   GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = NULL;

		if (!known_group(*g)) {
			g_set_error(error, PC_CONFIG_ERROR,
				    PC_CONFIG_ERROR_UNKNOWN,
				    "%s:%u: unknown section [%s]", c->path,
				    find_line(text, *g, NULL), *g);
			return FALSE;
		}
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; *k; k++) {
			const Key *key = find_key(*g, *k);
			g_autofree char *value = NULL;
			g_autoptr(GError) local = NULL;

			if (!key) {
				g_set_error(error, PC_CONFIG_ERROR,
					    PC_CONFIG_ERROR_UNKNOWN,
					    "%s:%u: unknown key \"%s\" in [%s]",
					    c->path, find_line(text, *g, *k),
					    *k, *g);
				return FALSE;
			}
			value = g_key_file_get_value(kf, *g, *k, NULL);
			if (key->type != T_LIST)
				g_strstrip(value);
			if (!set_value(c, key, value, &local)) {
				g_set_error(error, PC_CONFIG_ERROR,
					    PC_CONFIG_ERROR_VALUE,
					    "%s:%u: [%s] %s", c->path,
					    find_line(text, *g, *k), *g,
					    local->message);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/*
 * [report] base_url goes into every reply and the feed as the start of a
 * link: an absolute http(s) URL with a host, and nothing that could end
 * a header line, an XML attribute or a link in a mail client.
 */
static gboolean base_url_ok(const char *url)
{
	g_autoptr(GUri) uri = NULL;

	for (const char *p = url; *p; p++)
		if ((guchar)*p <= ' ' || *p == 0x7f || strchr("\"'<>\\`", *p))
			return FALSE;
	uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	return uri && g_uri_get_host(uri) && *g_uri_get_host(uri) &&
	       (!g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") ||
		!g_ascii_strcasecmp(g_uri_get_scheme(uri), "http")) &&
	       !g_uri_get_query(uri) && !g_uri_get_fragment(uri);
}

static gboolean load_file(PcConfig *c, const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *text = NULL;
	gsize len;

	c->path = g_strdup(path);
	if (!g_file_get_contents(path, &text, &len, error)) {
		g_prefix_error(error, "configuration: ");
		return FALSE;
	}
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "%s: ", path);
		return FALSE;
	}
	if (!apply_file(c, kf, text, error))
		return FALSE;
	if (c->report_base_url && !base_url_ok(c->report_base_url)) {
		g_set_error(error, PC_CONFIG_ERROR, PC_CONFIG_ERROR_VALUE,
			    "%s:%u: [report] base_url is \"%s\"; it must be an "
			    "http:// or https:// URL with a host, and no blank, "
			    "quote, angle bracket or control character",
			    c->path, find_line(text, "report", "base_url"),
			    c->report_base_url);
		return FALSE;
	}
	resolve_state_paths(c, kf);
	return TRUE;
}

PcConfig *pc_config_load(const char *path, GError **error)
{
	g_autoptr(PcConfig) c = g_new0(PcConfig, 1);

	set_defaults(c);
	if (!path && g_file_test(PC_CONFIG_DEFAULT_PATH, G_FILE_TEST_EXISTS))
		path = PC_CONFIG_DEFAULT_PATH;
	if (path) {
		if (!load_file(c, path, error))
			return NULL;
	} else {
		resolve_state_paths(c, NULL);
	}
	return g_steal_pointer(&c);
}

void pc_config_dump(const PcConfig *c, GString *out)
{
	const char *group = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++) {
		const Key *k = &KEYS[i];
		const void *field = (const char *)c + k->offset;

		if (!group || strcmp(group, k->group))
			g_string_append_printf(out, "%s[%s]\n",
					       group ? "\n" : "", k->group);
		group = k->group;
		g_string_append_printf(out, "%s=", k->key);
		switch (k->type) {
		case T_STRING:
		case T_OPTIONAL:
		case T_ENUM:
		case T_NAME:
			if (*(char *const *)field)
				g_string_append(out, *(char *const *)field);
			break;
		case T_UINT:
			g_string_append_printf(out, "%u", *(const guint *)field);
			break;
		case T_SIZE:
			g_string_append_printf(out, "%" G_GUINT64_FORMAT,
					       *(const guint64 *)field);
			break;
		case T_LIST:
			for (char *const *s = *(char **const *)field; s && *s; s++)
				g_string_append_printf(out, "%s;", *s);
			break;
		}
		g_string_append_c(out, '\n');
	}
}

void pc_config_free(PcConfig *c)
{
	if (!c)
		return;
	g_free(c->path);
	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++) {
		void *field = (char *)c + KEYS[i].offset;

		if (KEYS[i].type == T_LIST)
			g_strfreev(*(char ***)field);
		else if (KEYS[i].type != T_UINT && KEYS[i].type != T_SIZE)
			g_free(*(char **)field);
	}
	g_free(c);
}
