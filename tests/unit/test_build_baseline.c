// SPDX-License-Identifier: GPL-2.0-only
/*
 * build_baseline: a failed build judged against its base's, from build
 * logs written the way rustc and clang write them (the parser of
 * parsers/buildlog.c reads them, as in a real job), and the cache of
 * the base's results on a real directory. The base built by a real
 * kernel build is tests/kernel/baseline.sh.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "build_baseline.h"
#include "reason.h"
#include "verdict.h"

#define BASE "0123456789abcdef0123456789abcdef01234567"
#define OTHER_KEY BASE "0123456789abcdef01234567" /* 64 hex digits */

typedef struct {
	char *dir;
	PcBuildResult tip, base;
	PcBaseline baseline;
	GPtrArray *tip_errors;
} Fixture;

/* A rustc error as the kernel's build prints it, from /src. */
static void rustc(GString *log, const char *code, const char *message,
		  const char *file, guint line)
{
	g_string_append_printf(log,
			       "  RUSTC L rust/kernel.o\n"
			       "error[%s]: %s\n"
			       "   --> /src/%s:%u:28\n"
			       "    |\n"
			       "%u |         let err = f(x);\n"
			       "    |\n\n",
			       code, message, file, line, line);
}

static void clang_error(GString *log, const char *file, guint line,
			const char *message)
{
	g_string_append_printf(log, "/src/%s:%u:5: error: %s\n", file, line,
			       message);
}

static void result_init(Fixture *f, PcBuildResult *r, const char *name,
			GString *log, const char *verdict)
{
	g_autofree char *path = g_build_filename(f->dir, name, NULL);

	g_string_append(log, "make[3]: *** [/src/rust/Makefile:474: "
			     "rust/kernel.o] Error 1\n");
	g_assert_true(g_file_set_contents(path, log->str, log->len, NULL));
	memset(r, 0, sizeof(*r));
	r->reasons = pc_reasons_new();
	r->verdict = g_strdup(verdict);
	r->recipe = g_strdup("kernel");
	r->coverage = g_strdup("rust");
	r->kconfig = g_strdup("allmodconfig");
	r->config_rust = g_strdup("y");
	r->toolchain.rustc = g_strdup("rustc 1.85.1");
	r->log_path = g_steal_pointer(&path);
	if (!strcmp(verdict, PC_VERDICT_FAIL))
		pc_reasons_add(r->reasons, "build-failed", PC_SEVERITY_ERROR,
			       "the rust-scope build failed; the first error, "
			       "in rust code, is at x");
}

/* The tip's and the base's logs, then the judgement, as job.c does. */
static void judge(Fixture *f, GString *tip_log, GString *base_log,
		  const char *base_verdict)
{
	result_init(f, &f->tip, "tip.log", tip_log, PC_VERDICT_FAIL);
	result_init(f, &f->base, "base.log", base_log, base_verdict);
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_BUILD);
	pc_baseline_from_build(&f->baseline, BASE, &f->base);
	f->tip_errors = pc_baseline_read_log(f->tip.log_path, "/src/");
	g_assert_nonnull(f->tip_errors);
	pc_baseline_judge(&f->tip, f->tip_errors, &f->baseline, NULL);
}

static const PcReason *reason(const PcBuildResult *r, const char *code)
{
	for (guint i = 0; i < r->reasons->len; i++)
		if (!strcmp(((PcReason *)r->reasons->pdata[i])->code, code))
			return r->reasons->pdata[i];
	return NULL;
}

static void setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("pc-baseline-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	pc_build_result_clear(&f->tip);
	pc_build_result_clear(&f->base);
	pc_baseline_clear(&f->baseline);
	if (f->tip_errors)
		g_ptr_array_unref(f->tip_errors);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

#define E0061 "this function takes 2 arguments but 1 argument was supplied"

/* The base's error, moved down by the pull request: still the base's. */
static void test_same_error_other_line(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);
	const PcReason *r;

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 301);
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	r = reason(&f->tip, "base-broken");
	g_assert_nonnull(r);
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
	g_assert_cmpstr(r->text, ==,
			"the base, 0123456789ab, already fails: in rust code, "
			"rust/kernel/error.rs:294: " E0061 " [E0061]");
	g_assert_cmpstr(reason(&f->tip, "build-failed")->severity, ==,
			PC_SEVERITY_INFO);
	g_assert_nonnull(f->tip.baseline);
	g_assert_cmpstr(f->tip.baseline->commit, ==, BASE);
	g_assert_cmpstr(f->tip.baseline->verdict, ==, PC_VERDICT_FAIL);
	g_assert_false(f->tip.baseline->cached);
	g_assert_cmpuint(f->tip.baseline->errors_common, ==, 1);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 0);
}

