#!/usr/bin/env bash
# run.sh PULLCHECK [CACHE]
#
# The CONFIG_RUST=y policy check on a real kernel: Debian 13's
# linux-source-6.12 as mainline, maintainer branches made from it, served
# by a real `git daemon`, mails written by real `git request-pull`, and
# `pullcheck check --dry-run --json` with [build] scope = rust in the
# Debian 13 build root. Each case asserts the verdict, the coverage and
# what the reply and JSON say. With allmodconfig and scope rust (the
# fast stage only):
#   pass          a C-only change that keeps the Rust bindings whole
#   rust-break    a C helper that rust/kernel calls changes signature:
#                 fail, first diagnostic a rustc error in rust/kernel/
#   bindgen-break a header bindgen reads does not parse: fail, bindgen
#   kconfig-break `config RUST` made unselectable: fail, rust-disabled
#   no-root       the build root missing: could not check
#   arm64         a comment in arch/arm64 C code: not a fail, and no
#                 target under arch/arm64 (kbuild does not list it)
#   crc-rust      a syntax error in include/linux/crc-ccitt.h, which only
#                 C uses: no policy pass (coverage rust at most)
# With the small bootable config of tests/kernel/boot.sh ([build] kconfig
# = boot, [boot] config = small, boot.config: allnoconfig + a serial
# console + the Rust samples built in + rnull and a C sample module, so
# vmlinux with Rust in it, a Rust module and modpost; one output
# directory for this script's full builds and boot.sh's boots, so one
# cold build serves both) and scope full:
#   crc-full      the header break: fail, naming crc-ccitt
#   small-pass    pass with coverage full, both stages recorded
#   modpost-break the export a sample module needs removed: fail, modpost
# and with scope rust on the same output, now that it has built them:
#   crc-small     the header break: fail in the fast stage (the .cmd of
#                 lib/crc-ccitt.o names the header)
#   sched-rt      a change to kernel/sched/rt.c, which is #included:
#                 kernel/sched/build_policy.o is a target
#
# CACHE (default $PULLCHECK_TEST_CACHE or /var/tmp/pullcheck-kernel) keeps
# the build root, the source, the object store and O= between runs, so a
# second run is warm. Prints the time of each case.
set -uo pipefail
pc=$(realpath "$1")
cache=$(realpath -m "${2:-${PULLCHECK_TEST_CACHE:-/var/tmp/pullcheck-kernel}}")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
kernel_setup

# The maintainer's repository: branches from v6.12, one per case. Made
# once into the cache (again when a case was added); the branches are
# deterministic.
maint=$cache/maint.git
if ! git --git-dir="$maint" rev-parse -q --verify refs/tags/sched-rt-tag >/dev/null 2>&1; then
	rm -rf "$maint" "$maint.partial" 
	stamp "making the maintainer branches"
	git clone -q --shared "$cache/mainline.git" "$work/m" || exit 1
	cd "$work/m"
	git checkout -q -b pass v6.12
	sed -i 's|^#include <linux/kthread.h>$|&\n/* Kernel threads: created by kthreadd, on behalf of others. */|' kernel/kthread.c
	git commit -q -am 'kthread: say who creates kernel threads'
	git tag -a -m 'pass: a C-only change' pass-tag

	git checkout -q -b rust-break v6.12
	sed -i 's|^long rust_helper_PTR_ERR(__force const void \*ptr)$|long rust_helper_PTR_ERR(__force const void *ptr, bool strict)|' rust/helpers/err.c
	git commit -q -am 'rust: helpers: PTR_ERR learns strictness'
	git tag -a -m 'rust-break' rust-break-tag

	git checkout -q -b bindgen-break v6.12
	sed -i 's|^const char \*errname(int err);$|const char *errname(int err) __must_check_name;|' include/linux/errname.h
	git commit -q -am 'errname: annotate errname()'
	git tag -a -m 'bindgen-break' bindgen-break-tag

	git checkout -q -b kconfig-break v6.12
	sed -i '/^config RUST$/,/^\thelp$/ s|^\tdepends on HAVE_RUST$|&\n\tdepends on BROKEN|' init/Kconfig
	git commit -q -am 'rust: not yet'
	git tag -a -m 'kconfig-break' kconfig-break-tag
	git checkout -q -b arm64 v6.12
	sed -i '0,/^#include/s||/* arm64 setup: a comment only x86 never compiles */\n&|' arch/arm64/kernel/setup.c
	git commit -q -am 'arm64: setup: a comment'
	git tag -a -m 'arm64' arm64-tag

	git checkout -q -b crc-break v6.12
	sed -i 's|^extern u16 crc_ccitt(u16 crc, const u8 \*buffer, size_t len);$|extern u16 crc_ccitt(u16 crc, const u8 *buffer, size_t len)|' include/linux/crc-ccitt.h
	git commit -q -am 'crc-ccitt: lose a semicolon'
	git tag -a -m 'crc-break' crc-break-tag

	git checkout -q -b modpost-break v6.12
	sed -i '/^EXPORT_SYMBOL_GPL(kobject_create_and_add);$/d' lib/kobject.c
	git commit -q -am 'kobject: unexport kobject_create_and_add'
	git tag -a -m 'modpost-break' modpost-break-tag

	git checkout -q -b sched-rt v6.12
	sed -i '1a /* rt: included by build_policy.c */' kernel/sched/rt.c
	git commit -q -am 'sched/rt: a comment'
	git tag -a -m 'sched-rt' sched-rt-tag
	for b in pass rust-break bindgen-break kconfig-break arm64 crc-break \
		modpost-break sched-rt; do
		[ "$(git rev-list --count v6.12..$b)" = 1 ] ||
			{ echo "FAIL: branch $b did not change anything"; exit 1; }
	done
	git clone -q --bare . "$maint.partial" && mv "$maint.partial" "$maint"
	cd / && rm -rf "$work/m"
