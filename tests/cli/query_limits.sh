#!/bin/sh
# The search language in bounded stack and near-linear time, proven under limits set with
# ulimit (-s: stack, -t: CPU seconds), not with timed assertions:
#   10,000 nested parentheses or NOTs: a parse error naming the limit (64), no crash, with a
#   512 KiB stack; 10,000 terms in one AND chain: evaluated (a chain is a loop, not nesting);
#   pathological wildcards (a 2,000-byte literal between stars, "*a*a*...*b" with 3,000
#   stars) against 300 senders of 60 kB each: answered within 10 CPU seconds (the old
#   two-pointer matcher needed ~50 s here; linear matching needs well under one).
# Input: a real line of the Postfix capture (qmgr from=<...>) with its sender made 60 kB.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
limited() { (ulimit -s 512 && ulimit -t 10 && "$@"); }

deep=$(python3 -c "print('(' * 10000 + 'from:alice@example.test' + ')' * 10000)")
limited "$MS" search --tz UTC "$deep" "$CAP" >/dev/null 2>"$TMPD/deep.err"
check_rc "10,000 parentheses" $? 2
check_grep "10,000 parentheses: the limit named" "nesting too deep (more than 64 levels)" \
    "$TMPD/deep.err"
nots=$(python3 -c "print('NOT ' * 10000 + 'from:alice@example.test')")
limited "$MS" search --tz UTC "$nots" "$CAP" >/dev/null 2>"$TMPD/nots.err"
check_rc "10,000 NOTs" $? 2
check_grep "10,000 NOTs: the limit named" "nesting too deep" "$TMPD/nots.err"
at=$(python3 -c "print('(' * 63 + 'from:alice@example.test' + ')' * 63)")
check "63 levels: still a query, same answer as without them" \
    "$(limited "$MS" search -q -f jsonl --tz UTC "$at" "$CAP" | wc -l)" \
    "$("$MS" search -q -f jsonl --tz UTC from:alice@example.test "$CAP" | wc -l)"
chain=$(python3 -c "print(' '.join(['NOT n%d' % i for i in range(10000)]))")
check "10,000 terms in one chain: evaluated" \
    "$(limited "$MS" search -q -f jsonl --tz UTC "$chain" "$CAP" | wc -l)" \
    "$("$MS" search -q -f jsonl --tz UTC 'from:*' "$CAP" | wc -l)"

python3 -c 'import re, sys
line = [l for l in open(sys.argv[1]) if "from=<" in l][0]
long = re.sub(r"from=<[^>]*>", "from=<" + "a" * 60000 + "@x.test>", line)
open(sys.argv[2], "w").write(long * 300)' "$CAP" "$TMPD/long.log"
ev() { limited "$MS" search --events -q -f jsonl --tz UTC "$1" "$TMPD/long.log"; }
p1=$(python3 -c "print('from:*' + 'a' * 2000 + 'b*')")
ev "$p1" >"$TMPD/p1"
check_rc "2,000-byte literal between stars (no match)" $? 0
check "2,000-byte literal between stars: no match" "$(wc -l <"$TMPD/p1" | tr -d ' ')" 0
p2=$(python3 -c "print('from:*' + 'a*' * 3000 + 'b')")
ev "$p2" >"$TMPD/p2"
check_rc "*a*a*...*b with 3,000 stars" $? 0
check "*a*a*...*b: no match" "$(wc -l <"$TMPD/p2" | tr -d ' ')" 0
p3=$(python3 -c "print('from:*' + 'a' * 2000 + 'b*c')")
ev "$p3" >"$TMPD/p3"
check_rc "a literal then a second segment" $? 0
p4=$(python3 -c "print('from:*' + 'a' * 2000 + '*@?.test')")
ev "$p4" >"$TMPD/p4"
check_rc "a long segment, then ?" $? 0
check "a long segment, then ?: every one of the 300 senders matches" \
    "$(wc -l <"$TMPD/p4" | tr -d ' ')" 300
p5=$(python3 -c "print('from:' + 'a?' * 2000 + '*@x.test')")
ev "$p5" >"$TMPD/p5"
check "a 4,000-cell anchored segment of ? and a: every sender matches" \
    "$(wc -l <"$TMPD/p5" | tr -d ' ')" 300
finish "query limits"