/* modpost names a module and no line: so does the base-broken text. */
static void test_base_modpost(Fixture *f, gconstpointer data)
{
	const char *modpost = "ERROR: modpost: \"kobject_create_and_add\" "
			      "[samples/kobject/kobject-example.ko] undefined!\n";
	g_autoptr(GString) tip = g_string_new(modpost);
	g_autoptr(GString) base = g_string_new(modpost);

	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_cmpstr(reason(&f->tip, "base-broken")->text, ==,
			"the base, 0123456789ab, already fails: modpost, in "
			"samples/kobject/kobject-example.ko: "
			"\"kobject_create_and_add\" "
			"[samples/kobject/kobject-example.ko] undefined!");
}

/* Another message in the same file: the pull request's own. */
static void test_new_message(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0061",
	      "this function takes 3 arguments but 1 argument was supplied",
	      "rust/kernel/error.rs", 294);
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_null(reason(&f->tip, "base-broken"));
	g_assert_cmpstr(reason(&f->tip, "build-failed")->severity, ==,
			PC_SEVERITY_ERROR);
	g_assert_cmpuint(f->tip.baseline->errors_common, ==, 0);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
}

/* The same words under another code are another error. */
static void test_code_differs(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0060", E0061, "rust/kernel/error.rs", 294);
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
	g_assert_cmpuint(f->tip.baseline->errors_common, ==, 0);
}

/* The same message in another file is another error. */
static void test_file_differs(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);

	clang_error(base, "kernel/a.c", 10, "use of undeclared identifier 'x'");
	clang_error(tip, "kernel/b.c", 10, "use of undeclared identifier 'x'");
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
}

/*
 * The base's error and a new one: a fail that cites only the new one
 * and says how many were the base's; the total stays the log's.
 */
static void test_new_and_old(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);
	const PcDiagnostic *d;

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 290);
	rustc(tip, "E0308", "mismatched types", "rust/kernel/error.rs", 292);
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpuint(f->tip.baseline->errors_common, ==, 1);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
	g_assert_cmpuint(f->tip.diagnostics->len, ==, 1);
	d = f->tip.diagnostics->pdata[0];
	g_assert_cmpstr(d->message, ==, "mismatched types [E0308]");
	g_assert_cmpuint(d->line, ==, 292);
	g_assert_cmpstr(reason(&f->tip, "build-failed")->text, ==,
			"the rust-scope build failed with 1 error the base, "
			"0123456789ab, does not have (and 1 it has too); the "
			"first new error, in rust code, rust/kernel/error.rs:"
			"292: mismatched types [E0308]");
	g_assert_null(reason(&f->tip, "base-broken"));
}

/*
 * The base's mistake made once more in the same file: one error in
 * common, one new, though only the line tells them apart.
 */
static void test_same_error_twice(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 294);
	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 310);
	judge(f, tip, base, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpuint(f->tip.baseline->errors_common, ==, 1);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
	g_assert_null(reason(&f->tip, "base-broken"));
}

/* A base that builds: every error is the pull request's. */
static void test_base_passes(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new("  RUSTC L rust/kernel.o\n");

	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 294);
	judge(f, tip, base, PC_VERDICT_PASS);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpstr(f->tip.baseline->verdict, ==, PC_VERDICT_PASS);
	g_assert_cmpuint(f->tip.baseline->errors_new, ==, 1);
	g_assert_cmpuint(f->tip.diagnostics ? f->tip.diagnostics->len : 0, ==,
			 0);	/* untouched: build.c's own */
}

