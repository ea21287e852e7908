#!/bin/sh
# Damaged lines are counted where an investigator reads them: the text summary's Inputs line
# names the lines holding NUL bytes and the lines cut at the line limit, with the same
# numbers as JSON's nul_lines / truncated_lines.  Input: the real Postfix capture with NUL
# bytes put into three of its lines and one line made longer than 64 KiB.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
python3 -c 'import sys
L = open(sys.argv[1], "rb").read().split(b"\n")
for i in (3, 10, 20):
    L[i] = L[i][:60] + b"\0" + L[i][60:]
L[30] += b"x" * 70000
open(sys.argv[2], "wb").write(b"\n".join(L))' "$CAP" "$TMPD/damaged.log"
"$MS" summary --tz UTC "$TMPD/damaged.log" >"$TMPD/s.txt" 2>/dev/null
"$MS" summary -f json --tz UTC "$TMPD/damaged.log" >"$TMPD/s.json" 2>/dev/null
nul=$(jq '.inputs.sources[0].nul_lines' "$TMPD/s.json")
cut=$(jq '.inputs.sources[0].truncated_lines' "$TMPD/s.json")
check "JSON counts the NUL lines" "$nul" 3
check "JSON counts the cut line" "$cut" 1
check "text names the NUL lines" "$(grep -c "^Inputs: .*, $nul lines with NUL bytes" "$TMPD/s.txt")" 1
check "text names the cut line" "$(grep -c "^Inputs: .*, $cut line cut at 64 KiB" "$TMPD/s.txt")" 1
"$MS" summary --tz UTC "$CAP" >"$TMPD/clean.txt"
check "a clean capture says neither" "$(grep -c 'NUL bytes\|cut at' "$TMPD/clean.txt")" 0
finish "summary damaged lines"
