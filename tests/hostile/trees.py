#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile trees for the checkout, built at test time in a bare repository.

Usage: trees.py GIT_DIR BASE_COMMIT IDS_FILE

Each case is a branch hostile-NAME whose commit has BASE_COMMIT as its
parent and BASE_COMMIT's tree plus (or, for "unsorted", re-ordered with)
one hostile entry. git mktree refuses most of these, so the tree objects
are written byte by byte with `git hash-object -t tree --literally`, as
an attacker would. The victim path every escape aims at is ../victim/
seen from the worktree (the test keeps its worktrees beside "victim").
Appends NAME=COMMIT lines (H_NAME) to IDS_FILE.
"""
import os
import subprocess
import sys

git_dir, base, ids_path = sys.argv[1:4]

BLOB, EXEC, LINK, TREE = b"100644", b"100755", b"120000", b"40000"


ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1",
           GIT_AUTHOR_NAME="Hostile", GIT_AUTHOR_EMAIL="hostile@example.org",
           GIT_AUTHOR_DATE="@1700500000 +0000",
           GIT_COMMITTER_NAME="Hostile",
           GIT_COMMITTER_EMAIL="hostile@example.org",
           GIT_COMMITTER_DATE="@1700500000 +0000")


def git(*args, data=None):
    return subprocess.run(["git", "--git-dir", git_dir, *args], input=data,
                          env=ENV, check=True, capture_output=True).stdout


def write(kind, data, literally=False):
    args = ["hash-object", "-w", "-t", kind, "--stdin"]
    if literally:
        args.append("--literally")
    return git(*args, data=data).strip().decode()


def blob(text):
    return write("blob", text if isinstance(text, bytes) else text.encode())


def git_key(entry):
    mode, name, _ = entry
    return name + b"/" if mode == TREE else name


def tree(entries, keep_order=False):
    """entries: (mode, name bytes, hex id); written as given, no checks."""
    if not keep_order:
        entries = sorted(entries, key=git_key)
    raw = b"".join(mode + b" " + name + b"\0" + bytes.fromhex(oid)
                   for mode, name, oid in entries)
    return write("tree", raw, literally=True)


def read_tree(rev):
    out = []
    for line in git("ls-tree", "-z", rev).split(b"\0"):
        if not line:
            continue
        meta, name = line.split(b"\t", 1)
        mode, _kind, oid = meta.split(b" ")
        out.append((mode, name, oid.decode()))
    return out


def commit(tree_id, message):
    return git("commit-tree", tree_id, "-p", base, "-m", message,
               ).strip().decode()


base_entries = read_tree(base + "^{tree}")
victim = blob("written by a hostile tree\n")


def nest(names, leaf):
    """A chain of trees names[0]/names[1]/.../leaf-entry."""
    entry = leaf
    for name in reversed(names):
        entry = (TREE, name, tree([entry]))
    return entry


CASES = {
    # One entry whose name is a path out of the worktree.
    "slash": [(BLOB, b"../victim/victim.txt", victim)],
    # Trees named ".." down to the victim.
    "dotdot": [nest([b"..", b"victim"], (BLOB, b"victim.txt", victim))],
    "dot": [nest([b"."], (BLOB, b"victim.txt", victim))],
    # Hooks or config in a .git directory, under the names file systems
    # fold to .git.
    "dotgit": [nest([b".git", b"hooks"], (EXEC, b"post-checkout", victim))],
    "dotgit-case": [nest([b".GiT"], (BLOB, b"config", victim))],
    "dotgit-ntfs": [nest([b"git~1"], (BLOB, b"config", victim))],
    "dotgit-dots": [nest([b".git. . "], (BLOB, b"config", victim))],
    "dotgit-hfs": [nest([".g\u200cit".encode()], (BLOB, b"config", victim))],
    # A link "d" to the victim's directory and a directory "d": the same
    # name twice, so that d/victim.txt would be written through the link.
    "duplicate": [(LINK, b"d", blob("../victim")),
                  nest([b"d"], (BLOB, b"victim.txt", victim))],
    "control": [(BLOB, b"esc\x1b[2Jape", victim)],
}


def main():
    lines = []
    for name, extra in CASES.items():
        c = commit(tree(base_entries + extra), "hostile: " + name)
        git("update-ref", "refs/heads/hostile-" + name, c)
        lines.append("H_%s=%s" % (name.replace("-", "_").upper(), c))
    # Not in git's order: the merge with the old tree relies on it.
    rev = list(reversed(sorted(base_entries + [(BLOB, b"zz", victim)],
                               key=git_key)))
    c = commit(tree(rev, keep_order=True), "hostile: unsorted")
    git("update-ref", "refs/heads/hostile-unsorted", c)
    lines.append("H_UNSORTED=%s" % c)
    # A link to the victim's directory, then a directory of that name:
    # each tree is a fair one, and the second must replace the link, not
    # write through it.
    c = commit(tree(base_entries + [(LINK, b"d", blob("../victim"))]),
               "fair: a link d")
    git("update-ref", "refs/heads/link-d", c)
    lines.append("H_LINK_D=%s" % c)
    c = commit(tree(base_entries +
                    [nest([b"d"], (BLOB, b"victim.txt", victim))]),
               "fair: a directory d")
    git("update-ref", "refs/heads/dir-d", c)
    lines.append("H_DIR_D=%s" % c)
    # Sizes: a file of 8 MiB of zeros (a few KB packed), and 40 files of
    # 256 KiB (10 MiB together), for limits of 4 MiB and 8 MiB.
    zeros = blob(b"\0" * (8 << 20))
    c = commit(tree(base_entries + [(BLOB, b"zeros", zeros)]), "big file")
    git("update-ref", "refs/heads/big-file", c)
    lines.append("H_BIG_FILE=%s" % c)
    many = [(BLOB, b"f%02d" % i, blob(b"%02d" % i + b"\0" * (256 << 10)))
            for i in range(40)]
    c = commit(tree(base_entries + [(TREE, b"many", tree(many))]),
               "big tree")
    git("update-ref", "refs/heads/big-tree", c)
    lines.append("H_BIG_TREE=%s" % c)
    with open(ids_path, "a") as f:
        f.write("\n".join(lines) + "\n")


main()