fi

kernel_serve "$maint"
kernel_conf "$work/pullcheck.conf" "$cache/root"
kernel_conf "$work/no-root.conf" "$cache/no-such-root"
kernel_conf "$work/small-full.conf" "$cache/root" full boot "$here/boot.config"
kernel_conf "$work/small-rust.conf" "$cache/root" rust boot "$here/boot.config"
printf '[boot]\nconfig = small\n' | tee -a "$work/small-full.conf" >>"$work/small-rust.conf"

coverage() { jget "$work/$1.json" '(j.get("build") or {}).get("coverage")'; }
stages() { jget "$work/$1.json" '" ".join("%s:%s" % (s["name"], "ok" if s["ok"] else "failed") for s in (j.get("build") or {}).get("stages", []))'; }
targets() { jget "$work/$1.json" '"\n".join((j.get("build") or {}).get("targets") or [])'; }
diags() { jget "$work/$1.json" '"\n".join("%s %s %s %s" % (d["tool"], d["language"], d["file"], d["message"]) for d in j["build"]["diagnostics"])'; }
first_diag() { jget "$work/$1.json" '(lambda d: "%s %s %s %s" % (d["tool"], d["language"], d["file"], d["message"]))(j["build"]["diagnostics"][0])'; }

kernel_case pass v6.12 pass-tag
check "pass: exit 0" $([ $st -eq 0 ]; echo $?)
check "pass: verdict pass" $([ "$(verdict pass)" = pass ]; echo $?)
check "pass: CONFIG_RUST=y in the .config built" $([ "$(jget "$work/pass.json" 'j["build"]["config"]["rust"]')" = y ]; echo $?)
check "pass: scope rust named" $([ "$(jget "$work/pass.json" 'j["build"]["scope"]')" = rust ]; echo $?)
check "pass: the changed C object was built" $(jget "$work/pass.json" 'j["build"]["targets"]' | grep -c "kernel/kthread.o" >/dev/null; echo $?)
check "pass: toolchain recorded" $(jget "$work/pass.json" 'j["build"]["toolchain"]["rustc"]' | grep -c "^rustc 1\." >/dev/null; echo $?)
# scope = rust: a pass of the fast stage, never shown as the policy's.
check "pass: outcome pass-partial" $([ "$(jget "$work/pass.json" 'j["outcome"]')" = pass-partial ]; echo $?)
check "pass: X-Pullcheck-Verdict pass-partial" $(jget "$work/pass.json" 'j["reply"]' | grep -x 'X-Pullcheck-Verdict: pass-partial' >/dev/null; echo $?)
check "pass: reply says the fast stage passed, not the full build" $(jget "$work/pass.json" 'j["reply"]' | grep "^passed the fast stage only (prepare, rust/, the Rust objects and the$" >/dev/null && jget "$work/pass.json" 'j["reply"]' | grep "^The full build was not run, so this is not a pass of the policy.$" >/dev/null; echo $?)
check "pass: reply never says it builds as allmodconfig" $(! jget "$work/pass.json" 'j["reply"]' | grep "builds as x86-64 allmodconfig\|^passes the CONFIG_RUST" >/dev/null; echo $?)
check "pass: coverage rust, the fast stage only" $([ "$(coverage pass)" = rust ] && [ "$(stages pass)" = rust:ok ]; echo $?)
check "pass: kconfig allmodconfig" $([ "$(jget "$work/pass.json" 'j["build"]["kconfig"]')" = allmodconfig ]; echo $?)
check "pass: the build log names the stage" $(grep -c "^### pullcheck: stage rust passed" "$(jget "$work/pass.json" 'j["build"]["log_path"]')" >/dev/null; echo $?)
check "pass: reproduce without ccache" $(! jget "$work/pass.json" '"\n".join(j["build"]["reproduce"])' | grep ccache >/dev/null; echo $?)

