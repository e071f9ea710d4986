// SPDX-License-Identifier: GPL-2.0-only
/*
 * The build step with the command recipe on a small real C project and
 * the host's real compiler, and the kernel recipe's answer when there is
 * no build root, and its check of the .config on fixtures. The kernel
 * recipe on a real kernel is tests/kernel/.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "buildlog.h"
#include "kbuild.h"
#include "reason.h"
#include "verdict.h"

typedef struct {
	char *dir, *src, *out, *log, *conf;
	PcConfig *config;
	PcBuildResult result;
} Fixture;

static void write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	f->dir = g_dir_make_tmp("pc-build-XXXXXX", NULL);
	f->src = g_build_filename(f->dir, "src", NULL);
	f->out = g_build_filename(f->dir, "out", NULL);
	f->log = g_build_filename(f->dir, "build.log", NULL);
	f->conf = g_build_filename(f->dir, "pullcheck.conf", NULL);
	g_mkdir(f->src, 0755);
	write_file(f->src, "Makefile",
		   "all:\n\tcc -Wall -Werror -c -o $(OUT)/hello.o "
		   "$(CURDIR)/hello.c\n");
	text = g_strdup_printf("[pullcheck]\nstate_dir = %s\n[build]\n"
			       "recipe = command\ncommand = make;-C;/tmp/src\n"
			       "root = %s/no-root\ntimeout = 60\n",
			       f->dir, f->dir);
	write_file(f->dir, "pullcheck.conf", text);
	f->config = pc_config_load(f->conf, &error);
	g_assert_no_error(error);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	pc_build_result_clear(&f->result);
	pc_config_free(f->config);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->src);
	g_free(f->out);
	g_free(f->log);
	g_free(f->conf);
}

static void build(Fixture *f)
{
	PcBuildSpec spec = { .config = f->config, .src = f->src,
			     .out = f->out, .log_path = f->log };
	g_autoptr(GError) error = NULL;

	g_assert_true(pc_build_run(&spec, &f->result, &error));
	g_assert_no_error(error);
}

static void test_command_pass(Fixture *f, gconstpointer data)
{
	g_autofree char *obj = g_build_filename(f->out, "hello.o", NULL);

	write_file(f->src, "hello.c", "int hello(void) { return 42; }\n");
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "pass");
	g_assert_true(g_file_test(obj, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(f->result.diagnostics_total, ==, 0);
}

static void test_command_fail(Fixture *f, gconstpointer data)
{
	const PcDiagnostic *d;

	write_file(f->src, "hello.c",
		   "int hello(void)\n{\n\tint unused;\n\treturn nope;\n}\n");
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "fail");
	g_assert_nonnull(pc_reasons_find(f->result.reasons, PC_SEVERITY_ERROR));
	g_assert_cmpuint(f->result.diagnostics_total, >=, 1);
	d = NULL;
	for (guint i = 0; !d && i < f->result.diagnostics->len; i++) {
		const PcDiagnostic *x = f->result.diagnostics->pdata[i];

		if (!strcmp(x->severity, "error"))
			d = x;
	}
	g_assert_nonnull(d);
	g_assert_cmpstr(d->file, ==, "hello.c");
	g_assert_cmpuint(d->line, ==, 4);
	g_assert_cmpstr(d->language, ==, "c");
	g_assert_nonnull(strstr(d->message, "nope"));
}

/*
 * modpost names a module and no line in it: the verdict's first error
 * says so, with no made-up line.
 */
static void test_command_modpost(Fixture *f, gconstpointer data)
{
	const PcReason *r;

	write_file(f->src, "Makefile",
		   "all:\n\t@echo 'ERROR: modpost: \"foo\" "
		   "[drivers/x/x.ko] undefined!'\n\t@false\n");
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "fail");
	r = pc_reasons_find(f->result.reasons, PC_SEVERITY_ERROR);
	g_assert_nonnull(r);
	g_test_message("%s", r->text);
	g_assert_nonnull(strstr(r->text, "; the first error (modpost) is in "
					 "drivers/x/x.ko: \"foo\" "
					 "[drivers/x/x.ko] undefined!"));
	g_assert_null(strstr(r->text, ".ko:0"));
}

static void test_command_timeout(Fixture *f, gconstpointer data)
{
	write_file(f->src, "Makefile", "all:\n\tsleep 100\n");
	f->config->build_timeout = 1;
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->code, ==,
			"build-timeout");
}