/* A base not built (a timeout, a sandbox failure): nobody's to blame. */
static void test_base_unchecked(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	const PcReason *r;

	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 294);
	result_init(f, &f->tip, "tip.log", tip, PC_VERDICT_FAIL);
	f->baseline.commit = g_strdup(BASE);
	f->baseline.verdict = g_strdup(PC_VERDICT_UNCHECKED);
	pc_baseline_judge(&f->tip, NULL, &f->baseline,
			  "the build ran past [build] timeout");
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	r = reason(&f->tip, "base-unchecked");
	g_assert_nonnull(r);
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
	g_assert_nonnull(strstr(r->text, "0123456789ab"));
	g_assert_nonnull(strstr(r->text, "ran past [build] timeout"));
}

/* rust-disabled is the pull request's only when the base has Rust on. */
static void test_rust_off(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) log = g_string_new(NULL);
	gboolean base_on = GPOINTER_TO_INT(data);
	const PcReason *r;

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_FAIL);
	g_ptr_array_set_size(f->tip.reasons, 0);
	pc_reasons_add(f->tip.reasons, "rust-disabled", PC_SEVERITY_ERROR,
		       "CONFIG_RUST is n ...: init/Kconfig: depends on BROKEN "
		       "(BROKEN=n)");
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_CONFIGURE);
	f->baseline.commit = g_strdup(BASE);
	f->baseline.verdict = g_strdup(base_on ? PC_VERDICT_UNCHECKED
					       : PC_VERDICT_FAIL);
	f->baseline.config_rust = g_strdup(base_on ? "y" : "n");
	if (!base_on)
		f->baseline.first_error = g_strdup(
			"init/Kconfig: depends on BROKEN (BROKEN=n)");
	pc_baseline_judge(&f->tip, NULL, &f->baseline, NULL);
	r = reason(&f->tip, "base-rust-disabled");
	if (base_on) {
		g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
		g_assert_null(r);
		g_assert_cmpstr(reason(&f->tip, "rust-disabled")->severity, ==,
				PC_SEVERITY_ERROR);
	} else {
		g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
		g_assert_nonnull(r);
		g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
		g_assert_nonnull(strstr(r->text, "0123456789ab"));
		g_assert_nonnull(strstr(r->text, "BROKEN=n"));
	}
	g_assert_cmpstr(f->tip.baseline->config_rust, ==, base_on ? "y" : "n");
}

/* A pass, or a fail before any build, needs no base. */
static void test_need(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) log = g_string_new(NULL);

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_PASS);
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_NONE);
	g_free(f->tip.verdict);
	f->tip.verdict = g_strdup(PC_VERDICT_FAIL);
	pc_reasons_add(f->tip.reasons, "config-failed", PC_SEVERITY_ERROR,
		       "make allmodconfig failed");
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_NONE);
}

/* --- the cache --------------------------------------------------------- */

static char *cache_dir(Fixture *f)
{
	return g_build_filename(f->dir, "baseline", NULL);
}

