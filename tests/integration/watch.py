#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""watch.py PULLCHECK [--sanitized]: `pullcheck watch` against real servers.

Everything runs for real on loopback: Dovecot (IMAP with IDLE, STARTTLS
with a test CA, a passwd-file user), an aiosmtpd SMTP sink
(smtp_handlers.Sink), `git daemon` serving repositories made here, mails
written by real `git request-pull`, and builds of a small C + Rust project
by the real cc and rustc through [build] recipe = command in the sandbox.
The servers, repositories and mails come from pcharness.py.

Scenarios, in order, each asserting what the maintainer would see: a pull
request answered through IDLE with its headers and threading; the same
mail twice; a failing Rust build; mail that must get no reply; SMTP down;
Dovecot restarted under the daemon; a v2 superseding v1; SIGTERM during a
build; kill -9 at each job state; a changed UIDVALIDITY; a transient fetch
failure retried; SIGHUP with a per-sender limit; one reply per thread and
verdict; 1,000 mails that are not pull requests. At the end: replies
sent, duplicates (must be 0) and lost (must be 0).

Exits 77 when a server or tool is missing, 1 when a check failed.
"""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import pcharness as h  # noqa: E402
from pcharness import run, wait_for  # noqa: E402

PC = os.path.realpath(sys.argv[1])
SANITIZED = "--sanitized" in sys.argv
USER, PASSWORD = "pullcheck", "imap-secret"
FOLDER = "pulls"

t = h.Tally(quote=False)
check = t.check

h.need(tools=("git", "bwrap", "cc", "make", "openssl"),
       paths=(("/usr/bin/rustc", "rustc is missing (Debian's rustc)"),
              ("/usr/sbin/dovecot",
               "Dovecot is missing (dovecot-core, dovecot-imapd)"),
              ("/usr/lib/dovecot/imap",
               "Dovecot is missing (dovecot-core, dovecot-imapd)")),
       aiosmtpd=True)

rundir = h.RunDir("pc-watch-", mode=0o755)
work = rundir.dir


# --- git: mainline and a maintainer's tree, served by git daemon ------------

repos = h.Repos(work, {
    "Makefile": "all:\n"
                "\t[ ! -e $(CURDIR)/slow ] || sleep 8\n"
                "\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n"
                "\trustc --edition=2021 --crate-type=lib"
                " -o $(OUT)/libgadget.rlib $(CURDIR)/gadget.rs\n",
    "widget.c": "int widget(void)\n{\n\treturn 1;\n}\n",
    "gadget.rs": "pub fn gadget() -> u32 {\n    1\n}\n",
}, "widget, gadget: start")
maint = repos.maint
repos.branch("good", "widget.c", "int widget(void)\n{\n\treturn 2;\n}\n")
repos.branch("rustbreak", "gadget.rs",
             "pub fn gadget() -> u32 {\n    \"one\"\n}\n")
repos.branch("slow", "widget.c", "int widget(void)\n{\n\treturn 3;\n}\n",
             "slow")
repos.publish(maint, "maint.git")
gitd = h.GitDaemon(repos.srv)
git_port = gitd.port
URL = gitd.url("maint.git")


def mail(name, tag="good-tag", sender="Ann Maintainer <ann@example.org>",
         subject=None, headers="", body="", quote=False):
    """A pull request mail from real git request-pull, as bytes."""
    pull = repos.request_pull(URL, tag)
    if quote:
        pull = "".join("> " + line + "\n" for line in pull.splitlines())
    subject = subject or f"[GIT PULL] widget changes ({name})"
    return h.pull_mail(f"{name}@example.org", subject, pull, body=body,
                       headers=headers, sender=sender)


# --- pullcheck watch ---------------------------------------------------------

state = os.path.join(work, "state")
conf_path = os.path.join(work, "pullcheck.conf")
log_path = os.path.join(work, "watch.log")


def write_conf(dovecot, smtp, per_sender=20):
    with open(os.path.join(work, "imap-password"), "w") as f:
        f.write(PASSWORD + "\n")
    with open(conf_path, "w") as f:
        f.write(f"""[pullcheck]
