// SPDX-License-Identifier: GPL-2.0-only
/*
 * build_boot: the boot of the bootable config (issue 16).
 *
 * Everything runs in the build's sandbox, on the build root, read-only,
 * with no network: a static init compiled there and packed with the
 * kernel's own usr/gen_init_cpio, then QEMU from the root with no NIC,
 * the serial console on its standard output (the sandbox's log, so it
 * is bounded), the guest's memory from [boot] memory and the run from
 * [boot] timeout; past it the sandbox kills QEMU with its whole tree.
 * The init reboots rather than powers off: with -no-reboot QEMU exits on
 * the guest's reset, which needs no ACPI in the kernel.
 * KVM when /dev/kvm is usable and [boot] accel allows it, bound into
 * the sandbox then and only then; TCG otherwise, and the result says
 * which.
 */
#define G_LOG_DOMAIN "pullcheck-build"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bootlog.h"
#include "build_boot.h"
#include "reason.h"
#include "verdict.h"

const char *const pc_boot_samples[] = { "rust_minimal", "rust_print", NULL };

#define QEMU "qemu-system-x86_64"
#define WORK_MOUNT "/tmp/pcboot"
#define KERNEL_IMAGE PC_BUILDROOT_OUT "/arch/x86/boot/bzImage"
#define APPEND "console=ttyS0 panic=-1 rdinit=/init"
/* A console past this is no boot's: the log stops growing. */
#define MAX_CONSOLE_BYTES (4u << 20)
/* gcc and gen_init_cpio: seconds. */
#define PREPARE_TIMEOUT_S 300

static const char INIT_C[] =
	"#include <sys/reboot.h>\n"
	"#include <unistd.h>\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tstatic const char marker[] = \"\\n" PC_BOOT_MARKER "\\n\";\n"
	"\n"
	"\tif (write(1, marker, sizeof(marker) - 1) < 0)\n"
	"\t\treturn 1;\n"
	"\tsync();\n"
	"\treboot(RB_AUTOBOOT);\n"
	"\tfor (;;)\n"
	"\t\tpause();\n"
	"}\n";

static const char CPIO_LIST[] =
	"dir /dev 0755 0 0\n"
	"nod /dev/console 0600 0 0 c 5 1\n"
	"file /init " WORK_MOUNT "/init 0755 0 0\n";

/*
 * Fixed text; nothing of a mail reaches it. The last two lines look at
 * the sandbox QEMU will run in: its root and its network.
 */
static const char PREPARE_SCRIPT[] =
	"set -e\n"
	"gcc -static -Os -o init init.c\n"
	PC_BUILDROOT_OUT "/usr/gen_init_cpio list >initramfs.cpio\n"
	"if (: >/pullcheck-probe) 2>/dev/null; then echo 'probe: root writable';"
	" else echo 'probe: root read-only'; fi\n"
	"echo \"probe: network: $(sed -n '3,$s/:.*//p' /proc/net/dev | "
	"tr -d ' ' | tr '\\n' ' ')\"\n";

gboolean pc_build_boot_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	gboolean ok;

	if (fd < 0)
		return FALSE;
	ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	return ok;
}

/* The boot's finding: into the boot result and the build's reasons. */
static void boot_finding(PcBuildRun *b, PcBootResult *boot, const char *status,
			 const char *code, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

static void boot_finding(PcBuildRun *b, PcBootResult *boot, const char *status,
			 const char *code, const char *fmt, ...)
{
	va_list ap;

	g_free(boot->status);
	boot->status = g_strdup(status);
	g_free(boot->reason);
	boot->reason = g_strdup(code);
	va_start(ap, fmt);
	g_free(boot->text);
	boot->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pc_reasons_add(b->result->reasons, code,
		       !strcmp(status, PC_VERDICT_FAIL) ? PC_SEVERITY_ERROR
							: PC_SEVERITY_INFRA,
		       "%s", boot->text);
	pc_build_step_note(b, "boot: %s", boot->text);
}

/* "KVM", or "TCG" and why not KVM. (transfer none) */
static const char *accel_words(const PcConfig *config, const PcBootResult *boot,
			       const char *accel)
{
	if (!strcmp(accel, "kvm"))
		return "KVM";
	if (!strcmp(config->boot_accel, "tcg"))
		return "TCG, software emulation: [boot] accel = tcg";
	if (boot->accel_why)
		return boot->accel_why;
	return "TCG, software emulation: /dev/kvm is not usable here";
}

/* kvm or tcg; NULL (and a finding) when [boot] accel asks for the impossible. */
static const char *choose_accel(PcBuildRun *b, PcBootResult *boot)
{
	const char *want = b->spec->config->boot_accel;
	gboolean kvm = strcmp(want, "tcg") && pc_build_boot_kvm_usable();

	if (!strcmp(want, "kvm") && !kvm) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-kvm-unusable",
			     "[boot] accel = kvm, but /dev/kvm does not open "
			     "read-write here");
		return NULL;
	}
	return kvm ? "kvm" : "tcg";
}