/* A base's result, saved and loaded: a hit, equal, and "cached". */
static void test_cache_hit(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) tip = g_string_new(NULL);
	g_autoptr(GString) base = g_string_new(NULL);
	g_autofree char *dir = cache_dir(f), *key = NULL;
	g_autoptr(GError) error = NULL;
	PcBaseline loaded = { 0 };
	const PcBaselineError *e;

	rustc(base, "E0061", E0061, "rust/kernel/error.rs", 294);
	clang_error(base, "kernel/a.c", 3, "unknown type name 'x'");
	rustc(tip, "E0061", E0061, "rust/kernel/error.rs", 299);
	result_init(f, &f->tip, "tip.log", tip, PC_VERDICT_FAIL);
	result_init(f, &f->base, "base.log", base, PC_VERDICT_FAIL);
	f->base.duration_s = 12.5;
	pc_baseline_from_build(&f->baseline, BASE, &f->base);
	g_assert_cmpfloat(f->baseline.duration_s, ==, 12.5);
	key = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	g_assert_cmpuint(strlen(key), ==, 64);
	g_assert_false(pc_baseline_load(dir, key, &loaded));	/* no dir yet */
	g_assert_true(pc_baseline_save(dir, key, &f->baseline, &error));
	g_assert_no_error(error);
	g_assert_true(pc_baseline_load(dir, key, &loaded));
	g_assert_true(loaded.cached);
	g_assert_cmpstr(loaded.commit, ==, BASE);
	g_assert_cmpstr(loaded.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpstr(loaded.config_rust, ==, "y");
	g_assert_cmpstr(loaded.first_error, ==, f->baseline.first_error);
	g_assert_cmpuint(loaded.errors->len, ==, 2);
	e = loaded.errors->pdata[0];
	g_assert_cmpstr(e->tool, ==, "rustc");
	g_assert_cmpstr(e->file, ==, "rust/kernel/error.rs");
	g_assert_cmpstr(e->message, ==, E0061);
	g_assert_cmpstr(e->code, ==, "E0061");
	/* What was loaded judges as what was built. */
	f->tip_errors = pc_baseline_read_log(f->tip.log_path, "/src/");
	pc_baseline_judge(&f->tip, f->tip_errors, &loaded, NULL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_true(f->tip.baseline->cached);
	g_assert_cmpfloat(f->tip.baseline->duration_s, ==, 0);	/* not built */
	pc_baseline_clear(&loaded);
}

/* Anything that decides the base's build is in the key. */
static void test_cache_key(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) log = g_string_new(NULL);
	g_autoptr(GString) base_log = g_string_new(NULL);
	g_autofree char *dir = cache_dir(f);
	g_autofree char *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL,
			*k5 = NULL, *k6 = NULL;
	const char *const targets[] = { "rust/", "kernel/kthread.o", NULL };
	PcBaseline loaded = { 0 };

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_FAIL);
	result_init(f, &f->base, "base.log", base_log, PC_VERDICT_FAIL);
	k1 = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	pc_baseline_from_build(&f->baseline, BASE, &f->base);
	g_assert_true(pc_baseline_save(dir, k1, &f->baseline, NULL));
	k2 = pc_baseline_key("1123456789abcdef0123456789abcdef01234567",
			     &f->tip, PC_BASELINE_BUILD);
	k3 = pc_baseline_key(BASE, &f->tip, PC_BASELINE_CONFIGURE);
	f->tip.targets = g_strdupv((char **)targets);
	k4 = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	g_free(f->tip.toolchain.rustc);
	f->tip.toolchain.rustc = g_strdup("rustc 1.86.0");
	k5 = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	g_free(f->tip.kconfig);
	f->tip.kconfig = g_strdup("defconfig");
	k6 = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	for (const char *const *k = (const char *const[]){ k2, k3, k4, k5, k6,
							   NULL };
	     *k; k++) {
		g_assert_cmpstr(*k, !=, k1);
		g_assert_false(pc_baseline_load(dir, *k, &loaded));
	}
	g_assert_cmpstr(k5, !=, k4);
	g_assert_cmpstr(k6, !=, k5);
	g_assert_true(pc_baseline_load(dir, k1, &loaded));
	pc_baseline_clear(&loaded);
}

static void expect_warning(const char *pattern)
{
	g_test_expect_message("pullcheck-build", G_LOG_LEVEL_WARNING, pattern);
}

