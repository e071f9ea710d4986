# SPDX-License-Identifier: GPL-2.0-only
"""pcharness: the plumbing the Python integration tests share.

What tests/integration/harness.c is to the C tests: a run directory, the
servers on loopback (git daemon, an aiosmtpd sink, Dovecot), repositories
with `git request-pull` mails, the outbox read back, the job store read
back, and a tally of checks. A test script imports it and keeps only its
scenarios and assertions:

    sys.path.insert(0, <tests/integration>)
    import pcharness as h

    t = h.Tally()
    run = h.RunDir("pc-something-")
    try:
        git = run.start(h.GitDaemon(run.path("srv")))
        ...
        t.check("what the maintainer sees", ok, detail)
    finally:
        run.close(keep=...)
    t.exit()

Servers run in a process group of their own (`git daemon` is a wrapper
whose git-daemon child would survive a kill of the wrapper alone; Dovecot
is a master with children): stop() signals the group and waits until the
port no longer answers, and RunDir.close() kills whatever group is left,
whatever happened. Uses only the stdlib; run it with /usr/bin/python3,
whose modules include Debian's python3-aiosmtpd.
"""
import email
import email.policy
import imaplib
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

# What ASan, LSan and UBSan write when they find something.
SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:")


def sanitizer_report(text):
    """Whether @text (str or bytes) holds a sanitizer's report."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return SANITIZER.search(text) is not None


# --- checks -------------------------------------------------------------------

class Tally:
    """PASS/FAIL lines and their count. @quote prints a failure's detail
    with repr(), which shows control characters; without it the detail is
    printed as text and left out when it is falsy."""

    def __init__(self, quote=True):
        self.quote = quote
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}", flush=True)
            return
        self.failed += 1
        if self.quote:
            shown = f": {detail!r}" if detail != "" else ""
        else:
            shown = f": {detail}" if detail else ""
        print(f"FAIL {name}{shown}", flush=True)

    def exit(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def need(tools=(), paths=(), aiosmtpd=False):
    """Skips (exit 77) unless each tool is on PATH and each path exists.
    @paths holds (path, what to install) pairs."""
    for tool in tools:
        if not shutil.which(tool):
            skip(f"{tool} is missing")
    for path, why in paths:
        if not os.path.exists(path):
            skip(why)
    if aiosmtpd:
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            skip("aiosmtpd is missing (python3-aiosmtpd)")


# --- small helpers ----------------------------------------------------------

def wait_for(cond, timeout, step=0.1):
    """Polls @cond until it is true or @timeout seconds pass; its last value."""
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


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def run(*argv, cwd=None, env=None):
    """@argv's stdout as text; raises if it fails."""
    return subprocess.run(argv, cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout


def kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


# --- the run directory and what runs in it ----------------------------------

class RunDir:
    """A temporary directory for one test run, and every process started
    for it: servers by process group, the rest (pullcheck) by process."""

    def __init__(self, prefix, mode=None):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        if mode is not None:
            os.chmod(self.dir, mode)
        self.procs = []
        self.groups = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def track(self, proc):
        """Kills @proc at close() if it still runs; @proc itself."""
        self.procs.append(proc)
        return proc

    def start(self, server):
        """Starts @server (a Server) as one of this run's; @server itself."""
        server.run = self
        server.start()
        return server

    def close(self, keep=False):
        """Kills what still runs, then removes the directory unless @keep."""
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for g in list(self.groups):
            kill_group(g, signal.SIGKILL)
        self.groups.clear()
        if keep:
            print(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """A server on a loopback port, leading a process group of its own.
    A subclass says how to start it (argv()), where it logs, and when it
    is up (up())."""

    run = None	# the RunDir, set by RunDir.start()
    name = "server"
    log_path = None	# where its stderr goes (and stdout, with log_stdout)
    log_stdout = False

    def argv(self):
        raise NotImplementedError

    def env(self):
        return None

    def up(self):
        return port_open(self.port)

    def start(self):
        log = open(self.log_path, "a") if self.log_path \
            else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv(), env=self.env(), stdin=subprocess.DEVNULL,
            stdout=log if self.log_stdout else subprocess.DEVNULL,
            stderr=log, start_new_session=True)
        self.run.groups.append(self.proc.pid)
        if not wait_for(self.up, 30):
            sys.exit(f"{self.name} did not come up" + self.why_not())

    def why_not(self):
        return ""

    def stop(self):
        """SIGTERM to the group; stopped means nothing serves the port."""
        kill_group(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)
        self.run.groups.remove(self.proc.pid)
        if not wait_for(lambda: not port_open(self.port), 30):
            sys.exit(f"{self.name} still serves its port after SIGTERM")


# --- git daemon and the repositories it serves -------------------------------

class GitDaemon(Server):
    """`git daemon` serving the bare repositories in @base."""

    name = "git daemon"

    def __init__(self, base, port=None):
        self.base = base
        self.port = port or free_port()

    def url(self, repo):
        return f"git://127.0.0.1:{self.port}/{repo}"

    def argv(self):
        return ["git", "daemon", "--export-all", f"--base-path={self.base}",
                "--listen=127.0.0.1", f"--port={self.port}", "--reuseaddr",
                self.base]

    def up(self):
        # A real ls-remote: the port opens before the daemon serves.
        return subprocess.run(["git", "ls-remote", self.url("mainline.git")],
                              capture_output=True).returncode == 0


GIT_IDENTITY = dict(GIT_AUTHOR_NAME="Ann Maintainer",
                    GIT_AUTHOR_EMAIL="ann@example.org",
                    GIT_COMMITTER_NAME="Ann Maintainer",
                    GIT_COMMITTER_EMAIL="ann@example.org",
                    GIT_AUTHOR_DATE="2024-12-01T10:00:00+0100",
                    GIT_COMMITTER_DATE="2024-12-01T10:00:00+0100")


class Repos:
    """Mainline (tagged v1.0, served as mainline.git from @srv) and a
    maintainer's clone of it in @maint, where branches are made."""

    def __init__(self, work, files, message):
        os.environ.update(GIT_IDENTITY)
        self.srv = os.path.join(work, "srv")
        self.mainline = os.path.join(work, "mainline")
        self.maint = os.path.join(work, "maint")
        os.makedirs(self.srv)
        os.makedirs(self.mainline)
        run("git", "init", "-q", "-b", "master", cwd=self.mainline)
        for name, text in files.items():
            with open(os.path.join(self.mainline, name), "w") as f:
                f.write(text)
        run("git", "add", ".", cwd=self.mainline)
        run("git", "commit", "-q", "-m", message, cwd=self.mainline)
        run("git", "tag", "v1.0", cwd=self.mainline)
        self.publish(self.mainline, "mainline.git")
        run("git", "clone", "-q", os.path.join(self.srv, "mainline.git"),
            self.maint)

    def branch(self, name, path, text, extra=None):
        """A branch off v1.0 with @path set to @text (and an empty @extra
        added), tagged NAME-tag with an annotated tag."""
        run("git", "checkout", "-q", "-b", name, "v1.0", cwd=self.maint)
        with open(os.path.join(self.maint, path), "w") as f:
            f.write(text)
        if extra:
            open(os.path.join(self.maint, extra), "w").close()
            run("git", "add", extra, cwd=self.maint)
        run("git", "commit", "-q", "-am", f"{name}: change", cwd=self.maint)
        run("git", "tag", "-a", "-m", f"{name} for v1.1", f"{name}-tag",
            cwd=self.maint)

    def publish(self, src, repo):
        """A bare clone of @src served as @repo."""
        run("git", "clone", "-q", "--bare", src, os.path.join(self.srv, repo))

    def request_pull(self, url, tag):
        """What `git request-pull v1.0 URL TAG` says in the maintainer's
        tree (it asks the server at @url)."""
        return run("git", "request-pull", "v1.0", url, tag, cwd=self.maint)

    def rev(self, name):
        return run("git", "rev-parse", name, cwd=self.maint).strip()


def pull_mail(message_id, subject, pull, body="", headers="",
              sender="Ann Maintainer <ann@example.org>"):
    """A pull request mail to Linus, Cc a list, as bytes: @body, then
    "Please pull." and the request-pull text @pull."""
    return (f"From: {sender}\n"
            "To: Linus Torvalds <torvalds@linux-foundation.org>\n"
            "Cc: linux-widget@vger.kernel.org\n"
            f"Subject: {subject}\n"
            "Date: Mon, 2 Dec 2024 10:00:00 +0100\n"
            f"Message-ID: <{message_id}>\n"
            f"{headers}"
            "\n"
            f"Hi Linus,\n\n{body}Please pull.\n\n{pull}").encode()


def maildir_deliver(maildir, name, raw):
    """@raw into @maildir/new as @name, through tmp/ as an MDA does."""
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(maildir, d), exist_ok=True)
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.rename(tmp, os.path.join(maildir, "new", name))