static void base_spec(PcBuildRun *b, PcSandboxSpec *sb, GPtrArray *hide,
		      const char *work)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin", "HOME=/tmp",
					   "LANG=C.UTF-8", NULL };

	memset(sb, 0, sizeof(*sb));
	sb->root = b->spec->config->build_root;
	sb->hide = (const char *const *)hide->pdata;
	sb->src = b->spec->src;
	sb->src_mount = PC_BUILDROOT_SRC;
	sb->out = b->spec->out;
	sb->out_mount = PC_BUILDROOT_OUT;
	sb->cache = work;
	sb->cache_mount = WORK_MOUNT;
	sb->chdir = WORK_MOUNT;
	sb->env = env;
	sb->tmp_size = b->spec->config->build_tmp_size;
	sb->max_memory = 16ull << 30;
	sb->max_file_size = 1ull << 30;
	sb->max_procs = 8192;
	sb->max_log_bytes = MAX_CONSOLE_BYTES;
	sb->cancellable = b->spec->cancellable;
}

/* The work directory, emptied, with init.c and the cpio list in it. */
static char *prepare_work(PcBuildRun *b, GError **error)
{
	g_autofree char *work = g_build_filename(b->spec->config->build_cache_dir,
						 "boot-work", NULL);
	g_autofree char *init = g_build_filename(work, "init.c", NULL);
	g_autofree char *list = g_build_filename(work, "list", NULL);

	if (!pc_build_step_empty_out(work, error) ||
	    !g_file_set_contents(init, INIT_C, -1, error) ||
	    !g_file_set_contents(list, CPIO_LIST, -1, error))
		return NULL;
	return g_steal_pointer(&work);
}

/* The probe lines of the prepare step's log, as one sentence. */
static char *sandbox_seen(const char *log)
{
	g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
	const char *root = NULL, *net = NULL;

	for (char **l = lines; *l; l++) {
		g_strstrip(*l);
		if (g_str_has_prefix(*l, "probe: root "))
			root = *l + strlen("probe: root ");
		else if (g_str_has_prefix(*l, "probe: network:"))
			net = g_strstrip(*l + strlen("probe: network:"));
	}
	if (!root || !net)
		return NULL;
	if (!strcmp(net, "lo"))
		return g_strdup_printf("no network (loopback only), root %s",
				       root);
	return g_strdup_printf("network interfaces: %s; root %s",
			       *net ? net : "none", root);
}

/*
 * gcc and gen_init_cpio in the sandbox: /tmp/pcboot/initramfs.cpio.
 * FALSE (with a finding) when it could not be made.
 */
static gboolean make_initramfs(PcBuildRun *b, PcBootResult *boot,
			       GPtrArray *hide, const char *work)
{
	const char *const argv[] = { "sh", "-c", PREPARE_SCRIPT, "sh", NULL };
	g_autofree char *log_path = g_build_filename(work, "prepare.log", NULL);
	g_autofree char *log = NULL;
	g_autoptr(GError) error = NULL;
	PcSandboxSpec sb;
	PcSandboxResult res;

	base_spec(b, &sb, hide, work);
	sb.argv = argv;
	sb.timeout_s = PREPARE_TIMEOUT_S;
	sb.log_path = log_path;
	if (!pc_sandbox_run(&sb, &res, &error)) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-sandbox",
			     "the boot's sandbox failed: %s", error->message);
		return FALSE;
	}
	g_file_get_contents(log_path, &log, NULL, NULL);
	if (!res.exited || res.exit_status) {
		g_autofree char *said = g_utf8_make_valid(log ? log : "", -1);

		g_strdelimit(said, "\r\n\t", ' ');
		if (strlen(said) > 300)
			said[300] = '\0';
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-initramfs",
			     "the initramfs (a static init by gcc, packed by "
			     "usr/gen_init_cpio) could not be made: %s",
			     g_strstrip(said));
		return FALSE;
	}
	boot->sandbox = sandbox_seen(log ? log : "");
	return TRUE;
}

