#!/usr/bin/env python3
"""make_hostile.py - writes the hostile-content corpus for tests/cli/report_browser.sh.

Every line is a real line of a committed capture (tests/corpus/hunt/maillog: a scripted
attack on a real Postfix; samples/maillog: a real Postfix 3.7 capture) with attacker
payloads substituted into the fields an attacker controls: envelope senders, HELO names,
SASL user names, Message-IDs, a Subject header warning, and (in maillog-host) the syslog
host name.  The lines keep their shape, so the parsers, the correlator and the detectors
handle them as usual and the payloads travel into findings, charts, tables and evidence.

Usage (from the checkout): python3 tests/data/hostile/make_hostile.py
Writes tests/data/hostile/maillog-attack and tests/data/hostile/maillog-host.  The 1 MB
values and hostile file names are made by the test itself (too big to commit).
"""
import itertools
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

# Each would change document.title, run script or load something if it reached the page
# as markup; the test checks the title stays and no element or request appears.
PAYLOADS = [
    "<script>document.title='pwned'</script>",
    "\"><img src=x onerror=\"document.title='pwned'\">",
    "'><svg onload=document.title='pwned'>",
    "javascript:document.title='pwned'",
    "</style><style>body{display:none}</style>",
    "</title></textarea><script src=http://127.0.0.1:9/x.js></script>",
    "\u202egnp.exe\u202c",
    "<iframe src=\"http://127.0.0.1:9/\"></iframe>",
    "<a href=\"javascript:document.title='pwned'\">x</a>",
    "<link rel=stylesheet href=http://127.0.0.1:9/s.css>",
    "<meta http-equiv=refresh content=\"0;url=http://127.0.0.1:9/\">",
    "<base href=http://127.0.0.1:9/>",
]


def no_space(p):
    """SASL user names and HELO names in these lines end at a space or comma."""
    return p.replace(" ", "\u00a0").replace(",", ";")


def attack_lines():
    cyc = itertools.cycle(PAYLOADS)
    out = []
    with open(os.path.join(ROOT, "tests/corpus/hunt/maillog"), encoding="utf-8") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            ln = re.sub(r"sasl_username=(\S+?)@", lambda m: "sasl_username=%s%s@" % (m.group(1), no_space(next(cyc))), ln)
            ln = re.sub(r"helo=<([^>]*)>", lambda m: "helo=<%s%s>" % (m.group(1), no_space(next(cyc))), ln)
            ln = re.sub(r"from=<([^@>]+)@", lambda m: "from=<%s%s@" % (m.group(1), no_space(next(cyc))), ln)
            ln = re.sub(r"message-id=<([^>]*)>", lambda m: "message-id=<%s%s>" % (m.group(1), no_space(next(cyc))), ln)
            out.append(ln)
            m = re.match(r"^(\S+ +\d+ \S+) (\S+) postfix/cleanup\[(\d+)\]: ([0-9A-F]+): message-id=", ln)
            if m:
                # Postfix header_checks WARN line (cleanup's real format)
                out.append("%s %s postfix/cleanup[%s]: %s: warning: header Subject: %s from "
                           "unknown[127.0.0.7]; from=<bob@example.test> to=<x@remote.test> "
                           "proto=ESMTP helo=<h>" % (m.group(1), m.group(2), m.group(3), m.group(4), next(cyc)))
    return out


def host_lines():
    host = "mx1<script>document.title='pwned'</script>"
    out = []
    with open(os.path.join(ROOT, "samples/maillog"), encoding="utf-8") as f:
        for ln in f:
            out.append(re.sub(r"^(\S+ +\d+ \S+) mx1 ", lambda m: m.group(1) + " " + host + " ", ln.rstrip("\n")))
    return out


for name, lines in (("maillog-attack", attack_lines()), ("maillog-host", host_lines())):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