/* A file the module did not write is a miss, never a crash. */
static void test_cache_corrupt(Fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"version\": 1, \"key\": \"",	/* cut short */
		"[]",
		"{\"version\": 2}",
		/* The right shape, another key: a file renamed by hand. */
		"{\"version\":1,\"key\":\"" OTHER_KEY "\",\"commit\":\"" BASE
		"\",\"verdict\":\"fail\",\"config_rust\":\"y\",\"first_error\":"
		"null,\"errors\":[]}",
		/* The right key, a field of the wrong type. */
		"{\"version\":1,\"key\":\"@KEY@\",\"commit\":\"" BASE
		"\",\"verdict\":\"fail\",\"config_rust\":\"y\",\"first_error\":"
		"null,\"errors\":[{\"tool\":1,\"file\":\"\",\"message\":\"\","
		"\"code\":\"\"}]}",
		/* A verdict no build gives. */
		"{\"version\":1,\"key\":\"@KEY@\",\"commit\":\"" BASE
		"\",\"verdict\":\"pass\\u000a\",\"config_rust\":\"y\","
		"\"first_error\":null,\"errors\":[]}",
		NULL,
	};
	g_autoptr(GString) log = g_string_new(NULL);
	g_autofree char *dir = cache_dir(f), *key = NULL, *path = NULL;
	PcBaseline loaded = { 0 };

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_FAIL);
	key = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	path = g_strdup_printf("%s/%s.json", dir, key);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	for (guint i = 0; bad[i]; i++) {
		g_autoptr(GString) text = g_string_new(bad[i]);

		g_string_replace(text, "@KEY@", key, 0);
		g_assert_true(g_file_set_contents(path, text->str, -1, NULL));
		expect_warning("*is not one pullcheck wrote*");
		g_assert_false(pc_baseline_load(dir, key, &loaded));
		g_test_assert_expected_messages();
		g_assert_null(loaded.commit);
	}
	/* A link where the file goes. */
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(symlink("/etc/passwd", path), ==, 0);
	expect_warning("*is not read*");
	g_assert_false(pc_baseline_load(dir, key, &loaded));
	g_test_assert_expected_messages();
	/* A key that is not one: no path is made of it. */
	g_assert_false(pc_baseline_load(dir, "../../etc/passwd", &loaded));
}

/* Only a base whose build was checked is kept. */
static void test_cache_unchecked_not_kept(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) log = g_string_new(NULL);
	g_autofree char *dir = cache_dir(f), *key = NULL;
	g_autoptr(GError) error = NULL;
	PcBaseline loaded = { 0 };

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_FAIL);
	key = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	f->baseline.commit = g_strdup(BASE);
	f->baseline.verdict = g_strdup(PC_VERDICT_UNCHECKED);
	g_assert_true(pc_baseline_save(dir, key, &f->baseline, &error));
	g_assert_no_error(error);
	g_assert_false(pc_baseline_load(dir, key, &loaded));
}

/* --- the boot ---------------------------------------------------------- */

#define PANIC_TEXT "the boot in QEMU (TCG) failed: a kernel BUG before the " \
		   "init marker, line 90 of the console: kernel BUG at " \
		   "rust/helpers/bug.c:7!"

/*
 * A tip whose fast stage passed and whose boot went as @status says, as
 * build_kernel.c leaves it: a failed boot's reason an error, the
 * verdict fail.
 */
static void boot_tip(Fixture *f, const char *status)
{
	g_autoptr(GString) log = g_string_new(NULL);

	result_init(f, &f->tip, "tip.log", log, PC_VERDICT_PASS);
	f->tip.boot = g_new0(PcBootResult, 1);
	f->tip.boot->status = g_strdup(status);
	f->tip.boot->config = g_strdup("small");
	f->tip.boot->accel = g_strdup("tcg");
	f->tip.boot->out_dir = g_strdup("/var/cache/out-tip-boot-0123456789ab");
	if (strcmp(status, PC_VERDICT_FAIL))
		return;
	f->tip.boot->reason = g_strdup("boot-bug");
	f->tip.boot->text = g_strdup(PANIC_TEXT);
	pc_reasons_add(f->tip.reasons, "boot-bug", PC_SEVERITY_ERROR, "%s",
		       PANIC_TEXT);
	g_free(f->tip.verdict);
	f->tip.verdict = g_strdup(PC_VERDICT_FAIL);
}

/* The base's boot, as job.c reads it from a boot_only build. */
static void boot_base(Fixture *f, const char *status, const char *text)
{
	memset(&f->base, 0, sizeof(f->base));
	f->base.reasons = pc_reasons_new();
	f->base.verdict = g_strdup(status);
	f->base.boot = g_new0(PcBootResult, 1);
	f->base.boot->status = g_strdup(status);
	f->base.boot->text = g_strdup(text);
	pc_baseline_from_boot(&f->baseline, BASE, &f->base);
}