state_dir = {state}
[source]
type = imap
[imap]
host = 127.0.0.1
port = {dovecot.port}
tls = starttls
ca_file = {dovecot.cert}
user = {USER}
password_file = {work}/imap-password
folder = {FOLDER}
[fetch]
mainline_url = git://127.0.0.1:{git_port}/mainline.git
allow_urls = git://127.0.0.1:{git_port}/;
timeout = 30
retry_window = 120
retry_delay = 1
[build]
recipe = command
command = make;-C;/tmp/src
cache_dir = {work}/cache
timeout = 120
retries = 3
retry_delay = 1
[reply]
from = pullcheck <pullcheck@checker.example.org>
cc_lists = *@vger.kernel.org;
opt_out = *@optout.example.org;
max_per_sender_per_day = {per_sender}
[outbox]
type = smtp
[smtp]
host = 127.0.0.1
port = {smtp.port}
tls = none
timeout = 10
""")


class Watch:
    def __init__(self):
        self.proc = None

    def start(self, stop_at=None, notify=None):
        env = dict(os.environ)
        env.pop("PULLCHECK_TEST_STOP_AT", None)
        if stop_at:
            env["PULLCHECK_TEST_STOP_AT"] = stop_at
        if notify:
            env["NOTIFY_SOCKET"] = notify
            env["WATCHDOG_USEC"] = "4000000"
        self.mark = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        self.proc = rundir.track(subprocess.Popen(
            [PC, "watch", "--config", conf_path], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(log_path, "a"), env=env))
        # Ready once this process has the source open.
        wait_for(lambda: self.ready() or self.proc.poll() is not None, 30)

    def ready(self):
        s = self.status()
        return (s.get("pid") == self.proc.pid and
                s.get("source", "") not in ("", "disconnected"))

    def status(self):
        try:
            db = sqlite3.connect(f"file:{state}/pullcheck.db?mode=ro",
                                 uri=True, timeout=10)
            row = db.execute("SELECT value FROM kv WHERE key = 'watch'"
                             ).fetchone()
            db.close()
            return json.loads(row[0]) if row else {}
        except sqlite3.Error:
            return {}

    def log(self):
        with open(log_path, errors="replace") as f:
            f.seek(self.mark)
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """SIGTERM; the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(60)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def jobs(where="1", args=()):
    return h.jobs(state, where, args)