static void test_kernel_no_root(Fixture *f, gconstpointer data)
{
	g_free(f->config->build_recipe);
	f->config->build_recipe = g_strdup("kernel");
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->code, ==,
			"toolchain-missing");
	g_assert_nonnull(strstr(((PcReason *)f->result.reasons->pdata[0])->text,
				"setup-root"));
}

/*
 * The reproduce commands give the config target what Kconfig reads of
 * the fragment, not the operator's comments in [build] kconfig_extra.
 */
static void test_kernel_reproduce_fragment(Fixture *f, gconstpointer data)
{
	const char *extra = "# [build] kconfig_extra: a comment\n"
			    "\n"
			    "CONFIG_64BIT=y\n"
			    "  # an indented comment\n"
			    "# CONFIG_SAMPLES is not set\n"
			    "#CONFIG_NOSPACE is not set\n"
			    "CONFIG_CRC_CCITT=y";
	g_autofree char *path = g_build_filename(f->dir, "extra.config", NULL);
	const char *printf_line = NULL;

	write_file(f->dir, "extra.config", extra);
	g_free(f->config->build_recipe);
	f->config->build_recipe = g_strdup("kernel");
	f->config->build_kconfig_extra = g_strdup(path);
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	/* The record keeps the whole fragment given to Kconfig. */
	g_assert_nonnull(strstr(f->result.fragment, "# [build] kconfig_extra"));
	for (char **l = f->result.reproduce; l && *l; l++)
		if (g_str_has_prefix(*l, "$ printf "))
			printf_line = *l;
	g_assert_cmpstr(printf_line, ==,
			"$ printf 'CONFIG_RUST=y\\nCONFIG_RANDSTRUCT_NONE=y\\n"
			"# CONFIG_MODVERSIONS is not set\\nCONFIG_64BIT=y\\n"
			"# CONFIG_SAMPLES is not set\\nCONFIG_CRC_CCITT=y\\n' "
			">rust.config");
}

static void test_fragment_lines(void)
{
	const char *const cases[][2] = {
		{ "", "" },
		{ NULL, "" },
		{ "CONFIG_A=y", "CONFIG_A=y\n" },
		{ "# CONFIG_A is not set\n", "# CONFIG_A is not set\n" },
		{ "# CONFIG_ is not set\n", "" },
		{ "# CONFIG_A is not set, really\n", "" },
		{ "# CONFIG_A-B is not set\n", "" },
		{ " # CONFIG_A is not set\n", "" },
		{ "#\n\t\n \nCONFIG_B=m\n# x\n", "CONFIG_B=m\n" },
		/* Not a comment: Kconfig warns about it; shown as given. */
		{ "junk\n", "junk\n" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = pc_build_fragment_lines(cases[i][0]);

		g_assert_cmpstr(got, ==, cases[i][1]);
	}
}

/*
 * The kernel recipe keeps its output between jobs; a build that leaves a
 * directory where pullcheck writes its Rust fragment does not make every
 * later job fail to set up: the output is emptied once, the log says so,
 * and the next build keeps its output again.
 */
static void test_kernel_planted_out(Fixture *f, gconstpointer data)
{
	g_autofree char *kconf = g_build_filename(f->out, "pullcheck-rust.config",
						  NULL);
	g_autofree char *inner = g_build_filename(kconf, "x", NULL);
	g_autofree char *kept = g_build_filename(f->out, "kept.o", NULL);
	g_autofree char *log = NULL;

	g_free(f->config->build_recipe);
	f->config->build_recipe = g_strdup("kernel");
	g_assert_cmpint(g_mkdir_with_parents(inner, 0755), ==, 0);
	write_file(f->out, "kept.o", "");
	build(f);
	/* No root here: the build itself is could-not-check for that. */
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->code, ==,
			"toolchain-missing");
	g_assert_true(g_file_test(kconf, G_FILE_TEST_IS_REGULAR));
	g_assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "### pullcheck: the output "));
	g_assert_nonnull(strstr(log, " was emptied, it could not be "
				     "prepared: "));
	g_assert_false(g_file_test(kept, G_FILE_TEST_EXISTS));
	write_file(f->out, "kept.o", "");
	pc_build_result_clear(&f->result);
	build(f);
	g_assert_true(g_file_test(kept, G_FILE_TEST_EXISTS));
	g_clear_pointer(&log, g_free);
	g_assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
}

/*
 * What a kernel build leaves at the name of the Rust fragment is
 * replaced, never written through or into: a symlink out of the output
 * is not followed, a longer file leaves no tail of its own behind in the
 * next job's fragment (GLib's plain g_file_set_contents_full() neither
 * truncates nor refuses a link).
 */
