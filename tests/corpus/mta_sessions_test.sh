#!/bin/sh
# SMTP sessions of other MTAs, on the public samples (skipped when ../shared is absent):
# Sendmail receiving processes (keyed by pid) and Exchange protocol logs (keyed by their
# session-id) carry their AUTH failures, counted independently with grep/awk.
. "$(dirname "$0")/../cli/testlib.inc"
SM="$CORPORA/sendmail/samples.log"
EX="$CORPORA/exchange-smtp-protocol/samples.log"
if [ ! -f "$SM" ] || [ ! -f "$EX" ]; then
    skip "sendmail/exchange samples absent"
    finish "mta sessions"
    exit 0
fi
want=$(grep -cE '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ (sendmail|sm-[a-z-]+)\[[0-9]+\]: .*AUTH failure' "$SM")
got=$("$MS" search -q --sessions -f jsonl --tz UTC 'status:authfail' "$SM" | jq -s '[.[].auth[] | select(.ok == false)] | length')
check "sendmail: AUTH failures in sessions = AUTH failure lines" "$got" "$want"
check "sendmail: each failing session keyed by its process" \
    "$("$MS" search -q --sessions -f jsonl --tz UTC 'status:authfail' "$SM" | jq -s '[.[] | select(.pid < 0)] | length')" 0
ids=$(awk -F, '!/^#/ && NF > 5 { print $3 }' "$EX" | sort -u | tr '\n' ' ')
"$MS" search -q --sessions -f jsonl --tz UTC 'host:*' "$EX" >"$TMPD/ex.jsonl"
bad=0
for sid in $(jq -r .smtp_session_id "$TMPD/ex.jsonl"); do
    case " $ids" in *" $sid "*) ;; *) bad=$((bad + 1)) ;; esac
done
check "exchange: sessions are the log's session ids" "$bad" 0
fail_sid=$(awk -F, '!/^#/ && /AUTH [A-Z]* failed/ { print $3; exit }' "$EX")
check "exchange: a failed inbound AUTH is an AUTH failure of its session" \
    "$(jq -r --arg s "$fail_sid" 'select(.smtp_session_id == $s) | [.auth[] | select(.ok == false)] | length' "$TMPD/ex.jsonl")" 1
finish "mta sessions"
