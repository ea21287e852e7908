#!/bin/sh
# The real Postfix capture (tests/corpus/postfix/maillog, made by postfix_capture.sh) must
# give exactly the counts the capture script knows from what it did (expected.txt).
. "$(dirname "$0")/../cli/testlib.inc"
D=$(dirname "$0")/postfix
"$MS" summary --format json --tz UTC "$D/maillog" >"$TMPD/s.json"
check_rc "summary runs" $? 0
check "no unparsed lines" "$(jget "$TMPD/s.json" .inputs.unparsed)" 0
# expected.txt key -> JSON path
while read -r key want; do
    case "$key" in
    ''|'#'*) continue ;;
    smtp_connections) path=.totals.connections ;;
    received|delivered|deferred|deferrals|bounced|rejected|sasl_failures|senders|recipients)
        path=.totals.$key ;;
    *) continue ;; # counts the summary does not report (per-daemon splits): trace tests cover them
    esac
    check "capture $key" "$(jget "$TMPD/s.json" "$path")" "$want"
done <"$D/expected.txt"
finish "postfix capture summary"