static void test_kernel_fragment_replaced(Fixture *f, gconstpointer data)
{
	g_autofree char *kconf = g_build_filename(f->out, "pullcheck-rust.config",
						  NULL);
	g_autofree char *victim = g_build_filename(f->dir, "victim", NULL);
	g_autofree char *first = NULL, *text = NULL;

	g_free(f->config->build_recipe);
	f->config->build_recipe = g_strdup("kernel");
	build(f);
	g_assert_true(g_file_get_contents(kconf, &first, NULL, NULL));
	g_assert_cmpint(g_unlink(kconf), ==, 0);
	write_file(f->dir, "victim", "keep");
	g_assert_cmpint(symlink(victim, kconf), ==, 0);
	pc_build_result_clear(&f->result);
	build(f);
	g_assert_true(g_file_get_contents(victim, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "keep");
	g_clear_pointer(&text, g_free);
	g_assert_true(g_file_test(kconf, G_FILE_TEST_IS_REGULAR) &&
		      !g_file_test(kconf, G_FILE_TEST_IS_SYMLINK));
	text = g_strconcat(first, first, "CONFIG_PLANTED=y\n", NULL);
	g_assert_true(g_file_set_contents(kconf, text, -1, NULL));
	g_clear_pointer(&text, g_free);
	pc_build_result_clear(&f->result);
	build(f);
	g_assert_true(g_file_get_contents(kconf, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, first);
}

/*
 * The limits the build runs under, as the build sees them: the process
 * limit binds (sandbox.c sets it for every step), so a fork bomb in a
 * tree stops at it instead of filling the machine.
 */
static void test_command_limits(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	g_auto(GStrv) words = NULL;

	g_strfreev(f->config->build_command);
	f->config->build_command = g_strsplit("grep;^Max processes;"
					      "/proc/self/limits", ";", -1);
	build(f);
	g_assert_cmpstr(f->result.verdict, ==, PC_VERDICT_PASS);
	g_assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
	words = g_regex_split_simple("\\s+", strstr(log, "Max processes"), 0, 0);
	/* "Max", "processes", soft, hard, "processes" */
	g_assert_cmpstr(words[2], ==, "8192");
	g_assert_cmpstr(words[3], ==, "8192");
}

/*
 * The kernel recipe's .config check, fed a fixture .config; the fixture
 * directory stands in for the tree (its init/Kconfig explains).
 */
static gboolean check_config(Fixture *f, const char *name)
{
	g_autofree char *path = g_build_filename(PC_KCONFIG_FIXTURES, name,
						 NULL);
	g_autofree char *text = NULL;

	g_mkdir(f->out, 0755);
	if (name) {
		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		write_file(f->out, ".config", text);
	}
	f->result.reasons = pc_reasons_new();
	f->result.verdict = g_strdup(PC_VERDICT_UNCHECKED);
	return pc_build_check_rust_config(PC_KCONFIG_FIXTURES, f->out,
					  &f->result);
}

static void test_config_rust_y(Fixture *f, gconstpointer data)
{
	g_assert_true(check_config(f, "rust-y.config"));
	g_assert_cmpstr(f->result.config_rust, ==, "y");
	g_assert_cmpuint(f->result.reasons->len, ==, 0);
	g_assert_cmpstr(f->result.verdict, ==, PC_VERDICT_UNCHECKED);
}

/* Rust off is the tree's fail, with the reason a maintainer reads. */
static void assert_rust_off(Fixture *f)
{
	const PcReason *r;

	g_assert_cmpstr(f->result.config_rust, ==, "n");
	g_assert_cmpstr(f->result.verdict, ==, PC_VERDICT_FAIL);
	g_assert_cmpuint(f->result.reasons->len, ==, 1);
	r = f->result.reasons->pdata[0];
	g_assert_cmpstr(r->code, ==, "rust-disabled");
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_ERROR);
}

static void test_config_rust_not_set(Fixture *f, gconstpointer data)
{
	g_assert_false(check_config(f, "rust-not-set.config"));
	assert_rust_off(f);
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->text, ==,
			"CONFIG_RUST is n in the .config make allmodconfig made "
			"with CONFIG_RUST=y asked for, so Rust cannot be "
			"built: init/Kconfig: depends on HAVE_RUST "
			"[HAVE_RUST=y]; depends on RUST_IS_AVAILABLE "
			"[RUST_IS_AVAILABLE=y]; depends on !MODVERSIONS "
			"[MODVERSIONS=y]");
}