# --- the SMTP sink, and the outbox it keeps ----------------------------------

class SmtpSink(Server):
    """aiosmtpd writing each message into the Maildir @dir with X-MailFrom
    and X-RcptTo; @handler smtp_handlers.Sink also refuses on demand."""

    name = "the SMTP sink"

    def __init__(self, dir, log_path, handler="smtp_handlers.Sink"):
        self.dir = dir
        self.log_path = log_path
        self.handler = handler
        self.port = free_port()

    def argv(self):
        return [sys.executable, "-m", "aiosmtpd", "-n", "-l",
                f"127.0.0.1:{self.port}", "-c", self.handler, self.dir]

    def env(self):
        return dict(os.environ, PYTHONPATH=HERE)

    def files(self):
        """The names of the messages received, sorted."""
        new = os.path.join(self.dir, "new")
        return sorted(os.listdir(new)) if os.path.isdir(new) else []

    def read(self, name):
        with open(os.path.join(self.dir, "new", name), "rb") as f:
            return f.read()

    def replies(self):
        """Each message received, parsed."""
        return [email.message_from_bytes(self.read(name),
                                         policy=email.policy.default)
                for name in self.files()]

    def replies_to(self, message_id):
        return [m for m in self.replies()
                if m["In-Reply-To"] == f"<{message_id}>"]