/* Only a failed boot needs the base's boot; a boot that passed none. */
static void test_boot_need(Fixture *f, gconstpointer data)
{
	boot_tip(f, PC_VERDICT_PASS);
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_NONE);
	pc_build_result_clear(&f->tip);
	boot_tip(f, PC_VERDICT_FAIL);
	g_assert_cmpint(pc_baseline_need(&f->tip), ==, PC_BASELINE_BOOT);
}

/* The base boots: the fail is the pull request's, and says so. */
static void test_boot_base_boots(Fixture *f, gconstpointer data)
{
	const PcReason *r;

	boot_tip(f, PC_VERDICT_FAIL);
	boot_base(f, PC_VERDICT_PASS, "booted to init");
	g_assert_cmpstr(f->baseline.verdict, ==, PC_VERDICT_PASS);
	g_assert_null(f->baseline.first_error);
	pc_baseline_judge(&f->tip, NULL, &f->baseline, NULL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_FAIL);
	r = reason(&f->tip, "boot-bug");
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_ERROR);
	g_assert_true(g_str_has_prefix(r->text, PANIC_TEXT));
	g_assert_nonnull(strstr(r->text, "the base, 0123456789ab, boots to "
					 "init the same way"));
	g_assert_null(reason(&f->tip, "base-boot-broken"));
	g_assert_cmpstr(f->tip.baseline->verdict, ==, PC_VERDICT_PASS);
}

/* The base does not boot either: not the pull request's to answer for. */
static void test_boot_base_broken(Fixture *f, gconstpointer data)
{
	const PcReason *r;

	boot_tip(f, PC_VERDICT_FAIL);
	boot_base(f, PC_VERDICT_FAIL, "the boot in QEMU (TCG) failed: no "
				      "init marker in 300 s");
	pc_baseline_judge(&f->tip, NULL, &f->baseline, NULL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_cmpstr(reason(&f->tip, "boot-bug")->severity, ==,
			PC_SEVERITY_INFO);
	r = reason(&f->tip, "base-boot-broken");
	g_assert_nonnull(r);
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
	g_assert_nonnull(strstr(r->text, "the base, 0123456789ab, already "
					 "fails to boot"));
	g_assert_nonnull(strstr(r->text, "no init marker in 300 s"));
	g_assert_cmpstr(f->tip.baseline->verdict, ==, PC_VERDICT_FAIL);
}

/* The base's boot could not be tried (QEMU refused, say): unknown. */
static void test_boot_base_unchecked(Fixture *f, gconstpointer data)
{
	const PcReason *r;

	boot_tip(f, PC_VERDICT_FAIL);
	boot_base(f, PC_VERDICT_UNCHECKED, "QEMU did not start");
	pc_baseline_judge(&f->tip, NULL, &f->baseline, "QEMU did not start");
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_cmpstr(reason(&f->tip, "boot-bug")->severity, ==,
			PC_SEVERITY_INFO);
	r = reason(&f->tip, "base-unchecked");
	g_assert_nonnull(r);
	g_assert_nonnull(strstr(r->text, "could not be booted"));
	g_assert_nonnull(strstr(r->text, "QEMU did not start"));
}

/*
 * A base's boot is cached apart from its build, and per bootable config
 * and accelerator: a TCG boot says nothing of a KVM one.
 */
static void test_boot_key(Fixture *f, gconstpointer data)
{
	g_autofree char *boot = NULL, *build = NULL, *kvm = NULL;
	g_autofree char *other = NULL, *again = NULL;

	boot_tip(f, PC_VERDICT_FAIL);
	boot = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BOOT);
	build = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	g_assert_cmpstr(boot, !=, build);
	g_free(f->tip.boot->accel);
	f->tip.boot->accel = g_strdup("kvm");
	kvm = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BOOT);
	g_assert_cmpstr(kvm, !=, boot);
	g_free(f->tip.boot->out_dir);
	f->tip.boot->out_dir = g_strdup("/var/cache/out-tip-boot-fedcba987654");
	other = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BOOT);
	g_assert_cmpstr(other, !=, kvm);
	/* the build's key takes nothing of the boot */
	again = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BUILD);
	g_assert_cmpstr(again, ==, build);
}