def status():
    out = subprocess.run([PC, "status", "--json", "--config", conf_path],
                         capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def job(message_id):
    return h.job(state, message_id)


def job_state(message_id):
    return h.job_state(state, message_id)


# --- the scenarios -------------------------------------------------------------

dovecot = h.Dovecot(os.path.join(work, "dovecot"), USER, PASSWORD, FOLDER)
smtp = h.SmtpSink(os.path.join(work, "sink"), os.path.join(work, "smtp.log"))
expected = set()	# Message-IDs that must get exactly one reply
try:
    rundir.start(dovecot)
    rundir.start(smtp)
    rundir.start(gitd)
    a = dovecot.admin()
    a.create(FOLDER)
    a.logout()
    write_conf(dovecot, smtp)
    r = subprocess.run([PC, "status", "--config", conf_path],
                       capture_output=True, text=True)
    check("status: no store yet, exit 1 and says why",
          r.returncode == 1 and "no job store" in r.stderr, r.stderr)
    # As systemd starts it: READY, STATUS and WATCHDOG on $NOTIFY_SOCKET.
    notify = os.path.join(work, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(0.5)
    w = Watch()
    w.start(notify=notify)
    check("watch: started, source open", w.proc.poll() is None and
          w.ready(), w.log())
    said = []
    end = time.monotonic() + 6
    while time.monotonic() < end:
        try:
            said += ns.recv(4096).decode().split("\n")
        except socket.timeout:
            pass
    check("sd_notify: READY=1", "READY=1" in said, said[:5])
    check("sd_notify: STATUS idle with the source",
          any(x.startswith("STATUS=idle; imap://") for x in said),
          [x for x in said if x.startswith("STATUS")][:3])
    check("sd_notify: WATCHDOG=1 while idle", said.count("WATCHDOG=1") >= 2,
          said.count("WATCHDOG=1"))
    w.stop()
    try:
        while True:
            said.append(ns.recv(4096).decode())
    except socket.timeout:
        pass
    check("sd_notify: STOPPING=1 on SIGTERM", "STOPPING=1" in said)
    ns.close()
    w.start()

    # 1. A pull request arrives: answered through IDLE within seconds.
    mid = "idle-pass@example.org"
    t0 = time.monotonic()
    dovecot.append([mail("idle-pass")])
    expected.add(mid)
    r = wait_for(lambda: smtp.replies_to(mid), 60)
    latency = time.monotonic() - t0
    check("idle: one reply", len(r) == 1, w.log())
    print(f"  reply {latency:.1f} s after the APPEND")
    check("idle: answered within 30 s", latency < 30, f"{latency:.1f} s")
    if r:
        m = r[0]
        check("idle: Subject Re:",
              m["Subject"] == "Re: [GIT PULL] widget changes (idle-pass)",
              m["Subject"])
        check("idle: References", m["References"] == f"<{mid}>",
              m["References"])
        check("idle: Auto-Submitted",
              m["Auto-Submitted"] == "auto-generated")
        # recipe = command: a pass of the command, never the policy's.
        check("idle: X-Pullcheck-Verdict pass-command",
              m["X-Pullcheck-Verdict"] == "pass-command",
              m["X-Pullcheck-Verdict"])
        check("idle: X-Pullcheck-Coverage command",
              m["X-Pullcheck-Coverage"] == "command",
              m["X-Pullcheck-Coverage"])
        check("idle: X-Pullcheck-Tip",
              m["X-Pullcheck-Tip"] == run("git", "rev-parse", "good",
                                          cwd=maint).strip())
        check("idle: To the sender", "ann@example.org" in m["To"], m["To"])
        check("idle: Cc the list",
              "linux-widget@vger.kernel.org" in (m["Cc"] or ""), m["Cc"])
        check("idle: envelope has both",
              "ann@example.org" in m["X-RcptTo"] and
              "linux-widget@vger.kernel.org" in m["X-RcptTo"], m["X-RcptTo"])
        check("idle: body states the verdict",
              "\npasses the build command this installation runs" in
              m.get_content(), m.get_content()[:300])
    check("idle: $PullcheckCommandPass on the original",
          wait_for(lambda: any("$PullcheckCommandPass" in f
                               for f in dovecot.flags(mid)), 10),
          dovecot.flags(mid))
    check("idle: not the policy's $PullcheckPass",
          all("$PullcheckPass" not in f.split() for f in dovecot.flags(mid)),
          dovecot.flags(mid))
    check("idle: not marked \\Seen",
          all("\\Seen" not in f for f in dovecot.flags(mid)))

    # 2. The same mail again: recorded once, answered once.
    dovecot.append([mail("idle-pass")])
    check("duplicate: taken and known as a copy",
          wait_for(lambda: f"<{mid}>: a copy already recorded" in w.log(),
                   30), w.log()[-1500:])
    time.sleep(1)
    check("duplicate: no second reply", len(smtp.replies_to(mid)) == 1)
    check("duplicate: one job", len(jobs("message_id = ?", (mid,))) == 1)

    # 3. A Rust build that fails: the reply names the error.
    mid = "rust-break@example.org"
    dovecot.append([mail("rust-break", "rustbreak-tag")])
    expected.add(mid)
    r = wait_for(lambda: smtp.replies_to(mid), 60)
    check("fail: one reply", len(r) == 1)
    if r:
        body = r[0].get_content()
        check("fail: X-Pullcheck-Verdict fail",
              r[0]["X-Pullcheck-Verdict"] == "fail")
        # The diagnostic's line: file:line:column, severity, and that
        # the error is in Rust code, found by rustc.
        check("fail: names gadget.rs:2 as a Rust error",
              re.search(r"^ +(\S*/)?gadget\.rs:2:\d+: error \(rust, rustc\)$",
                        body, re.M), body[:1500])
    check("fail: $PullcheckFail on the original",
          wait_for(lambda: any("$PullcheckFail" in f
                               for f in dovecot.flags(mid)), 10))

    # 4. Mail that must get no reply.
    quiet = {
        "auto@example.org": mail("auto", headers="Auto-Submitted: auto-replied\n"),
        "self@example.org": mail("self", sender="pullcheck <pullcheck@checker.example.org>"),
        "optlist@example.org": mail("optlist", sender="Olga <olga@optout.example.org>"),
        "optline@example.org": mail("optline", body="pullcheck: no\n\n"),
        "reply@example.org": mail("reply", subject="Re: [GIT PULL] widget changes",
                                  headers="In-Reply-To: <idle-pass@example.org>\n",
                                  quote=True),
    }
    dovecot.append(list(quiet.values()))
    wait_for(lambda: all(job_state(q) == "ignored" for q in quiet), 30)
    for q in quiet:
        j = job(q)
        check(f"no reply: {q} ignored", j and j["state"] == "ignored",
              j and dict(j))
        if j:
            print(f"  {q}: {j['reason']}")
    time.sleep(1)
    check("no reply: none sent",
          not any(smtp.replies_to(q) for q in quiet))
    check("no reply: no fetch for them",
          not re.search(r"<(auto|self|optlist|optline|reply)@example.org>: "
                        r"fetching", w.log()))

    # 4b. The SMTP server refuses a recipient with 550: reported in the
    # store as failed-infra, not retried, nothing sent.
    mid = "refused@example.org"
    dovecot.append([mail("refused", sender="R <refuse-rcpt-550@example.org>")])
    check("smtp 5xx: failed-infra",
          wait_for(lambda: job_state(mid) == "failed-infra", 60), job_state(mid))
    time.sleep(3)
    j = job(mid)
    check("smtp 5xx: the reason has the server's 550",
          j and "550" in (j["reason"] or ""), j and j["reason"])
    check("smtp 5xx: not retried", j and j["attempts"] == 1 and
          j["next_attempt_at"] > 2**62, j and dict(j))
    check("smtp 5xx: nothing delivered", not smtp.replies_to(mid))

    # 5. SMTP down: the reply waits, and goes once the server is back.
    smtp.stop()
    mid = "smtp-down@example.org"
    dovecot.append([mail("smtp-down")])
    expected.add(mid)
    check("smtp down: deferred in reporting",
          wait_for(lambda: (job(mid) or {"attempts": 0})["attempts"] >= 1
                   and job_state(mid) == "reporting", 60), job(mid) and dict(job(mid)))
    st = status()
    check("status: the reply waits in the outbox",
          job(mid) and job(mid)["id"] in st.get("outbox", []), st)
    check("status: the daemon is running", (st.get("daemon") or {}).get("running"), st)
    smtp.start()
    r = wait_for(lambda: smtp.replies_to(mid), 60)
    check("smtp down: sent once it is back", len(r) == 1)
    check("smtp down: replied",
          wait_for(lambda: job_state(mid) == "replied", 10), job_state(mid))

    # 6. Dovecot restarted under the daemon: it reconnects and catches up.
    dovecot.stop()
    wait_for(lambda: "source:" in w.log() and "disconnected" in
             w.status().get("source", ""), 30)
    time.sleep(1)
    dovecot.start()
    mid = "after-restart@example.org"
    dovecot.append([mail("after-restart")])
    expected.add(mid)
    r = wait_for(lambda: smtp.replies_to(mid), 90)
    check("dovecot restart: caught up", len(r) == 1, w.log()[-2000:])
    check("dovecot restart: logged the reconnection",
          "open again after" in w.log())

    # 7. A v2 in reply to v1, both waiting: only v2 is answered.
    check("sigterm idle: exit 0", w.stop() == 0)
    v1 = mail("v1", subject="[GIT PULL] widget for v1.1")
    v2 = mail("v2", subject="[GIT PULL v2] widget for v1.1",
              headers="In-Reply-To: <v1@example.org>\n"
                      "References: <v1@example.org>\n")
    dovecot.append([v1, v2])
    expected.add("v2@example.org")
    w.start()
    r = wait_for(lambda: smtp.replies_to("v2@example.org"), 60)
    check("supersede: v2 answered", len(r) == 1)
    check("supersede: v1 superseded", job_state("v1@example.org") == "superseded",
          job_state("v1@example.org"))
    check("supersede: v1 not answered", not smtp.replies_to("v1@example.org"))

    # 8. SIGTERM during a build: the build ends, the job waits, exit 0.
    mid = "slow@example.org"
    dovecot.append([mail("slow", "slow-tag")])
    expected.add(mid)
    check("sigterm build: building",
          wait_for(lambda: job_state(mid) == "building", 60), job_state(mid))
    time.sleep(3)
    st = status()
    d = st.get("daemon") or {}
    check("status: building that job",
          d.get("activity") == "building" and d.get("job") == job(mid)["id"]
          and d.get("elapsed_s", -1) >= 0, d)
    text = subprocess.run([PC, "status", "--config", conf_path],
                          capture_output=True, text=True).stdout
    check("status: text says so",
          f"building job {job(mid)['id']} for" in text and "slow@example.org" in text,
          text)
    t0 = time.monotonic()
    rc = w.stop()
    check("sigterm build: exit 0", rc == 0, rc)
    check("sigterm build: stopped within 10 s", time.monotonic() - t0 < 10)
    check("sigterm build: job queued again", job_state(mid) == "queued",
          job_state(mid))
    check("sigterm build: no reply yet", not smtp.replies_to(mid))
    w.start()
    r = wait_for(lambda: smtp.replies_to(mid), 90)
    check("sigterm build: one reply after the restart", len(r) == 1)

    # 9. kill -9 right after each state is committed, then a restart.
    for st in ("received", "queued", "fetching", "building", "reporting",
               "replied"):
        w.stop()
        mid = f"crash-{st}@example.org"
        dovecot.append([mail(f"crash-{st}")])
        expected.add(mid)
        w.start(stop_at=st)
        rc = w.proc.wait(90)
        check(f"kill -9 at {st}: killed", rc == -signal.SIGKILL, rc)
        check(f"kill -9 at {st}: recorded in that state",
              job_state(mid) == st, job_state(mid))
        w.start()
        r = wait_for(lambda: smtp.replies_to(mid), 90)
        time.sleep(0.5)
        check(f"kill -9 at {st}: exactly one reply", len(smtp.replies_to(mid)) == 1,
              len(r))

    # 10. UIDVALIDITY changes (the folder is made again, the same mail in
    # it): no reply is sent twice.
    before = len(smtp.replies())
    w.stop()
    dovecot.recreate()
    dovecot.append([mail("idle-pass"), mail("rust-break", "rustbreak-tag"),
                    mail("v2", subject="[GIT PULL v2] widget for v1.1",
                         headers="In-Reply-To: <v1@example.org>\n"
                                 "References: <v1@example.org>\n")])
    w.start()
    check("uidvalidity: the change was seen",
          wait_for(lambda: "UIDVALIDITY" in w.log(), 30), w.log()[-1500:])
    # "No new reply" means something only once the mails were taken
    # again: each is then known as a copy of one already recorded.
    again = ("idle-pass@example.org", "rust-break@example.org",
             "v2@example.org")
    check("uidvalidity: each mail taken again as a copy",
          wait_for(lambda: all(f"<{m}>: a copy already recorded" in w.log()
                               for m in again), 60), w.log()[-1500:])
    time.sleep(1)
    check("uidvalidity: no new reply", len(smtp.replies()) == before,
          f"{before} → {len(smtp.replies())}")

    # 11. The git server is down: could-not-check is not sent at once;
    # the fetch is tried again ([fetch] retry_window) and the job passes
    # once the server is back.
    retry = mail("retry")	# request-pull asks the server
    gitd.stop()
    mid = "retry@example.org"
    dovecot.append([retry])
    expected.add(mid)
    check("retry: failed-infra",
          wait_for(lambda: job_state(mid) == "failed-infra", 60),
          job_state(mid))
    gitd.start()
    r = wait_for(lambda: smtp.replies_to(mid), 90)
    check("retry: one reply", len(r) == 1)
    check("retry: it is a pass",
          r and r[0]["X-Pullcheck-Verdict"] == "pass-command",
          r and r[0]["X-Pullcheck-Verdict"])
    check("retry: fetch retries recorded",
          (job(mid) or {"fetch_tries": 0})["fetch_tries"] >= 1)

    # 12. SIGHUP reads the configuration again: a limit of one reply per
    # sender and day, and Bob sends two pull requests.
    write_conf(dovecot, smtp, per_sender=1)
    w.signal(signal.SIGHUP)
    check("sighup: reloaded", wait_for(lambda: "reload:" in w.log(), 30))
    bob = "Bob Developer <bob@example.org>"
    dovecot.append([mail("bob-1", sender=bob)])
    expected.add("bob-1@example.org")
    wait_for(lambda: smtp.replies_to("bob-1@example.org"), 60)
    dovecot.append([mail("bob-2", sender=bob)])
    wait_for(lambda: job_state("bob-2@example.org") == "ignored", 60)
    check("limit: first answered", len(smtp.replies_to("bob-1@example.org")) == 1)
    check("limit: second ignored", job_state("bob-2@example.org") == "ignored",
          job_state("bob-2@example.org"))
    check("limit: the reason says so",
          "max_per_sender_per_day" in (job("bob-2@example.org") or {"reason": ""})["reason"])
    check("limit: no reply to the second", not smtp.replies_to("bob-2@example.org"))

    # 13. One reply per thread and verdict: Carol's pull request in the
    # thread of one already answered "pass" gets none.
    dovecot.append([mail("carol", sender="Carol <carol@example.org>",
                         headers="In-Reply-To: <idle-pass@example.org>\n"
                                 "References: <idle-pass@example.org>\n")])
    wait_for(lambda: job_state("carol@example.org") in ("ignored", "replied"), 60)
    check("thread limit: no second pass reply in the thread",
          job_state("carol@example.org") == "ignored" and
          not smtp.replies_to("carol@example.org"),
          job("carol@example.org") and dict(job("carol@example.org")))

    # 14. 1,000 messages that are not pull requests: no build, memory flat.
    # Under ASan (full stack unwinding on every malloc) 300 are enough to
    # show "no build"; memory is judged in the plain build only.
    noise = 300 if SANITIZED else 1000
    def plain(i):
        return (f"From: someone{i % 17}@example.org\nTo: list@vger.kernel.org\n"
                f"Subject: [PATCH {i}/1000] widget: tweak\n"
                f"Message-ID: <noise-{i}@example.org>\n\n"
                f"A patch, not a pull request. {i}\n").encode()
    dovecot.append([plain(i) for i in range(100)])
    wait_for(lambda: len(jobs("message_id LIKE 'noise-%'")) == 100, 60)
    rss100 = w.rss_kib()
    t0 = time.monotonic()
    dovecot.append([plain(i) for i in range(100, noise)])
    wait_for(lambda: len(jobs("message_id LIKE 'noise-%'")) == noise, 300)
    took = time.monotonic() - t0
    rss1000 = w.rss_kib()
    n = jobs("message_id LIKE 'noise-%' AND state = 'ignored'")
    check(f"noise: {noise} jobs, all ignored", len(n) == noise, len(n))
    check("noise: no fetch, no build",
          not re.search(r"<noise-\d+@example.org>: (fetching|building)", w.log()))
    print(f"  {noise - 100} more messages taken in {took:.1f} s; RSS {rss100}"
          f" KiB after 100, {rss1000} KiB after {noise}")
    if SANITIZED:
        print("  (RSS not judged under ASan: its quarantine keeps freed memory)")
    else:
        check("noise: memory flat (< 4 MiB growth)", rss1000 - rss100 < 4096,
              f"{rss100} → {rss1000} KiB")

    check("sigterm: exit 0", w.stop() == 0)

    # The tally.
    counts = {}
    for m in smtp.replies():
        counts[m["In-Reply-To"]] = counts.get(m["In-Reply-To"], 0) + 1
    got = {k.strip("<>") for k in counts}
    dups = sum(c - 1 for c in counts.values())
    lost = expected - got
    extra = got - expected
    print(f"replies sent: {sum(counts.values())}, duplicates: {dups}, "
          f"lost: {len(lost)}, unexpected: {len(extra)}")
    check("tally: no duplicates", dups == 0, counts)
    check("tally: none lost", not lost, lost)
    check("tally: none unexpected", not extra, extra)
    # The report over the store the daemon left.
    out = os.path.join(work, "report")
    r = subprocess.run([PC, "report", "--out", out, "--config", conf_path],
                       capture_output=True, text=True)
    check("report: exit 0", r.returncode == 0, r.stderr)
    import xml.etree.ElementTree as ET
    atom = "{http://www.w3.org/2005/Atom}"
    try:
        feed = ET.parse(os.path.join(out, "feed.atom")).getroot()
        links = [l.get("href") for e in feed.iter(f"{atom}entry")
                 for l in e.iter(f"{atom}link")]
    except (OSError, ET.ParseError) as e:
        links = [str(e)]
    check("report: a feed entry for each reply sent",
          all(f"https://lore.kernel.org/r/{m}" in links for m in expected),
          links[:5])
    page = open(os.path.join(out, "index.html"), errors="replace").read() \
        if os.path.exists(os.path.join(out, "index.html")) else ""
    check("report: the dashboard lists the failing Rust build",
          "rust-break" in page and "gadget.rs" in page)
    check("sanitizers: no reports in the daemon's log",
          not h.sanitizer_report(open(log_path, errors="replace").read()))
finally:
    if t.failed:
        print(f"--- the daemon's log ({log_path}) ---")
        print(open(log_path, errors="replace").read()[-6000:]
              if os.path.exists(log_path) else "(none)")
    rundir.close(keep=bool(os.environ.get("PULLCHECK_KEEP_TEST")))

t.exit()
