#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""gen_mbox.py OUT SIZE_MB [--seed N]

Writes an mboxrd file of about SIZE_MB MiB that looks like a day on a busy
kernel list: patch series with diffs, cover letters, review replies that
quote the patch, discussion, [GIT PULL] requests in `git request-pull`
shape (about 5% of the messages), replies to pull requests, pr-tracker-bot
acknowledgements, build and fuzzing robot reports, and mails with attached
.patch and .config files (a few of those 1-3 MB, base64). Bodies come in
7bit/8bit, quoted-printable and base64, a few format=flowed, a few
multipart/alternative and PGP-signed. Body lines that begin with "From "
are quoted ">From " (mboxrd).

Same seed and size, same bytes. The file is written one message at a time
(the large attachments in slices), never held in memory.

Next to OUT it writes OUT.truth: the Message-IDs of the mails written as
pull requests, one per line, and the per-kind counts on stderr.
"""

import argparse
import base64
import datetime
import os
import quopri
import random
import re
import sys

MiB = 1024 * 1024

FIRST = ["Marta", "Ilse", "Tomasz", "Priya", "Kenji", "Oluwaseun", "Aurélie",
         "Jürgen", "Sven", "Dmitri", "Lucía", "Wei", "Hannah", "Rafael",
         "Nadia", "Björn", "Chen", "Amara", "Pavel", "Ines", "Grigore",
         "Takeshi", "Zofia", "Emeka", "Linnea", "Mateus", "Yusuf", "Rosa"]
LAST = ["Kovalenko", "Brandauer", "Wiśniewski", "Raman", "Okabe", "Adeyemi",
        "Fournier", "Hößler", "Lindqvist", "Orlov", "Navarro", "Zhang",
        "Becker", "Monteiro", "Haddad", "Ekström", "Liang", "Nwosu",
        "Dvořák", "Carvalho", "Popescu", "Mori", "Nowak", "Eze",
        "Sandberg", "Pereira", "Demir", "Albescu"]
DOMAINS = ["kernel.org", "example.com", "corp.example.net", "lab.example.org",
           "mail.example.de", "silicon.example", "devices.example.jp"]

# (subsystem, list, tree path, source files, symbol prefix)
SUBSYS = [
    ("widget", "linux-widget", "widget", ["drivers/widget/core.c",
     "drivers/widget/qw200.c", "drivers/widget/bus.c",
     "include/linux/widget.h"], "widget"),
    ("net", "netdev", "netdev/net-next", ["net/core/dev.c",
     "net/ipv4/tcp_input.c", "drivers/net/ethernet/acme/acme_main.c",
     "include/net/sock.h"], "acme"),
    ("mm", "linux-mm", "akpm/mm", ["mm/page_alloc.c", "mm/vmscan.c",
     "mm/huge_memory.c", "include/linux/mm.h"], "folio"),
    ("rust", "rust-for-linux", "rust/linux", ["rust/kernel/sync/lock.rs",
     "rust/kernel/alloc.rs", "rust/bindings/bindings_helper.h",
     "drivers/gpu/nova/driver.rs"], "kernel"),
    ("usb", "linux-usb", "gregkh/usb", ["drivers/usb/core/hub.c",
     "drivers/usb/host/xhci-ring.c", "drivers/usb/gadget/udc/core.c"], "usb"),
    ("fs", "linux-fsdevel", "vfs/vfs", ["fs/namei.c", "fs/inode.c",
     "fs/ext4/extents.c", "include/linux/fs.h"], "inode"),
    ("sound", "linux-sound", "tiwai/sound", ["sound/core/pcm_native.c",
     "sound/soc/codecs/wm8904.c", "sound/pci/hda/patch_realtek.c"], "snd"),
    ("pci", "linux-pci", "pci/pci", ["drivers/pci/probe.c",
     "drivers/pci/controller/dwc/pcie-designware.c"], "pci"),
    ("sched", "linux-kernel", "tip/tip", ["kernel/sched/fair.c",
     "kernel/sched/core.c", "kernel/sched/deadline.c"], "sched"),
    ("drm", "dri-devel", "drm/drm", ["drivers/gpu/drm/drm_atomic.c",
     "drivers/gpu/drm/i915/display/intel_dp.c"], "drm"),
]

VERBS = ["fix", "drop", "add", "use", "convert", "rework", "avoid", "move",
         "annotate", "simplify", "document", "handle", "check", "split"]
OBJECTS = ["the unused flush callback", "a race in the probe path",
           "an off-by-one in the ring size", "guard() for the list lock",
           "the error path on allocation failure", "a missing of_node_put()",
           "READ_ONCE() for the state word", "the deprecated helper",
           "kernel-doc for the public API", "a NULL dereference on unbind",
           "the open-coded min()", "refcount_t for the reference",
           "the legacy ioctl", "lockdep annotations", "an overflow check",
           "a 10 µs settle delay after reset", "the naïve retry loop"]

PROSE = [
    "This removes the last user of the old interface, so the helper can go.",
    "The lock was taken twice on the error path; take it once instead.",
    "No functional change intended, it only makes the next patch smaller.",
    "Found by inspection while chasing a different bug on the test rig.",
    "The hardware ignores the upper bits, but the spec says they must be 0.",
    "Keeping the old name around would only confuse the next reader.",
    "This was measured on a 64-core machine; the gain is about 3%.",
    "The comment above the function was wrong since the 5.4 rework.",
    "I have not seen this trigger in practice, but syzkaller could reach it.",
    "Tested on two boards with the vendor firmware and with the open one.",
    "The caller already holds the reference, so the extra get is a leak.",
    "Split out of the larger series as it stands on its own.",
]
# Lines of discussion that happen to start with "From " (quoted as ">From "
# in the mbox) and ones that already start with ">From ".
FROM_LINES = [
    "From what I can tell the timeout is never armed on this path.",
    "From the datasheet, the register is write-once after reset.",
    "From my side this is fine; please carry it in your tree.",
    "From a quick look the same pattern exists in three other drivers.",
]
REPLY = [
    "Looks good to me.", "Thanks, applied to the fixes branch.",
    "Can you say in the changelog why the barrier is needed?",
    "This breaks the build with CONFIG_PM=n, see the robot report.",
    "Nit: the label name does not match what it does anymore.",
    "I would rather keep the check and warn once.",
    "Why not fold this into the previous patch?",
    "Agreed, the second hunk is unrelated and should be its own patch.",
    "I tested this on my board and the warning is gone.",
    "Please resend with the maintainers of the bus on Cc.",
]
CODE = [
    "\tret = {p}_wait_ready(dev, timeout);",
    "\tif (ret)",
    "\t\treturn ret;",
    "\tspin_lock_irqsave(&{p}->lock, flags);",
    "\tspin_unlock_irqrestore(&{p}->lock, flags);",
    "\tlist_for_each_entry(pos, &{p}->list, node) {{",
    "\t}}",
    "\tdev_err(dev, \"failed to map registers: %d\\n\", ret);",
    "\tval = readl({p}->base + REG_STATUS);",
    "\twritel(val | CTRL_EN, {p}->base + REG_CTRL);",
    "\tkfree({p});",
    "\treturn 0;",
    "",
    "static int {p}_probe(struct platform_device *pdev)",
    "{{",
    "}}",
    "\tstruct {p}_priv *priv = dev_get_drvdata(dev);",
    "\tif (!priv)",
    "\t\treturn -ENOMEM;",
    "\tguard(mutex)(&{p}->mutex);",
    "\tfor (i = 0; i < {p}->nr_queues; i++)",
    "\t/* the hardware needs 10us after reset */",
    "\tusleep_range(10, 20);",
    "\tpm_runtime_put_autosuspend(dev);",
]
RUST_CODE = [
    "    let guard = self.lock.lock();",
    "    if len > MAX_LEN {{",
    "        return Err(EINVAL);",
    "    }}",
    "    Ok(())",
    "impl {p}::Driver for NovaDriver {{",
    "    fn probe(pdev: &mut pci::Device) -> Result<Pin<KBox<Self>>> {{",
    "    // SAFETY: the pointer is valid for the lifetime of `self`.",
    "    let data = unsafe {{ &*self.ptr }};",
    "",
]


class Gen:
    def __init__(self, out, seed):
        self.r = random.Random(seed)
        self.out = out
        self.written = 0
        self.n = 0
        self.when = datetime.datetime(2024, 3, 4, 7, 0, 0,
                                      tzinfo=datetime.timezone.utc)
        self.recent = []      # (msgid, subject, author, body lines) to reply to
        self.recent_pulls = []
        self.truth = []
        self.kinds = {}
        self.code = {}
        for s in SUBSYS:
            lines = RUST_CODE if s[0] == "rust" else CODE
            self.code[s[0]] = [l.format(p=s[4]) for l in lines]

    # ---- small pieces

    def sha(self):
        return "%040x" % self.r.getrandbits(160)

    def person(self):
        r = self.r
        first, last = r.choice(FIRST), r.choice(LAST)
        addr = "%s.%s@%s" % (first.lower(), last.lower(), r.choice(DOMAINS))
        addr = addr.encode("ascii", "ignore").decode()  # ü, ł, ... dropped
        return first + " " + last, addr

    def subsys(self):
        return self.r.choice(SUBSYS)

    def summary(self, s):
        r = self.r
        return "%s: %s %s" % (s[0], r.choice(VERBS), r.choice(OBJECTS))

    def paragraph(self, k):
        return " ".join(self.r.choice(PROSE) for _ in range(k))

    def wrap(self, text, width=72):
        out, line = [], ""
        for w in text.split():
            if line and len(line) + 1 + len(w) > width:
                out.append(line)
                line = w
            else:
                line = line + " " + w if line else w
        if line:
            out.append(line)
        return out

    def tick(self):
        self.when += datetime.timedelta(seconds=self.r.randint(1, 90))
        return self.when

    def datehdr(self, when):
        tz = self.r.choice([0, 60, 120, -300, -420, 330, 540, 0])
        t = when.astimezone(datetime.timezone(datetime.timedelta(minutes=tz)))
        return t.strftime("%a, %d %b %Y %H:%M:%S ") + t.strftime("%z")

    def msgid(self, addr):
        self.n += 1
        return "<%s-%06d-%x@%s>" % (self.when.strftime("%Y%m%d%H%M%S"), self.n,
                                    self.r.getrandbits(32),
                                    addr.rsplit("@", 1)[-1])

    @staticmethod
    def addr_hdr(name, addr):
        if name.isascii():
            return "%s <%s>" % (name, addr)
        b = base64.b64encode(name.encode()).decode()
        return "=?UTF-8?B?%s?= <%s>" % (b, addr)

    @staticmethod
    def subj_hdr(subject):
        if subject.isascii():
            return subject
        q = "".join(chr(c) if chr(c).isalnum() and c < 128 or c in b"-+/!*"
                    else "_" if c == 32 else "=%02X" % c
                    for c in subject.encode())
        return "=?UTF-8?Q?%s?=" % q

    # ---- encoding a text body

    def text_part(self, lines, cte=None, charset="UTF-8", flowed=False,
                  extra=""):
        """Headers and encoded body of one text/plain part, as a string."""
        r = self.r
        text = "\n".join(lines) + "\n"
        if charset == "ISO-8859-1":
            cte = "quoted-printable"    # 8-bit Latin-1 would not be UTF-8
        if cte is None:
            x = r.random()
            cte = "quoted-printable" if x < 0.10 else \
                "base64" if x < 0.14 else "8bit"
        if charset == "ISO-8859-1":
            raw = text.encode("latin-1", "replace")
        else:
            raw = text.encode()
        if cte == "8bit" and raw.isascii():
            cte = "7bit"
        ct = "text/plain; charset=%s" % charset
        if flowed:
            ct += "; format=flowed"
        if cte == "quoted-printable":
            body = quopri.encodestring(raw).decode("ascii")
        elif cte == "base64":
            body = base64.encodebytes(raw).decode("ascii")
        else:
            body = text
        return ("Content-Type: %s\nContent-Transfer-Encoding: %s\n%s\n%s"
                % (ct, cte, extra, body))

    def flow(self, lines):
        """format=flowed: long prose lines broken with soft trailing spaces."""
        out = []
        for line in lines:
            if line.startswith(">") or len(line) <= 60:
                out.append(line)
                continue
            words, cur = line.split(" "), ""
            for w in words:
                if cur and len(cur) + len(w) + 1 > 60:
                    out.append(cur + " ")
                    cur = w
                else:
                    cur = cur + " " + w if cur else w
            out.append(cur)
        return out

    # ---- writing

    def write(self, s):
        b = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
        self.out.write(b)
        self.written += len(b)

    def emit(self, kind, headers, body, tail=None):
        """One message: the mboxrd From line, headers, then the body with
        "From " lines quoted. @tail, if given, writes more body (a large
        attachment) straight to the file."""
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.write("From mboxrd@z %s\n" %
                   self.when.strftime("%a %b %e %H:%M:%S %Y"))
        # A single part's body opens with its own Content-Type lines and
        # the blank line; a multipart body opens with the blank line.
        self.write("".join("%s: %s\n" % h for h in headers))
        self.write(re.sub(r"(?m)^(>*From )", r">\1", body))
        if tail:
            tail()
        self.write("\n")

    def std_headers(self, name, addr, subject, msgid, lst, reply_to=None,
                    extra=(), to=None):
        when = self.tick()
        h = [("From", self.addr_hdr(name, addr)),
             ("To", to or "%s@vger.kernel.org" % lst),
             ("Cc", "linux-kernel@vger.kernel.org"),
             ("Subject", self.subj_hdr(subject)),
             ("Date", self.datehdr(when)),
             ("Message-ID", msgid)]
        if reply_to:
            h.append(("In-Reply-To", reply_to))
            h.append(("References", reply_to))
        h.extend(extra)
        h.append(("MIME-Version", "1.0"))
        return h

    def remember(self, msgid, subject, author, lines):
        while subject.startswith("Re: "):
            subject = subject[4:]
        self.recent.append((msgid, subject, author, lines[:80]))
        if len(self.recent) > 64:
            del self.recent[:32]

    # ---- diffs

    def diff(self, s, nfiles, hunk_lines):
        r = self.r
        code = self.code[s[0]]
        out, stat = [], []
        for f in r.sample(s[3], min(nfiles, len(s[3]))):
            ins = dels = 0
            body = []
            for _ in range(r.randint(1, 4)):
                start = r.randint(10, 4000)
                n = r.randint(hunk_lines // 2 + 1, hunk_lines + 1)
                chunk = []
                a = b = 0
                at = r.randrange(len(code))
                for _ in range(n):
                    x = r.random()
                    line = code[at % len(code)]
                    at += 1
                    if x < 0.6:
                        chunk.append(" " + line)
                        a += 1
                        b += 1
                    elif x < 0.8:
                        chunk.append("-" + line)
                        a += 1
                        dels += 1
                    else:
                        chunk.append("+" + line)
                        b += 1
                        ins += 1
                body.append("@@ -%d,%d +%d,%d @@ static int %s_%s(void)"
                            % (start, a, start, b, s[4], r.choice(VERBS)))
                body.extend(chunk)
            out.append("diff --git a/%s b/%s" % (f, f))
            out.append("index %s..%s 100644" % (self.sha()[:12],
                                                 self.sha()[:12]))
            out.append("--- a/%s" % f)
            out.append("+++ b/%s" % f)
            out.extend(body)
            stat.append((f, ins, dels))
        return out, stat

    @staticmethod
    def diffstat(stat):
        w = max(len(f) for f, _, _ in stat)
        lines = [" %-*s | %4d %s" % (w, f, i + d, ("+" * min(i, 30)) +
                                     ("-" * min(d, 30))) for f, i, d in stat]
        ti = sum(i for _, i, _ in stat)
        td = sum(d for _, _, d in stat)
        lines.append(" %d files changed, %d insertions(+), %d deletions(-)"
                     % (len(stat), ti, td))
        return lines

    # ---- kinds of mail

    def patch(self):
        r = self.r
        s = self.subsys()
        name, addr = self.person()
        total = r.randint(1, 12)
        i = r.randint(1, total)
        v = r.choice(["", "", " v2", " v3", " v4", " RFC"])
        subj = "[PATCH%s %d/%d] %s" % (v, i, total, self.summary(s)) \
            if total > 1 else "[PATCH%s] %s" % (v, self.summary(s))
        msgid = self.msgid(addr)
        big = r.random() < 0.05
        d, stat = self.diff(s, r.randint(1, 3) * (4 if big else 1),
                            r.randint(6, 40) * (5 if big else 1))
        lines = self.wrap(self.paragraph(r.randint(1, 4)))
        if r.random() < 0.1:
            lines += ["", r.choice(FROM_LINES)]
        lines += ["", "Fixes: %s (\"%s\")" % (self.sha()[:12], self.summary(s))]
        lines += ["Signed-off-by: %s <%s>" % (name, addr), "---"]
        if r.random() < 0.3:
            lines += ["v2: rebased on -rc3, dropped the unrelated whitespace "
                      "change", ""]
        lines += self.diffstat(stat) + [""] + d + ["-- ", "2.43.0", ""]
        h = self.std_headers(name, addr, subj, msgid, s[1],
                             extra=[("X-Mailer",
                                     "git-send-email 2.43.0")])
        self.remember(msgid, subj, name, lines)
        self.emit("patch", h, self.text_part(lines))

    def cover(self):
        r = self.r
        s = self.subsys()
        name, addr = self.person()
        total = r.randint(2, 12)
        subj = "[PATCH v%d 0/%d] %s: %s" % (r.randint(1, 5), total, s[0],
                                             r.choice(OBJECTS))
        msgid = self.msgid(addr)
        lines = ["Hi,", ""] + self.wrap(self.paragraph(r.randint(3, 8))) + [
            "", "Changes since v1:", " - rebased on next-2024%04d" %
            r.randint(101, 1231), " - %s" % r.choice(REPLY), "",
            "Link to v1: https://lore.kernel.org/r/%s" % msgid.strip("<>"), ""]
        stat = []
        lines.append("%s (%d):" % (name, total))
        for k in range(total):
            lines.append("  %s" % self.summary(s))
            stat.append((r.choice(s[3]), r.randint(1, 80), r.randint(0, 40)))
        lines += [""] + self.diffstat(stat) + ["", "base-commit: " +
                                               self.sha(), "-- ", "2.43.0"]
        h = self.std_headers(name, addr, subj, msgid, s[1])
        self.remember(msgid, subj, name, lines)
        self.emit("cover", h, self.text_part(lines))

    def quote(self, lines, depth=1):
        p = "> " * depth
        return [(p + l).rstrip() if l else p.rstrip() for l in lines]

    def review(self):
        r = self.r
        if not self.recent:
            return self.patch()
        orig_id, orig_subj, orig_name, orig = r.choice(self.recent)
        name, addr = self.person()
        msgid = self.msgid(addr)
        subj = "Re: " + orig_subj
        start = r.randint(0, max(0, len(orig) - 20))
        q = orig[start:start + r.randint(5, 60)]
        lines = ["On %s, %s wrote:" % (self.when.strftime("%a, %b %d, %Y at "
                                                          "%H:%M"), orig_name)]
        lines += self.quote(q[:len(q) // 2])
        lines += [""] + self.wrap(" ".join(r.choice(REPLY)
                                           for _ in range(r.randint(1, 3))))
        if r.random() < 0.15:
            lines += ["", r.choice(FROM_LINES)]
        if r.random() < 0.05:
            lines += ["", ">From the log it looks like the same bug."]
        lines += [""] + self.quote(q[len(q) // 2:])
        lines += [""]
        if r.random() < 0.6:
            lines += ["Reviewed-by: %s <%s>" % (name, addr)]
        elif r.random() < 0.5:
            lines += ["Acked-by: %s <%s>" % (name, addr)]
        lines += ["", "Thanks,", name.split()[0]]
        flowed = r.random() < 0.1
        h = self.std_headers(name, addr, subj, msgid, "linux-kernel",
                             reply_to=orig_id)
        self.remember(msgid, subj, name, lines)
        self.emit("review", h, self.text_part(
            self.flow(lines) if flowed else lines, flowed=flowed))

    def discussion(self):
        r = self.r
        if not self.recent:
            return self.patch()
        orig_id, orig_subj, orig_name, orig = r.choice(self.recent)
        name, addr = self.person()
        msgid = self.msgid(addr)
        lines = ["On %s, %s wrote:" % (self.when.strftime("%Y-%m-%d"),
                                       orig_name)]
        lines += self.quote(self.quote(orig[:r.randint(2, 10)]), 1)
        lines += self.quote(self.wrap(self.paragraph(2)))
        lines += [""] + self.wrap(self.paragraph(r.randint(1, 5)))
        if r.random() < 0.3:
            lines += ["", r.choice(FROM_LINES)]
        lines += ["", name.split()[0]]
        charset = "ISO-8859-1" if r.random() < 0.05 else "UTF-8"
        h = self.std_headers(name, addr, "Re: " + orig_subj, msgid,
                             "linux-kernel", reply_to=orig_id)
        self.remember(msgid, "Re: " + orig_subj, name, lines)
        if r.random() < 0.15:
            # A corporate client: text and HTML alternatives.
            b = "alt-%x" % r.getrandbits(48)
            html = "<html><body><p>%s</p></body></html>\n" % \
                "</p><p>".join(lines)
            body = ("\nThis is a multi-part message in MIME format.\n\n"
                    "--%s\n%s\n--%s\n"
                    "Content-Type: text/html; charset=UTF-8\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n%s\n"
                    "--%s--\n" % (b, self.text_part(lines, charset=charset),
                                  b, quopri.encodestring(html.encode())
                                  .decode(), b))
            h.append(("Content-Type",
                      "multipart/alternative; boundary=\"%s\"" % b))
            self.emit("discussion-html", h, body)
            return
        self.emit("discussion", h, self.text_part(lines, charset=charset))

    def pull_text(self, s, name, addr):
        """The body of a pull request, in one of the shapes people send."""
        r = self.r
        tree = s[2] if "/" in s[2] else "%s/%s" % (addr.split(".")[0], s[2])
        tag = "%s-for-6.%d%s" % (s[0], r.randint(5, 12),
                                 r.choice(["", "", "-rc3", "-2"]))
        ref = r.choice(["tags/" + tag, "tags/" + tag, "tags/" + tag,
                        "for-linus", "for-next", "refs/heads/for-linus",
                        "fixes"])
        host = r.random()
        if host < 0.75:
            url = "%s://git.kernel.org/pub/scm/linux/kernel/git/%s.git" % (
                r.choice(["git", "https"]), tree)
        elif host < 0.85:
            url = "https://github.com/%s/linux.git" % addr.split(".")[0]
        elif host < 0.93:
            url = "ssh://git@gitolite.kernel.org/pub/scm/linux/kernel/git/" \
                  "%s.git" % tree
        else:
            url = "https://gitlab.freedesktop.org/%s/kernel.git" % s[0]
        base, end = self.sha(), self.sha()
        ncommits = r.randint(2, 40)
        shortlog = []
        people = [self.person() for _ in range(r.randint(1, 5))]
        stat = []
        for who, _ in people:
            k = r.randint(1, max(1, ncommits // len(people)))
            shortlog += ["%s (%d):" % (who, k)]
            shortlog += ["      %s" % self.summary(s) for _ in range(k)]
            shortlog += [""]
            stat += [(r.choice(s[3]), r.randint(1, 300), r.randint(0, 200))]
        desc = ["%s updates for 6.%d" % (s[0], r.randint(5, 12)), ""] + \
            ["  - " + self.summary(s) for _ in range(r.randint(2, 8))]
        intro = ["Hi Linus,", ""] + self.wrap(self.paragraph(r.randint(1, 3)))
        shape = r.random()
        signed = ref.startswith("tags/") and r.random() < 0.1
        if shape < 0.7:
            # git request-pull as it is today
            lines = intro + [
                "", "The following changes since commit %s:" % base, "",
                "  Linux 6.%d-rc%d (2024-0%d-%02d 12:18:13 -0800)" % (
                    r.randint(5, 12), r.randint(1, 7), r.randint(1, 9),
                    r.randint(1, 28)), "",
                "are available in the Git repository at:", "",
                "  %s %s" % (url, ref), "",
                "for you to fetch changes up to %s:" % end, "",
                "  %s (2024-03-0%d 16:40:02 +0100)" % (self.summary(s),
                                                       r.randint(1, 9)), ""]
        elif shape < 0.8:
            # the request-pull text of git before 1.7.7
            lines = intro + [
                "", "The following changes since commit %s:" % base,
                "  %s" % self.summary(s), "",
                "are available in the git repository at:",
                "  %s %s" % (url, ref.replace("tags/", "")), ""]
        elif shape < 0.9:
            lines = intro + ["", "Please pull from:", "",
                             "  %s %s" % (url, ref), "",
                             "to get the following changes since commit "
                             "%s" % base[:12], ""]
        else:
            lines = intro + ["", "Please pull from %s %s" % (url, ref), "",
                             "The top commit is %s." % end[:12], ""]
        if signed:
            lines += ["", "tag %s" % tag, "object %s" % end, "type commit",
                      "tag %s" % tag, "tagger %s <%s> 1709563000 +0100"
                      % (name, addr), ""] + desc[:1] + [
                "-----BEGIN PGP SIGNATURE-----", "",
                base64.b64encode(r.randbytes(48)).decode(),
                base64.b64encode(r.randbytes(24)).decode(),
                "-----END PGP SIGNATURE-----", ""]
        lines += ["-" * 64] + desc + ["", "-" * 64] + shortlog + \
            self.diffstat(stat)
        return lines, url, ref

    def pull(self):
        r = self.r
        s = self.subsys()
        name, addr = self.person()
        msgid = self.msgid(addr)
        lines, url, ref = self.pull_text(s, name, addr)
        subj = r.choice(["[GIT PULL] %s updates for 6.%d",
                         "[GIT PULL] %s fixes for 6.%d-rc%d",
                         "[git pull] %s for 6.%d",
                         "[GIT PULL v2] %s changes for v6.%d",
                         "[PULL] %s for 6.%d"]) \
            .replace("%s", s[0], 1)
        subj = subj % tuple(r.randint(5, 9) for _ in range(subj.count("%d")))
        h = self.std_headers(name, addr, subj, msgid, s[1],
                             to="Linus Torvalds "
                             "<torvalds@linux-foundation.org>")
        self.truth.append(msgid)
        self.recent_pulls.append((msgid, subj, name, url, ref, lines))
        if len(self.recent_pulls) > 16:
            del self.recent_pulls[:8]
        x = r.random()
        if x < 0.05:
            # PGP/MIME: the text is the first part of multipart/signed.
            b = "sig-%x" % r.getrandbits(48)
            body = ("\n--%s\n%s\n--%s\n"
                    "Content-Type: application/pgp-signature; "
                    "name=\"signature.asc\"\n\n"
                    "-----BEGIN PGP SIGNATURE-----\n\n%s\n"
                    "-----END PGP SIGNATURE-----\n\n--%s--\n"
                    % (b, self.text_part(lines, cte="7bit"), b,
                       base64.b64encode(r.randbytes(64)).decode(), b))
            h.append(("Content-Type", "multipart/signed; micalg=pgp-sha256; "
                      "protocol=\"application/pgp-signature\"; "
                      "boundary=\"%s\"" % b))
            self.emit("pull-pgpmime", h, body)
            return
        if x < 0.10:
            # Inline clearsigned, dash-escaped.
            lines = ["-----BEGIN PGP SIGNED MESSAGE-----", "Hash: SHA256",
                     ""] + [("- " + l if l.startswith("-") else l)
                            for l in lines] + [
                "-----BEGIN PGP SIGNATURE-----", "",
                base64.b64encode(r.randbytes(64)).decode(),
                "-----END PGP SIGNATURE-----"]
            self.emit("pull-clearsigned", h, self.text_part(lines))
            return
        self.emit("pull", h, self.text_part(lines))

    def pull_reply(self):
        """Replies to a pull request: they quote it and are none."""
        r = self.r
        if not self.recent_pulls:
            return self.review()
        pid, psubj, pname, url, ref, plines = r.choice(self.recent_pulls)
        name, addr = self.person()
        msgid = self.msgid(addr)
        lines = ["On %s, %s wrote:" % (self.when.strftime("%Y-%m-%d"), pname)]
        lines += self.quote(plines[:r.randint(6, min(40, len(plines)))])
        lines += [""] + self.wrap(r.choice([
            "I see a conflict with the %s tree in the header; the resolution "
            "is trivial, I took theirs." % self.subsys()[0],
            "Pulled, but please do not rebase this close to the merge "
            "window again.",
            "This has a commit that is not in linux-next. Why?",
            "Merged into the testing branch; it will go out with the next "
            "batch."]))
        lines += ["", name.split()[0]]
        h = self.std_headers(name, addr, "Re: " + psubj, msgid,
                             "linux-kernel", reply_to=pid)
        self.emit("pull-reply", h, self.text_part(lines))

    def tracker_ack(self):
        r = self.r
        if not self.recent_pulls:
            return self.review()
        pid, psubj, pname, url, ref, plines = r.choice(self.recent_pulls)
        msgid = self.msgid("pr-tracker-bot@kernel.org")
        lines = ["The pull request you sent on %s:" % self.when.strftime(
            "%a, %d %b %Y"), "", "> %s %s" % (url, ref), "",
            "has been merged into torvalds/linux.git:",
            "https://git.kernel.org/torvalds/c/%s" % self.sha(), "",
            "Thanks!", "", "-- ", "Automated note from the pull request "
            "tracker; replies go nowhere."]
        h = self.std_headers("pr-tracker-bot", "pr-tracker-bot@kernel.org",
                             "Re: " + psubj, msgid, "linux-kernel",
                             reply_to=pid)
        self.emit("tracker-ack", h, self.text_part(lines, cte="7bit"))

    def robot(self):
        r = self.r
        s = self.subsys()
        if r.random() < 0.6 and self.recent:
            orig_id, orig_subj, orig_name, orig = r.choice(self.recent)
            msgid = self.msgid("intel.com")
            f = r.choice(s[3])
            lines = ["Hi %s," % orig_name.split()[0], "",
                     "kernel test robot noticed the following build "
                     "warnings:", "",
                     "[auto build test WARNING on %s/master]" % s[0], "",
                     "url:    https://github.com/intel-lab-lkp/linux/commits/"
                     "%s" % self.sha()[:12],
                     "base:   https://git.kernel.org/pub/scm/linux/kernel/git/"
                     "%s.git master" % (s[2] if "/" in s[2] else "x/" + s[2]),
                     "config: x86_64-randconfig-%03d" % r.randint(1, 200),
                     "compiler: clang version 18.1.8", "",
                     "If you fix the issue in a separate patch, please add "
                     "these tags:",
                     "| Reported-by: kernel test robot <lkp@intel.com>",
                     "| Closes: https://lore.kernel.org/oe-kbuild-all/%s/"
                     % msgid.strip("<>"), "",
                     "All warnings (new ones prefixed by >>):", ""]
            for _ in range(r.randint(1, 6)):
                lines.append(">> %s:%d:%d: warning: variable 'ret' set but "
                             "not used [-Wunused-but-set-variable]"
                             % (f, r.randint(10, 3000), r.randint(1, 40)))
                lines += ["     %s" % l for l in r.sample(self.code[s[0]], 4)]
            lines += ["", "-- ", "0-DAY CI Kernel Test Service"]
            h = self.std_headers("kernel test robot", "lkp@intel.com",
                                 "Re: " + orig_subj, msgid, s[1],
                                 reply_to=orig_id)
            self.emit("robot-lkp", h, self.text_part(lines, cte="7bit"))
            return
        tok = "%016x" % r.getrandbits(64)
        msgid = self.msgid("google.com")
        lines = ["Hello,", "", "syzbot found the following issue on:", "",
                 "HEAD commit:    %s Merge tag '%s-6.9-rc1'" % (
                     self.sha()[:12], s[0]),
                 "git tree:       upstream",
                 "console output: https://syzkaller.appspot.com/x/log.txt?"
                 "x=%s" % tok,
                 "dashboard link: https://syzkaller.appspot.com/bug?extid=%s"
                 % tok, "",
                 "IMPORTANT: if you fix the issue, please add this tag to "
                 "the commit:",
                 "Reported-by: syzbot+%s@syzkaller.appspotmail.com" % tok, "",
                 "BUG: KASAN: slab-use-after-free in %s_release" % s[4], ""]
        lines += ["Call Trace:", " <TASK>"] + [
            " %s_%s+0x%x/0x%x" % (s[4], r.choice(VERBS), r.randint(16, 999),
                                  r.randint(1000, 4000))
            for _ in range(r.randint(8, 30))] + [" </TASK>"]
        h = self.std_headers("syzbot", "syzbot+%s@syzkaller.appspotmail.com"
                             % tok, "[syzbot] [%s?] KASAN: slab-use-after-free "
                             "in %s_release" % (s[0], s[4]), msgid, s[1])
        self.emit("robot-syzbot", h, self.text_part(lines, cte="7bit"))

    def attachment(self):
        """Inline text, then attached files; now and then a big .config."""
        r = self.r
        s = self.subsys()
        name, addr = self.person()
        msgid = self.msgid(addr)
        b = "------------%x" % r.getrandbits(80)
        big = r.random() < 0.012
        lines = ["Hi,", ""] + self.wrap(
            "I am seeing a hang on resume with the current -rc; the config "
            "and the patch I am testing are attached. " +
            self.paragraph(r.randint(1, 3))) + ["", "Regards,", name]
        parts = ["\nThis is a multi-part message in MIME format.\n",
                 "--%s\n%s" % (b, self.text_part(lines))]
        d, _ = self.diff(s, r.randint(1, 3), r.randint(10, 60))
        patch = "From %s Mon Sep 17 00:00:00 2001\nFrom: %s <%s>\n" \
            "Subject: [PATCH] %s\n\n---\n%s\n" % (
                self.sha(), name, addr, self.summary(s), "\n".join(d))
        fname = "0001-%s-%s.patch" % (s[0], r.choice(VERBS))
        how = r.random()
        if how < 0.4:
            parts.append("--%s\nContent-Type: text/x-patch; charset=UTF-8; "
                         "name=\"%s\"\nContent-Disposition: attachment; "
                         "filename=\"%s\"\nContent-Transfer-Encoding: "
                         "base64\n\n%s" % (b, fname, fname,
                                           base64.encodebytes(patch.encode())
                                           .decode()))
        elif how < 0.7:
            parts.append("--%s\nContent-Type: text/plain; charset=UTF-8; "
                         "name=\"%s\"\nContent-Disposition: attachment; "
                         "filename=\"%s\"\nContent-Transfer-Encoding: 8bit"
                         "\n\n%s" % (b, fname, fname, patch))
        else:
            # A named inline text part after the body: still an attachment.
            parts.append("--%s\nContent-Type: text/plain; charset=UTF-8; "
                         "name=\"%s\"\nContent-Disposition: inline; "
                         "filename=\"%s\"\n\n%s" % (b, fname, fname, patch))
        if r.random() < 0.5 or big:
            parts.append("--%s\nContent-Type: application/octet-stream; "
                         "name=\"config-6.9.0-rc2\"\nContent-Disposition: "
                         "attachment; filename=\"config-6.9.0-rc2\"\n"
                         "Content-Transfer-Encoding: base64\n\n" % b)
        else:
            parts.append("")
        target = r.randint(1 * MiB, 3 * MiB) if big else \
            r.randint(4 * 1024, 64 * 1024)
        h = self.std_headers(name, addr, "%s: hang on resume since -rc1"
                             % s[0], msgid, s[1])
        h.append(("Content-Type", "multipart/mixed; boundary=\"%s\"" % b))
        body = "\n".join(parts[:-1]) + "\n" + parts[-1]

        def config_tail():
            if parts[-1]:
                self.write_config_b64(target)
            self.write("\n--%s--\n" % b)

        self.emit("attachment-big" if big else "attachment", h, body,
                  tail=config_tail)

    def write_config_b64(self, size):
        """A kernel .config of about @size bytes, base64, in slices."""
        r = self.r
        opts = ["CONFIG_%s_%s" % (s[0].upper(), w.upper()) for s in SUBSYS
                for w in VERBS]
        pending = b""
        done = 0
        while done < size:
            chunk = []
            for _ in range(2000):
                o = r.choice(opts)
                x = r.random()
                chunk.append("%s_%d=y" % (o, r.randint(0, 999)) if x < 0.5
                             else "# %s_%d is not set" % (o, r.randint(0, 999))
                             if x < 0.8 else
                             "%s_%d=%d" % (o, r.randint(0, 999),
                                           r.randint(0, 65536)))
            raw = pending + ("\n".join(chunk) + "\n").encode()
            cut = len(raw) - len(raw) % 57
            self.write(base64.encodebytes(raw[:cut]))
            pending = raw[cut:]
            done += cut
        if pending:
            self.write(base64.encodebytes(pending))

    def one(self):
        x = self.r.random()
        if x < 0.35:
            self.patch()
        elif x < 0.39:
            self.cover()
        elif x < 0.63:
            self.review()
        elif x < 0.74:
            self.discussion()
        elif x < 0.79:
            self.pull()
        elif x < 0.82:
            self.pull_reply()
        elif x < 0.85:
            self.tracker_ack()
        elif x < 0.90:
            self.robot()
        else:
            self.attachment()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("out")
    ap.add_argument("size_mb", type=float)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    target = int(a.size_mb * MiB)
    tmp = a.out + ".tmp"
    with open(tmp, "wb", buffering=1 << 20) as f:
        g = Gen(f, a.seed)
        while g.written < target:
            g.one()
    with open(a.out + ".truth.tmp", "w") as t:
        t.write("".join(m.strip("<>") + "\n" for m in g.truth))
    os.replace(a.out + ".truth.tmp", a.out + ".truth")
    os.replace(tmp, a.out)
    total = sum(g.kinds.values())
    print("%s: %.1f MiB, %d messages, %d pull requests (%s)" % (
        a.out, g.written / MiB, total, len(g.truth),
        ", ".join("%s %d" % kv for kv in sorted(g.kinds.items()))),
        file=sys.stderr)


if __name__ == "__main__":
    main()
