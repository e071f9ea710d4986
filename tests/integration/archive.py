#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""archive.py PULLCHECK: the replies in a list archive, as lore has them.

Issue 14, "the archive, for real". lore.kernel.org runs public-inbox;
this test runs Debian's. A pull request that passes and one that fails,
written by real `git request-pull` against repositories `git daemon`
serves on loopback, are answered by `pullcheck watch --once` (Maildir
source and outbox, a real compiler through [build] recipe = command,
[report] base_url set). Each pull request and each reply is delivered
into a v2 public-inbox of the list they were sent to, by
public-inbox-mda as a mail server would, and public-inbox-httpd serves
the inbox on loopback. Checked with public-inbox's own views:

  - each reply is in its pull request's thread (the thread's mbox,
    t.mbox.gz, holds both, and the thread view T/ names the reply);
  - the reply's plain-text view (raw) carries the verdict header, the
    verdict and the links to the build log and the dashboard;
  - the lei/lore query of pullcheck.conf(5) TRIAGE (f: the bot, s: the
    subject) finds the replies and nothing else.

The plain-text view of each reply is printed, as a list reader sees it.
Exits 77 when a tool is missing, 1 when a check failed.
"""
import gzip
import os
import subprocess
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import pcharness as h  # noqa: E402

PC = os.path.realpath(sys.argv[1])
LIST = "linux-widget@vger.kernel.org"
BOT = "pullcheck@checker.example.org"
BASE_URL = "https://pc.example.org/reports/"
ATOM = "{http://www.w3.org/2005/Atom}"

h.need(tools=("git", "bwrap", "cc", "make", "public-inbox-init",
              "public-inbox-mda", "public-inbox-httpd"))

t = h.Tally(quote=False)
check = t.check
rundir = h.RunDir("pc-archive-", mode=0o755)
work = rundir.dir


class PublicInboxHttpd(h.Server):
    """public-inbox-httpd serving the inboxes of @env's PI_CONFIG."""

    name = "public-inbox-httpd"

    def __init__(self, env, log_path):
        self.environ = env
        self.log_path = log_path
        self.port = h.free_port()

    def argv(self):
        return ["public-inbox-httpd", "-l", f"127.0.0.1:{self.port}"]

    def env(self):
        return self.environ

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=30) as r:
            return r.read()


def msgid_path(message_id):
    return urllib.parse.quote(message_id, safe="@")


