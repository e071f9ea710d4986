/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json: the small things every JSON writer and reader here needs and
 * json-glib does not say in one call: a member that may be null, a
 * member read back as the type it should have (else nothing), and the
 * escaping of a string for the hand-written lines of `parse`.
 */
#ifndef PC_JSON_H
#define PC_JSON_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A member @name of the object @b is building: the string (null for
 * NULL) or the number. */
void pc_json_add_string(JsonBuilder *b, const char *name, const char *value);
void pc_json_add_int(JsonBuilder *b, const char *name, gint64 value);

/*
 * Member @name of @obj (which may be NULL) if it has the type asked
 * for, else NULL (0 for a number): data read back from the store or a
 * file is never trusted to have the shape it was written with.
 * (transfer none)
 */
const char *pc_json_get_string(JsonObject *obj, const char *name);
gint64 pc_json_get_int(JsonObject *obj, const char *name);
JsonObject *pc_json_get_object(JsonObject *obj, const char *name);
JsonArray *pc_json_get_array(JsonObject *obj, const char *name);

/* The object at @i of @a, NULL when it is something else. (transfer none) */
JsonObject *pc_json_array_object(JsonArray *a, guint i);

/*
 * Appends @s to @out as a JSON string's contents (no quotes), escaped
 * byte for byte as json-glib 1.6's generator does it.
 */
void pc_json_append_escaped(GString *out, const char *s);

G_END_DECLS

#endif
