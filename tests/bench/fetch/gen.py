#!/usr/bin/python3
"""Writes a git fast-import stream: a synthetic "mainline" on
refs/heads/master and a 50-commit pull request on refs/heads/for-linus
that forks from mainline a few commits before its tip, as a maintainer's
branch does. Deterministic for a given seed.

With --layout tree the files sit in a tree shaped like the kernel's
(20 top-level directories, 25 below each, 10 below those: 5,000
directories of about 16 files, 40 to 200 lines each) and each mainline
commit changes one to three of them: the shape the scale benchmark
(scale.sh) needs, 200,000 commits over 80,000 files. --ahead N adds
refs/heads/ahead, N more mainline commits on top of master, for a
refresh.

Usage: gen.py [--commits N] [--files N] [--pr N] [--seed S]
              [--layout flat|tree] [--ahead N] | git fast-import
"""
import argparse
import random
import sys

out = sys.stdout.buffer


def data(blob):
    out.write(b"data %d\n" % len(blob))
    out.write(blob)
    out.write(b"\n")


def commit(ref, mark, parent, when, msg, changes):
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    who = b"Bench Author <bench@example.org> %d +0000\n" % when
    out.write(b"author " + who + b"committer " + who)
    data(msg.encode())
    if parent:
        out.write(b"from :%d\n" % parent)
    for path, blob in changes:
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(blob)


def edit(rng, text):
    lines = text.split(b"\n")
    i = rng.randrange(len(lines))
    lines[i] = b"changed %d %s" % (rng.getrandbits(32), lines[i][:40])
    return b"\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=3000)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--pr", type=int, default=50)
    ap.add_argument("--fork-back", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--layout", choices=("flat", "tree"), default="flat")
    ap.add_argument("--ahead", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    files = {}
    for i in range(a.files):
        if a.layout == "flat":
            path = "dir%02d/file%04d.c" % (i % 40, i)
            lines = 60
        else:
            d = i % 5000
            path = "d%02d/s%02d/t%d/file%05d.c" % (d % 20, d // 20 % 25,
                                                   d // 500, i)
            lines = rng.randint(40, 200)
        files[path] = b"\n".join(b"/* %s line %d %d */" % (path.encode(), n,
                                 rng.getrandbits(24)) for n in range(lines))
    paths = sorted(files)
    touch = (lambda: 2) if a.layout == "flat" else (lambda: rng.randint(1, 3))
    when = 1600000000
    commit("refs/heads/master", 1, None, when, "initial\n",
           sorted(files.items()))
    fork_state = None
    fork = a.commits - a.fork_back
    for n in range(2, a.commits + 1):
        when += 600
        changes = []
        for path in rng.sample(paths, touch()):
            files[path] = edit(rng, files[path])
            changes.append((path, files[path]))
        commit("refs/heads/master", n, n - 1, when, "mainline %d\n" % n,
               changes)
        if n == fork:
            fork_state = dict(files)

    # Marks: mainline 1..commits, the pull request after it, then ahead.
    ahead_files = files
    files = fork_state
    parent = fork
    pr_when = when
    for k in range(a.pr):
        pr_when += 60
        when = pr_when
        mark = a.commits + 1 + k
        changes = []
        for path in rng.sample(paths, rng.randint(1, 3)):
            files[path] = edit(rng, files[path])
            changes.append((path, files[path]))
        if k % 5 == 0:
            path = "drivers/new/file%02d.c" % k
            files[path] = b"new file %d\n" % k * 50
            changes.append((path, files[path]))
        commit("refs/heads/for-linus", mark, parent, when,
               "pr commit %d\n" % k, changes)
        parent = mark

    files = ahead_files
    parent = a.commits
    for k in range(a.ahead):
        pr_when += 600
        mark = a.commits + a.pr + 1 + k
        changes = []
        for path in rng.sample(paths, touch()):
            files[path] = edit(rng, files[path])
            changes.append((path, files[path]))
        commit("refs/heads/ahead", mark, parent, pr_when,
               "mainline %d\n" % (a.commits + 1 + k), changes)
        parent = mark


if __name__ == "__main__":
    main()