/* Under another [build] kconfig, the text names that target, not ours. */
static void test_config_rust_other_kconfig(Fixture *f, gconstpointer data)
{
	const char *text;

	f->result.kconfig = g_strdup("allnoconfig");
	g_assert_false(check_config(f, "rust-not-set.config"));
	assert_rust_off(f);
	text = ((PcReason *)f->result.reasons->pdata[0])->text;
	g_assert_true(g_str_has_prefix(text, "CONFIG_RUST is n in the .config "
					     "make allnoconfig made with "
					     "CONFIG_RUST=y asked for"));
	g_assert_null(strstr(text, "allmodconfig"));
}

/* Only CONFIG_RUST_IS_AVAILABLE and the like: not CONFIG_RUST itself. */
static void test_config_rust_absent(Fixture *f, gconstpointer data)
{
	g_assert_false(check_config(f, "rust-absent.config"));
	assert_rust_off(f);
}

/* No .config at all is our side's failure, not the tree's. */
static void test_config_missing(Fixture *f, gconstpointer data)
{
	g_assert_false(check_config(f, NULL));
	g_assert_null(f->result.config_rust);
	g_assert_cmpstr(f->result.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->code, ==,
			"config-missing");
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->text, ==,
			"make allmodconfig left no .config");
}

static void test_config_missing_other_kconfig(Fixture *f, gconstpointer data)
{
	f->result.kconfig = g_strdup("tinyconfig");
	g_assert_false(check_config(f, NULL));
	g_assert_cmpstr(((PcReason *)f->result.reasons->pdata[0])->text, ==,
			"make tinyconfig left no .config");
}

/*
 * The build (a hostile tree's Makefile) leaves .config as a FIFO or a
 * link to /dev/zero: the check ends at once with a reason naming it,
 * not blocked on the FIFO nor reading without end. The alarm fails a
 * test that blocks.
 */
static void check_config_refused(Fixture *f)
{
	const PcReason *r;

	f->result.reasons = pc_reasons_new();
	f->result.verdict = g_strdup(PC_VERDICT_UNCHECKED);
	alarm(10);
	g_assert_false(pc_build_check_rust_config(PC_KCONFIG_FIXTURES, f->out,
						  &f->result));
	alarm(0);
	g_assert_null(f->result.config_rust);
	g_assert_cmpstr(f->result.verdict, ==, PC_VERDICT_UNCHECKED);
	g_assert_cmpuint(f->result.reasons->len, ==, 1);
	r = f->result.reasons->pdata[0];
	g_test_message("%s", r->text);
	g_assert_cmpstr(r->code, ==, "config-unreadable");
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
	g_assert_nonnull(strstr(r->text, "the .config the build left was not "
					 "read: "));
}

static void test_config_fifo(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->out, ".config", NULL);

	g_mkdir(f->out, 0755);
	g_assert_cmpint(mkfifo(path, 0644), ==, 0);
	check_config_refused(f);
	g_assert_nonnull(strstr(((PcReason *)f->result.reasons->pdata[0])->text,
				".config: not a regular file"));
}

static void test_config_dev_zero(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->out, ".config", NULL);

	g_mkdir(f->out, 0755);
	g_assert_cmpint(symlink("/dev/zero", path), ==, 0);
	check_config_refused(f);
	g_assert_nonnull(strstr(((PcReason *)f->result.reasons->pdata[0])->text,
				".config: a symbolic link, not followed"));
}

/* The tree's init is a link (here to a good init/): it is not followed. */
static void test_kconfig_link(Fixture *f, gconstpointer data)
{
	g_autofree char *init = g_build_filename(f->src, "init", NULL);
	g_autofree char *target = g_build_filename(PC_KCONFIG_FIXTURES, "init",
						   NULL);
	g_autofree char *config = NULL;
	g_autofree char *config_path = g_build_filename(PC_KCONFIG_FIXTURES,
							"rust-not-set.config",
							NULL);
	g_autofree char *why = NULL;

	g_assert_cmpint(symlink(target, init), ==, 0);
	g_assert_true(g_file_get_contents(config_path, &config, NULL, NULL));
	why = pc_kbuild_explain_rust_off(f->src, config);
	g_test_message("%s", why);
	g_assert_true(g_str_has_prefix(why, "(not read: "));
	g_assert_nonnull(strstr(why, "init/Kconfig: init is a symbolic link"));
	g_assert_null(strstr(why, "depends on"));
}