try:
    repos = h.Repos(work, {
        "Makefile": "all:\n\tcc -Wall -Werror -c -o $(OUT)/widget.o"
                    " $(CURDIR)/widget.c\n",
        "widget.c": "int widget(void)\n{\n\treturn 1;\n}\n",
    }, "widget: start")
    repos.branch("good", "widget.c", "int widget(void)\n{\n\treturn 2;\n}\n")
    repos.branch("broken", "widget.c",
                 "int widget(void)\n{\n\treturn two;\n}\n")
    repos.publish(repos.maint, "maint.git")
    gitd = rundir.start(h.GitDaemon(repos.srv))
    url = gitd.url("maint.git")

    state = os.path.join(work, "state")
    conf = os.path.join(work, "pullcheck.conf")
    with open(conf, "w") as f:
        f.write(f"""[pullcheck]
state_dir = {state}
[fetch]
mainline_url = git://127.0.0.1:{gitd.port}/mainline.git
allow_urls = git://127.0.0.1:{gitd.port}/;
timeout = 60
[build]
recipe = command
command = make;-C;/tmp/src
cache_dir = {work}/cache
timeout = 120
[reply]
from = pullcheck <{BOT}>
contact = Bot Keeper <keeper@example.org>
cc_lists = *@vger.kernel.org;
[report]
base_url = {BASE_URL}
""")
    prs = {}
    for name, tag in (("pass", "good-tag"), ("fail", "broken-tag")):
        mid = f"widget-{name}@example.org"
        prs[name] = (mid, h.pull_mail(
            mid, f"[GIT PULL] widget changes ({name})",
            repos.request_pull(url, tag)))
        h.maildir_deliver(os.path.join(state, "inbox"), f"1.{name}",
                          prs[name][1])
    r = subprocess.run([PC, "watch", "--once", "--config", conf],
                       capture_output=True, text=True, timeout=600)
    check("pullcheck watch --once: exit 0", r.returncode == 0,
          r.stderr[-2000:])
    outbox = os.path.join(state, "outbox", "new")
    replies = {}
    for fname in sorted(os.listdir(outbox)) if os.path.isdir(outbox) else []:
        with open(os.path.join(outbox, fname), "rb") as f:
            raw = f.read()
        msg = h.email.message_from_bytes(raw, policy=h.email.policy.default)
        # recipe = command: its pass is the command's, never the policy's.
        name = {"pass-command": "pass"}.get(msg["X-Pullcheck-Verdict"],
                                            msg["X-Pullcheck-Verdict"])
        replies[name] = (msg["Message-ID"].strip("<>"), raw, msg)
    check("two replies, a pass (of the command) and a fail",
          sorted(replies) == ["fail", "pass"], sorted(replies))

    # A v2 inbox of the list, and each mail delivered as the list's MTA
    # would: the pull request first, then the reply.
    pi_env = dict(os.environ, PI_CONFIG=os.path.join(work, "pi-config"),
                  HOME=os.path.join(work, "home"))
    os.makedirs(pi_env["HOME"])
    h.run("public-inbox-init", "-V2", "widget", os.path.join(work, "widget"),
          "http://127.0.0.1/widget", LIST, env=pi_env)
    # No SpamAssassin here: the mails are the test's own.
    h.run("git", "config", "-f", pi_env["PI_CONFIG"],
          "publicinboxmda.spamcheck", "none", env=pi_env)
    for name in ("pass", "fail"):
        for what, raw in (("pull request", prs[name][1]),
                          ("reply", replies.get(name, (0, b""))[1])):
            d = subprocess.run(["public-inbox-mda"], input=raw, env=dict(
                pi_env, ORIGINAL_RECIPIENT=LIST), capture_output=True)
            check(f"{name}: public-inbox-mda takes the {what}",
                  d.returncode == 0, d.stderr.decode(errors="replace"))

    httpd = rundir.start(PublicInboxHttpd(
        pi_env, os.path.join(work, "httpd.log")))
    for name in ("pass", "fail"):
        pr_mid = prs[name][0]
        reply_mid = replies[name][0] if name in replies else "none"
        # The thread of the pull request, as public-inbox threads it.
        mbox = gzip.decompress(httpd.get(
            f"widget/{msgid_path(pr_mid)}/t.mbox.gz")).decode()
        check(f"{name}: the thread's mbox holds the pull request and the"
              " reply", f"<{pr_mid}>" in mbox and f"<{reply_mid}>" in mbox,
              mbox[:300])
        tview = httpd.get(f"widget/{msgid_path(pr_mid)}/T/").decode()
        check(f"{name}: the thread view shows the reply under the request",
              f"Re: [GIT PULL] widget changes ({name})" in tview and
              tview.find(f"[GIT PULL] widget changes ({name})") <
              tview.find(f"Re: [GIT PULL] widget changes ({name})"))
        text = httpd.get(f"widget/{msgid_path(reply_mid)}/raw").decode()
        print(f"--- the {name} reply, as the archive's plain-text view "
              f"has it ---\n{text}--- end ---", flush=True)
        check(f"{name}: raw view: In-Reply-To the request",
              f"In-Reply-To: <{pr_mid}>" in text)
        check(f"{name}: raw view: the verdict header",
              "X-Pullcheck-Verdict: "
              f"{'pass-command' if name == 'pass' else name}\n" in text)
        check(f"{name}: raw view: plain text, not quoted-printable",
              "Content-Transfer-Encoding: quoted-printable" not in text and
              "=3D" not in text)
        wid = h.jobs(state, "message_id = ?", (pr_mid,))[0]["id"]
        check(f"{name}: raw view: the links to the log and the dashboard",
              f"Full build log: {BASE_URL}logs/{wid}.log\n" in text and
              f"On the dashboard: {BASE_URL}index.html#job-{wid}\n" in text)
        verdict_line = ("\npasses the build command " if name == "pass"
                        else "\nfails the build command ")
        check(f"{name}: raw view: the verdict, after the quoted request",
              verdict_line in text and
              text.find("> git://") < text.find(verdict_line))
        check(f"{name}: raw view: the footer", "\n-- \n" in text and
              "can be wrong" in text and "pullcheck: recheck" in text)
    # The lei/lore query of pullcheck.conf(5), on public-inbox's search.
    q = urllib.parse.quote(f'f:{BOT} AND s:"GIT PULL"')
    atom = httpd.get(f"widget/?q={q}&x=A").decode()
    feed = ET.fromstring(atom)
    links = sorted(e.find(f"{ATOM}link").get("href")
                   for e in feed.iter(f"{ATOM}entry"))
    want = sorted(httpd.url(f"widget/{msgid_path(mid)}/")
                  for mid, _, _ in replies.values())
    check("search f:BOT s:\"GIT PULL\": the two replies, nothing else",
          links == want, f"{links} != {want}")
finally:
    rundir.close(keep=t.failed > 0)
t.exit()
