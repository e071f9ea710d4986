#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""daemon.py PULLCHECK: the daemon against hostile mail and a careless host.

Issue 11, sections 4 and 6. Real servers on loopback, started here by
tests/integration/pcharness.py: an aiosmtpd sink (smtp_handlers.Sink) and
`git daemon` serving repositories made here; the built-in Maildir source;
builds by the real cc through [build] recipe = command in the sandbox.

  two daemons    `watch --once` twice, 0.3 s apart, on one state_dir
                 with 20 new mails: the second says who holds the lock
                 and exits 1; each mail is answered exactly once. `check`
                 beside a running watch works in a worktree of its own;
                 a second check at once says who has it and exits 3.
  fifo           a FIFO in inbox/new: the daemon answers the other mail,
                 says once that it passed the FIFO over, and SIGTERM
                 stops it within seconds; `parse` of the Maildir too.
  supersede      a forged mail (same From, same Subject, another
                 repository) does not silence the genuine request; a
                 real v2 for the same repository still supersedes.
  escapes        ESC[2J and an OSC title in a Subject, a Message-ID, a
                 Maildir file name and the build's output: shown as \\x1b
                 in `status`, the watch log and `check`, never raw.

Exits 77 when a tool is missing, 1 when a check failed.
"""
import fcntl
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))), "integration"))
import pcharness as h  # noqa: E402
from pcharness import wait_for  # noqa: E402

PC = os.path.realpath(sys.argv[1])
ESC = "\x1b"

t = h.Tally()
check = t.check

h.need(tools=("git", "bwrap", "cc", "make"), aiosmtpd=True)

rundir = h.RunDir("pc-hostile-daemon-", mode=0o755)
work = rundir.dir

# --- git: mainline, the maintainer's tree, and somebody else's ------------

repos = h.Repos(work, {
    "Makefile": "all:\n"
                "\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n",
    "widget.c": "int widget(void)\n{\n\treturn 1;\n}\n",
}, "widget: start")
repos.branch("good", "widget.c", "int widget(void)\n{\n\treturn 2;\n}\n")
# A build whose output carries escape sequences: a make step that clears
# the screen and retitles the window, then an error line that does too.
repos.branch("escbuild", "Makefile",
             "all:\n"
             "\t@printf '  CC      \\033]0;pwned\\007\\033[2Jwidget.o\\n'\n"
             "\t@printf 'widget.c:1:1: error: \\033[2J\\033[31mboom\\n';"
             " exit 1\n")
repos.publish(repos.maint, "maint.git")
# Somebody else's repository: the same tag name, other contents.
repos.publish(repos.maint, "other.git")
gitd = h.GitDaemon(repos.srv)
git_port = gitd.port
dead_port = h.free_port()
URL = gitd.url("maint.git")
OTHER = gitd.url("other.git")
DEAD = f"git://127.0.0.1:{dead_port}/maint.git"


def mail(mid, subject, tag="good-tag", url=URL, headers="",
         sender="Ann Maintainer <ann@example.org>"):
    pull = repos.request_pull(URL, tag).replace(URL, url)
    return h.pull_mail(mid, subject, pull, headers=headers,
                       sender=sender)


# --- the SMTP sink ------------------------------------------------------------

sink = h.SmtpSink(os.path.join(work, "sink"), os.path.join(work, "smtp.log"))
replies, replies_to = sink.replies, sink.replies_to

# --- pullcheck --------------------------------------------------------------

state = os.path.join(work, "state")
inbox_new = os.path.join(state, "inbox", "new")
conf = os.path.join(work, "pullcheck.conf")
log_path = os.path.join(work, "watch.log")
with open(conf, "w") as f:
    f.write(f"""[pullcheck]
state_dir = {state}
[fetch]
mainline_url = git://127.0.0.1:{git_port}/mainline.git
allow_urls = git://127.0.0.1:{git_port}/;git://127.0.0.1:{dead_port}/;
timeout = 30
[build]
recipe = command
command = make;-C;/tmp/src
timeout = 120
retries = 3
retry_delay = 3600
[reply]
from = pullcheck <pullcheck@checker.example.org>
max_per_sender_per_day = 100
[outbox]
type = smtp
[smtp]
host = 127.0.0.1
port = {sink.port}
tls = none
timeout = 10
""")


def deliver(name, raw):
    h.maildir_deliver(os.path.join(state, "inbox"), name, raw)


def watch(*args):
    return rundir.track(subprocess.Popen(
        [PC, "watch", "--config", conf, *args], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=open(log_path, "a")))


def watch_once():
    """watch --once, its stderr in the log; the exit status."""
    return watch("--once").wait(600)


def log():
    with open(log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def job_state(mid):
    return h.job_state(state, mid)


def pc(*args, timeout=300):
    return subprocess.run([PC, *args, "--config", conf],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)


try:
    rundir.start(gitd)
    rundir.start(sink)

    # --- two daemons on one state directory -----------------------------
    mids = [f"two-{i:02d}@example.org" for i in range(20)]
    for i, mid in enumerate(mids):
        deliver(f"a{i:02d}", mail(mid, f"[GIT PULL] widget changes ({i})"))
    first = watch("--once")
    time.sleep(0.3)
    second = subprocess.run([PC, "watch", "--once", "--config", conf],
                            stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60)
    check("two daemons: the second exits 1", second.returncode == 1,
          (second.returncode, second.stderr[-2000:]))
    check("two daemons: the second names the holder's pid and since when",
          f"pid {first.pid} since " in second.stderr and
          "one watch per state_dir" in second.stderr and
          os.path.join(state, "lock") in second.stderr, second.stderr[-2000:])
    check("two daemons: the second took no mail",
          "watching" not in second.stderr, second.stderr[-2000:])

    # `check` by hand beside the running daemon: its own worktree.
    cm = os.path.join(work, "check-beside.eml")
    with open(cm, "wb") as f:
        f.write(mail("beside@example.org", "[GIT PULL] widget (by hand)"))
    r = pc("check", "--dry-run", cm)
    check("check beside watch: passes, in a worktree of its own",
          r.returncode == 0 and
          os.path.isdir(os.path.join(state, "cache", "check", "tree-tip")),
          (r.returncode, r.stderr[-1500:]))
    check("check beside watch: the daemon still runs", first.poll() is None,
          first.returncode)
    # A second check while one has CACHE/check: held here, as a check would.
    with open(os.path.join(state, "cache", "check", "lock"), "r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.truncate(0)
        held.write("pid 4242 since 2024-12-02 10:00:00 +0100 (pullcheck check)\n")
        held.flush()
        r = pc("check", "--dry-run", cm)
        err = r.stderr.decode(errors="replace")
        check("second check: exits 3 and says who has the worktree",
              r.returncode == 3 and "pid 4242 since" in err and
              "one check at a time" in err, (r.returncode, err[-1500:]))
    rc = first.wait(600)
    check("two daemons: the first finishes, exit 0", rc == 0, rc)
    counts = {mid: len(replies_to(mid)) for mid in mids}
    check("two daemons: every mail answered exactly once",
          all(c == 1 for c in counts.values()), counts)
    check("two daemons: 20 replies in the sink", len(replies()) == 20,
          len(replies()))

    # --- a FIFO in the Maildir -------------------------------------------
    fifo_name = "x\x1b[2J.fifo"
    os.mkfifo(os.path.join(inbox_new, fifo_name))
    deliver("b1", mail("after-fifo@example.org", "[GIT PULL] widget (fifo)"))
    w = watch()
    got = wait_for(lambda: replies_to("after-fifo@example.org"), 90)
    check("fifo: the other mail is answered", len(got) == 1, log()[-2000:])
    check("fifo: said once that it was passed over",
          log().count("is a FIFO, not a message: passed over") == 1,
          log()[-2000:])
    t0 = time.monotonic()
    w.send_signal(signal.SIGTERM)
    try:
        rc = w.wait(10)
    except subprocess.TimeoutExpired:
        rc = "still running after 10 s"
    check("fifo: SIGTERM stops the daemon within 10 s, exit 0", rc == 0,
          (rc, f"{time.monotonic() - t0:.1f} s"))
    check("fifo: left where it was",
          os.path.exists(os.path.join(inbox_new, fifo_name)))
    try:
        r = pc("parse", os.path.join(state, "inbox"), timeout=30)
        err = r.stderr.decode(errors="replace") + r.stdout.decode(errors="replace")
        check("fifo: parse of the Maildir ends, names the FIFO",
              "not a regular file" in err, err[-1500:])
    except subprocess.TimeoutExpired:
        check("fifo: parse of the Maildir ends", False, "blocked for 30 s")

    # --- forged superseding --------------------------------------------
    subject = "[GIT PULL] widget for v1.1"
    deliver("c1", mail("genuine@example.org", subject))
    deliver("c2", mail("forged@example.org", subject, url=OTHER))
    rc = watch_once()
    check("forged: watch --once exit 0", rc == 0, rc)
    check("forged: the genuine request is not superseded",
          job_state("genuine@example.org") == "replied",
          job_state("genuine@example.org"))
    check("forged: the genuine request gets its reply",
          len(replies_to("genuine@example.org")) == 1)
    deliver("d1", mail("v1@example.org", "[GIT PULL] gadget for v1.2"))
    deliver("d2", mail("v2@example.org", "[GIT PULL v2] gadget for v1.2",
                       headers="In-Reply-To: <v1@example.org>\n"
                               "References: <v1@example.org>\n"))
    watch_once()
    check("v2 for the same repository: v1 superseded",
          job_state("v1@example.org") == "superseded",
          job_state("v1@example.org"))
    check("v2 for the same repository: only v2 answered",
          len(replies_to("v2@example.org")) == 1 and
          not replies_to("v1@example.org"))

    # --- terminal escapes --------------------------------------------------
    evil_subject = f"[GIT PULL] widget {ESC}]0;pwned{ESC}\\{ESC}[2J cleared"
    evil_mid = f"esc{ESC}[2J@example.org"
    # The git server for this one is down: the job stays open, so status
    # lists it with its subject and reason.
    deliver("e1", mail("esc-open@example.org", evil_subject, url=DEAD))
    # A Message-ID with ESC (refused as one since issue 11 section 2),
    # and a file name with ESC: both named in the log.
    deliver("e2", mail(evil_mid, evil_subject))
    deliver(f"e3{ESC}[2J", b"not mail at all\n")
    watch_once()
    r = pc("status")
    out = r.stdout.decode("utf-8", "replace")
    check("escapes: status exit 0", r.returncode == 0,
          r.stderr.decode(errors="replace"))
    check("escapes: status lists the open job", "cleared" in out, out)
    check("escapes: status has no raw ESC", ESC not in out, out)
    check("escapes: status shows it as \\x1b", "\\x1b[2J cleared" in out, out)
    text = log()
    check("escapes: the watch log has no raw ESC", ESC not in text,
          [line for line in text.splitlines() if ESC in line][:5])
    check("escapes: the watch log shows the FIFO's name as \\x1b",
          "x\\x1b[2J.fifo is a FIFO" in text, text[-2000:])
    cm = os.path.join(work, "check-esc.eml")
    with open(cm, "wb") as f:
        f.write(mail("esc-build@example.org", evil_subject,
                     tag="escbuild-tag"))
    r = pc("check", cm)
    out, err = r.stdout.decode("utf-8", "replace"), \
        r.stderr.decode("utf-8", "replace")
    check("escapes: check says fail (exit 1)", r.returncode == 1,
          (r.returncode, out, err[-1500:]))
    check("escapes: check prints no raw ESC", ESC not in out + err,
          [line for line in (out + err).splitlines() if ESC in line][:5])
    check("escapes: check shows the build's step escaped",
          "\\x1b]0;pwned\\x07\\x1b[2Jwidget.o" in err, err[-1500:])
    check("escapes: check's result line", out.startswith(
          "esc-build@example.org: fail") and ESC not in out, out)
    r = pc("check", "--dry-run", cm)
    out = r.stdout.decode("utf-8", "replace")
    check("escapes: check --dry-run prints the reply, no raw ESC",
          r.returncode == 1 and "boom" in out and ESC not in out,
          (r.returncode, out[-1500:]))
    cm = os.path.join(work, "check-esc-mid.eml")
    with open(cm, "wb") as f:
        f.write(mail(evil_mid, evil_subject))
    r = pc("check", "--dry-run", cm)
    out, err = r.stdout.decode("utf-8", "replace"), \
        r.stderr.decode("utf-8", "replace")
    check("escapes: check on a Message-ID with ESC prints none raw",
          r.returncode in (0, 4) and out and ESC not in out + err,
          (r.returncode, out, err[-1500:]))
    check("sanitizers: no reports in the daemon's log",
          not h.sanitizer_report(log()))
finally:
    if t.failed and os.path.exists(log_path):
        print(f"--- the daemon's log ({log_path}) ---")
        print(log()[-6000:])
    rundir.close(keep=bool(os.environ.get("PULLCHECK_KEEP_TEST")))

t.exit()
