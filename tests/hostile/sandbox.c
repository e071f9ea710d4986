// SPDX-License-Identifier: GPL-2.0-only
/*
 * Issue 11, §5: a hostile build against the sandbox, with the real
 * bubblewrap and the real compiler. The build tries to read what the
 * daemon keeps secret (the store, password files, credentials,
 * /etc/shadow), to fill /tmp, and to fill the build output's file
 * system so that the next job fails too. Each case asserts the verdict
 * and reason a user would see.
 *
 * Full file systems are small tmpfs mounts in a mount namespace of this
 * process's own (unshare), so nothing is seen outside the test. That
 * needs root, as the tests run here and in CI.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "reason.h"

/* Reads each secret; any success prints LEAK. PROBED says it ran. */
static const char PROBE[] =
	"for f in \"$@\"; do\n"
	"	cat \"$f\" >/dev/null 2>&1 && echo \"LEAK $f\"\n"
	"	ls \"$f\" >/dev/null 2>&1 && echo \"LEAK ls $f\"\n"
	"done\n"
	"echo PROBED\n";

typedef struct {
	char *dir;	/* under /var/tmp: a root of "/" would show it */
	char *state, *src, *out, *log, *pw, *creds;
	PcConfig *config;
	PcBuildResult result;
} Fixture;

static void write_file(const char *path, const char *text, int mode)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static char *in(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static void load_config(Fixture *f, const char *extra)
{
	g_autofree char *path = in(f->dir, "pullcheck.conf");
	g_autofree char *text = g_strdup_printf(
		"[pullcheck]\nstate_dir = %s\n[build]\nrecipe = command\n"
		"command = make;-C;/tmp/src\nroot = %s/no-root\ntimeout = 60\n"
		"%s[smtp]\npassword_file = %s\n",
		f->state, f->dir, extra, f->pw);
	g_autoptr(GError) error = NULL;

	write_file(path, text, 0644);
	g_clear_pointer(&f->config, pc_config_free);
	f->config = pc_config_load(path, &error);
	g_assert_no_error(error);
}

static void setup(Fixture *f, gconstpointer data)
{
	g_autofree char *db = NULL, *token = NULL;

	f->dir = g_strdup("/var/tmp/pc-hostile-XXXXXX");
	g_assert_nonnull(g_mkdtemp(f->dir));
	f->state = in(f->dir, "state");
	f->src = in(f->dir, "src");
	f->out = in(f->state, "cache/out-tip");
	f->log = in(f->dir, "build.log");
	f->pw = in(f->dir, "smtp.pw");
	f->creds = in(f->dir, "credentials");
	g_mkdir_with_parents(f->out, 0755);
	g_mkdir(f->src, 0755);
	g_mkdir(f->creds, 0700);
	db = in(f->state, "pullcheck.db");
	token = in(f->creds, "smtp-password");
	write_file(db, "SQLite format 3", 0600);
	write_file(f->pw, "hunter2\n", 0600);
	write_file(token, "hunter3\n", 0600);
	g_setenv("CREDENTIALS_DIRECTORY", f->creds, TRUE);
	load_config(f, "");
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	g_unsetenv("CREDENTIALS_DIRECTORY");
	pc_build_result_clear(&f->result);
	pc_config_free(f->config);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->state);
	g_free(f->src);
	g_free(f->out);
	g_free(f->log);
	g_free(f->pw);
	g_free(f->creds);
}

static void build(Fixture *f, const char *makefile)
{
	g_autofree char *mk = in(f->src, "Makefile");
	g_autofree char *probe = in(f->src, "probe.sh");
	PcBuildSpec spec = { .config = f->config, .src = f->src,
			     .out = f->out, .log_path = f->log };
	g_autoptr(GError) error = NULL;

	write_file(mk, makefile, 0644);
	write_file(probe, PROBE, 0644);
	pc_build_result_clear(&f->result);
	g_assert_true(pc_build_run(&spec, &f->result, &error));
	g_assert_no_error(error);
}

static char *read_log(Fixture *f)
{
	char *log = NULL;

	g_assert_true(g_file_get_contents(f->log, &log, NULL, NULL));
	return log;
}