/*
 * What kbuild lists, as the listing run prints it (the lines are cut
 * from a real allmodconfig run on 6.12), with what a hostile tree's
 * Makefile could add: noise, a path with "..", an option, a variable.
 */
static const char LISTING[] =
	"Makefile:232: warning: overriding recipe for target 'pc-walk'\n"
	"PCLIST .: arch/x86 arch/x86/lib block drivers kernel lib samples "
	"rust | | \n"
	"PCLIST arch/arm64/kernel: arch/arm64/kernel/pi | "
	"arch/arm64/kernel/setup.o arch/arm64/kernel/irq.o | \n"
	"PCLIST kernel: kernel/sched kernel/bpf | kernel/kthread.o "
	"kernel/fork.o | kernel/configs.o\n"
	"PCLIST kernel/sched:  | kernel/sched/core.o kernel/sched/fair.o "
	"kernel/sched/build_policy.o kernel/sched/build_utility.o | \n"
	"PCLIST drivers: drivers/net drivers/block | | \n"
	"PCLIST drivers/net: drivers/net/phy/ | | \n"
	"PCLIST drivers/net/phy: drivers/net/phy/qcom | "
	"drivers/net/phy/stubs.o | drivers/net/phy/ax88796b_rust.o "
	"drivers/net/phy/phy.o -j99 ../evil.o O=/etc/x.o\n"
	"PCLIST samples: samples/rust | | \n"
	"PCLIST samples/rust:  |  | samples/rust/rust_minimal.o\n"
	"PCLIST lib: lib/crypto | lib/string.o | \n"
	"PCLIST ../x: a | b.o | c.o\n"
	"/src/scripts/Makefile.build:50: 'drivers/net/phy/phy.ko' ...\n";

static void test_kbuild_listing(Fixture *f, gconstpointer data)
{
	g_autoptr(PcKbuildListing) l =
		pc_kbuild_listing_parse(LISTING, strlen(LISTING));
	const char *const rust[] = {
		"rust/kernel/lib.rs", "samples/rust/rust_minimal.rs",
		"drivers/net/phy/ax88796b_rust.rs",
		"drivers/gpu/drm/nova/nova.rs", "arch/arm64/x.rs", NULL,
	};
	const char *const changed[] = {
		"arch/arm64/kernel/setup.c", "kernel/sched/rt.c",
		"include/linux/kthread.h", "lib/string.c",
		"drivers/net/phy/Makefile", "arch/arm64/kernel/Makefile",
		"Makefile", "a b.c", NULL,
	};
	const char *const dependents[] = {
		"kernel/sched/build_policy.o", "kernel/kthread.o",
		"arch/arm64/kernel/irq.o", "kernel/sched/stale.o",
		"fs/ext4/inode.o", NULL,
	};
	g_auto(GStrv) targets = NULL;

	g_assert_true(pc_kbuild_listing_visits(l, "."));
	g_assert_true(pc_kbuild_listing_visits(l, "kernel/sched"));
	g_assert_true(pc_kbuild_listing_visits(l, "drivers/net/phy"));
	/* listed, but the top does not descend into arch/arm64 */
	g_assert_false(pc_kbuild_listing_visits(l, "arch/arm64/kernel"));
	g_assert_false(pc_kbuild_listing_builds(l, "arch/arm64/kernel/setup.o"));
	g_assert_true(pc_kbuild_listing_builds(l, "kernel/sched/build_policy.o"));
	g_assert_false(pc_kbuild_listing_builds(l, "kernel/sched/rt.o"));
	g_assert_true(pc_kbuild_listing_builds(l, "kernel/configs.o"));
	g_assert_false(pc_kbuild_listing_builds(l, "-j99"));
	g_assert_false(pc_kbuild_listing_knows(l, "../x"));
	g_assert_false(pc_kbuild_listing_knows(l, "fs/ext4"));
	targets = pc_kbuild_fast_targets(l, rust, changed, dependents);
	g_assert_cmpstrv(targets, ((const char *const[]){
		"rust/", "samples/rust/", "drivers/net/phy/ax88796b_rust.o",
		"lib/string.o", "kernel/sched/build_policy.o",
		"kernel/kthread.o", "fs/ext4/inode.o", "drivers/net/phy/stubs.o",
		"drivers/net/phy/phy.o", NULL }));
}

/*
 * The listing printed twice, as a real run printed it for defconfig +
 * kvm_guest.config with a fragment merged after: the first pass from
 * the auto.conf of defconfig (no Rust, no samples), then make synced
 * the config and listed again. Only the second pass counts.
 */