/* QEMU's argv for @accel: no network, no display, console on stdout. */
static GPtrArray *qemu_argv(const PcConfig *config, const char *accel,
			    const char *kernel, const char *initrd)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *const fixed[] = {
		"-nodefaults", "-no-user-config", "-nic", "none", "-display",
		"none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
		"-smp", "1",
	};

	g_ptr_array_add(a, g_strdup(QEMU));
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(a, g_strdup(fixed[i]));
	g_ptr_array_add(a, g_strdup("-accel"));
	g_ptr_array_add(a, g_strdup(accel));
	if (!strcmp(accel, "kvm")) {
		g_ptr_array_add(a, g_strdup("-cpu"));
		g_ptr_array_add(a, g_strdup("host"));
	}
	g_ptr_array_add(a, g_strdup("-m"));
	g_ptr_array_add(a, g_strdup_printf("%" G_GUINT64_FORMAT "M",
					   config->boot_memory >> 20));
	g_ptr_array_add(a, g_strdup("-kernel"));
	g_ptr_array_add(a, g_strdup(kernel));
	g_ptr_array_add(a, g_strdup("-initrd"));
	g_ptr_array_add(a, g_strdup(initrd));
	g_ptr_array_add(a, g_strdup("-append"));
	g_ptr_array_add(a, g_strdup(APPEND));
	g_ptr_array_add(a, NULL);
	return a;
}

/* The lines after the bootable build's: initramfs, then QEMU. */
static void add_reproduce(PcBootResult *boot, const PcConfig *config,
			  const char *accel)
{
	g_autoptr(GPtrArray) r = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) argv = qemu_argv(config, accel,
					      "out/arch/x86/boot/bzImage",
					      "initramfs.cpio");
	g_autofree char *init = pc_build_step_printf_quoted(INIT_C);
	GString *q = g_string_new("$");

	for (char **s = boot->reproduce; s && *s; s++)
		g_ptr_array_add(r, g_strdup(*s));
	g_ptr_array_add(r, g_strdup_printf("$ printf '%s' >init.c", init));
	g_ptr_array_add(r, g_strdup("$ gcc -static -Os -o init init.c"));
	g_ptr_array_add(r, g_strdup("$ printf 'dir /dev 0755 0 0\\nnod "
				    "/dev/console 0600 0 0 c 5 1\\nfile /init "
				    "init 0755 0 0\\n' >list"));
	g_ptr_array_add(r, g_strdup("$ out/usr/gen_init_cpio list "
				    ">initramfs.cpio"));
	for (guint i = 0; i + 1 < argv->len; i++) {
		const char *s = argv->pdata[i];

		if (strchr(s, ' ')) {
			g_autofree char *quoted = g_shell_quote(s);

			g_string_append_printf(q, " %s", quoted);
		} else {
			g_string_append_printf(q, " %s", s);
		}
	}
	g_ptr_array_add(r, g_string_free(q, FALSE));
	g_ptr_array_add(r, NULL);
	g_strfreev(boot->reproduce);
	boot->reproduce = (char **)g_ptr_array_steal(r, NULL);
}

