#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""baseline.py MBOX

What `pullcheck parse MBOX` does, written the way one would with nothing
but Python's standard library: mailbox.mbox to split the file, email with
policy=default to parse and decode each message, re for the detector.
One JSON object per message on standard output, with the same fields.

It is the yardstick of the parse benchmark, so it does the same work as
the C tool and no more: the body is the inline text/plain parts (decoded,
format=flowed joined, inline PGP armour removed, mboxrd ">From " undone;
attachments, HTML and forwarded mail skipped), quoted '>' lines do not
count, and the detector follows parsers/pullreq.c phrase by phrase. Where
an idiom of Python is the natural way (a regex substitution over the
whole text instead of a loop over lines) it uses the idiom.
"""

import email
import email.policy
import email.utils
import hashlib
import json
import mailbox
import re
import sys
import urllib.parse

MAX_MESSAGE_BYTES = 10 * 1024 * 1024    # pullcheck's built-in default

F = re.I | re.M
INTRO = re.compile(
    r"available\s+in\s+the\s+git\s+repo(?:sitory)?\s+at"
    r"|git\s+repo(?:sitory)?\s+at\s*:"
    r"|available\s+for\s+pulling"
    r"|(?:is|are)\s+available\s+(?:at|from|in)\b"
    r"|please\s+pull\b"
    r"|pull\s+from\s*:"
    r"|can\s+be\s+(?:found|pulled|fetched)\s+(?:in|from|at)\b", F)
URL = re.compile(
    r"<?((?:git|https?|ssh|git\+ssh|ssh\+git)://[^\s<>\"'`]+"
    r"|[A-Za-z0-9._-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:[^\s<>\"'`]+)", F)
SHA = r"([0-9a-fA-F]{7,64})\b"
BASE = re.compile(r"changes\s+since\s+commit\s+" + SHA +
                  r"|^\s*base\s+sha-?1?\s*:\s*" + SHA, F)
END = re.compile(r"changes\s+up\s+to\s+" + SHA +
                 r"|^\s*head\s+sha-?1?\s*:\s*" + SHA, F)
TAG = re.compile(r"^\s*tag\s+sha-?1?\s*:\s*" + SHA, F)
MERGED = re.compile(r"has\s+been\s+merged\s+into\s+\S+", F)
ROBOT = re.compile(
    r"^\|?\s*reported-by:\s+kernel\s+test\s+robot"
    r"|syzbot\s+(?:found|has\s+found|has\s+tested)"
    r"|^syzbot\s+ci\b"
    r"|kernel\s+test\s+robot\s+noticed", F)
SIGNED_TAG = re.compile(
    r"^object\s+[0-9a-f]{7,64}\s*\n\s*type\s+commit\s*\n"
    r"\s*tag\s+\S+[\s\S]*?^-----BEGIN PGP SIGNATURE-----", F)
PATCH = re.compile(r"^diff\s+--git\s|^@@\s+-\d", F)
PULL_SUBJECT = re.compile(
    r"\[(?:git\s+pull|pull(?:\s+request)?|please\s+pull|git)\b", F)

QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.M)
TRAILING_WS = re.compile(r"[ \t\r\v\f]+$", re.M)
FROM_QUOTE = re.compile(r"^>(>*From )", re.M)
ASCII_WS = " \t\n\r\v\f"
PUNCT = ".,;:)>"
REF_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]*\Z")


# ---- the mail: headers and the text a person wrote

def unflow(text, delsp):
    out = []
    joining = False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if (not joining and line.startswith(" ")) or \
           (joining and line.startswith("  ")):
            line = line[1:]
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        out.append(line)
        if not soft and i + 1 < len(lines):
            out.append("\n")
        joining = soft
    return "".join(out)


class Walk:
    def __init__(self, budget):
        self.parts = []
        self.budget = budget
        self.seen_text = False
        self.too_big = False
        self.pgp_signed = False
        self.last_char = ""


def add_text_part(w, part, params):
    payload = part.get_payload()    # the encoded form, as in the mail
    if len(payload) > w.budget:
        w.too_big = True
        return
    w.budget -= len(payload)
    # What part.get_content() does, without parsing Content-Type again.
    raw = part.get_payload(decode=True)
    try:
        text = raw.decode(params.get("charset") or "ascii", "replace")
    except LookupError:
        text = raw.decode("utf-8", "replace")
    if params.get("format", "").lower() == "flowed":
        text = unflow(text, params.get("delsp", "").lower() == "yes")
    if w.last_char not in ("", "\n"):
        w.parts.append("\n")
        w.last_char = "\n"
    if text:
        w.parts.append(text)
        w.last_char = text[-1]


def walk(w, part):
    # Each header is parsed once: with policy=default every get_content_*()
    # and get_param() call parses Content-Type anew.
    ct = part.get("content-type")
    if ct is None:
        ctype, params = part.get_default_type(), {}
    else:
        ctype, params = ct.content_type, ct.params
    if ctype == "multipart/signed":
        w.pgp_signed = True
        sub = part.get_payload()
        if isinstance(sub, list) and sub:
            walk(w, sub[0])
        return
    if ctype.startswith("multipart/") and part.is_multipart():
        alternative = ctype == "multipart/alternative"
        for sub in part.get_payload():
            before = w.seen_text
            walk(w, sub)
            if alternative and not before and w.seen_text:
                break
        return
    # message/rfc822 is forwarded mail, not this mail's text.
    if ctype != "text/plain" or part.is_multipart():
        return
    cd = part.get("content-disposition")
    if cd is not None and cd.content_disposition == "attachment":
        return
    if w.seen_text and ((cd is not None and "filename" in cd.params) or
                        "name" in params):
        return
    w.seen_text = True
    add_text_part(w, part, params)


ARMOUR = re.compile(r"^-----BEGIN PGP SIGNED MESSAGE-----[ \t\r]*$", re.M)


def strip_inline_pgp(text):
    if not ARMOUR.search(text):
        return text, False
    out = []
    state = "outside"
    lines = text.split("\n")
    last = lines.pop()     # what follows the last newline, maybe ""
    lines = [l + "\n" for l in lines] + ([last] if last else [])
    for line in lines:
        bare = line.rstrip(" \t\r\n")
        if state == "outside":
            if bare == "-----BEGIN PGP SIGNED MESSAGE-----":
                state = "headers"
            else:
                out.append(line)
        elif state == "headers":
            if bare == "":
                state = "signed"
        elif state == "signed":
            if bare == "-----BEGIN PGP SIGNATURE-----":
                state = "signature"
            else:
                out.append(line[2:] if line.startswith("- ") else line)
        elif bare == "-----END PGP SIGNATURE-----":
            state = "outside"
    return "".join(out), True


def clean_msgid(raw):
    if raw is None:
        return None
    s = str(raw).strip(ASCII_WS)
    if not s:
        return None
    if len(s) > 2 and s[0] == "<" and s[-1] == ">":
        return s[1:-1]
    return s


def nonempty(value):
    if value is None:
        return None
    s = str(value).strip(ASCII_WS)
    return s or None


def read_mail(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    mail = {"message_id": clean_msgid(msg.get("message-id")),
            "subject": nonempty(msg.get("subject")),
            "from": None, "from_addr": None, "date": None,
            "body": None, "sha": None}
    frm = msg.get("from")
    if frm is not None:
        mail["from"] = nonempty(frm)
        try:
            addrs = frm.addresses
        except AttributeError:
            addrs = ()
        if addrs and addrs[0].addr_spec:
            mail["from_addr"] = addrs[0].addr_spec.lower()
    date = msg.get("date")
    if date is not None:
        dt = getattr(date, "datetime", None)
        if dt is not None:
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=email.utils.timezone.utc)
            mail["date"] = dt.isoformat()
    return msg, mail


def read_body(msg, mail, budget):
    w = Walk(budget)
    walk(w, msg)
    if w.too_big:
        return "its text is over the cap of %d bytes" % budget
    body = "".join(w.parts).replace("\r\n", "\n")
    body = FROM_QUOTE.sub(r"\1", body)
    body, _ = strip_inline_pgp(body)
    mail["body"] = body
    mail["sha"] = hashlib.sha256(body.encode("utf-8", "surrogatepass")) \
        .hexdigest()
    return None


# ---- the detector (parsers/pullreq.c)

def clean_text(body):
    """Quoted lines blank, trailing blanks gone, every line ends in \\n."""
    text = TRAILING_WS.sub("", QUOTED_LINE.sub("", body))
    if text and not text.endswith("\n"):
        text += "\n"
    return text


def quoted_text(body):
    """Only what the quoted lines said, unquoted."""
    out = []
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        s = line.lstrip(" \t")
        if s.startswith(">"):
            out.append(s.lstrip("> ").rstrip(ASCII_WS))
        out.append("\n")
    return "".join(out)


def strip_punct(s):
    return s.rstrip(PUNCT)


def wrapped_ref(text, at):
    end = text.find("\n", at)
    if end < 0:
        end = len(text)
    line = text[at:end].strip(ASCII_WS)
    if not line or " " in line or "\t" in line:
        return None
    token = strip_punct(line)
    if not REF_CHARS.match(token):
        return None
    if end < len(text) and end + 1 < len(text) and text[end + 1] != "\n":
        return None
    if token.isascii() and token.isalpha() and token[0].isupper():
        return None
    return token


def leads_to_url(gap):
    gap = gap.strip(ASCII_WS)
    low = gap.lower()
    return (not gap or gap.endswith(":") or gap.endswith(" from") or
            low == "from" or gap.endswith(" at") or low == "at" or
            gap.endswith(" here"))


def read_url_line(text, at, url_line, pr):
    end = text.find("\n", at)
    if end < 0:
        end = len(text)
    while at < end and text[at] in " \t":
        at += 1
    m = (URL.match if url_line else URL.search)(text, at, end)
    if not m:
        return False
    if not url_line and not leads_to_url(text[at:m.start()]):
        return False
    gs, ge = m.span(1)
    url = strip_punct(m.group(1))
    pr["repo_url"] = url
    if len(url) != ge - gs and text[gs + len(url)] != ">":
        return True
    rest = text[ge:end].strip(ASCII_WS)
    if rest.startswith(">"):
        rest = rest[1:].strip(ASCII_WS)
    words = re.split(r"[ \t]", rest)
    if rest and (url_line or len(words) == 1):
        pr["ref"] = strip_punct(words[0]) or None
    elif not rest and end < len(text) and text[end + 1:end + 2] != "\n":
        pr["ref"] = wrapped_ref(text, end + 1)
    return True


def next_nonblank_line(text, at):
    pos = text.find("\n", at)
    if pos < 0:
        return -1
    for _ in range(4):
        pos += 1
        if pos >= len(text):
            return -1
        if text[pos] != "\n":
            return pos
    return -1


def find_request(text, pr):
    pos = 0
    while pos < len(text):
        m = INTRO.search(text, pos)
        if not m:
            return False
        if read_url_line(text, m.end(), False, pr):
            return True
        nxt = next_nonblank_line(text, m.end())
        if nxt >= 0 and read_url_line(text, nxt, True, pr):
            return True
        pos = m.end()
    return False


def https_for_ssh(host, path):
    path = path.lstrip("/")
    host = host.lower()
    if host in ("git.kernel.org", "gitolite.kernel.org"):
        if not path.startswith("pub/scm/"):
            return None, ("kernel.org push URL with a path outside "
                          "/pub/scm: %s" % path)
        return "https://git.kernel.org/" + path, None
    if host in ("github.com", "gitlab.com"):
        return "https://%s/%s" % (host, path), None
    return None, ("the ssh URL on %s has no anonymous equivalent pullcheck "
                  "knows" % host)


def fetch_url(url):
    low = url.lower()
    if low.startswith(("git://", "http://", "https://")):
        u = urllib.parse.urlsplit(url)
        if not u.hostname:
            return None, "not a valid URL: " + url
        path = u.path
        while len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if not path or path == "/":
            return None, "the URL names no repository: " + url
        netloc = u.hostname + (":%d" % u.port if u.port else "")
        return urllib.parse.urlunsplit((u.scheme, netloc, path, u.query,
                                        "")), None
    if low.startswith(("ssh://", "git+ssh://", "ssh+git://")):
        u = urllib.parse.urlsplit("ssh" + url[url.index("://"):])
        if not u.hostname:
            return None, "not a valid URL: " + url
        return https_for_ssh(u.hostname, u.path)
    if "://" not in url:
        at, colon = url.find("@"), url.find(":")
        if at < 0 or colon < at:
            return None, "not a valid URL: " + url
        return https_for_ssh(url[at + 1:colon], url[colon + 1:])
    return None, "not a URL pullcheck can fetch: " + url


def first_group_lower(rx, text):
    m = rx.search(text)
    if not m:
        return None
    for g in m.groups():
        if g is not None:
            return g.lower()
    return None


def why_not(mail, text):
    if PATCH.search(text):
        return "a patch, not a pull request"
    if ">" in mail["body"] and find_request(quoted_text(mail["body"]), {}):
        return ("a reply that only quotes a pull request (quoted lines do "
                "not count)")
    if mail["subject"] and PULL_SUBJECT.search(mail["subject"]):
        return ("the subject says pull request, but the body names no "
                "repository to pull from")
    return "no pull request in the body: no repository URL after a request " \
           "to pull"


def is_robot_sender(addr):
    return addr is not None and (addr == "lkp@intel.com" or
                                 addr.startswith(("syzbot+", "syzbot@")))


def detect(mail, pr):
    text = clean_text(mail["body"])
    if MERGED.search(text):
        pr["reason"] = ('a merge acknowledgement ("has been merged into"), '
                        'not a pull request')
        return
    if ROBOT.search(text) or is_robot_sender(mail["from_addr"]):
        pr["reason"] = ("a report from a build or fuzzing robot, not a pull "
                        "request")
        return
    if not find_request(text, pr):
        pr["repo_url"] = pr["ref"] = None
        pr["reason"] = why_not(mail, text)
        return
    pr["is_pull_request"] = True
    pr["fetch_url"], pr["reason"] = fetch_url(pr["repo_url"])
    pr["base_commit"] = first_group_lower(BASE, text)
    pr["end_commit"] = first_group_lower(END, text)
    pr["tag_commit"] = first_group_lower(TAG, text)
    if pr["ref"] and pr["ref"].startswith("refs/heads/"):
        pr["signed_tag"] = False
    elif SIGNED_TAG.search(text):
        pr["signed_tag"] = True


def parse_one(path, raw):
    msg, mail = read_mail(raw)
    pr = {"is_pull_request": False, "reason": None, "repo_url": None,
          "fetch_url": None, "ref": None, "base_commit": None,
          "end_commit": None, "tag_commit": None, "signed_tag": None}
    if len(raw) > MAX_MESSAGE_BYTES:
        pr["reason"] = ("the message is %d bytes, over the cap of %d "
                        "(max_message_bytes)" % (len(raw), MAX_MESSAGE_BYTES))
    else:
        why = read_body(msg, mail, MAX_MESSAGE_BYTES)
        if why:
            pr["reason"] = why
        else:
            detect(mail, pr)
    return {"file": path, "message_id": mail["message_id"],
            "subject": mail["subject"], "from": mail["from"],
            "date": mail["date"], **pr, "body_sha256": mail["sha"]}


def main():
    if len(sys.argv) != 2:
        print("usage: baseline.py MBOX", file=sys.stderr)
        return 2
    path = sys.argv[1]
    box = mailbox.mbox(path, create=False)
    out = sys.stdout
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        try:
            obj = parse_one(path, raw)
        except Exception as e:      # report it, as the C tool would, and go on
            print("baseline.py: message %d: %r" % (key, e), file=sys.stderr)
            obj = {"file": path, "message_id": None, "subject": None,
                   "from": None, "date": None, "is_pull_request": False,
                   "reason": "baseline.py failed: %r" % e}
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
