#!/bin/sh
# systemd-analyze security --offline=yes on pullcheck.service: prints the
# settings it still flags and the overall exposure, and fails above 2.5
# (the target of issue 7). The flagged settings are the ones bubblewrap
# needs open; the unit says why for each.
# Usage: security.sh SRCDIR [MAX]
set -u
SRC=$1
MAX=${2-2.5}
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SRC/systemd/pullcheck.service" "$T/"
out=$(systemd-analyze security --offline=yes --no-pager "$T/pullcheck.service" 2>&1)
rc=$?
echo "$out" | grep '✗'
score=$(echo "$out" | sed -n 's/.*Overall exposure level for pullcheck.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "FAIL: no exposure level in the output (exit $rc):"
	echo "$out"
	exit 1
fi
echo "$out" | grep 'Overall exposure'
if awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }'; then
	echo "PASS: pullcheck.service exposure $score <= $MAX"
	exit 0
fi
echo "FAIL: pullcheck.service exposure $score > $MAX"
exit 1