/* A failed boot of the base, kept and read back. */
static void test_boot_cache(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = cache_dir(f), *key = NULL;
	g_autoptr(GError) error = NULL;
	PcBaseline loaded = { 0 };

	boot_tip(f, PC_VERDICT_FAIL);
	boot_base(f, PC_VERDICT_FAIL, "no init marker in 300 s");
	key = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BOOT);
	g_assert_true(pc_baseline_save(dir, key, &f->baseline, &error));
	g_assert_no_error(error);
	g_assert_true(pc_baseline_load(dir, key, &loaded));
	g_assert_cmpstr(loaded.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpstr(loaded.first_error, ==, "no init marker in 300 s");
	pc_baseline_judge(&f->tip, NULL, &loaded, NULL);
	g_assert_cmpstr(f->tip.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_true(f->tip.baseline->cached);
	pc_baseline_clear(&loaded);
}

/*
 * A console line of 2 KiB in the base's boot text, its 1024th byte
 * inside a character: kept cut before that character, so the cache
 * (which refuses a first error over 1024 bytes) reads it back.
 */
static void test_boot_cache_long(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = cache_dir(f), *key = NULL;
	g_autoptr(GString) text = g_string_new("x");
	g_autoptr(GError) error = NULL;
	PcBaseline loaded = { 0 };

	for (guint i = 0; i < 1000; i++)
		g_string_append(text, "\xc3\xa9");	/* é: two bytes */
	boot_tip(f, PC_VERDICT_FAIL);
	boot_base(f, PC_VERDICT_FAIL, text->str);
	g_assert_cmpuint(strlen(f->baseline.first_error), ==, 1023);
	g_assert_true(g_utf8_validate(f->baseline.first_error, -1, NULL));
	key = pc_baseline_key(BASE, &f->tip, PC_BASELINE_BOOT);
	g_assert_true(pc_baseline_save(dir, key, &f->baseline, &error));
	g_assert_no_error(error);
	g_assert_true(pc_baseline_load(dir, key, &loaded));
	g_assert_cmpstr(loaded.first_error, ==, f->baseline.first_error);
	pc_baseline_clear(&loaded);
}

#define ADD(path, fn, data)                                                \
	g_test_add(path, Fixture, data, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/baseline/compare/same-error-other-line",
	    test_same_error_other_line, NULL);
	ADD("/baseline/compare/new-message", test_new_message, NULL);
	ADD("/baseline/compare/modpost", test_base_modpost, NULL);
	ADD("/baseline/compare/code-differs", test_code_differs, NULL);
	ADD("/baseline/compare/file-differs", test_file_differs, NULL);
	ADD("/baseline/compare/new-and-old", test_new_and_old, NULL);
	ADD("/baseline/compare/same-error-twice", test_same_error_twice, NULL);
	ADD("/baseline/compare/base-passes", test_base_passes, NULL);
	ADD("/baseline/compare/base-unchecked", test_base_unchecked, NULL);
	ADD("/baseline/rust-off/base-on", test_rust_off, GINT_TO_POINTER(1));
	ADD("/baseline/rust-off/base-off", test_rust_off, GINT_TO_POINTER(0));
	ADD("/baseline/need", test_need, NULL);
	ADD("/baseline/boot/need", test_boot_need, NULL);
	ADD("/baseline/boot/base-boots", test_boot_base_boots, NULL);
	ADD("/baseline/boot/base-broken", test_boot_base_broken, NULL);
	ADD("/baseline/boot/base-unchecked", test_boot_base_unchecked, NULL);
	ADD("/baseline/boot/key", test_boot_key, NULL);
	ADD("/baseline/boot/cache", test_boot_cache, NULL);
	ADD("/baseline/boot/cache-long", test_boot_cache_long, NULL);
	ADD("/baseline/cache/hit", test_cache_hit, NULL);
	ADD("/baseline/cache/key", test_cache_key, NULL);
	ADD("/baseline/cache/corrupt", test_cache_corrupt, NULL);
	ADD("/baseline/cache/unchecked-not-kept",
	    test_cache_unchecked_not_kept, NULL);
	return g_test_run();
}
