// SPDX-License-Identifier: GPL-2.0-only
/*
 * json: helpers for json-glib, and the one JSON string escaper of the
 * program.
 */
#define G_LOG_DOMAIN "pullcheck-json"

#include "json.h"

void pc_json_add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

void pc_json_add_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static JsonNode *member(JsonObject *obj, const char *name)
{
	return obj ? json_object_get_member(obj, name) : NULL;
}

const char *pc_json_get_string(JsonObject *obj, const char *name)
{
	JsonNode *node = member(obj, name);

	if (!node || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

gint64 pc_json_get_int(JsonObject *obj, const char *name)
{
	JsonNode *node = member(obj, name);

	if (!node || json_node_get_value_type(node) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(node);
}

JsonObject *pc_json_get_object(JsonObject *obj, const char *name)
{
	JsonNode *node = member(obj, name);

	return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
						    : NULL;
}

JsonArray *pc_json_get_array(JsonObject *obj, const char *name)
{
	JsonNode *node = member(obj, name);

	return node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node)
						   : NULL;
}

JsonObject *pc_json_array_object(JsonArray *a, guint i)
{
	JsonNode *node = json_array_get_element(a, i);

	return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/*
 * The escaping json-glib 1.6's generator does, byte for byte, so that
 * `parse` prints what it printed when json-glib wrote its lines: '"' and
 * '\\' get a backslash; 0x01-0x1e and 0x7f are escaped (the short forms
 * where JSON has them, else \u00xx); 0x1f and every byte from 0x80 up,
 * valid UTF-8 or not, are copied as they are (the mail's text is UTF-8
 * already; a path named on the command line need not be).
 */
void pc_json_append_escaped(GString *out, const char *s)
{
	const char *run = s;

	for (;; s++) {
		unsigned char c = *s;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (c == 0x1f)
			continue;
		g_string_append_len(out, run, s - run);
		run = s + 1;
		switch (c) {
		case '\0':
			return;
		case '"':
		case '\\':
			g_string_append_c(out, '\\');
			g_string_append_c(out, c);
			break;
		case '\b':
			g_string_append(out, "\\b");
			break;
		case '\f':
			g_string_append(out, "\\f");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			g_string_append_printf(out, "\\u00%02x", c);
			break;
		}
	}
}
