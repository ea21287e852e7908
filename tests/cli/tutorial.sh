#!/bin/sh
# doc/TUTORIAL.md is true: every command in its ```sh blocks runs (exit 0, or the status a
# trailing "# exit N" names), and every line of the ```text block that follows a ```sh
# block appears in what that block printed (stdout and stderr), in order; "..." stands for
# lines left out.  Commands run on a copy of samples/ with the capture's mtime, in UTC, so
# the inferred year and the printed times are the ones the tutorial shows.  A block for a
# command this build does not have (report, until it is merged) is skipped with the reason.
. "$(dirname "$0")/testlib.inc"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W="$TMPD/work"
mkdir -p "$W/bin" && cp -p "$ROOT/samples/maillog.1.gz" "$ROOT/samples/maillog" "$TMPD/" &&
    mkdir -p "$W/samples" && cp "$TMPD/maillog.1.gz" "$TMPD/maillog" "$W/samples/" &&
    touch -d '2026-11-28 00:00:00 UTC' "$W/samples/maillog.1.gz" "$W/samples/maillog"
ln -s "$MS" "$W/bin/mailsleuth"
"$MS" --help | sed -n '/^commands:/,/^$/p' | grep -oE '^  [a-z]+' | tr -d ' ' >"$TMPD/commands"

python3 - "$ROOT/doc/TUTORIAL.md" "$W" "$TMPD/commands" <<'PY' >"$TMPD/result"
import os, re, subprocess, sys
doc, work, cmdfile = sys.argv[1:4]
have = set(open(cmdfile).read().split())
blocks, kind, cur = [], None, []
for line in open(doc, encoding="utf-8").read().split("\n"):
    m = re.match(r"^```(\w*)\s*$", line)
    if m and kind is None:
        kind, cur = m.group(1), []
    elif line.startswith("```") and kind is not None:
        blocks.append((kind, cur))
        kind = None
    elif kind is not None:
        cur.append(line)
env = dict(os.environ, TZ="UTC", LC_ALL="C", PATH=work + "/bin:" + os.environ["PATH"])
env.pop("NO_COLOR", None)
npass = nfail = nskip = 0
def ok(name, cond, detail=""):
    global npass, nfail
    if cond:
        npass += 1
    else:
        nfail += 1
        print("FAIL %s%s" % (name, ("\n" + detail) if detail else ""))
last_out = None
for i, (kind, lines) in enumerate(blocks):
    if kind == "sh":
        last_out, skipped = "", False
        for cmd in lines:
            if not cmd.strip() or cmd.lstrip().startswith("#"):
                continue
            words = cmd.split()
            if words[0] == "mailsleuth" and len(words) > 1 and words[1] not in have:
                print("SKIP '%s': this build has no '%s' command" % (cmd, words[1]))
                nskip += 1
                skipped = True
                continue
            want = 0
            m = re.search(r"#\s*exit\s+(\d+)\s*$", cmd)
            if m:
                want = int(m.group(1))
            # stdout then stderr, as a terminal shows them (stdout is flushed per line there)
            p = subprocess.run(["sh", "-c", cmd], cwd=work, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            out = (p.stdout + p.stderr).decode("utf-8", "replace")
            last_out += out
            ok("'%s' exits %d" % (cmd, want), p.returncode == want,
               "exit %d:\n%s" % (p.returncode, out[:1500]))
            m = re.search(r"-o\s+(\S+)", cmd)
            if words[1:2] == ["report"] and m:
                ok("'%s' writes %s" % (cmd, m.group(1)), os.path.getsize(os.path.join(work, m.group(1))) > 0)
        if skipped:
            last_out = None
    elif kind == "text" and last_out is not None:
        got = [l.rstrip() for l in last_out.split("\n")]
        k = 0
        missing = None
        for want in lines:
            if want.strip() == "...":
                continue
            while k < len(got) and got[k] != want.rstrip():
                k += 1
            if k == len(got):
                missing = want
                break
            k += 1
        ok("output shown in block %d is real" % i, missing is None,
           "line not printed (or out of order): %s" % missing)
        last_out = None
ok("the tutorial has commands", npass > 10)
print("cli tutorial: %d passed, %d failed%s" % (npass, nfail, ", %d skipped" % nskip if nskip else ""))
PY
cat "$TMPD/result"
tail -n 1 "$TMPD/result" | grep -q ', 0 failed'
