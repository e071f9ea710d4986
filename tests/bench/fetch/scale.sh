#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/bench/fetch/scale.sh: pullcheck against a mainline-shaped
# repository (issue 13, "Scale test"). gen.py --layout tree makes it with
# git fast-import: 200,000 commits over 80,000 files in 5,000 directories,
# plus 1,000 more commits for a refresh and a 50-commit pull request.
# It is made once into $BENCH_CACHE (default /var/tmp/pullcheck-bench-
# scale; about 11 minutes and 260 MiB on 2 cores) and reused.
#
# Served by git daemon on loopback, measured in the same run:
#   1. the first mainline fetch through pullcheck against `git clone
#      --bare` of the same repository over the same transport: wall time,
#      their ratio, and the peak RSS of each (the process tree's largest);
#   2. a refresh after 1,000 new mainline commits (pullcheck's, and git
#      fetch's); with `pullcheck mainline`, also a first fetch seeded
#      from git's clone, already current (--from-clone);
#   3. a pull request's fetch on top (pc_fetch_run with its checks,
#      against git fetch of the same ref);
#   4. `pullcheck maintain` after 100 pull requests were fetched as jobs
#      and ended: refs, bytes reclaimed, time.
# The first fetch goes through `pullcheck mainline` when the binary has
# that command, else through pc_fetch_prime_mainline (bench_fetch prime),
# the code `check` and the daemon use for it.
#
# A report, not a test: it exits 0 whatever the numbers say, and prints
# the goals beside them (first fetch within 1.5x of git, a refresh under
# 5 s).
#
# Environment:
#   BENCH_CACHE     where the generated repository is kept
#   BENCH_COMMITS   mainline commits (200000), BENCH_FILES files (80000),
#                   BENCH_AHEAD refresh commits (1000), BENCH_JOBS pull
#                   requests before maintain (100)
#   BENCH_KEEP=1    keep the work directory
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/../../.." && pwd)
py=/usr/bin/python3
commits=${BENCH_COMMITS:-200000}
files=${BENCH_FILES:-80000}
ahead=${BENCH_AHEAD:-1000}
njobs=${BENCH_JOBS:-100}
cache=${BENCH_CACHE:-/var/tmp/pullcheck-bench-scale}
bdir=$top/build-bench-fetch

for tool in "$py" /usr/bin/git; do
	[ -x "$tool" ] || { echo "scale: $tool is needed" >&2; exit 0; }
done

work=$(mktemp -d /var/tmp/pc-bench-scale-XXXXXX)
daemon=
finish() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap finish EXIT

# ---- the binaries: a Release build of their own
echo "building pullcheck and bench_fetch (Release) in $bdir"
if ! { cmake -S "$top" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DPC_BENCH=ON &&
       cmake --build "$bdir" --target pullcheck bench_fetch -j2; } \
	>"$work/build.log" 2>&1; then
	echo "scale: the build failed:" >&2
	tail -20 "$work/build.log" >&2
	exit 0
fi
pc=$bdir/pullcheck
bench=$bdir/tests/bench_fetch

export GIT_CONFIG_NOSYSTEM=1 HOME=$work LANG=C

# ---- the repository, made once
gen=$cache/gen-$commits-$files-$ahead.git
if [ ! -d "$gen" ]; then
	echo "generating mainline ($commits commits, $files files, +$ahead)" \
	     "into $gen: once, some minutes"
	mkdir -p "$cache"
	rm -rf "$gen.tmp"
	git init -q --bare "$gen.tmp"
	t0=$(date +%s)
	"$py" "$here/gen.py" --layout tree --commits "$commits" \
		--files "$files" --pr 50 --ahead "$ahead" |
		git -C "$gen.tmp" fast-import --quiet || exit 0
	t1=$(date +%s)
	# fast-import deltifies a blob against the blob before it, of
	# another file: a full repack gives the deltas a server has.
	git -C "$gen.tmp" repack -q -a -d -f --window=10 --depth=50 || exit 0
	echo "fast-import $((t1 - t0)) s, repack $(($(date +%s) - t1)) s"
	mv "$gen.tmp" "$gen"
fi
echo "mainline: $(git -C "$gen" rev-list --count master) commits," \
     "$(git -C "$gen" ls-tree -r master | wc -l) files," \
     "$(git -C "$gen" count-objects -v | sed -n 's/^in-pack: //p') objects," \
     "pack $(git -C "$gen" count-objects -vH | sed -n 's/^size-pack: //p')"

