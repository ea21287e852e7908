#!/bin/sh
# Bidi and invisible characters ("Trojan Source") in attacker-chosen senders, HELO names and
# file names never reach the terminal or a CSV cell raw: text and CSV show them as \u202e,
# JSON keeps the value but as an escape (\u202e) a viewer shows instead of obeying.
# Input: real lines of the Postfix capture, with the sender of in1 given a right-to-left
# override, a zero-width space and a pop directional isolate.
. "$(dirname "$0")/testlib.inc"
CAP=tests/corpus/postfix/maillog
RLO=$(printf '\342\200\256') ZWSP=$(printf '\342\200\213') PDI=$(printf '\342\201\251')
L="$TMPD/evil${RLO}gol.log"
sed "s/news@partner.test/news${RLO}tset.rentrap${ZWSP}@partner.test${PDI}/g" "$CAP" >"$L"
raw() { # raw FILE: lines holding any of the three characters as bytes
    grep -c -e "$RLO" -e "$ZWSP" -e "$PDI" "$1"
}
"$MS" summary --tz UTC --top 0 "$L" >"$TMPD/s.txt" 2>"$TMPD/s.err"
check "summary text: no raw bidi/invisible character" "$(raw "$TMPD/s.txt")" 0
check_grep "summary text: shown escaped" 'news\u202etset.rentrap\u200b@partner.test\u2069' "$TMPD/s.txt"
"$MS" timeline -q -f csv --tz UTC "$L" >"$TMPD/t.csv"
check "timeline csv: no raw character" "$(raw "$TMPD/t.csv")" 0
"$MS" timeline -q --tz UTC "$L" >"$TMPD/t.txt"
check "timeline text: no raw character (file name included)" "$(raw "$TMPD/t.txt")" 0
"$MS" search -q --tz UTC 'qid:*' "$L" >"$TMPD/q.txt"
check "search text: no raw character" "$(raw "$TMPD/q.txt")" 0
"$MS" trace -q --tz UTC 'in1.1@mail.partner.test' "$L" >"$TMPD/tr.txt"
check "trace text (the original lines): no raw character" "$(raw "$TMPD/tr.txt")" 0
check_grep "trace text: the line shown escaped" 'news\u202etset' "$TMPD/tr.txt"
"$MS" summary -q --tz UTC "$TMPD/missing${RLO}.log" 2>"$TMPD/m.err" >/dev/null
check "stderr: a file name with a bidi character is escaped" "$(raw "$TMPD/m.err")" 0
"$MS" summary -q -f json --tz UTC --top 0 "$L" >"$TMPD/s.json"
check "json: no raw character" "$(raw "$TMPD/s.json")" 0
check "json: the value is kept (decoded by a JSON reader)" \
    "$(jq -r '.sections.senders_by_count.rows[].sender' "$TMPD/s.json" | grep -c -e "$RLO")" 1
finish "bidi"
