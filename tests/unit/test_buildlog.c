// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for parsers/buildlog.c: the real build logs under
 * tests/fixtures/buildlog/ against their golden NAME.json, a table of
 * small cases per pattern, and hostile input.
 *
 *   test_buildlog [FIXTURE_DIR] [GTest options]
 *   test_buildlog --dump LOG [SRC_PREFIX]   prints LOG's diagnostics as
 *                                           the JSON a fixture holds
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include "buildlog.h"

#ifndef PC_BUILDLOG_FIXTURES
#define PC_BUILDLOG_FIXTURES "tests/fixtures/buildlog"
#endif

#define ASK 20 /* the number of diagnostics pullcheck asks for */

static PcBuildlogParser *parser;
/* The fixture paths the tests are given, freed after the run. */
static GPtrArray *fixture_paths;

/* --- the JSON form of an answer, shared by --dump and the fixtures --- */

static void add_string(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static JsonNode *diagnostics_to_json(const PcDiagnostics *d, const char *prefix)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	add_string(b, "src_prefix", prefix);
	json_builder_set_member_name(b, "max");
	json_builder_add_int_value(b, ASK);
	json_builder_set_member_name(b, "total");
	json_builder_add_int_value(b, d->total);
	json_builder_set_member_name(b, "diagnostics");
	json_builder_begin_array(b);
	for (guint i = 0; i < d->items->len; i++) {
		const PcDiagnostic *x = g_ptr_array_index(d->items, i);

		json_builder_begin_object(b);
		add_string(b, "tool", x->tool);
		add_string(b, "severity", x->severity);
		add_string(b, "language", x->language);
		add_string(b, "file", x->file);
		json_builder_set_member_name(b, "line");
		json_builder_add_int_value(b, x->line);
		json_builder_set_member_name(b, "column");
		json_builder_add_int_value(b, x->column);
		add_string(b, "message", x->message);
		add_string(b, "excerpt", x->excerpt);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static int dump(const char *path, const char *prefix)
{
	g_autofree char *log = NULL;
	gsize len;
	g_autoptr(GError) error = NULL;
	PcDiagnostics d = {0};
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	if (!g_file_get_contents(path, &log, &len, &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	pc_buildlog_parse(parser, log, len, prefix, ASK, &d);
	root = diagnostics_to_json(&d, prefix);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	g_print("%s\n", text);
	pc_diagnostics_clear(&d);
	return 0;
}

/* --- the real logs --- */

static const char *member_string(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	g_assert_nonnull(n);
	return JSON_NODE_HOLDS_NULL(n) ? NULL : json_node_get_string(n);
}

static void check_item(const PcDiagnostic *x, JsonObject *want, guint i)
{
	g_test_message("diagnostic %u: %s %s:%u:%u %s", i, x->tool,
		       x->file ? x->file : "(null)", x->line, x->column,
		       x->message);
	g_assert_cmpstr(x->tool, ==, member_string(want, "tool"));
	g_assert_cmpstr(x->severity, ==, member_string(want, "severity"));
	g_assert_cmpstr(x->language, ==, member_string(want, "language"));
	g_assert_cmpstr(x->file, ==, member_string(want, "file"));
	g_assert_cmpuint(x->line, ==, json_object_get_int_member(want, "line"));
	g_assert_cmpuint(x->column, ==,
			 json_object_get_int_member(want, "column"));
	g_assert_cmpstr(x->message, ==, member_string(want, "message"));
	g_assert_cmpstr(x->excerpt, ==, member_string(want, "excerpt"));
}

static void test_fixture(gconstpointer data)
{
	const char *log_path = data;
	g_autofree char *base = g_strndup(log_path, strlen(log_path) - 4);
	g_autofree char *json_path = g_strconcat(base, ".json", NULL);
	g_autoptr(JsonParser) jp = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *log = NULL;
	gsize len;
	JsonObject *want;
	JsonArray *items;
	PcDiagnostics d = {0};

	g_assert_true(g_file_get_contents(log_path, &log, &len, &error));
	g_assert_true(json_parser_load_from_file(jp, json_path, &error));
	g_assert_no_error(error);
	want = json_node_get_object(json_parser_get_root(jp));
	pc_buildlog_parse(parser, log, len, member_string(want, "src_prefix"),
			  (guint)json_object_get_int_member(want, "max"), &d);
	items = json_object_get_array_member(want, "diagnostics");
	for (guint i = 0; i < MIN(d.items->len, json_array_get_length(items));
	     i++)
		check_item(g_ptr_array_index(d.items, i),
			   json_array_get_object_element(items, i), i);
	g_assert_cmpuint(d.items->len, ==, json_array_get_length(items));
	g_assert_cmpuint(d.total, ==,
			 json_object_get_int_member(want, "total"));
	pc_diagnostics_clear(&d);
}

/* g_ptr_array_sort() hands over pointers to the elements. */
static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_fixture_tests(const char *dir)
{
	g_autoptr(GDir) gd = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (!gd)
		g_error("no fixture directory %s", dir);
	while ((name = g_dir_read_name(gd)))
		if (g_str_has_suffix(name, ".log"))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	if (!names->len)
		g_error("no fixture logs in %s", dir);
	for (guint i = 0; i < names->len; i++) {
		const char *n = g_ptr_array_index(names, i);
		g_autofree char *stem = g_strndup(n, strlen(n) - 4);
		g_autofree char *test =
			g_strconcat("/buildlog/fixture/", stem, NULL);
		char *path = g_build_filename(dir, n, NULL);

		g_ptr_array_add(fixture_paths, path);
		g_test_add_data_func(test, path, test_fixture);
	}
}

/* --- one small case per pattern --- */

typedef struct {
	const char *tool, *severity, *language, *file;
	guint line, column;
	const char *message, *excerpt;
} Want;

typedef struct {
	const char *name;
	const char *log;
	const char *prefix;
	guint total;
	Want want[3]; /* the first diagnostics; tool NULL ends */
} Case;

static const Case cases[] = {
	{"rustc-error-code",
	 "  RUSTC L rust/kernel.o\n"
	 "error[E0308]: mismatched types\n"
	 "  --> /src/rust/kernel/sync.rs:10:5\n"
	 "   |\n"
	 "10 |     x\n"
	 "   |     ^ expected `i32`, found `u32`\n"
	 "\n"
	 "error: aborting due to 1 previous error\n",
	 "/src/",
	 1,
	 {{"rustc", "error", "rust", "rust/kernel/sync.rs", 10, 5,
	   "mismatched types [E0308]",
	   "   |\n10 |     x\n   |     ^ expected `i32`, found `u32`"}}},
	{"rustc-note-not-in-excerpt",
	 "error[E0061]: this function takes 2 arguments\n"
	 "   --> rust/kernel/error.rs:294:28\n"
	 "    |\n"
	 "294 |         f(x)\n"
	 "    |\n"
	 "note: function defined here\n"
	 "   --> out/bindings.rs:10:12\n"
	 "    |\n"
	 "10  |     pub fn f\n",
	 NULL,
	 1,
	 {{"rustc", "error", "rust", "rust/kernel/error.rs", 294, 28,
	   "this function takes 2 arguments [E0061]",
	   "    |\n294 |         f(x)\n    |"}}},
	{"rustc-warning-promoted",
	 "error: unused variable: `x`\n"
	 " --> ../samples/rust/a.rs:3:9\n"
	 "  |\n"
	 "3 |     let x = 1;\n"
	 "  |         ^ help: prefix it with an underscore: `_x`\n"
	 "  |\n"
	 "  = note: `-D unused-variables` implied by `-D warnings`\n",
	 NULL,
	 1,
	 {{"rustc", "error", "rust", "samples/rust/a.rs", 3, 9,
	   "unused variable: `x`",
	   "  |\n3 |     let x = 1;\n"
	   "  |         ^ help: prefix it with an underscore: `_x`\n"
	   "  |\n"
	   "  = note: `-D unused-variables` implied by `-D warnings`"}}},
	{"rustc-warning",
	 "warning: unused import: `kernel::prelude`\n"
	 " --> /build/src/samples/rust/a.rs:1:5\n"
	 "\n"
	 "warning: 1 warning emitted\n",
	 "/build/src",
	 1,
	 {{"rustc", "warning", "rust", "samples/rust/a.rs", 1, 5,
	   "unused import: `kernel::prelude`", NULL}}},
	{"chatter-is-not-rustc",
	 "warning: the compiler differs from the one used to build the "
	 "kernel\n"
	 "  The kernel was built by: clang 19\n",
	 NULL, 0, .want = {{0}}},
	{"bindgen-retags-clang",
	 "/src/include/linux/a.h:8:30: error: expected ';'\n"
	 "Unable to generate bindings: clang diagnosed error: "
	 "/src/include/linux/a.h:8:30: error: expected ';'\n"
	 "/src/include/linux/b.h:1:2: error: unknown type name 'x'\n"
	 "\n"
	 "/src/include/linux/c.h:1:2: error: other\n",
	 "/src/",
	 3,
	 {{"bindgen", "error", "c", "include/linux/a.h", 8, 30, "expected ';'",
	   NULL},
	  {"bindgen", "error", "c", "include/linux/b.h", 1, 2,
	   "unknown type name 'x'", NULL},
	  {"clang", "error", "c", "include/linux/c.h", 1, 2, "other", NULL}}},
	{"bindgen-other",
	 "Unable to generate bindings: NotExist(\"wrapper.h\")\n",
	 NULL,
	 1,
	 {{"bindgen", "error", "c", NULL, 0, 0, "NotExist(\"wrapper.h\")",
	   NULL}}},
	{"clang-error-with-frame",
	 "In file included from /src/drivers/a.c:30:\n"
	 "/src/drivers/a.h:322:6: error: unused variable 'u' "
	 "[-Werror,-Wunused-variable]\n"
	 "  322 |         int u;\n"
	 "      |             ^\n"
	 "1 error generated.\n",
	 "/src/",
	 1,
	 {{"clang", "error", "c", "drivers/a.h", 322, 6,
	   "unused variable 'u' [-Werror,-Wunused-variable]",
	   "  322 |         int u;\n      |             ^"}}},
	{"clang-warning-and-fatal",
	 "../drivers/a.c:1:2: warning: w [-Wformat]\n"
	 "../drivers/b.c:25:10: fatal error: 'x.h' file not found\n",
	 NULL,
	 2,
	 {{"clang", "warning", "c", "drivers/a.c", 1, 2, "w [-Wformat]", NULL},
	  {"clang", "error", "c", "drivers/b.c", 25, 10, "'x.h' file not found",
	   NULL}}},
	{"clang-note-excluded",
	 "a.c:1:2: error: e\n"
	 "  1 | x\n"
	 "b.h:3:4: note: expanded from macro 'm'\n"
	 "  3 | y\n",
	 NULL,
	 1,
	 {{"clang", "error", "c", "a.c", 1, 2, "e", "  1 | x"}}},
	{"gcc-quotes",
	 "/src/a.c: In function \xe2\x80\x98"
	 "f\xe2\x80\x99:\n"
	 "/src/a.c:3:7: error: \xe2\x80\x98x\xe2\x80\x99 undeclared\n"
	 "/src/b.c:4:1: warning: unused [-Wunused]\n"
	 "cc1: all warnings being treated as errors\n",
	 "/src",
	 2,
	 {{"gcc", "error", "c", "a.c", 3, 7,
	   "\xe2\x80\x98x\xe2\x80\x99 undeclared", NULL},
	  {"gcc", "warning", "c", "b.c", 4, 1, "unused [-Wunused]", NULL}}},
	{"clang-driver",
	 "clang: error: unknown argument: '-fno-foo'\n"
	 "clang: error: linker command failed with exit code 1\n",
	 NULL,
	 1,
	 {{"clang", "error", "c", NULL, 0, 0, "unknown argument: '-fno-foo'",
	   NULL}}},
	{"lld-undefined",
	 "ld.lld: error: undefined symbol: foo\n"
	 ">>> referenced by a.c:71 (/src/arch/x86/a.c:71)\n"
	 ">>>               arch/x86/a.o:(main)\n"
	 "ld.lld: error: too many errors emitted, stopping now\n",
	 "/src/",
	 1,
	 {{"ld.lld", "error", "link", "arch/x86/a.c", 71, 0,
	   "undefined symbol: foo",
	   ">>> referenced by a.c:71 (/src/arch/x86/a.c:71)\n"
	   ">>>               arch/x86/a.o:(main)"}}},
	{"lld-object-only",
	 "ld.lld: error: undefined symbol: bar\n"
	 ">>> referenced by drivers/x.o:(f) in archive vmlinux.a\n",
	 NULL,
	 1,
	 {{"ld.lld", "error", "link", "drivers/x.o", 0, 0,
	   "undefined symbol: bar",
	   ">>> referenced by drivers/x.o:(f) in archive vmlinux.a"}}},
	{"gnu-ld-undefined",
	 "/usr/bin/ld: /tmp/k.o: in function `main':\n"
	 "k.c:(.text+0x4a): undefined reference to `t'\n"
	 "k.c:(.text+0x5a): undefined reference to `u'\n"
	 "clang: error: linker command failed with exit code 1\n",
	 NULL,
	 2,
	 {{"ld", "error", "link", "k.c", 0, 0, "undefined reference to `t'",
	   "/usr/bin/ld: /tmp/k.o: in function `main':"},
	  {"ld", "error", "link", "k.c", 0, 0, "undefined reference to `u'",
	   "/usr/bin/ld: /tmp/k.o: in function `main':"}}},
	{"gnu-ld-other",
	 "x86_64-linux-gnu-ld: cannot find -lfoo\n"
	 "ld: warning: a.o: missing .note.GNU-stack section\n",
	 NULL,
	 2,
	 {{"ld", "error", "link", NULL, 0, 0, "cannot find -lfoo", NULL},
	  {"ld", "warning", "link", NULL, 0, 0,
	   "a.o: missing .note.GNU-stack section", NULL}}},
	{"modpost",
	 "ERROR: modpost: \"sym\" [drivers/x.ko] undefined!\n"
	 "WARNING: modpost: vmlinux: section mismatch in reference: a -> b\n"
	 "ERROR: modpost: missing MODULE_LICENSE() in drivers/y.o\n",
	 NULL,
	 3,
	 {{"modpost", "error", "link", "drivers/x.ko", 0, 0,
	   "\"sym\" [drivers/x.ko] undefined!", NULL},
	  {"modpost", "warning", "link", "vmlinux", 0, 0,
	   "vmlinux: section mismatch in reference: a -> b", NULL},
	  {"modpost", "error", "link", "drivers/y.o", 0, 0,
	   "missing MODULE_LICENSE() in drivers/y.o", NULL}}},
	{"kconfig-unmet",
	 "\n"
	 "WARNING: unmet direct dependencies detected for FOO\n"
	 "  Depends on [n]: BAR [=n]\n"
	 "  Selected by [y]:\n"
	 "  - BAZ [=y]\n"
	 "#\n",
	 NULL,
	 1,
	 {{"kconfig", "warning", "kconfig", NULL, 0, 0,
	   "unmet direct dependencies detected for FOO",
	   "  Depends on [n]: BAR [=n]\n  Selected by [y]:\n"
	   "  - BAZ [=y]"}}},
	{"kconfig-file",
	 "drivers/Kconfig:66: syntax error\n"
	 "drivers/Kconfig:69:warning: ignoring unsupported character ','\n"
	 ".config:12:warning: symbol value 'x' invalid for FOO\n",
	 NULL,
	 3,
	 {{"kconfig", "error", "kconfig", "drivers/Kconfig", 66, 0,
	   "syntax error", NULL},
	  {"kconfig", "warning", "kconfig", "drivers/Kconfig", 69, 0,
	   "ignoring unsupported character ','", NULL},
	  {"kconfig", "warning", "kconfig", ".config", 12, 0,
	   "symbol value 'x' invalid for FOO", NULL}}},
	{"kconfig-recursive",
	 "arch/Kconfig:3:error: recursive dependency detected!\n"
	 "arch/Kconfig:3:\tsymbol A depends on B\n"
	 "arch/Kconfig:8:\tsymbol B is selected by A\n",
	 NULL,
	 1,
	 {{"kconfig", "error", "kconfig", "arch/Kconfig", 3, 0,
	   "recursive dependency detected!",
	   "arch/Kconfig:3:\tsymbol A depends on B\n"
	   "arch/Kconfig:8:\tsymbol B is selected by A"}}},
	{"make-fallback",
	 "make[6]: *** [/src/scripts/Makefile.build:49: a/b.elf] Error 1\n"
	 "make[5]: *** [/src/a/Makefile:22: a/b.bin] Error 2\n"
	 "make[5]: *** Waiting for unfinished jobs....\n"
	 "make: *** [Makefile:236: __sub-make] Error 2\n",
	 "/src",
	 1,
	 {{"make", "error", "link", "scripts/Makefile.build", 49, 0,
	   "a/b.elf: Error 1", NULL}}},
	{"make-no-rule",
	 "make[5]: *** No rule to make target 'drivers/x.o'.  Stop.\n"
	 "make[4]: *** [/src/scripts/Makefile.build:471: drivers] Error 2\n",
	 "/src",
	 1,
	 {{"make", "error", "c", NULL, 0, 0,
	   "No rule to make target 'drivers/x.o'.", NULL}}},
	{"make-error-function",
	 "/src/arch/x86/Makefile:80: *** Rust is not supported.  Stop.\n"
	 "make[1]: *** [/src/Makefile:236: __sub-make] Error 2\n"
	 "make: *** [Makefile:236: __sub-make] Error 2\n",
	 "/src",
	 1,
	 {{"make", "error", "c", "arch/x86/Makefile", 80, 0,
	   "Rust is not supported.", NULL}}},
	{"make-silent-when-explained",
	 "a.c:1:1: error: e\n"
	 "make[1]: *** [Makefile:1: a.o] Error 1\n",
	 NULL,
	 1,
	 {{"clang", "error", "c", "a.c", 1, 1, "e", NULL}}},
	/* The severity is not part of what makes two diagnostics one. */
	{"dedupe-keeps-order",
	 "b.c:2:1: error: two\n"
	 "a.c:1:1: error: one\n"
	 "b.c:2:1: error: two\n"
	 "b.c:2:1: warning: two\n",
	 NULL,
	 2,
	 {{"clang", "error", "c", "b.c", 2, 1, "two", NULL},
	  {"clang", "error", "c", "a.c", 1, 1, "one", NULL}}},
	{"prefix-boundary",
	 "/srcx/a.c:1:1: error: e\n",
	 "/src",
	 1,
	 {{"clang", "error", "c", "/srcx/a.c", 1, 1, "e", NULL}}},
	{"colour-and-crlf",
	 "\x1b[0m\x1b[1m/src/a.c:1:2: \x1b[0m\x1b[0;1;31merror: "
	 "\x1b[0m\x1b[1mbad\x1b[0m\r\n",
	 "/src/",
	 1,
	 {{"clang", "error", "c", "a.c", 1, 2, "bad", NULL}}},
	{"no-trailing-newline",
	 "ld.lld: error: undefined symbol: x\n>>> referenced by y.o:(z)",
	 NULL,
	 1,
	 {{"ld.lld", "error", "link", "y.o", 0, 0, "undefined symbol: x",
	   ">>> referenced by y.o:(z)"}}},
	{"clean",
	 "  CC      a.o\n"
	 "Failed to run rustfmt: No such file or directory (os error 2) "
	 "(non-fatal, continuing)\n"
	 "  HDRINST usr/include/linux/can/error.h\n",
	 NULL, 0, .want = {{0}}},
};

static void check_want(const PcDiagnostic *x, const Want *w)
{
	g_assert_cmpstr(x->tool, ==, w->tool);
	g_assert_cmpstr(x->severity, ==, w->severity);
	g_assert_cmpstr(x->language, ==, w->language);
	g_assert_cmpstr(x->file, ==, w->file);
	g_assert_cmpuint(x->line, ==, w->line);
	g_assert_cmpuint(x->column, ==, w->column);
	g_assert_cmpstr(x->message, ==, w->message);
	g_assert_cmpstr(x->excerpt, ==, w->excerpt);
}

static void test_case(gconstpointer data)
{
	const Case *c = data;
	PcDiagnostics d = {0};
	guint n = 0;

	pc_buildlog_parse(parser, c->log, strlen(c->log), c->prefix, ASK, &d);
	while (n < G_N_ELEMENTS(c->want) && c->want[n].tool)
		n++;
	g_assert_cmpuint(d.total, ==, c->total);
	g_assert_cmpuint(d.items->len, >=, n);
	for (guint i = 0; i < n; i++)
		check_want(g_ptr_array_index(d.items, i), &c->want[i]);
	pc_diagnostics_clear(&d);
}

/* --- hostile input --- */

static void parse_bytes(const char *log, gsize len, guint max, PcDiagnostics *d)
{
	pc_buildlog_parse(parser, log, len, "/src/", max, d);
}

static void test_nuls(void)
{
	static const char log[] = "a.c:1:2: error: x\0y\nb\0.c:3:4: error: z";
	PcDiagnostics d = {0};
	const PcDiagnostic *x;

	parse_bytes(log, sizeof(log) - 1, ASK, &d);
	g_assert_cmpuint(d.total, ==, 2);
	x = g_ptr_array_index(d.items, 0);
	/* A NUL is a space in what we hand back, never the string's end. */
	g_assert_cmpstr(x->message, ==, "x y");
	x = g_ptr_array_index(d.items, 1);
	g_assert_cmpstr(x->file, ==, "b .c");
	g_assert_cmpstr(x->message, ==, "z");
	pc_diagnostics_clear(&d);
}

static void test_invalid_utf8(void)
{
	static const char log[] = "a\xff.c:1:2: error: \xc3(\xe2\x80\n";
	PcDiagnostics d = {0};
	const PcDiagnostic *x;

	parse_bytes(log, sizeof(log) - 1, ASK, &d);
	g_assert_cmpuint(d.total, ==, 1);
	x = g_ptr_array_index(d.items, 0);
	g_assert_true(g_utf8_validate(x->file, -1, NULL));
	g_assert_true(g_utf8_validate(x->message, -1, NULL));
	pc_diagnostics_clear(&d);
}

static void test_long_line(void)
{
	gsize n = 1 << 20;
	g_autoptr(GString) log = g_string_sized_new(n + 200);
	PcDiagnostics d = {0};
	const PcDiagnostic *x;

	/* A diagnostic whose message is 1 MiB, then an ordinary one. */
	g_string_append(log, "a.c:1:2: error: ");
	for (gsize i = 0; i < n; i++)
		g_string_append_c(log, "x\xc3\xa9"[i % 3]);
	g_string_append(log, "\nb.c:3:4: error: short\n");
	parse_bytes(log->str, log->len, ASK, &d);
	g_assert_cmpuint(d.total, ==, 2);
	x = g_ptr_array_index(d.items, 0);
	g_assert_cmpuint(strlen(x->message), <=, PC_BUILDLOG_MAX_MESSAGE);
	g_assert_true(g_utf8_validate(x->message, -1, NULL));
	x = g_ptr_array_index(d.items, 1);
	g_assert_cmpstr(x->message, ==, "short");
	pc_diagnostics_clear(&d);
}

static void test_long_line_no_newline(void)
{
	gsize n = (1 << 20) + 7;
	g_autofree char *log = g_malloc(n);
	PcDiagnostics d = {0};

	/* Colons and digits: the worst case for the location patterns. */
	for (gsize i = 0; i < n; i++)
		log[i] = "1:"[i % 2];
	parse_bytes(log, n, ASK, &d);
	g_assert_cmpuint(d.total, ==, 0);
	pc_diagnostics_clear(&d);
}

static void test_repeated(void)
{
	g_autoptr(GString) log = g_string_new(NULL);
	PcDiagnostics d = {0};

	for (int i = 0; i < 100000; i++)
		g_string_append(log, "/src/a.c:1:2: error: same\n"
				     "  1 | x\n");
	parse_bytes(log->str, log->len, ASK, &d);
	g_assert_cmpuint(d.total, ==, 1);
	g_assert_cmpuint(d.items->len, ==, 1);
	pc_diagnostics_clear(&d);
}

static void test_many_distinct(void)
{
	g_autoptr(GString) log = g_string_new(NULL);
	PcDiagnostics d = {0};
	const PcDiagnostic *x;

	for (int i = 1; i <= 100000; i++)
		g_string_append_printf(log, "/src/a.c:%d:2: error: e\n", i);
	parse_bytes(log->str, log->len, ASK, &d);
	g_assert_cmpuint(d.total, ==, 100000);
	g_assert_cmpuint(d.items->len, ==, ASK);
	x = g_ptr_array_index(d.items, ASK - 1);
	g_assert_cmpuint(x->line, ==, ASK);
	pc_diagnostics_clear(&d);

	/* A caller who asks for more than the cap gets the cap. */
	parse_bytes(log->str, log->len, G_MAXUINT, &d);
	g_assert_cmpuint(d.items->len, ==, PC_BUILDLOG_MAX_ITEMS);
	pc_diagnostics_clear(&d);
}

static void test_long_excerpt(void)
{
	g_autoptr(GString) log = g_string_new("a.c:1:2: error: e\n");
	PcDiagnostics d = {0};
	const PcDiagnostic *x;

	for (int i = 0; i < 1000; i++)
		g_string_append_printf(log, "%5d | %0200d\n", i, 0);
	parse_bytes(log->str, log->len, ASK, &d);
	x = g_ptr_array_index(d.items, 0);
	g_assert_cmpuint(strlen(x->excerpt), <=, PC_BUILDLOG_MAX_EXCERPT);
	g_assert_cmpuint(d.total, ==, 1);
	pc_diagnostics_clear(&d);
}

static void test_empty_and_max_zero(void)
{
	PcDiagnostics d = {0};

	parse_bytes("", 0, ASK, &d);
	g_assert_cmpuint(d.total, ==, 0);
	g_assert_cmpuint(d.items->len, ==, 0);
	pc_diagnostics_clear(&d);
	parse_bytes("a.c:1:2: error: e\n", 18, 0, &d);
	g_assert_cmpuint(d.total, ==, 1);
	g_assert_cmpuint(d.items->len, ==, 0);
	pc_diagnostics_clear(&d);
	/* Cleared twice is fine. */
	pc_diagnostics_clear(&d);
}

static void test_random(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(5);
	static const char *const bits[] = {
		"error",
		"warning",
		":",
		"1",
		"\n",
		" ",
		"|",
		"-->",
		">>>",
		"ld.lld: error: ",
		"make[2]: *** [",
		"]",
		"\0",
		"\xff",
		"Unable to generate bindings: ",
		"WARNING: modpost: ",
		"Kconfig",
		"  Depends on ",
		"/src/",
		"../",
		"\x1b[",
	};

	for (int round = 0; round < 200; round++) {
		g_autoptr(GString) log = g_string_new(NULL);
		PcDiagnostics d = {0};

		for (int i = 0; i < 400; i++) {
			const char *b = bits[g_rand_int_range(
				rand, 0, G_N_ELEMENTS(bits))];

			g_string_append_len(log, b, *b ? (gssize)strlen(b) : 1);
		}
		parse_bytes(log->str, log->len, ASK, &d);
		g_assert_cmpuint(d.items->len, <=, d.total);
		for (guint i = 0; i < d.items->len; i++) {
			const PcDiagnostic *x = g_ptr_array_index(d.items, i);

			g_assert_nonnull(x->message);
			g_assert_true(g_utf8_validate(x->message, -1, NULL));
			g_assert_true(!x->file ||
				      g_utf8_validate(x->file, -1, NULL));
		}
		pc_diagnostics_clear(&d);
	}
}

int main(int argc, char **argv)
{
	const char *dir = PC_BUILDLOG_FIXTURES;
	int rc;

	parser = pc_buildlog_parser_new();
	if (argc >= 3 && !strcmp(argv[1], "--dump")) {
		rc = dump(argv[2], argc >= 4 ? argv[3] : "/src/");
		pc_buildlog_parser_free(parser);
		return rc;
	}
	/* The fixture folder, if given, comes before GTest's options. */
	if (argc >= 2 && argv[1][0] != '-') {
		dir = argv[1];
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	g_test_init(&argc, &argv, NULL);
	fixture_paths = g_ptr_array_new_with_free_func(g_free);
	add_fixture_tests(dir);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path =
			g_strconcat("/buildlog/case/", cases[i].name, NULL);

		g_test_add_data_func(path, &cases[i], test_case);
	}
	g_test_add_func("/buildlog/hostile/nuls", test_nuls);
	g_test_add_func("/buildlog/hostile/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/buildlog/hostile/long-line", test_long_line);
	g_test_add_func("/buildlog/hostile/long-line-no-newline",
			test_long_line_no_newline);
	g_test_add_func("/buildlog/hostile/repeated", test_repeated);
	g_test_add_func("/buildlog/hostile/many-distinct", test_many_distinct);
	g_test_add_func("/buildlog/hostile/long-excerpt", test_long_excerpt);
	g_test_add_func("/buildlog/hostile/empty-and-max-zero",
			test_empty_and_max_zero);
	g_test_add_func("/buildlog/hostile/random", test_random);
	rc = g_test_run();
	g_ptr_array_unref(fixture_paths);
	pc_buildlog_parser_free(parser);
	return rc;
}
