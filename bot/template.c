// SPDX-License-Identifier: GPL-2.0-only
/*
 * template: where a template comes from, and the object a template's
 * lists hold. reply.c and the report render with these.
 */
#define G_LOG_DOMAIN "pullcheck-template"

#include <string.h>

#include "template.h"

G_DEFINE_QUARK(pc-template-error-quark, pc_template_error)

#define BUILTIN_TEMPLATES "resource:///org/pullcheck/templates/"

/*
 * From glib-compile-resources. Calling it keeps the resource's object
 * file in the link (it sits in a static library) and registers it.
 */
GResource *pc_templates_get_resource(void);

TmplTemplate *pc_template_load(const char *dir, const char *name,
			       PcTemplateLookup lookup, GError **error)
{
	g_autoptr(TmplTemplateLocator) locator = tmpl_template_locator_new();
	g_autoptr(TmplTemplate) tmpl = NULL;
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GError) local = NULL;

	if (dir)
		tmpl_template_locator_append_search_path(locator, dir);
	if (!dir || lookup == PC_TEMPLATE_OVERLAY) {
		g_assert(pc_templates_get_resource() != NULL);
		tmpl_template_locator_append_search_path(locator,
							 BUILTIN_TEMPLATES);
	}
	stream = tmpl_template_locator_locate(locator, name, &local);
	tmpl = tmpl_template_new(locator);
	if (!stream || !tmpl_template_parse(tmpl, stream, NULL, &local)) {
		g_set_error(error, PC_TEMPLATE_ERROR, PC_TEMPLATE_ERROR_LOAD,
			    "%s: %s", name, local->message);
		return NULL;
	}
	return g_steal_pointer(&tmpl);
}

/*
 * Every name a template reads from an item: the reply's list items (a
 * reason, a diagnostic, a tool, a path), the dashboard's rows, sections
 * and lists.
 */
static const char *const ITEM_PROPS[] = {
	/* the reply */
	"code", "severity", "text", "tool", "language", "file", "line",
	"column", "message", "excerpt", "indented", "path", "label", "where",
	/* the dashboard */
	"job", "anchor", "subject", "sender", "date", "verdict", "tip",
	"tip_short", "scope", "summary", "boot", "first_error", "reply",
	"log_href", "config_href", "reproduce", "lists", "link", "name",
	"count", "empty", "href", "address",
	"current",
};

#define N_PROPS G_N_ELEMENTS(ITEM_PROPS)
#define PROP_ROWS (N_PROPS + 1)

struct _PcTemplateItem {
	GObject parent;
	char *values[N_PROPS];	/* by property id - 1 */
	GListModel *rows;
};

G_DEFINE_TYPE(PcTemplateItem, pc_template_item, G_TYPE_OBJECT)

static void pc_template_item_get_property(GObject *obj, guint id,
					  GValue *value, GParamSpec *pspec)
{
	PcTemplateItem *self = PC_TEMPLATE_ITEM(obj);

	if (id == PROP_ROWS)
		g_value_set_object(value, self->rows);
	else
		g_value_set_string(value, self->values[id - 1]);
}

static void pc_template_item_finalize(GObject *obj)
{
	PcTemplateItem *self = PC_TEMPLATE_ITEM(obj);

	for (guint i = 0; i < N_PROPS; i++)
		g_free(self->values[i]);
	g_clear_object(&self->rows);
	G_OBJECT_CLASS(pc_template_item_parent_class)->finalize(obj);
}

static void pc_template_item_class_init(PcTemplateItemClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);

	oc->get_property = pc_template_item_get_property;
	oc->finalize = pc_template_item_finalize;
	/* GObject spells "tip_short" "tip-short" and finds it by either. */
	for (guint i = 0; i < N_PROPS; i++) {
		g_autofree char *name = g_strdelimit(g_strdup(ITEM_PROPS[i]),
						     "_", '-');

		g_object_class_install_property(
			oc, i + 1,
			g_param_spec_string(name, NULL, NULL, NULL,
					    G_PARAM_READABLE |
						    G_PARAM_STATIC_NICK |
						    G_PARAM_STATIC_BLURB));
	}
	g_object_class_install_property(
		oc, PROP_ROWS,
		g_param_spec_object("rows", NULL, NULL, G_TYPE_LIST_MODEL,
				    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void pc_template_item_init(PcTemplateItem *self)
{
}

PcTemplateItem *pc_template_item_new(void)
{
	return g_object_new(PC_TYPE_TEMPLATE_ITEM, NULL);
}

/* The slot of @name; a name not declared above is a bug. */
static guint prop_index(const char *name)
{
	for (guint i = 0; i < N_PROPS; i++)
		if (!strcmp(ITEM_PROPS[i], name))
			return i;
	g_assert_not_reached();
}

void pc_template_item_take(PcTemplateItem *item, const char *name,
			   char *value)
{
	guint i = prop_index(name);

	g_free(item->values[i]);
	item->values[i] = value;
}

void pc_template_item_set(PcTemplateItem *item, const char *name,
			  const char *value)
{
	pc_template_item_take(item, name, g_strdup(value));
}

const char *pc_template_item_get(PcTemplateItem *item, const char *name)
{
	return item->values[prop_index(name)];
}

void pc_template_item_take_rows(PcTemplateItem *item, GListModel *rows)
{
	g_clear_object(&item->rows);
	item->rows = rows;
}