# --- Dovecot -----------------------------------------------------------------

DOVECOT_CONF = """base_dir = {dir}/run
state_dir = {dir}/state
log_path = {log}
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = {dir}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot(Server):
    """IMAP with STARTTLS (a self-signed certificate for 127.0.0.1, in
    @cert) for one passwd-file user, whose mail is in @folder."""

    name = "Dovecot"
    log_stdout = True

    def __init__(self, dir, user, password, folder):
        self.dir, self.user, self.password = dir, user, password
        self.folder = folder
        self.log_path = os.path.join(dir, "dovecot.out")
        home = os.path.join(dir, "home")
        os.makedirs(home)
        os.chown(home, 65534, 65534)	# Dovecot refuses UID 0
        self.cert = os.path.join(dir, "cert.pem")
        key = os.path.join(dir, "key.pem")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", key, "-out", self.cert, "-days", "2",
            "-subj", "/CN=pullcheck-test.invalid", "-addext",
            "subjectAltName=IP:127.0.0.1")
        with open(os.path.join(dir, "passwd"), "w") as f:
            f.write(f"{user}:{{PLAIN}}{password}:65534:65534::{home}\n")
        self.port = free_port()
        self.log = os.path.join(dir, "dovecot.log")
        self.conf = os.path.join(dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(DOVECOT_CONF.format(dir=dir, log=self.log,
                                        cert=self.cert, key=key,
                                        port=self.port))

    def argv(self):
        return ["/usr/sbin/dovecot", "-F", "-c", self.conf]

    def env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}

    def up(self):
        # A real LOGIN: Dovecot drops connections made too early.
        try:
            self.admin().logout()
            return True
        except (OSError, imaplib.IMAP4.error):
            return False

    def why_not(self):
        return ":\n" + open(self.log).read() if os.path.exists(self.log) \
            else ""

    def admin(self):
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(self.user, self.password)
        return imap

    def append(self, messages):
        imap = self.admin()
        for raw in messages:
            typ, _ = imap.append(self.folder, None, None, raw)
            assert typ == "OK", typ
        imap.logout()

    def flags(self, message_id):
        """The flags of each message in the folder with @message_id."""
        imap = self.admin()
        imap.select(self.folder, readonly=True)
        typ, data = imap.uid("SEARCH", None, "HEADER", "Message-ID",
                             message_id)
        out = []
        for uid in data[0].split():
            typ, fetched = imap.uid("FETCH", uid, "(FLAGS)")
            out.append(fetched[0].decode())
        imap.logout()
        return out

    def recreate(self):
        """The folder deleted and made again: a new UIDVALIDITY."""
        imap = self.admin()
        imap.delete(self.folder)
        typ, _ = imap.create(self.folder)
        assert typ == "OK"
        imap.logout()


# --- pullcheck's job store, read back ----------------------------------------

def jobs(state_dir, where="1", args=()):
    """The rows of the jobs table WHERE @where, read-only."""
    db = sqlite3.connect(f"file:{state_dir}/pullcheck.db?mode=ro", uri=True,
                         timeout=10)
    db.row_factory = sqlite3.Row
    rows = db.execute(f"SELECT * FROM jobs WHERE {where}", args).fetchall()
    db.close()
    return rows


def job(state_dir, message_id):
    rows = jobs(state_dir, "message_id = ?", (message_id,))
    return rows[0] if rows else None


def job_state(state_dir, message_id):
    j = job(state_dir, message_id)
    return j["state"] if j else None
