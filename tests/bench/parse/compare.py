#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""compare.py C.jsonl PY.jsonl [TRUTH]

Holds the two outputs of the parse benchmark side by side: message and
pull request counts, then every message where the C tool and the baseline
disagree on is_pull_request (a few shown), and how many pull requests
differ in a field. With TRUTH (gen_mbox.py's list of the Message-IDs it
wrote as pull requests), also what each side missed or added.

Exit 0 when counts and verdicts agree, 1 otherwise.
"""

import json
import sys

FIELDS = ("repo_url", "fetch_url", "ref", "base_commit", "end_commit",
          "tag_commit", "signed_tag")
SHOW = 5


def load(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"message_id": None, "is_pull_request": False,
                            "reason": "line %d is not JSON" % n})
    return out


def pair(c, p):
    """Messages of both sides, matched by Message-ID (in order) when the
    counts differ, by position when they do not."""
    if len(c) == len(p):
        return list(zip(c, p)), [], []
    byid = {}
    for m in p:
        byid.setdefault(m.get("message_id"), []).append(m)
    pairs, only_c = [], []
    for m in c:
        lst = byid.get(m.get("message_id"))
        if lst:
            pairs.append((m, lst.pop(0)))
        else:
            only_c.append(m)
    only_p = [m for lst in byid.values() for m in lst]
    return pairs, only_c, only_p


def short(m):
    return "%s  %r" % (m.get("message_id"), (m.get("subject") or "")[:60])


def main():
    c, p = load(sys.argv[1]), load(sys.argv[2])
    truth = None
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            truth = set(line.strip() for line in f if line.strip())
    cpr = sum(1 for m in c if m.get("is_pull_request"))
    ppr = sum(1 for m in p if m.get("is_pull_request"))
    ok = len(c) == len(p) and cpr == ppr
    print("  messages:      C %d, Python %d%s" % (
        len(c), len(p), "" if len(c) == len(p) else "   <-- MISMATCH"))
    print("  pull requests: C %d, Python %d%s%s" % (
        cpr, ppr, "" if cpr == ppr else "   <-- MISMATCH",
        "" if truth is None else "  (generator wrote %d)" % len(truth)))
    pairs, only_c, only_p = pair(c, p)
    for side, lst in (("C", only_c), ("Python", only_p)):
        if lst:
            ok = False
            print("  only in %s's output: %d, e.g." % (side, len(lst)))
            for m in lst[:SHOW]:
                print("    " + short(m))
    differ = [(a, b) for a, b in pairs
              if bool(a.get("is_pull_request")) != bool(b.get("is_pull_request"))]
    if differ:
        ok = False
        print("  is_pull_request differs on %d messages, e.g.:" % len(differ))
        for a, b in differ[:SHOW]:
            print("    " + short(a))
            print("      C:      %s %s" % (a.get("is_pull_request"),
                                          a.get("reason") or a.get("repo_url")))
            print("      Python: %s %s" % (b.get("is_pull_request"),
                                          b.get("reason") or b.get("repo_url")))
    both = [(a, b) for a, b in pairs
            if a.get("is_pull_request") and b.get("is_pull_request")]
    for field in FIELDS:
        d = [(a, b) for a, b in both if a.get(field) != b.get(field)]
        if d:
            a, b = d[0]
            print("  %s differs on %d of %d pull requests, e.g. %s: C %r, "
                  "Python %r" % (field, len(d), len(both),
                                 a.get("message_id"), a.get(field),
                                 b.get(field)))
    sha = sum(1 for a, b in pairs
              if a.get("body_sha256") != b.get("body_sha256"))
    if sha:
        print("  body_sha256 differs on %d of %d messages" % (sha, len(pairs)))
    if truth is not None:
        for side, msgs in (("C", c), ("Python", p)):
            found = set(m.get("message_id") for m in msgs
                        if m.get("is_pull_request"))
            missed, extra = truth - found, found - truth
            if missed or extra:
                print("  %s vs generator: missed %d, extra %d%s" % (
                    side, len(missed), len(extra),
                    "" if not missed else ", e.g. missed " +
                    ", ".join(sorted(missed)[:3])))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
