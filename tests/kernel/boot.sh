#!/usr/bin/env bash
# boot.sh PULLCHECK [CACHE]
#
# The boot of issue 16 on a real kernel: Debian 13's linux-source-6.12
# as mainline, branches made from it, served by a real `git daemon`,
# mails by real `git request-pull`, and `pullcheck check --dry-run
# --json` with [boot] enabled and [build] kconfig = boot (the bootable
# config: with [boot] config = small, allnoconfig + a serial console +
# CONFIG_RUST=y + the Rust samples built in, with boot.config's lines;
# defconfig + kvm_guest.config takes hours on 2 busy cores), so the fast
# stage and the boot share one output directory:
#   boot-pass     a C-only change: boot pass with KVM when /dev/kvm is
#                 usable, both samples' init lines quoted, the sandbox
#                 seen with no network and a read-only root
#   boot-tcg      the same with [boot] accel = tcg: boot pass, TCG said
#   boot-panic    rust_minimal panics in its init: boot fail, the reply
#                 quoting the panic and the QEMU command; the base,
#                 v6.12, booted too, and it boots: the fail stands
#   boot-on-panic a C-only change on top of boot-panic, that as its
#                 base: the base does not boot either, so could not
#                 check (base-boot-broken), not a fail
#   boot-hang     kernel_init sleeps an hour before init: boot fail on
#                 [boot] timeout, QEMU killed, and the next job (the
#                 clean tree again) passes; then the same two in the
#                 daemon (watch --once): both answered, fail then pass
#   boot-no-qemu  a root (hard links of the real one) without
#                 qemu-system-x86_64: could not check
#
# CACHE (default $PULLCHECK_TEST_CACHE or /var/tmp/pullcheck-kernel) is
# the one run.sh uses; this script's branches are in CACHE/boot.git.
# Prints the time of each case.
set -uo pipefail
pc=$(realpath "$1")
cache=$(realpath -m "${2:-${PULLCHECK_TEST_CACHE:-/var/tmp/pullcheck-kernel}}")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
kernel_setup

