#!/usr/bin/env bash
# golden.sh PULLCHECK FIXTURE_DIR [--regen]
#
# Runs `pullcheck parse` on every fixture in FIXTURE_DIR and compares what
# it prints with the golden JSON beside it, the way git's t5100 keeps mails
# beside the info files they must give:
#
#   NN-name.eml    one message      NN-name.json  one object
#   NN-name.mbox   an mbox          NN-name.json  an array, in mbox order
#   NN-name/       a Maildir        NN-name.json  an array: new/ then cur/,
#                                                 each sorted by file name
#   NN-name.conf   optional: passed as --config for that fixture only
#                  (otherwise an empty config, so /etc/pullcheck is not read)
#
# The "file" key is not compared. Every other key must be equal, except that
# a golden "<any>" matches any string that is not null (reasons, hashes).
#
# --regen rewrites the .json files from the output; a golden "<any>" that
# still matches stays "<any>". Every other key that changed is printed, for
# a human to review before committing.
set -uo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 PULLCHECK FIXTURE_DIR [--regen]" >&2
	exit 2
fi
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: $py not found"; exit 77; }

exec "$py" - "$@" <<'PYEOF'
import json, os, subprocess, sys, tempfile

pc, fixdir = sys.argv[1], sys.argv[2]
regen = "--regen" in sys.argv[3:]
ANY = "<any>"


def inputs():
    for name in sorted(os.listdir(fixdir)):
        path = os.path.join(fixdir, name)
        if os.path.isdir(path):
            if os.path.isdir(os.path.join(path, "cur")) or \
               os.path.isdir(os.path.join(path, "new")):
                yield name, path, True
        elif name.endswith(".eml"):
            yield name[:-4], path, False
        elif name.endswith(".mbox"):
            yield name[:-5], path, True


def run(path, conf):
    p = subprocess.run([pc, "parse", "--config", conf, path],
                       capture_output=True, text=True)
    rows = []
    for line in p.stdout.splitlines():
        if line.strip():
            row = json.loads(line)
            row.pop("file", None)
            rows.append(row)
    return p.returncode, p.stderr.strip(), rows


def matches(want, got):
    if want == ANY:
        return isinstance(got, str)
    # JSON true must not equal 1: compare types as well as values.
    return type(want) is type(got) and want == got


def diff_obj(want, got):
    """[(key, want, got)] for every key that does not match."""
    out = []
    for k in list(want) + [k for k in got if k not in want]:
        w = want.get(k, "<missing>")
        g = got.get(k, "<missing>")
        if k not in want or k not in got or not matches(w, g):
            out.append((k, w, g))
    return out


def diff_all(want, got, many):
    if not many:
        want = [want]
    out = []
    if len(want) != len(got):
        out.append(("messages", len(want), len(got)))
    for i, (w, g) in enumerate(zip(want, got)):
        for k, wv, gv in diff_obj(w, g):
            out.append((f"[{i}].{k}" if many else k, wv, gv))
    return out


def regen_obj(want, got):
    new = {}
    for k, v in got.items():
        keep = want is not None and want.get(k) == ANY and isinstance(v, str)
        new[k] = ANY if keep else v
    return new


def show(v):
    return json.dumps(v, ensure_ascii=False)


passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    empty = os.path.join(tmp, "empty.conf")
    open(empty, "w").close()
    for name, path, many in inputs():
        golden = os.path.join(fixdir, name + ".json")
        conf = os.path.join(fixdir, name + ".conf")
        rc, err, got = run(path, conf if os.path.exists(conf) else empty)
        want = None
        if os.path.exists(golden):
            with open(golden) as f:
                want = json.load(f)
        if want is None:
            diffs = [("golden", "<no .json>", None)]
        else:
            diffs = diff_all(want, got, many)
        if diffs:
            failed += 1
            print(f"FAIL {name}" + (f" (exit {rc}: {err})" if err else ""))
            for k, w, g in diffs:
                print(f"     {k}: expected {show(w)}, got {show(g)}")
        else:
            passed += 1
            print(f"PASS {name}")
        if regen and diffs:
            if many:
                olds = want if isinstance(want, list) else []
                new = [regen_obj(olds[i] if i < len(olds) else None, g)
                       for i, g in enumerate(got)]
            else:
                new = regen_obj(want, got[0]) if got else {}
            with open(golden, "w") as f:
                json.dump(new, f, indent=2, ensure_ascii=False)
                f.write("\n")
            print(f"     rewrote {os.path.basename(golden)}: review the keys above")

print(f"{passed} passed, {failed} failed")
sys.exit(0 if regen or failed == 0 else 1)
PYEOF