static const char LISTING_TWICE[] =
	"PCLIST .: block drivers kernel samples |   | \n"
	"PCLIST samples: samples/vfio-mdev |   | \n"
	"PCLIST samples/rust:  |   | \n"
	"PCLIST drivers: drivers/block |   | \n"
	"PCLIST drivers/block:  | drivers/block/loop.o "
	"drivers/block/virtio_blk.o  | \n"
	"PCLIST .: block drivers kernel rust samples |   | \n"
	"PCLIST samples: samples/kobject samples/rust samples/vfio-mdev |   | \n"
	"PCLIST samples/rust:  | samples/rust/rust_minimal.o "
	"samples/rust/rust_print.o  | \n"
	"PCLIST drivers: drivers/block |   | \n"
	"/src/scripts/Makefile.build:50: 'drivers/block/rnull_mod.ko' will "
	"not be built even though obj-m is specified.\n"
	"PCLIST drivers/block:  | drivers/block/loop.o "
	"drivers/block/virtio_blk.o  | drivers/block/rnull.o\n";

static void test_kbuild_listing_twice(Fixture *f, gconstpointer data)
{
	g_autoptr(PcKbuildListing) l =
		pc_kbuild_listing_parse(LISTING_TWICE, strlen(LISTING_TWICE));
	const char *const rust[] = { "samples/rust/rust_minimal.rs",
				     "drivers/block/rnull.rs", NULL };
	g_auto(GStrv) targets = NULL;

	g_assert_true(pc_kbuild_listing_visits(l, "samples/rust"));
	g_assert_true(pc_kbuild_listing_builds(l, "drivers/block/rnull.o"));
	g_assert_true(pc_kbuild_listing_builds(l, "drivers/block/loop.o"));
	targets = pc_kbuild_fast_targets(l, rust, NULL, NULL);
	g_assert_cmpstrv(targets, ((const char *const[]){
		"rust/", "samples/rust/", "drivers/block/rnull.o", NULL }));
}

/* An empty listing (make said nothing of use): only what is known to be safe. */
static void test_kbuild_listing_empty(Fixture *f, gconstpointer data)
{
	g_autoptr(PcKbuildListing) l = pc_kbuild_listing_parse("", 0);
	const char *const changed[] = { "kernel/kthread.c", NULL };
	const char *const dependents[] = { "kernel/fork.o", NULL };
	g_auto(GStrv) targets = pc_kbuild_fast_targets(l, NULL, changed,
							dependents);

	g_assert_cmpstrv(targets, ((const char *const[]){
		"rust/", "kernel/fork.o", NULL }));
}

static void test_kbuild_paths(Fixture *f, gconstpointer data)
{
	const char *const good[] = { "kernel/kthread.o", "drivers/net/",
				     "lib/crc-ccitt.o", "a+b,c.o", ".", NULL };
	const char *const bad[] = { "", "-k", "/etc/x.o", "a/../b.o", "..",
				    "O=/etc", "$(shell x)", "a b.o", "a\nb",
				    "a//b", "a;b", "a'b", NULL };
	const char *const paths[] = { "kernel/sched/rt.c",
				      "drivers/net/phy/ax.rs", "Makefile",
				      "../x/y.c", NULL };
	g_auto(GStrv) dirs = pc_kbuild_walk_dirs(paths);

	for (const char *const *p = good; *p; p++)
		g_assert_true(pc_kbuild_path_ok(*p));
	for (const char *const *p = bad; *p; p++)
		g_assert_false(pc_kbuild_path_ok(*p));
	g_assert_cmpstrv(dirs, ((const char *const[]){
		".", "drivers", "drivers/net", "drivers/net/phy", "kernel",
		"kernel/sched", NULL }));
}

/*
 * The .cmd files of an O= a hostile build wrote: a FIFO, a link to
 * /dev/zero, a linked directory and one under scripts/ are passed over
 * (the alarm fails a read that blocks); a header, a .c included by
 * another and a source name their objects; a longer name that starts
 * with a changed one does not.
 */
