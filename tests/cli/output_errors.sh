#!/bin/sh
# Output that cannot be written is named for what it is: a full disk ("No space left on
# device"), a reader that went away ("Broken pipe", when SIGPIPE is ignored as services and
# some shells do), with exit status 4 — never "read error", never exit 0.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
if [ -w /dev/full ]; then
    "$MS" summary --tz UTC "$CAP" >/dev/full 2>"$TMPD/full.err"
    check_rc "summary to /dev/full" $? 4
    check_grep "names the full device" "No space left on device" "$TMPD/full.err"
    "$MS" search -q -f jsonl --tz UTC 'qid:*' "$CAP" >/dev/full 2>"$TMPD/full2.err"
    check_rc "search to /dev/full" $? 4
    check_grep "search names it too" "No space left on device" "$TMPD/full2.err"
else
    skip "/dev/full not writable here"
fi
# enough output to fill a pipe: the real capture's lines, many times over
i=0
while [ $i -lt 200 ]; do cat "$CAP"; i=$((i + 1)); done >"$TMPD/big.log"
bash -c 'trap "" PIPE; "$0" timeline -q --tz UTC "$1" 2>"$2" | head -n 1 >/dev/null; exit ${PIPESTATUS[0]}' \
    "$MS" "$TMPD/big.log" "$TMPD/pipe.err"
check_rc "timeline into a closed pipe (SIGPIPE ignored)" $? 4
check_grep "names the broken pipe" "Broken pipe" "$TMPD/pipe.err"
finish "output errors"
