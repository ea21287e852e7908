#!/bin/sh
# trace with no match says so once where it is read: on a terminal the answer's first line
# ("0 matching records") is the statement and stderr adds nothing; with stdout redirected,
# stderr says "nothing matches" (the terminal would not see the answer otherwise).
# Input: the real Postfix capture, a sender that is not in it.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
Q=nobody@nowhere.test
if ! command -v python3 >/dev/null; then
    skip "trace no match: python3 missing, no pseudo-terminal to test with"
    finish "trace no match"; exit 0
fi
cat >"$TMPD/ptyrun.py" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
TERM=xterm python3 "$TMPD/ptyrun.py" "$MS" trace --tz UTC "$Q" "$CAP" >"$TMPD/tty.out"
check_rc "on a terminal" $? 0
check "on a terminal: no match stated once" \
    "$(grep -c -e '0 matching records' -e 'nothing matches' "$TMPD/tty.out")" 1
"$MS" trace --tz UTC "$Q" "$CAP" >"$TMPD/out" 2>"$TMPD/err"
check_rc "stdout redirected" $? 0
check "stdout redirected: stderr says nothing matches" \
    "$(grep -c "nothing matches '$Q'" "$TMPD/err")" 1
check "stdout redirected: the answer still says 0 matching records" \
    "$(grep -c '0 matching records' "$TMPD/out")" 1
"$MS" trace -q --tz UTC "$Q" "$CAP" >/dev/null 2>"$TMPD/q.err"
check "-q: stderr silent" "$(cat "$TMPD/q.err")" ""
# a query that matches says nothing on stderr in either case
TERM=xterm python3 "$TMPD/ptyrun.py" "$MS" trace --tz UTC alice@example.test "$CAP" >"$TMPD/m.out"
check "a match on a terminal: no 'nothing matches'" "$(grep -c 'nothing matches' "$TMPD/m.out")" 0
finish "trace no match"