maint=$cache/boot.git
if ! git --git-dir="$maint" rev-parse -q --verify refs/tags/boot-on-panic-tag >/dev/null 2>&1; then
	rm -rf "$maint" "$maint.partial"
	stamp "making the branches"
	git clone -q --shared "$cache/mainline.git" "$work/m" || exit 1
	cd "$work/m"
	git checkout -q -b boot-pass v6.12
	sed -i 's|^#include <linux/kthread.h>$|&\n/* Kernel threads: created by kthreadd, on behalf of others. */|' kernel/kthread.c
	git commit -q -am 'kthread: say who creates kernel threads'
	git tag -a -m 'boot-pass' boot-pass-tag

	git checkout -q -b boot-panic v6.12
	sed -i 's|^        pr_info!("Rust minimal sample (init)\\n");$|&\n        if !cfg!(MODULE) {\n            panic!("rust_minimal: a panic in init, for the boot test");\n        }|' samples/rust/rust_minimal.rs
	git commit -q -am 'rust_minimal: panic in init'
	git tag -a -m 'boot-panic' boot-panic-tag

	git checkout -q -b boot-hang v6.12
	sed -i '/^static int __ref kernel_init(void \*unused)$/,/^{$/ s|^{$|{\n\tssleep(3600);|' init/main.c
	git commit -q -am 'init: wait an hour before init'
	git tag -a -m 'boot-hang' boot-hang-tag

	git checkout -q -b boot-on-panic boot-panic
	sed -i 's|^#include <linux/kthread.h>$|&\n/* Kernel threads: created by kthreadd, on behalf of others. */|' kernel/kthread.c
	git commit -q -am 'kthread: say who creates kernel threads'
	git tag -a -m 'boot-on-panic' boot-on-panic-tag
	for b in boot-pass:v6.12 boot-panic:v6.12 boot-hang:v6.12 \
		boot-on-panic:boot-panic; do
		from=${b#*:} b=${b%:*}
		[ "$(git rev-list --count $from..$b)" = 1 ] &&
			! git diff --quiet "$b~1" "$b" ||
			{ echo "FAIL: branch $b did not change anything"; exit 1; }
	done
	git clone -q --bare . "$maint.partial" && mv "$maint.partial" "$maint"
	cd / && rm -rf "$work/m"
fi

kernel_serve "$maint"
conf() {	# conf FILE ROOT ACCEL TIMEOUT
	cat >"$1" <<CONF
[pullcheck]
state_dir = $cache/state
[fetch]
mainline_url = git://127.0.0.1:$port/mainline.git
allow_urls = git://127.0.0.1:$port/;
timeout = 1800
max_bytes = 8G
[build]
root = $2
scope = rust
kconfig = boot
kconfig_extra = $here/boot.config
cache_dir = $cache/build
timeout = 5400
[boot]
enabled = true
config = small
accel = $3
timeout = $4
memory = 1G
[reply]
from = pullcheck <pullcheck@checker.example.org>
top_level = torvalds@example.org
contact = pullcheck operator <operator@checker.example.org>
CONF
}
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then kvm=kvm; else kvm=tcg; fi
conf "$work/auto.conf" "$cache/root" auto 300
conf "$work/tcg.conf" "$cache/root" tcg 600
conf "$work/hang.conf" "$cache/root" auto 45
boot() { jget "$work/$1.json" "(j.get('boot') or {}).get('$2')"; }

kernel_case boot-pass v6.12 boot-pass-tag "$work/auto.conf"
check "boot-pass: exit 0" $([ $st -eq 0 ]; echo $?)
check "boot-pass: verdict pass" $([ "$(jget "$work/boot-pass.json" 'j["verdict"]')" = pass ]; echo $?)
check "boot-pass: boot status pass" $([ "$(boot boot-pass status)" = pass ]; echo $?)
# KVM when it runs a guest here; a host whose /dev/kvm opens but runs
# none (nested virtualisation) boots with TCG, and the result says why.
accel=$(boot boot-pass accel)
check "boot-pass: accel $kvm, or TCG with KVM's failure said" $([ "$accel" = $kvm ] || { [ "$accel" = tcg ] && boot boot-pass accel_why | grep '^TCG, software emulation: KVM showed no kernel' >/dev/null; }; echo $?)
check "boot-pass: rust_minimal's init line quoted" $(boot boot-pass samples | grep 'rust_minimal: Rust minimal sample (init)' >/dev/null; echo $?)
check "boot-pass: rust_print's init line quoted" $(boot boot-pass samples | grep 'rust_print: Rust printing macros sample (init)' >/dev/null; echo $?)
check "boot-pass: the sandbox had no network and a read-only root" $([ "$(boot boot-pass sandbox)" = "no network (loopback only), root read-only" ]; echo $?)
check "boot-pass: QEMU with no NIC" $(boot boot-pass reproduce | grep -- '-nic none' >/dev/null; echo $?)
check "boot-pass: the console ends with the marker and a reboot" $(grep -q '^pullcheck-boot: init reached, rebooting' "$(boot boot-pass console_path)" && grep -q 'reboot: Restarting system' "$(boot boot-pass console_path)"; echo $?)
check "boot-pass: X-Pullcheck-Boot: pass" $(reply boot-pass | grep -x 'X-Pullcheck-Boot: pass' >/dev/null; echo $?)
check "boot-pass: the reply's boot line" $(reply boot-pass | grep "^  boot        pass (QEMU with ${accel^^}, " >/dev/null; echo $?)
check "boot-pass: stages rust, boot" $([ "$(jget "$work/boot-pass.json" '" ".join("%s:%s" % (s["name"], s["ok"]) for s in j["build"]["stages"])')" = "rust:True boot:True" ]; echo $?)
check "boot-pass: one output directory for the fast stage and the boot" $([ "$(boot boot-pass out_dir)" = "$(dirname "$(boot boot-pass console_path)")/../$(basename "$(boot boot-pass out_dir)")" ] || ls -d "$(boot boot-pass out_dir)" >/dev/null; echo $?)
echo "boot-pass: boot $(boot boot-pass seconds) s ($(boot boot-pass accel)), bootable build $(boot boot-pass build_seconds) s"

kernel_case boot-tcg v6.12 boot-pass-tag "$work/tcg.conf"
check "boot-tcg: boot status pass" $([ "$(boot boot-tcg status)" = pass ]; echo $?)
check "boot-tcg: accel tcg" $([ "$(boot boot-tcg accel)" = tcg ]; echo $?)
check "boot-tcg: the reply says TCG" $(reply boot-tcg | grep "^  boot        pass (QEMU with TCG, " >/dev/null; echo $?)
echo "boot-tcg: boot $(boot boot-tcg seconds) s (tcg)"

kernel_case boot-panic v6.12 boot-panic-tag "$work/auto.conf"
check "boot-panic: exit 1" $([ $st -eq 1 ]; echo $?)
check "boot-panic: verdict fail" $([ "$(jget "$work/boot-panic.json" 'j["verdict"]')" = fail ]; echo $?)
check "boot-panic: boot status fail" $([ "$(boot boot-panic status)" = fail ]; echo $?)
check "boot-panic: a boot-* reason" $(codes boot-panic | grep -E '(^| )boot-(bug|panic|oops)( |$)' >/dev/null; echo $?)
check "boot-panic: the excerpt quotes the panic" $(boot boot-panic console_excerpt | grep 'panicked at .*samples/rust/rust_minimal.rs' >/dev/null; echo $?)
check "boot-panic: the reply quotes the panic" $(reply boot-panic | grep 'rust_minimal: a panic in init, for the boot test' >/dev/null; echo $?)
check "boot-panic: the reply's headline says boot" $(reply boot-panic | grep '^FAILS to boot' >/dev/null; echo $?)
check "boot-panic: the reply gives the QEMU command" $(reply boot-panic | grep '^  \$ qemu-system-x86_64 .*-nic none' >/dev/null; echo $?)
check "boot-panic: X-Pullcheck-Boot: fail" $(reply boot-panic | grep -x 'X-Pullcheck-Boot: fail' >/dev/null; echo $?)
check "boot-panic: the base, v6.12, booted and boots" $([ "$(jget "$work/boot-panic.json" 'j["build"]["baseline"]["verdict"]')" = pass ] &&
	jget "$work/boot-panic.json" 'j["build"]["baseline"]["commit"]' | grep -qx "$(git --git-dir="$maint" rev-parse v6.12^{commit})"; echo $?)
check "boot-panic: the reply says the base boots" $(reply boot-panic | tr '\n' ' ' | grep 'the base, [0-9a-f]\{12\}, boots to init the same way' >/dev/null; echo $?)
reply boot-panic >"$cache/boot-panic.reply" 2>/dev/null

# The same panic in the base: the pull request on it is not to blame.
kernel_case boot-on-panic "$(git --git-dir="$maint" rev-parse boot-panic)" boot-on-panic-tag "$work/auto.conf"
check "boot-on-panic: exit 3" $([ $st -eq 3 ]; echo $?)
check "boot-on-panic: could-not-check" $([ "$(jget "$work/boot-on-panic.json" 'j["verdict"]')" = could-not-check ]; echo $?)
check "boot-on-panic: base-boot-broken" $(codes boot-on-panic | grep -w base-boot-broken >/dev/null; echo $?)
check "boot-on-panic: the tip's own boot failed, kept as information" $([ "$(boot boot-on-panic status)" = fail ] &&
	jget "$work/boot-on-panic.json" '[r["severity"] for r in j["reasons"] if r["code"].startswith("boot-")][0]' | grep -qx info; echo $?)
check "boot-on-panic: the reply says the base already fails to boot" $(reply boot-on-panic | tr '\n' ' ' | grep 'already fails to boot' >/dev/null; echo $?)
check "boot-on-panic: the reply never says FAILS" $(! reply boot-on-panic | grep 'FAILS' >/dev/null; echo $?)
reply boot-on-panic >"$cache/boot-on-panic.reply" 2>/dev/null

t0=$(date +%s)
kernel_case boot-hang v6.12 boot-hang-tag "$work/hang.conf"
check "boot-hang: verdict fail" $([ "$(jget "$work/boot-hang.json" 'j["verdict"]')" = fail ]; echo $?)
check "boot-hang: boot-timeout" $([ "$(boot boot-hang reason)" = boot-timeout ]; echo $?)
check "boot-hang: QEMU ran its 45 s, not much more" $(jget "$work/boot-hang.json" '45 <= j["boot"]["seconds"] < 60' | grep -x True >/dev/null; echo $?)
check "boot-hang: no QEMU left" $(! pgrep -f "qemu-system-x86_64 .*$cache" >/dev/null; echo $?)
kernel_case boot-next v6.12 boot-pass-tag "$work/auto.conf"
check "boot-next: the next job boots" $([ "$(boot boot-next status)" = pass ] && [ $st -eq 0 ]; echo $?)

# The daemon: the hang's mail and then the clean tree's in its inbox,
# one `watch --once`; the first boot is killed on the timeout, the
# daemon goes on and answers both. Its state (and object store) is
# CACHE/dstate, its build output the check runs' (CACHE/build/check).
dstate=$cache/dstate
rm -rf "$dstate/inbox" "$dstate/outbox" "$dstate/pullcheck.db"*
mkdir -p "$dstate/inbox/new" "$dstate/inbox/cur" "$dstate/inbox/tmp"
sed -e "s|^state_dir = .*|state_dir = $dstate|" \
	-e "s|^cache_dir = .*|cache_dir = $cache/build/check|" \
	"$work/hang.conf" >"$work/daemon.conf"
for m in boot-hang:1 boot-pass:2; do
	{
		printf 'From: Ann Maintainer <ann@example.org>\n'
		printf 'To: Linus Torvalds <torvalds@example.org>\n'
		printf 'Subject: [GIT PULL] daemon %s\n' "${m%:*}"
		printf 'Date: Mon, 2 Dec 2024 10:00:00 +0100\n'
		printf 'Message-ID: <daemon-%s@example.org>\n\n' "${m%:*}"
		printf 'Hi Linus,\n\nPlease pull.\n\n'
		git --git-dir="$maint" request-pull v6.12 "$url" "tags/${m%:*}-tag" 2>/dev/null
	} >"$dstate/inbox/new/${m#*:}.${m%:*}"
done
# Mainline into the daemon's object store from the cache's, once.
[ -d "$dstate/git" ] || "$pc" mainline --config "$work/daemon.conf" \
	--from-clone "$cache/mainline.git" --quiet >/dev/null 2>&1 ||
	echo "pullcheck mainline --from-clone failed: the daemon fetches it"
stamp "watch --once: the hang, then the clean tree"
"$pc" watch --once --config "$work/daemon.conf" >"$work/watch.out" 2>"$work/watch.err" &
wpid=$!
for ((i = 0; i < 3600; i++)); do kill -0 $wpid 2>/dev/null || break; sleep 1; done
kill -0 $wpid 2>/dev/null && { kill -KILL $wpid; echo "watch --once killed after an hour"; }
wait $wpid
st=$?
stamp "watch --once: exit $st"
check "daemon: exit 0" $([ $st -eq 0 ]; echo $?)
check "daemon: no sanitizer report" $(! grep -q "Sanitizer\|runtime error:" "$work/watch.err"; echo $?)
check "daemon: two replies" $([ "$(ls "$dstate/outbox/new" | wc -l)" -eq 2 ]; echo $?)
check "daemon: the hang's reply is a boot fail on the timeout" $(grep -lx 'In-Reply-To: <daemon-boot-hang@example.org>' "$dstate/outbox/new/"* | xargs grep -qx 'X-Pullcheck-Boot: fail' && grep -lx 'In-Reply-To: <daemon-boot-hang@example.org>' "$dstate/outbox/new/"* | xargs grep -q 'boot-timeout'; echo $?)
check "daemon: the next job's reply is a boot pass" $(grep -lx 'In-Reply-To: <daemon-boot-pass@example.org>' "$dstate/outbox/new/"* | xargs grep -qx 'X-Pullcheck-Boot: pass'; echo $?)
check "daemon: no QEMU left" $(! pgrep -f "qemu-system-x86_64 .*$cache" >/dev/null; echo $?)

# A root without QEMU: hard links of the real one, the binary unlinked.
rm -rf "$cache/root-noqemu"
cp -al "$cache/root/." "$cache/root-noqemu" 2>/dev/null || cp -al "$(realpath "$cache/root")" "$cache/root-noqemu"
rm -f "$cache/root-noqemu/usr/bin/qemu-system-x86_64"
conf "$work/noqemu.conf" "$cache/root-noqemu" auto 300
kernel_case boot-no-qemu v6.12 boot-pass-tag "$work/noqemu.conf"
check "boot-no-qemu: exit 3" $([ $st -eq 3 ]; echo $?)
check "boot-no-qemu: could-not-check" $([ "$(jget "$work/boot-no-qemu.json" 'j["verdict"]')" = could-not-check ]; echo $?)
check "boot-no-qemu: boot-qemu-missing" $([ "$(boot boot-no-qemu reason)" = boot-qemu-missing ]; echo $?)
check "boot-no-qemu: boot status could-not-check" $([ "$(boot boot-no-qemu status)" = could-not-check ]; echo $?)
rm -rf "$cache/root-noqemu"

kernel_done
