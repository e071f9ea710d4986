#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""maintain.py PULLCHECK: the upkeep of the state directory, for real.

Real repositories served by a real `git daemon` on loopback, pull
requests written by real `git request-pull`, `pullcheck watch --once`
working them from a Maildir into a Maildir outbox with real builds
([build] recipe = command: make and cc in the sandbox), and the real
`pullcheck maintain` on what they leave:

  1. a job that ends deletes its refs from the object store (the objects
     stay until the gc);
  2. a job killed after its fetch keeps them (it runs again), and
     maintain keeps the refs of open jobs; once it ends they go;
  3. maintain sweeps refs a crash left for finished jobs, and git gc
     drops what no ref reaches; the store still fetches afterwards;
  4. raw mails and build logs of jobs finished more than [pullcheck]
     retention days ago go; their rows, verdicts and replies stay;
  5. maintain waits for the store's lock, as a fetch does;
  6. maintain refuses to run as another user than the state's owner;
  7. the disk guard: with less free than [pullcheck] min_free_space a
     job waits in failed-infra (not a try) and status says why, on the
     state directory's file system and on a real, small tmpfs for the
     cache.

Exits 77 when a tool is missing, 1 when a check failed.
"""
import fcntl
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import pcharness as h  # noqa: E402
from pcharness import run  # noqa: E402

PC = os.path.realpath(sys.argv[1])

t = h.Tally()
check = t.check
h.need(tools=("git", "bwrap", "cc", "make"))

rundir = h.RunDir("pc-maintain-", mode=0o755)
work = rundir.dir
state = os.path.join(work, "state")
cache = os.path.join(work, "cache")
store = os.path.join(state, "git")
conf_path = os.path.join(work, "pullcheck.conf")

repos = h.Repos(work, {
    "Makefile": "all:\n"
                "\tcc -Wall -Werror -c -o $(OUT)/widget.o $(CURDIR)/widget.c\n",
    "widget.c": "int widget(void)\n{\n\treturn 1;\n}\n",
}, "widget: start")
for name in ("one", "two", "three", "four", "five"):
    repos.branch(name, "widget.c",
                 f"int widget(void)\n{{\n\treturn {len(name)};\n}}\n"
                 f"int {name}(void)\n{{\n\treturn 0;\n}}\n")
run("git", "checkout", "-q", "master", cwd=repos.maint)
repos.publish(repos.maint, "maint.git")


def write_conf(min_free="1M", cache_dir=cache):
    with open(conf_path, "w") as f:
        f.write(f"""[pullcheck]