# ---- what the server serves: mainline at master; the maintainer's tree
# with for-linus and $njobs more pull requests. Local clones share the
# pack (hard links): nothing is repacked.
srv=$work/srv
mkdir -p "$srv"
git clone -q --bare --single-branch --branch master "$gen" "$srv/mainline.git"
git clone -q --bare "$gen" "$srv/maint.git"
base=$(git -C "$gen" rev-parse master)
"$py" - "$njobs" "$base" <<'PY' | git -C "$srv/maint.git" fast-import --quiet
import sys
n, base = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
when = 1800000000
for i in range(n):
    parent = base.encode()
    for k in range(3):
        mark = i * 3 + k + 1
        when += 60
        who = b"Bench Author <bench@example.org> %d +0000\n" % when
        msg = b"pr %d commit %d\n" % (i, k)
        body = (b"/* pr %d commit %d */\n" % (i, k)) * 40
        out.write(b"commit refs/heads/pr-%d\nmark :%d\n" % (i, mark))
        out.write(b"author " + who + b"committer " + who)
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        out.write(b"from %s\n" % parent)
        out.write(b"M 100644 inline d%02d/pr/pr%03d-%d.c\n" % (i % 20, i, k))
        out.write(b"data %d\n%s\n" % (len(body), body))
        parent = b":%d" % mark
PY

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --export-all --base-path="$srv" --listen=127.0.0.1 \
	--port="$port" --reuseaddr "$srv" 2>"$work/daemon.log" &
daemon=$!
url=git://127.0.0.1:$port
for _ in $(seq 100); do
	git ls-remote "$url/mainline.git" >/dev/null 2>&1 && break
	sleep 0.1
done