kernel_case rust-break v6.12 rust-break-tag
check "rust-break: exit 1" $([ $st -eq 1 ]; echo $?)
check "rust-break: verdict fail" $([ "$(verdict rust-break)" = fail ]; echo $?)
check "rust-break: first diagnostic rustc in rust/kernel/" $(first_diag rust-break | grep -c "^rustc rust rust/kernel/" >/dev/null; echo $?)
check "rust-break: reply names the file" $(jget "$work/rust-break.json" 'j["reply"]' | grep -c "rust/kernel/" >/dev/null; echo $?)

kernel_case bindgen-break v6.12 bindgen-break-tag
check "bindgen-break: verdict fail" $([ "$(verdict bindgen-break)" = fail ]; echo $?)
check "bindgen-break: a bindgen diagnostic" $(jget "$work/bindgen-break.json" '" ".join(d["tool"] for d in j["build"]["diagnostics"])' | grep -cw bindgen >/dev/null; echo $?)
check "bindgen-break: in include/linux/errname.h" $(first_diag bindgen-break | grep -c "include/linux/errname.h" >/dev/null; echo $?)

kernel_case kconfig-break v6.12 kconfig-break-tag
check "kconfig-break: verdict fail" $([ "$(verdict kconfig-break)" = fail ]; echo $?)
check "kconfig-break: rust-disabled" $(codes kconfig-break | grep -cw rust-disabled >/dev/null; echo $?)
check "kconfig-break: explains with BROKEN" $(jget "$work/kconfig-break.json" '[r["text"] for r in j["reasons"] if r["code"] == "rust-disabled"][0]' | grep -c "BROKEN=n" >/dev/null; echo $?)

kernel_case no-root v6.12 pass-tag "$work/no-root.conf"
check "no-root: exit 3" $([ $st -eq 3 ]; echo $?)
check "no-root: could-not-check" $([ "$(verdict no-root)" = could-not-check ]; echo $?)
check "no-root: toolchain-missing" $(codes no-root | grep -cw toolchain-missing >/dev/null; echo $?)

kernel_case arm64 v6.12 arm64-tag
check "arm64: not a fail" $([ "$(verdict arm64)" != fail ]; echo $?)
check "arm64: exit 0" $([ $st -eq 0 ]; echo $?)
check "arm64: no target under arch/arm64" $(! targets arm64 | grep "^arch/arm64" >/dev/null; echo $?)
check "arm64: targets recorded" $(targets arm64 | grep -x "rust/" >/dev/null; echo $?)

kernel_case crc-rust v6.12 crc-break-tag
check "crc-rust: no policy pass" $([ "$(verdict crc-rust)" != pass ] || [ "$(coverage crc-rust)" = rust ]; echo $?)
check "crc-rust: coverage rust" $([ "$(coverage crc-rust)" = rust ]; echo $?)

kernel_case crc-full v6.12 crc-break-tag "$work/small-full.conf"
check "crc-full: verdict fail" $([ "$(verdict crc-full)" = fail ]; echo $?)
check "crc-full: kconfig boot" $([ "$(jget "$work/crc-full.json" 'j["build"]["kconfig"]')" = boot ]; echo $?)
check "crc-full: the error is in crc-ccitt.h, C" $(first_diag crc-full | grep -c "^clang c include/linux/crc-ccitt.h" >/dev/null; echo $?)
check "crc-full: the reply names it" $(jget "$work/crc-full.json" 'j["reply"]' | grep -c "crc-ccitt" >/dev/null; echo $?)
echo "crc-full: stages $(stages crc-full)"

