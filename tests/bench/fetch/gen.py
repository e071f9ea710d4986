#!/usr/bin/python3
"""Writes a git fast-import stream: a synthetic "mainline" on
refs/heads/master and a 50-commit pull request on refs/heads/for-linus
that forks from mainline a few commits before its tip, as a maintainer's
branch does. Deterministic for a given seed.

Usage: gen.py [--commits N] [--files N] [--pr N] [--seed S] | git fast-import
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
    a = ap.parse_args()
    rng = random.Random(a.seed)

    files = {}
    for i in range(a.files):
        path = "dir%02d/file%04d.c" % (i % 40, i)
        files[path] = b"\n".join(b"/* %s line %d %d */" % (path.encode(), n,
                                 rng.getrandbits(24)) for n in range(60))
    paths = sorted(files)
    when = 1600000000
    commit("refs/heads/master", 1, None, when, "initial\n",
           sorted(files.items()))
    fork_state = None
    fork = a.commits - a.fork_back
    for n in range(2, a.commits + 1):
        when += 600
        changes = []
        for path in rng.sample(paths, 2):
            files[path] = edit(rng, files[path])
            changes.append((path, files[path]))
        commit("refs/heads/master", n, n - 1, when, "mainline %d\n" % n,
               changes)
        if n == fork:
            fork_state = dict(files)

    files = fork_state
    parent = fork
    for k in range(a.pr):
        when += 60
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


if __name__ == "__main__":
    main()