/* The verdict of a QEMU run that ended or was stopped for its time. */
static void judge(PcBuildRun *b, PcBootResult *boot, const char *accel,
		  const PcSandboxResult *res)
{
	const char *how = accel_words(b->spec->config, boot, accel);
	g_autofree char *console = NULL;
	gsize len = 0;
	PcBootlog log;

	g_file_get_contents(boot->console_path, &console, &len, NULL);
	pc_bootlog_judge(console, MIN(len, MAX_CONSOLE_BYTES), PC_BOOT_MARKER,
			 pc_boot_samples, res->timed_out, &log);
	boot->excerpt = g_steal_pointer(&log.excerpt);
	boot->first_bad = g_strdup(log.first_bad);
	g_ptr_array_add(log.samples, NULL);
	boot->samples = g_strdupv((char **)log.samples->pdata);
	g_ptr_array_set_size(log.samples, log.samples->len - 1);
	if (res->exited && res->exit_status && !log.kernel_started) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-qemu-failed",
			     "QEMU (%s) exited with status %d before the kernel "
			     "started: %s", how, res->exit_status,
			     boot->excerpt && *boot->excerpt ? boot->excerpt
							     : "(it said nothing)");
	} else if (log.pass) {
		g_free(boot->status);
		boot->status = g_strdup(PC_VERDICT_PASS);
		boot->text = g_strdup_printf(
			"booted in QEMU (%s) to the init marker in %.0f s, "
			"with %s's and %s's init lines and no panic, BUG, "
			"Oops or WARNING before it", how, boot->seconds,
			pc_boot_samples[0], pc_boot_samples[1]);
		pc_build_step_note(b, "boot: %s", boot->text);
	} else if (log.first_bad) {
		boot_finding(b, boot, PC_VERDICT_FAIL, log.reason,
			     "the boot in QEMU (%s) failed: %s before the init "
			     "marker, line %u of the console: %s", how,
			     pc_bootlog_reason_words(log.reason),
			     log.first_bad_line, log.first_bad);
	} else if (!strcmp(log.reason, "boot-timeout")) {
		boot_finding(b, boot, PC_VERDICT_FAIL, log.reason,
			     "the boot in QEMU (%s) failed: no init marker "
			     "within [boot] timeout (%u s), and QEMU was "
			     "stopped", how, b->spec->config->boot_timeout);
	} else if (!strcmp(log.reason, "boot-sample-missing")) {
		boot_finding(b, boot, PC_VERDICT_FAIL, log.reason,
			     "the boot in QEMU (%s) reached the init marker, "
			     "but %s's init line (\"%s: ... (init)\") did not "
			     "appear before it", how, log.missing,
			     log.missing);
	} else {
		boot_finding(b, boot, PC_VERDICT_FAIL, log.reason,
			     "the boot in QEMU (%s) failed: the guest stopped "
			     "(QEMU exited %d) before the init marker, with "
			     "no panic line", how,
			     res->exited ? res->exit_status : -1);
	}
	pc_bootlog_clear(&log);
}

/*
 * One QEMU run of @accel for @timeout_s seconds into the console file.
 * FALSE, with a finding, when the sandbox failed.
 */
static gboolean qemu_once(PcBuildRun *b, PcBootResult *boot, GPtrArray *hide,
			  const char *work, const char *accel, guint timeout_s,
			  PcSandboxResult *res)
{
	const char *const kvm[] = { "/dev/kvm", NULL };
	g_autoptr(GPtrArray) argv = qemu_argv(b->spec->config, accel,
					      KERNEL_IMAGE,
					      WORK_MOUNT "/initramfs.cpio");
	g_autoptr(GError) error = NULL;
	PcSandboxSpec sb;

	base_spec(b, &sb, hide, work);
	sb.argv = (const char *const *)argv->pdata;
	sb.devices = !strcmp(accel, "kvm") ? kvm : NULL;
	sb.timeout_s = timeout_s;
	sb.log_path = boot->console_path;
	pc_build_step_note(b, "boot: QEMU (%s), %u s at most, memory "
			   "%" G_GUINT64_FORMAT " MiB",
			   accel_words(b->spec->config, boot, accel), timeout_s,
			   b->spec->config->boot_memory >> 20);
	if (pc_sandbox_run(&sb, res, &error))
		return TRUE;
	boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-sandbox",
		     "the boot's sandbox failed: %s", error->message);
	return FALSE;
}

