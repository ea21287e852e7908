#!/usr/bin/env python3
"""watch_bench.py - the `watch` loop's idle CPU, alert latency and burst throughput.

usage: watch_bench.py MAILSLEUTH CAPTURE [BURST_FILE]

- idle CPU: watch follows an empty file (inotify, then --poll); utime+stime from
  /proc/PID/stat over 10 s of nothing happening.
- latency: CAPTURE (a real attack capture) is written into the followed file as fast as
  possible up to each finding's triggering line (the first line with which `hunt` on the
  prefix reports it); the time until its alert is in the jsonl file (polled every 1 ms).
- burst: BURST_FILE appended at once to a followed file: seconds until watch has read
  every line (its SIGUSR1 counters), beside `summary -j 1` on the same file.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

MS, CAP = sys.argv[1], sys.argv[2]
BURST = sys.argv[3] if len(sys.argv) > 3 else None
TICK = os.sysconf("SC_CLK_TCK")
U = ["--tz", "UTC", "--year", "2026"]
work = tempfile.mkdtemp(prefix="mailsleuth-watch-bench.")


def key_of(f):
    return "|".join([f["rule"], f["entity"]["type"], f["entity"]["value"], f.get("host", ""),
                     next(iter(f["counts"].keys()), "")])


def cpu(pid):
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def start(log, *extra):
    err = open(os.path.join(work, "err"), "w")
    return subprocess.Popen([MS, "watch", "--from-start", *U, "--alert",
                             "jsonl:" + os.path.join(work, "alerts.jsonl"), *extra, log],
                            stdout=subprocess.DEVNULL, stderr=err)


def idle(*extra):
    log = os.path.join(work, "idle.log")
    open(log, "w").close()
    p = start(log, *extra)
    time.sleep(1)
    c0, t0 = cpu(p.pid), time.monotonic()
    time.sleep(10)
    c1, t1 = cpu(p.pid), time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait()
    return (c1 - c0) / (t1 - t0) * 100, c1 - c0


def triggers(lines):
    cache = {}

    def keys(n):
        if n not in cache:
            pf = os.path.join(work, "prefix.log")
            with open(pf, "wb") as fh:
                fh.writelines(lines[:n])
            out = subprocess.run([MS, "hunt", "-f", "json", "-q", *U, pf], capture_output=True)
            cache[n] = {key_of(f) for f in json.loads(out.stdout)["findings"]}
        return cache[n]
    trig = {}
    for k in keys(len(lines)):
        lo, hi = 1, len(lines)
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if k in keys(mid) else (mid + 1, hi)
        trig[k] = lo
    return trig


def latency():
    with open(CAP, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    trig = triggers(lines)
    log = os.path.join(work, "live.log")
    alerts = os.path.join(work, "alerts.jsonl")
    for f in (log, alerts):
        if os.path.exists(f):
            os.unlink(f)
    open(log, "w").close()
    p = start(log)
    time.sleep(0.5)
    seen, off, res = set(), 0, []
    by_line = {}
    for k, n in trig.items():
        by_line.setdefault(n, []).append(k)
    with open(log, "ab", buffering=0) as out:
        for i, ln in enumerate(lines, 1):
            out.write(ln)
            if i not in by_line:
                continue
            t0 = time.monotonic()
            want = set(by_line[i])
            while want - seen and time.monotonic() - t0 < 5:
                try:
                    with open(alerts, "rb") as fh:
                        fh.seek(off)
                        data = fh.read()
                except FileNotFoundError:
                    data = b""
                nl = data.rfind(b"\n")
                if nl >= 0:
                    off += nl + 1
                    for a in data[:nl].split(b"\n"):
                        if a.strip():
                            seen.add(key_of(json.loads(a)))
                time.sleep(0.001)
            res.append((time.monotonic() - t0) * 1000)
    p.send_signal(signal.SIGTERM)
    p.wait()
    return sorted(res)


def burst():
    n = sum(1 for _ in open(BURST, "rb"))
    t0 = time.monotonic()
    subprocess.run([MS, "summary", "-j", "1", "-q", BURST], stdout=subprocess.DEVNULL)
    summary_s = time.monotonic() - t0
    log = os.path.join(work, "burst.log")
    open(log, "w").close()
    p = start(log, "--alert", "jsonl:/dev/null")
    time.sleep(0.5)
    errp = os.path.join(work, "err")
    t0 = time.monotonic()
    with open(log, "ab") as out, open(BURST, "rb") as src:
        while True:
            b = src.read(1 << 20)
            if not b:
                break
            out.write(b)
    got = 0
    while got < n and time.monotonic() - t0 < 600:
        time.sleep(0.2)
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.05)
        with open(errp, errors="replace") as fh:
            m = re.findall(r"(\d+) lines read", fh.read())
        got = int(m[-1]) if m else 0
    watch_s = time.monotonic() - t0
    p.send_signal(signal.SIGTERM)
    p.wait()
    return n, summary_s, watch_s, got


pct, secs = idle()
print(f"watch idle CPU (inotify): {pct:.3f} % ({secs:.2f} s CPU in 10 s)")
pct, secs = idle("--poll")
print(f"watch idle CPU (--poll, 250 ms): {pct:.3f} % ({secs:.2f} s CPU in 10 s)")
lat = latency()
if lat:
    print(f"watch latency line -> alert over {len(lat)} findings: min {lat[0]:.0f} ms, median "
          f"{lat[len(lat) // 2]:.0f} ms, max {lat[-1]:.0f} ms")
if BURST:
    n, s, w, got = burst()
    mb = os.path.getsize(BURST) / 1e6
    print(f"watch burst: {mb:.0f} MB ({n} lines) appended at once, all read and hunted in "
          f"{w:.1f} s ({mb / w:.0f} MB/s; {got} lines counted); summary -j 1 reads it in "
          f"{s:.1f} s ({mb / s:.0f} MB/s)")
subprocess.run(["rm", "-rf", work])
