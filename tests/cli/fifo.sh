#!/bin/sh
# FIFOs, as doc/mailsleuth.1 and doc/SECURITY.md describe them: one named as an input is
# read as a stream, and while nothing writes to it mailsleuth waits (as cat does; there is
# no timeout); a writer that comes later gets every line read.  One found inside a
# directory is skipped with a warning, so reading a directory never blocks.
# Input: the real Postfix capture.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
LINES=$(wc -l <"$CAP" | tr -d ' ')
if ! command -v timeout >/dev/null 2>&1 || ! mkfifo "$TMPD/fifo" 2>/dev/null; then
    skip "fifo: needs mkfifo and timeout(1)"
    finish "fifo"
    exit 0
fi

timeout 2 "$MS" summary -q --tz UTC "$TMPD/fifo" >/dev/null 2>&1
check "a FIFO without a writer: still waiting after 2 s (timeout ended it)" $? 124

(sleep 1; cat "$CAP") >"$TMPD/fifo" &
timeout 30 "$MS" summary -q -f json --tz UTC "$TMPD/fifo" >"$TMPD/f.json" 2>"$TMPD/f.err"
check_rc "a writer that comes later" $? 0
wait
check "a writer that comes later: every line" "$(jq '.inputs.sources[0].lines' "$TMPD/f.json")" \
    "$LINES"

mkdir "$TMPD/dir" && cp "$CAP" "$TMPD/dir/maillog" && mkfifo "$TMPD/dir/maillog.1"
timeout 30 "$MS" summary -f json --tz UTC "$TMPD/dir" >"$TMPD/d.json" 2>"$TMPD/d.err"
check "a FIFO inside a directory does not block (exit 0)" $? 0
check_grep "a FIFO inside a directory: named in a warning" \
    "maillog.1: warning: not a regular file, skipped" "$TMPD/d.err"
check "a FIFO inside a directory: the log beside it read" \
    "$(jq '[.inputs.sources[].lines] | add' "$TMPD/d.json")" "$LINES"
finish "fifo"