state_dir = {state}
retention = 1
min_free_space = {min_free}
[fetch]
mainline_url = {git.url("mainline.git")}
allow_urls = git://127.0.0.1:{git.port}/;
timeout = 60
[build]
recipe = command
command = make;-C;/tmp/src
cache_dir = {cache_dir}
timeout = 120
retries = 3
retry_delay = 1
[reply]
from = pullcheck <pullcheck@checker.example.org>
""")


def deliver(name):
    mid = f"{name}@example.org"
    pull = repos.request_pull(git.url("maint.git"), f"{name}-tag")
    h.maildir_deliver(os.path.join(state, "inbox"), name,
                      h.pull_mail(mid, f"[GIT PULL] widget {name}", pull))
    return mid


def watch_once(env=None, argv_prefix=()):
    p = subprocess.run(list(argv_prefix) + [PC, "watch", "--once", "--config",
                                            conf_path],
                       env=env, capture_output=True, text=True, timeout=300)
    if h.sanitizer_report(p.stderr):
        check("watch: no sanitizer report", False, p.stderr[-3000:])
    return p


def maintain(*args):
    p = subprocess.run([PC, "maintain", "--config", conf_path, *args],
                       capture_output=True, text=True, timeout=300)
    if h.sanitizer_report(p.stderr):
        check("maintain: no sanitizer report", False, p.stderr[-3000:])
    return p


def maintain_json(*args):
    p = maintain("--json", *args)
    try:
        return p, json.loads(p.stdout)
    except ValueError:
        return p, None


def git_store(*args):
    return subprocess.run(["git", f"--git-dir={store}", *args],
                          capture_output=True, text=True)


def refs(prefix="refs/pullcheck/"):
    return git_store("for-each-ref", "--format=%(refname)",
                     prefix).stdout.split()


def job_refs():
    return [r for r in refs() if not r.startswith("refs/pullcheck/mainline/")]


def has_object(oid):
    return git_store("cat-file", "-e", oid).returncode == 0


def job(mid):
    return h.job(state, f"{mid}")


def key_of(mid):
    """The job key pullcheck uses for refs and logs (result.c)."""
    j = job(mid)
    if j["result_json"]:
        return json.loads(j["result_json"])["job"]
    text = f"{j['message_id']}\n{j['body_sha256']}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sql(query, args=()):
    db = sqlite3.connect(os.path.join(state, "pullcheck.db"), timeout=10)
    db.execute(query, args)
    db.commit()
    db.close()


def outbox():
    d = os.path.join(state, "outbox", "new")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


try:
    git = rundir.start(h.GitDaemon(repos.srv))
    write_conf()

    # 1. A job that ends deletes its refs; its objects stay until the gc.
    one = deliver("one")
    p = watch_once()
    check("one: replied", (job(one) or {"state": None})["state"] == "replied",
          p.stderr[-2000:])
    check("one: a pass", (job(one) or {"verdict": None})["verdict"] == "pass",
          p.stderr[-2000:])
    check("one: mainline's refs are there",
          git_store("rev-parse", "--verify", "-q",
                    "refs/pullcheck/mainline/HEAD").returncode == 0, refs())
    check("one: no job ref left when the job ended", job_refs() == [],
          job_refs())
    one_tip = repos.rev("one")
    check("one: its objects stay until the gc", has_object(one_tip))

    # 2. Killed after its fetch (state building committed): the refs
    # stay for the run that starts again, and maintain keeps them.
    two = deliver("two")
    env = dict(os.environ, PULLCHECK_TEST_STOP_AT="building")
    p = watch_once(env=env)
    two_key = key_of(two)
    check("two: killed in building", job(two)["state"] == "building",
          job(two)["state"])
    check("two: its refs are there after the crash",
          any(r.startswith(f"refs/pullcheck/{two_key}/") for r in job_refs()),
          job_refs())

    # 3. A crash's leftover: refs of a job that is no longer in the
    # store's open jobs (an unknown key), on a commit nothing else has.
    orphan_key = "00112233445566aa"
    run("git", "commit", "-q", "--allow-empty", "-m", "orphan", cwd=repos.maint)
    orphan_tip = repos.rev("HEAD")
    r = git_store("fetch", "-q", "--no-tags", "--no-write-fetch-head",
                  repos.maint,
                  f"HEAD:refs/pullcheck/{orphan_key}/remote/heads/x")
    check("orphan: planted", r.returncode == 0 and has_object(orphan_tip),
          r.stderr)
    # A name not shaped like a job key is not maintain's to delete.
    r = git_store("update-ref", "refs/pullcheck/not-a-job/x", one_tip)
    run("git", "reset", "-q", "--hard", "HEAD~1", cwd=repos.maint)

    p, m = maintain_json()
    check("maintain: exit 0", p.returncode == 0, p.stderr[-2000:])
    check("maintain: JSON", m is not None, p.stdout[-2000:])
    m = m or {"object_store": {}, "job_store": {}, "logs": {}}
    o = m["object_store"]
    check("maintain: one finished job's refs deleted",
          o.get("jobs_pruned") == 1 and o.get("refs_deleted") == 1, o)
    check("maintain: the open job's refs kept", o.get("jobs_kept") == 1, o)
    check("maintain: the orphan ref is gone",
          not any(orphan_key in r for r in refs()), refs())
    check("maintain: the open job's refs are still there",
          any(r.startswith(f"refs/pullcheck/{two_key}/") for r in refs()),
          refs())
    check("maintain: a ref not shaped like a job's stays",
          "refs/pullcheck/not-a-job/x" in refs(), refs())
    check("maintain: mainline stays",
          git_store("rev-parse", "--verify", "-q",
                    "refs/pullcheck/mainline/HEAD").returncode == 0)
    check("gc: the orphan's commit is gone", not has_object(orphan_tip))
    check("gc: the store is whole", git_store("fsck", "--no-progress")
          .returncode == 0, git_store("fsck").stderr[-1000:])
    check("maintain: the store is smaller",
          0 < o.get("bytes_after", 0) < o.get("bytes_before", 0), o)
    check("maintain: bytes_reclaimed adds up",
          m.get("bytes_reclaimed") ==
          (o.get("bytes_before", 0) - o.get("bytes_after", 0)) +
          (m["job_store"].get("bytes_before", 0) -
           m["job_store"].get("bytes_after", 0)) + m["logs"].get("bytes", 0),
          m)
    git_store("update-ref", "-d", "refs/pullcheck/not-a-job/x")

    # The crashed job runs again from its refs and ends: they go.
    p = watch_once()
    check("two: replied after the restart", job(two)["state"] == "replied",
          p.stderr[-2000:])
    check("two: its refs went when it ended", job_refs() == [], job_refs())
    # After the gc the store serves the next job as before.
    three = deliver("three")
    p = watch_once()
    check("three: a pass on the gc'd store",
          job(three)["verdict"] == "pass" and job(three)["state"] == "replied",
          p.stderr[-2000:])
    p, m = maintain_json()
    check("gc: one's objects are gone once nothing reaches them",
          p.returncode == 0 and not has_object(one_tip), p.stderr[-1000:])

    # 4. Retention: one and two finished two days ago (retention = 1).
    old = int(time.time()) - 2 * 86400
    for mid in (one, two):
        sql("UPDATE jobs SET updated_at = ? WHERE message_id = ?", (old, mid))
    logs = {mid: os.path.join(cache, "logs", key_of(mid) + ".log")
            for mid in (one, two, three)}
    check("logs: each job has its build log",
          all(os.path.isfile(p) for p in logs.values()), logs)
    for mid in (one, two):
        os.utime(logs[mid], (old, old))
    # A file in the logs directory that is not a job's log stays.
    stray = os.path.join(cache, "logs", "notes.log")
    with open(stray, "w") as f:
        f.write("the operator's\n")
    os.utime(stray, (old, old))
    p, m = maintain_json()
    m = m or {"job_store": {}, "logs": {}}
    check("retention: exit 0", p.returncode == 0, p.stderr[-2000:])
    check("retention: two raw mails dropped",
          m["job_store"].get("raw_mails_dropped") == 2, m)
    check("retention: their rows, verdicts and replies stay",
          all(job(mid)["verdict"] == "pass" and job(mid)["reply"] and
              job(mid)["state"] == "replied" for mid in (one, two)))
    check("retention: their mails are gone",
          all(job(mid)["raw"] is None for mid in (one, two)))
    check("retention: a recent job keeps its mail",
          job(three)["raw"] is not None)
    check("retention: two logs removed", m["logs"].get("removed") == 2, m)
    check("retention: their logs are gone, the recent one's stays",
          not os.path.exists(logs[one]) and not os.path.exists(logs[two]) and
          os.path.isfile(logs[three]))
    check("retention: a file not named like a job's log stays",
          os.path.isfile(stray))
    st = subprocess.run([PC, "status", "--config", conf_path],
                        capture_output=True, text=True)
    check("retention: status still reads the store", st.returncode == 0,
          st.stderr)
    text = maintain()
    check("maintain: the terminal report says what it did",
          text.returncode == 0 and "job refs: 0 deleted" in text.stdout and
          "raw mails of jobs finished before" in text.stdout and
          "reclaimed " in text.stdout, text.stdout + text.stderr)

    # 5. The store's lock: maintain waits for a fetch that holds it.
    lock = open(store + ".lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    p = maintain("--wait", "1")
    check("lock: held, maintain --wait 1 gives up", p.returncode == 1 and
          "stayed in use" in p.stderr, p.stderr)
    waiting = subprocess.Popen([PC, "maintain", "--config", conf_path,
                                "--wait", "60"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    rundir.track(waiting)
    time.sleep(2)
    check("lock: maintain waits while it is held", waiting.poll() is None)
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    out, err = waiting.communicate(timeout=120)
    check("lock: and runs once it is let go", waiting.returncode == 0, err)

    # 6. Run as another user than the state's owner: refused.
    os.chown(state, 65534, 65534)
    p = maintain()
    os.chown(state, 0, 0)
    check("owner: refused", p.returncode == 1 and "run maintain as its owner"
          in p.stderr, p.stderr)

    # 7. The disk guard. More than the state's file system has free: the
    # job waits, fetches nothing, is not counted as a try.
    write_conf(min_free="500000G")
    four = deliver("four")
    sent = len(outbox())
    p = watch_once()
    j = job(four)
    check("guard: the job waits in failed-infra", j["state"] == "failed-infra",
          (j["state"], p.stderr[-2000:]))
    check("guard: the reason names the state directory and the key",
          "waiting for disk space" in (j["reason"] or "") and
          f"the state directory {state}" in (j["reason"] or "") and
          "min_free_space" in (j["reason"] or ""), j["reason"])
    check("guard: not counted as a try", j["attempts"] == 0, j["attempts"])
    check("guard: nothing fetched", job_refs() == [], job_refs())
    check("guard: no reply", len(outbox()) == sent)
    st = subprocess.run([PC, "status", "--config", conf_path],
                        capture_output=True, text=True)
    check("guard: status says why", "waiting for disk space" in st.stdout,
          st.stdout[-2000:])
    write_conf()
    time.sleep(1.5)	# retry_delay
    p = watch_once()
    check("guard: with room again the job runs and passes",
          job(four)["state"] == "replied" and job(four)["verdict"] == "pass",
          p.stderr[-2000:])

    # The cache on a real 8 MiB tmpfs (a mount namespace of its own,
    # root): with min_free_space = 16M the cache is what is short.
    if os.geteuid() == 0 and h.shutil.which("unshare"):
        small = os.path.join(work, "small-cache")
        os.makedirs(small)
        write_conf(min_free="16M", cache_dir=small)
        five = deliver("five")
        p = watch_once(argv_prefix=(
            "unshare", "-m", "--propagation", "private", "sh", "-c",
            f"mount -t tmpfs -o size=8m pc-guard {small} && exec \"$0\" \"$@\""))
        j = job(five)
        check("guard tmpfs: the job waits", j["state"] == "failed-infra",
              (j["state"], p.stderr[-2000:]))
        check("guard tmpfs: the reason names the cache and what is free",
              f"[build] cache_dir {small}" in (j["reason"] or "") and
              "MiB free" in (j["reason"] or ""), j["reason"])
        # An open job keeps its mail however old: it is still to run.
        write_conf()
        sql("UPDATE jobs SET updated_at = ? WHERE message_id = ?",
            (old, five))
        p, m = maintain_json()
        check("retention: an open job keeps its mail, however old",
              p.returncode == 0 and job(five)["raw"] is not None and
              m["job_store"]["raw_mails_dropped"] == 0, p.stderr[-1000:])
    else:
        check("guard tmpfs: needs root and unshare", False,
              "run as root with util-linux")
finally:
    rundir.close(keep=os.environ.get("PC_KEEP") == "1")
t.exit()