static const PcReason *reason(Fixture *f, const char *code)
{
	for (guint i = 0; i < f->result.reasons->len; i++) {
		const PcReason *r = f->result.reasons->pdata[i];

		if (!strcmp(r->code, code))
			return r;
	}
	return NULL;
}

/*
 * The command recipe: the build reads nothing of the daemon's, and
 * still compiles with the host's cc.
 */
static void test_command_secrets(Fixture *f, gconstpointer data)
{
	g_autofree char *mk = g_strdup_printf(
		"all:\n"
		"\tsh /tmp/src/probe.sh /etc/shadow /etc/gshadow %s %s %s "
		"%s/smtp-password /root /home /var /run /var/lib\n"
		"\tprintf 'int f(void) { return 1; }\\n' >$(OUT)/f.c\n"
		"\tcc -c -o $(OUT)/f.o $(OUT)/f.c\n",
		f->state, f->pw, f->creds, f->creds);
	g_autofree char *log = NULL;
	g_autofree char *obj = in(f->out, "f.o");

	build(f, mk);
	log = read_log(f);
	g_assert_nonnull(strstr(log, "PROBED"));
	g_assert_null(strstr(log, "LEAK"));
	g_assert_cmpstr(f->result.verdict, ==, "pass");
	g_assert_true(g_file_test(obj, G_FILE_TEST_EXISTS));
}

/*
 * Each command build starts from an empty output: what one job plants
 * there (an object file, a link out of the directory) is gone for the
 * next, and the link was not followed.
 */
static void test_output_per_job(Fixture *f, gconstpointer data)
{
	g_autofree char *victim = in(f->dir, "victim");
	g_autofree char *mk = g_strdup_printf(
		"all:\n\ttouch $(OUT)/planted.o\n"
		"\tln -s %s $(OUT)/link\n\tmkdir -p $(OUT)/d/e\n"
		"\tchmod 0 $(OUT)/d\n", f->dir);
	g_autofree char *log = NULL;

	write_file(victim, "keep", 0644);
	build(f, mk);
	g_assert_cmpstr(f->result.verdict, ==, "pass");
	build(f, "all:\n\t@ls -A $(OUT) | grep -v pullcheck-rust.config "
		 "| sed 's/^/LEFT /'\n");
	g_assert_cmpstr(f->result.verdict, ==, "pass");
	log = read_log(f);
	g_assert_null(strstr(log, "LEFT"));
	g_assert_true(g_file_test(victim, G_FILE_TEST_EXISTS));
}

/* /tmp inside is bounded by [build] tmp_size: the build cannot fill RAM. */
static void test_tmp_bounded(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	const PcReason *r;

	load_config(f, "tmp_size = 8M\n");
	build(f, "all:\n\thead -c 64M /dev/zero >/tmp/fill\n");
	log = read_log(f);
	g_assert_nonnull(strstr(log, "No space left on device"));
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	r = reason(f, "no-space");
	g_assert_nonnull(r);
	g_assert_cmpstr(r->severity, ==, PC_SEVERITY_INFRA);
	g_assert_cmpstr(r->text, ==, "no space left on /tmp or /dev/shm in "
				     "the build sandbox ([build] tmp_size = 8M)");
}

/*
 * /dev is no way around tmp_size: /dev/shm is bounded the same, and
 * /dev takes no new file (it was a tmpfs of half of RAM).
 */
static void test_dev_bounded(Fixture *f, gconstpointer data)
{
	g_autofree char *log = NULL;
	const PcReason *r;

	load_config(f, "tmp_size = 8M\n");
	build(f, "all:\n\t-head -c 64M /dev/zero >/dev/big\n"
		 "\t@test ! -e /dev/big && echo NO-DEV-FILE\n"
		 "\thead -c 64M /dev/zero >/dev/shm/fill\n");
	log = read_log(f);
	g_assert_nonnull(strstr(log, "Read-only file system"));
	g_assert_nonnull(strstr(log, "NO-DEV-FILE"));
	g_assert_nonnull(strstr(log, "No space left on device"));
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	r = reason(f, "no-space");
	g_assert_nonnull(r);
	g_assert_cmpstr(r->text, ==, "no space left on /tmp or /dev/shm in "
				     "the build sandbox ([build] tmp_size = 8M)");
}

