#!/usr/bin/env bash
# baseline.sh PULLCHECK [CACHE]
#
# A failure is the pull request's own (issue 12 §4), on a real kernel:
# Debian 13's linux-source-6.12 as mainline, branches made from it, a
# real `git daemon`, mails by real `git request-pull BASE`, whose
# "changes since commit" line is the base pullcheck builds, and
# `pullcheck check --dry-run --json` with [build] scope = rust:
#   toolchain     the tree's scripts/min-tool-version.sh asks for rustc
#                 9.99.0: could not check, quoting both versions
#   fix-on-broken a base with a Rust break, the pull request fixes it: pass
#   base-broken   the same base, a C-only pull request: could not check,
#                 blaming the base (then again: the base from the cache)
#   new-on-broken the same base, a pull request adding a Rust error of its
#                 own: fail, citing only the new error
#   rust-off-both CONFIG_RUST off in the base and the tip: could not check
#
# CACHE (default $PULLCHECK_TEST_CACHE or /var/tmp/pullcheck-kernel) is
# the one run.sh uses; this script's branches are in CACHE/baseline.git.
# Prints the time of each case.
set -uo pipefail
pc=$(realpath "$1")
cache=$(realpath -m "${2:-${PULLCHECK_TEST_CACHE:-/var/tmp/pullcheck-kernel}}")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"
kernel_setup

# The branches, made once into the cache; they are deterministic.
maint=$cache/baseline.git
if [ ! -d "$maint" ]; then
	stamp "making the branches"
	git clone -q --shared "$cache/mainline.git" "$work/m" || exit 1
	cd "$work/m"
	git checkout -q -b broken-base v6.12
	sed -i 's|^long rust_helper_PTR_ERR(__force const void \*ptr)$|long rust_helper_PTR_ERR(__force const void *ptr, bool strict)|' rust/helpers/err.c
	git commit -q -am 'rust: helpers: PTR_ERR learns strictness'

	git checkout -q -b fix-on-broken broken-base
	git revert --no-edit HEAD >/dev/null || exit 1
	git tag -a -m 'fix-on-broken' fix-on-broken-tag

	git checkout -q -b c-on-broken broken-base
	sed -i 's|^#include <linux/kthread.h>$|&\n/* Kernel threads: created by kthreadd, on behalf of others. */|' kernel/kthread.c
	git commit -q -am 'kthread: say who creates kernel threads'
	git tag -a -m 'c-on-broken' c-on-broken-tag

	git checkout -q -b new-on-broken broken-base
	sed -i 's|^bool rust_helper_IS_ERR(__force const void \*ptr)$|long rust_helper_IS_ERR(__force const void *ptr)|' rust/helpers/err.c
	git commit -q -am 'rust: helpers: IS_ERR says how'
	git tag -a -m 'new-on-broken' new-on-broken-tag

	git checkout -q -b toolchain v6.12
	sed -i '/^rustc)$/,/;;/ s|^\techo 1\.78\.0$|\techo 9.99.0|' scripts/min-tool-version.sh
	git commit -q -am 'rust: ask for rustc 9.99.0'
	git tag -a -m 'toolchain' toolchain-tag

	git checkout -q -b rust-off-base v6.12
	sed -i '/^config RUST$/,/^\thelp$/ s|^\tdepends on HAVE_RUST$|&\n\tdepends on BROKEN|' init/Kconfig
	git commit -q -am 'rust: not yet'
	git checkout -q -b rust-off-both rust-off-base
	sed -i 's|^#include <linux/kthread.h>$|&\n/* Kernel threads: created by kthreadd, on behalf of others. */|' kernel/kthread.c
	git commit -q -am 'kthread: say who creates kernel threads'
	git tag -a -m 'rust-off-both' rust-off-both-tag
	for b in broken-base:1 fix-on-broken:2 c-on-broken:2 new-on-broken:2 \
		toolchain:1 rust-off-base:1 rust-off-both:2; do
		[ "$(git rev-list --count "v6.12..${b%:*}")" = "${b#*:}" ] &&
			! git diff --quiet "${b%:*}~1" "${b%:*}" ||
			{ echo "FAIL: branch ${b%:*} is not as meant"; exit 1; }
	done
	git clone -q --bare . "$maint.partial" && mv "$maint.partial" "$maint"
	cd / && rm -rf "$work/m"
fi
broken=$(git --git-dir="$maint" rev-parse broken-base)
rust_off=$(git --git-dir="$maint" rev-parse rust-off-base)

kernel_serve "$maint"
kernel_conf "$work/pullcheck.conf" "$cache/root"
reason() { jget "$work/$1.json" '[r["text"] for r in j["reasons"] if r["code"] == "'"$2"'"][0]'; }
baseline() { jget "$work/$1.json" '(j["build"]["baseline"] or {}).get("'"$2"'")'; }

