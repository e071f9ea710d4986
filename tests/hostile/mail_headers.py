#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""mail_headers.py PULLCHECK: hostile headers and URLs, to the reply sent.

Issue 11, section 2 and the NUL of section 3. Every mail is made here;
the replies go through a real aiosmtpd sink on loopback (Maildir, with
X-MailFrom and X-RcptTo), by `pullcheck check` and by `pullcheck watch
--once` on the built-in Maildir source. The URL in each mail is outside
[fetch] allow_urls, so nothing is fetched: each reply is a could-not-check
whose headers are what is under test.

  injections   an injection ("x CR LF Cc: victim CR LF Bcc: hidden CR LF
               CR LF X-Injected: yes") in Message-ID, References and
               In-Reply-To: as RFC 2047 words (CRLF, LF only, NUL), raw
               NUL, bare CR, ESC, a fold, a blank, an angle bracket; in
               Subject as a word and a bare CR; in From's name; in Cc's
               quoted local parts. Each reply: only pullcheck's own
               headers, each once, the verdict ones in the header block,
               no control character, To the sender and Cc the list; at
               the sink, RCPT TO exactly those two.
  refused      a From address with a control character, and a NUL, a
               control character or a bidi override on the URL or ref
               line: not a pull request, with the reason (parse JSON,
               check exit 4), and no mail sent.
  daemon       the same mails through watch --once: each answered once,
               to the same two addresses; the refused ones recorded as
               ignored with their reason; no mail lost.
  envelope     a reply stored while the SMTP server is down, then given a
               Cc: and a Bcc: line in the store: sent to the envelope
               decided when it was made, never to what the text says;
               also for a reply stored without an envelope (an older
               store), whose envelope is decided again from the mail.

The sink and the run directory come from tests/integration/pcharness.py.

Exits 77 when aiosmtpd is missing, 1 when a check failed.
"""
import base64
import email
import email.header
import email.policy
import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))), "integration"))
import pcharness as h  # noqa: E402

PC = os.path.realpath(sys.argv[1])
SENDER = "ann@example.org"
LIST = "linux-widget@vger.kernel.org"
ENVELOPE = {SENDER, LIST}
BOT = "pullcheck@checker.example.org"
URL = "git://git.kernel.org/pub/scm/linux/kernel/git/ann/widget.git"
# The headers a reply of pullcheck's has; the sink adds its three.
REPLY_HEADERS = {
    "date", "from", "to", "cc", "subject", "message-id", "in-reply-to",
    "references", "auto-submitted", "x-pullcheck-verdict",
    "x-pullcheck-coverage", "x-pullcheck-kconfig",
    "x-pullcheck-scope", "x-pullcheck-tip", "x-pullcheck-boot",
    "mime-version",
    "content-type", "content-transfer-encoding",
}
SINK_HEADERS = {"x-peer", "x-mailfrom", "x-rcptto"}

t = h.Tally()
check = t.check

h.need(aiosmtpd=True)

rundir = h.RunDir("pc-hostile-mail-")
work = rundir.dir
# aiosmtpd's Maildir handler: each message with X-MailFrom and X-RcptTo.
sink = h.SmtpSink(os.path.join(work, "sink"), os.path.join(work, "sink.log"),
                  handler="aiosmtpd.handlers.Mailbox")


def ew(text):
    """An RFC 2047 encoded word holding @text."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


INJECT = ("x\r\nCc: victim@evil.example\r\nBcc: hidden@evil.example\r\n\r\n"
          "X-Injected: yes")
INJECT_LF = INJECT.replace("\r\n", "\n")


def body(url=URL, ref="tags/widget-6.13"):
    return ("Hi Linus,\n\n"
            "The following changes since commit "
            "0123456789abcdef0123456789abcdef01234567:\n\n"
            "  Linux 6.13-rc1 (2024-12-01 14:28:56 -0800)\n\n"
            "are available in the Git repository at:\n\n"
            f"  {url} {ref}\n\n"
            "for you to fetch changes up to "
            "89abcdef0123456789abcdef0123456789abcdef:\n\n"
            "  widget: fix the frobnicator (2024-12-02 09:00:00 +0100)\n"
            ).encode()


def mail(n, message_id=None, references=None, in_reply_to=None,
         subject=None, sender=None, cc=None, text=None, cte=None):
    """One pull request, case @n, with any header given as bytes or str."""
    def b(v):
        return v if isinstance(v, bytes) else v.encode()
    tag = f"(case {n:02d})"
    h = [b"From: " + b(sender or f"Ann Maintainer <{SENDER}>"),
         b"To: Linus Torvalds <torvalds@linux-foundation.org>",
         b"Cc: " + b(cc or LIST),
         b"Subject: " + b(subject or f"[GIT PULL] widget fixes {tag}"),
         b"Date: Tue, 3 Dec 2024 10:00:00 +0100",
         b"Message-ID: " + b(message_id or f"<case-{n:02d}@example.org>")]
    if references is not None:
        h.append(b"References: " + b(references))
    if in_reply_to is not None:
        h.append(b"In-Reply-To: " + b(in_reply_to))
    h.append(b"MIME-Version: 1.0")
    h.append(b"Content-Type: text/plain; charset=UTF-8")
    # Bodies differ too: a mail without a usable Message-ID is keyed by
    # its body, and two such with one body are copies of one request.
    payload = (text if text is not None else body()) + f"\n{tag}\n".encode()
    if cte == "base64":
        h.append(b"Content-Transfer-Encoding: base64")
        payload = base64.encodebytes(payload)
    elif cte:
        h.append(b"Content-Transfer-Encoding: " + cte.encode())
    return b"\n".join(h) + b"\n\n" + payload, tag


# (name, mail bytes, subject tag, expectation): "reply", or the words the
# reason must hold for a mail that is refused.
CASES = []


def case(name, expect, **kw):
    data, tag = mail(len(CASES), **kw)
    CASES.append((name, data, tag, expect))


def id_forms(n):
    """
    Each hostile form of a message ID. Those that stay IDs are told
    apart by @n: one thread each, as the daemon answers a thread once.
    """
    return [
        ("word CRLF", f"<{ew(INJECT)}@y{n}>"),
        ("word LF", f"<{ew(INJECT_LF)}@y{n}>"),
        ("word NUL",
         f"<{ew('x' + chr(0) + 'Bcc: hidden@evil.example')}@y{n}>"),
        ("raw NUL", b"<x\0\r\nBcc: hidden@evil.example>"),
        ("bare CR", b"<x\rBcc: hidden@evil.example\r\rX-Injected: yes>"),
        ("ESC", "<x\x1b[2Jy@example.org>"),
        ("fold", "<x\r\n Bcc: hidden@evil.example>"),
        ("blank", "<x Bcc: hidden@evil.example>"),
        ("angle bracket", "<x<Bcc: hidden@evil.example>@y>"),
    ]


for i, header in enumerate(("Message-ID", "References", "In-Reply-To")):
    for form, value in id_forms(i):
        key = header.lower().replace("-", "_")
        case(f"{header} {form}", "reply", **{key: value})
case("Subject word CRLF", "reply",
     subject=ew(f"[GIT PULL] widget fixes (case {len(CASES):02d})" + INJECT))
case("Subject bare CR", "reply",
     subject=f"[GIT PULL] widget fixes (case {len(CASES):02d})"
             "\rBcc: hidden@evil.example")
case("From name word CRLF", "reply",
     sender=f"{ew('Ann' + INJECT)} <{SENDER}>")
case("Cc quoted local parts", "reply",
     cc=b'"x\x01Bcc: hidden@evil.example"@vger.kernel.org, '
        b'"a\\\r\n Bcc: b"@vger.kernel.org, ' + LIST.encode())
case("From address control character", "the From address is refused",
     sender=b'"ann\x01"@example.org')
case("URL with NUL", "U+FFFD",
     text=body(url=URL.replace("widget", "wid\0get")))
case("URL with NUL in base64", "U+FFFD",
     text=body(url=URL.replace("widget", "ma\0int")), cte="base64")
case("URL with a control character", "U+0001",
     text=body(url=URL.replace("widget", "wid\x01get")))
case("ref with a bidi override", "U+202E",
     text=body(ref="tags/widget-\u202e31.6"), cte="8bit")


def write_conf(path, state, smtp_port):
    with open(path, "w") as f:
        f.write(f"""[pullcheck]
state_dir = {state}
[fetch]
allow_urls = git://127.0.0.1:1/;
timeout = 5
[build]
cache_dir = {state}/cache
retries = 0
[reply]
from = pullcheck <{BOT}>
cc_lists = *@vger.kernel.org;
max_per_sender_per_day = 1000
[outbox]
type = smtp
[smtp]
host = 127.0.0.1
port = {smtp_port}
tls = none
timeout = 10
""")


def pc(*args, conf):
    r = subprocess.run([PC, *args, "--config", conf], capture_output=True)
    check(f"sanitizers: pullcheck {args[0]} reports nothing",
          not h.sanitizer_report(r.stderr), r.stderr[-3000:])
    return r


def header_block(raw):
    """The header lines of @raw (bytes), folds joined, and the body."""
    text = raw.replace(b"\r\n", b"\n")
    head, sep, rest = text.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line)
    return fields, rest