/* A tmpfs of @size at @path, in this test's own mount namespace. */
static void mount_small(const char *path, const char *size)
{
	g_autofree char *opts = g_strdup_printf("size=%s,mode=0755", size);

	g_mkdir_with_parents(path, 0755);
	g_assert_cmpint(mount("pc-hostile", path, "tmpfs", 0, opts), ==, 0);
}

static void unmount(const char *path)
{
	g_assert_cmpint(umount2(path, MNT_DETACH), ==, 0);
}

/*
 * One job fills cache_dir (the output and the log on one small file
 * system): it is could-not-check "no space left on" that file system,
 * and the job after it builds and passes.
 */
static void test_full_cache(Fixture *f, gconstpointer data)
{
	g_autofree char *cache = in(f->state, "cache");
	g_autofree char *prefix = g_strconcat("no space left on ", cache, "/",
					      NULL);
	const PcReason *r;

	mount_small(cache, "16M");
	g_mkdir(f->out, 0755);
	g_free(f->log);
	f->log = in(cache, "build.log");
	build(f, "all:\n\thead -c 64M /dev/zero >$(OUT)/fill\n");
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	r = reason(f, "no-space");
	g_assert_nonnull(r);
	g_assert_true(g_str_has_prefix(r->text, prefix));
	g_assert_null(reason(f, "build-failed"));

	build(f, "all:\n\tprintf 'int g;\\n' >$(OUT)/g.c\n"
		 "\tcc -c -o $(OUT)/g.o $(OUT)/g.c\n");
	g_assert_cmpstr(f->result.verdict, ==, "pass");
	unmount(cache);
}

/*
 * Only the output fills up (the log is elsewhere) and the build fails
 * on it: could-not-check naming the output, not the pull request's
 * fail; the output is emptied, so the next build has room.
 */
static void test_full_out(Fixture *f, gconstpointer data)
{
	g_autofree char *text = NULL;
	g_autofree char *fill = in(f->out, "fill");
	const PcReason *r;

	mount_small(f->out, "16M");
	build(f, "all:\n\thead -c 64M /dev/zero >$(OUT)/fill\n");
	g_assert_cmpstr(f->result.verdict, ==, "could-not-check");
	r = reason(f, "no-space");
	g_assert_nonnull(r);
	text = g_strdup_printf("no space left on %s", f->out);
	g_assert_cmpstr(r->text, ==, text);
	g_assert_false(g_file_test(fill, G_FILE_TEST_EXISTS));
	unmount(f->out);
}

/*
 * The kernel recipe keeps its output between jobs; found full before a
 * build (left so by an older pullcheck, or by anything else), it is
 * emptied and the build goes ahead.
 */
static void test_full_before_build(Fixture *f, gconstpointer data)
{
	g_autofree char *fill = in(f->out, "fill");
	g_autofree char *cmd = g_strdup_printf(
		"head -c 64M /dev/zero >'%s' 2>/dev/null", fill);
	g_autofree char *kconf = in(f->out, "pullcheck-rust.config");

	mount_small(f->out, "16M");
	g_assert_cmpint(system(cmd), !=, 0);	/* full */
	g_free(f->config->build_recipe);
	f->config->build_recipe = g_strdup("kernel");
	build(f, "all:\n");
	/* No root here: the build itself is could-not-check for that. */
	g_assert_nonnull(reason(f, "toolchain-missing"));
	g_assert_false(g_file_test(fill, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(kconf, G_FILE_TEST_EXISTS));
	unmount(f->out);
}

static gboolean private_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		g_printerr("cannot make a private mount namespace: %s\n",
			   g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (geteuid() != 0) {
		g_print("not root: cannot mount the small file systems\n");
		return 77;
	}
	if (!private_mounts())
		return 1;
#define ADD(name, fn) \
	g_test_add("/hostile/sandbox/" name, Fixture, NULL, setup, fn, teardown)
	ADD("command-secrets", test_command_secrets);
	ADD("output-per-job", test_output_per_job);
	ADD("tmp-bounded", test_tmp_bounded);
	ADD("dev-bounded", test_dev_bounded);
	ADD("full-cache", test_full_cache);
	ADD("full-out", test_full_out);
	ADD("full-before-build", test_full_before_build);
	return g_test_run();
}