# measure NAME CMD...: wall seconds, the peak RSS (KiB) of the process
# tree's largest process and its CPU seconds (user + system, all its
# processes), into $work/NAME; exits on failure. On a busy machine the
# CPU time compares better than the wall time: git's index-pack runs a
# thread per core, libgit2's indexer one.
measure() {
	local name=$1; shift
	"$py" - "$work/$name" "$@" <<'PY' || { echo "scale: $name failed" >&2; exit 0; }
import resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    f.write("%.3f %d %.3f\n" % (wall, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
sys.stdout.buffer.write(p.stdout)
if p.returncode:
    sys.stderr.buffer.write(p.stderr[-3000:])
    sys.exit(1)
PY
}
wall() { cut -d' ' -f1 "$work/$1"; }
rss() { cut -d' ' -f2 "$work/$1"; }
cpu() { cut -d' ' -f3 "$work/$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

mkdir -p "$work/state"
cat >"$work/pullcheck.conf" <<CONF
[pullcheck]
state_dir = $work/state
min_free_space = 0
[fetch]
mainline_url = $url/mainline.git
allow_urls = $url/;
timeout = 3600
max_bytes = 64G
mainline_timeout = 7200
[build]
cache_dir = $work/cache
CONF
store=$work/state/git

# ---- 1. the first mainline fetch, and git clone --bare of the same
sync
echo "1. first fetch of mainline"
measure git-clone git clone -q --bare "$url/mainline.git" "$work/git-clone.git"
sync
if "$pc" --help | grep -q '^  mainline '; then
	how="pullcheck mainline"
	measure pc-first "$pc" mainline --quiet --config "$work/pullcheck.conf"
else
	how="pc_fetch_prime_mainline"
	measure pc-first "$bench" prime "$store" "$url/mainline.git"
fi

# ---- 2. a refresh after $ahead new commits
echo "2. refresh after $ahead new mainline commits"
git -C "$srv/mainline.git" update-ref refs/heads/master \
	"$(git -C "$gen" rev-parse ahead)"
measure git-refresh git --git-dir="$work/git-clone.git" fetch -q \
	"$url/mainline.git" "+refs/heads/*:refs/heads/*"
if [ "$how" = "pullcheck mainline" ]; then
	measure pc-refresh "$pc" mainline --quiet --config "$work/pullcheck.conf"
else
	measure pc-refresh "$bench" prime "$store" "$url/mainline.git"
fi

# ---- 2b. mainline seeded from the local clone git made (current: its
# refresh fetched the $ahead commits too), into a store of its own: the
# hard links, and a fetch that finds nothing left to download
if [ "$how" = "pullcheck mainline" ]; then
	echo "2b. a first fetch seeded from a local clone (--from-clone)"
	sed "s|^state_dir = .*|state_dir = $work/seeded|" "$work/pullcheck.conf" \
		>"$work/seeded.conf"
	measure pc-seeded "$pc" mainline --quiet --config "$work/seeded.conf" \
		--from-clone "$work/git-clone.git"
fi

# ---- 3. a pull request's fetch on top
echo "3. a pull request's fetch"
measure git-pr git --git-dir="$work/git-clone.git" fetch -q --no-tags \
	"$url/maint.git" "+refs/heads/for-linus:refs/pr/for-linus"
measure pc-pr "$bench" fetch "$store" "$url/mainline.git" "$url/maint.git" \
	for-linus 0000000000000001 >"$work/pc-pr.out"

# ---- 4. $njobs pull requests fetched as jobs, ended; then maintain
echo "4. $njobs pull requests, then pullcheck maintain"
t0=$(date +%s.%N)
for i in $(seq 0 $((njobs - 1))); do
	"$bench" fetch "$store" "$url/mainline.git" "$url/maint.git" "pr-$i" \
		"$(printf '%016x' $((i + 16)))" >/dev/null ||
		{ echo "scale: pull request $i failed" >&2; exit 0; }
done
jobs_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
echo "   $njobs fetches in $jobs_s s;" \
     "$(git --git-dir="$store" for-each-ref refs/pullcheck/ | wc -l) refs," \
     "store $(du -sh "$store" | cut -f1)"
measure maintain "$pc" maintain --config "$work/pullcheck.conf" --json \
	>"$work/maintain.json"
mj() { "$py" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/maintain.json" "$1"; }

# ---- the report
echo
echo "mainline-shaped repository: $commits commits, $files files;" \
     "git daemon on loopback; pullcheck's first fetch: $how"
printf '%-42s %9s %7s %9s %7s %9s\n' "" "wall" "vs git" "CPU" "vs git" "peak RSS"
row() {	# row LABEL OURS GIT LABEL2
	awk -v l="$1" -v t="$(wall "$2")" -v g="$(wall "$3")" -v r="$(rss "$2")" \
	    -v c="$(cpu "$2")" -v gc="$(cpu "$3")" 'BEGIN {
		printf "%-42s %8.2fs %6.2fx %8.2fs %6.2fx %5.0f MiB\n",
		       l, t, t / g, c, c / gc, r / 1024 }'
	awk -v l="$4" -v t="$(wall "$3")" -v r="$(rss "$3")" -v c="$(cpu "$3")" \
		'BEGIN { printf "%-42s %8.2fs %7s %8.2fs %7s %5.0f MiB\n",
			 l, t, "", c, "", r / 1024 }'
}
row "first fetch: pullcheck" pc-first git-clone "first fetch: git clone --bare"
row "refresh (+$ahead commits): pullcheck" pc-refresh git-refresh \
	"refresh (+$ahead commits): git fetch"
row "pull request (50 commits): pc_fetch_run" pc-pr git-pr \
	"pull request (50 commits): git fetch"
echo "   pc_fetch_run: $(cat "$work/pc-pr.out")"
[ -f "$work/pc-seeded" ] &&
	echo "first fetch seeded from git's clone, already current" \
	     "(--from-clone): $(wall pc-seeded) s, CPU $(cpu pc-seeded) s," \
	     "peak RSS $(mib "$(rss pc-seeded)")"
echo "maintain after $njobs jobs: $(wall maintain) s, peak RSS $(mib "$(rss maintain)");" \
     "$(mj 'j["object_store"]["refs_deleted"]') refs of" \
     "$(mj 'j["object_store"]["jobs_pruned"]') jobs deleted; store" \
     "$(mib "$(($(mj 'j["object_store"]["bytes_before"]') / 1024))") ->" \
     "$(mib "$(($(mj 'j["object_store"]["bytes_after"]') / 1024))")," \
     "git gc $(mj '"%.1f" % j["object_store"]["gc_s"]') s;" \
     "reclaimed $(mib "$(($(mj 'j["bytes_reclaimed"]') / 1024))")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "goals: first fetch within 1.5x of git clone; a refresh under 5 s"
