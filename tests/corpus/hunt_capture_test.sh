#!/bin/sh
# hunt on the real Postfix attack capture (tests/corpus/hunt/maillog, made by hunt_capture.sh): every
# finding the scenario plan calls for (expected.txt "fire" lines: rule, entity type, entity, optional
# severity) must be reported, and nothing may name a benign entity ("quiet" lines) or come from a rule
# that must stay silent ("absent" lines). README.md explains each line. Rules that other engineers
# are still writing are only tested once `mailsleuth hunt --print-rules` lists them.
. "$(dirname "$0")/../cli/testlib.inc"
D=$(dirname "$0")/hunt
LOG=$D/maillog
"$MS" hunt -q -f json --tz UTC "$LOG" >"$TMPD/h.json"
check_rc "hunt runs" $? 0
"$MS" hunt --print-rules >"$TMPD/rules"
known() { grep -q "^$1\.enabled" "$TMPD/rules"; }
jq -r '.findings[] | "\(.rule) \(.entity.type) \(.entity.value) \(.severity)"' "$TMPD/h.json" >"$TMPD/found"
echo "findings:"; sed 's/^/  /' "$TMPD/found"

while read -r what a b c d; do
    case "$what" in
    fire)
        rule=$a types=$b values=$c sev=$d
        if ! known "$rule"; then
            skip "$rule for $values: rule not in 'hunt --print-rules' yet (being written)"
            continue
        fi
        hit=$(awk -v r="$rule" -v t="|$types|" -v v="|$values|" -v s="$sev" \
            '$1 == r && index(t, "|" $2 "|") && index(v, "|" $3 "|") && (s == "" || $4 == s) { n++ } END { print n + 0 }' \
            "$TMPD/found")
        check "fires: $rule ${types} ${values}${sev:+ at $sev}" "$([ "$hit" -ge 1 ] && echo yes || echo "no ($hit)")" yes ;;
    quiet)
        # entity type domain: no finding about that domain or an address in it
        case "$a" in
        domain) n=$(awk -v d="$b" '$3 == d || $3 ~ ("@" d "$")' "$TMPD/found" | wc -l) ;;
        *) n=$(awk -v v="$b" '$3 == v' "$TMPD/found" | wc -l) ;;
        esac
        check "benign $a $b: no finding" "$(echo $n)" 0 ;;
    absent)
        check "no $a finding at all" "$(awk -v r="$a" '$1 == r' "$TMPD/found" | wc -l | tr -d ' ')" 0 ;;
    esac
done <"$D/expected.txt"

# the capture's own numbers hold (the plan's thresholds are met in the log itself)
cnt() { awk -v k="$1" '$1 == "count" && $2 == k { print $3 }' "$D/expected.txt"; }
check "log: SASL failures from 127.0.0.7" \
    "$(grep -c 'unknown\[127.0.0.7\]: SASL LOGIN authentication failed' "$LOG")" "$(cnt spray_failures)"
check "log: unknown-recipient rejects from 127.0.0.8" \
    "$(grep -c 'reject: RCPT from unknown\[127.0.0.8\].*User unknown in local recipient table' "$LOG")" "$(cnt harvest_unknown)"
check "log: relay refusals from 127.0.0.9" \
    "$(grep -c 'reject: RCPT from unknown\[127.0.0.9\].*Relay access denied' "$LOG")" "$(cnt relay_denied)"
check "log: bob's bounced recipients" "$(grep -c 'to=<bounce[0-9]*@remote.test>.*status=bounced' "$LOG")" "$(cnt burst_bounced)"
# the findings' numbers are the plan's numbers
fc() { jq -r --arg r "$1" --arg v "$2" "[.findings[] | select(.rule == \$r and .entity.value == \$v) | $3] | map(tostring) | join(\",\")" "$TMPD/h.json"; }
check "auth-bruteforce 127.0.0.7: failures, users" "$(fc auth-bruteforce 127.0.0.7 '"\(.counts.failures)/\(.counts.users)"')" "$(cnt spray_failures)/$(cnt spray_users)"
check "auth-spray 127.0.0.7: users" "$(fc auth-spray 127.0.0.7 .counts.users)" "$(cnt spray_users)"
check "auth-success-after-failures: all failures from 127.0.0.7 within the hour before the success" \
    "$(jq -r '[.findings[] | select(.rule == "auth-success-after-failures") | .counts.failures_from_ip] | join(",")' "$TMPD/h.json")" "$(cnt spray_failures)"
check "account-burst bob bounce test: recipients/bounced" \
    "$(fc account-burst bob@example.test 'select(.counts.bounced != null) | "\(.counts.recipients)/\(.counts.bounced)"')" "$(cnt burst_recipients)/$(cnt burst_bounced)"
check "recipient-harvest 127.0.0.8: unknown recipients" "$(fc recipient-harvest 127.0.0.8 .counts.unknown_recipients)" "$(cnt harvest_unknown)"
check "relay-attempt 127.0.0.9: refusals" "$(fc relay-attempt 127.0.0.9 .counts.refusals)" "$(cnt relay_denied)"
"$MS" summary -f json --tz UTC "$LOG" >"$TMPD/s.json"
check "summary: every line parses" "$(jq .inputs.unparsed "$TMPD/s.json")" 0
# evidence cites real lines of the capture
bad=0
for ref in $(jq -r '.findings[].evidence[].ref' "$TMPD/h.json"); do
    n=${ref##*:}; f=${ref%:*}
    [ "$f" = "$LOG" ] && [ "$n" -ge 1 ] && [ "$n" -le "$(wc -l <"$LOG")" ] || bad=$((bad + 1))
done
check "evidence refs are lines of the capture" "$bad" 0
finish "hunt capture"
