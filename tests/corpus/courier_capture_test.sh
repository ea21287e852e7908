#!/bin/sh
# The real courier-mta 1.0.16 capture (tests/corpus/courier/maillog, written by courier_capture.sh)
# must parse line by line and give what the capture script knows from its own plan
# (tests/corpus/courier/expected.txt): each recipient's outcome in trace JSON, each reject and AUTH
# failure with its client, and summary's Grand Totals.
. "$(dirname "$0")/../cli/testlib.inc"
D=$(dirname "$0")/courier
LOG=$D/maillog
EXP=$D/expected.txt
BUILD=${BUILD:-build}
TOOL="$BUILD/tests/tools/dump_events"
[ -x "$TOOL" ] || { echo "courier capture: $TOOL missing: 0 passed, 1 failed"; exit 1; }
command -v jq >/dev/null 2>&1 || { skip "jq not installed"; finish "courier capture"; exit; }

# ---- every line gives an event (all are real lines of a running courier: an unparsed one is a gap)
"$TOOL" --per-line --year 2026 "$LOG" >"$TMPD/ev" 2>"$TMPD/everr"
check "dump_events runs" $? 0
check "one result per line" "$(wc -l <"$TMPD/ev" | tr -d ' ')" "$(wc -l <"$LOG" | tr -d ' ')"
check "no line unparsed" "$(grep -c '^UNPARSED' "$TMPD/ev")" 0
grep '^UNPARSED' "$TMPD/ev" | head -5

"$MS" trace -f json --tz UTC --year 2026 '*@*' "$LOG" >"$TMPD/trace.json" 2>"$TMPD/trace.err"
check "trace runs" $? 0
sed 's/ *#.*//' "$EXP" | while read -r what a b c; do
    case $what in
    rcpt)   # the accepted message sent to A: its recipient's outcome
        got=$(jq -r --arg a "$a" '[.messages[] | select(.from != "") | .recipients[]
              | select(.address == $a) | .outcome] | join(",")' "$TMPD/trace.json")
        echo "check rcpt $a|$got|$b" ;;
    dsn)    # courierdsn's notice (null sender) to A
        got=$(jq -r --arg a "$a" '[.messages[] | select(.from == "") | .recipients[]
              | select(.address == $a) | .outcome] | join(",")' "$TMPD/trace.json")
        echo "check dsn $a|$got|$b" ;;
    reject)
        n=$(grep -c "^kind=REJECT .*to=$a .*client_ip=$b .*stage=$c " "$TMPD/ev")
        echo "check reject $a from $b at $c|$n|1" ;;
    authfail)
        n=$(grep -c "^kind=AUTH_FAIL client_ip=$b .*sasl_user=$a " "$TMPD/ev")
        echo "check AUTH failure of $a from $b|$n|1" ;;
    authok)
        got=$(jq -r --arg a "$a" --arg b "$b" '[.messages[] | select(.sasl_user == $a and
              .client_ip == $b)] | length' "$TMPD/trace.json")
        echo "check message submitted by $a from $b|$got|1" ;;
    count)
        echo "count $a|$b" ;;
    esac
done >"$TMPD/checks"
"$MS" summary --tz UTC --year 2026 "$LOG" >"$TMPD/summary.txt" 2>/dev/null
check "summary runs" $? 0
while IFS='|' read -r name got want; do
    case $name in
    check*) check "${name#check }" "$got" "$want" ;;
    count*) k=${name#count }
        n=$(awk -v k="$k" '/^Grand Totals/ { on = 1 } on && $2 == k { print $1; exit }' "$TMPD/summary.txt")
        check "summary: $k" "$n" "$got" ;;
    esac
done <"$TMPD/checks"
check "every expected line was checked" "$(wc -l <"$TMPD/checks" | tr -d ' ')" \
    "$(grep -c '^[a-z]' "$EXP")"

# ---- the sender of each relayed message is known (courierd's started,id= names it)
check "sender of frank's message" "$(jq -r '[.messages[] | select(.recipients[].address ==
    "frank@remote.test") | .from] | join(",")' "$TMPD/trace.json")" "alice@example.test"
finish "courier capture"
