"""tests/cli/python_api.py MAILSLEUTH_CLI CORPUS [GEN_LOG] - the Python binding against the CLI
(run by python_api.sh).  Prints one line per failure and "python-api: N passed, N failed"."""
import itertools
import json
import os
import resource
import subprocess
import sys
import time

import mailsleuth

CLI, CORPUS = sys.argv[1], sys.argv[2]
GEN = sys.argv[3] if len(sys.argv) > 3 else None
ALL = "NOT qid:no-such-id"
passed = failed = 0


def check(name, got, want):
    global passed, failed
    if got == want:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: got %r want %r" % (name, str(got)[:300], str(want)[:300]))


def cli_jsonl(*args):
    out = subprocess.run([CLI, *args], check=False, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def canon(records):
    return sorted(json.dumps(r, sort_keys=True) for r in records)


captures = ["hunt/maillog", "hunt-exim/mainlog", "hunt-sendmail/maillog",
            "hunt-opensmtpd/maillog", "postfix-multihop"]
for cap in captures:
    path = os.path.join(CORPUS, cap)
    if not os.path.exists(path):
        print("SKIP %s absent" % cap)
        continue
    cli = cli_jsonl("search", "-q", "--tz", "UTC", "-f", "jsonl", ALL, path)
    got = list(mailsleuth.open([path], tz="UTC", kinds=["messages"]))
    check(cap + ": messages are the CLI's (same fields, same values)", canon(got), canon(cli))
    check(cap + ": has messages", len(got) > 0, True)
    run = mailsleuth.open(path, tz="UTC")
    check(cap + ": .messages() again gives the same", canon(run.messages()), canon(cli))
    for kind, flag in (("recipients", "--recipients"), ("sessions", "--sessions"),
                       ("events", "--events")):
        cli_k = cli_jsonl("search", "-q", "--tz", "UTC", flag, "-f", "jsonl", ALL, path)
        check("%s: %s are the CLI's" % (cap, kind), canon(getattr(run, kind)()), canon(cli_k))
    hunt = [f for f in cli_jsonl("hunt", "-q", "--tz", "UTC", "-f", "jsonl", path)
            if f.get("type") == "finding"]
    check(cap + ": findings are hunt's, in its order", list(run.findings()), hunt)

path = os.path.join(CORPUS, "hunt/maillog")
# mixed kinds, threads, a filter
mixed = list(mailsleuth.open(path, tz="UTC", kinds=["messages", "findings"], threads=2))
check("mixed: messages then findings at the end", mixed[-1].get("type"), "finding")
check("mixed: the messages of a messages-only pass",
      [m for m in mixed if m.get("type") == "message"],
      list(mailsleuth.open(path, tz="UTC", kinds=["messages"])))
q = "ip:127.0.0.7 AND status:bounced"
check("search= is the CLI's search",
      canon(mailsleuth.open(path, tz="UTC", search=q)),
      canon(cli_jsonl("search", "-q", "--tz", "UTC", "-f", "jsonl", q, path)))
bob = [m for m in mailsleuth.open(path, tz="UTC", search="user:bob@example.test")]
check("bob's authenticated messages", len(bob), 41)
check("field names as in the JSON", sorted(bob[0]["recipients"][0])[:3],
      ["address", "attempt_evidence", "attempts"])
# trace
tr = mailsleuth.open(path, tz="UTC").trace("from:bob@example.test")
cli_tr = json.loads(subprocess.run([CLI, "trace", "-q", "--tz", "UTC", "--expr", "-f", "json",
                                    "from:bob@example.test", path],
                                   capture_output=True, text=True).stdout)
for d in (tr, cli_tr):
    d["provenance"].pop("command", None)
check("trace is trace --expr -f json's", tr, cli_tr)


def raises(fn):
    try:
        fn()
    except mailsleuth.Error as e:
        return (e.code, str(e))
    return None


e = raises(lambda: mailsleuth.open(path, tz="Mars/Olympus"))
check("bad zone raises at open, with the library's message",
      e and (e[0], e[1].startswith("unknown time zone 'Mars/Olympus'")), (-7, True))
e = raises(lambda: mailsleuth.open(path, tz="UTC", search="from:("))
check("bad search expression raises", e and (e[0], "bad search expression" in e[1]), (-3, True))
seen = []
e = raises(lambda: seen.extend(mailsleuth.open([path, "/nonexistent/x.log"], tz="UTC")))
check("missing input raises after the records, naming it",
      e and (e[0], "/nonexistent/x.log" in e[1], len(seen)), (-2, True, 93))
e = raises(lambda: mailsleuth.open(path, kinds=["mesages"]))
check("unknown kind raises", e and "unknown record kind" in e[1], True)
# a generator left early: the handle closes, no thread left behind
first = next(iter(mailsleuth.open(path, tz="UTC", kinds=["events"])))
check("first event, then the generator dropped", first,
      list(mailsleuth.open(path, tz="UTC").events())[0])
for _ in itertools.islice(mailsleuth.open(path, tz="UTC", kinds=["events", "findings"]), 5):
    pass
check("library version", mailsleuth.version(), "0.1")

if GEN:
    t0 = time.time()
    it = iter(mailsleuth.open(GEN, tz="UTC", kinds=["messages"], threads=2))
    next(it)
    first_s = time.time() - t0
    n = 1 + sum(1 for _ in it)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    want = int(subprocess.run("%s search -q --tz UTC -f jsonl '%s' %s | wc -l" % (CLI, ALL, GEN),
                              shell=True, capture_output=True, text=True).stdout)
    print("python-api: %d messages of %d MB streamed, first after %.2f s, peak RSS %d KiB"
          % (n, os.path.getsize(GEN) >> 20, first_s, rss))
    check("generated log: every message", n, want)
    check("streams: the first record before the input is read", first_s < 2.0, True)
    check("streams: peak RSS under 96 MiB", rss < 96 * 1024, True)

print("python-api: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