kernel_case small-pass v6.12 pass-tag "$work/small-full.conf"
check "small-pass: verdict pass" $([ "$(verdict small-pass)" = pass ]; echo $?)
check "small-pass: coverage full" $([ "$(coverage small-pass)" = full ]; echo $?)
check "small-pass: both stages ran" $([ "$(stages small-pass)" = "rust:ok full:ok" ]; echo $?)
check "small-pass: progress names the stages" $(grep -q '^\[rust\] ### pullcheck: stage rust passed' "$work/small-pass.err" && grep -q '^\[full\]   LD ' "$work/small-pass.err"; echo $?)
check "small-pass: a Rust module and a C module linked" $(compgen -G "$cache/build/check/out-tip-boot-*/drivers/block/rnull_mod.ko" >/dev/null && compgen -G "$cache/build/check/out-tip-boot-*/samples/kobject/kobject-example.ko" >/dev/null; echo $?)
check "small-pass: targets all" $([ "$(targets small-pass)" = all ]; echo $?)
check "small-pass: reproduce is plain make" $(jget "$work/small-pass.json" 'j["build"]["reproduce"][-1]' | grep -xF '$ make LLVM=1 O=out -j$(nproc)' >/dev/null; echo $?)
check "small-pass: reproduce names allnoconfig" $(jget "$work/small-pass.json" '"\n".join(j["build"]["reproduce"])' | grep -c "rust.config allnoconfig$" >/dev/null; echo $?)
# What Kconfig reads of boot.config, not its comments.
jget "$work/small-pass.json" '"\n".join(j["build"]["reproduce"])' | grep '^\$ printf' >"$work/small-pass.printf"
check "small-pass: reproduce gives boot.config's settings, not its comments" $(grep -qF 'CONFIG_SAMPLE_KOBJECT=m\n' "$work/small-pass.printf" &&
	grep -qF '# CONFIG_MODVERSIONS is not set\n' "$work/small-pass.printf" && ! grep -qF '# [build]' "$work/small-pass.printf"; echo $?)

kernel_case modpost-break v6.12 modpost-break-tag "$work/small-full.conf"
check "modpost-break: verdict fail" $([ "$(verdict modpost-break)" = fail ]; echo $?)
check "modpost-break: the fast stage passed, the full one failed" $([ "$(stages modpost-break)" = "rust:ok full:failed" ]; echo $?)
check "modpost-break: a modpost error names the symbol" $(diags modpost-break | grep -c '^modpost link .*kobject_create_and_add' >/dev/null; echo $?)
check "modpost-break: the reply says modpost" $(jget "$work/modpost-break.json" 'j["reply"]' | grep -c "modpost" >/dev/null; echo $?)
jget "$work/modpost-break.json" 'j["reply"]' >"$work/modpost-break.reply"
check "modpost-break: the module as modpost names it, no line 0" $(grep -qx '  samples/kobject/kobject-example.ko: error (link, modpost)' "$work/modpost-break.reply" &&
	! grep -q '\.ko:0' "$work/modpost-break.reply"; echo $?)

kernel_case crc-small v6.12 crc-break-tag "$work/small-rust.conf"
check "crc-small: verdict fail in the fast stage" $([ "$(verdict crc-small)" = fail ] && [ "$(stages crc-small)" = rust:failed ]; echo $?)
check "crc-small: lib/crc-ccitt.o a target" $(targets crc-small | grep -x lib/crc-ccitt.o >/dev/null; echo $?)

kernel_case sched-rt v6.12 sched-rt-tag "$work/small-rust.conf"
check "sched-rt: verdict pass" $([ "$(verdict sched-rt)" = pass ]; echo $?)
check "sched-rt: build_policy.o a target" $(targets sched-rt | grep -x kernel/sched/build_policy.o >/dev/null; echo $?)
check "sched-rt: rt.o not a target" $(! targets sched-rt | grep "kernel/sched/rt.o" >/dev/null; echo $?)

# The reply a maintainer would get for the Rust break, for the record.
jget "$work/rust-break.json" 'j["reply"]' >"$cache/rust-break.reply" 2>/dev/null
for c in small-pass pass crc-full modpost-break; do
	jget "$work/$c.json" 'j["reply"]' >"$cache/$c.reply" 2>/dev/null
done

kernel_done
