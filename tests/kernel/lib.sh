# lib.sh: what the real-kernel test scripts share. Sourced, after
# setting pc (the pullcheck binary) and cache (the cache directory).
#
# kernel_setup          prepare.sh, a work directory removed at exit,
#                       the git identity and dates of the branches
# kernel_serve REPO     a real git daemon serving mainline and REPO as
#                       maint.git; sets $url (maint.git) and $port
# kernel_conf FILE ROOT [SCOPE [KCONFIG [EXTRA]]]
#                       a pullcheck.conf for the cache: scope rust and
#                       allmodconfig unless given, EXTRA its kconfig_extra;
#                       the mails' To is its top level, and a could-not-
#                       check of ours goes to its contact
# kernel_case NAME BASE TAG [CONFIG]
#                       a mail from `git request-pull BASE $url tags/TAG`,
#                       then `pullcheck check --dry-run --json`: sets $st,
#                       writes $work/NAME.json and NAME.err
# check NAME STATUS     counts a PASS (STATUS 0) or a FAIL
# jget FILE EXPR        EXPR on the JSON in FILE (as j), printed
# verdict NAME, codes NAME, reply NAME
#                       case NAME's verdict; its reasons' codes; its reply
# kernel_done           the summary; the exit status
py=/usr/bin/python3
pass=0 fail=0
daemon_pid=

check() {
	if [ "$2" -eq 0 ]; then echo "PASS $1"; pass=$((pass + 1))
	else echo "FAIL $1"; fail=$((fail + 1)); fi
}
jget() { $py -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
stamp() { printf '[kernel %s] %s\n' "$(date +%T)" "$*"; }
verdict() { jget "$work/$1.json" 'j.get("verdict")'; }
codes() { jget "$work/$1.json" '" ".join(r["code"] for r in j.get("reasons", []))'; }
reply() { jget "$work/$1.json" 'j["reply"]'; }

kernel_cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}

kernel_setup() {
	local tool
	for tool in git bwrap mmdebstrap; do
		command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
	done
	"$here/prepare.sh" "$pc" "$cache" || { echo "FAIL prepare"; exit 1; }
	work=$(mktemp -d)
	trap kernel_cleanup EXIT
	export GIT_AUTHOR_NAME='Ann Maintainer' GIT_AUTHOR_EMAIL=ann@example.org
	export GIT_COMMITTER_NAME='Ann Maintainer' GIT_COMMITTER_EMAIL=ann@example.org
	export GIT_AUTHOR_DATE='2024-12-01T10:00:00+0100'
	export GIT_COMMITTER_DATE='2024-12-01T10:00:00+0100'
}

kernel_serve() {
	local srv=$work/srv i
	mkdir -p "$srv"
	ln -s "$cache/mainline.git" "$srv/mainline.git"
	ln -s "$1" "$srv/maint.git"
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	# git-daemon itself, not the git wrapper: a kill of the wrapper leaves it.
	"$(git --exec-path)/git-daemon" --export-all --base-path="$srv" \
		--listen=127.0.0.1 --port="$port" --reuseaddr "$srv" \
		>/dev/null 2>&1 &
	daemon_pid=$!
	url=git://127.0.0.1:$port/maint.git
	for i in $(seq 100); do git ls-remote "$url" >/dev/null 2>&1 && break; sleep 0.1; done
}

kernel_conf() {
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
scope = ${3:-rust}
kconfig = ${4:-allmodconfig}
${5:+kconfig_extra = $5}
cache_dir = $cache/build
timeout = 3600
[reply]
from = pullcheck <pullcheck@checker.example.org>
top_level = torvalds@example.org
contact = pullcheck operator <operator@checker.example.org>
CONF
}

kernel_case() {
	local name=$1 base=$2 tag=$3 config=${4:-$work/pullcheck.conf} t0
	{
		printf 'From: Ann Maintainer <ann@example.org>\n'
		printf 'To: Linus Torvalds <torvalds@example.org>\n'
		printf 'Subject: [GIT PULL] %s\n' "$name"
		printf 'Date: Mon, 2 Dec 2024 10:00:00 +0100\n'
		printf 'Message-ID: <%s@example.org>\n\n' "$name"
		printf 'Hi Linus,\n\nPlease pull.\n\n'
		git --git-dir="$maint" request-pull "$base" "$url" "tags/$tag" 2>/dev/null
	} >"$work/$name.eml"
	t0=$(date +%s)
	stamp "case $name"
	"$pc" check --config "$config" --dry-run --json "$work/$name.eml" \
		>"$work/$name.json" 2>"$work/$name.err"
	st=$?
	stamp "case $name: exit $st in $(($(date +%s) - t0)) s"
	check "$name: no sanitizer report" $(! grep -q "Sanitizer\|runtime error:" "$work/$name.err"; echo $?)
	[ -s "$work/$name.json" ] || { tail -20 "$work/$name.err"; echo '{}' >"$work/$name.json"; }
}

kernel_done() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
