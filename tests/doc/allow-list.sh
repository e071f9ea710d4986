#!/bin/sh
# The default [fetch] allow_urls against the hosts the kernel's trees live
# on: every "T: git" line of MAINTAINERS (tests/fixtures/maintainers/, a
# snapshot) must be under one of the default prefixes, or its scheme and
# host must be on the allowance below, each with why it is left out. An
# allowance entry the default covers after all is stale and fails too.
# Prints how many lines and hosts the default covers.
#
# Usage: allow-list.sh SRCDIR PULLCHECK
#        allow-list.sh --update MAINTAINERS >tests/fixtures/maintainers/FILE
set -u

# The URL of each T: git line (a tree without the word "git" too; quilt
# and hg trees are not git).
trees() {
	sed -n -E 's/^T:[[:space:]]*(git[[:space:]]+)?([a-z+]+:\/\/[^[:space:]]+).*$/\2/p' "$1"
}

if [ "${1:-}" = --update ]; then
	echo "# The T: git lines of the kernel's MAINTAINERS, as"
	echo "# tests/doc/allow-list.sh --update MAINTAINERS writes them (URL field only)."
	trees "$2"
	exit 0
fi

SRC=$1
BIN=$2
FIXTURE=$SRC/tests/fixtures/maintainers/v6.12-git-trees.txt
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Left out of the default, scheme://host and why.
cat >"$T/allowance" <<'EOF'
git://github.com GitHub has served no git:// since 2022; https://github.com/ is allowed
git://git.berlios.de BerliOS closed in 2014: nothing is served there
EOF

: >"$T/empty.conf"
"$BIN" check-config --config "$T/empty.conf" >"$T/config" 2>&1 || {
	echo "FAIL: pullcheck check-config"; cat "$T/config"; exit 1; }
sed -n 's/^allow_urls *= *//p' "$T/config" | tr ';' '\n' | sed '/^$/d' >"$T/prefixes"
[ -s "$T/prefixes" ] || { echo "FAIL: no allow_urls in check-config's output"; exit 1; }

grep -v '^#' "$FIXTURE" | sed '/^$/d' >"$T/urls"
fail=0 lines=0 covered=0 left=0
: >"$T/hosts-covered"
: >"$T/hosts-left"
while read -r url; do
	lines=$((lines + 1))
	origin=$(printf '%s\n' "$url" | sed -E 's#^([a-z+]+://[^/]+).*#\1#' | tr 'A-Z' 'a-z')
	ok=
	while read -r prefix; do
		p=$(printf '%s' "$prefix" | sed 's#/$##')
		case "$url" in "$p"/*|"$p") ok=1; break ;; esac
	done <"$T/prefixes"
	if [ -n "$ok" ]; then
		covered=$((covered + 1))
		echo "$origin" >>"$T/hosts-covered"
	elif grep -q "^$origin " "$T/allowance"; then
		left=$((left + 1))
		echo "$origin" >>"$T/hosts-left"
	else
		echo "NOT COVERED: $url (add ${origin}/ to [fetch] allow_urls in bot/config.c, or to the allowance here, with why)"
		fail=1
	fi
done <"$T/urls"
while read -r origin why; do
	if grep -qx "$origin" "$T/hosts-covered"; then
		echo "STALE ALLOWANCE: $origin is covered by the default"
		fail=1
	fi
done <"$T/allowance"

sed -E 's#^([a-z+]+://[^/]+).*#\1#' "$T/urls" | tr 'A-Z' 'a-z' | sort -u >"$T/origins"
hosts=$(sed -E 's#^[a-z+]+://##' "$T/origins" | sort -u | wc -l)
hosts_covered=$(sed -E 's#^[a-z+]+://##' "$T/hosts-covered" | sort -u | wc -l)
origins=$(wc -l <"$T/origins")
origins_covered=$(sort -u "$T/hosts-covered" | wc -l)
echo "T: git lines: $lines; under the default allow list: $covered; left out: $left"
echo "scheme://host: $origins_covered of $origins covered; host names: $hosts_covered of $hosts"
sort "$T/hosts-left" | uniq -c | while read -r n origin; do
	echo "  left out: $origin ($n lines): $(sed -n "s#^$origin ##p" "$T/allowance")"
done
[ "$fail" -eq 0 ] && echo "PASS" || echo "FAIL"
exit "$fail"