kernel_case toolchain v6.12 toolchain-tag
check "toolchain: exit 3" $([ $st -eq 3 ]; echo $?)
check "toolchain: could-not-check" $([ "$(verdict toolchain)" = could-not-check ]; echo $?)
check "toolchain: toolchain-too-old" $(codes toolchain | grep -cw toolchain-too-old >/dev/null; echo $?)
check "toolchain: quotes what the tree asks" $(reason toolchain toolchain-too-old | grep -c "rustc >= 9.99.0" >/dev/null; echo $?)
check "toolchain: quotes what the root has" $(reason toolchain toolchain-too-old | grep -c "build root has rustc 1\.[0-9]*\.[0-9]" >/dev/null; echo $?)
check "toolchain: quotes rustavailable" $(reason toolchain toolchain-too-old | grep -c "too old" >/dev/null; echo $?)
check "toolchain: reply says so" $(reply toolchain | grep -c "9.99.0" >/dev/null; echo $?)
check "toolchain: our side, so to the operator alone" $(reply toolchain | grep -c "^To: .*operator@checker.example.org" >/dev/null &&
	[ "$(reply toolchain | grep -c "ann@example.org")" = 0 ]; echo $?)

kernel_case fix-on-broken "$broken" fix-on-broken-tag
check "fix-on-broken: exit 0" $([ $st -eq 0 ]; echo $?)
check "fix-on-broken: pass" $([ "$(verdict fix-on-broken)" = pass ]; echo $?)
check "fix-on-broken: the base was the mail's" $([ "$(jget "$work/fix-on-broken.json" 'j["fetch"]["base_commit"]')" = "$broken" ]; echo $?)
check "fix-on-broken: a pass builds no base" $([ "$(baseline fix-on-broken commit)" = None ]; echo $?)

# Built now, whatever an earlier run cached; then from the cache. (check
# keeps its build cache in cache_dir/check.)
rm -rf "$cache/build/check/baseline"
kernel_case base-broken "$broken" c-on-broken-tag
check "base-broken: exit 3" $([ $st -eq 3 ]; echo $?)
check "base-broken: could-not-check" $([ "$(verdict base-broken)" = could-not-check ]; echo $?)
check "base-broken: reason base-broken" $(codes base-broken | grep -cw base-broken >/dev/null; echo $?)
check "base-broken: names the base and its first error" $(reason base-broken base-broken | grep -c "^the base, ${broken:0:12}, already fails: in rust code, rust/kernel/error.rs:[0-9]*: this function takes 2 arguments" >/dev/null; echo $?)
check "base-broken: build.baseline" $([ "$(baseline base-broken commit) $(baseline base-broken verdict) $(baseline base-broken cached) $(baseline base-broken errors_new)" = "$broken fail False 0" ]; echo $?)
check "base-broken: reply blames the base" $(reply base-broken | grep -c "already fails" >/dev/null; echo $?)
check "base-broken: the sender's to know" $(reply base-broken | grep -c "^To: ann@example.org" >/dev/null; echo $?)
reply base-broken >"$cache/base-broken.reply" 2>/dev/null
stamp "base-broken: the base's build took $(baseline base-broken duration_s) s"
cp "$work/base-broken.json" "$work/base-broken-1.json"
kernel_case base-broken "$broken" c-on-broken-tag
check "base-broken again: could-not-check" $([ "$(verdict base-broken)" = could-not-check ]; echo $?)
check "base-broken again: the base from the cache" $([ "$(baseline base-broken cached)" = True ]; echo $?)

kernel_case new-on-broken "$broken" new-on-broken-tag
stamp "new-on-broken: the base's build took $(baseline new-on-broken duration_s) s"
check "new-on-broken: exit 1" $([ $st -eq 1 ]; echo $?)
check "new-on-broken: fail" $([ "$(verdict new-on-broken)" = fail ]; echo $?)
check "new-on-broken: counts" $([ "$(baseline new-on-broken errors_common) $(baseline new-on-broken errors_new)" = "1 1" ]; echo $?)
check "new-on-broken: cites only the new error" $([ "$(jget "$work/new-on-broken.json" '"\n".join(d["message"] for d in j["build"]["diagnostics"])' | grep -c "E0061\|E0308")" = 1 ] &&
	jget "$work/new-on-broken.json" 'j["build"]["diagnostics"][0]["message"]' | grep -c "E0308" >/dev/null; echo $?)
check "new-on-broken: says how many were the base's" $(reason new-on-broken build-failed | grep -c "1 error the base, ${broken:0:12}, does not have (and 1 it has too)" >/dev/null; echo $?)

# Last: a .config with Rust off makes the next build with it on rebuild
# much of what the output holds.
kernel_case rust-off-both "$rust_off" rust-off-both-tag
check "rust-off-both: could-not-check" $([ "$(verdict rust-off-both)" = could-not-check ]; echo $?)
check "rust-off-both: base-rust-disabled" $(codes rust-off-both | grep -cw base-rust-disabled >/dev/null; echo $?)
check "rust-off-both: names the base and why" $(reason rust-off-both base-rust-disabled | grep -c "${rust_off:0:12}.*BROKEN=n" >/dev/null; echo $?)
check "rust-off-both: base config_rust recorded" $([ "$(baseline rust-off-both config_rust)" = n ]; echo $?)
check "rust-off-both: the sender's to know" $(reply rust-off-both | grep -c "^To: ann@example.org" >/dev/null; echo $?)

reply toolchain >"$cache/toolchain.reply" 2>/dev/null
reply new-on-broken >"$cache/new-on-broken.reply" 2>/dev/null
reply rust-off-both >"$cache/rust-off-both.reply" 2>/dev/null
kernel_done