/* Whether the console so far shows the kernel running: its banner. */
static gboolean console_has_kernel(PcBootResult *boot, gboolean *decided)
{
	g_autofree char *console = NULL;
	gsize len = 0;
	PcBootlog log;
	gboolean started;

	g_file_get_contents(boot->console_path, &console, &len, NULL);
	pc_bootlog_judge(console, MIN(len, MAX_CONSOLE_BYTES), PC_BOOT_MARKER,
			 pc_boot_samples, FALSE, &log);
	started = log.kernel_started;
	*decided = log.marker || log.first_bad;
	pc_bootlog_clear(&log);
	return started;
}

/*
 * With [boot] accel = auto, KVM gets KVM_PROBE_S seconds first: a host
 * whose /dev/kvm opens may still run no guest (nested virtualisation
 * with CPU features QEMU cannot set: an assertion, or a guest that
 * prints nothing). A run that never showed the kernel's banner is then
 * ours, not the pull request's: TCG boots it instead, and the result
 * says why. A kernel that started but was not done in that time runs
 * again with KVM for the whole [boot] timeout.
 */
#define KVM_PROBE_S 30

static void run_qemu(PcBuildRun *b, PcBootResult *boot, GPtrArray *hide,
		     const char *work, const char **accel)
{
	guint timeout = b->spec->config->boot_timeout;
	gboolean probe = !strcmp(*accel, "kvm") &&
			 !strcmp(b->spec->config->boot_accel, "auto") &&
			 timeout > KVM_PROBE_S;
	gboolean decided = FALSE;
	PcSandboxResult res;

	if (!qemu_once(b, boot, hide, work, *accel,
		       probe ? KVM_PROBE_S : timeout, &res))
		return;
	if (probe && !res.cancelled && !console_has_kernel(boot, &decided)) {
		g_free(boot->accel_why);
		boot->accel_why = g_strdup_printf(
			"TCG, software emulation: KVM showed no kernel in %u s "
			"here (QEMU %s)", KVM_PROBE_S,
			res.exited ? "exited" : "was stopped");
		*accel = "tcg";
		g_free(boot->accel);
		boot->accel = g_strdup(*accel);
		if (!qemu_once(b, boot, hide, work, *accel, timeout, &res))
			return;
	} else if (probe && res.timed_out && !decided) {
		if (!qemu_once(b, boot, hide, work, *accel, timeout, &res))
			return;
	}
	boot->seconds = res.duration_ms / 1000.0;
	if (res.cancelled) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "build-cancelled",
			     "the boot was stopped (pullcheck shut down)");
		return;
	}
	if (!res.exited && !res.timed_out) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-qemu-killed",
			     "QEMU was killed by signal %d (out of memory?)",
			     res.term_signal);
		return;
	}
	judge(b, boot, *accel, &res);
}

/* The whole console beside the build log: LOG without ".log", ".console". */
static char *console_path(const char *log_path)
{
	gsize n = strlen(log_path);

	if (g_str_has_suffix(log_path, ".log"))
		n -= strlen(".log");
	return g_strdup_printf("%.*s.console", (int)n, log_path);
}

void pc_build_boot_qemu(PcBuildRun *b, PcBootResult *boot)
{
	const PcConfig *config = b->spec->config;
	g_autofree char *qemu = g_build_filename(config->build_root, "usr/bin",
						 QEMU, NULL);
	g_autoptr(GPtrArray) hide = pc_build_step_secret_paths(config);
	g_autoptr(GError) error = NULL;
	g_autofree char *work = NULL;
	const char *accel;

	boot->console_path = console_path(b->spec->log_path);
	g_unlink(boot->console_path);
	if (!g_file_test(qemu, G_FILE_TEST_IS_EXECUTABLE)) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-qemu-missing",
			     "the build root %s has no %s (package "
			     "qemu-system-x86; run pullcheck setup-root)",
			     config->build_root, QEMU);
		return;
	}
	accel = choose_accel(b, boot);
	if (!accel)
		return;
	boot->accel = g_strdup(accel);
	work = prepare_work(b, &error);
	if (!work) {
		boot_finding(b, boot, PC_VERDICT_UNCHECKED, "boot-setup",
			     "the boot's work directory: %s", error->message);
		return;
	}
	if (make_initramfs(b, boot, hide, work))
		run_qemu(b, boot, hide, work, &accel);
	add_reproduce(boot, config, accel);
}
