#!/usr/bin/env bash
# mainline.sh PULLCHECK: `pullcheck mainline` as an operator runs it, and
# `pullcheck check --repo` as a maintainer runs it before sending a pull
# request: real repositories behind a real `git daemon` on loopback, the
# mail from real `git request-pull`, the build by the real compiler
# through [build] recipe = command. Asserts the exit status, what the
# terminal and `pullcheck status` show, and the store.
set -uo pipefail
pc=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
command -v git >/dev/null || { echo "SKIP: git missing"; exit 77; }
command -v bwrap >/dev/null || { echo "SKIP: bwrap missing"; exit 77; }
work=$(mktemp -d)
daemon_pid= throttle_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$throttle_pid" ] && kill "$throttle_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
pass=0 fail=0
check() {	# check NAME STATUS
	if [ "$2" -eq 0 ]; then echo "PASS $1"; pass=$((pass + 1))
	else echo "FAIL $1"; fail=$((fail + 1)); fi
}
# jget FILE EXPR: a Python expression over the JSON object j
jget() { $py -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

export GIT_AUTHOR_NAME='Ann Maintainer' GIT_AUTHOR_EMAIL=ann@example.org
export GIT_COMMITTER_NAME='Ann Maintainer' GIT_COMMITTER_EMAIL=ann@example.org
export GIT_AUTHOR_DATE='2024-12-01T10:00:00+0100' GIT_COMMITTER_DATE='2024-12-01T10:00:00+0100'
export GIT_CONFIG_NOSYSTEM=1 HOME=$work/home
mkdir -p "$HOME"

srv=$work/srv
mkdir -p "$srv"
# mainline: a small C project with some history, served by git daemon.
git init -q -b master "$work/up"
cd "$work/up"
printf 'all:\n\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n' >Makefile
printf 'int widget(void)\n{\n\treturn 1;\n}\n' >widget.c
git add . && git commit -q -m 'widget: start'
for i in $(seq 1 40); do
	echo "note $i" >>NOTES && git add NOTES && git commit -q -m "notes: $i"
done
git tag v1.0
git clone -q --bare . "$srv/mainline.git"

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --export-all --base-path="$srv" --listen=127.0.0.1 --port="$port" \
	--reuseaddr "$srv" >/dev/null 2>&1 &
daemon_pid=$!
mainline=git://127.0.0.1:$port/mainline.git
for i in $(seq 50); do git ls-remote "$mainline" >/dev/null 2>&1 && break; sleep 0.1; done

# The maintainer's own clone of mainline, and a branch never pushed.
git clone -q "$mainline" "$work/linux"
cd "$work/linux"
git checkout -q -b for-linus v1.0
printf 'int widget(void)\n{\n\treturn 2;\n}\n' >widget.c
git commit -q -am 'widget: return two'

cat >"$work/pullcheck.conf" <<CONF
[pullcheck]
state_dir = $work/state
[fetch]
mainline_url = $mainline
allow_urls = git://127.0.0.1:$port/;
timeout = 60
# A ref that is not there is fetched again for [fetch] retry_window;
# section 5 wants the answer, not the waiting.
retry_window = 0
[build]
recipe = command
command = make;-C;/tmp/src
cache_dir = $work/cache
timeout = 120
CONF

# 1. pullcheck mainline --from-clone: the clone's objects, then a fetch
#    that needs none of mainline's.
"$pc" mainline --config "$work/pullcheck.conf" --from-clone "$work/linux" \
	>"$work/seed.out" 2>"$work/seed.err"
st=$?
check "mainline --from-clone: exit 0" $([ $st -eq 0 ]; echo $?)
check "mainline --from-clone: says mainline's commit" $(grep -q "^mainline $(git -C "$work/up" rev-parse master) " "$work/seed.out"; echo $?)
check "mainline --from-clone: the seed's refs on the terminal" $(grep -q "^seed: [0-9]* refs from $work/linux" "$work/seed.err"; echo $?)
check "mainline --from-clone: the fetch needed no object" $(grep -q '^fetch: done, 0/0 objects' "$work/seed.err"; echo $?)
check "mainline --from-clone: mainline's HEAD in the store" $([ "$(git -C "$work/state/git" rev-parse refs/pullcheck/mainline/HEAD)" = "$(git -C "$work/up" rev-parse master)" ]; echo $?)
check "mainline --from-clone: no seed refs left" $([ -z "$(git -C "$work/state/git" for-each-ref refs/pullcheck/seed/)" ]; echo $?)
"$pc" status --config "$work/pullcheck.conf" >"$work/status.out"
check "status: the mainline line" $(grep -q '^mainline  fetch: done, ' "$work/status.out"; echo $?)
"$pc" status --json --config "$work/pullcheck.conf" >"$work/status.json"
check "status --json: mainline's phase" $([ "$(jget "$work/status.json" 'j["mainline"]["phase"]')" = done ]; echo $?)

# 2. A second run, mainline moved on: only what is new comes.
git -C "$work/up" commit -q --allow-empty -m 'widget: later'
git -C "$work/up" push -q "$srv/mainline.git" master
"$pc" mainline --config "$work/pullcheck.conf" >"$work/again.out" 2>"$work/again.err"
st=$?
check "mainline again: exit 0" $([ $st -eq 0 ]; echo $?)
check "mainline again: the new commit" $(grep -q "^mainline $(git -C "$work/up" rev-parse master) " "$work/again.out"; echo $?)
check "mainline again: one object" $(grep -q '^fetch: done, 1/1 objects' "$work/again.err"; echo $?)

# 3. A mainline that cannot be fetched: exit 1, and status says why.
sed "s|^mainline_url = .*|mainline_url = git://127.0.0.1:1/none.git|" \
	"$work/pullcheck.conf" >"$work/down.conf"
"$pc" mainline --config "$work/down.conf" >"$work/down.out" 2>"$work/down.err"
st=$?
check "mainline down: exit 1" $([ $st -eq 1 ]; echo $?)
check "mainline down: says it on stderr" $(grep -q '^pullcheck mainline: cannot fetch mainline: cannot fetch mainline from git://127.0.0.1:1/none.git' "$work/down.err"; echo $?)
"$pc" status --config "$work/down.conf" >"$work/status.out"
check "mainline down: status says it failed" $(grep -q '^mainline  cannot fetch mainline: ' "$work/status.out"; echo $?)

# 3b. --from-bundle: a bundle of mainline (as kernel.org publishes), its
#     pack indexed into the store, then a fetch that needs nothing.
git -C "$work/up" bundle create -q "$work/ml.bundle" --all 2>/dev/null
sed -e "s|^state_dir = .*|state_dir = $work/bstate|" "$work/pullcheck.conf" >"$work/bundle.conf"
"$pc" mainline --config "$work/bundle.conf" --from-bundle "$work/ml.bundle" \
	>"$work/bundle.out" 2>"$work/bundle.err"
st=$?
check "mainline --from-bundle: exit 0" $([ $st -eq 0 ]; echo $?)
n=$(git -C "$work/up" rev-list --objects --all | wc -l)
check "mainline --from-bundle: all $n objects indexed, bytes counted" $(grep -q "^seed: done, $n/$n objects, [1-9]" "$work/bundle.err"; echo $?)
check "mainline --from-bundle: the fetch needed no object" $(grep -q '^fetch: done, 0/0 objects' "$work/bundle.err"; echo $?)
check "mainline --from-bundle: mainline's HEAD" $(grep -q "^mainline $(git -C "$work/up" rev-parse master) " "$work/bundle.out"; echo $?)
"$pc" mainline --config "$work/bundle.conf" --from-bundle "$work/pullcheck.conf" >/dev/null 2>"$work/notbundle.err"
check "mainline --from-bundle on no bundle: exit 1, says why" $([ $? -eq 1 ] && grep -q 'is not a git bundle' "$work/notbundle.err"; echo $?)

# 3c. A state directory of another user (the daemon's, run as root):
#     refused, nothing written, as for pullcheck maintain.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$work/other" && chown 65534 "$work/other"
	sed -e "s|^state_dir = .*|state_dir = $work/other|" "$work/pullcheck.conf" >"$work/other.conf"
	"$pc" mainline --config "$work/other.conf" >/dev/null 2>"$work/other.err"
	st=$?
	check "mainline on another user's state: exit 1, says whose" $([ $st -eq 1 ] && grep -q "belongs to uid 65534" "$work/other.err"; echo $?)
	check "mainline on another user's state: nothing written" $([ -z "$(ls "$work/other")" ]; echo $?)
fi

# 4. Usage: both seeds at once, or an argument.
"$pc" mainline --config "$work/pullcheck.conf" --from-clone x --from-bundle y >/dev/null 2>&1
check "mainline: two seeds is a usage error" $([ $? -eq 2 ]; echo $?)

# 5. Before sending: `git request-pull ... | pullcheck check --dry-run
#    --repo PATH -` on the maintainer's machine, the branch not pushed
#    anywhere, a state directory of its own with no mainline yet: the
#    clone seeds it, the ref comes from the clone, the build passes.
sed -e "s|^state_dir = .*|state_dir = $work/own|" -e "s|^cache_dir = .*|cache_dir = $work/own-cache|" \
	"$work/pullcheck.conf" >"$work/own.conf"
url=git://127.0.0.1:$port/ann/linux.git
git -C "$work/linux" request-pull v1.0 "$url" for-linus >"$work/rp.txt" 2>/dev/null
check "request-pull: the branch is not on the server" $([ $? -ne 0 ]; echo $?)
"$pc" check --config "$work/own.conf" --dry-run --repo "$work/linux" - \
	<"$work/rp.txt" >"$work/own.reply" 2>"$work/own.err"
st=$?
check "check --repo: exit 0 (pass)" $([ $st -eq 0 ]; echo $?)
check "check --repo: mainline seeded from the clone" $(grep -q "^pullcheck check: mainline seeded from $work/linux " "$work/own.err"; echo $?)
check "check --repo: the reply printed" $(grep -q '^X-Pullcheck-Verdict: pass' "$work/own.reply"; echo $?)
check "check --repo: the tip checked is the unpushed branch's" $(grep -q "^X-Pullcheck-Tip: $(git -C "$work/linux" rev-parse for-linus)" "$work/own.reply"; echo $?)
check "check --repo: the reply says where the ref came from" $(tr -d '\n' <"$work/own.reply" | grep -q "refs/heads/for-linus was fetched from *$work/linux"; echo $?)
check "check --repo: mainline in the store" $([ "$(git -C "$work/own/git" rev-parse refs/pullcheck/mainline/HEAD)" = "$(git -C "$work/up" rev-parse master)" ]; echo $?)
"$pc" check --config "$work/own.conf" --json --repo "$work/linux" - \
	<"$work/rp.txt" >"$work/own.json" 2>/dev/null
check "check --repo --json: pass, commits 1, 1 behind" $([ "$(jget "$work/own.json" '(j["verdict"], j["fetch"]["commits"], j["fetch"]["behind_mainline"], j["fetch"]["base_name"])')" = "('pass', 1, 1, 'v1.0')" ]; echo $?)
#    Without --repo the same text is fetched from its URL, which does
#    not have the branch: could not check, never a pass.
"$pc" check --config "$work/own.conf" --json - <"$work/rp.txt" >"$work/url.json" 2>/dev/null
check "check without --repo: could-not-check" $([ "$(jget "$work/url.json" 'j["verdict"]')" = could-not-check ]; echo $?)
#    A path in a mail stays refused: only the command line may name one.
sed "s|$url|$work/linux|" "$work/rp.txt" >"$work/path.txt"
"$pc" check --config "$work/own.conf" --json - <"$work/path.txt" >"$work/path.json" 2>/dev/null
check "a path in the mail: url-not-allowed" $(jget "$work/path.json" '[r["code"] for r in j["reasons"]]' | grep -q url-not-allowed; echo $?)
"$pc" check --config "$work/own.conf" --repo "$work/nowhere" - <"$work/rp.txt" >/dev/null 2>&1
check "check --repo on no directory: exit 2" $([ $? -eq 2 ]; echo $?)

# 6. Progress while it runs, in `pullcheck status`: a 4 MiB mainline
#    through a proxy that passes 512 KiB a second (slow_server.py).
git init -q --bare "$srv/noise.git"
blob=$(head -c 4M /dev/urandom | git --git-dir="$srv/noise.git" hash-object -w --stdin)
tree=$(printf '100644 blob %s\tnoise\n' "$blob" | git --git-dir="$srv/noise.git" mktree)
noise=$(git --git-dir="$srv/noise.git" commit-tree -m noise "$tree")
git --git-dir="$srv/noise.git" update-ref refs/heads/master "$noise"
git --git-dir="$srv/noise.git" symbolic-ref HEAD refs/heads/master
tport=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$py "$here/slow_server.py" throttle "$tport" "$port" 524288 >/dev/null 2>&1 &
throttle_pid=$!
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$tport/noise.git" >/dev/null 2>&1 && break; sleep 0.1; done
# seen_receiving CONF PID: polls `pullcheck status --json` while PID
# runs until mainline's row says it is receiving, with bytes; keeps the
# text status said then in $work/seen.txt.
seen_receiving() {
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		"$pc" status --json --config "$1" >"$work/live.json" 2>/dev/null
		if [ "$(jget "$work/live.json" 'j["mainline"] and j["mainline"]["phase"] == "receiving" and j["mainline"]["bytes"] > 0')" = True ]; then
			"$pc" status --config "$1" >"$work/seen.txt"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
sed -e "s|^state_dir = .*|state_dir = $work/pstate|" \
	-e "s|^mainline_url = .*|mainline_url = git://127.0.0.1:$tport/noise.git|" \
	"$work/pullcheck.conf" >"$work/progress.conf"
"$pc" mainline --config "$work/progress.conf" >/dev/null 2>"$work/progress.err" &
pid=$!
seen_receiving "$work/progress.conf" $pid
check "mainline: status shows it receiving while it runs" $?
check "mainline: status's line names objects and bytes" $(grep -q '^mainline  fetch: receiving, [0-9]*/3 objects, [0-9.]*[^,]*[kM]B, ' "$work/seen.txt"; echo $?)
wait $pid
check "mainline (slow): exit 0" $?
"$pc" status --config "$work/progress.conf" >"$work/status.out"
check "mainline (slow): status says done, 4 MiB" $(grep -q '^mainline  fetch: done, 3/3 objects, 4\.[0-9][^,]*MB' "$work/status.out"; echo $?)

# 7. No `pullcheck mainline` first: the daemon's first job fetches it,
#    and status shows that fetch's progress too.
mkdir -p "$work/jstate/inbox/new" "$work/jstate/inbox/cur" "$work/jstate/inbox/tmp"
{
	printf 'From: Ann Maintainer <ann@example.org>\n'
	printf 'To: Linus Torvalds <torvalds@linux-foundation.org>\n'
	printf 'Subject: [GIT PULL] widget for v1.1\n'
	printf 'Message-ID: <widget-1@example.org>\n'
	printf 'Date: Sun, 1 Dec 2024 10:00:00 +0100\n\n'
	cat "$work/rp.txt"
} >"$work/jstate/inbox/new/1.widget"
sed -e "s|^state_dir = .*|state_dir = $work/jstate|" \
	-e "s|^cache_dir = .*|cache_dir = $work/jcache|" \
	-e "s|^mainline_url = .*|mainline_url = git://127.0.0.1:$tport/noise.git|" \
	"$work/pullcheck.conf" >"$work/job.conf"
"$pc" watch --once --config "$work/job.conf" >/dev/null 2>"$work/job.err" &
pid=$!
seen_receiving "$work/job.conf" $pid
check "a job's first mainline fetch: status shows it receiving" $?
check "a job's first mainline fetch: status's line" $(grep -q '^mainline  fetch: receiving, ' "$work/seen.txt"; echo $?)
#    The daemon's own row (and its STATUS) names it as the job's step.
for ((i = 0; i < 100; i++)); do
	"$pc" status --config "$work/job.conf" >"$work/seen.txt" 2>/dev/null
	grep -q '^          last step: mainline fetch: receiving, ' "$work/seen.txt" && break
	sleep 0.1
done
check "a job's first mainline fetch: the daemon's last step" $(grep -q '^          last step: mainline fetch: receiving, ' "$work/seen.txt"; echo $?)
wait $pid
check "watch --once: exit 0" $?
check "a job's first mainline fetch: mainline in the store" $([ "$(git -C "$work/jstate/git" rev-parse refs/pullcheck/mainline/HEAD)" = "$noise" ]; echo $?)
"$pc" status --config "$work/job.conf" >"$work/status.out"
check "a job's first mainline fetch: status says done" $(grep -q '^mainline  fetch: done, ' "$work/status.out"; echo $?)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
