#!/usr/bin/env bash
# generated.sh PULLCHECK
#
# Pull requests made at test time the way maintainers make them: a git repo
# with fixed commits, pushed to a "published" bare repo, real
# `git request-pull` for a branch, an annotated tag and a GPG-signed tag,
# and mails around that text in the encodings mail clients use (7bit,
# quoted-printable with a soft break inside the URL, base64, PGP/MIME,
# inline clearsigned). `pullcheck parse` must find in each exactly what
# `git rev-parse` says.
#
# Exit 0 when all checks pass, 1 when one fails, 77 when git, gpg or
# python3 is missing.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 PULLCHECK" >&2
	exit 2
fi
pc=$(realpath -- "$1")
py=/usr/bin/python3
for tool in git gpg gpgconf; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done
[ -x "$py" ] || { echo "SKIP: $py not found"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pc-generated.XXXXXX")
export GNUPGHOME=$work/gnupg
cleanup() {
	gpgconf --kill gpg-agent >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "FAIL setup: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# Nothing from the machine's or the user's git configuration.
export HOME=$work GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/gitconfig
export GIT_AUTHOR_NAME="Wren Testmaintainer" GIT_AUTHOR_EMAIL="wren@example.org"
export GIT_COMMITTER_NAME="Wren Testmaintainer" GIT_COMMITTER_EMAIL="wren@example.org"
export LC_ALL=C TZ=UTC
cat >"$GIT_CONFIG_GLOBAL" <<EOF
[init]
	defaultBranch = master
[advice]
	detachedHead = false
[tag]
	gpgSign = false
EOF

# ---- a throwaway signing key
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' \
    --quick-gen-key "Wren Testmaintainer <wren@example.org>" ed25519 sign never \
    >/dev/null 2>&1 || die "gpg could not make a key"
keyid=$(gpg --batch --list-secret-keys --with-colons 2>/dev/null |
	awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$keyid" ] || die "no key fingerprint"

# ---- a repository with fixed history, and where it is published
repo=$work/linux
bare=$work/published.git
at() {	# at N: the fixed dates of the Nth commit
	export GIT_AUTHOR_DATE="2024-03-0${1}T10:00:00+0100"
	export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
}
{
	git init -q "$repo" &&
	git init -q --bare "$bare" &&
	cd "$repo" &&
	mkdir -p drivers/widget &&
	printf 'obj-y += core.o\n' >drivers/widget/Makefile &&
	printf 'int widget_core;\n' >drivers/widget/core.c &&
	git add . && at 1 && git commit -q -m "Linux 6.9" &&
	git checkout -q -b for-next &&
	printf 'int widget_core = 1;\n' >drivers/widget/core.c &&
	git commit -q -am "widget: core: initialise the core flag" && at 2 &&
	printf 'int widget_qw200;\n' >drivers/widget/qw200.c &&
	git add . && git commit -q -m "widget: qw200: add a driver" && at 3 &&
	printf 'obj-y += core.o qw200.o\n' >drivers/widget/Makefile &&
	git commit -q -am "widget: build the qw200 driver" &&
	at 4 &&
	git tag -a -m "widget updates for 6.10" widget-for-6.10 &&
	git -c gpg.program=gpg -c user.signingkey="$keyid" \
		tag -s -m "widget updates for 6.10, signed" widget-signed-6.10 &&
	git push -q "$bare" master for-next widget-for-6.10 widget-signed-6.10
} >/dev/null 2>&1 || die "could not build the test repository"
cd "$work" || die "cd"
git -C "$repo" cat-file tag widget-signed-6.10 | grep -q "BEGIN PGP SIGNATURE" ||
	die "the signed tag has no signature"

base=$(git -C "$repo" rev-parse master)
end=$(git -C "$repo" rev-parse 'for-next^{commit}')

# ---- git request-pull against the published repo
# request-pull checks the URL with ls-remote, so it is given the bare
# repo's path; the path is then written as the public URL a mail would
# carry.
request_pull() {	# request_pull NAME REF URL
	git -C "$repo" request-pull master "$bare" "$2" >"$work/$1.txt" \
		2>"$work/$1.err" || die "request-pull $1: $(cat "$work/$1.err")"
	URL=$3 BARE=$bare "$py" - "$work/$1.txt" <<'PYEOF' || die "rewrite $1"
import os, sys
p = sys.argv[1]
t = open(p).read()
assert os.environ["BARE"] in t, "request-pull did not print the URL"
open(p, "w").write(t.replace(os.environ["BARE"], os.environ["URL"]))
PYEOF
}
short=git://git.example.org/pub/scm/linux/kernel/git/test/linux.git
long=https://git.example.org/pub/scm/linux/kernel/git/wren-testmaintainer-with-a-long-name/linux-widget-experimental.git
push=ssh://git@gitolite.kernel.org/pub/scm/linux/kernel/git/wren/widget.git
pushfetch=https://git.kernel.org/pub/scm/linux/kernel/git/wren/widget.git
request_pull branch for-next "$short"
request_pull tag widget-for-6.10 "$short"
request_pull signed widget-signed-6.10 "$short"
request_pull branch-long for-next "$long"
request_pull tag-long widget-for-6.10 "$long"
request_pull branch-push for-next "$push"

# ---- mails, and what each must give
# case  text         encoding  repo_url   fetch_url   ref
cases="branch-7bit        branch      7bit     $short $short for-next
tag-7bit           tag         7bit     $short $short tags/widget-for-6.10
signed-7bit        signed      7bit     $short $short tags/widget-signed-6.10
branch-qp          branch-long qp       $long  $long  for-next
tag-base64         tag-long    base64   $long  $long  tags/widget-for-6.10
signed-pgpmime     signed      pgpmime  $short $short tags/widget-signed-6.10
signed-clearsign   signed      clearsign $short $short tags/widget-signed-6.10
branch-clearsign-qp branch-long clearsign-qp $long $long for-next
branch-push-url    branch-push 7bit     $push  $pushfetch for-next"

mkdir "$work/mail"
KEYID=$keyid "$py" - "$work" "$cases" <<'PYEOF' || die "could not write the mails"
import email.policy, os, subprocess, sys
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
import datetime

work, cases = sys.argv[1], sys.argv[2]
key = os.environ["KEYID"]
policy = email.policy.default.clone(linesep="\n", max_line_length=78)


def gpg(args, data):
    return subprocess.run(["gpg", "--batch", "--quiet", "--yes",
                           "--pinentry-mode", "loopback", "--passphrase", "",
                           "-u", key] + args, input=data, check=True,
                          capture_output=True).stdout


def headers(msg, name, n):
    msg["From"] = "Wren Testmaintainer <wren@example.org>"
    msg["To"] = "Linus Torvalds <torvalds@linux-foundation.org>"
    msg["Subject"] = f"[GIT PULL] widget updates for 6.10 ({name})"
    tz = datetime.timezone(datetime.timedelta(hours=1))
    msg["Date"] = format_datetime(datetime.datetime(2024, 3, 5, 10, n, 0, tzinfo=tz))
    msg["Message-ID"] = f"<generated-{name}@example.org>"


def text_mail(name, n, body, cte):
    msg = EmailMessage(policy=policy)
    headers(msg, name, n)
    msg.set_content(body, charset="utf-8", cte=cte)
    return msg


def pgp_mime(name, n, body):
    # RFC 3156: the signature covers the signed part exactly as sent,
    # with CRLF line ends.
    inner = MIMEText(body, "plain", "us-ascii")
    del inner["MIME-Version"]
    inner["Content-Disposition"] = "inline"
    raw = inner.as_bytes(policy=policy.clone(linesep="\r\n"))
    sig = gpg(["--armor", "--detach-sign", "--digest-algo", "SHA256"], raw)
    outer = MIMEMultipart("signed", micalg="pgp-sha256",
                          protocol="application/pgp-signature")
    # The mail's own headers first, then the MIME ones, as clients write.
    mime = outer.items()
    for k, _ in mime:
        del outer[k]
    headers(outer, name, n)
    for k, v in mime:
        outer[k] = v
    outer.preamble = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"
    outer.attach(inner)
    sigpart = MIMEApplication(sig, "pgp-signature", _encoder=lambda p: None,
                              name="signature.asc")
    del sigpart["MIME-Version"]
    sigpart["Content-Description"] = "OpenPGP digital signature"
    sigpart["Content-Disposition"] = 'attachment; filename="signature.asc"'
    outer.attach(sigpart)
    return outer


for n, line in enumerate(cases.splitlines()):
    name, text, enc = line.split()[:3]
    body = "Hi Linus,\n\nPlease pull the widget updates.\n\n" + \
        open(os.path.join(work, text + ".txt")).read()
    if enc == "7bit":
        msg = text_mail(name, n, body, "7bit")
    elif enc == "qp":
        msg = text_mail(name, n, body, "quoted-printable")
    elif enc == "base64":
        msg = text_mail(name, n, body, "base64")
    elif enc == "pgpmime":
        msg = pgp_mime(name, n, body)
    elif enc == "clearsign":
        msg = text_mail(name, n, gpg(["--clearsign"], body.encode()).decode(),
                        "7bit")
    elif enc == "clearsign-qp":
        msg = text_mail(name, n, gpg(["--clearsign"], body.encode()).decode(),
                        "quoted-printable")
    out = msg.as_bytes(policy=policy)
    open(os.path.join(work, "mail", name + ".eml"), "wb").write(out)
PYEOF

# ---- parse each and compare
pass=0 fail=0
while read -r name text enc repo_url fetch_url ref; do
	eml=$work/mail/$name.eml
	"$pc" parse "$eml" >"$work/$name.json" 2>"$work/$name.parse-err"
	st=$?
	BASE=$base END=$end REPO=$repo_url FETCH=$fetch_url REF=$ref ENC=$enc \
		"$py" - "$name" "$st" "$work/$name.json" "$eml" \
		>"$work/$name.checks" <<'PYEOF'
import json, os, sys
name, status, out, eml = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
e = os.environ
raw = open(eml, "rb").read()
checks = []


def check(what, ok, detail=""):
    checks.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}: {what}" + ("" if ok else f" ({detail})"))


# The mail really is in the shape this case is about.
if e["ENC"] in ("qp", "clearsign-qp"):
    check("the URL is cut by a quoted-printable soft break",
          e["REPO"].encode() not in raw and b"=\n" in raw)
if e["ENC"] == "base64":
    check("the body is base64", b"Content-Transfer-Encoding: base64" in raw
          and e["REPO"].encode() not in raw)
if e["ENC"] == "pgpmime":
    check("the mail is multipart/signed", b"multipart/signed" in raw
          and b"BEGIN PGP SIGNATURE" in raw)
if e["ENC"].startswith("clearsign"):
    check("the mail is clearsigned with dash-escaped lines",
          b"BEGIN PGP SIGNED MESSAGE" in raw and b"\n- ---" in raw)

rows = [json.loads(l) for l in open(out) if l.strip()]
check("exit 0 and one object", status == 0 and len(rows) == 1,
      f"exit {status}, {len(rows)} objects")
got = rows[0] if rows else {}
want = {
    "is_pull_request": True,
    "repo_url": e["REPO"],
    "fetch_url": e["FETCH"],
    "ref": e["REF"],
    "base_commit": e["BASE"],
    "end_commit": e["END"],
    # A signature on the mail is not a signed tag, and request-pull does
    # not paste the tag object, so the mail does not say.
    "signed_tag": None,
    "reason": None,
}
for k, v in want.items():
    check(f"{k} = {json.dumps(v)}", got.get(k, "<missing>") == v,
          f"got {json.dumps(got.get(k, '<missing>'))}")
sys.exit(0 if all(checks) else 1)
PYEOF
	st=$?
	cat "$work/$name.checks"
	pass=$((pass + $(grep -c '^PASS ' "$work/$name.checks")))
	fail=$((fail + $(grep -c '^FAIL ' "$work/$name.checks")))
	if [ $st -ne 0 ]; then
		# A crash in the checker itself still counts as a failure.
		grep -q '^FAIL ' "$work/$name.checks" || fail=$((fail + 1))
		sed 's/^/    stderr: /' "$work/$name.parse-err"
	fi
done <<<"$cases"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