static void test_kbuild_cmd(Fixture *f, gconstpointer data)
{
	const char *const changed[] = { "include/linux/kthread.h",
					"kernel/sched/rt.c", NULL };
	g_autofree char *sched = g_build_filename(f->out, "kernel", "sched",
						  NULL);
	g_autofree char *kernel = g_build_filename(f->out, "kernel", NULL);
	g_autofree char *scripts = g_build_filename(f->out, "scripts", NULL);
	g_autofree char *other = g_build_filename(f->dir, "other", NULL);
	g_autofree char *path = NULL;
	g_auto(GStrv) found = NULL;

	g_assert_cmpint(g_mkdir_with_parents(sched, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(scripts, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(other, 0755), ==, 0);
	write_file(sched, ".build_policy.o.cmd",
		   "savedcmd_kernel/sched/build_policy.o := clang -c x\n\n"
		   "source_kernel/sched/build_policy.o := "
		   "/src/kernel/sched/build_policy.c\n\n"
		   "deps_kernel/sched/build_policy.o := \\\n"
		   "    $(wildcard include/config/SMP) \\\n"
		   "  /src/kernel/sched/rt.c \\\n");
	write_file(sched, ".core.o.cmd",
		   "deps_kernel/sched/core.o := \\\n"
		   "  /src/kernel/sched/rt.c.orig \\\n"
		   "  /src/include/linux/kthread.hh \\\n");
	write_file(kernel, ".kthread.o.cmd",
		   "deps_kernel/kthread.o := \\\n"
		   "  /src/include/linux/kthread.h \\\n");
	write_file(scripts, ".mod.o.cmd", "  /src/include/linux/kthread.h\n");
	write_file(other, ".fork.o.cmd", "  /src/include/linux/kthread.h\n");
	path = g_build_filename(kernel, "linked", NULL);
	g_assert_cmpint(symlink(other, path), ==, 0);
	g_free(path);
	path = g_build_filename(kernel, ".fifo.o.cmd", NULL);
	g_assert_cmpint(mkfifo(path, 0644), ==, 0);
	g_free(path);
	path = g_build_filename(kernel, ".zero.o.cmd", NULL);
	g_assert_cmpint(symlink("/dev/zero", path), ==, 0);
	alarm(10);
	found = pc_kbuild_cmd_dependents(f->out, "/src", changed);
	alarm(0);
	g_assert_cmpstrv(found, ((const char *const[]){
		"kernel/kthread.o", "kernel/sched/build_policy.o", NULL }));
}

/*
 * A root made before a package joined the list is not a root for the
 * build, and says what it lacks and how to add it; one of another
 * suite is to be made anew; one with more packages is fine.
 */
static void test_buildroot_packages(Fixture *f, gconstpointer data)
{
	g_autofree char *root = g_build_filename(f->dir, "root", NULL);
	g_autofree char *etc = g_build_filename(root, "etc", NULL);
	g_autofree char *all = g_strjoinv(",", (char **)pc_buildroot_packages);
	g_autoptr(GString) old = g_string_new(NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(etc, 0755), ==, 0);
	{
		g_autofree char *src = g_build_filename(root, "src", NULL);
		g_autofree char *out = g_build_filename(root, "out", NULL);

		g_mkdir(src, 0755);
		g_mkdir(out, 0755);
	}
	for (const char *const *p = pc_buildroot_packages; *p; p++)
		if (strcmp(*p, "ccache") && strcmp(*p, "bc"))
			g_string_append_printf(old, "%s%s", old->len ? "," : "", *p);
	text = g_strdup_printf("suite=trixie\npackages=%s\n", old->str);
	write_file(etc, "pullcheck-buildroot", text);
	g_assert_false(pc_buildroot_check(root, &error));
	g_assert_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_PACKAGES);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "lacks bc, ccache: run "
						"pullcheck setup-root to add "
						"them"));
	g_clear_error(&error);
	/* Only the boot's QEMU missing: it still builds (the boot says). */
	g_string_truncate(old, 0);
	for (const char *const *p = pc_buildroot_packages; *p; p++)
		if (strcmp(*p, "qemu-system-x86"))
			g_string_append_printf(old, "%s%s", old->len ? "," : "", *p);
	g_free(text);
	text = g_strdup_printf("suite=trixie\npackages=%s\n", old->str);
	write_file(etc, "pullcheck-buildroot", text);
	g_assert_true(pc_buildroot_check(root, &error));
	g_assert_no_error(error);
	g_free(text);
	text = g_strdup_printf("suite=trixie\npackages=%s,qemu\n", all);
	write_file(etc, "pullcheck-buildroot", text);
	g_assert_true(pc_buildroot_check(root, &error));
	g_assert_no_error(error);
	g_free(text);
	text = g_strdup_printf("suite=bookworm\npackages=%s\n", all);
	write_file(etc, "pullcheck-buildroot", text);
	g_assert_false(pc_buildroot_check(root, &error));
	g_assert_error(error, PC_BUILDROOT_ERROR, PC_BUILDROOT_ERROR_MISSING);
	g_assert_nonnull(strstr(error->message, "remove it"));
}

