#!/usr/bin/env python3
"""watch_drive.py - drives `mailsleuth watch` for tests/cli/watch.sh.

Plays a real capture into a log file line by line, the way a server writes it, while watch
follows the file; prints one "PASS name", "FAIL name: why" or "SKIP name: why" per check.

The expected alerts are never written down: `hunt` on the whole capture says which
findings exist, and `hunt` on prefixes of it (bisection) says at which line each one
first appears (its triggering line).  Every finding must be alerted exactly once, within
2 s of its triggering line being written (polled with a deadline).

usage: watch_drive.py MAILSLEUTH CAPTURE WORKDIR MODE [watch options...]
MODE: plain, split (lines written in two halves), rename, copytruncate (logrotate on the
file), dir-rename, dir-copytruncate (watch follows the directory), kill (kill -9, lines
written while down, restart with --state), slowhook (exec: hooks that time out)
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

MS, CAP, WORK, MODE = sys.argv[1:5]
EXTRA = sys.argv[5:]
COMMON = ["--tz", "UTC", "--year", "2026"]
DEADLINE = 2.0
LABEL = " ".join([MODE] + EXTRA)

def say(kind, name, why=""):
    print(f"{kind} {name}" + (f": {why}" if why and kind != "PASS" else ""), flush=True)

def key_of(f):
    """A finding's identity as watch keeps it: rule, entity, host, the first count's name
    (one rule may report two kinds of finding on one entity; account-burst does)."""
    return "|".join([f["rule"], f["entity"]["type"], f["entity"]["value"], f.get("host", ""),
                     next(iter(f["counts"].keys()), "")])

with open(CAP, "rb") as fh:
    LINES = fh.read().splitlines(keepends=True)

def hunt_keys(n, cache={}):
    if n in cache:
        return cache[n]
    p = os.path.join(WORK, "prefix.log")
    with open(p, "wb") as fh:
        fh.writelines(LINES[:n])
    out = subprocess.run([MS, "hunt", "-f", "json", "-q"] + COMMON + [p], capture_output=True)
    keys = {key_of(f) for f in json.loads(out.stdout)["findings"]}
    cache[n] = keys
    return keys

def expected():
    """{key: triggering line number (1-based)}"""
    trig = {}
    for k in sorted(hunt_keys(len(LINES))):
        lo, hi = 1, len(LINES)
        while lo < hi:
            mid = (lo + hi) // 2
            if k in hunt_keys(mid):
                hi = mid
            else:
                lo = mid + 1
        trig[k] = lo
    return trig

class Alerts:
    """Reads the jsonl alert file as it grows."""
    def __init__(self, path):
        self.path, self.off, self.part, self.seen = path, 0, b"", []
    def poll(self):
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.off)
                data = fh.read()
        except FileNotFoundError:
            return
        self.off += len(data)
        data = self.part + data
        *done, self.part = data.split(b"\n")
        for ln in done:
            if ln.strip():
                a = json.loads(ln)
                self.seen.append((time.monotonic(), a["alert"], key_of(a)))
    def raised(self, k):
        return [t for t, kind, kk in self.seen if kind == "raised" and kk == k]
    def wait_for(self, keys, deadline):
        while True:
            self.poll()
            if all(self.raised(k) for k in keys) or time.monotonic() > deadline:
                return
            time.sleep(0.02)

def start(target, alerts, extra):
    err = open(os.path.join(WORK, "watch.err"), "ab")
    return subprocess.Popen([MS, "watch", "--from-start"] + COMMON +
                            ["--alert", "jsonl:" + alerts] + extra + EXTRA + [target],
                            stderr=err, stdout=subprocess.DEVNULL)

def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        say("FAIL", f"{LABEL}: watch stops on {sig.name}", "still running after 20 s")
        return
    if sig == signal.SIGTERM:
        (say if p.returncode == 0 else say)("PASS" if p.returncode == 0 else "FAIL",
                                             f"{LABEL}: watch exits 0 on SIGTERM",
                                             "" if p.returncode == 0 else f"exit {p.returncode}")

def last_stats():
    with open(os.path.join(WORK, "watch.err"), "r", errors="replace") as fh:
        st = [l for l in fh if " lines read (" in l]
    if not st:
        return None
    m = re.search(r"(\d+) lines read \((\d+) replayed\).*?(\d+) alerts raised, (\d+) updated, "
                  r"(\d+) dropped, (\d+) hook failures", st[-1])
    return tuple(int(x) for x in m.groups()) if m else None

def logrotate(log, how):
    conf = os.path.join(WORK, "logrotate.conf")
    with open(conf, "w") as fh:
        fh.write(f"{log} {{\n  rotate 9\n  {how}\n  compress\n  missingok\n}}\n")
    os.chmod(conf, 0o600)
    r = subprocess.run(["logrotate", "-f", "-s", os.path.join(WORK, "logrotate.state"), conf],
                       capture_output=True)
    if r.returncode != 0:
        say("FAIL", f"{LABEL}: logrotate {how}", r.stderr.decode(errors="replace")[:300])

def play(log, al, trig, lines_from, lines_to, rotate_at=(), how=None, check_latency=True):
    by_line = {}
    for k, n in trig.items():
        by_line.setdefault(n, []).append(k)
    late = []
    for i in range(lines_from, lines_to):
        with open(log, "ab") as fh:
            if MODE == "split":  # half a line, a pause, the rest: the half must wait
                half = len(LINES[i]) // 2
                fh.write(LINES[i][:half])
                fh.flush()
                time.sleep(0.003)
                fh.write(LINES[i][half:])
            else:
                fh.write(LINES[i])
        n = i + 1
        if n in rotate_at:
            logrotate(log, how)
        if n in by_line and check_latency:
            t0 = time.monotonic()
            al.wait_for(by_line[n], t0 + DEADLINE)
            for k in by_line[n]:
                if not al.raised(k):
                    late.append(f"{k} (line {n})")
        time.sleep(0.002)
    return late

def check_once(al, trig):
    al.poll()
    raised = {}
    for _, kind, k in al.seen:
        if kind == "raised":
            raised[k] = raised.get(k, 0) + 1
    missing = sorted(k for k in trig if k not in raised)
    dup = sorted(f"{k} x{n}" for k, n in raised.items() if n > 1)
    extra = sorted(k for k in raised if k not in trig)
    say("PASS" if not missing else "FAIL", f"{LABEL}: every finding of hunt is alerted "
        f"({len(trig)})", "missing " + "; ".join(missing))
    say("PASS" if not dup else "FAIL", f"{LABEL}: each alert exactly once", "; ".join(dup))
    say("PASS" if not extra else "FAIL", f"{LABEL}: no alert hunt does not report",
        "; ".join(extra))

def main():
    os.makedirs(WORK, exist_ok=True)
    cache = os.environ.get("WATCH_TRIGGERS")  # the bisection's answer, shared by the runs
    if cache and os.path.exists(cache):
        with open(cache) as fh:
            trig = json.load(fh)
    else:
        trig = expected()
        if cache:
            with open(cache, "w") as fh:
                json.dump(trig, fh)
    if not trig:
        say("FAIL", "hunt finds something in the capture", "no findings")
        return
    logdir = os.path.join(WORK, "logs")
    os.makedirs(logdir, exist_ok=True)
    log = os.path.join(logdir, "maillog")
    alerts = os.path.join(WORK, "alerts.jsonl")
    for f in (log, alerts):
        if os.path.exists(f):
            os.unlink(f)
    if not MODE.startswith("dir-"):
        open(log, "wb").close()
    # dir-*: watch follows the directory; the log appears in it after watch started
    target = logdir if MODE.startswith("dir-") else log
    al = Alerts(alerts)
    extra = []
    if MODE == "slowhook":
        extra = ["--alert", "exec:sleep 5", "--exec-timeout", "1", "--exec-queue", "2",
                 "--alert", "exec:cat >> " + os.path.join(WORK, "hook.out")]
    if MODE == "kill":
        extra = ["--state", os.path.join(WORK, "watch.state")]
    p = start(target, alerts, extra)
    time.sleep(0.3)
    n = len(LINES)
    if MODE in ("plain", "slowhook", "split"):
        late = play(log, al, trig, 0, n)
    elif MODE in ("rename", "copytruncate", "dir-rename", "dir-copytruncate"):
        how = "create" if MODE.endswith("rename") else "copytruncate"
        late = play(log, al, trig, 0, n, rotate_at=(n // 3, 2 * n // 3), how=how)
    elif MODE == "kill":
        k1, k2 = n // 2, 2 * n // 3
        late = play(log, al, trig, 0, k1)
        time.sleep(0.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        play(log, al, trig, k1, k2, check_latency=False)   # written while watch is down
        p = start(target, alerts, extra)
        down = [k for k, t in trig.items() if k1 < t <= k2]
        al.wait_for(down, time.monotonic() + 5)
        late += [f"{k} (written while down)" for k in down if not al.raised(k)]
        late += play(log, al, trig, k2, n)
    time.sleep(0.5)
    stop(p)
    say("PASS" if not late else "FAIL", f"{LABEL}: each alert within {DEADLINE:g} s of its "
        "triggering line", "; ".join(late))
    check_once(al, trig)
    st = last_stats()
    if st is None:
        say("FAIL", f"{LABEL}: stats line at exit", "none on stderr")
        return
    lines, replayed, raised, updated, dropped, hookfail = st
    if MODE == "kill":
        say("PASS" if lines + replayed == n else "FAIL",
            f"{LABEL}: the restarted run read every line once (new + replayed = {n})",
            f"{lines} new + {replayed} replayed")
        say("PASS" if replayed > 0 else "FAIL", f"{LABEL}: the restart resumed from the state",
            "nothing replayed")
    else:
        say("PASS" if lines == n else "FAIL", f"{LABEL}: lines read = lines written ({n})",
            f"read {lines}")
    if "--updates" in EXTRA:
        ups = [k for _, kind, k in al.seen if kind == "updated"]
        first = {}
        for i, (_, kind, k) in enumerate(al.seen):
            first.setdefault(k, (i, kind))
        say("PASS" if ups else "FAIL", f"{LABEL}: growing findings are updated",
            "no update")
        bad = [k for k in ups if first[k][1] != "raised"]
        say("PASS" if not bad else "FAIL", f"{LABEL}: an update follows its raise",
            "; ".join(bad))
    if MODE == "slowhook":
        say("PASS" if hookfail >= 1 else "FAIL", f"{LABEL}: a hook over its timeout is killed "
            "and counted", f"{hookfail} hook failures")
        try:
            with open(os.path.join(WORK, "hook.out"), "rb") as fh:
                hooked = [json.loads(l) for l in fh if l.strip()]
        except FileNotFoundError:
            hooked = []
        got = sorted(key_of(a) for a in hooked)
        want = sorted(k for _, kind, k in al.seen if kind == "raised")
        say("PASS" if got == want else "FAIL", f"{LABEL}: a fast exec hook gets every alert "
            "on its stdin", f"{len(got)} of {len(want)}")

main()