def check_header_block(name, raw, extra=frozenset()):
    """What a mail client sees in the header block of @raw."""
    fields, rest = header_block(raw)
    names = [f.split(b":", 1)[0].decode("ascii", "replace").lower()
             for f in fields]
    allowed = REPLY_HEADERS | extra
    check(f"{name}: only pullcheck's headers",
          set(names) <= allowed, sorted(set(names) - allowed))
    check(f"{name}: each header once", len(names) == len(set(names)), names)
    check(f"{name}: the verdict headers are in the header block",
          {"x-pullcheck-verdict", "x-pullcheck-coverage",
           "x-pullcheck-scope", "x-pullcheck-tip",
           "auto-submitted"} <= set(names), names)
    check(f"{name}: no control character in the header block",
          not any(re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", f) for f in fields),
          [f for f in fields if re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", f)])
    value = {n: f.split(b":", 1)[1].strip() for n, f in zip(names, fields)
             if b":" in f}
    check(f"{name}: To is the sender", value.get("to") == SENDER.encode(),
          value.get("to"))
    check(f"{name}: Cc is the list", value.get("cc") == LIST.encode(),
          value.get("cc"))
    ids = b" ".join(value.get(h, b"") for h in ("in-reply-to", "references"))
    check(f"{name}: threading headers hold only clean <IDs>",
          re.fullmatch(rb"(\s*<[\x21-\x3b\x3d\x3f-\x7e]+>)*\s*", ids),
          ids)
    check(f"{name}: the body does not carry headers",
          not re.search(rb"^(X-Pullcheck-|X-Injected|Bcc:|Cc:)", rest,
                        re.MULTILINE), rest[:300])


def sink_message(name, raw):
    """The sink's copy: envelope first, then the header block."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    rcpts = {a.strip() for a in (msg["X-RcptTo"] or "").split(",")}
    check(f"{name}: RCPT TO the sender and the list only",
          rcpts == ENVELOPE, sorted(rcpts))
    check(f"{name}: MAIL FROM pullcheck", msg["X-MailFrom"] == BOT,
          msg["X-MailFrom"])
    check_header_block(name, raw, SINK_HEADERS)


def parse_json(conf, path):
    r = pc("parse", path, conf=conf)
    return json.loads(r.stdout.decode()) if r.returncode == 0 else {}


try:
    rundir.start(sink)
    state = os.path.join(work, "check-state")
    conf = os.path.join(work, "check.conf")
    write_conf(conf, state, sink.port)
    mails = os.path.join(work, "mails")
    os.makedirs(mails)

    # --- check and parse, one mail at a time ---------------------------
    for i, (name, data, tag, expect) in enumerate(CASES):
        path = os.path.join(mails, f"{i:02d}.eml")
        with open(path, "wb") as f:
            f.write(data)
        parsed = parse_json(conf, path)
        mid = parsed.get("message_id")
        check(f"{name}: parse's message_id is null or clean",
              mid is None or re.fullmatch(r"[\x21-\x3b\x3d\x3f-\x7e]+", mid),
              mid)
        before = sink.files()
        r = pc("check", "--json", "--no-build", path, conf=conf)
        after = sink.files()
        new = [f for f in after if f not in before]
        if expect == "reply":
            check(f"{name}: parse says pull request",
                  parsed.get("is_pull_request") is True, parsed)
            check(f"{name}: check exits 3 (could not check)",
                  r.returncode == 3, (r.returncode, r.stderr[-1500:]))
            result = json.loads(r.stdout or b"{}")
            check_header_block(f"{name} (rendered)",
                               (result.get("reply") or "").encode())
            check(f"{name}: one mail sent", len(new) == 1, new)
            for f in new:
                sink_message(f"{name} (sent)", sink.read(f))
        else:
            check(f"{name}: parse says no pull request, with the reason",
                  parsed.get("is_pull_request") is False and
                  expect in (parsed.get("reason") or "") and
                  parsed.get("repo_url") is None, parsed)
            check(f"{name}: check exits 4 (not a pull request)",
                  r.returncode == 4, (r.returncode, r.stderr[-1500:]))
            check(f"{name}: no mail sent", not new, new)

    # --- the daemon: the same mails through the Maildir source ---------
    dstate = os.path.join(work, "daemon-state")
    dconf = os.path.join(work, "daemon.conf")
    write_conf(dconf, dstate, sink.port)
    inbox = os.path.join(dstate, "inbox")
    for i, (_, data, _, _) in enumerate(CASES):
        h.maildir_deliver(inbox, f"{i:02d}.eml", data)
    before = sink.files()
    r = pc("watch", "--once", conf=dconf)
    check("daemon: watch --once exits 0", r.returncode == 0,
          r.stderr[-2000:])
    new = [f for f in sink.files() if f not in before]
    sent = {}
    for f in new:
        raw = sink.read(f)
        subject = email.message_from_bytes(raw)["Subject"] or ""
        subject = str(email.header.make_header(
            email.header.decode_header(subject)))
        m = re.search(r"\(case \d\d\)", subject)
        sent.setdefault(m.group(0) if m else subject, []).append(raw)
    db = sqlite3.connect(os.path.join(dstate, "pullcheck.db"))
    rows = db.execute("SELECT state, reason, subject FROM jobs").fetchall()
    db.close()
    check("daemon: every mail is a job (none lost)",
          len(rows) == len(CASES), len(rows))
    for name, _, tag, expect in CASES:
        got = sent.get(tag, [])
        if expect == "reply":
            check(f"daemon {name}: answered once", len(got) == 1,
                  (len(got), sorted(sent)))
            for raw in got:
                sink_message(f"daemon {name}", raw)
        else:
            check(f"daemon {name}: no reply", not got, len(got))
            mine = [r for r in rows if r[2] and tag in r[2]] or \
                   [r for r in rows if r[1] and expect in r[1]]
            check(f"daemon {name}: ignored, with the reason",
                  any(r[0] == "ignored" and expect in (r[1] or "")
                      for r in mine), mine)
    check("daemon: no other mail sent",
          sum(len(v) for v in sent.values()) ==
          sum(1 for c in CASES if c[3] == "reply"), sorted(sent))

    # --- the envelope is the one decided, not the stored text ----------
    estate = os.path.join(work, "envelope-state")
    econf = os.path.join(work, "envelope.conf")
    write_conf(econf, estate, h.free_port())	# nothing listens there
    inbox = os.path.join(estate, "inbox")
    kept, old = len(CASES), len(CASES) + 1
    for n in (kept, old):
        data, _ = mail(n)
        h.maildir_deliver(inbox, f"{n}.eml", data)
    r = pc("watch", "--once", conf=econf)
    db = sqlite3.connect(os.path.join(estate, "pullcheck.db"))
    rows = db.execute("SELECT subject, state, reply_rcpts FROM jobs"
                      " ORDER BY id").fetchall()
    check("envelope: with SMTP down, both replies wait in reporting",
          [r[1] for r in rows] == ["reporting", "reporting"], rows)
    check("envelope: stored with each reply, one address a line",
          all(set((r[2] or "").split("\n")) == ENVELOPE for r in rows), rows)
    # What a bug or a hand could leave in the stored text.
    db.execute("UPDATE jobs SET next_attempt_at = 0, reply = replace(reply,"
               " 'To: ann@example.org', 'To: ann@example.org' || char(10) ||"
               " 'Cc: victim@evil.example' || char(10) ||"
               " 'Bcc: hidden@evil.example')")
    db.execute("UPDATE jobs SET reply_rcpts = NULL WHERE subject LIKE ?",
               (f"%(case {old:02d})%",))
    db.commit()
    tampered = db.execute("SELECT count(*) FROM jobs WHERE reply LIKE"
                          " '%victim@evil.example%'").fetchone()[0]
    db.close()
    check("envelope: the stored replies now name victim and hidden",
          tampered == 2, tampered)
    write_conf(econf, estate, sink.port)
    before = sink.files()
    r = pc("watch", "--once", conf=econf)
    new = [f for f in sink.files() if f not in before]
    check("envelope: both replies sent", len(new) == 2, new)
    for f in new:
        msg = email.message_from_bytes(sink.read(f))
        rcpts = {a.strip() for a in (msg["X-RcptTo"] or "").split(",")}
        which = "kept envelope" if f"(case {kept:02d})" in msg["Subject"] \
            else "envelope decided again"
        check(f"envelope ({which}): RCPT TO the sender and the list only",
              rcpts == ENVELOPE, sorted(rcpts))
finally:
    rundir.close(keep=bool(t.failed))

t.exit()