/*
 * The bootable config's fragment: the Rust fragment, the samples built
 * in (and with [boot] config = small its own lines), kconfig_extra last;
 * [build] kconfig = boot gives the build the boot's own output
 * directory, so the fast stage and the boot share one cold build.
 */
static void test_boot_fragment(Fixture *f, gconstpointer data)
{
	g_autofree char *text = NULL, *boot = NULL, *plain = NULL;
	g_autofree char *build_out = NULL, *boot_out = NULL, *other = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PcConfig) config = NULL;

	write_file(f->dir, "extra.config", "CONFIG_CRC_CCITT=y\n");
	text = g_strdup_printf("[pullcheck]\nstate_dir = %s\n[build]\n"
			       "kconfig = boot\nkconfig_extra = %s/extra.config\n"
			       "[boot]\nenabled = true\nconfig = small\n",
			       f->dir, f->dir);
	write_file(f->dir, "boot.conf", text);
	g_free(text);
	text = g_build_filename(f->dir, "boot.conf", NULL);
	config = pc_config_load(text, &error);
	g_assert_no_error(error);
	g_assert_true(pc_build_boot_enabled(config));
	g_assert_true(pc_build_boot_small(config));
	boot = pc_build_fragment_for(config, PC_BUILD_KCONFIG_BOOT, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(boot, pc_build_rust_fragment));
	g_assert_nonnull(strstr(boot, "CONFIG_SERIAL_8250_CONSOLE=y\n"));
	g_assert_nonnull(strstr(boot, "CONFIG_SAMPLE_RUST_MINIMAL=y\n"
					"CONFIG_SAMPLE_RUST_PRINT=y\n"));
	g_assert_true(g_str_has_suffix(boot, "CONFIG_CRC_CCITT=y\n"));
	plain = pc_build_fragment_for(config, "allnoconfig", &error);
	g_assert_null(strstr(plain, "SAMPLE_RUST"));
	build_out = pc_build_out_dir(config, "tip");
	boot_out = pc_build_out_dir_for(config, "tip", PC_BUILD_KCONFIG_BOOT);
	other = pc_build_out_dir_for(config, "tip", "allnoconfig");
	g_assert_cmpstr(build_out, ==, boot_out);
	g_assert_cmpstr(build_out, !=, other);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	{
		g_autofree char *bwrap = g_find_program_in_path("bwrap");
		g_autofree char *cc = g_find_program_in_path("cc");

		if (!bwrap || !cc)
			return 77;
	}
#define ADD(name, fn) \
	g_test_add("/build/" name, Fixture, NULL, setup, fn, teardown)
	ADD("command-pass", test_command_pass);
	ADD("command-fail", test_command_fail);
	ADD("command-timeout", test_command_timeout);
	ADD("command-modpost", test_command_modpost);
	ADD("kernel-no-root", test_kernel_no_root);
	ADD("kernel-reproduce-fragment", test_kernel_reproduce_fragment);
	g_test_add_func("/build/fragment-lines", test_fragment_lines);
	ADD("kernel-planted-out", test_kernel_planted_out);
	ADD("kernel-fragment-replaced", test_kernel_fragment_replaced);
	ADD("command-limits", test_command_limits);
	ADD("config-rust-y", test_config_rust_y);
	ADD("config-rust-not-set", test_config_rust_not_set);
	ADD("config-rust-other-kconfig", test_config_rust_other_kconfig);
	ADD("config-missing-other-kconfig", test_config_missing_other_kconfig);
	ADD("config-rust-absent", test_config_rust_absent);
	ADD("config-missing", test_config_missing);
	ADD("config-fifo", test_config_fifo);
	ADD("config-dev-zero", test_config_dev_zero);
	ADD("kconfig-link", test_kconfig_link);
	ADD("kbuild-listing", test_kbuild_listing);
	ADD("kbuild-listing-empty", test_kbuild_listing_empty);
	ADD("kbuild-listing-twice", test_kbuild_listing_twice);
	ADD("kbuild-paths", test_kbuild_paths);
	ADD("kbuild-cmd", test_kbuild_cmd);
	ADD("buildroot-packages", test_buildroot_packages);
	ADD("boot-fragment", test_boot_fragment);
	return g_test_run();
}
