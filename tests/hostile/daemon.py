#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""daemon.py PULLCHECK: the daemon against hostile mail and a careless host.

Issue 11, sections 4 and 6. Real servers on loopback, started here: an
aiosmtpd sink (tests/integration/smtp_handlers.Sink) and `git daemon`
serving repositories made here; the built-in Maildir source; builds by
the real cc through [build] recipe = command in the sandbox.

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
import email
import email.policy
import fcntl
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
PC = os.path.realpath(sys.argv[1])
ESC = "\x1b"

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail!r}" if detail != "" else ""),
              flush=True)


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def wait_for(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


for tool in ("git", "bwrap", "cc", "make"):
    if not shutil.which(tool):
        skip(f"{tool} is missing")
try:
    import aiosmtpd  # noqa: F401
except ImportError:
    skip("aiosmtpd is missing (python3-aiosmtpd)")

work = tempfile.mkdtemp(prefix="pc-hostile-daemon-")
os.chmod(work, 0o755)
procs = []

# --- git: mainline, the maintainer's tree, and somebody else's ------------

os.environ.update(GIT_AUTHOR_NAME="Ann Maintainer",
                  GIT_AUTHOR_EMAIL="ann@example.org",
                  GIT_COMMITTER_NAME="Ann Maintainer",
                  GIT_COMMITTER_EMAIL="ann@example.org",
                  GIT_AUTHOR_DATE="2024-12-01T10:00:00+0100",
                  GIT_COMMITTER_DATE="2024-12-01T10:00:00+0100")
srv = os.path.join(work, "srv")
mainline = os.path.join(work, "mainline")
os.makedirs(srv)
os.makedirs(mainline)
run("git", "init", "-q", "-b", "master", cwd=mainline)
with open(os.path.join(mainline, "Makefile"), "w") as f:
    f.write("all:\n\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n")
with open(os.path.join(mainline, "widget.c"), "w") as f:
    f.write("int widget(void)\n{\n\treturn 1;\n}\n")
run("git", "add", ".", cwd=mainline)
run("git", "commit", "-q", "-m", "widget: start", cwd=mainline)
run("git", "tag", "v1.0", cwd=mainline)
run("git", "clone", "-q", "--bare", mainline, f"{srv}/mainline.git")
maint = os.path.join(work, "maint")
run("git", "clone", "-q", f"{srv}/mainline.git", maint)


def branch(name, path, text):
    run("git", "checkout", "-q", "-b", name, "v1.0", cwd=maint)
    with open(os.path.join(maint, path), "w") as f:
        f.write(text)
    run("git", "commit", "-q", "-am", f"{name}: change", cwd=maint)
    run("git", "tag", "-a", "-m", f"{name} for v1.1", f"{name}-tag", cwd=maint)


branch("good", "widget.c", "int widget(void)\n{\n\treturn 2;\n}\n")
# A build whose output carries escape sequences: a make step that clears
# the screen and retitles the window, then an error line that does too.
branch("escbuild", "Makefile",
       "all:\n"
       "\t@printf '  CC      \\033]0;pwned\\007\\033[2Jwidget.o\\n'\n"
       "\t@printf 'widget.c:1:1: error: \\033[2J\\033[31mboom\\n'; exit 1\n")
run("git", "clone", "-q", "--bare", maint, f"{srv}/maint.git")
# Somebody else's repository: the same tag name, other contents.
run("git", "clone", "-q", "--bare", maint, f"{srv}/other.git")
git_port = free_port()
dead_port = free_port()
URL = f"git://127.0.0.1:{git_port}/maint.git"
OTHER = f"git://127.0.0.1:{git_port}/other.git"
DEAD = f"git://127.0.0.1:{dead_port}/maint.git"


def start_git():
    p = subprocess.Popen(
        ["git", "daemon", "--export-all", f"--base-path={srv}",
         "--listen=127.0.0.1", f"--port={git_port}", "--reuseaddr", srv],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    if not wait_for(lambda: subprocess.run(["git", "ls-remote", URL],
                                           capture_output=True).returncode == 0,
                    30):
        sys.exit("git daemon did not come up")


def pull_text(tag, url):
    pull = run("git", "request-pull", "v1.0", URL, tag, cwd=maint)
    return pull.replace(URL, url)


def mail(mid, subject, tag="good-tag", url=URL, headers="",
         sender="Ann Maintainer <ann@example.org>"):
    return (f"From: {sender}\n"
            "To: Linus Torvalds <torvalds@example.org>\n"
            "Cc: linux-widget@vger.kernel.org\n"
            f"Subject: {subject}\n"
            "Date: Mon, 2 Dec 2024 10:00:00 +0100\n"
            f"Message-ID: <{mid}>\n"
            f"{headers}\n"
            f"Hi Linus,\n\nPlease pull.\n\n{pull_text(tag, url)}").encode()


# --- the SMTP sink ------------------------------------------------------------

sink = os.path.join(work, "sink")
smtp_port = free_port()


def start_smtp():
    p = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l",
         f"127.0.0.1:{smtp_port}", "-c", "smtp_handlers.Sink", sink],
        env=dict(os.environ, PYTHONPATH=INTEGRATION),
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(work, "smtp.log"), "a"))
    procs.append(p)

    def up():
        try:
            socket.create_connection(("127.0.0.1", smtp_port), 1).close()
            return True
        except OSError:
            return False
    if not wait_for(up, 30):
        sys.exit("the SMTP sink did not come up")


def replies():
    new = os.path.join(sink, "new")
    out = []
    for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            out.append(email.message_from_binary_file(
                f, policy=email.policy.default))
    return out


def replies_to(mid):
    return [m for m in replies() if m["In-Reply-To"] == f"<{mid}>"]


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
port = {smtp_port}
tls = none
timeout = 10
""")


def deliver(name, raw):
    os.makedirs(inbox_new, exist_ok=True)
    tmp = os.path.join(state, "inbox", "tmp")
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, name), "wb") as f:
        f.write(raw)
    os.rename(os.path.join(tmp, name), os.path.join(inbox_new, name))


def watch(*args):
    return subprocess.Popen([PC, "watch", "--config", conf, *args],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=open(log_path, "a"))


def watch_once():
    """watch --once, its stderr in the log; the exit status."""
    p = watch("--once")
    procs.append(p)
    return p.wait(600)


def log():
    with open(log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def jobs(where="1", args=()):
    db = sqlite3.connect(f"file:{state}/pullcheck.db?mode=ro", uri=True,
                         timeout=10)
    db.row_factory = sqlite3.Row
    rows = db.execute(f"SELECT * FROM jobs WHERE {where}", args).fetchall()
    db.close()
    return rows


def job_state(mid):
    rows = jobs("message_id = ?", (mid,))
    return rows[0]["state"] if rows else None


def pc(*args, timeout=300):
    return subprocess.run([PC, *args, "--config", conf],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)


try:
    start_git()
    start_smtp()

    # --- two daemons on one state directory -----------------------------
    mids = [f"two-{i:02d}@example.org" for i in range(20)]
    for i, mid in enumerate(mids):
        deliver(f"a{i:02d}", mail(mid, f"[GIT PULL] widget changes ({i})"))
    first = watch("--once")
    procs.append(first)
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
    procs.append(w)
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
          not re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:",
                        log()))
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    if failed and os.path.exists(log_path):
        print(f"--- the daemon's log ({log_path}) ---")
        print(log()[-6000:])
    if os.environ.get("PULLCHECK_KEEP_TEST"):
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
