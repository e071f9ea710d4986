#!/usr/bin/env bash
# cli.sh PULLCHECK FIXTURES: what a user sees of `pullcheck parse` and the
# command line around it: exit codes, errors naming the path, the size cap,
# garbage, stdin, --help.
set -uo pipefail
pc=$1 fixtures=$2
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

check() {	# check NAME CONDITION-EXIT-STATUS
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"; pass=$((pass + 1))
	else
		echo "FAIL $1"; fail=$((fail + 1))
	fi
}

# jq-like: json_field FILE LINE_NO KEY prints that key of that line.
json_field() {
	$py -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
v=rows[int(sys.argv[2])][sys.argv[3]]
print("null" if v is None else v)' "$@"
}

good=$work/good.eml
cat >"$good" <<'MAIL'
From: Ann Maintainer <ann@example.org>
To: Linus Torvalds <torvalds@example.org>
Subject: [GIT PULL] widget fixes for 6.13-rc2
Date: Tue, 3 Dec 2024 10:00:00 +0100
Message-ID: <good@example.org>

Hi Linus,

The following changes since commit 0123456789abcdef0123456789abcdef01234567:

  Linux 6.13-rc1 (2024-12-01 14:28:56 -0800)

are available in the Git repository at:

  git://git.kernel.org/pub/scm/linux/kernel/git/ann/widget.git tags/widget-fixes-6.13-rc2

for you to fetch changes up to 89abcdef0123456789abcdef0123456789abcdef:

  widget: fix the frobnicator (2024-12-02 09:00:00 +0100)
MAIL

# An unreadable path is an error naming it; the rest is still read.
"$pc" parse "$good" >"$work/out"
check "good mail: a pull request" $([ "$(json_field "$work/out" 0 is_pull_request)" = True ] && [ "$(json_field "$work/out" 0 ref)" = tags/widget-fixes-6.13-rc2 ]; echo $?)
"$pc" parse "$work/missing.eml" "$good" >"$work/out" 2>"$work/err"
st=$?
check "missing path: exit 1" $([ $st -eq 1 ]; echo $?)
check "missing path: stderr names it" $(grep -q "missing.eml" "$work/err"; echo $?)
check "missing path: the good file still printed" $([ "$(wc -l <"$work/out")" -eq 1 ]; echo $?)

# A directory that is not a Maildir.
mkdir "$work/notmaildir"
"$pc" parse "$work/notmaildir" >"$work/out" 2>"$work/err"
check "not a maildir: exit 1" $([ $? -eq 1 ]; echo $?)
check "not a maildir: says so" $(grep -q "not a Maildir" "$work/err"; echo $?)

# Over the size cap: false with a reason, the headers still read.
printf '[pullcheck]\nmax_message_bytes = 2K\n' >"$work/small.conf"
{
	printf 'From: A <a@example.org>\nSubject: [GIT PULL] big\nMessage-ID: <big@x>\n\n'
	printf 'are available in the Git repository at:\n\n  git://git.kernel.org/pub/scm/a.git x\n'
	head -c 4000 /dev/zero | tr '\0' 'y'; echo
} >"$work/big.eml"
"$pc" --help >/dev/null
"$pc" parse --config "$work/small.conf" "$work/big.eml" >"$work/out"
check "over cap: exit 0" $?
check "over cap: not a pull request" $([ "$(json_field "$work/out" 0 is_pull_request)" = False ]; echo $?)
check "over cap: reason names the cap" $(json_field "$work/out" 0 reason | grep -c "over the cap of 2048" >/dev/null; echo $?)
check "over cap: message_id still read" $([ "$(json_field "$work/out" 0 message_id)" = big@x ]; echo $?)
"$pc" parse "$work/big.eml" >"$work/out"
check "under default cap: a pull request" $([ "$(json_field "$work/out" 0 is_pull_request)" = True ]; echo $?)

# Binary garbage: not a mail, no crash.
head -c 65536 /dev/urandom >"$work/garbage"
"$pc" parse "$work/garbage" >"$work/out" 2>"$work/err"
st=$?
check "garbage: no crash" $([ $st -le 1 ]; echo $?)
check "garbage: false with a reason" $([ "$(json_field "$work/out" 0 is_pull_request)" = False ] && [ "$(json_field "$work/out" 0 reason)" != null ]; echo $?)

# Standard input, as a single message and as an mbox.
"$pc" parse - <"$good" >"$work/out"
check "stdin: one object, file is -" $([ "$(json_field "$work/out" 0 file)" = - ]; echo $?)
{ for i in 1 2 3; do echo "From x@y Mon Jan  1 00:00:00 2024"; cat "$good"; echo; done; } >"$work/three.mbox"
"$pc" parse - <"$work/three.mbox" >"$work/out"
check "stdin mbox: three objects" $([ "$(wc -l <"$work/out")" -eq 3 ]; echo $?)

# Nothing written anywhere: the state directory is not created.
XDG_STATE_HOME="$work/state" HOME="$work" "$pc" parse "$good" >/dev/null
check "parse writes nothing" $([ ! -e "$work/state" ]; echo $?)

# --help is true: it names the inputs; unknown commands and options fail.
"$pc" parse --help >"$work/help"
check "parse --help names MAILDIR" $(grep -q "MAILDIR" "$work/help"; echo $?)
"$pc" --help | grep -q "check-config"
check "pullcheck --help lists commands" $?
"$pc" frobnicate 2>/dev/null
check "unknown command: exit 2" $([ $? -eq 2 ]; echo $?)
"$pc" parse --frob x 2>/dev/null
check "unknown option: exit 2" $([ $? -eq 2 ]; echo $?)
"$pc" parse 2>/dev/null
check "no input: exit 2" $([ $? -eq 2 ]; echo $?)

# check-config names the bad line.
printf '[fetch]\ntimeout = 10\nallow_url = x\n' >"$work/bad.conf"
"$pc" check-config --config "$work/bad.conf" 2>"$work/err" >/dev/null
st=$?
check "check-config: exit 2 on a bad key" $([ $st -eq 2 ]; echo $?)
check "check-config: names line 3" $(grep -q "bad.conf:3: unknown key \"allow_url\"" "$work/err"; echo $?)
"$pc" check-config --config "$work/small.conf" >"$work/out"
check "check-config: prints the value in force" $(grep -qx "max_message_bytes=2048" "$work/out"; echo $?)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
