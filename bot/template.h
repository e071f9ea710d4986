/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * template: the templates in templates/ (the reply texts, the dashboard
 * page) as template-glib reads them, from an operator's directory
 * ([reply] templates) or the copies built into the binary, and the one
 * kind of object a template's list holds.
 */
#ifndef PC_TEMPLATE_H
#define PC_TEMPLATE_H

#include <gio/gio.h>
#include <tmpl-glib.h>

G_BEGIN_DECLS

#define PC_TEMPLATE_ERROR (pc_template_error_quark())
GQuark pc_template_error_quark(void);

typedef enum {
	PC_TEMPLATE_ERROR_LOAD,		/* a template is missing or bad */
} PcTemplateError;

/*
 * How far an operator's directory stands in for the built-in templates.
 * The reply texts include each other, so an operator's set is used whole
 * and never mixed with ours; the dashboard page stands alone, so an
 * operator who changed only the replies keeps a dashboard.
 */
typedef enum {
	/* the directory only: a name missing there is an error */
	PC_TEMPLATE_REPLACE,
	/* the directory first, then the built-in copies */
	PC_TEMPLATE_OVERLAY,
} PcTemplateLookup;

/*
 * The template @name, parsed, with its {{include}}s looked up the same
 * way: in @dir (may be NULL: the built-in copies only) as @lookup says.
 * A missing or bad template is PC_TEMPLATE_ERROR_LOAD, its message
 * starting with @name. (transfer full)
 */
TmplTemplate *pc_template_load(const char *dir, const char *name,
			       PcTemplateLookup lookup, GError **error);

/*
 * An item of a list in a template: a bag of strings read as properties,
 * because template-glib reads "d.file" as a GObject property, and a list
 * of items under "rows" (a dashboard section's rows). Every name any
 * template reads is declared once, in template.c; the values are shown
 * as they are, so a caller escapes them first where the page needs it.
 */
#define PC_TYPE_TEMPLATE_ITEM (pc_template_item_get_type())
G_DECLARE_FINAL_TYPE(PcTemplateItem, pc_template_item, PC, TEMPLATE_ITEM,
		     GObject)

/* (transfer full) */
PcTemplateItem *pc_template_item_new(void);

/*
 * Sets the property @name, which must be declared, to a copy of @value;
 * NULL unsets it (false in {{if}}).
 */
void pc_template_item_set(PcTemplateItem *item, const char *name,
			  const char *value);

/* As pc_template_item_set, @value taken over. */
void pc_template_item_take(PcTemplateItem *item, const char *name,
			   char *value);

/* (transfer none), NULL when unset */
const char *pc_template_item_get(PcTemplateItem *item, const char *name);

/* The item's "rows"; takes over @rows. */
void pc_template_item_take_rows(PcTemplateItem *item, GListModel *rows);

G_END_DECLS

#endif
