#!/usr/bin/env python3
"""watch_live_check.py - the two halves of tests/corpus/watch_live_test.sh's judgement.

  watch_live_check.py monitor WORK     polls WORK/alerts.jsonl every 10 ms until WORK/stop
                                       exists; writes WORK/alert-times (epoch seconds, key)
  watch_live_check.py check WORK MS    judges the run; prints PASS/FAIL lines

The log is what a real Postfix wrote through rsyslog (RSYSLOG_FileFormat: RFC 3339 stamps
with microseconds, taken when rsyslog received the line).  The expected alerts are what
`hunt` reports on the whole log (rotated parts first); a finding's triggering line is the
first line with which `hunt` on the log up to there reports it (bisection); its alert must
have arrived within 2 s of that line's stamp, exactly once.
"""
import datetime
import glob
import gzip
import json
import os
import re
import subprocess
import sys
import time

MODE, WORK = sys.argv[1], sys.argv[2]
HUNT_OPTS = ["--local-domain", "example.test"]


def key_of(f):
    return "|".join([f["rule"], f["entity"]["type"], f["entity"]["value"], f.get("host", ""),
                     next(iter(f["counts"].keys()), "")])


def monitor():
    path = os.path.join(WORK, "alerts.jsonl")
    off, part = 0, b""
    with open(os.path.join(WORK, "alert-times"), "w") as out:
        while not os.path.exists(os.path.join(WORK, "stop")):
            try:
                with open(path, "rb") as fh:
                    fh.seek(off)
                    data = fh.read()
            except FileNotFoundError:
                data = b""
            off += len(data)
            now = time.time()
            data = part + data
            *done, part = data.split(b"\n")
            for ln in done:
                if ln.strip():
                    a = json.loads(ln)
                    out.write(f"{now:.6f} {a['alert']} {json.dumps(key_of(a))}\n")
                    out.flush()
            time.sleep(0.01)


def say(ok, name, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or not why else ": " + why), flush=True)


def check():
    ms = sys.argv[3]
    logdir = os.path.join(WORK, "log")
    rotated = sorted(glob.glob(os.path.join(logdir, "maillog.*")),
                     key=lambda p: -int(re.search(r"maillog\.(\d+)", p).group(1)))
    lines = []
    for p in rotated + [os.path.join(logdir, "maillog")]:
        op = gzip.open if p.endswith(".gz") else open
        with op(p, "rb") as fh:
            lines += fh.read().splitlines(keepends=True)
    say(len(rotated) >= 2, "logrotate rotated the live log twice (create, copytruncate)",
        f"{len(rotated)} rotated files")
    say(all(p.endswith(".gz") for p in rotated), "the rotated files were compressed")
    with open(os.path.join(WORK, "watch.err"), errors="replace") as fh:
        st = [l for l in fh if " lines read (" in l]
    m = re.search(r"(\d+) lines read \((\d+) replayed\)", st[-1]) if st else None
    read = int(m.group(1)) if m else -1
    say(read == len(lines), f"watch read every line once across the rotations ({len(lines)})",
        f"read {read}")
    combined = os.path.join(WORK, "combined.log")
    cache = {}

    def keys(n):
        if n not in cache:
            with open(combined, "wb") as fh:
                fh.writelines(lines[:n])
            out = subprocess.run([ms, "hunt", "-f", "json", "-q"] + HUNT_OPTS + [combined],
                                 capture_output=True)
            cache[n] = {key_of(f) for f in json.loads(out.stdout)["findings"]}
        return cache[n]
    want = keys(len(lines))
    say(len(want) >= 3, "hunt finds the played attacks in the live log", f"{sorted(want)}")
    trig = {}
    for k in want:
        lo, hi = 1, len(lines)
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if k in keys(mid) else (mid + 1, hi)
        trig[k] = lo
    got = {}
    with open(os.path.join(WORK, "alert-times")) as fh:
        for ln in fh:
            t, kind, k = ln.split(" ", 2)
            if kind == "raised":
                got.setdefault(json.loads(k), []).append(float(t))
    missing = sorted(k for k in want if k not in got)
    dup = sorted(f"{k} x{len(v)}" for k, v in got.items() if len(v) > 1)
    extra = sorted(k for k in got if k not in want)
    say(not missing, f"every finding of hunt on the live log was alerted ({len(want)})",
        "; ".join(missing))
    say(not dup, "each alert exactly once", "; ".join(dup))
    say(not extra, "no alert hunt does not report", "; ".join(extra))
    late = []
    for k, n in sorted(trig.items()):
        if k not in got:
            continue
        stamp = lines[n - 1].split(b" ", 1)[0].decode()
        written = datetime.datetime.fromisoformat(stamp).timestamp()
        lat = got[k][0] - written
        print(f"  {k}: line {n}, alert {lat * 1000:.0f} ms after it was logged")
        if lat > 2.0:
            late.append(f"{k}: {lat:.2f} s")
    say(not late, "each alert within 2 s of its triggering line", "; ".join(late))


if MODE == "monitor":
    monitor()
else:
    check()
