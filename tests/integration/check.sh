#!/usr/bin/env bash
# check.sh PULLCHECK: `pullcheck check` end to end, as a maintainer runs
# it: real repositories served by a real `git daemon` on loopback, mails
# written by real `git request-pull`, builds by the real compiler through
# [build] recipe = command. Asserts the verdict, the reasons, the JSON and
# the reply's headers and text.
set -uo pipefail
pc=$(realpath "$1")
py=/usr/bin/python3
command -v git >/dev/null || { echo "SKIP: git missing"; exit 77; }
command -v bwrap >/dev/null || { echo "SKIP: bwrap missing"; exit 77; }
work=$(mktemp -d)
daemon_pid=
silent_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	[ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
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

srv=$work/srv
mkdir -p "$srv"
# mainline: a tiny C project that builds with make.
git init -q -b master "$work/mainline"
cd "$work/mainline"
printf 'all:\n\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n' >Makefile
printf 'int widget(void)\n{\n\treturn 1;\n}\n' >widget.c
git add . && git commit -q -m 'widget: start'
git tag v1.0
git clone -q --bare . "$srv/mainline.git"

# The maintainer's tree: one good branch, one that does not compile.
git clone -q "$srv/mainline.git" "$work/maint"
cd "$work/maint"
git checkout -q -b fixes
printf 'int widget(void)\n{\n\treturn 2;\n}\n' >widget.c
git commit -q -am 'widget: return two'
git tag -a -m 'widget fixes for v1.1' widget-fixes-1.1
git checkout -q -b broken master
printf 'int widget(void)\n{\n\treturn two;\n}\n' >widget.c
git commit -q -am 'widget: return two, by name'
git checkout -q master
git clone -q --bare . "$srv/maint.git"

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# git-daemon itself, not the git wrapper: a kill of the wrapper leaves it.
"$(git --exec-path)/git-daemon" --export-all --base-path="$srv" --listen=127.0.0.1 --port="$port" \
	--reuseaddr "$srv" >/dev/null 2>&1 &
daemon_pid=$!
url=git://127.0.0.1:$port/maint.git
for i in $(seq 50); do git ls-remote "$url" >/dev/null 2>&1 && break; sleep 0.1; done

cat >"$work/pullcheck.conf" <<CONF
[pullcheck]
state_dir = $work/state
[fetch]
mainline_url = git://127.0.0.1:$port/mainline.git
allow_urls = git://127.0.0.1:$port/;
timeout = 60
[build]
recipe = command
command = make;-C;/tmp/src
cache_dir = $work/cache
timeout = 120
[reply]
from = pullcheck <pullcheck@checker.example.org>
contact = Bot Keeper <keeper@example.org>
cc_lists = *@vger.kernel.org;
[report]
base_url = https://pc.example.org/reports/
CONF

# mail NAME REF [SED]: a pull request mail from real git request-pull.
mail() {
	local name=$1 ref=$2 edit=${3:-}
	{
		printf 'From: Ann Maintainer <ann@example.org>\n'
		printf 'To: Linus Torvalds <torvalds@linux-foundation.org>\n'
		printf 'Cc: linux-widget@vger.kernel.org\n'
		printf 'Subject: [GIT PULL] widget fixes (%s)\n' "$name"
		printf 'Date: Mon, 2 Dec 2024 10:00:00 +0100\n'
		printf 'Message-ID: <%s@example.org>\n\n' "$name"
		printf 'Hi Linus,\n\nPlease pull.\n\n'
		git -C "$work/maint" request-pull v1.0 "$url" "$ref" 2>/dev/null
	} >"$work/$name.eml"
	[ -n "$edit" ] && sed -i "$edit" "$work/$name.eml"
	return 0
}
# watch_once CONF: `pullcheck watch --once` on CONF's state_dir, killed
# as soon as its outbox holds more than $max_replies mails, or after
# 120 s. A reply never marked sent is sent again at each step: such a
# run once wrote 771,980 mails before ctest's timeout. Exit status in
# $st, 124 when it was killed; stderr appended to $work/watch.err.
max_replies=5
watch_once() {
	local conf=$1 new pid i
	new=$(sed -n 's/^state_dir = //p' "$conf")/outbox/new
	"$pc" watch --once --config "$conf" 2>>"$work/watch.err" &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		kill -0 $pid 2>/dev/null || break
		[ "$(ls "$new" 2>/dev/null | wc -l)" -gt $max_replies ] && break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid
		wait $pid
		st=124
		echo "watch --once killed: $(ls "$new" | wc -l) mails in $new"
	else
		wait $pid
		st=$?
	fi
}
# sql STATE_DIR QUERY: the rows of the job store, one per line
sql() { $py -c 'import sqlite3,sys; [print(*r, sep="|") for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' "$1/pullcheck.db" "$2"; }
run() {	# run NAME ARGS...: JSON in NAME.json, exit status in $st
	local name=$1; shift
	"$pc" check --config "$work/pullcheck.conf" "$@" "$work/$name.eml" \
		>"$work/$name.json" 2>"$work/$name.err"
	st=$?
}

cd "$work/maint"
git checkout -q fixes

# 1. The good tag, without a build: every fetch check passes, and the
#    verdict is still "could not check", never pass.
mail good tags/widget-fixes-1.1
run good --dry-run --json --no-build
check "no-build: exit 3" $([ $st -eq 3 ]; echo $?)
check "no-build: could-not-check" $([ "$(jget "$work/good.json" 'j["verdict"]')" = could-not-check ]; echo $?)
check "no-build: reason build-skipped" $(jget "$work/good.json" '[r["code"] for r in j["reasons"]]' | grep -c build-skipped >/dev/null; echo $?)
check "no-build: tip is the tag's commit" $([ "$(jget "$work/good.json" 'j["fetch"]["tip_commit"]')" = "$(git rev-parse fixes)" ]; echo $?)
check "no-build: build is null" $([ "$(jget "$work/good.json" 'j["build"]')" = None ]; echo $?)
# The cause under the verdict line is the build not run, not the
# unsigned-tag warning that the fetch found first (issue 11).
jget "$work/good.json" 'j["reply"]' >"$work/no-build.reply"
check "no-build: the reply names the skipped build as the cause" $(grep -A1 -x 'could not be checked; this says nothing about the pull request itself:' "$work/no-build.reply" | grep -q '^the build was skipped (--no-build)'; echo $?)
# Our side could not check: the operator hears, not the sender or a list.
check "no-build: the reply is To [reply] contact alone" $(grep -qx 'To: keeper@example.org' "$work/no-build.reply" && ! grep -q '^Cc:' "$work/no-build.reply" && ! grep -q 'ann@example.org' "$work/no-build.reply"; echo $?)
check "no-build: check says it is for the contact only" $(grep -q 'the reply is for \[reply\] contact only' "$work/good.err"; echo $?)

# 2. The good tag, built: pass, and the reply says so in the thread —
#    as a pass of the build command, never of the kernel policy: the
#    verdict is pass, the outcome and the header pass-command.
run good --dry-run --json
check "build: exit 0" $([ $st -eq 0 ]; echo $?)
check "build: pass" $([ "$(jget "$work/good.json" 'j["verdict"]')" = pass ]; echo $?)
check "build: outcome pass-command" $([ "$(jget "$work/good.json" 'j["outcome"]')" = pass-command ]; echo $?)
check "build: coverage command" $([ "$(jget "$work/good.json" 'j["build"]["coverage"]')" = command ]; echo $?)
jget "$work/good.json" 'j["reply"]' >"$work/good.reply"
check "reply: In-Reply-To" $(grep -qx 'In-Reply-To: <good@example.org>' "$work/good.reply"; echo $?)
check "reply: verdict header pass-command, not pass" $(grep -qx 'X-Pullcheck-Verdict: pass-command' "$work/good.reply"; echo $?)
check "reply: coverage header" $(grep -qx 'X-Pullcheck-Coverage: command' "$work/good.reply"; echo $?)
check "reply: no kconfig header for a command" $(! grep -q '^X-Pullcheck-Kconfig:' "$work/good.reply"; echo $?)
check "reply: the first line names the command that passed" $(grep -A2 -x '> '"$url"' tags/widget-fixes-1.1' "$work/good.reply" | tail -1 | grep -qx 'passes the build command this installation runs instead of the kernel'; echo $?)
check "reply: the command itself" $(grep -qx '  \$ make -C /tmp/src' "$work/good.reply"; echo $?)
check "reply: claims no allmodconfig build" $(! grep -qi 'builds as x86-64\|passes the CONFIG_RUST' "$work/good.reply" && grep -q '^Nothing was built as x86-64 allmodconfig' "$work/good.reply"; echo $?)
check "reply: tip header" $(grep -qx "X-Pullcheck-Tip: $(git rev-parse fixes)" "$work/good.reply"; echo $?)
check "reply: Cc the list" $(grep -q '^Cc: linux-widget@vger.kernel.org' "$work/good.reply"; echo $?)
check "reply: Re: subject" $(grep -q '^Subject: Re: \[GIT PULL\] widget fixes (good)' "$work/good.reply"; echo $?)
check "reply: Auto-Submitted" $(grep -qx 'Auto-Submitted: auto-generated' "$work/good.reply"; echo $?)
check "reply: an opening line of its own, not pr-tracker-bot's" $(grep -qx 'pullcheck on the pull request of Mon, 2 Dec 2024 10:00:00 +0100:' "$work/good.reply" && ! grep -q 'The pull request you sent on' "$work/good.reply"; echo $?)
check "reply: the footer names the contact, the opt-out, the re-check, that it can be wrong" $(sed -n '/^-- $/,$p' "$work/good.reply" | tr '\n' ' ' | grep -q 'can be wrong.*Bot Keeper <keeper@example.org>.*"pullcheck: no".*"pullcheck: recheck"'; echo $?)
check "reply: check has no row on a dashboard, so no links" $(! grep -q 'https://' "$work/good.reply"; echo $?)

# 3. A branch that does not compile: fail, with the compiler's own words.
mail broken broken
run broken --dry-run --json
check "broken: exit 1" $([ $st -eq 1 ]; echo $?)
check "broken: fail" $([ "$(jget "$work/broken.json" 'j["verdict"]')" = fail ]; echo $?)
check "broken: first diagnostic at widget.c:3" $([ "$(jget "$work/broken.json" '"%s:%d" % (j["build"]["diagnostics"][0]["file"], j["build"]["diagnostics"][0]["line"])')" = widget.c:3 ]; echo $?)
jget "$work/broken.json" 'j["reply"]' >"$work/broken.reply"
check "broken: the reply names the error" $(grep -q 'widget.c:3:' "$work/broken.reply"; echo $?)
check "broken: a fail goes To the sender and the top-level recipient" $(grep -qx 'To: ann@example.org, torvalds@linux-foundation.org' "$work/broken.reply" && grep -qx 'Cc: linux-widget@vger.kernel.org' "$work/broken.reply"; echo $?)
check "good: a pass goes To the sender alone" $(grep -qx 'To: ann@example.org' "$work/good.reply"; echo $?)

# 3b. Who gets what (issue 14): a pull request to a sub-maintainer is
#     checked, and nobody is told it passes or fails "the policy".
mail submaint broken 's/^To: .*/To: Greg KH <greg@kroah.com>/'
run submaint --dry-run --json
check "sub-maintainer: checked all the same (fail, exit 1)" $([ $st -eq 1 ] && [ "$(jget "$work/submaint.json" 'j["verdict"]')" = fail ]; echo $?)
check "sub-maintainer: no reply" $([ "$(jget "$work/submaint.json" 'j["reply"]')" = None ]; echo $?)
check "sub-maintainer: check says why" $(grep -q 'no reply: not addressed to a \[reply\] top_level recipient' "$work/submaint.err"; echo $?)
mail cconly broken 's/^To: .*/To: Greg KH <greg@kroah.com>/;s/^Cc: .*/Cc: linux-widget@vger.kernel.org, Linus Torvalds <torvalds@linux-foundation.org>/'
run cconly --dry-run --json
jget "$work/cconly.json" 'j["reply"]' >"$work/cconly.reply"
check "Cc-only Linus: the policy reply, To the sender and Linus" $(grep -qx 'To: ann@example.org, torvalds@linux-foundation.org' "$work/cconly.reply"; echo $?)
check "broken: header fail, coverage command" $(grep -qx 'X-Pullcheck-Verdict: fail' "$work/broken.reply" && grep -qx 'X-Pullcheck-Coverage: command' "$work/broken.reply"; echo $?)
check "broken: the command failed, no policy named" $(grep -qx 'fails the build command this installation runs instead of the kernel' "$work/broken.reply" && ! grep -q 'FAILS' "$work/broken.reply"; echo $?)

# 4. The branch moved after the mail was written: the tip is elsewhere.
mail moved fixes
git -C "$work/maint" commit -q --allow-empty -m 'widget: one more'
git -C "$work/maint" push -q "$srv/maint.git" fixes
#    Not the policy: the pull request could not be verified as sent,
#    and the reply says so with the facts, never "FAILS".
run moved --dry-run --json
check "moved: exit 3" $([ $st -eq 3 ]; echo $?)
check "moved: could-not-check" $([ "$(jget "$work/moved.json" 'j["verdict"]')" = could-not-check ]; echo $?)
check "moved: outcome unverified" $([ "$(jget "$work/moved.json" 'j["outcome"]')" = unverified ]; echo $?)
check "moved: tip-mismatch, severity unverified" $([ "$(jget "$work/moved.json" '[r["severity"] for r in j["reasons"] if r["code"] == "tip-mismatch"]')" = "['unverified']" ]; echo $?)
check "moved: nothing built" $([ "$(jget "$work/moved.json" 'j["build"]')" = None ]; echo $?)
jget "$work/moved.json" 'j["reply"]' >"$work/moved.reply"
check "moved: header unverified" $(grep -qx 'X-Pullcheck-Verdict: unverified' "$work/moved.reply"; echo $?)
check "moved: 'could not be verified as sent'" $(grep -q '^could not be verified as sent' "$work/moved.reply"; echo $?)
check "moved: no FAILS, no policy verdict" $(! grep -q 'FAILS\|passes' "$work/moved.reply"; echo $?)
check "moved: the tip the mail names" $(grep -A3 -x 'What the mail says' "$work/moved.reply" | grep -qx "  tip         $(git -C "$work/maint" rev-parse fixes~1)"; echo $?)
check "moved: the tip found" $(grep -A5 -x 'What was checked' "$work/moved.reply" | grep -qx "  tip         $(git -C "$work/maint" rev-parse fixes)"; echo $?)

# 5. A URL outside [fetch] allow_urls: could not check, nothing fetched.
mail elsewhere tags/widget-fixes-1.1 "s|$url|https://github.com/ann/widget.git|"
run elsewhere --dry-run --json
check "not allowed: could-not-check" $([ "$(jget "$work/elsewhere.json" 'j["verdict"]')" = could-not-check ]; echo $?)
check "not allowed: url-not-allowed" $(jget "$work/elsewhere.json" '[r["code"] for r in j["reasons"]]' | grep -c url-not-allowed >/dev/null; echo $?)

# 6. Not a pull request: exit 4, no reply.
printf 'From: a@example.org\nSubject: lunch\nMessage-ID: <lunch@x>\n\nnoon?\n' >"$work/lunch.eml"
run lunch --json
check "not a PR: exit 4" $([ $st -eq 4 ]; echo $?)
check "not a PR: no reply" $([ "$(jget "$work/lunch.json" 'j["reply"]')" = None ]; echo $?)

# 7. Without --dry-run the reply goes to the outbox (a Maildir by default).
run good
check "sent: exit 0" $([ $st -eq 0 ]; echo $?)
check "sent: one mail in the outbox" $([ "$(ls "$work/state/outbox/new" | wc -l)" -eq 1 ]; echo $?)
check "sent: it is the reply" $(grep -qx 'In-Reply-To: <good@example.org>' "$work/state/outbox/new/"*; echo $?)
# The daemon's never-reply rules hold for check too: an automatic mail
# and one that says "pullcheck: no" are checked, and get no reply.
mail auto tags/widget-fixes-1.1 's/^Subject: /Auto-Submitted: auto-generated\nSubject: /'
mail says-no tags/widget-fixes-1.1 's/^Please pull\.$/Please pull.\npullcheck: no/'
for name in auto says-no; do
	"$pc" check --config "$work/pullcheck.conf" "$work/$name.eml" >"$work/$name.out" 2>"$work/$name.err"
	st=$?
	check "$name: checked all the same (exit 0)" $([ $st -eq 0 ]; echo $?)
	check "$name: still one mail in the outbox" $([ "$(ls "$work/state/outbox/new" | wc -l)" -eq 1 ]; echo $?)
done
check "auto: says why it was not sent" $(grep -q 'the reply was not sent: .*Auto-Submitted' "$work/auto.err"; echo $?)
check "says-no: says why it was not sent" $(grep -q 'the reply was not sent: .*pullcheck: no' "$work/says-no.err"; echo $?)

# 8. watch --once on the built-in Maildir source and outbox: the mail in
#    STATE/inbox/new is answered once, moves to cur/ with the verdict
#    keyword Dovecot's way, and a second run sends nothing.
sed "s|^state_dir = .*|state_dir = $work/wstate|" "$work/pullcheck.conf" >"$work/watch.conf"
mkdir -p "$work/wstate/inbox/new" "$work/wstate/inbox/cur" "$work/wstate/inbox/tmp"
git -C "$work/maint" reset -q --hard widget-fixes-1.1
git -C "$work/maint" push -q -f "$srv/maint.git" fixes
mail watched tags/widget-fixes-1.1
cp "$work/watched.eml" "$work/wstate/inbox/new/1.watched"
cp "$work/lunch.eml" "$work/wstate/inbox/new/2.lunch"
cp "$work/submaint.eml" "$work/wstate/inbox/new/3.submaint"
watch_once "$work/watch.conf"
check "watch --once: exit 0" $([ $st -eq 0 ]; echo $?)
check "watch --once: one reply in the outbox" $([ "$(ls "$work/wstate/outbox/new" | wc -l)" -eq 1 ]; echo $?)
check "watch --once: the reply answers it" $(grep -qx 'In-Reply-To: <watched@example.org>' "$work/wstate/outbox/new/"*; echo $?)
check "watch --once: pass-command" $(grep -qx 'X-Pullcheck-Verdict: pass-command' "$work/wstate/outbox/new/"*; echo $?)
# [report] base_url: the dashboard entry and the log, which `pullcheck
# report` then publishes there; recipe command leaves no .config.
wid=$(sql "$work/wstate" "SELECT id FROM jobs WHERE message_id = 'watched@example.org'")
check "watch --once: the reply links its dashboard entry and build log" $(grep -qx "On the dashboard: https://pc.example.org/reports/index.html#job-$wid" "$work/wstate/outbox/new/"* && grep -qx "Full build log: https://pc.example.org/reports/logs/$wid.log" "$work/wstate/outbox/new/"* && ! grep -q '\.config built' "$work/wstate/outbox/new/"*; echo $?)
"$pc" report --config "$work/watch.conf" --out "$work/wreport" >/dev/null 2>>"$work/watch.err"
check "report: the links of the reply are there to follow" $([ -s "$work/wreport/logs/$wid.log" ] && grep -q "id=\"job-$wid\"" "$work/wreport/index.html"; echo $?)
check "watch --once: inbox new/ is empty" $([ -z "$(ls "$work/wstate/inbox/new")" ]; echo $?)
kw=$(grep -x '[0-9]* \$PullcheckCommandPass' "$work/wstate/inbox/dovecot-keywords" 2>/dev/null | cut -d' ' -f1)
check "watch --once: \$PullcheckCommandPass in dovecot-keywords" $([ -n "$kw" ]; echo $?)
check "watch --once: not the policy's \$PullcheckPass" $(! grep -q 'PullcheckPass$' "$work/wstate/inbox/dovecot-keywords"; echo $?)
letter=$(printf "\\$(printf '%03o' $((97 + ${kw:-0})))")
check "watch --once: the keyword's letter on the mail" $(ls "$work/wstate/inbox/cur/" | grep -c "^1\.watched:2,.*$letter" >/dev/null; echo $?)
"$pc" status --json --config "$work/watch.conf" >"$work/status.json"
check "status: 1 replied, 1 ignored, 1 checked" $([ "$(jget "$work/status.json" '(j["states"]["replied"], j["states"]["ignored"], j["states"]["checked"])')" = "(1, 1, 1)" ]; echo $?)
check "watch --once: the store keeps who went to the top level, for the digest" $([ "$(sql "$work/wstate" "SELECT message_id, top_level FROM jobs WHERE top_level IS NOT NULL ORDER BY id")" = "watched@example.org|1
lunch@x|0
submaint@example.org|0" ]; echo $?)
check "watch --once: the sub-maintainer's pull request checked, with its verdict and why no mail" $([ "$(sql "$work/wstate" "SELECT state, verdict, reason, reply FROM jobs WHERE message_id = 'submaint@example.org'")" = "checked|fail|not addressed to a [reply] top_level recipient: checked for the feed and the dashboard, no mail|None" ]; echo $?)
watch_once "$work/watch.conf"
check "watch --once again: exit 0" $([ $st -eq 0 ]; echo $?)
check "watch --once again: still one reply" $([ "$(ls "$work/wstate/outbox/new" | wc -l)" -eq 1 ]; echo $?)
# pr-tracker-bot's merge acknowledgement in the thread: the pull request
# is marked pulled, for the digest's order; the ack itself gets nothing.
printf 'From: pr-tracker-bot@kernel.org\nTo: ann@example.org\nSubject: Re: [GIT PULL] widget fixes (watched)\nDate: Mon, 2 Dec 2024 20:00:00 +0000\nMessage-ID: <ack-1.pr-tracker-bot@kernel.org>\nIn-Reply-To: <watched@example.org>\nReferences: <watched@example.org>\n\nThe pull request you sent on Mon, 2 Dec 2024:\n\n> %s tags/widget-fixes-1.1\n\nhas been merged into torvalds/linux.git:\nhttps://git.kernel.org/torvalds/c/0123456789abcdef\n\nThank you!\n' "$url" >"$work/wstate/inbox/new/4.ack"
watch_once "$work/watch.conf"
check "merge ack: the pull request marked pulled, no reply" $([ "$(sql "$work/wstate" "SELECT pulled_at > 0 FROM jobs WHERE message_id = 'watched@example.org'")" = 1 ] && [ "$(sql "$work/wstate" "SELECT state FROM jobs WHERE message_id = 'ack-1.pr-tracker-bot@kernel.org'")" = ignored ] && [ "$(ls "$work/wstate/outbox/new" | wc -l)" -eq 1 ]; echo $?)

# 9. The per-sender limit where the reply is sent: two pull requests
#    from Ann arrive together, so both pass the limit at triage (no
#    reply sent yet); with max_per_sender_per_day = 1 the second is
#    built and then stopped at send time.
sed -e "s|^state_dir = .*|state_dir = $work/lstate|" \
	-e 's|^cc_lists = .*|&\nmax_per_sender_per_day = 1|' \
	"$work/pullcheck.conf" >"$work/limit.conf"
mkdir -p "$work/lstate/inbox/new" "$work/lstate/inbox/cur" "$work/lstate/inbox/tmp"
mail limit-a tags/widget-fixes-1.1
mail limit-b tags/widget-fixes-1.1
cp "$work/limit-a.eml" "$work/lstate/inbox/new/1.limit-a"
cp "$work/limit-b.eml" "$work/lstate/inbox/new/2.limit-b"
watch_once "$work/limit.conf"
check "send-time limit: exit 0" $([ $st -eq 0 ]; echo $?)
check "send-time limit: one reply in the outbox" $([ "$(ls "$work/lstate/outbox/new" | wc -l)" -eq 1 ]; echo $?)
rows=$(sql "$work/lstate" "SELECT message_id, state, reason FROM jobs ORDER BY id")
check "send-time limit: the first replied, the second ignored by the limit" $([ "$rows" = "limit-a@example.org|replied|None
limit-b@example.org|ignored|1 replies to this sender in 24 h ([reply] max_per_sender_per_day)" ]; echo $?)
check "send-time limit: the second was built and stopped at reporting" $([ "$(sql "$work/lstate" "SELECT group_concat(state, ' ') FROM (SELECT e.state FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE j.message_id = 'limit-b@example.org' ORDER BY e.rowid)")" = "received queued fetching building reporting ignored" ]; echo $?)

# 10. A fetch that fails every time: fetched again over [fetch]
#     retry_window, [fetch] retry_delay doubling, then one could-not-check
#     reply that says what failed and how often it was tried. The mail
#     names a port nothing listens on. [build] retries are not spent.
dead=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|^state_dir = .*|state_dir = $work/rstate|" \
	-e "s|^allow_urls = .*|&git://127.0.0.1:$dead/;|" \
	-e 's|^timeout = 60$|&\nretry_window = 6\nretry_delay = 2|' \
	"$work/pullcheck.conf" >"$work/retry.conf"
mkdir -p "$work/rstate/inbox/new" "$work/rstate/inbox/cur" "$work/rstate/inbox/tmp"
mail unreachable tags/widget-fixes-1.1 "s|$url|git://127.0.0.1:$dead/maint.git|"
cp "$work/unreachable.eml" "$work/rstate/inbox/new/1.unreachable"
for i in $(seq 30); do	# retries come due after 2 s, then at 6 s
	watch_once "$work/retry.conf"
	[ $st -ne 0 ] || [ -n "$(ls "$work/rstate/outbox/new" 2>/dev/null)" ] && break
	sleep 1
done
check "retries out: exit 0" $([ $st -eq 0 ]; echo $?)
check "retries out: one reply" $([ "$(ls "$work/rstate/outbox/new" 2>/dev/null | wc -l)" -eq 1 ]; echo $?)
reply=$(ls "$work/rstate/outbox/new/"* 2>/dev/null | head -1)
check "retries out: could-not-check" $(grep -qx 'X-Pullcheck-Verdict: could-not-check' "${reply:-/dev/null}"; echo $?)
check "retries out: the reply says the fetch from that URL failed" $(grep -A1 -x 'could not be checked; this says nothing about the pull request itself:' "${reply:-/dev/null}" | tail -1 | grep -q "127.0.0.1:$dead"; echo $?)
check "retries out: the network is our side: To [reply] contact alone" $(grep -qx 'To: keeper@example.org' "${reply:-/dev/null}" && ! grep -q '^Cc:' "${reply:-/dev/null}" && [ "$(sql "$work/rstate" "SELECT reply_rcpts FROM jobs")" = keeper@example.org ]; echo $?)
deferred=$(grep -c "<unreachable@example.org>: failed-infra: .*(fetch [0-9]; again in [0-9]* s, \[fetch\] retry_window)" "$work/watch.err")
check "retries out: fetched again at least once, each in the log" $([ "$deferred" -ge 1 ] && [ "$(sql "$work/rstate" "SELECT state, attempts, fetch_tries FROM jobs")" = "replied|0|$deferred" ]; echo $?)
check "retries out: the reply says how often, over how long" $(grep -qx "pullcheck fetched $((deferred + 1)) times over [0-9]*s before this reply\." "${reply:-/dev/null}"; echo $?)


# 11. Asking again by mail (issue 14): a pull request that fails, the
#     fix pushed to the same branch, "pullcheck: recheck" from its sender
#     in the thread: checked again, the ref as it is now, a new reply
#     that says it is a re-check; the feed shows the newer verdict only.
#     Ignored: someone else, a thread never checked, over the limit.
sed -e "s|^state_dir = .*|state_dir = $work/kstate|" \
	-e 's|^cc_lists = .*|&\nmax_rechecks_per_day = 2|' \
	"$work/pullcheck.conf" >"$work/recheck.conf"
mkdir -p "$work/kstate/inbox/new" "$work/kstate/inbox/cur" "$work/kstate/inbox/tmp"
git -C "$work/maint" checkout -q -b again broken
git -C "$work/maint" push -q "$srv/maint.git" again
mail again again
cp "$work/again.eml" "$work/kstate/inbox/new/1.again"
watch_once "$work/recheck.conf"
kout=$work/kstate/outbox/new
check "recheck: the first check fails" $(grep -qx 'X-Pullcheck-Verdict: fail' "$kout"/* 2>/dev/null; echo $?)
git -C "$work/maint" show widget-fixes-1.1:widget.c >"$work/maint/widget.c"
git -C "$work/maint" commit -q -am 'widget: return two, as a number'
git -C "$work/maint" push -q "$srv/maint.git" again
# recheck NAME FROM IN-REPLY-TO: a reply in the thread asking again.
recheck() {
	printf 'From: %s\nTo: pullcheck <pullcheck@checker.example.org>\nSubject: Re: [GIT PULL] widget fixes (again)\nDate: Mon, 2 Dec 2024 12:00:00 +0100\nMessage-ID: <%s@example.org>\nIn-Reply-To: <%s>\nReferences: <%s>\n\nFixed, same branch.\n\npullcheck: recheck\n\n> Please pull.\n' \
		"$2" "$1" "$3" "$3" >"$work/kstate/inbox/new/$1"
}
recheck ask-ann 'Ann Maintainer <ann@example.org>' again@example.org
recheck ask-mallory 'Mallory <mallory@example.com>' again@example.org
recheck ask-nowhere 'Ann Maintainer <ann@example.org>' never-checked@example.org
watch_once "$work/recheck.conf"
check "recheck: exit 0" $([ $st -eq 0 ]; echo $?)
check "recheck: one more reply, two in all" $([ "$(ls "$kout" | wc -l)" -eq 2 ]; echo $?)
new_reply=$(grep -l 'X-Pullcheck-Verdict: pass' "$kout"/* 2>/dev/null | head -1)
check "recheck: the new reply is a pass, in the pull request's thread" $(grep -qx 'In-Reply-To: <again@example.org>' "${new_reply:-/dev/null}"; echo $?)
check "recheck: it says it is a re-check and supersedes" $(tr '\n' ' ' <"${new_reply:-/dev/null}" | grep -q 'A re-check of this pull request, asked by ann@example.org: its ref was fetched again .* This supersedes pullcheck.s earlier verdict on it'; echo $?)
check "recheck: a Message-ID of its own" $([ "$(grep -h '^Message-I[dD]:' "$kout"/* | sort -u | wc -l)" -eq 2 ]; echo $?)
check "recheck: someone else's is ignored, with why" $([ "$(sql "$work/kstate" "SELECT state, reason FROM jobs WHERE message_id = 'ask-mallory@example.org'")" = "ignored|a re-check asked by mallory@example.com, who is neither the pull request's sender nor a [reply] top_level recipient" ]; echo $?)
check "recheck: a thread never checked is ignored, with why" $([ "$(sql "$work/kstate" "SELECT state, reason FROM jobs WHERE message_id = 'ask-nowhere@example.org'")" = 'ignored|asks for a re-check ("pullcheck: recheck"), but pullcheck keeps no pull request it checked in this thread' ]; echo $?)
# Its refs and log are its own: the result's job key is its row's (what
# `pullcheck maintain` keeps while it is open), recheck_of the request's.
keys=$($py -c 'import hashlib,json,sqlite3,sys
db = sqlite3.connect(sys.argv[1])
key = lambda m, b: hashlib.sha256((m + "\n" + b).encode()).hexdigest()[:16]
(om, ob), = db.execute("SELECT message_id, body_sha256 FROM jobs WHERE message_id = ? AND recheck_by IS NULL", ("again@example.org",))
m, b, r = db.execute("SELECT message_id, body_sha256, result_json FROM jobs WHERE recheck_by IS NOT NULL").fetchone()
r = json.loads(r)
print(r["job"] == key(m, b), r["recheck_of"] == key(om, ob), r["job"] != r["recheck_of"])' "$work/kstate/pullcheck.db")
check "recheck: its job key is its row's, recheck_of the pull request's" $([ "$keys" = "True True True" ]; echo $?)
check "recheck: the job is the pull request's, asked by ann" $([ "$(sql "$work/kstate" "SELECT state, verdict, recheck_by FROM jobs WHERE message_id = 'again@example.org' ORDER BY id")" = "replied|fail|None
replied|pass|ann@example.org" ]; echo $?)
"$pc" report --config "$work/recheck.conf" --out "$work/kreport" >/dev/null 2>>"$work/watch.err"
check "recheck: the feed has the pull request once, with the newer verdict" $([ "$(grep -c '<title>\[GIT PULL\] widget fixes (again)</title>' "$work/kreport/feed.atom")" -eq 1 ] && grep -q 'term="pass-command"' "$work/kreport/feed.atom" && ! grep -q 'term="fail"' "$work/kreport/feed.atom"; echo $?)
# A top-level recipient may ask too; then the limit (2 a day) holds.
recheck ask-linus 'Linus Torvalds <torvalds@linux-foundation.org>' again@example.org
watch_once "$work/recheck.conf"
recheck ask-ann-3 'Ann Maintainer <ann@example.org>' again@example.org
watch_once "$work/recheck.conf"
check "recheck: a top-level recipient's is taken (three replies)" $([ "$(ls "$kout" | wc -l)" -eq 3 ]; echo $?)
check "recheck: over [reply] max_rechecks_per_day is ignored" $([ "$(sql "$work/kstate" "SELECT state, reason FROM jobs WHERE message_id = 'ask-ann-3@example.org'")" = "ignored|2 re-checks of this pull request in 24 h ([reply] max_rechecks_per_day)" ]; echo $?)

# 12. A ref the repository does not have, and never gets: `check` waits
#     the window, saying so on stderr, then the verification reply.
git -C "$work/maint" checkout -q -b later fixes
echo 'int later;' >"$work/maint/later.c"
git -C "$work/maint" add later.c
git -C "$work/maint" commit -q -m 'widget: later'
git -C "$work/maint" push -q "$srv/maint.git" later
mail later later
git -C "$work/maint" push -q "$srv/maint.git" --delete later
sed -e 's|^timeout = 60$|&\nretry_window = 4\nretry_delay = 1|' \
	"$work/pullcheck.conf" >"$work/window.conf"
start=$(date +%s%N)
"$pc" check --config "$work/window.conf" --dry-run --json "$work/later.eml" \
	>"$work/never.json" 2>"$work/never.err"
st=$? took=$((($(date +%s%N) - start) / 1000000))
check "never: exit 3" $([ $st -eq 3 ]; echo $?)
check "never: waited the 4 s window ($took ms)" $([ "$took" -ge 4000 ]; echo $?)
check "never: outcome unverified" $([ "$(jget "$work/never.json" 'j["outcome"]')" = unverified ]; echo $?)
check "never: ref-not-found decided it" $([ "$(jget "$work/never.json" '[r["code"] for r in j["reasons"] if r["severity"] == "unverified"]')" = "['ref-not-found']" ]; echo $?)
waits=$(grep -c '^pullcheck check: later is not on .*\[ref-not-found\]: fetch [0-9]; trying again in [0-9] s (\[fetch\] retry_window 4 s)$' "$work/never.err")
check "never: each wait on stderr" $([ "$waits" -ge 2 ] && [ "$(jget "$work/never.json" 'j["fetch"]["tries"]')" -eq $((waits + 1)) ]; echo $?)
jget "$work/never.json" 'j["reply"]' >"$work/never.reply"
check "never: header unverified" $(grep -qx 'X-Pullcheck-Verdict: unverified' "$work/never.reply"; echo $?)
check "never: the reply says what was not found, and the retries" $(grep -A4 -x 'could not be verified as sent, so nothing was built; this is no verdict' "$work/never.reply" | tr '\n' ' ' | grep -q "later is not on $url: was it pushed? *pullcheck fetched $((waits + 1)) times over [45]s before this reply, as a mirror may lag minutes behind a push\."; echo $?)
check "never: the ref the mail names" $(grep -A1 -x 'What the mail says' "$work/never.reply" | grep -qx '  ref         later'; echo $?)

# 13. The ref appears on the server while `check` waits: a real check.
sed -e 's|^timeout = 60$|&\nretry_window = 60\nretry_delay = 1|' \
	"$work/pullcheck.conf" >"$work/appears.conf"
"$pc" check --config "$work/appears.conf" --dry-run --json "$work/later.eml" \
	>"$work/appears.json" 2>"$work/appears.err" &
cpid=$!
for i in $(seq 100); do grep -q 'trying again' "$work/appears.err" && break; sleep 0.1; done
git -C "$work/maint" push -q "$srv/maint.git" later
wait $cpid
st=$?
check "appears: exit 0" $([ $st -eq 0 ]; echo $?)
check "appears: built and passed" $([ "$(jget "$work/appears.json" '(j["verdict"], j["outcome"])')" = "('pass', 'pass-command')" ]; echo $?)
check "appears: the tip the mail names" $([ "$(jget "$work/appears.json" 'j["fetch"]["tip_commit"]')" = "$(git -C "$work/maint" rev-parse later)" ]; echo $?)
check "appears: fetched more than once" $([ "$(jget "$work/appears.json" 'j["fetch"]["tries"]')" -ge 2 ]; echo $?)
git -C "$work/maint" push -q "$srv/maint.git" --delete later

# 14. The same in the daemon, whose count lives in the job store: one
#     ref appears during the window (a real check), one never does (the
#     verification reply after the window).
sed -e "s|^state_dir = .*|state_dir = $work/dstate|" \
	-e 's|^timeout = 60$|&\nretry_window = 8\nretry_delay = 1|' \
	"$work/pullcheck.conf" >"$work/dwin.conf"
mkdir -p "$work/dstate/inbox/new" "$work/dstate/inbox/cur" "$work/dstate/inbox/tmp"
sed 's/^Message-ID: <later@/Message-ID: <never@/; s/(later)/(never)/; s/ later$/ never/; s/ later\r$/ never/' "$work/later.eml" >"$work/never.eml"
sed -i 's|^\(\t*'"$url"'\) later$|\1 never|' "$work/never.eml"
cp "$work/later.eml" "$work/dstate/inbox/new/1.later"
cp "$work/never.eml" "$work/dstate/inbox/new/2.never"
pushed=
for i in $(seq 40); do
	watch_once "$work/dwin.conf"
	[ $st -ne 0 ] || [ "$(ls "$work/dstate/outbox/new" 2>/dev/null | wc -l)" -ge 2 ] && break
	if [ -z "$pushed" ] && grep -q '<later@example.org>: failed-infra: later is not on' "$work/watch.err"; then
		git -C "$work/maint" push -q "$srv/maint.git" later
		pushed=yes
	fi
	sleep 1
done
check "daemon window: exit 0, two replies" $([ $st -eq 0 ] && [ "$(ls "$work/dstate/outbox/new" | wc -l)" -eq 2 ]; echo $?)
later_reply=$(grep -l '^In-Reply-To: <later@example.org>' "$work/dstate/outbox/new/"* | head -1)
never_reply=$(grep -l '^In-Reply-To: <never@example.org>' "$work/dstate/outbox/new/"* | head -1)
check "daemon window: the ref that appeared was built: pass-command" $(grep -qx 'X-Pullcheck-Verdict: pass-command' "${later_reply:-/dev/null}"; echo $?)
check "daemon window: the ref that never came: unverified" $(grep -qx 'X-Pullcheck-Verdict: unverified' "${never_reply:-/dev/null}"; echo $?)
check "daemon window: ... after the window, saying so" $(grep -q '^pullcheck fetched [3-9] times over [0-9]*s before this reply' "${never_reply:-/dev/null}"; echo $?)
check "daemon window: the store counted the fetch retries" $([ "$(sql "$work/dstate" "SELECT message_id, state, attempts, fetch_tries > 0, fetch_since > 0 FROM jobs ORDER BY id")" = "later@example.org|replied|0|1|1
never@example.org|replied|0|1|1" ]; echo $?)
kw=$(sed -n 's/^\([0-9]*\) \$PullcheckUnverified$/\1/p' "$work/dstate/inbox/dovecot-keywords" 2>/dev/null)
letter=$(printf "\\$(printf '%03o' $((97 + ${kw:-25})))")
check "daemon window: \$PullcheckUnverified on the never mail" $([ -n "$kw" ] && ls "$work/dstate/inbox/cur/" | grep -q "^2\.never:2,.*$letter"; echo $?)

# 15. Our own limits are not transient: a fetch over [fetch] max_bytes,
#     or past [fetch] timeout (a server that accepts and never answers),
#     is could-not-check at once, naming the limit, and goes to [reply]
#     contact. It is not fetched again over [fetch] retry_window as a
#     missing ref or a network error is (cases 10, 12).
git -C "$work/maint" checkout -q -b bulky fixes
head -c 300000 /dev/urandom >"$work/maint/blob.bin"
git -C "$work/maint" add blob.bin
git -C "$work/maint" commit -q -m 'widget: a blob'
git -C "$work/maint" push -q "$srv/maint.git" bulky
mail bulky bulky
$py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])' >"$work/silent.port" &
silent_pid=$!
for i in $(seq 50); do [ -s "$work/silent.port" ] && break; sleep 0.1; done
silent=$(cat "$work/silent.port")
mail stalled tags/widget-fixes-1.1 "s|$url|git://127.0.0.1:$silent/maint.git|"
# limit_case NAME SED: `check` with a 60 s window, a 1 s first delay
limit_case() {
	sed -e "s|^allow_urls = .*|&git://127.0.0.1:$silent/;|" \
		-e 's|^timeout = 60$|&\nretry_window = 60\nretry_delay = 1|' \
		"$work/pullcheck.conf" | sed -e "$2" >"$work/$1.conf"
	local start=$(date +%s)
	"$pc" check --config "$work/$1.conf" --dry-run --json "$work/$1.eml" \
		>"$work/$1.json" 2>"$work/$1.err"
	st=$? took=$(($(date +%s) - start))
	jget "$work/$1.json" 'j["reply"]' >"$work/$1.reply"
}
limit_case bulky 's|^timeout = 60$|max_bytes = 64K\n&|'
check "byte cap: exit 3 in ${took} s, not the 60 s window" $([ $st -eq 3 ] && [ "$took" -lt 30 ]; echo $?)
check "byte cap: fetch-limit decided it" $([ "$(jget "$work/bulky.json" '[r["code"] for r in j["reasons"] if r["severity"] == "infra"]')" = "['fetch-limit']" ]; echo $?)
check "byte cap: fetched once, no wait said" $([ "$(jget "$work/bulky.json" 'j["fetch"]["tries"]')" = 1 ] && ! grep -q 'trying again' "$work/bulky.err"; echo $?)
check "byte cap: the reply names the limit" $(tr '\n' ' ' <"$work/bulky.reply" | tr -s ' ' | grep -q "stopped at this installation's limit: the server sent more than the limit of 65536 bytes (\[fetch\] max_bytes)\."; echo $?)
check "byte cap: our side: To [reply] contact alone" $(grep -qx 'To: keeper@example.org' "$work/bulky.reply" && grep -qx 'X-Pullcheck-Verdict: could-not-check' "$work/bulky.reply"; echo $?)
limit_case stalled 's|^timeout = 60$|timeout = 2|'
check "time limit: exit 3 in ${took} s, not the 60 s window" $([ $st -eq 3 ] && [ "$took" -lt 30 ]; echo $?)
check "time limit: fetch-limit, fetched once, no wait said" $([ "$(jget "$work/stalled.json" '([r["code"] for r in j["reasons"] if r["severity"] == "infra"], j["fetch"]["tries"])')" = "(['fetch-limit'], 1)" ] && ! grep -q 'trying again' "$work/stalled.err"; echo $?)
check "time limit: the reply names the limit" $(tr '\n' ' ' <"$work/stalled.reply" | tr -s ' ' | grep -q "stopped at this installation's limit: the server did not finish within the time limit of 2 seconds (\[fetch\] timeout)\."; echo $?)
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
silent_pid=

[ "$fail" -eq 0 ] || cat "$work/watch.err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
