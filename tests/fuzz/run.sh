#!/usr/bin/env bash
# run.sh FUZZER SECONDS SEED_DIR: runs a libFuzzer target for SECONDS from
# the seeds (read-only) into a scratch corpus; fails on any crash, leak or
# timeout, and prints how many inputs it ran.
set -euo pipefail
fuzzer=$1 seconds=$2 seeds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
# Seeds: every regular file under the seed folder, Maildir files included.
find "$seeds" -type f ! -name '*.json' ! -name '*.log.json' -size -1024k \
	-exec cp -t "$work/corpus" --backup=numbered {} + 2>/dev/null || true
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" \
	>"$work/log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)' "$work/log" || true
if [ "$status" -ne 0 ]; then
	tail -n 60 "$work/log"
	echo "fuzzer failed with status $status"
	exit 1
fi
echo "fuzz: $(basename "$fuzzer") ran ${seconds}s, 0 crashes"
