#!/bin/sh
# timeline -f ecs | ecs-bulk | splunk-hec on the real captures of every MTA and on the hostile
# fixture: every document validates against the ECS 8.11 field definitions / the HEC event format
# and CIM Email field names (tests/data/export, checked by tests/cli/export_validate.py), there is
# one document per event, and the facts agree with the event JSON of `timeline -f jsonl` (computed
# from both sides here): AUTH failures and their client IPs, sent deliveries and their recipients,
# the cited file:line.
. "$(dirname "$0")/testlib.inc"
command -v jq >/dev/null 2>&1 || { skip "jq not installed"; finish "cli export"; exit; }
command -v python3 >/dev/null 2>&1 || { skip "python3 not installed"; finish "cli export"; exit; }
HERE=$(cd "$(dirname "$0")" && pwd)
DEFS=$HERE/../data/export
V="python3 $HERE/export_validate.py"
C=$HERE/../corpus

for cap in hunt/maillog hunt-exim/mainlog hunt-sendmail/maillog hunt-opensmtpd/maillog courier/maillog \
    sendmail-dovecot postfix-multihop ../data/hostile; do
    [ -e "$C/$cap" ] || { skip "$cap: not committed"; continue; }
    "$MS" timeline -q -f jsonl --tz UTC "$C/$cap" >"$TMPD/ev.jsonl"
    n=$(wc -l <"$TMPD/ev.jsonl" | tr -d ' ')
    for f in ecs ecs-bulk splunk-hec; do
        "$MS" timeline -q -f $f --tz UTC "$C/$cap" >"$TMPD/out.$f"
        check_rc "$cap $f: runs" $? 0
        check "$cap $f: validates" "$($V $f "$DEFS" <"$TMPD/out.$f" | tail -n 1)" "$n documents ok"
    done
    check "$cap ecs-bulk: one action line per document" "$(grep -c '^{"create":{}}$' "$TMPD/out.ecs-bulk")" "$n"
    # the same facts as the event JSON
    check "$cap ecs: AUTH failures and their client IPs" \
        "$(jq -r 'select(.event.category == ["authentication"] and .event.outcome == "failure") | .source.ip // .source.address' "$TMPD/out.ecs" | sort | uniq -c)" \
        "$(jq -r 'select(.kind == "AUTH_FAIL") | .client_ip' "$TMPD/ev.jsonl" | sort | uniq -c)"
    check "$cap ecs: sent deliveries and their recipients" \
        "$(jq -r 'select(.mailsleuth.kind == "DELIVERY" and .mailsleuth.status == "sent") | .email.to.address[0]' "$TMPD/out.ecs" | sort | uniq -c)" \
        "$(jq -r 'select(.kind == "DELIVERY" and .status == "sent") | .to' "$TMPD/ev.jsonl" | sort | uniq -c)"
    check "$cap splunk-hec: delivered recipients" \
        "$(jq -r 'select(.event.action == "delivered") | .event.recipient' "$TMPD/out.splunk-hec" | sort | uniq -c)" \
        "$(jq -r 'select(.kind == "DELIVERY" and (.status == "sent" or .status == "forwarded")) | .to' "$TMPD/ev.jsonl" | sort | uniq -c)"
    check "$cap: evidence cited as in the event JSON" \
        "$(jq -r '.mailsleuth.evidence' "$TMPD/out.ecs" | md5sum)" "$(jq -r '.evidence' "$TMPD/ev.jsonl" | md5sum)"
    check "$cap splunk-hec: evidence" \
        "$(jq -r '.event.evidence' "$TMPD/out.splunk-hec" | md5sum)" "$(jq -r '.evidence' "$TMPD/ev.jsonl" | md5sum)"
done

# the validator fails where it must: a bad ip, an unknown field, a wrong category, a non-HEC key
O=$C/hunt/maillog
"$MS" timeline -q -f ecs --tz UTC "$O" >"$TMPD/o.ecs"
sed 's/"source":{"ip":"127.0.0.13"/"source":{"ip":"not-an-ip"/' "$TMPD/o.ecs" | $V ecs "$DEFS" >"$TMPD/v1"
check_rc "validator: a bad ip fails" $? 1
check "validator: names every bad ip" "$(grep -c 'source.ip=.not-an-ip.: not an IP address' "$TMPD/v1")" \
    "$(grep -c '"source":{"ip":"127.0.0.13"' "$TMPD/o.ecs")"
sed '1s/"host":{"name"/"hostx":{"name"/' "$TMPD/o.ecs" | $V ecs "$DEFS" >/dev/null
check_rc "validator: an unknown field fails" $? 1
sed '1s/"category":\["process"\]/"category":["mail"]/' "$TMPD/o.ecs" | $V ecs "$DEFS" >/dev/null
check_rc "validator: a category ECS does not allow fails" $? 1
"$MS" timeline -q -f splunk-hec --tz UTC "$O" | sed '1s/^{"time"/{"when":1,"time"/' | $V splunk-hec "$DEFS" >/dev/null
check_rc "validator: a key HEC does not know fails" $? 1

# hostile content stays inside JSON strings; an address that is not one never reaches an ip field
H=$C/../data/hostile
"$MS" timeline -q -f ecs --tz UTC "$H" >"$TMPD/h.ecs"
check "hostile: every ECS document is JSON" "$(jq -c . "$TMPD/h.ecs" 2>/dev/null | wc -l | tr -d ' ')" "$(wc -l <"$TMPD/h.ecs" | tr -d ' ')"
check "hostile: no raw ESC or bidi control in the output" "$(grep -c "$(printf '\033')\|$(printf '\342\200\256')" "$TMPD/h.ecs")" 0

"$MS" timeline -q -f ecs-json "$O" >/dev/null 2>"$TMPD/err"
check_rc "unknown format" $? 2
check "unknown format: the error lists the formats" "$(grep -c 'ecs, ecs-bulk or splunk-hec' "$TMPD/err")" 1
finish "cli export"
